"""A safe parser: expression text to a Python callable, never through eval or exec.

``parse("log(x1) + x1*x2 - sin(x2)")`` reads the text with Python's own ``ast`` module,
accepts only a small whitelist (numbers, variable names, ``+ - * / **``, unary minus,
calls of the table's functions) and compiles it into a list of steps for a tiny stack
machine. Anything else (attributes, subscripts, lambdas, ``__import__(...)``, unknown
functions) is rejected with a ``ParseError`` that points at the offending part.
"""

import ast
import inspect
import math
import operator
import re
import sys

from . import functions
from ..errors import ParseError
from .rules import Operand, as_real, evaluate

FUNCTIONS = {
    name: getattr(functions, name)
    for name in ("exp", "log", "ln", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs")
}
CONSTANTS = {"pi": math.pi}


def _arithmetic(rule, python_operator):
    """python_operator on Vars and Duals (their operators apply the rule table); on plain
    numbers the rule itself, so ``1/0`` or ``(-8)**(1/3)`` is an adlearn error too."""
    def apply(*args):
        if any(isinstance(a, Operand) for a in args):
            return python_operator(*args)
        values = [as_real(a, "a value in the expression") for a in args]
        return evaluate(rule, values, with_partials=False)[0]
    return apply


_BINARY = {ast.Add: _arithmetic("add", operator.add), ast.Sub: _arithmetic("sub", operator.sub),
           ast.Mult: _arithmetic("mul", operator.mul),
           ast.Div: _arithmetic("div", operator.truediv),
           ast.Pow: _arithmetic("powc", operator.pow)}  # a number's exponent is a constant
_UNARY = {ast.USub: _arithmetic("neg", operator.neg), ast.UAdd: operator.pos}
_HINTS = {ast.BitXor: "use ** for powers, not ^", ast.FloorDiv: "use / for division",
          ast.Mod: "% is not a differentiable operation here"}
MAX_LENGTH = 10_000


class Expression:
    """A parsed expression: call it with its variables, by position or by name.

    ``variables`` lists the variable names in order of first appearance; they are the
    parameters, so ``parse("x1*x2")(2, 3)`` and ``parse("x1*x2")(x1=2, x2=3)`` agree, and
    the arguments may be floats, Vars or Duals.
    """

    def __init__(self, text, variables, steps):
        self.text, self.variables, self._steps = text, variables, steps
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(v, inspect.Parameter.POSITIONAL_OR_KEYWORD) for v in variables]
        )

    def __call__(self, /, *args, **kwargs):  # positional-only: a variable may be called self
        try:
            bound = self.__signature__.bind(*args, **kwargs)
        except TypeError as exc:
            names = ", ".join(self.variables) or "no variables"
            raise TypeError(f"{exc}; the expression {self.text!r} takes {names}") from None
        values = bound.arguments
        stack = []
        for kind, what, count in self._steps:
            if kind == "number":
                stack.append(what)
            elif kind == "variable":
                stack.append(values[what])
            else:  # apply a function to the top `count` entries
                args = stack[len(stack) - count:]
                del stack[len(stack) - count:]
                stack.append(what(*args))
        return stack[0]

    def __repr__(self):
        return f"parse({self.text!r})"


def parse(text):
    """Compile expression text into an ``Expression`` (see the module docstring)."""
    if not isinstance(text, str):
        raise TypeError(f"parse needs the expression as text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the expression is longer than {MAX_LENGTH} characters", text[:60], 0, 60)
    if not text.strip():
        raise ParseError("the expression is empty", text, 0)
    text = text.strip()
    surrogate = next((i for i, ch in enumerate(text) if "\ud800" <= ch <= "\udfff"), None)
    if surrogate is not None:  # what Python makes of a byte that is not UTF-8, or half a pair
        raise ParseError(f"the expression has a character that is not text (U+{ord(text[surrogate]):04X}, "
                         "a byte that is not UTF-8 or half of a surrogate pair)",
                         re.sub("[\ud800-\udfff]", "\ufffd", text), surrogate)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, MAX_LENGTH))  # the tree of a flat sum is as deep as it is long
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        start = _index(text, exc.lineno or 1, max((exc.offset or 1) - 1, 0), in_bytes=False)
        end = (_index(text, exc.end_lineno or exc.lineno or 1, exc.end_offset - 1, in_bytes=False)
               if exc.end_offset else None)
        raise ParseError(f"this is not a valid expression ({exc.msg})", text, start, end) from None
    except (RecursionError, MemoryError):  # Python's parser counts nesting, not length
        raise ParseError("the expression is nested too deeply", text[:60], 0, 60) from None
    finally:
        sys.setrecursionlimit(limit)
    compiler = _Compiler(text)
    compiler.compile(tree.body)
    return Expression(text, tuple(compiler.variables), compiler.steps)


