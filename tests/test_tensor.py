"""Tensor, reverse mode on arrays, against two independent oracles: the scalar engine run
entry by entry on the same computation (a NumPy array of Vars), and central differences.

A random program is drawn from every operation the array layer has. Each operation is
written once, for an argument that is either a Tensor or an object array of Vars, so
the two engines compute the same thing by different code: the Tensor's gradient must
equal the Vars' adjoints to 1e-10 (relative) and central differences to 1e-6.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import adlearn as ad
from adlearn.core.tensor import Tensor


# --- The two engines, one program -----------------------------------------------------------


def on_vars(array):
    """An object array holding a fresh Var for each entry of array (one Var for 0-d)."""
    return unwrapped(np.vectorize(lambda v: ad.Var(float(v)), otypes=[object])(array))


def unwrapped(v):
    """A 0-d object array as the Var it holds: a Var mixes with numbers, not arrays."""
    return v.item() if isinstance(v, np.ndarray) and v.ndim == 0 else v


def adjoints(var_array):
    return np.vectorize(lambda v: v.grad, otypes=[float])(np.asarray(var_array, dtype=object))


def elementwise(name):
    """ad.<name> on a Tensor, or entry by entry on an array of Vars."""
    function = getattr(ad, name)
    return lambda v: function(v) if isinstance(v, Tensor) else np.frompyfunc(function, 1, 1)(v)


exp, log = elementwise("exp"), elementwise("log")


def value_of(v):
    return v.value if isinstance(v, Tensor) else np.vectorize(lambda x: x.value)(v)


def log_softmax(v):
    """ad.log_softmax on a Tensor; on Vars, the textbook formula with a constant shift."""
    if isinstance(v, Tensor):
        return ad.log_softmax(v)
    shifted = v - value_of(v).max(axis=-1, keepdims=True)
    return shifted - log(np.sum(exp(shifted), axis=-1, keepdims=True))


def softmax(v):
    if isinstance(v, Tensor):
        return ad.softmax(v)
    e = exp(v - value_of(v).max(axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def untied(v):
    """v plus tiny distinct constants, so that a maximum is never a tie (ties are split
    between entries by Tensor, given to one entry by the Vars)."""
    return v + plain(np.arange(np.size(value_of(v))).reshape(np.shape(value_of(v))) * 1e-3)


def plain(array):
    """A constant for either engine: a 0-d array as a float (a Var mixes with numbers only)."""
    return float(array) if np.ndim(array) == 0 else array


def method(name):
    """Tensor's method name, or NumPy's function of that name on an array of Vars (which
    NumPy would collapse to a Var when it has no axes left)."""
    return lambda v, *args, **kwargs: (
        getattr(v, name)(*args, **kwargs) if isinstance(v, Tensor)
        else unwrapped(getattr(np, name)(np.asarray(v, dtype=object), *args, **kwargs)))


total, maximum, mean, reshape, transpose = map(method, ("sum", "max", "mean", "reshape",
                                                        "transpose"))


def flat(v):
    return reshape(v, -1)


def entrywise(f, inputs=1):
    """f on Tensors, or on arrays of Vars entry by entry (NumPy broadcasting them)."""
    return lambda *v: f(*v) if isinstance(v[0], Tensor) else np.frompyfunc(f, inputs, 1)(*v)


# Operations that keep the shape; each keeps values moderate and inside its domain.
UNARY = {name: entrywise(f) for name, f in {
    "neg": lambda v: -v,
    "square": lambda v: v * v,
    "cube": lambda v: v ** 3,
    "exp": lambda v: ad.exp(ad.tanh(v)),
    "log": lambda v: ad.log(v * v + 1.0),
    "sqrt": lambda v: ad.sqrt(v * v + 1.0),
    "sin": ad.sin,
    "cos": ad.cos,
    "tan": lambda v: ad.tan(ad.tanh(v)),
    "tanh": ad.tanh,
    "sigmoid": ad.sigmoid,
    "relu": ad.relu,
    "abs": ad.abs,
    "reciprocal": lambda v: 1.0 / (v * v + 1.0),
    "two_to_the": lambda v: 2.0 ** ad.tanh(v),
    "one_minus": lambda v: 1.0 - v,
}.items()}
UNARY["softmax"] = lambda v: softmax(v) if np.ndim(value_of(v)) else v
UNARY["log_softmax"] = lambda v: log_softmax(v) if np.ndim(value_of(v)) else v

# Operations on two arrays of shapes that broadcast together.
BINARY = {name: entrywise(f, 2) for name, f in {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "pow": lambda a, b: (a * a + 1.0) ** ad.tanh(b),
}.items()}

# Operations that change the shape, applied to the combined result.
STRUCTURAL = {
    "sum": lambda v: total(v, axis=0) if np.ndim(value_of(v)) else v,
    "sum_keepdims": lambda v: total(v, axis=-1, keepdims=True) if np.ndim(value_of(v)) else v,
    "mean": lambda v: mean(v, axis=0) if np.ndim(value_of(v)) else v,
    "max": lambda v: maximum(untied(v), axis=-1) if np.ndim(value_of(v)) else v,
    "max_all": lambda v: maximum(untied(v)),
    "transpose": transpose,
    "flatten": flat,
    "gather": lambda v: flat(v)[[0, 0, -1, 0]],  # repeated indices add up
    "slice": lambda v: flat(v)[::-2],
    "dot": lambda v: flat(v) @ flat(v),
    "matrix_vector": lambda v: transpose(reshape(v, (1, -1))) @ flat(v)[:1],
    "outer_then_matmul": lambda v: (reshape(v, (-1, 1)) @ reshape(v, (1, -1))) @ flat(v),
    "solve": lambda v: solved(flat(v)),
}


def solved(b):
    """ad.solve(A, b) for a constant, well-conditioned A on a Tensor; A⁻¹ b on Vars."""
    n = np.size(value_of(b))
    A = 3 * np.eye(n) + np.arange(n * n).reshape(n, n) / (n * n)
    return ad.solve(A, b) if isinstance(b, Tensor) else np.linalg.inv(A) @ b


def run(program, a, b, weights_seed):
    """The program on (a, b): unary ops on each, a binary op, structural ops, then the
    weighted sum of the result (so the seed of the sweep is a random array)."""
    first, second, combine, tail = program
    for name in first:
        a = UNARY[name](a)
    for name in second:
        b = UNARY[name](b)
    r = BINARY[combine](a, b)
    for name in tail:
        r = STRUCTURAL[name](r)
    weights = plain(np.random.default_rng(weights_seed).uniform(0.5, 1.5, np.shape(value_of(r))))
    return np.sum(r * weights) if not isinstance(r, Tensor) else (r * weights).sum()


programs = st.tuples(
    st.lists(st.sampled_from(sorted(UNARY)), max_size=3),
    st.lists(st.sampled_from(sorted(UNARY)), max_size=2),
    st.sampled_from(sorted(BINARY)),
    st.lists(st.sampled_from(sorted(STRUCTURAL)), max_size=2),
)
nonzero = st.floats(0.2, 2.0) | st.floats(-2.0, -0.2)  # away from the kinks of relu and abs


@st.composite
def broadcasting_pairs(draw):
    """Two arrays whose shapes broadcast (size-1 and missing axes included)."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    return tuple(draw(hnp.arrays(np.float64, s, elements=nonzero)) for s in shapes.input_shapes)


