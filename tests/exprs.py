"""Random expressions over the whole rule table, for property-based tests (hypothesis).

``expressions()`` is a hypothesis strategy that draws an ``Expr``: a small computation
graph over 1 to 3 inputs, together with the point where it is evaluated. Nodes may be
used more than once (shared subexpressions), so the graph is a DAG, not only a tree.

The same ``Expr`` evaluates over floats, ``Var``s and ``Dual``s (``expr(*args)``) and
builds a SymPy expression (``expr.sympy(*symbols)``), so each test can compare a mode of
differentiation with an independent oracle. The SymPy forms here are written with
SymPy's own functions, not read from adlearn's rule table, so the table is checked,
not trusted.

Every operand is kept inside its function's domain at the drawn point: the graph is
built bottom-up with the value of every node known, and an argument that would leave
the domain gets a guard made of table operations (``u*u + c`` for log, sqrt, a
denominator or a base; ``sin u`` for tan near a pole; ``u + 0.5`` near the kink of relu
and abs). A step whose value would grow beyond ``LIMIT`` is dropped, so values and
derivatives stay in a range where float round-off is small.

    from exprs import expressions

    @given(expressions())
    def test_something(expr):
        xs, y = expr.graph()       # input Vars x1, x2, ... and the output Var
        y.backward()
"""

import contextlib
import math
import operator
import resource
import signal

import sympy as sp
from hypothesis import strategies as st

import adlearn as ad

OPS = ("add", "sub", "mul", "div", "neg", "powc", "cpow", "pow", "exp", "log", "sqrt",
       "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs")
ARITY = {op: 2 if op in ("add", "sub", "mul", "div", "powc", "cpow", "pow") else 1 for op in OPS}

# How each operation is applied to floats, Vars and Duals (the public API a learner uses).
PYTHON = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "div": operator.truediv, "neg": operator.neg, "powc": operator.pow, "cpow": operator.pow,
    "pow": operator.pow, "exp": ad.exp, "log": ad.log, "sqrt": ad.sqrt, "sin": ad.sin,
    "cos": ad.cos, "tan": ad.tan, "tanh": ad.tanh, "sigmoid": ad.sigmoid,
    "relu": ad.relu, "abs": abs,
}

# The same operations in SymPy, written independently of adlearn's rule table.
SYMPY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "div": operator.truediv, "neg": operator.neg, "powc": operator.pow, "cpow": operator.pow,
    "pow": operator.pow, "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "sin": sp.sin,
    "cos": sp.cos, "tan": sp.tan, "tanh": sp.tanh,
    "sigmoid": lambda a: 1 / (1 + sp.exp(-a)),
    "relu": lambda a: sp.Max(a, 0), "abs": sp.Abs,
}

TEXT = {"add": "({} + {})", "sub": "({} - {})", "mul": "({} * {})", "div": "({} / {})",
        "neg": "(-{})", "powc": "({} ** {})", "cpow": "({} ** {})", "pow": "({} ** {})"}

LIMIT = 100.0  # largest |value| of a node
POWC_EXPONENTS = (2.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5)


class Expr:
    """A computation graph in steps, and the point (one float per input) to evaluate it at.

    Nodes 0 .. n_inputs-1 are the inputs; step k makes node n_inputs + k. A step is
    ``(op, operands)``, where an operand is an ``int`` (a node) or a ``float`` (a Python
    number mixed in, as in ``2*x``). The output is the last node.
    """

    def __init__(self, point, steps=()):
        self.point, self.steps = tuple(point), list(steps)

    @property
    def n_inputs(self):
        return len(self.point)

    def evaluate(self, args, table):
        nodes = list(args)
        for op, operands in self.steps:
            nodes.append(table[op](*(nodes[a] if type(a) is int else a for a in operands)))
        return nodes[-1]

    def __call__(self, *args):
        """The output over floats, Vars or Duals (one argument per input)."""
        return self.evaluate(args, PYTHON)

    def graph(self):
        """Input Vars named x1, x2, ... at the point, and the output Var recorded from them."""
        xs = [ad.Var(v, name=f"x{i + 1}") for i, v in enumerate(self.point)]
        return xs, self(*xs)

    def sympy(self, *symbols):
        """The output as a SymPy expression of the given symbols; constants are exact."""
        exact = {op: (lambda fn: lambda *a: fn(*(sp.Rational(x) if type(x) is float else x
                                                  for x in a)))(fn)
                 for op, fn in SYMPY.items()}
        return self.evaluate(symbols, exact)

    @property
    def text(self):
        """The expression as Python text over x1, x2, x3 (which ``adlearn.core.parse`` reads)."""
        names = [f"x{i + 1}" for i in range(self.n_inputs)]
        return self.evaluate(names, {op: _text(op) for op in OPS})

    def __repr__(self):
        point = ", ".join(f"x{i + 1}={v!r}" for i, v in enumerate(self.point))
        return f"<Expr {self.text} at {point}>"


