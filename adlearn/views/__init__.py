"""Everything a learner looks at: the evaluation trace, chain-rule paths, drawings,
words, animations and the explorer. Imports the ground floor, core and lessons; nothing
below imports a view. Each module keeps its own name (``adlearn.views.trace`` is the
module, ``adlearn.trace`` the function).
"""