def central_differences(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


def near_a_kink(loss, margin=1e-3):
    """Whether an abs or relu in loss's graph has an input entry within margin of 0 (as
    1.0 - a at a = 1.0): there the derivative jumps and central differences straddle it."""
    return any(node.op in ("abs", "relu") and np.abs(node.inputs[0].value).min() < margin
               for node in ad.topological_order(loss))


@settings(max_examples=150, deadline=None)
@given(programs, broadcasting_pairs(), st.integers(0, 2**32 - 1))
def test_a_random_program_has_the_scalar_engines_gradient_and_the_numeric_one(program, pair,
                                                                               seed):
    a, b = pair
    ta, tb = Tensor(a, name="a"), Tensor(b, name="b")
    loss = run(program, ta, tb, seed)
    assume(not near_a_kink(loss))
    loss.backward()
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape

    va, vb = on_vars(a), on_vars(b)
    var_loss = run(program, va, vb, seed)
    var_loss.backward()
    assert loss.value == pytest.approx(var_loss.value, rel=1e-12, abs=1e-12)
    for grad, var_grad in ((ta.grad, adjoints(va)), (tb.grad, adjoints(vb))):
        scale = max(1.0, np.abs(var_grad).max(initial=0.0))
        np.testing.assert_allclose(grad, var_grad, rtol=1e-10, atol=1e-12 * scale)

    numeric_a = central_differences(lambda x: run(program, Tensor(x), Tensor(b), seed).value, a)
    numeric_b = central_differences(lambda x: run(program, Tensor(a), Tensor(x), seed).value, b)
    np.testing.assert_allclose(ta.grad, numeric_a, rtol=1e-5, atol=1e-6 * scale)
    np.testing.assert_allclose(tb.grad, numeric_b, rtol=1e-5, atol=1e-6 * scale)


def test_every_operation_is_drawn_by_the_random_programs():
    import adlearn.core.tensor as tensor

    used = set()
    for name in UNARY:  # which rules and structural ops each one records
        used |= ops_of(lambda t: UNARY[name](t).sum())
    for name in BINARY:
        used |= ops_of(lambda t: BINARY[name](t, t * 2.0).sum())
    for name in STRUCTURAL:
        used |= ops_of(lambda t: STRUCTURAL[name](t).sum())
    everything = set(ad.RULES) | set(tensor.STRUCTURAL)
    # broadcast_to and scatter_add are VJPs: recorded only in a differentiable sweep
    assert everything - used == {"broadcast_to", "scatter_add"}


def ops_of(f):
    out = f(Tensor(np.arange(1.0, 7.0).reshape(2, 3)))
    return {node.op for node in ad.topological_order(out)} - {None, "const"}


# --- Broadcasting, reductions, indexing: hand-computed -----------------------------------------


def test_broadcasting_sums_the_adjoint_over_the_stretched_axes():
    x = Tensor(np.ones((2, 3)), name="x")
    b = Tensor([10.0, 20.0, 30.0], name="b")
    c = Tensor([[1.0], [2.0]], name="c")
    y = (x * b + c).sum()
    y.backward()
    assert y.value == 2 * 60.0 + 3 * 3.0
    np.testing.assert_array_equal(x.grad, [[10, 20, 30], [10, 20, 30]])
    np.testing.assert_array_equal(b.grad, [2.0, 2.0, 2.0])  # summed over the rows
    np.testing.assert_array_equal(c.grad, [[3.0], [3.0]])  # summed over the columns
    assert b.grad.shape == b.shape and c.grad.shape == c.shape


def test_plain_arrays_and_numbers_mix_in_on_either_side():
    x = Tensor([1.0, 2.0], name="x")
    y = (np.array([3.0, 4.0]) * x + 2 - x / np.array([1.0, 2.0]) + 2 ** x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad, [3 - 1 + 2 * np.log(2), 4 - 0.5 + 4 * np.log(2)])


def test_repeated_indices_add_up():
    x = Tensor([1.0, 2.0, 3.0], name="x")
    y = (x[[0, 0, 2, 0]] * np.array([1.0, 10.0, 100.0, 1000.0])).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [1011.0, 0.0, 100.0])
    m = Tensor(np.arange(6.0).reshape(2, 3))
    z = m[:, 1:].sum() + m[0].sum() + m[1, 2]
    z.backward()
    np.testing.assert_array_equal(m.grad, [[1, 2, 2], [0, 1, 2]])


