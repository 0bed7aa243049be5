"""The house's floors: a lower folder never imports a higher one (docs/architecture.md).

Every import in adlearn/ is read from the source with ast (relative and absolute, at the
top of a module or inside a function), resolved to the adlearn module it names, and
checked against the floor it may reach.
"""

import ast
import importlib
import inspect
import pathlib
import json
import subprocess
import sys

import pytest

import adlearn

PACKAGE = pathlib.Path(adlearn.__file__).parent

# floor -> the floors it may import (its own included)
ALLOWED = {
    "ground": {"ground"},
    "core": {"ground", "core"},
    "lessons": {"ground", "core", "lessons"},
    "views": {"ground", "core", "lessons", "views"},
    "grading": {"ground", "core", "lessons", "grading"},
    "top": {"ground", "core", "lessons", "views", "grading", "top"},
}


def floor(module):
    """The floor of an adlearn module: 'adlearn.core.engine' -> 'core'."""
    parts = module.split(".")
    if len(parts) == 1:
        return "lessons"  # adlearn itself loads the engines and lessons; its views on first use
    if parts[1] == "cli":
        return "top"
    if parts[1] in ("core", "lessons", "views", "grading"):
        return parts[1]
    return "ground"  # adlearn.errors, adlearn.text


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source, name, is_package=False):
    """The adlearn modules that the source of module name imports, as absolute names."""
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module
            if node.level:
                parts = package.split(".")
                module = ".".join(parts[: len(parts) - node.level + 1] + ([module] if module else []))
            found.append(module)
            found += [f"{module}.{alias.name}" for alias in node.names]  # "from . import x"
    return [m for m in found if m == "adlearn" or m.startswith("adlearn.")]


def wrong_imports(source, name, is_package=False):
    """The imports of module name that reach a floor above its own."""
    own = floor(name)
    return [m for m in imported(source, name, is_package) if floor(m) not in ALLOWED[own]]


def modules():
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_lower_floor_never_imports_a_higher_one(path):
    assert wrong_imports(path.read_text(), module_name(path), path.name == "__init__.py") == []


def test_the_check_can_fail_an_engine_importing_a_view_inside_a_function():
    source = "import math\n\ndef f():\n    from ..views import trace\n    from ..text import counted\n"
    assert wrong_imports(source, "adlearn.core.engine") == ["adlearn.views", "adlearn.views.trace"]
    assert wrong_imports("from ..views.trace import counted\n", "adlearn.grading.report") == [
        "adlearn.views.trace", "adlearn.views.trace.counted"]
    assert wrong_imports("import adlearn.grading\n", "adlearn.lessons.nn") == ["adlearn.grading"]


def test_the_graders_child_process_loads_no_view():
    """What a submission's kernel imports to answer the grader: adlearn, its engines and
    the grader's probe, never a view (nor matplotlib, networkx, ipywidgets)."""
    code = ("import sys, json, adlearn as ad, adlearn.grading.probe, adlearn.grading.worker\n"
            "ad.grad(lambda x: ad.sin(x) * x)(1.0)\n"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    loaded = json.loads(out.stdout)
    views = [m for m in loaded if m.startswith("adlearn.views")]
    heavy = [m for m in loaded if m.split(".")[0] in ("matplotlib", "networkx", "ipywidgets")]
    assert views == [] and heavy == []


@pytest.mark.parametrize("name", ["trace", "paths", "network", "words", "drawing",
                                  "animation", "explorer"])
def test_a_view_module_is_the_module_not_its_function(name):
    module = importlib.import_module(f"adlearn.views.{name}")
    assert inspect.ismodule(module)
    namespace = {}
    exec(f"import adlearn.views.{name} as m", namespace)
    assert namespace["m"] is module


def test_public_names_are_unchanged():
    import adlearn as ad
    assert callable(ad.trace) and not inspect.ismodule(ad.trace)
    for name in ["draw", "explore", "describe", "animate", "chain_rule_paths", "to_networkx",
                 "Tensor", "matrix_chain", "to_sympy", "Var", "Dual", "grad", "parse"]:
        assert not inspect.ismodule(getattr(ad, name)), name
    assert inspect.ismodule(ad.nn) and inspect.ismodule(ad.errors)
