"""Checkpointing: reverse mode that recomputes instead of storing.

Reverse mode keeps every node of the graph until the reverse sweep, so its memory grows
with the length of the run. ``checkpoint(f)`` makes a function that computes f on plain
numbers, recording nothing inside it: the graph gets one node for the whole call, which
keeps only f's inputs. When the reverse sweep reaches that node, f runs again on fresh
Vars, a small sweep of that graph, seeded with the node's adjoint, gives each input its
term adjoint × ∂f/∂input, and the small graph is dropped. A loop of n steps,
checkpointed in pieces of √n steps, then stores about 2√n nodes at a time instead of
n, for the price of running the loop once more.

    @ad.checkpoint
    def ten_steps(x):
        for _ in range(10):
            x = ad.sin(x) + x
        return x

The value, and for a chain of checkpoints the gradient, are exactly the plain sweep's.
On plain numbers f makes the same operations on the same floats as on Vars, so the
values are equal, if f is written (as a rule must be) with Python's operators and
adlearn's functions: ``np.exp`` of a float is NumPy's own exp, of a Var adlearn's. The
small sweep makes the plain sweep's products in the plain sweep's order, so a chain of
checkpoints (a loop cut into pieces, each piece's input used by that piece alone) gets
the plain sweep's gradient to the last bit. Where a variable's adjoint adds up terms
from a checkpoint and from elsewhere (it is used outside the checkpoint too, passed to
it twice, used by several checkpoints as a parameter of every piece is, or lies below
two of its inputs), the terms are the same but added in another order, the
checkpoint's already summed: that gradient can differ by rounding, in the last bits.

f must return one number. On numbers and dual numbers (forward mode stores nothing
anyway) f simply runs. The node prints like an elementary operation, ``ten_steps(v0)``,
with its local partial written ``ten_steps′(v0)`` (``∂1 f(v0, v1)`` for more inputs).
"""

import functools
import inspect

from .custom import count_inputs, define_rule
from .engine import Var, _constant, reverse_sweep
from ..errors import ArgumentError, NotANumberError
from .rules import Operand, as_real


def checkpoint(f):
    """f as a function whose reverse sweep recomputes f's intermediate values."""
    name = getattr(f, "__name__", "")
    name = name if name.isidentifier() else "checkpoint"
    count = count_inputs(f, name)
    # the recomputed graph's inputs, named so that an error inside it says where it is
    names = tuple(f"{p} (input of {name})" for p in inspect.signature(f).parameters)
    marks = [f"{name}′" if count == 1 else f"∂{i + 1} {name}" for i in range(count)]
    for i, mark in enumerate(marks):  # the partials, as the trace prints them
        define_rule(mark, count, lambda *args, i=i: gradient(f, names, args)[i], _only_once)
    define_rule(name, count, f, lambda out, *args: _partials(f, names, marks, args))

    @functools.wraps(f)
    def checkpointed(*args):
        if not any(isinstance(a, Var) for a in args):
            return f(*args)
        if any(isinstance(a, Operand) and not isinstance(a, Var) for a in args):
            raise NotANumberError(f"{name} got a Var and a Dual: use one mode at a time")
        inputs = tuple(a if isinstance(a, Var) else _constant(a) for a in args)
        values = tuple(a.value for a in inputs)
        node = Var(as_real(f(*values), f"the value returned by {name}"))
        node.op, node.inputs, node.partials = name, inputs, Recomputed(f, names, values)
        return node

    return checkpointed


class Recomputed:
    """The local partials of a checkpointed call, recomputed each time they are needed.

    The reverse sweep calls ``swept(adjoint)``; a view that shows the partials as
    numbers (the trace, the drawing, the explorer) reads them as a tuple.
    """

    __slots__ = ("f", "names", "values")

    def __init__(self, f, names, values):
        self.f, self.names, self.values = f, names, values

    def swept(self, adjoint):
        """Each input's term adjoint × ∂f/∂input, by a sweep of f run again, seeded with
        the adjoint: the products the plain sweep makes, in its order."""
        return gradient(self.f, self.names, self.values, adjoint)

    def __iter__(self):
        return iter(gradient(self.f, self.names, self.values))

    def __len__(self):
        return len(self.values)

    def __getitem__(self, i):
        return gradient(self.f, self.names, self.values)[i]

    def __repr__(self):
        return f"Recomputed{gradient(self.f, self.names, self.values)}"


def gradient(f, names, values, seed=1.0):
    """seed × ∂f/∂(each input) at values: f runs on fresh Vars of these names, and one
    sweep of its graph from the seed."""
    inputs = [Var(v, name) for v, name in zip(values, names)]
    try:
        output = f(*inputs)
    except TypeError as exc:  # it ran on floats: math.sin(x), say, where ad.sin belongs
        raise ArgumentError(f"{f.__name__} ran on numbers but not on Vars, which its reverse "
                            f"sweep needs ({exc}): write it with Python's operators and "
                            "adlearn's functions (ad.sin, not math.sin)") from None
    if not isinstance(output, Var):  # f does not depend on its inputs
        return (0.0,) * len(inputs)
    reverse_sweep(output, seed)
    return tuple(x.adjoint for x in inputs)


def _partials(f, names, marks, args):
    """The partials of a checkpointed f: numbers, or the trace's formulas ``f′(v0)``."""
    formula = next((a for a in args if isinstance(a, Operand)), None)
    if formula is None:
        return gradient(f, names, args)
    if isinstance(formula, Var):  # reverse mode asks for them on Vars: to differentiate again
        _only_once()
    return tuple(formula._apply(mark, *args) for mark in marks)


def _only_once(*args):
    raise ArgumentError("a checkpointed function is differentiated once, by reverse mode: "
                        "its derivative has no derivative here (to nest derivatives, use "
                        "ad.derivative, forward mode, on the function itself)")
