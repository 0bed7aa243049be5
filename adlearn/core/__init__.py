"""The engines and their transforms: Var (reverse mode), Dual (forward mode), Tensor
(reverse mode on arrays), the one table of operations, grad/jvp and friends.

Imports only the standard library (NumPy in the array engine, when it is used) and the
ground floor (errors, text); never a lesson, a view or the grader.
"""