def _text(op):
    pattern = TEXT.get(op, op + "({})")
    return lambda *a: pattern.format(*(repr(x) if type(x) is float else x for x in a))


def _value(op, operands, values):
    """The float value of a step, or None if it fails or leaves the range."""
    try:
        v = PYTHON[op](*(values[a] if type(a) is int else a for a in operands))
    except (ArithmeticError, ValueError):
        return None
    if isinstance(v, complex) or not abs(v) <= LIMIT:
        return None
    return float(v)


@st.composite
def expressions(draw, max_inputs=3, max_steps=8, ops=OPS, low=-2.0, high=2.0):
    """A random ``Expr`` over ``ops`` with 1..max_inputs inputs and up to max_steps operations."""
    n = draw(st.integers(1, max_inputs))
    point = draw(st.lists(st.floats(low, high, allow_nan=False), min_size=n, max_size=n))
    values = list(point)
    steps = []

    def add(op, *operands):
        """Append a step to `pending`; return its node index, or None if it is out of range."""
        v = _value(op, operands, values + pending_values)
        if v is None:
            return None
        pending.append((op, operands))
        pending_values.append(v)
        return len(values) + len(pending) - 1

    def value_of(a):
        return a if type(a) is float else (values + pending_values)[a]

    def positive(a, margin=0.1):
        """Node a itself if its value exceeds margin, else a*a + c (c >= 0.25), which does."""
        if value_of(a) > margin:
            return a
        c = draw(st.floats(0.25, 2.0))
        square = add("mul", a, a)
        return None if square is None else add("add", square, c)

    for _ in range(draw(st.integers(1, max_steps))):
        pending, pending_values = [], []
        op = draw(st.sampled_from(ops))
        a = draw(st.integers(0, len(values) - 1))
        if ARITY[op] == 1:
            b = None
        elif op == "powc":
            b = draw(st.sampled_from(POWC_EXPONENTS))
        elif op == "cpow":  # a number to a variable power: 2 ** x
            a, b = draw(st.floats(0.1, 3.0)), a
        elif draw(st.booleans()):
            b = draw(st.integers(0, len(values) - 1))  # may be a again: x*x shares an input
        else:
            b = draw(st.floats(-3.0, 3.0).filter(lambda c: abs(c) > 0.1))  # as in 2*x
        if op == "pow" or (op == "powc" and not b.is_integer()):
            a = positive(a)
        elif op == "powc" and b < 0 and abs(value_of(a)) < 0.1:
            a = positive(a)
        elif op in ("log", "sqrt"):
            a = positive(a)
        elif op == "div" and abs(value_of(b)) < 0.1:
            b = positive(b)
        elif op == "tan" and abs(math.cos(value_of(a))) < 0.2:
            a = add("sin", a)
        elif op in ("relu", "abs") and abs(value_of(a)) < 0.1:
            a = add("add", a, 0.5)
        operands = (a,) if ARITY[op] == 1 else (a, b)
        if None not in operands and add(op, *operands) is not None:
            steps.extend(pending)
            values.extend(pending_values)
    # The output adds up every node no other step uses, so each step counts.
    used = {a for _, operands in steps for a in operands if type(a) is int}
    sinks = [k for k in range(n, len(values)) if k not in used]
    total = sinks[0] if sinks else None
    for k in sinks[1:]:
        steps.append(("add", (total, k)))
        values.append(values[total] + values[k])
        total = len(values) - 1
    return Expr(point, steps)


ORACLE_SECONDS = 20  # SymPy on a rare expression can take many minutes (seen in a run)
ORACLE_BYTES = 2 * 2**30  # ... or a whole machine's memory in one integer power (seen too)


@contextlib.contextmanager
def oracle_time(seconds=ORACLE_SECONDS, more_bytes=ORACLE_BYTES):
    """Give SymPy, the oracle, at most ``seconds`` and ``more_bytes`` of address space
    beyond what the process holds for one drawn expression: past either the example is
    set aside (hypothesis's ``reject``), never counted as a pass. The alarm cannot stop
    one long multiplication of huge integers in C (mpmath's backend); the memory limit
    makes it fail at once with a MemoryError."""
    from hypothesis import reject

    def too_slow(signum, frame):
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, too_slow)
    limits = resource.getrlimit(resource.RLIMIT_AS)
    held = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    hard = limits[1]
    soft = held + more_bytes if hard == resource.RLIM_INFINITY else min(hard, held + more_bytes)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    signal.alarm(seconds)
    try:
        yield
    except (TimeoutError, MemoryError):
        reject()
    finally:
        signal.alarm(0)
        resource.setrlimit(resource.RLIMIT_AS, limits)
        signal.signal(signal.SIGALRM, previous)


def exact_point(symbols, point):
    """The point as 50-digit floats (each float's exact binary value): an exact rational
    raised to a large power can take SymPy minutes and gigabytes."""
    import sympy as sp

    return {s: sp.Float(v, 50) for s, v in zip(symbols, point)}
