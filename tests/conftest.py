"""Hypothesis settings: random exploration on a developer's machine, a fixed seed on CI.

On CI (the CI environment variable is set, as .ci/run's caller does) every property test
draws the same examples on every run, so a submission is judged on its code, not on the
luck of the draw; developers' runs keep exploring new examples.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
