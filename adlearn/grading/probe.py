"""What the learner's code produces, as plain data: the only thing a grader asks a kernel.

A grader never sends an answer into the learner's kernel and never lets it report a
verdict. It sends a *probe*: the name the learner bound, how to use it (its ``kind``)
and the cases to try, as JSON. ``run`` (in the kernel) answers with the outputs as
JSON, and the grader judges them outside against references the kernel never sees.
The learner's own ``check`` uses the same code on the public cases.

The wire format of a case is ``{"args": [...], "graph": [...], "points": [...]}``.
Arguments are JSON values, with three tagged kinds:

- ``{"tuple": [...]}``: a tuple;
- ``{"array": [[...], ...], "shape": [2, 3]}``: a NumPy array, its entries as nested
  lists (so a matrix and its transpose differ in shape, and are judged, not crashed on);
- ``{"expr": "x**3 - 2*x"}``: a function of one variable, parsed by adlearn's safe
  parser (never eval'ed), for a question such as ``central_difference(f, x, h)``;
- ``{"node": i}``: node ``i`` of the case's ``graph``, a list of nodes in topological
  order: ``{"name": "x", "value": 3.0}`` (an input), ``{"const": 2.0}`` (a constant) or
  ``{"op": "mul", "in": [0, 0]}`` (an operation of the rule table on earlier nodes).

Outputs are encoded back the same way (a node of the case's graph as ``{"node": i}``, a
NumPy array or a Tensor's value as an array, a NumPy number as a number);
each case's outcome is ``{"value": ...}`` or ``{"raised": name, "message": text}``.
"""

import json
import math
import numbers

from . import rules

MAX_ITEMS = 10_000  # an output larger than this is refused, not judged
KINDS = ("value", "call", "values_at", "call_values_at", "adjoints", "value_and_grad")


class Unencodable(Exception):
    """An output that is not plain data (a module, a generator, a huge list)."""


# --- arguments: data -> Python objects (in the kernel and in the grader alike) -------


def build_graph(nodes):
    """The Var nodes of a graph given as data (see the module docstring), in order."""
    from ..core.engine import Var

    built = []
    for node in nodes:
        if "op" in node:
            built.append(Var._apply(node["op"], *(built[i] for i in node["in"])))
        elif "const" in node:
            constant = Var(node["const"])
            constant.op = "const"
            built.append(constant)
        else:
            built.append(Var(node["value"], name=node.get("name")))
    return built


def decode(data, nodes=()):
    """An argument from its wire form."""
    if isinstance(data, list):
        return [decode(item, nodes) for item in data]
    if isinstance(data, dict):
        if "tuple" in data:
            return tuple(decode(item, nodes) for item in data["tuple"])
        if "expr" in data:
            from ..core.parse import parse

            return parse(data["expr"])
        if "node" in data:
            return nodes[data["node"]]
        if is_array(data):
            import numpy as np

            return np.array(data["array"], dtype=float if not data["array"] else None
                            ).reshape(data["shape"])
        return {key: decode(value, nodes) for key, value in data.items()}
    return data


# --- outputs: Python objects -> data ---------------------------------------------------


def encode(value, nodes=(), budget=None):
    """An output as JSON data; Vars of the case's graph as {"node": i}."""
    from ..core.engine import Var

    budget = budget if budget is not None else [MAX_ITEMS]
    budget[0] -= 1
    if budget[0] < 0:
        raise Unencodable(f"more than {MAX_ITEMS} items")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, Var):
        for i, node in enumerate(nodes):
            if node is value:
                return {"node": i}
        return value.value
    if isinstance(value, (list, tuple)):
        return [encode(item, nodes, budget) for item in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: encode(v, nodes, budget) for k, v in value.items()}
    return _encode_array(value, budget)


def _encode_array(value, budget):
    """A NumPy array (or a Tensor's value) as {"array": nested lists, "shape": [...]}; a
    NumPy number or a 0-d array as a number. NumPy is imported only for such a value."""
    import numpy as np

    from ..core.tensor import Tensor

    if isinstance(value, Tensor):
        value = value.value
    if not isinstance(value, (np.ndarray, np.generic)):
        raise Unencodable(f"a {type(value).__name__}")
    if value.dtype.kind not in "biuf":
        raise Unencodable(f"an array of {value.dtype}")
    budget[0] -= value.size
    if budget[0] < 0:
        raise Unencodable(f"more than {MAX_ITEMS} items")
    if value.ndim == 0:
        return value.item()
    return {"array": value.tolist(), "shape": list(value.shape)}


def is_array(data):
    """Whether data is an array in its wire form."""
    return isinstance(data, dict) and set(data) == {"array", "shape"}


def array_form(data):
    """data as an array in its wire form, if it is one or a regular nesting of lists of
    numbers (a learner may return ``[[1, 2], [3, 4]]`` for a matrix); else None."""
    if is_array(data):
        return data
    shape, level = [], [data]
    while all(isinstance(x, list) for x in level) and level:
        if len({len(x) for x in level}) != 1:
            return None
        shape.append(len(level[0]))
        level = [item for x in level for item in x]
    if not shape or not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                            for x in level):
        return None
    return {"array": data, "shape": shape}


