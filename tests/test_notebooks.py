"""The tutorial notebooks as files: stored with outputs, small, and checking their key numbers.

nbval (configured in pyproject.toml) runs every notebook in notebooks/ top to bottom and
compares the outputs of the cells marked ``# NBVAL_CHECK_OUTPUT``. These tests make sure
that what nbval compares is worth comparing: the running examples' values and gradients
sit in marked cells with those numbers in their stored outputs, and exercises/ (whose
student versions raise NotImplementedError by design) is never collected.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_BYTES = 250_000  # images stay small: a notebook reads well on a repository web page
# (250 kB since figures are drawn at 90 dpi, so that their text is legible: issue 25)
MARK = "# NBVAL_CHECK_OUTPUT"

# notebook -> texts that must appear in the stored outputs of its marked cells
KEY_NUMBERS = {
    "00_start_here": ["f(2, 5)  = 11.6521", "df/dx1   = 5.5000", "df/dx2   = 1.7163"],
    "01_derivatives_by_hand": ["f = 10.0, gradient = (4.0, 2.0)", "(10.0, (4.0, 2.0))",
                               " 6 steps: value 0.0177, derivative by AD 20.2",
                               "20 steps: value 0.0100, derivative by AD 50.0"],
    "02_symbolic_differentiation": ["[2*x1, 2]", "(10, [4, 2])",
                                    "(x1**2 + 2*x2, {'x1': 2*x1, 'x2': 2})"],
    "03_numeric_differentiation": ["forward difference = 4.100000000",
                                   "central differences called f 200 times",
                                   "h = 1e-20  complex step = 1.7163378145367738"],
    "04_graph_and_trace": ["'x3': 4.0, 'x4': 6.0, 'f': 10.0", "'v3': -0.959", "'v5': 11.652",
                           "dy/dx1 = 5.5", "dy/dx2 = 1.716"],
    "05_forward_mode": ["(10.0, 4.0)", "(11.652071455223084, 5.5)",
                        "[5.5, 1.7163378145367738]",
                        "{'x1': 1.0, 'x2': 0.0, 'x3': 4.0, 'x4': 0.0, 'f': 4.0}",
                        "dx/dθ = -1.0000", "dy/dθ = 1.7321"],
    "06_reverse_mode": ["(4.0, 2.0)", "(11.652071455223084, 5.5, 1.7163378145367738)",
                        "x3 =  4.0   ∂x3/∂x1 = 4.0", "f  = 10.0   ∂f/∂x3 = 1.0, ∂f/∂x4 = 1.0",
                        "value:    1.956290504828498 plain, 1.956290504828498 checkpointed",
                        "gradient: 1.1012324814449508 plain, 1.1012324814449508 checkpointed",
                        "the same floats: True"],
    "07_chain_rule_paths": ["sum over the paths: ∂f/∂x1 = 4", "∂v5/∂v-1 = 0.5 + 5 = 5.5",
                            "∂v5/∂v0 = 2 + (-0.283662) = 1.71634",
                            "(4.0, '≠', 1.7163378145367738)"],
    "08_ad_in_machine_learning": ["MLP(2 → 6 → 1: 25 parameters)"],
    "09_beyond": ["(27.0, 27.0, 18.0, 6.0)", "18.0", "ε₁: 27.0  ε₂: 27.0  ε₁ε₂: 18.0",
                  "[-1.25, 1.9589]", "[-1.0, 1.0, -1.0]",
                  "softplus(800) = 800.0   derivative by reverse mode: 1.0",
                  "second derivative σ(1 - σ) at 0: 0.25"],
    "10_arrays_and_jacobians": [
        "[[ 4.      1.    ]\n [ 5.     -0.4161]]", "agrees with SymPy: True",
        "diagonal = 1 - tanh²: True", "shape of d(Wx)/dW: (2, 2, 3)",
        "b.grad equals the sum over the batch: True", "sweeps: reverse 3 forward 3",
        "reverse mode: from the left         (((sum tanh2) W2) tanh1) W1           8,554",
        "MLP loss (256 → 1)   forward               256              256",
        "MLP loss (256 → 1)   reverse                 1                1",
        "curve (1 → 500)      forward                 1                1",
        "curve (1 → 500)      reverse               500              500",
        "same as the Jacobian of the gradient: True", "symmetric: True",
        "sum over the paths: ∂v5/∂v-1: () × (4×3)", "W.grad has the shape of W: (4, 3)",
        "So the derivative ∂v5/∂v-1, of shape () × (4×3), the gradient"],
    "11_backprop_in_matrix_form": [
        "arrays: 0.250817163267\nscalar: 0.250817163267",
        "W1: formula = backward(): True, = scalar engine: True",
        "b2: formula = backward(): True, = scalar engine: True",
        "training: (1347, 64)  test: (450, 64)", "Z.grad = (P - Y) / N: True",
        "test accuracy at least 90 %: True", "same gradient for the first layer: True"],
    "13_gradients_through_depth": [
        "tanh, std 0.05      ‖H̄_1‖ / ‖H̄_20‖ = 3.4e-08",
        "tanh, std 1         ‖H̄_1‖ / ‖H̄_20‖ = 1.2e+06",
        "J_1 = diag(1 - h_1²) W_1ᵀ: True", "H̄_l = H̄_20 J_20 ⋯ J_(l+1) at every layer: True",
        "largest derivative of sigmoid: 0.25",
        "measured growth between σ_min and σ_max of the product, every layer: True",
        "the product's norm at most the product of the norms, every layer:    True",
        "tanh, Xavier     typical stretch per layer 0.95",
        "ReLU, He         typical stretch per layer 0.99",
        "layer norm's gradient = central differences: True",
        "residual + normalised  ‖H̄_1‖ / ‖H̄_20‖ from 3.5e+00 to 3.5e+00; within a factor 10 "
        "at every scale: True",
        "(3, 4, 12) has norm 13.0 and is clipped to [0.231 0.308 0.923] of norm 1.0"],
}


# statements a review found wrong (issue 11): notebook -> (wrong text, what must be said)
CORRECTED = {
    "00_start_here": ("for a small constant\ntimes the cost of running the code once",
                      "That bound is for time only"),
    "01_derivatives_by_hand": ("AD differentiates the program and finds",
                               "AD differentiates *the program as written*"),
    "04_graph_and_trace": ("their partials never\nmatter", "carry no derivative to an input"),
    "06_reverse_mode": ("0 for\nthe exponent", "carry no derivative to an input"),
    "07_chain_rule_paths": ("At x = 1 every edge carries 8", "crosses it **exactly once**"),
    "09_beyond": ("√0 is not defined\"", "the value, 0, exists"),
}


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def output_text(cell):
    """The plain-text outputs of a code cell, joined."""
    parts = []
    for output in cell.get("outputs", []):
        text = output.get("text") or output.get("data", {}).get("text/plain", "")
        parts.append("".join(text) if isinstance(text, list) else text)
    return "".join(parts)


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_the_course_is_numbered_from_00():
    numbers = [p.name[:3] for p in NOTEBOOKS]
    assert numbers[:5] == ["00_", "01_", "02_", "03_", "04_"], numbers
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_with_outputs_in_a_python3_kernel(path):
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    not_run = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not not_run, f"code cells {not_run} have not been run: store the notebook with outputs"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"stored outputs contain an error: {errors[0].get('ename')}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_small_enough_to_read_on_the_web(path):
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size} bytes"


@pytest.mark.parametrize("name", sorted(KEY_NUMBERS))
def test_key_numbers_are_checked_outputs(name):
    nb = load(ROOT / "notebooks" / f"{name}.ipynb")
    checked = "\n".join(output_text(c) for c in nb["cells"]
                        if c["cell_type"] == "code" and source(c).startswith(MARK))
    missing = [text for text in KEY_NUMBERS[name] if text not in checked]
    assert not missing, f"{name}: not in the outputs of cells marked {MARK}: {missing}"


@pytest.mark.parametrize("name", sorted(KEY_NUMBERS))
def test_opens_with_goals_and_closes_with_a_pointer(name):
    cells = load(ROOT / "notebooks" / f"{name}.ipynb")["cells"]
    first, last = source(cells[0]), source(cells[-1])
    assert cells[0]["cell_type"] == "markdown" and "After this notebook you will be able to" in first
    assert cells[-1]["cell_type"] == "markdown" and "## Summary" in last
    assert "**Exercise" in last
    for linked in re.findall(r"\(\.\./(exercises/[\w/]+\.ipynb)\)", last):
        assert (ROOT / linked).is_file(), f"{name} points to {linked}, which does not exist"
    assert "**Next:**" in last or name == NOTEBOOKS[-1].stem  # the last one reads further


def test_exercises_are_never_collected():
    """The student exercise notebooks raise NotImplementedError by design."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "."],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    assert any(line.startswith("notebooks/") for line in collected), result.stdout[-2000:]
    assert not [line for line in collected if line.startswith("exercises/")]


