"""A computation recorded once, for every view: its nodes in order, their names, users
and kinds, and the steps of its reverse sweep.

Every view (the trace, the paths, the drawing, the words, the animation, the explorer)
reads one ``Recording``: made from a function and a point (f runs once, then its output
is swept back once), or from an output a learner built and swept. It sorts the graph
once and names its nodes once, here and nowhere else, so every view calls a node by the
same name.

Order (``trace_order``): the inputs first, then the intermediate variables by
topological generation (the longest distance from the inputs), ties broken by
evaluation order (left to right, arguments depth first). For the textbook example
``ln(x1) + x1*x2 - sin(x2)`` that gives ln, ×, sin (generation 1), then +, then -.

Names, in two styles:

- ``"textbook"`` (Baydin et al., *Automatic differentiation in machine learning: a
  survey*): n inputs are v(1-n) .. v0, so two inputs are v-1, v0; intermediates are
  v1, v2, ...; the trace ends with the row y = (the output's name).
- ``"intro"``: inputs are x1 .. xn, intermediates continue x(n+1), x(n+2), ...; the
  output is called f: for ``x1**2 + 2*x2`` that reads x3 = x1^2, x4 = 2 × x2, f = x3 + x4.
  The numbers go around the learner's own names, never over them: an input called x2
  stays x2 wherever it comes (``x2*x1`` gives x3 = x2 × x1), and the output stays
  numbered if an input is called f.

Constants are not numbered: the trace shows them by value in their users' definitions;
the graph calls them c1, c2, ... (``ids``).
"""

import inspect
import itertools
import re
import sys
from collections.abc import Mapping

from ..core.engine import Var, _constant, topological_order
from ..core.parse import parse
from ..core.rules import as_real
from ..core.transforms import _is_array
from ..errors import ArgumentError, EntryError, ShapeError, UnknownInputError
from ..text import shape_words

STYLES = ("textbook", "intro")


class Recording:
    """A graph recorded once: ``output``, ``inputs`` (None: every leaf is an input),
    ``style``; ``order`` (every node, each after its inputs, in trace order),
    ``variables`` (the same without constants), ``names`` (the trace's names of the
    variables), ``ids`` (the names, and c1, c2, ... for constants), ``users`` (node ->
    [(user, argument index)]), ``output_name`` (what the trace's last row calls the
    output: y or f, or another name if an input has it). ``kind(node)`` is a node's role.

    ``Recording.of(f, point)`` runs f once on the point (see ``record``);
    ``Recording(output)`` takes a graph already built. ``point`` and ``seed`` are the
    values and the forward sweep's seeded input (None for a graph already built).
    """

    def __init__(self, output, inputs=None, style="textbook", point=None, seed=None):
        if not is_node(output):
            raise ArgumentError(f"expected the output of a computation on Vars or Tensors, "
                                f"not {output!r}: for example x = ad.Var(2.0, name='x'); "
                                "f = x * x")
        check_style(style)
        self.output, self.style, self.point, self.seed = output, style, point, seed
        self.inputs = None if inputs is None else list(inputs)
        self.arrays = is_tensor(output)
        self.order = trace_order(output, self.inputs)
        self.variables = [n for n in self.order if not n.is_constant]
        self.names = _names(self.variables, output, self.inputs, style)
        constants = (n for n in self.order if n.is_constant)
        self.ids = {**self.names, **{n: f"c{k}" for k, n in enumerate(constants, 1)}}
        self.users = {node: [] for node in self.order}
        for user in self.order:
            for index, arg in enumerate(user.inputs):
                self.users[arg].append((user, index))
        leaves = [n for n in self.variables if n.op is None]
        self.output_name = (row_name(style, leaves) if style == "textbook" or not output.inputs
                            else self.names[output])
        self._given = None if inputs is None else set(self.inputs)
        self._sweep = None

    @classmethod
    def of(cls, f, point, signature=None, seed=None, style="textbook"):
        """Run f once at point ({input name: value}, as ``function_at`` gives it) and sweep
        back once; ``seed`` = (input name, entry) seeds forward mode on Tensors."""
        inputs, output = record(f, point, signature, seed)
        return cls(output, inputs, style, point, seed)

    def kind(self, node):
        """The role of a node: input, parameter, constant, intermediate or output. A leaf
        is an input, unless ``inputs`` was given and the leaf is not among them: then it is
        a parameter, a variable the function reads from outside (a weight matrix)."""
        if node is self.output:
            return "output"
        if node.op is None:
            return "parameter" if self._given is not None and node not in self._given else "input"
        return "constant" if node.is_constant else "intermediate"

    def find(self, wrt):
        """The node that wrt stands for: a node of the graph, or an input's own name
        (``"x1"``) or id (``"v-1"``)."""
        if is_node(wrt):
            if wrt not in self.ids:
                raise UnknownInputError(f"{wrt!r} is not part of the graph of the output")
            return wrt
        given = [node for node in self.order if node.op is None]
        for node in given:
            if wrt in (node.name, self.ids[node]):
                return node
        known = ", ".join(node.name or self.ids[node] for node in given) or "none"
        raise UnknownInputError(f"the graph has no input named {wrt!r} (its inputs: {known})")

    def find_inputs(self, wrt):
        """The input nodes that wrt names (a name or node, several, or "all": every input),
        in trace order; None names none."""
        if wrt is None:
            return []
        if isinstance(wrt, str) and wrt == "all":
            return [n for n in self.order if n.op is None]
        found = {self.find(w) for w in (wrt if isinstance(wrt, (list, tuple, set)) else [wrt])}
        return [n for n in self.order if n in found]

    @property
    def sweep(self):
        """The reverse sweep's steps, swept once by the engine's own loop (see
        ``sweeps.record_sweep``)."""
        if self._sweep is None:
            from .sweeps import record_sweep

            self._sweep = record_sweep(self)
        return self._sweep


