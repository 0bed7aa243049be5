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

from . import functions
from .errors import ParseError
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

    def __call__(self, *args, **kwargs):
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
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        text = text.strip()
        start = _index(text, exc.lineno or 1, max((exc.offset or 1) - 1, 0), in_bytes=False)
        end = (_index(text, exc.end_lineno or exc.lineno or 1, exc.end_offset - 1, in_bytes=False)
               if exc.end_offset else None)
        raise ParseError(f"this is not a valid expression ({exc.msg})", text, start, end) from None
    except (RecursionError, MemoryError):
        raise ParseError("the expression is nested too deeply", text[:60], 0, 60) from None
    compiler = _Compiler(text.strip())
    try:
        compiler.compile(tree.body)
    except RecursionError:
        raise ParseError("the expression is nested too deeply", text[:60], 0, 60) from None
    return Expression(text.strip(), tuple(compiler.variables), compiler.steps)


class _Compiler:
    """Walks the whitelisted AST and emits stack-machine steps in evaluation order."""

    def __init__(self, text):
        self.text, self.steps, self.variables = text, [], []

    def reject(self, node, message):
        raise ParseError(message, self.text, _index(self.text, node.lineno, node.col_offset),
                         _index(self.text, node.end_lineno, node.end_col_offset))

    def compile(self, node):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                self.reject(node, f"{node.value!r} is not a real number")
            self.steps.append(("number", float(node.value), 0))
        elif isinstance(node, ast.Name):
            self.name(node)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                hint = _HINTS.get(type(node.op), "only + - * / ** are allowed")
                self.reject(node, f"this operator is not allowed: {hint}")
            self.compile(node.left)
            self.compile(node.right)
            self.steps.append(("apply", _BINARY[type(node.op)], 2))
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            self.compile(node.operand)
            self.steps.append(("apply", _UNARY[type(node.op)], 1))
        elif isinstance(node, ast.Call):
            self.call(node)
        else:
            self.reject(node, f"{_describe(node)} is not allowed in an expression: "
                              "use numbers, variables, + - * / ** and functions such as sin(x)")

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

    def call(self, node):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            what = f"'{node.func.id}'" if isinstance(node.func, ast.Name) else "this"
            self.reject(node.func, f"unknown function {what}: the functions are {known}")
        if node.keywords or len(node.args) != 1:
            self.reject(node, f"{node.func.id} takes exactly one argument, as in {node.func.id}(x)")
        self.compile(node.args[0])
        self.steps.append(("apply", FUNCTIONS[node.func.id], 1))


def _index(text, lineno, column, in_bytes=True):
    """The index in text of a position Python reports as a line (from 1) and a column.

    The ast module counts columns in UTF-8 bytes (``π`` is two), SyntaxError in characters.
    """
    lines = text.splitlines(keepends=True) or [""]
    line = lines[min(lineno, len(lines)) - 1]
    if in_bytes:
        column = len(line.encode()[:column].decode(errors="ignore"))
    return sum(len(earlier) for earlier in lines[: lineno - 1]) + column


def _describe(node):
    kinds = {ast.Attribute: "an attribute (a.b)", ast.Subscript: "a subscript (a[b])",
             ast.Lambda: "a lambda", ast.Compare: "a comparison", ast.BoolOp: "and/or",
             ast.IfExp: "an if-expression", ast.Starred: "a starred argument",
             ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict",
             ast.JoinedStr: "an f-string", ast.NamedExpr: "an assignment (:=)"}
    return kinds.get(type(node), f"a {type(node).__name__} expression")