def test_an_embedding_lookup_by_a_matrix_of_codes_scatters_its_adjoint_back():
    """C[X] with X an N × T array of row numbers (notebook 12's embedding): each row of C
    gets the adjoints of every copy of it, as the scalar engine and central differences say."""
    rng = np.random.default_rng(12)
    table, weights = rng.normal(size=(4, 2)), rng.normal(size=(3, 6))
    X = np.array([[0, 0, 3], [3, 1, 0], [0, 3, 3]])  # row 2 unused, rows 0 and 3 often

    def loss(C):
        return (C[X].reshape(3, 6) * weights).sum()

    C = Tensor(table)
    loss(C).backward()
    C_vars = on_vars(table)
    loss(C_vars).backward()
    numeric = np.zeros_like(table)
    for i in np.ndindex(table.shape):
        step = np.zeros_like(table)
        step[i] = 1e-6
        numeric[i] = (loss(table + step) - loss(table - step)) / 2e-6
    np.testing.assert_allclose(C.grad, adjoints(C_vars), rtol=1e-12)
    np.testing.assert_allclose(C.grad, numeric, rtol=1e-6)
    assert not C.grad[2].any()


def test_max_sends_the_adjoint_to_the_maximum_and_splits_ties():
    x = Tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]])
    y = x.max(axis=1).sum() + x.max()
    y.backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [2, 0, 0]])