def values_at(expressions, points):
    """The values of a SymPy expression (or a list of them) at points {name: number},
    substituted exactly (as rationals), so an expanded polynomial suffers no round-off."""
    import sympy as sp

    many = isinstance(expressions, (list, tuple))
    values = []
    for expr in (expressions if many else [expressions]):
        if not isinstance(expr, sp.Basic):
            raise TypeError(f"expected a SymPy expression, got {type(expr).__name__}")
        row = []
        for point in points:
            names = {s.name for s in expr.free_symbols}
            if not names <= point.keys():
                raise ValueError("the expression has symbols other than "
                                 f"{', '.join(point)}: {', '.join(sorted(names - point.keys()))}")
            exact = {s: sp.Rational(point[s.name]) for s in expr.free_symbols}
            row.append(float(expr.subs(exact)))
        values.append(row)
    return values if many else values[0]


FLOATS_ONLY = "works on floats only"  # a function that reverse mode cannot differentiate


def output(kind, answer, case, k=3):
    """What answer produces on one case (decoded), as data; raises what the answer raises."""
    nodes = build_graph(case.get("graph", ()))
    args = decode(case.get("args", []), nodes)
    if kind == "value":
        result = answer
    elif kind == "values_at":
        result = values_at(answer, case["points"])
    elif kind == "call_values_at":
        result = values_at(answer(*args), case["points"])
    elif kind == "adjoints":
        answer(*args)
        result = [node.grad for node in nodes]
    elif kind == "value_and_grad":
        result = _value_and_grad(answer, args, k)
    else:
        result = answer(*args)
    return encode(result, nodes)


def _value_and_grad(f, args, k):
    """Value and gradient in the first k arguments, by reverse mode (or FLOATS_ONLY)."""
    from ..core.transforms import value_and_grad

    head, rest = args[:k], args[k:]
    try:
        value, grads = value_and_grad(lambda *params: f(*params, *rest))(*head)
    except TypeError:
        if not isinstance(f(*head, *rest), (int, float)):
            raise
        return FLOATS_ONLY
    return [value, list(grads)]


def outcomes(kind, answer, cases):
    """Each case's outcome: {"value": data} or {"raised": name, "message": text}."""
    import warnings

    results = []
    with warnings.catch_warnings():  # a warning would go to stderr, which nbgrader fails
        warnings.simplefilter("ignore")
        for case in cases:
            try:
                results.append({"value": output(kind, answer, case)})
            except Exception as exc:  # the learner's code failed: say how
                results.append({"raised": type(exc).__name__, "message": str(exc)[:300]})
    return results


def run(namespace, probe_text):
    """In the kernel: the outcomes of the learner's answer on a probe's cases, as JSON.

    ``probe_text`` is ``{"name": ..., "kind": ..., "cases": [...], "guard": [...]}``
    (guard: the library names the question rules out, see rules.guard); an answer that
    is not defined gives ``{"missing": true}``.
    """
    probe = json.loads(probe_text)
    if probe["name"] not in namespace:
        return json.dumps({"missing": True})
    answer = namespace[probe["name"]]
    with rules.guard(probe.get("guard", ()), probe["name"], namespace):
        return json.dumps({"callable": callable(answer),
                           "outcomes": outcomes(probe["kind"], answer, probe["cases"])},
                          allow_nan=True)


def short(data):
    """An output or argument as a learner reads it, briefly."""
    if isinstance(data, float):
        return f"{data:.4g}" if math.isfinite(data) else str(data)
    if isinstance(data, list):
        shown = ", ".join(short(x) for x in data[:6])
        return f"[{shown}{', ...' if len(data) > 6 else ''}]"
    if isinstance(data, dict):
        if set(data) == {"node"}:
            return f"node {data['node']}"
        if is_array(data):
            return f"an array of shape {tuple(data['shape'])}: {short(data['array'])}"
        return "{" + ", ".join(f"{k!r}: {short(v)}" for k, v in list(data.items())[:6]) + "}"
    text = repr(data)
    return text if len(text) <= 60 else text[:57] + "..."


# --- cases: Python objects -> data (on the grader's side, from a question table) ------


def wire(args, kind="call", variables=("x",)):
    """A case given as Python arguments in its wire form. Var arguments bring their
    graph; a parsed expression goes as its text; for ``values_at`` kinds the last
    argument is the points (numbers or tuples, for the ``variables`` in order)."""
    from ..core.engine import Var, topological_order
    from ..core.parse import Expression

    nodes, index = [], {}

    def add_graph(output):
        for node in topological_order(output):
            if id(node) in index:
                continue
            index[id(node)] = len(nodes)
            if node.inputs:
                nodes.append({"op": node.op, "in": [index[id(c)] for c in node.inputs]})
            elif node.is_constant:
                nodes.append({"const": node.value})
            else:
                nodes.append({"name": node.name, "value": node.value})

    def enc(a):
        if isinstance(a, Var):
            add_graph(a)
            return {"node": index[id(a)]}
        if isinstance(a, Expression):
            return {"expr": a.text}
        if isinstance(a, tuple):
            return {"tuple": [enc(x) for x in a]}
        if isinstance(a, list):
            return [enc(x) for x in a]
        if isinstance(a, dict):
            return {k: enc(v) for k, v in a.items()}
        if hasattr(a, "__array__"):  # a NumPy array
            return encode(a)
        return a

    case = {}
    if kind in ("values_at", "call_values_at"):
        *args, points = args
        case["points"] = [dict(zip(variables, p if isinstance(p, tuple) else (p,)))
                          for p in points]
    case["args"] = [enc(a) for a in args]
    if nodes:
        case["graph"] = nodes
    return case