@pytest.mark.parametrize("name", sorted(CORRECTED))
def test_corrected_statements_stay_corrected(name):
    text = "\n".join(source(c) for c in load(ROOT / "notebooks" / f"{name}.ipynb")["cells"]
                     if c["cell_type"] == "markdown")
    wrong, said = CORRECTED[name]
    assert wrong not in text and said in text


# --- notebook 13's claims, measured again on a network built here -------------------


def depth_gradients(layer, std, depth=20, width=64, seed=0, X=None, labels=None):
    """‖H̄_l‖ for l = 1 .. depth: the adjoint of each hidden layer's output of notebook
    13's network (tanh(H W) or the given layer, weights N(0, std²), then 10 scores and
    the cross-entropy), on its batch of 128 digits unless X and labels are given."""
    import numpy as np
    from sklearn.datasets import load_digits

    import adlearn as ad

    if X is None:
        digits = load_digits()
        X, labels = digits.data[:128] / 16.0, digits.target[:128]
    rng = np.random.default_rng(seed)
    H, outputs = ad.Tensor(X), []
    for _ in range(depth):
        H = layer(H, ad.Tensor(std * rng.normal(size=(width, width))))
        outputs.append(H)
    W_out = ad.Tensor(rng.normal(size=(width, 10)) / np.sqrt(width))
    ad.cross_entropy(H @ W_out, labels).backward()
    return np.array([np.linalg.norm(H.grad) for H in outputs]), X, outputs