def test_mean_reshape_and_transpose():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    y = (x.mean(axis=0) * np.array([1.0, 2.0, 3.0])).sum() + (x.T.reshape(3, 2) ** 2).mean()
    y.backward()
    np.testing.assert_allclose(x.grad, np.array([[1, 2, 3], [1, 2, 3]]) / 2
                               + 2 * np.arange(6.0).reshape(2, 3) / 6)


# --- Matmul: vectors, matrices, both orders, a batch --------------------------------------------


@pytest.mark.parametrize("shape_a, shape_b", [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (3,)),
    ((3,), (5, 3, 4)), ((1, 2, 3), (5, 3, 2)),
])
def test_matmul_matches_the_scalar_engine(shape_a, shape_b):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=shape_a), rng.normal(size=shape_b)
    weights = plain(rng.normal(size=np.matmul(a, b).shape))
    ta, tb = Tensor(a), Tensor(b)
    ((ta @ tb) * weights).sum().backward()
    va, vb = on_vars(a), on_vars(b)
    np.sum((va @ vb) * weights).backward()
    np.testing.assert_allclose(ta.grad, adjoints(va), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tb.grad, adjoints(vb), rtol=1e-12, atol=1e-14)
    tc = Tensor(b)
    ((a @ tc) * weights).sum().backward()  # a plain array on the left: NumPy defers to Tensor
    np.testing.assert_allclose(tc.grad, tb.grad, rtol=1e-15)


# --- softmax and cross-entropy ----------------------------------------------------------------


def test_softmax_and_cross_entropy_are_stable_at_logits_of_plus_minus_1000():
    logits = Tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], name="logits")
    np.testing.assert_allclose(ad.softmax(logits).value,
                               [[1, 0, 0], [0, 1 / (1 + np.exp(-1)), 1 / (1 + np.e)]])
    np.testing.assert_allclose(ad.log_softmax(logits).value[0], [0, -2000, -1000])
    loss = ad.cross_entropy(logits, [1, 1])
    # row 0: -log p = 2000; row 1: log(1 + e^-1); the mean of the two
    assert loss.value == pytest.approx((2000 + np.log1p(np.exp(-1))) / 2, rel=1e-15)
    loss.backward()
    p1 = 1 / (1 + np.exp(-1))
    np.testing.assert_allclose(logits.grad, [[0.5, -0.5, 0], [0, (p1 - 1) / 2, (1 - p1) / 2]],
                               atol=1e-15)
    assert np.isfinite(logits.grad).all()


def test_cross_entropy_is_the_scalar_engines():
    rng = np.random.default_rng(2)
    logits, labels = rng.normal(size=(4, 3)) * 5, np.array([0, 2, 2, 1])
    t = Tensor(logits)
    loss = ad.cross_entropy(t, labels)
    loss.backward()
    v = on_vars(logits)
    rows = log_softmax(v)
    var_loss = -np.sum([rows[i, labels[i]] for i in range(4)]) / 4
    var_loss.backward()
    assert loss.value == pytest.approx(var_loss.value, rel=1e-14)
    np.testing.assert_allclose(t.grad, adjoints(v), rtol=1e-12, atol=1e-15)


# --- backward, zero_grad, the graph itself -----------------------------------------------------


def test_backward_of_a_non_scalar_needs_a_seed_of_its_shape():
    x = Tensor([1.0, 2.0, 3.0], name="x")
    y = x * x
    with pytest.raises(ad.errors.ShapeError, match=r"needs a seed of shape \(3,\)"):
        y.backward()
    with pytest.raises(ad.errors.ShapeError, match=r"the seed has shape \(2,\).*\(3,\)"):
        y.backward([1.0, 1.0])
    y.backward([1.0, 0.0, 10.0])  # the vector of a vector-Jacobian product
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 60.0])


def test_adjoints_accumulate_and_zero_grad_forgets_them():
    x = Tensor([1.0, 2.0], name="x")
    assert x.grad is None
    y = (x * x).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])
    x.grad *= 0.5  # a grad is an array of its own, writable in place
    y.zero_grad()
    assert x.grad is None and y.grad is None
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_a_sum_gives_a_writable_grad_of_its_own():
    x = Tensor(np.ones((2, 2)))
    x.sum().backward()  # the VJP of sum broadcasts (a read-only view); grad is a copy
    x.grad += 1.0
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 2.0))


