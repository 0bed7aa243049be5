"""What the course computes beside AD: finite differences, SymPy's derivatives, the
matrix chain's cost, a small neural network. Imports the ground floor and core only.
"""