class _Compiler:
    """Walks the whitelisted AST and emits stack-machine steps in evaluation order."""

    def __init__(self, text):
        self.text, self.steps, self.variables = text, [], []

    def reject(self, node, message):
        raise ParseError(message, self.text, _index(self.text, node.lineno, node.col_offset),
                         _index(self.text, node.end_lineno, node.end_col_offset))

    def compile(self, root):
        """Emit the steps of the tree at root: each node's arguments, then the node. A loop
        over a to-do list, not a recursion, so a long sum is no deeper than a short one."""
        todo = [root]
        while todo:
            node = todo.pop()
            if isinstance(node, tuple):  # a step, due now that its arguments are emitted
                self.steps.append(node)
            elif isinstance(node, ast.Constant):
                self.number(node)
            elif isinstance(node, ast.Name):
                self.name(node)
            elif isinstance(node, ast.BinOp):
                if type(node.op) not in _BINARY:
                    hint = _HINTS.get(type(node.op), "only + - * / ** are allowed")
                    self.reject(node, f"this operator is not allowed: {hint}")
                todo += [("apply", _BINARY[type(node.op)], 2), node.right, node.left]
            elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
                todo += [("apply", _UNARY[type(node.op)], 1), node.operand]
            elif isinstance(node, ast.Call):
                self.check_call(node)
                todo += [("apply", FUNCTIONS[node.func.id], 1), node.args[0]]
            else:
                self.reject(node, f"{_construct_name(node)} is not allowed in an expression: "
                                  "use numbers, variables, + - * / ** and functions such as sin(x)")

    def number(self, node):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            self.reject(node, f"{node.value!r} is not a real number")
        try:
            value = float(node.value)
        except OverflowError:  # a whole number of more than 308 digits
            value = math.inf
        if math.isinf(value):  # 1e400 is inf to Python
            self.reject(node, "this number is too large for a float (the largest float is "
                              "about 1.8e308)")
        self.steps.append(("number", value, 0))

    def name(self, node):
        if node.id in CONSTANTS:
            self.steps.append(("number", CONSTANTS[node.id], 0))
        elif node.id in FUNCTIONS:
            self.reject(node, f"{node.id} is a function: call it, as in {node.id}(x)")
        elif node.id.startswith("_"):
            self.reject(node, f"names starting with _ are not allowed: {node.id}")
        else:
            if node.id not in self.variables:
                self.variables.append(node.id)
            self.steps.append(("variable", node.id, 0))

    def check_call(self, node):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            called = ast.get_source_segment(self.text, node.func) or ast.unparse(node.func)
            self.reject(node.func, f"unknown function {called!r}: the functions are {known}")
        if node.keywords or len(node.args) != 1:
            self.reject(node, f"{node.func.id} takes exactly one argument, as in {node.func.id}(x)")


def _index(text, lineno, column, in_bytes=True):
    """The index in text of a position Python reports as a line (from 1) and a column.

    The ast module counts columns in UTF-8 bytes (``π`` is two), SyntaxError in characters.
    """
    lines = text.splitlines(keepends=True) or [""]
    line = lines[min(lineno, len(lines)) - 1]
    if in_bytes:
        column = len(line.encode()[:column].decode(errors="ignore"))
    return sum(len(earlier) for earlier in lines[: lineno - 1]) + column


def _construct_name(node):
    kinds = {ast.Attribute: "an attribute (a.b)", ast.Subscript: "a subscript (a[b])",
             ast.Lambda: "a lambda", ast.Compare: "a comparison", ast.BoolOp: "and/or",
             ast.IfExp: "an if-expression", ast.Starred: "a starred argument",
             ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict",
             ast.JoinedStr: "an f-string", ast.NamedExpr: "an assignment (:=)"}
    return kinds.get(type(node), f"a {type(node).__name__} expression")
