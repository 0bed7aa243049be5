"""What a question lets the learner use: its rule, and the rule applied to their code.

A question table states a rule in one line, ``rule="not ad.topological_order"`` (a
deny-list: these may not be used) or ``rule="only math, numpy"`` (an allow-list: the
answer may use these modules and functions, and builtins, and nothing else imported).
``ad.`` stands for ``adlearn.``. Library routes that compute the same thing count as the
thing (``ROUTES``): ruling out ``ad.derivative`` rules out ``ad.grad`` and ``sympy.diff``
(but ruling out ``ad.symbolic_grad`` leaves ``sympy.diff``, which a question may teach).

The rule is applied three times, each a backstop for the one before:

- ``uses``, by the grader outside the kernel, on the notebook it read: the question's
  solution cells and every learner-written function they call into. Names are resolved
  with ``ast`` to what they denote (import aliases, ``from ... import``, module
  attributes) and compared with the ruled-out objects by identity in the grader's own
  process, so the learner's own ``topological_order`` is theirs and
  ``ad.topological_order`` under any alias, wherever adlearn defines it, is the
  library's. Dynamic access the syntax tree cannot resolve (``getattr`` with a computed
  name, ``__import__``, ``importlib``, ``exec``/``eval``, ``globals()``,
  ``sys.modules``) is reported apart, for a person to read.
- ``guard``, in the sandboxed kernel while the question is probed: a ruled-out library
  function called from the learner's code (a frame of the notebook's ``__main__``)
  raises ``WriteItYourself``; adlearn's own use of it is untouched. It guards what the
  kernel has loaded and imports nothing (no view, no SymPy, into a kernel that did not).
- the learner's ``check`` applies ``uses`` to the kernel's cell history at once.
"""

import ast
import functools
import importlib
import sys
import types
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import GradingError, WriteItYourself

SHORT = {"ad": "adlearn"}  # the short module names a rule may use

_DERIVATIVE = ("adlearn.derivative", "adlearn.grad", "adlearn.value_and_grad", "adlearn.tape",
               "adlearn.trace", "adlearn.symbolic_grad", "sympy.diff")
_SWEEP = ("adlearn.grad", "adlearn.value_and_grad", "adlearn.tape", "adlearn.derivative")
_ARRAY_SWEEP = ("adlearn.grad", "adlearn.value_and_grad", "adlearn.tape", "adlearn.jacobian",
                "adlearn.vjp", "adlearn.core.losses.cross_entropy_vjp")  # the tape's fused step
ROUTES = {  # a library function -> the other routes that compute the same thing
    "adlearn.derivative": _DERIVATIVE,
    "adlearn.trace": _DERIVATIVE,
    "adlearn.grad": tuple(dict.fromkeys((*_DERIVATIVE, *_ARRAY_SWEEP, "adlearn.Var.backward",
                                         "adlearn.Tensor.backward"))),
    "adlearn.value_and_grad": ("adlearn.tape",),  # value_and_grad, replayed
    "adlearn.Var.backward": _SWEEP,
    "adlearn.Tensor.backward": _ARRAY_SWEEP,
    "adlearn.jacobian": ("adlearn.vjp", "adlearn.jvp"),
    "adlearn.vjp": ("adlearn.jacobian", "adlearn.jvp"),
    "adlearn.hessian": ("adlearn.hvp",),
}

TRUSTED = ("adlearn", "math", "cmath", "numpy", "sympy", "random", "statistics",
           "itertools", "functools", "collections", "operator")  # imported to resolve
DYNAMIC_CALLS = ("__import__", "exec", "eval", "compile", "globals", "locals", "vars")
DYNAMIC_MODULES = ("importlib", "sys.modules", "builtins")


def full_name(name):
    head, dot, rest = name.strip().partition(".")
    return SHORT.get(head, head) + dot + rest


def shown_name(name):
    """A full name as a rule writes it (``ad.`` for ``adlearn.``)."""
    return "ad." + name[len("adlearn."):] if name.startswith("adlearn.") else name


@dataclass(frozen=True)
class Rule:
    """A question's rule: ``only`` (an allow-list) or not (a deny-list) of full names."""

    only: bool
    names: tuple

    @classmethod
    def read(cls, text, where="a question"):
        """The rule a line states, its names not looked up (the learner's check reads
        the build's data so); GradingError if it is not a rule."""
        word, _, rest = text.strip().partition(" ")
        names = tuple(full_name(n) for n in rest.split(",") if n.strip())
        if word not in ("not", "only") or not names:
            raise GradingError(f"{where}: a rule is 'not NAME, ...' or 'only NAME, ...', "
                               f"not {text!r}")
        return cls(word == "only", names)

    @classmethod
    def parse(cls, text, where="a question"):
        """The rule a question table's line states, each name checked to import."""
        rule = cls.read(text, where)
        for name in rule.names:
            resolve(name, where)
        return rule

    @property
    def ruled_out(self):
        """The full names a deny-list rules out, with the routes that compute the same."""
        if self.only:
            return ()
        found = list(self.names)
        for name in self.names:
            found += [n for n in ROUTES.get(name, ()) if n not in found]
        return tuple(found)

    def text(self):
        names = ", ".join(f"`{shown_name(n)}`" for n in self.names)
        return f"only {names}" if self.only else names


