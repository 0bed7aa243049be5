"""`import adlearn` loads only the standard library (and adlearn itself)."""

import json
import subprocess
import sys

HEAVY = ["numpy", "sympy", "networkx", "matplotlib", "ipywidgets"]


def modules_after(code):
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    return set(json.loads(out.stdout))


def test_import_adlearn_loads_no_heavy_library():
    loaded = modules_after("import adlearn as ad\nad.grad(lambda x: ad.sin(x) * x)(1.0)")
    assert "adlearn" in loaded
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == []


def test_the_check_can_fail_a_lazy_name_loads_sympy():
    loaded = modules_after("import adlearn as ad\nad.to_sympy")
    assert "sympy" in loaded
