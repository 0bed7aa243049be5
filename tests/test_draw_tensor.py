"""Drawing, networkx graphs and words for graphs of Tensors (issue 13).

The program is shaped like a small network, loss = sum((W2 @ tanh(W1 @ x + b1))²) with x of
length 3, W1 4×3, b1 of length 4 and W2 2×4, so every local Jacobian's shape is known by
hand: ∂(W1 @ x)/∂W1 is (4) × (4×3), an elementwise operation's is diagonal, and so on.
The shapes of whole derivatives are checked against ``ad.jacobian``, which forms them.
"""

import xml.etree.ElementTree as ET

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import adlearn as ad  # noqa: E402
import adlearn.text  # noqa: E402
from adlearn.views.words import save  # noqa: E402
from adlearn.views.drawing import GraphDrawing  # noqa: E402
from adlearn.views.notation import node_label  # noqa: E402
from adlearn.views.style import NODE_STYLE  # noqa: E402
from adlearn.errors import ArgumentError, UnknownInputError  # noqa: E402
from adlearn.views.network import to_networkx  # noqa: E402
from adlearn.views.paths import (JacobianShape, chain_rule_paths, gradient_shares,  # noqa: E402
                                 local_jacobian)
from adlearn.views.recording import Recording, trace_order  # noqa: E402
from adlearn.core.tensor import RULES, Tensor, _structural  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


X = np.array([1.0, -1.0, 0.5])
W1 = np.arange(12.0).reshape(4, 3) / 10 - 0.5
B1 = np.array([0.1, 0.2, -0.1, 0.0])
W2 = np.array([[0.5, -0.5, 1.0, 0.2], [0.3, 0.1, -0.2, 0.4]])


def hidden(x, w1, b1, w2):
    return w2 @ ad.tanh(w1 @ x + b1)


def mlp():
    """The network's leaves and its loss; x is the input, W1, b1, W2 its parameters."""
    x, w1 = ad.Tensor(X, name="x"), ad.Tensor(W1, name="W1")
    b1, w2 = ad.Tensor(B1, name="b1"), ad.Tensor(W2, name="W2")
    loss = (hidden(x, w1, b1, w2) ** 2).sum()
    return (x, w1, b1, w2), loss


# The trace's names with inputs=[x]: the input first, then the parameters in the order the
# program reached them (W2 @ ... reaches W2 first), then the operations (v1 = W1 @ x, ...,
# v6 = the sum).
IDS = {"x": "v-3", "W1": "v-1", "b1": "v0", "W2": "v-2"}
HAND_JACOBIANS = {  # (source, target): ∂target/∂source, by hand: output shape × input shape
    ("v-1", "v1"): "(4) × (4×3)",            # v1 = W1 @ x
    ("v-3", "v1"): "(4) × (3)",
    ("v1", "v2"): "(4) × (4) diagonal",      # v2 = v1 + b1
    ("v0", "v2"): "(4) × (4) diagonal",
    ("v2", "v3"): "(4) × (4) diagonal",      # v3 = tanh v2
    ("v-2", "v4"): "(2) × (2×4)",             # v4 = W2 @ v3
    ("v3", "v4"): "(2) × (4)",
    ("v4", "v5"): "(2) × (2) diagonal",      # v5 = v4 ^ 2
    ("v5", "v6"): "() × (2)",                # v6 = sum(v5): one number
}


def test_to_networkx_gives_each_edge_the_shape_of_its_local_jacobian():
    leaves, loss = mlp()
    graph = to_networkx(loss, inputs=[leaves[0]])
    assert graph.graph == {"output": "v6", "arrays": True}
    shapes = {(u, v): str(j) for u, v, j in graph.edges(data="jacobian") if j is not None}
    assert shapes == HAND_JACOBIANS
    constant = [(u, v, j) for u, v, j in graph.edges(data="jacobian") if j is None]
    assert constant == [("c1", "v5", None)]  # the exponent 2: a constant, no Jacobian
    assert graph.edges["v-1", "v1", 0]["jacobian"] == JacobianShape((4,), (4, 3))