def resolve(name, where="a rule"):
    """The object a full dotted name denotes (a module, function, class, method)."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            return functools.reduce(getattr, parts[cut:], obj)
        except AttributeError:
            break
    raise GradingError(f"{where}: the rule names {name!r}, which is not a module, function "
                       "or class that can be imported")


def _maybe(name):
    """The object a dotted name denotes if its package is trusted to import; else None."""
    if name.split(".")[0] not in TRUSTED:
        return None
    try:
        return resolve(name)
    except GradingError:
        return None


def _loaded(name):
    """The object a dotted name denotes if every module it lives in is loaded already,
    else None: the guard imports nothing into the kernel (whatever the learner's code
    imports while it is probed, the judge reads in their code, or flags as dynamic)."""
    parts = name.split(".")
    cut = next((c for c in range(len(parts), 0, -1) if ".".join(parts[:c]) in sys.modules), 0)
    if not cut:
        return None
    obj = sys.modules[".".join(parts[:cut])]
    for part in parts[cut:]:
        lazy = getattr(obj, "_LAZY", {}) if isinstance(obj, types.ModuleType) else {}
        if part in lazy and f"{obj.__name__}.{lazy[part]}" not in sys.modules:
            return None  # adlearn's lazy names: loading one would import its module
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


# --- the learner's code, read as written ---------------------------------------------


@dataclass(frozen=True)
class Use:
    """One use found in the learner's code: as written, the full name it denotes, where."""

    written: str
    means: str
    cell: int  # from 1, counting every cell of the notebook
    line: int

    def __str__(self):
        return f"`{self.written}` (cell {self.cell}, line {self.line})"


def parse_cell(source):
    """A code cell's syntax tree (IPython's ``%`` and ``!`` lines read as ``pass``), or
    None if it is not Python."""
    lines = ["pass" if line.lstrip().startswith(("%", "!")) else line
             for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def defines(tree, name):
    """Whether a cell's syntax tree binds name at its top level (a def, an assignment)."""
    for node in getattr(tree, "body", ()):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                return True
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(n, ast.Name) and n.id == name
                   for t in targets for n in ast.walk(t)):
                return True
    return False