def layer_kinds():
    import adlearn as ad

    def layer_norm(Z):
        mean = Z.mean(axis=1, keepdims=True)
        return (Z - mean) / ad.sqrt(((Z - mean) ** 2).mean(axis=1, keepdims=True) + 1e-5)

    return {"tanh": lambda H, W: ad.tanh(H @ W), "sigmoid": lambda H, W: ad.sigmoid(H @ W),
            "relu": lambda H, W: ad.relu(H @ W),
            "residual": lambda H, W: H + ad.tanh(H @ W),
            "normalised": lambda H, W: ad.tanh(layer_norm(H @ W)),
            "residual + normalised": lambda H, W: H + ad.tanh(layer_norm(H @ W))}


def test_notebook_13_vanishing_exploding_and_what_fixes_them():
    """The gradient at layer 1 over the gradient at layer 20, for each start and layer
    that notebook 13 compares."""
    kinds, xavier, he = layer_kinds(), 1 / 8, 2 ** 0.5 / 8

    def ratio(kind, std):
        g = depth_gradients(kinds[kind], std)[0]
        return g[0] / g[-1]

    assert ratio("tanh", 0.05) < 1e-6            # small weights: vanishing
    assert ratio("tanh", 1.0) > 1e4              # NumPy's default: exploding
    assert ratio("sigmoid", 0.05) < 1e-15
    assert 1 / 3 < ratio("tanh", xavier) < 3     # Xavier keeps tanh within a small factor
    assert 1 / 3 < ratio("relu", he) < 3         # He keeps the ReLU
    assert ratio("relu", xavier) < 1e-2          # about 2 ** -10: half the units are off
    assert ratio("sigmoid", xavier) < 1e-9       # no scale saves the sigmoid
    assert ratio("residual", 0.1 * xavier) > 0.5  # the identity carries it: no vanishing
    for kind in ("normalised", "residual + normalised"):
        ratios = [ratio(kind, c * xavier) for c in (0.1, 1.0, 10.0)]
        assert all(0.1 <= r <= 10 for r in ratios), (kind, ratios)
        assert max(ratios) / min(ratios) < 1.01, (kind, ratios)  # independent of the scale
    plain = [ratio("tanh", c * xavier) for c in (0.1, 10.0)]
    assert plain[0] < 1e-10 and plain[1] > 1e4


@pytest.mark.parametrize("kind", ["tanh", "sigmoid", "residual + normalised"])
def test_notebook_13_layer_adjoints_agree_with_central_differences(kind):
    """On a small case (3 layers of width 4, a batch of 2) each layer's adjoint H̄_l
    from the array engine's backward() matches central differences of the loss with
    respect to a nudge added to that layer's output."""
    import numpy as np

    import adlearn as ad

    rng = np.random.default_rng(5)
    X, labels = rng.normal(size=(2, 4)), np.array([3, 7])
    layer, std = layer_kinds()[kind], 0.8
    _, _, outputs = depth_gradients(layer, std, depth=3, width=4, seed=1, X=X, labels=labels)

    def loss(nudges):  # the same network (same seed), with nudges added to the outputs
        weights = np.random.default_rng(1)
        H = ad.Tensor(X)
        Ws = [std * weights.normal(size=(4, 4)) for _ in range(3)]
        for W, nudge in zip(Ws, nudges):
            H = layer(H, W) + nudge
        W_out = weights.normal(size=(4, 10)) / 2
        return ad.cross_entropy(H @ W_out, labels).value.item()

    step = 1e-6
    for l, H in enumerate(outputs):
        numeric = np.zeros(H.shape)
        for i in np.ndindex(H.shape):
            up, down = [np.zeros((2, 4)) for _ in range(3)], [np.zeros((2, 4)) for _ in range(3)]
            up[l][i], down[l][i] = step, -step
            numeric[i] = (loss(up) - loss(down)) / (2 * step)
        assert np.allclose(H.grad, numeric, rtol=1e-5, atol=1e-8), (kind, l)