def recorded(output, inputs=None, style="textbook"):
    """output as a Recording: a Recording passes through as it is (its own inputs and
    style hold), an output is recorded."""
    if isinstance(output, Recording):
        return output
    return Recording(output, inputs, style)


def is_tensor(x):
    """True for a Tensor. A graph of Vars needs no NumPy, so adlearn.core.tensor is looked
    up only if something imported it already (a Tensor cannot exist otherwise)."""
    tensor = sys.modules.get("adlearn.core.tensor")
    return tensor is not None and isinstance(x, tensor.Tensor)


def is_node(x):
    """True for a node of a graph: a Var or a Tensor."""
    return isinstance(x, Var) or is_tensor(x)


def trace_order(output, inputs=None):
    """Every node the output depends on, in trace order (see the module docstring).

    ``inputs`` (a sequence of Vars, such as a function's arguments) come first in that
    order, even an input the output does not use; other input Vars the output depends on
    follow in the order they are reached. Then come the constants (op "const"), in the
    order they are reached, then the intermediates. No recursion, so graphs may be deep.
    """
    reached = topological_order(output)  # it visits arguments left to right, as Python does
    generation = {}
    for node in reached:  # every node comes after its inputs
        generation[node] = 1 + max((generation[c] for c in node.inputs), default=-1)
    first = list(dict.fromkeys(inputs or ()))
    given = set(first)
    leaves = [n for n in reached if not n.inputs and n not in given]
    position = {node: i for i, node in enumerate(reached)}
    intermediates = sorted((n for n in reached if n.inputs and n not in given),
                           key=lambda n: (generation[n], position[n]))
    return (first + [n for n in leaves if not n.is_constant]
            + [n for n in leaves if n.is_constant] + intermediates)


def _names(nodes, output, inputs, style):
    """``{node: name}`` for the variables (in trace order), in a style (module docstring)."""
    given = set(inputs or ())
    if style == "textbook":
        n_inputs = sum(1 for n in nodes if n in given or not n.inputs)  # they come first
        return {node: f"v{i + 1 - n_inputs}" for i, node in enumerate(nodes)}
    # intro: an input named like x2 keeps its name; the others count around such names
    own = {n: n.name for n in nodes if n.op is None and re.fullmatch(r"x[1-9]\d*", n.name or "")}
    taken, names = set(own.values()), {}
    numbers = (f"x{k}" for k in itertools.count(1) if f"x{k}" not in taken)
    for node in nodes:
        names[node] = own[node] if node in own and own[node] not in names.values() else next(numbers)
    if output.inputs and "f" not in {n.name for n in nodes if n.op is None}:
        names[output] = "f"
    return names


def row_name(style, inputs=()):
    """What the trace's output row is called: y in the textbook style, f in the intro
    style, or, if an input already has that name, the other one (or out, out1, ...)."""
    taken = {x.name for x in inputs}
    preferred = ("y", "f") if style == "textbook" else ("f", "y")
    names = itertools.chain(preferred, ["out"], (f"out{k}" for k in itertools.count(1)))
    return next(n for n in names if n not in taken)


def check_style(style):
    if style not in STYLES:
        raise ArgumentError(f"style must be one of {', '.join(map(repr, STYLES))}, not {style!r}")


# --- Running f once at a point ---------------------------------------------------------


