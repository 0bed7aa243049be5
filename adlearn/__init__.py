"""adlearn: learn automatic differentiation by watching it work.

    import adlearn as ad
    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(3.0, name="x2")
    f = x1**2 + 2*x2        # the forward pass records the graph: f.value == 10.0
    f.backward()            # the reverse sweep: x1.grad == 4.0, x2.grad == 2.0

Importing adlearn loads only the standard library. The parts that need SymPy,
networkx, matplotlib or ipywidgets are loaded the first time they are used.
"""

from . import errors, nn
from .checkpointing import checkpoint
from .custom import custom_derivative
from .engine import Var, topological_order
from .errors import AdlearnError
from .forward import Dual
from .functions import abs, cos, exp, ln, log, relu, sigmoid, sin, sqrt, tan, tanh
from .numeric import gradcheck, numeric_grad
from .parse import parse
from .rules import RULES
from .trace import Trace, trace
from .transforms import derivative, grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp

__version__ = "0.1.0"

# name -> the module that defines it, imported on first use (it needs a heavy library)
_LAZY = {
    "matrix_chain": "chain",  # light, but only the course on arrays needs it
    "MatrixChain": "chain",
    "to_sympy": "symbolic",
    "symbolic_grad": "symbolic",
    "expression_size": "symbolic",
    "to_networkx": "graph",
    "chain_rule_paths": "graph",
    "gradient_shares": "graph",
    "Path": "graph",
    "draw": "drawing",  # the module is not called draw: importing it would hide the function
    "GraphDrawing": "drawing",
    "explore": "widgets",
    "describe": "description",
    "animate": "animation",
    "Tensor": "tensor",  # the array layer needs NumPy
    "softmax": "tensor",
    "log_softmax": "tensor",
    "cross_entropy": "tensor",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'adlearn' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