def test_nodes_are_introspectable_like_vars():
    W = Tensor(np.eye(2), name="W")
    y = ad.tanh(W @ np.array([1.0, 2.0])).sum()
    order = ad.topological_order(y)
    assert [n.op for n in order] == [None, "const", "matmul", "tanh", "sum"]
    assert order[2].inputs == (W, order[1]) and order[2].value.shape == (2,)
    assert order[4].params == {"axis": None, "keepdims": False}
    assert repr(W) == "Tensor([[1., 0.],\n        [0., 1.]], name='W')"
    assert repr(y) == "Tensor(1.72562174, op='sum')"  # tanh 1 + tanh 2


def test_a_chain_of_100_000_operations_needs_no_recursion():
    from test_engine import no_cycle_collector

    with no_cycle_collector():
        x = Tensor([1.0, 2.0])
        y = x
        for _ in range(100_000):
            y = y + x
        y.sum().backward()
        np.testing.assert_array_equal(x.grad, [100_001.0, 100_001.0])


def test_the_graph_is_freed_once_the_output_is_dropped_without_the_cycle_collector():
    import weakref

    from test_engine import no_cycle_collector

    with no_cycle_collector():
        x = Tensor([[0.5, 1.0]], name="x")
        y = (ad.sin(x @ x.T) + ad.log_softmax(x)[0, [1, 1]].sum() + x.max()).sum()
        y.backward()
        nodes = [weakref.ref(n) for n in ad.topological_order(y) if n is not x]
        assert len(nodes) > 8 and all(ref() is not None for ref in nodes)
        del y
        assert [ref() for ref in nodes] == [None] * len(nodes)
        assert x.grad is not None


def test_import_adlearn_loads_numpy_only_when_an_array_is_used():
    from test_import import modules_after

    assert "numpy" not in modules_after("import adlearn as ad\nad.grad(ad.sin)(1.0)\nad.Var")
    assert "numpy" in modules_after("import adlearn as ad\nad.Tensor")


def test_the_readmes_arrays_section_prints_what_it_shows():
    import doctest
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Arrays", 1)[1].split("\n## ", 1)[0]
    example = re.search(r"```python\n(.*?)\n```", section, re.DOTALL).group(1)
    test = doctest.DocTestParser().get_doctest(example, {}, "README arrays", "README.md", 0)
    assert len(test.examples) > 15
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0


def test_gradients_are_arrays_of_their_own_even_for_one_number():
    x = Tensor(2.0)
    (x * 3.0).backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == () and x.grad == 3.0
    _, pullback = ad.vjp(lambda v: v.sum(), np.ones((2, 2)))
    adjoint = pullback(1.0)
    adjoint += 1.0  # writable, not NumPy's read-only broadcast view
    np.testing.assert_array_equal(adjoint, np.full((2, 2), 2.0))


def test_gradient_descent_with_tensors_trains_a_classifier():
    """Two interleaved half-moons' worth of points: a 2-16-2 tanh MLP learns them."""
    rng = np.random.default_rng(3)
    angle = rng.uniform(0, np.pi, 100)
    labels = np.arange(100) % 2
    points = np.stack([np.cos(angle) + labels, np.sin(angle) * (1 - 2 * labels) + 0.3 * labels],
                      axis=1) + rng.normal(scale=0.1, size=(100, 2))
    params = [Tensor(rng.normal(size=(2, 16))), Tensor(np.zeros(16)),
              Tensor(rng.normal(size=(16, 2)) / 4), Tensor(np.zeros(2))]
    losses = []
    for _ in range(300):
        W1, b1, W2, b2 = params
        logits = ad.tanh(points @ W1 + b1) @ W2 + b2
        loss = ad.cross_entropy(logits, labels)
        loss.backward()
        for p in params:
            p.value, p.grad = p.value - 0.5 * p.grad, None
        losses.append(loss.value.item())
    accuracy = (logits.value.argmax(axis=1) == labels).mean()
    assert losses[0] > 0.5 and losses[-1] < 0.1 and accuracy > 0.97


def test_zero_to_a_positive_tensor_power_has_a_zero_partial_in_the_exponent():
    """As on numbers (0^y = 0 for y > 0, as in PyTorch), entry by entry."""
    x, y = Tensor([0.0, 2.0], name="x"), Tensor([2.0, 3.0], name="y")
    (x ** y).sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 12.0])
    np.testing.assert_allclose(y.grad, [0.0, 8 * np.log(2.0)])
    assert ad.grad(lambda a, b: a ** b)(0.0, 2.0) == (0.0, 0.0)
