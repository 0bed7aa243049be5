"""The explorer on array inputs, driven from Python without a browser.

A vector of up to 4 entries gets a slider per entry, a larger array none (the explorer
says why), a number its one slider as before. Oracles: gradients by hand (for
f = sum(tanh(W x + b)), b̄ = 1 - tanh², x̄ = Wᵀ b̄) and the array engine's backward().
"""

import importlib
import numbers
import re

import numpy as np
import pytest

from adlearn.errors import UnknownInputError
from adlearn.views.controls import MAX_SLIDERS, slider_entries
from adlearn.views.explorer import FORWARD, PATHS, REVERSE, explore

W = np.array([[1.0, -1.0, 0.5], [0.25, 2.0, -0.5]])


def layer(W, x, b):
    return (W @ x + b).tanh().sum()


@pytest.fixture
def explorer():
    e = explore(layer, W=W, x=[0.5, -1.0, 2.0], b=[0.1, -0.2])
    yield e
    e.close()


def gradient_of(x, b):
    g = 1 - np.tanh(W @ x + b) ** 2
    return W.T @ g, g


def test_a_small_vector_gets_a_slider_per_entry_and_a_matrix_none(explorer):
    assert list(explorer.sliders) == ["x[0]", "x[1]", "x[2]", "b[0]", "b[1]"]
    assert [s.description for s in explorer.sliders.values()] == list(explorer.sliders)
    assert explorer.sliders["x[2]"].value == 2.0
    note = explorer.fixed_note.value
    assert "No sliders for W, a (2×3) array" in note and f"up to {MAX_SLIDERS} entries" in note
    assert explorer.fixed_note in explorer.widget.children  # shown, under the sliders
    np.testing.assert_array_equal(explorer.point["W"], W)
    assert explorer.point["x"].tolist() == [0.5, -1.0, 2.0]


def test_moving_an_entrys_slider_recomputes_and_redraws(explorer):
    before_graph, before_trace = explorer.graph.value, explorer.trace_table.value
    explorer.sliders["x[1]"].value = 0.5
    x, b = np.array([0.5, 0.5, 2.0]), np.array([0.1, -0.2])
    assert explorer.point["x"].tolist() == x.tolist()
    grad_x, grad_b = gradient_of(x, b)
    np.testing.assert_allclose(explorer.inputs[1].grad, grad_x)
    np.testing.assert_allclose(explorer.inputs[2].grad, grad_b)
    value = float(np.tanh(W @ x + b).sum())
    assert f"<span class='adlearn-value'>{round(value, 3)}</span>" in explorer.result.value
    shown = dict(re.findall(r"data-input='(\w+)'>([^<]*)<", explorer.result.value))
    assert shown["x"] == "[" + ", ".join(f"{v:.3f}".rstrip("0").rstrip(".")
                                         for v in grad_x) + "]"
    assert explorer.graph.value != before_graph and explorer.trace_table.value != before_trace
    assert "x = [0.5, 0.5, 2]" in explorer.result.value


def test_the_sweeps_step_through_an_array_graph(explorer):
    explorer.tabs.selected_index = REVERSE
    steps = explorer.reverse.steps
    assert steps[0].caption[0].startswith("The sweep starts at the output")
    passes = [line for step in steps for line in step.caption if "+=" in line]
    assert any(line.startswith("v̄-2 += v̄1 · ∂v1/∂v-2 = [[") for line in passes)
    grad_x, _ = gradient_of(np.array([0.5, -1.0, 2.0]), np.array([0.1, -0.2]))
    assert steps[-1].values["v-1"] == pytest.approx(grad_x)
    explorer.reverse.step = len(steps) - 1
    assert "Done: every adjoint is final" in explorer.reverse.caption.value
    # the forward sweep is seeded on one entry: its tangent is ∂y/∂x[1]
    explorer.tabs.selected_index = FORWARD
    explorer.seed.value = "x[1]"
    last = explorer.forward.steps[-1]
    assert f"∂y/∂x[1] = v̇4 = {round(float(grad_x[1]), 3)}" in last.caption[-1]
    assert explorer.forward.steps[0].caption[0].startswith("Seeded on v-1[1]")


def test_choosing_an_arrays_paths_seeds_the_forward_sweep_on_its_first_entry(explorer):
    explorer.tabs.selected_index = PATHS
    explorer.paths.label = "b"
    assert explorer.seed.value == "b[0]"
    assert "Paths from b (v0) to the output" in explorer.path_table.value
    explorer.paths.label = "W"
    assert explorer.seed.value == "W[0, 0]"  # a fixed array is seeded on its first entry
    assert explorer.seed.options[0] == "W[0, 0]"


def test_scalar_inputs_keep_one_slider_beside_arrays():
    e = explore(lambda x, c: (x * c).sum(), x=[1.0, 2.0], c=3.0)
    assert list(e.sliders) == ["x[0]", "x[1]", "c"] and e.fixed_note.value == ""
    e.sliders["c"].value = 1.5
    assert e.inputs[0].grad.tolist() == [1.5, 1.5] and e.inputs[1].grad == 3.0
    e.close()


def test_ranges_name_an_entrys_slider():
    e = explore(layer, W=W, x=[0.5, -1.0, 2.0], b=[0.1, -0.2], ranges={"x[0]": (0, 1)})
    assert (e.sliders["x[0]"].min, e.sliders["x[0]"].max) == (0.0, 1.0)
    e.close()
    with pytest.raises(UnknownInputError, match="ranges names 'W', .* its sliders are x\\[0\\]"):
        explore(layer, W=W, x=[0.5, -1.0, 2.0], b=[0.1, -0.2], ranges={"W": (0, 1)})


def test_which_inputs_get_sliders():
    assert slider_entries("c", 2.0) == [("c", None)]
    assert slider_entries("x", np.zeros(4)) == [(f"x[{i}]", (i,)) for i in range(4)]
    assert slider_entries("x", np.zeros(5)) == []
    assert slider_entries("W", np.zeros((2, 2))) == []  # a matrix: no sliders, even if small
    assert slider_entries("s", np.array(1.5)) == [("s", ())]


def test_a_huge_input_builds_no_sliders_and_formats_no_entries(monkeypatch):
    numbers_written = []  # an array's entries would be written one by one
    for name in ("adlearn.views.trace", "adlearn.views.explorer", "adlearn.text"):
        module = importlib.import_module(name)
        monkeypatch.setattr(module, "textbook_number", lambda x, *a, _f=module.textbook_number: (
            numbers_written.append(x) if isinstance(x, numbers.Real) else None) or _f(x, *a))
    rng = np.random.default_rng(1)
    e = explore(lambda W, x, c: (W @ x * c).tanh().sum(), W=rng.normal(size=(1000, 1000)),
                x=rng.normal(size=1000) / 100, c=2.0)
    assert list(e.sliders) == ["c"]
    assert "No sliders for W, a (1000×1000) array, x, a (1000) array" in e.fixed_note.value
    assert "(1000×1000) array" in e.result.value and "(1000×1000) array" in e.trace_table.value
    assert len(numbers_written) < 200  # the one-entry values only, never an array's entries
    e.sliders["c"].value = 1.0
    e.tabs.selected_index = REVERSE
    e.reverse.step = len(e.reverse.steps) - 1
    shown = e.graph.value + e.trace_table.value + e.reverse.caption.value + e.result.value
    assert len(shown) < 100_000 and len(numbers_written) < 400
    e.close()