def test_to_networkx_nodes_carry_shape_value_and_kind():
    (x, w1, b1, w2), loss = mlp()
    graph = to_networkx(loss, inputs=[x])
    assert {leaf.name: graph.nodes[IDS[leaf.name]]["shape"] for leaf in (x, w1, b1, w2)} == {
        "x": (3,), "W1": (4, 3), "b1": (4,), "W2": (2, 4)}
    assert {leaf.name: name for leaf, name in Recording(loss, [x]).ids.items() if leaf.name} == IDS
    assert graph.nodes["v6"]["shape"] == ()
    assert graph.nodes["v-1"]["value"] is w1.value
    kinds = dict(graph.nodes(data="kind"))
    assert kinds == {"v-3": "input", "v-1": "parameter", "v0": "parameter",
                     "v-2": "parameter", "c1": "constant", "v1": "intermediate",
                     "v2": "intermediate", "v3": "intermediate", "v4": "intermediate",
                     "v5": "intermediate", "v6": "output"}
    everything = dict(to_networkx(loss).nodes(data="kind"))  # no inputs=: every leaf an input
    assert {everything[n] for n in ("v-3", "v-1", "v0", "v-2")} == {"input"}


def test_a_leaf_not_among_the_inputs_is_a_parameter_on_vars_too():
    x, w = ad.Var(2.0, name="x"), ad.Var(0.5, name="w")
    f = w * x
    assert dict(to_networkx(f, inputs=[x]).nodes(data="kind")) == {
        "v-1": "input", "v0": "parameter", "v1": "output"}
    assert set(dict(to_networkx(f).nodes(data="kind")).values()) == {"input", "output"}


def test_path_products_have_the_shape_of_the_jacobian_that_ad_jacobian_forms():
    (x, w1, b1, w2), loss = mlp()
    paths = chain_rule_paths(loss, "W1", inputs=[x])
    assert len(paths) == 1
    assert paths[0].nodes == ("v-1", "v1", "v2", "v3", "v4", "v5", "v6")
    assert paths[0].formula() == (
        "∂v6/∂v5 · ∂v5/∂v4 · ∂v4/∂v3 · ∂v3/∂v2 · ∂v2/∂v1 · ∂v1/∂v-1: () × (2) · (2) × (2) "
        "diagonal · (2) × (4) · (4) × (4) diagonal · (4) × (4) diagonal · (4) × (4×3) "
        "= () × (4×3)")
    assert paths.total == JacobianShape((), (4, 3))
    assert ad.jacobian(lambda w: (hidden(X, w, B1, W2) ** 2).sum())(W1).shape == (4, 3)
    # a non-scalar output: the sum over paths is a Jacobian, (2) × (4×3)
    inner = hidden(x, w1, b1, w2)
    shape = chain_rule_paths(inner, w1).total
    assert (*shape.rows, *shape.cols) == ad.jacobian(lambda w: hidden(X, w, B1, W2))(W1).shape


def local_function(node, index):
    """node's operation as a function of its input number index, the others held fixed."""
    others = [x.value for x in node.inputs]

    def f(t):
        args = [t if i == index else v for i, v in enumerate(others)]
        if node.op in RULES:
            return Tensor._apply(node.op, *args)
        return _structural(node.op, args, **node.params)
    return f


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.booleans())
def test_every_edge_has_the_shape_and_sparsity_of_the_jacobian_ad_jacobian_forms(
        m, n, batch, transposed):
    """The oracle: ad.jacobian forms each edge's local Jacobian from its operation alone;
    its shape is the edge's, and an edge marked diagonal has nothing off the diagonal."""
    rng = np.random.default_rng(m * 100 + n * 10 + batch)
    X = ad.Tensor(rng.normal(size=(batch, n)), name="X")
    W = ad.Tensor(rng.normal(size=(m, n)), name="W")
    b = ad.Tensor(rng.normal(size=m), name="b")
    Z = X @ (W.T if transposed else W.reshape(n, m)) + b   # b broadcast over the batch
    loss = (ad.tanh(Z) * Z).max(axis=1).sum() + Z[0].mean()
    for node in trace_order(loss):
        for index, arg in enumerate(node.inputs):
            if arg.is_constant:
                continue
            shape = local_jacobian(node, index)
            J = ad.jacobian(local_function(node, index))(arg.value)
            assert J.shape == (*shape.rows, *shape.cols), (node.op, shape)
            if shape.diagonal:
                square = J.reshape(node.size, arg.size)
                assert np.array_equal(square, np.diag(np.diag(square))), node.op