class _Names:
    """What each global name of the notebook denotes: a full dotted name (an import or
    an alias of one) or a learner's function definition (cell, node)."""

    def __init__(self, cells):
        self.bound = {}
        for index, (tree, learner) in enumerate(cells):
            if tree is None:
                continue
            for node in ast.walk(tree):
                self._bind(node, index, learner)

    def _bind(self, node, index, learner):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    self.bound[a.asname] = a.name
                else:
                    self.bound[a.name.split(".")[0]] = a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if a.name != "*":
                    self.bound[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.bound[node.name] = (index, node) if learner else None
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            self.bound[node.targets[0].id] = self.dotted(node.value)

    def dotted(self, node):
        """The full dotted name an expression denotes (``ad.core.engine.Var``), or None."""
        if isinstance(node, ast.Name):
            meaning = self.bound.get(node.id)
            return meaning if isinstance(meaning, str) else None
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None


def uses(cells, start, rule, resolve=None, trees=None):
    """The uses the rule rules out, and the dynamic accesses, in the learner's code.

    ``cells`` are (source, learner) for every code cell of the notebook, in order
    (learner: a cell the learner writes); ``start`` the indices of the cells that answer
    the question. Their code is read, and the body of every learner-written function
    they name, and so on. Returns (ruled out, dynamic), each a list of ``Use``.
    ``resolve`` finds the object a name denotes: by default importing what it must (the
    grader); the learner's check passes ``_loaded``, which imports nothing into their
    kernel (what their cells used, they have loaded). ``trees``: the cells' syntax trees
    (parse_cell), when the caller has parsed them already (once for all its questions)."""
    resolve = resolve or _maybe
    trees = [(tree, learner) for tree, (_, learner) in zip(
        trees or [parse_cell(source) for source, _ in cells], cells)]
    names = _Names(trees)
    banned = {id(o): n for n in rule.ruled_out if (o := resolve(n)) is not None}
    modules = [n for n in rule.ruled_out if isinstance(resolve(n), types.ModuleType)]
    methods = {n.rsplit(".", 1)[1] for n in rule.ruled_out
               if isinstance(resolve(n.rsplit(".", 1)[0]), type)}
    ruled_out, dynamic, seen = [], [], set()
    work = [(i, trees[i][0]) for i in start if trees[i][0] is not None]
    while work:
        index, tree = work.pop()
        for node in ast.walk(tree):
            where = (index + 1, getattr(node, "lineno", 0))
            if isinstance(node, ast.Name):
                meaning = names.bound.get(node.id)
                if isinstance(meaning, tuple) and id(meaning[1]) not in seen:
                    seen.add(id(meaning[1]))
                    work.append(meaning)
                    continue
            if isinstance(node, ast.Call):
                found = _dynamic(node, names)
                if found:
                    dynamic.append(Use(ast.unparse(node)[:80], found, *where))
                attr = _constant_getattr(node)
                if attr in methods:
                    ruled_out.append(Use(ast.unparse(node)[:80], attr, *where))
            if not isinstance(node, (ast.Name, ast.Attribute)) or not isinstance(
                    node.ctx, ast.Load):
                continue
            means = names.dotted(node)
            if means is None:
                if isinstance(node, ast.Attribute) and node.attr in methods:
                    ruled_out.append(Use(ast.unparse(node), node.attr, *where))
                continue
            if any(means == d or means.startswith(d + ".") for d in DYNAMIC_MODULES):
                dynamic.append(Use(ast.unparse(node), means, *where))
            elif _ruled_out(means, rule, banned, modules, resolve):
                ruled_out.append(Use(ast.unparse(node), means, *where))
    order = lambda u: (u.cell, u.line, u.written)  # noqa: E731
    return sorted(set(ruled_out), key=order), sorted(set(dynamic), key=order)


def _ruled_out(means, rule, banned, modules, resolve):
    """Whether a name the learner's code uses is what the rule rules out: a banned object,
    or anything from a banned module (``modules``, the rule's module names)."""
    obj = resolve(means)
    if rule.only:
        return not any(means == n or means.startswith(n + ".") or
                       (obj is not None and obj is resolve(n)) for n in rule.names)
    if obj is not None and id(obj) in banned:
        return True
    home = getattr(obj, "__module__", None) or ""
    return any(means.startswith(m + ".") or home == m for m in modules)


def _dynamic(call, names):
    """What makes a call dynamic access ("" if nothing): a builtin such as ``eval``, or
    ``getattr`` with a name computed at run time."""
    func = call.func
    if isinstance(func, ast.Name) and func.id not in names.bound:
        if func.id in DYNAMIC_CALLS:
            return func.id
        if func.id in ("getattr", "setattr") and not (
                len(call.args) > 1 and isinstance(call.args[1], ast.Constant)):
            return f"{func.id} with a computed name"
    return ""


def _constant_getattr(call):
    if (isinstance(call.func, ast.Name) and call.func.id == "getattr" and len(call.args) > 1
            and isinstance(call.args[1], ast.Constant)):
        return call.args[1].value
    return None


def hint(answer, rule, found):
    """What a learner reads when their code uses what the question rules out."""
    return (f"This question asks you to write `{answer}` yourself, without {rule.text()}; "
            f"your code uses {found}. Write those steps in your own code.")


def flag(found):
    """What a person reads when the learner's code uses dynamic access."""
    shown = ", ".join(str(u) for u in found[:3])
    return (f"the learner's code uses access the grader cannot read ({shown}): read it "
            "to be sure it does not call what the question rules out")


# --- in the kernel, while a question is probed ------------------------------------------


@contextmanager
def guard(names, answer, namespace):
    """While the block runs, each library function or class in ``names`` (full names)
    raises WriteItYourself when the learner's code (a frame whose globals are the
    notebook's ``__main__``) calls it; adlearn's own calls go through untouched."""
    undo = []
    try:
        for name in names:
            obj = _loaded(name)
            if obj is None or isinstance(obj, types.ModuleType):
                continue
            if isinstance(obj, type):
                wrapped = _guarded(obj.__init__, name, answer)
                undo.append((obj, "__init__", obj.__dict__.get("__init__")))
                obj.__init__ = wrapped
                continue
            wrapped = _guarded(obj, name, answer)
            owner = _loaded(name.rsplit(".", 1)[0])
            if isinstance(owner, type):
                undo.append((owner, name.rsplit(".", 1)[1], owner.__dict__.get(
                    name.rsplit(".", 1)[1])))
                setattr(owner, name.rsplit(".", 1)[1], wrapped)
            holders = [m.__dict__ for k, m in list(sys.modules.items())
                       if k.split(".")[0] == "adlearn" and m is not None]
            for space in (*holders, namespace):
                for key, value in list(space.items()):
                    if value is obj:
                        undo.append((space, key, value))
                        space[key] = wrapped
        yield
    finally:
        for owner, key, value in reversed(undo):
            if isinstance(owner, dict):
                owner[key] = value
            elif value is None:
                delattr(owner, key)
            else:
                setattr(owner, key, value)


def _guarded(original, name, answer):
    @functools.wraps(original)
    def guarded(*args, **kwargs):
        if sys._getframe(1).f_globals.get("__name__") == "__main__":
            raise WriteItYourself(f"this question asks you to write `{answer}` yourself: "
                                  f"your code calls `{shown_name(name)}`, which it rules out")
        return original(*args, **kwargs)
    return guarded
