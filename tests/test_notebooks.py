"""The tutorial notebooks as files: stored with outputs, small, and checking their key numbers.

nbval (configured in pyproject.toml) runs every notebook in notebooks/ top to bottom and
compares the outputs of the cells marked ``# NBVAL_CHECK_OUTPUT``. These tests make sure
that what nbval compares is worth comparing: the running examples' values and gradients
sit in marked cells with those numbers in their stored outputs, and exercises/ (whose
student versions raise NotImplementedError by design) is never collected.
"""

import base64
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
MIN_PIXELS = 10  # the smallest text in a stored figure, in pixels at 100 % zoom (issue 25)
PAGE_PIXELS = 1000  # JupyterLab shrinks a wider image to the page unless it is "unconfined"

# notebook -> texts that must appear in the stored outputs of its marked cells
KEY_NUMBERS = {
    "00_start_here": ["f(2, 5)  = 11.6521", "df/dx1   = 5.5000", "df/dx2   = 1.7163",
                      "All 3 tests passed. Well done!"],
    "01_derivatives_by_hand": ["f = 10.0, gradient = (4.0, 2.0)", "(10.0, (4.0, 2.0))",
                               " 6 steps: value 0.0177, derivative by AD 20.2",
                               "20 steps: value 0.0100, derivative by AD 50.0"],
    "02_symbolic_differentiation": ["[2*x1, 2]", "(10, [4, 2])",
                                    "(x1**2 + 2*x2, {'x1': 2*x1, 'x2': 2})"],
    "03_numeric_differentiation": ["forward difference = 4.100000000",
                                   "central differences called f 200 times",
                                   "h = 1e-20  complex step = 1.7163378145367738"],
    "04_graph_and_trace": ["'x3': 4.0, 'x4': 6.0, 'f': 10.0", "'v3': -0.959", "'v5': 11.652",
                           "dy/dx1 = 5.5", "dy/dx2 = 1.716",
                           "math.sin(x), float(x) and math's other functions take plain numbers "
                           "only, but x is a Var"],
    "05_forward_mode": ["(10.0, 4.0)", "(11.652071455223084, 5.5)",
                        "[5.5, 1.7163378145367738]",
                        "{'x1': 1.0, 'x2': 0.0, 'x3': 4.0, 'x4': 0.0, 'f': 4.0}",
                        "dx/dθ = -1.0000", "dy/dθ = 1.7321"],
    "06_reverse_mode": ["(4.0, 2.0)", "(11.652071455223084, 5.5, 1.7163378145367738)",
                        "x3 =  4.0   ∂x3/∂x1 = 4.0", "f  = 10.0   ∂f/∂x3 = 1.0, ∂f/∂x4 = 1.0",
                        "value:    1.956290504828498 plain, 1.956290504828498 checkpointed",
                        "gradient: 1.1012324814449508 plain, 1.1012324814449508 checkpointed",
                        "the same floats: True",
                        "n = 6400: 402 nodes = 80 checkpoints + 320 in one piece + x twice "
                        "(it is in both graphs): True",
                        "about 5√n = 400 nodes, where the plain tape holds 25,601",
                        "['x1', 'constant 2', 'x3', 'constant 2', 'x2', 'x4', 'f']"],
    "07_chain_rule_paths": ["sum over the paths: ∂f/∂x1 = 4", "∂v5/∂v-1 = 0.5 + 5 = 5.5",
                            "∂v5/∂v0 = 2 + (-0.283662) = 1.71634",
                            "into v5:       crossed [1, 1] times; shares 2 + (-0.283662) = 1.71634",
                            "not a cut:     crossed [2, 0] times",
                            "crossed twice: crossed [2, 1] times; shares 2 + 2 + (-0.283662) "
                            "= 3.71634", "∂y/∂x2 = 1.71634"],
    "08_ad_in_machine_learning": ["MLP(2 → 6 → 1: 25 parameters)",
                                  # the neuron's drawing in words (ad.describe), its gradient
                                  "v0: 0.178974; v-1: 0.0894871; v-2: 0.268461."],
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
        "So the derivative ∂v5/∂v-1, of shape () × (4×3), the gradient",
        "256 JVPs: 2,192,384 = 2,097,152 (W1 times the identity) + 95,232",
        "from the right: 95,232; ratio 23"],
    "11_backprop_in_matrix_form": [
        "arrays: 0.694889905685\nscalar: 0.694889905685", "δ2 = (P - y) / N: True",
        "softmax Jacobian = diag(p) - p pᵀ: True", "(-y / p) J = p - y: True",
        "W1: formula = backward(): True, = scalar engine: True",
        "b2: formula = backward(): True, = scalar engine: True",
        "training: (1347, 64)  test: (450, 64)", "Z.grad = (P - Y) / N: True",
        "test accuracy at least 90 %: True", "same gradient for the first layer: True",
        "batch A again\nbatch B\n    f runs: the tape records\nbatch A\n    f runs: the tape records"],
    "12_backprop_by_hand": [
        "6824 names: 6141 to train on, 683 to validate", "mma → .",
        "training examples: (42517, 3)  validation examples: (4771, 3)",
        "as written: [3.4076    inf   -inf]", "stable:     [   3.4076 1002.4076 -997.5924]",
        "loss before training: 3.3511; a uniform guess: ln 27 = 3.2958",
        "softmax Jacobian = diag(p) - p pᵀ (ad.jacobian): True",
        "the diagonal only, (-y / p) p (1 - p) = p - y: False",
        "S      by hand = backward(): True", "gamma  by hand = backward(): True",
        "one row's Jacobian = ad.jacobian: True", "Z      by hand = backward(): True",
        "μ and σ as constants: an error of 15% of ‖Z̄‖", "C      by hand = backward(): True",
        "C_bar[X] += E_bar gives the same: False",
        "6,577 entries of 12 adjoints; central differences ran the forward pass 13,154 times",
        "every adjoint within 1e-12 of backward()'s: True",
        "every adjoint within 1e-6 of central differences: True",
        "validation loss below 2.3, from 3.3: True"],
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
    "14_beyond_backprop": [
        "K = 80: L = 0.033179713390", "nodes on the tape: 246",
        "b.grad = A⁻ᵀ x̄:       True", "= central differences: True",
        "DomainError: ln 0 is not defined",
        "rewrite, by AD  gradient [1.     0.7311 0.     0.2689 0.    ], 12 nodes",
        "custom VJP      gradient [1.     0.7311 0.5    0.2689 0.    ], 3 nodes",
        "nodes on the tape: 6", "same gradient as unrolling 80 iterations: True True",
        "implicit peak below the unrolled one from K = 20: True",
        "meta-gradient by reverse mode: -1.02587358, by central differences: -1.02587358",
        "exact:  ∂x(1)/∂x0 = 1.101180   ∂x(1)/∂θ = 0.926611",
        "  6400   1.101262  0.926634          1.101099  0.926575    32,002       3",
        "reverse mode: 3.0   forward mode: 3.0",
        "with it: lowest 0.0852, last 0.1380; the best of the 729 grid points: 0.0852"],
}