def record(f, point, signature=None, seed=None):
    """Call f on input Vars named and valued as in point, then sweep backward; if a value
    is an array (see ``function_at``), on input Tensors, and then f must return one number.

    Returns ``(inputs, output)``. When f returns a plain number (it does not depend on
    its inputs), the output is a constant node, so a caller always gets a graph. On
    Tensors, ``seed`` = (input name, entry) gives that input the tangent 1 at that entry
    and 0 elsewhere, so the forward pass computes every node's tangent (forward mode).
    """
    arrays = has_arrays(point)
    if arrays:
        from ..core import tensor

        inputs = [tensor.Tensor(value, name=name) for name, value in point.items()]
        if seed is not None:
            leaf = inputs[list(point).index(seed[0])]
            leaf.tangent = tensor.np.zeros(leaf.shape)
            leaf.tangent[seed[1]] = 1.0
    else:
        inputs = [Var(value, name=name) for name, value in point.items()]
    call = (signature or inspect.signature(f)).bind_partial()
    call.arguments.update(zip(point, inputs))
    output = f(*call.args, **call.kwargs)
    if arrays:
        output = output if isinstance(output, tensor.Tensor) else tensor.constant(output)
        if output.size != 1:
            raise ShapeError(
                f"f must return one number to be traced (the adjoint trace starts from "
                f"ȳ = 1), but it returned {shape_words(output.shape)}: return its "
                "sum, or one of its entries")
    elif not isinstance(output, Var):
        output = _constant(as_real(output, "the value returned by f"))
    output.backward()
    return inputs, output


def has_arrays(point):
    """Whether a point (as ``function_at`` returns it) has an array among its values."""
    return any(not isinstance(value, float) for value in point.values())


def seed_entry(point, seed):
    """The tangent trace's seed as (input name, entry): ``"x1"`` for a number, ``"W[0, 1]"``
    for one entry of an array (entry () for a number); by default the first input, at
    its first entry."""
    if seed is None:
        name = next(iter(point))
        return name, (0,) * getattr(point[name], "ndim", 0)
    found = re.fullmatch(r"\s*([^\[\]]*?)\s*(?:\[([^\[\]]*)\])?\s*", seed) if isinstance(
        seed, str) else None
    if found is None or found[1] not in point:
        raise UnknownInputError(f"seed {seed!r} is not an input of f; "
                                f"its inputs are {', '.join(point)}")
    name, index = found.groups()
    shape = getattr(point[name], "shape", ())
    first = f"{name}[{', '.join('0' * len(shape))}]"
    if index is None:
        if shape:
            raise ArgumentError(f"seed {seed!r} is an array of shape {shape}: seed one of "
                                f"its entries, as in seed=\"{first}\"")
        return name, ()
    try:
        entry = tuple(int(i) for i in index.split(",")) if index.strip() else ()
    except ValueError:
        entry = None
    if entry is None or len(entry) != len(shape) or not all(
            0 <= i < n for i, n in zip(entry, shape)):
        raise EntryError(f"seed {seed!r} picks no entry of {name}, whose shape is {shape}: "
                         f"give one whole number from 0 per axis, as in \"{first}\"")
    return name, entry


def function_at(f, args, values, style, options):
    """The start of ``ad.trace`` and ``ad.explore``: f as a callable (expression text is
    parsed), its signature and {input name: value} (a float, or an array:
    ``input_value``), with the style checked. ``options`` are the caller's own keywords,
    named in the hint when f has an input of the same name."""
    if isinstance(f, str):
        f = parse(f)
    if len(args) == 1 and isinstance(args[0], Mapping):  # the point as one mapping
        twice = sorted(set(args[0]) & set(values))
        if twice:
            raise ArgumentError(f"{twice[0]} got two values, in the mapping and by name")
        args, values = (), {**args[0], **values}
    signature, point = bind_point(f, args, values, options)
    check_style(style)
    if not point:
        raise ArgumentError("f has no inputs, so there is nothing to differentiate")
    return f, signature, {name: input_value(v, name) for name, v in point.items()}


def input_value(value, name):
    """An input's value: a float, or for an array (a list, a NumPy array, a Tensor) a
    float64 NumPy array of finite numbers; else an adlearn error naming the input."""
    if not _is_array(value):
        return as_real(value, f"the value of {name}")
    from ..core.tensor import Tensor, as_array

    return as_array(value.value if isinstance(value, Tensor) else value, f"the value of {name}")


def bind_point(f, args, values, options=()):
    """f's signature and {parameter name: value}, in f's order, from args and values."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):
        raise ArgumentError(f"trace needs a Python function or an expression text, "
                            f"not {f!r}") from None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = [p for p in signature.parameters.values() if p.kind in kinds]
    names = [p.name for p in params]
    if len(args) > len(params):
        raise ArgumentError(f"f takes {len(params)} inputs ({', '.join(names) or 'none'}), "
                            f"but got {len(args)} values")
    given = dict(zip(names, args))
    for name, value in values.items():
        if name not in names:
            raise UnknownInputError(f"f has no input {name!r}; its inputs are "
                                    f"{', '.join(names) or 'none'}")
        if name in given:
            raise ArgumentError(f"{name} got two values, by position and by name")
        given[name] = value
    for p in params:
        if p.name not in given and p.default is inspect.Parameter.empty:
            hint = (f"; {p.name}= is also an option here, so give the point as one mapping: "
                    f"{{{', '.join(repr(n) + ': ...' for n in names)}}}"
                    if p.name in options else "")
            raise ArgumentError(f"no value for {p.name}: pass {p.name}=... "
                                f"(f's inputs are {', '.join(names)}){hint}")
    return signature, {name: given[name] for name in names if name in given}