def test_a_reused_node_gives_two_paths_that_sum_to_its_derivative():
    x = ad.Tensor([1.0, 2.0], name="x")
    paths = chain_rule_paths((x * x).sum(), "x")
    assert [p.formula() for p in paths] == [
        "∂v2/∂v1 · ∂v1/∂v0 (argument 1): () × (2) · (2) × (2) diagonal = () × (2)",
        "∂v2/∂v1 · ∂v1/∂v0 (argument 2): () × (2) · (2) × (2) diagonal = () × (2)"]
    assert paths.sum_formula() == "∂v2/∂v0 = path 1 + path 2: () × (2)"


def test_node_labels_show_operation_shape_and_values_of_up_to_six_entries():
    (x, w1, b1, w2), loss = mlp()
    loss.backward()
    ids = Recording(loss, [x]).ids
    by_id = {name: node for node, name in ids.items()}
    assert node_label(by_id["v1"], ids, False) == "v1 = v-1 @ v-3  (4)\n= [-0.25, -0.1, 0.05, 0.2]"
    assert node_label(by_id["v-1"], ids, True) == "v-1 = W1  (4×3)"  # 12 entries: shape only
    assert node_label(by_id["v-2"], ids, False) == "v-2 = W2  (2×4)"   # 8 entries
    assert node_label(by_id["v6"], ids, True) == "v6 = sum(v5)  ()\n= 0.021\nv̄6 = 1"
    assert node_label(by_id["c1"], ids, False) == "2"  # a one-entry constant: its value
    v4 = by_id["v4"].value
    assert node_label(by_id["v4"], ids, True).splitlines()[1:] == [
        f"= [{np.round(v4[0], 3):g}, {np.round(v4[1], 3):g}]",
        f"v̄4 = [{np.round(2 * v4[0], 3):g}, {np.round(2 * v4[1], 3):g}]"]


def test_values_are_shown_for_six_entries_but_not_for_seven():
    six, seven = ad.Tensor(np.arange(6.0), name="a"), ad.Tensor(np.arange(7.0), name="b")
    ids = Recording(six.sum() + seven.sum()).ids
    assert node_label(six, ids, False) == "v-1 = a  (6)\n= [0, 1, 2, 3, 4, 5]"
    assert node_label(seven, ids, False) == "v0 = b  (7)"
    matrix = ad.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], name="M")
    assert node_label(matrix, Recording(matrix.sum()).ids, False) == \
        "v0 = M  (2×3)\n= [[1, 2, 3], [4, 5, 6]]"


def test_a_large_array_is_drawn_and_described_without_formatting_its_entries(monkeypatch):
    formatted = []
    rounded = adlearn.text.rounded

    def counting(x, *args, **kwargs):
        formatted.append(x)
        return rounded(x, *args, **kwargs)

    monkeypatch.setattr(adlearn.text, "rounded", counting)
    big = ad.Tensor(np.ones((1000, 1000)), name="X")
    v = ad.Tensor(np.ones(1000), name="v")
    out = ((big @ v).tanh() * 2 + np.ones(1000)).sum()
    out.backward()
    drawing = GraphDrawing(out, highlight="X")
    words = ad.describe(out, "X")
    # only one-number values are written: the sum, its adjoint, the constant 2, a few times
    assert len(formatted) <= 12
    assert all(np.ndim(x) == 0 for x in formatted)
    assert drawing.node_texts["v-1"].get_text() == "v-1 = X  (1000×1000)"
    assert drawing.edge_texts["v-1", "v1", 0].get_text() == "∂v1/∂v-1:\n(1000) × (1000×1000)"
    assert "v-1 (X): shape (1000×1000)" in words
    assert "v-1: 1,000,000 entries, too many to list" in words