# statements reviews found wrong (issues 11 and 25): notebook -> [(wrong text, what must be
# said instead), ...], in the notebook's markdown
CORRECTED = {
    "00_start_here": [("for a small constant\ntimes the cost of running the code once",
                       "That bound is for time only")],
    "01_derivatives_by_hand": [("AD differentiates the program and finds",
                                "AD differentiates *the program as written*")],
    "04_graph_and_trace": [("their partials never\nmatter", "carry no derivative to an input")],
    "06_reverse_mode": [
        ("0 for\nthe exponent", "carry no derivative to an input"),
        # checkpointing keeps √n checkpoints and one piece of 4√n nodes, not 2√n in all
        ("2\\sqrt n$ nodes", "5\\sqrt n$ nodes"), ("about 2√n nodes", "about\n  5√n nodes"),
        # the order the sweep visits, defined where reverse mode first needs it
        ("", "A **topological order** of a graph lists"),
    ],
    "07_chain_rule_paths": [
        ("At x = 1 every edge carries 8", "crosses it **exactly once**"),
        # {v0→v2, v4→v5} is no cut: the path through sin crosses neither edge
        ("also separate x2 from the\noutput", "so this set is **not a cut**"),
    ],
    "05_forward_mode": [  # a tangent sums the products of the paths into a node
        ("a node's tangent is the product of the edge labels along\nthe path",
         "a node's tangent is the sum, over the paths from $x_1$ to\nit, of the product")],
    "09_beyond": [
        ("√0 is not defined\"", "the value, 0, exists"),
        ("This last notebook", "This notebook looks"), ("a later part of the project", ""),
        # Newton's step solves H p = -∇f; products Hv are what Newton-CG needs
        ("Newton's method\nfor optimisation needs it", "solves $H p = -\\nabla f$"),
        # ε₁ is the outer derivative's, as in the code, where the outer level has tag 2
        ("calls `dg` on a dual number `3 + 1ε₂`", "`(3 + 1ε₁) + 1ε₂` (ε₂ for the inner"),
    ],
    "10_arrays_and_jacobians": [  # 09 nested forward over forward, not forward over reverse
        ("(notebook 09 did the same with scalars)", "Notebook 09 nested forward mode over forward"),
        ("", "256 JVPs push the 256 columns $e_j$ of the identity")],
    "11_backprop_in_matrix_form": [  # notebook 08's loss, and the softmax's Jacobian derived
        ("\\sum_i (P_i - y_i)^2", "notebook\n08's cross-entropy"),
        ("", "J = \\operatorname{diag}(p) - p\\,p^\\top"),
        ("", "= -y_j + p_j \\sum_k y_k = p_j - y_j"),
        # section 8: what f reads from a closure is not new data to a tape, it stays stale
        ("**New data is a new recording.**", "a replay still computes with the old one"),
        # a tape keeps one recording, the latest: A, B, A records three times
        ("a tape pays off when the same data comes back", "a\ntape keeps one recording, the latest"),
        # jax.jit traces every array argument and records h > 0 as an operation
        ("`jax.jit` has the same rules", "a new batch of the same shape runs the compiled step"),
        # which four VJPs the tape fuses: the learner has not seen cross_entropy's nodes
        ("the cross-entropy's last four VJPs", "`ad.cross_entropy` is four nodes")],
    "14_beyond_backprop": [  # ad.hessian is forward over reverse: it refuses a custom_vjp
        ("then `ad.hessian` can differentiate it again", "`ad.hessian` (forward over reverse")],
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


@pytest.mark.parametrize("name, wrong, said",
                         [(name, *pair) for name, pairs in sorted(CORRECTED.items())
                          for pair in pairs], ids=lambda value: str(value)[:30])
def test_corrected_statements_stay_corrected(name, wrong, said):
    text = "\n".join(source(c) for c in load(ROOT / "notebooks" / f"{name}.ipynb")["cells"]
                     if c["cell_type"] == "markdown")
    assert not wrong or wrong not in text
    assert not said or said in text


def test_topological_order_is_defined_where_reverse_mode_first_needs_it():
    """Notebook 06 defines it in words before its first code cell that uses it, and no
    earlier notebook's code uses it."""
    definition = "A **topological order** of a graph lists its nodes so that every node comes"
    for path in NOTEBOOKS:
        cells = load(path)["cells"]
        uses = [i for i, c in enumerate(cells)
                if c["cell_type"] == "code" and "topological_order(" in source(c)]
        defined = [i for i, c in enumerate(cells)
                   if c["cell_type"] == "markdown" and definition in " ".join(source(c).split())]
        if path.stem < "06":
            assert not uses, f"{path.stem} uses the topological order before 06 defines it"
        elif path.stem == "06_reverse_mode":
            assert uses and defined and defined[0] < uses[0]


def test_start_here_lists_every_notebook_and_exercise():
    """00's course table has a row for each notebook, in order, naming the exercise that the
    notebook's summary points to; every exercise is linked; every link opens a file."""
    cells = load(ROOT / "notebooks" / "00_start_here.ipynb")["cells"]
    text = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown")
    rows = {row[2:4]: row for row in text.splitlines() if re.match(r"\| \d\d \| \[", row)}
    assert list(rows) == [p.name[:2] for p in NOTEBOOKS], "one row per notebook, in order"
    for path in NOTEBOOKS:
        row = rows[path.name[:2]]
        assert f"]({path.name})" in row, f"00's row {path.name[:2]} does not link {path.name}"
        summary = source(load(path)["cells"][-1])
        for line in summary.split("\n\n"):
            if line.startswith("**Exercise:**"):  # one exercise after this notebook
                for linked in re.findall(r"\(\.\./exercises/(\w+\.ipynb)\)", line):
                    assert f"(../exercises/{linked})" in row, f"row {path.name[:2]}: {linked}"
    for exercise in sorted((ROOT / "exercises").glob("*.ipynb")):
        assert f"(../exercises/{exercise.name})" in text, f"00 does not link {exercise.name}"
    for link in re.findall(r"\]\(([^)#]+)\)", text):
        if not link.startswith("http"):
            assert (ROOT / "notebooks" / link).is_file(), f"00 links {link}, which is no file"
    assert f"| 04 to {NOTEBOOKS[-1].name[:2]} |" in text  # AD: the notebooks from 04 on


def test_start_here_shows_what_check_prints():
    """00 runs check on a wrong and a right answer, in marked cells, rather than typing
    a sample of its output."""
    cells = load(ROOT / "notebooks" / "00_start_here.ipynb")["cells"]
    checked = [output_text(c) for c in cells
               if c["cell_type"] == "code" and source(c).startswith(MARK)
               and 'check("finite_differences.central")' in source(c)]
    assert len(checked) == 2
    assert "tests failed." in checked[0]
    assert "WrongAnswer: Hint: That is the one-sided" in checked[0]
    assert "tests passed. Well done!" in checked[1]


def test_try_it_yourself_keeps_its_answer_hidden():
    """04's exercise on paper stores its trace folded away, behind "Show the answer"."""
    cells = load(ROOT / "notebooks" / "04_graph_and_trace.ipynb")["cells"]
    start = next(i for i, c in enumerate(cells) if "## 7. Try it yourself" in source(c))
    answer = next(c for c in cells[start:] if c["cell_type"] == "code")
    outputs = [o for o in answer["outputs"] if o.get("output_type") == "execute_result"]
    assert outputs, "the answer's cell is stored with its output"
    html = "".join(outputs[0]["data"]["text/html"])
    assert html.startswith("<details><summary>Show the answer</summary><table")
    assert html.endswith("</details>") and "Evaluation trace of f at x1 = 3, x2 = 0" in html
    assert "trace" not in output_text(answer)  # the text shown where HTML is not


def test_nested_derivatives_nest_as_notebook_09_says():
    """09: ddg(3.0) hands g a dual number in ε₂ (the inner derivative's, the newer tag)
    whose parts are dual numbers in ε₁ (the outer derivative's), as its code writes it."""
    import adlearn as ad

    seen = []

    def g(x):
        seen.append(x)
        return x ** 3

    assert ad.derivative(ad.derivative(g))(3.0) == 18.0
    x = seen[-1]
    assert isinstance(x, ad.Dual) and isinstance(x.value, ad.Dual)
    assert x.tag > x.value.tag  # the outer level is ε₂, made by the inner derivative


def smallest_drawn_font():
    """The smallest font size, in points, that ad.draw uses: paths, shares, arrays."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import adlearn as ad

    x1, x2 = ad.Var(2.0, name="x1"), ad.Var(5.0, name="x2")
    survey = ad.log(x1) + x1 * x2 - ad.sin(x2)
    survey.backward()
    z = x = ad.Var(1.0, name="x")
    for _ in range(4):  # 16 paths: the edges are shaded by their shares
        z = z * z
    W = ad.Tensor(np.ones((4, 3)), name="W")
    layer = ad.tanh(W @ ad.Tensor([1.0, -1.0, 0.5], name="v")).sum()
    sizes = []
    for output, wrt in ((survey, "x1"), (z, "x"), (layer, "W")):
        figure = ad.draw(output, highlight=wrt).figure
        sizes += [t.get_fontsize() for t in figure.findobj(matplotlib.text.Text)
                  if t.get_text().strip() and t.get_visible()]
    plt.close("all")
    return min(sizes)


def png_width(output):
    """The width in pixels of a stored PNG output (from its header)."""
    png = base64.b64decode("".join(output["data"]["image/png"]))
    return int.from_bytes(png[16:20], "big")


SMALL_SIZES = {"xx-small": 0.579, "x-small": 0.694, "small": 0.833}  # times font.size


def test_stored_figures_have_legible_text():
    """The smallest text of every stored figure is at least MIN_PIXELS high at 100 % zoom
    (pixels = points × dpi / 72): each notebook that stores a picture sets figure.dpi, and
    the smallest of its font sizes (matplotlib's, its own fontsize=, ad.draw's) passes at
    that dpi; so do the GIFs that ad.animate saves, at the dpi they are given. Log axes
    write their numbers at full size (not as powers of 10 with small exponents). A figure
    wider than the page is stored "unconfined", so JupyterLab does not shrink it."""
    drawn = smallest_drawn_font()
    for path in NOTEBOOKS:
        cells = load(path)["cells"]
        pictures = [o for c in cells for o in c.get("outputs", [])
                    if "image/png" in o.get("data", {})]
        if not pictures:
            continue
        for picture in pictures:
            assert png_width(picture) <= PAGE_PIXELS or \
                picture.get("metadata", {}).get("image/png", {}).get("unconfined"), \
                f"{path.stem}: a {png_width(picture)}-pixel-wide figure would be shrunk to the page"
        code = "\n".join(source(c) for c in cells if c["cell_type"] == "code")
        dpi = [int(d) for d in re.findall(r'"figure\.dpi"\]?\s*[:=]\s*(\d+)', code)]
        assert len(dpi) == 1, f"{path.stem}: set figure.dpi once"
        base = [float(f) for f in re.findall(r'"font\.size"\]?\s*[:=]\s*([\d.]+)', code)] or [10.0]
        sizes = [*base, *(float(f) for f in re.findall(r"fontsize=([\d.]+)", code)),
                 *(base[0] * SMALL_SIZES.get(name, 1.0)
                   for name in re.findall(r"fontsize=[\"']([a-z-]+)", code))]
        if re.search(r"ad\.(draw|animate|GraphDrawing)", code):
            sizes.append(drawn)
        assert min(sizes) * dpi[0] / 72 >= MIN_PIXELS, \
            f"{path.stem}: {min(sizes)} pt text at {dpi[0]} dpi is under {MIN_PIXELS} pixels"
        for cell in cells:  # a log axis writes 10⁻⁴ with its exponent at 0.7 times the size
            if cell["cell_type"] == "code" and re.search(
                    r"loglog\(|semilog[xy]\(|set_[xy]scale\(\"log\"", source(cell)):
                assert "set_major_formatter" in source(cell), \
                    f"{path.stem}: give the log axis a formatter that writes full-size numbers"
        for call in re.findall(r"ad\.animate\((?:[^()]|\([^()]*\))*\)", code):
            frames = re.search(r"dpi=(\d+)", call)
            assert frames and drawn * int(frames[1]) / 72 >= MIN_PIXELS, \
                f"{path.stem}: give ad.animate a dpi at which its labels are legible"


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