def test_a_gather_by_a_batch_of_labels_is_written_by_its_length():
    rng = np.random.default_rng(0)
    logits = ad.Tensor(rng.normal(size=(64, 3)), name="Z")
    loss = ad.cross_entropy(logits, rng.integers(0, 3, 64))
    drawing = GraphDrawing(loss)
    assert drawing.node_texts["v2"].get_text() == "v2 = v1[<64 indices>, <64 indices>]  (64)"
    assert drawing.figure_size()[0] < 30  # inches: the label does not widen every layer


def test_drawing_labels_edges_with_jacobian_shapes_and_parameters_look_different():
    (x, w1, b1, w2), loss = mlp()
    drawing = GraphDrawing(loss, inputs=[x])
    labels = {(u, v): t.get_text() for (u, v, k), t in drawing.edge_texts.items()}
    assert labels == {edge: f"∂{edge[1]}/∂{edge[0]}:\n{shape}"
                      for edge, shape in HAND_JACOBIANS.items()}
    faces = drawing.boxes.get_facecolors()
    kinds = dict(drawing.graph.nodes(data="kind"))
    for node, i in drawing.nodes.items():
        assert tuple(faces[i]) == matplotlib.colors.to_rgba(NODE_STYLE[kinds[node]][0])
    assert NODE_STYLE["parameter"][0] != NODE_STYLE["input"][0]
    for node, corners in (("v-1", "square"), ("v-3", "rounded")):  # a parameter, an input
        vertices = drawing.boxes.get_paths()[drawing.nodes[node]].vertices
        points = {tuple(np.round(v, 9)) for v in vertices}  # a square box: its 4 corners
        assert (len(points) == 4) == (corners == "square")
    legend = drawing.legend.get_title().get_text()
    assert "() is one number" in legend and "Square orange boxes are parameters" in legend


def test_highlight_lists_each_path_as_a_chain_of_jacobian_shapes():
    (x, w1, b1, w2), loss = mlp()
    drawing = GraphDrawing(loss, highlight="b1", inputs=[x])
    texts = [t.get_text() for t in drawing.legend.get_texts()]
    assert texts == [
        "Chain-rule paths from v0 (b1) to v6:",
        "path 1: ∂v6/∂v5 · ∂v5/∂v4 · ∂v4/∂v3 · ∂v3/∂v2 · ∂v2/∂v0: () × (2) · (2) × (2) "
        "diagonal · (2) × (4) · (4) × (4) diagonal · (4) × (4) diagonal = () × (4)",
        "sum over the paths: ∂v6/∂v0: () × (4)"]
    assert drawing.legend.get_title().get_text().startswith(
        "The chain rule: multiply the Jacobians (edge labels) along each path, as matrices")
    assert [edge for _, edge in drawing.overlay_edges] == [
        ("v0", "v2", 1), ("v2", "v3", 0), ("v3", "v4", 1), ("v4", "v5", 0), ("v5", "v6", 0)]


def test_too_many_paths_on_arrays_colour_the_edges_on_them_and_give_the_shape():
    x = ad.Tensor([1.0, 2.0], name="x")
    y = x
    for _ in range(4):  # each step doubles the paths: 16
        y = y * y
    drawing = GraphDrawing(y.sum(), highlight="x", max_paths=12)
    assert {n for n, _ in drawing.overlay_edges} == {None}
    assert len(drawing.overlay_edges) == 9  # every edge but none: all lie on a path
    title = drawing.legend.get_title().get_text()
    assert "16 chain-rule paths from v0 (x): too many to list" in title
    assert "∂v5/∂v0: () × (2)" in title
    assert "too many to list. Their sum is the derivative ∂v5/∂v0, of shape () × (2)" in \
        ad.describe(y.sum(), "x", max_paths=12)


def test_describe_says_shapes_kinds_values_and_jacobians_in_words():
    (x, w1, b1, w2), loss = mlp()
    loss.backward()
    lines = ad.describe(loss, "W1", inputs=[x]).splitlines()
    assert lines[0] == (
        "Computation graph on arrays of sum((W2 @ (tanh ((W1 @ x) + b1)))^2) at "
        "x = [1, -1, 0.5], W2 of shape (2×4), W1 of shape (4×3), b1 = [0.1, 0.2, -0.1, 0]: "
        "1 input, 3 parameters, 6 operations, 10 edges.")
    assert lines[2] == "Inputs: v-3 (x): shape (3), entries [1, -1, 0.5]."
    assert lines[3] == ("Parameters (leaves that are not among the inputs): v-2 (W2): shape (2×4); v-1 (W1): shape (4×3); v0 (b1): "
                        "shape (4), entries [0.1, 0.2, -0.1, 0].")
    assert "v1 = v-1 @ v-3: shape (4), entries [-0.25, -0.1, 0.05, 0.2]." in lines
    assert "v5 = v4^2: shape (2), entries" in "\n".join(lines)
    assert f"The output is v6: shape (), value {loss.value.item():.6g}." in lines
    assert "v-1: 12 entries, too many to list" in lines[-4]
    assert lines[-1] == ("So the derivative ∂v6/∂v-1, of shape () × (4×3), the gradient: it "
                         "has the shape of v-1, (4×3).")


def test_the_drawing_carries_its_words_into_an_svg(tmp_path):
    (x, w1, b1, w2), loss = mlp()
    drawing = GraphDrawing(loss, highlight="W1", inputs=[x])
    title, description = drawing.describe()
    assert title.startswith("Computation graph on arrays of")
    assert "of shape () × (4×3)" in description
    save(drawing.ax.figure, tmp_path / "mlp.svg", title, description)
    root = ET.parse(tmp_path / "mlp.svg").getroot()
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert root.find("svg:title", ns).text == title
    assert root.find("svg:desc", ns).text == description


def test_update_redraws_a_tensor_graph_with_new_values():
    (x, w1, b1, w2), loss = mlp()
    drawing = GraphDrawing(loss, inputs=[x])
    new = ad.Tensor(np.zeros(3), name="x")
    drawing.update((hidden(new, w1, b1, w2) ** 2).sum(), inputs=[new])
    assert drawing.node_texts["v1"].get_text() == "v1 = v-1 @ v-3  (4)\n= [0, 0, 0, 0]"


def test_bad_input_gives_clear_adlearn_errors():
    (x, w1, b1, w2), loss = mlp()
    with pytest.raises(UnknownInputError, match="no input named 'W3'.*x, W2, W1, b1"):
        ad.draw(loss, highlight="W3", inputs=[x])
    with pytest.raises(UnknownInputError, match="not part of the graph"):
        ad.draw(loss, highlight=ad.Tensor([1.0], name="x"))
    with pytest.raises(ArgumentError, match="call output.backward\\(\\) first"):
        ad.draw(loss, adjoints=True)
    with pytest.raises(ArgumentError, match="call output.backward\\(\\) first.*seed"):
        ad.describe(hidden(x, w1, b1, w2), adjoints=True)
    with pytest.raises(ArgumentError, match="on Tensors an edge's share would be an array"):
        gradient_shares(loss, "W1")
    with pytest.raises(ArgumentError, match="Vars or Tensors, not array"):
        ad.to_networkx(np.ones(3))
