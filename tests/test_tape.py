"""ad.tape: value_and_grad recorded once and replayed. Its value and gradient must be
value_and_grad's at every call; it records again when it must; it refuses what it
cannot replay; an error at a replay is value_and_grad's error."""

import gc
import traceback
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adlearn as ad
from adlearn.errors import CallError, DomainError


def mlp_loss(W1, b1, W2, b2, x, labels):
    return ad.cross_entropy(ad.tanh(x @ W1 + b1) @ W2 + b2, labels)


def mlp(rng, batch=8, inputs=5, hidden=4, classes=3):
    params = [rng.normal(size=(inputs, hidden)), rng.normal(size=hidden),
              rng.normal(size=(hidden, classes)), rng.normal(size=classes)]
    return params, rng.normal(size=(batch, inputs)), rng.integers(0, classes, size=batch)


def assert_same(taped, plain, rtol=1e-12):
    (value, grads), (expected, expected_grads) = taped, plain
    assert value == pytest.approx(expected, rel=rtol, abs=1e-300)
    assert type(value) is type(expected) and len(grads) == len(expected_grads)
    for g, e in zip(grads, expected_grads):
        assert type(g) is type(e)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=1e-15)


class Counted:
    """f, counting its calls: a replay does not run f."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.f(*args, **kwargs)


# --- The same numbers as value_and_grad ------------------------------------------------


def test_a_training_loop_replays_and_matches_value_and_grad_at_every_step():
    rng = np.random.default_rng(0)
    params, x, labels = mlp(rng)
    f = Counted(lambda W1, b1, W2, b2: mlp_loss(W1, b1, W2, b2, x, labels))
    step, plain = ad.tape(f), ad.value_and_grad(f.f)
    for _ in range(6):
        value, grads = step(*params)
        assert_same((value, grads), plain(*params))
        for p, g in zip(params, grads):
            p -= 0.5 * g
    assert f.calls == 1  # recorded once, replayed five times


def test_the_gradient_is_the_central_differences_one_at_a_replay():
    rng = np.random.default_rng(1)
    params, x, labels = mlp(rng)
    step = ad.tape(lambda W1, b1, W2, b2: mlp_loss(W1, b1, W2, b2, x, labels))
    step(*params)
    moved = [p + 0.1 for p in params]
    _, grads = step(*moved)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, central_differences(
            lambda p: mlp_loss(*moved[:i], p, *moved[i + 1:], x, labels).value.item(),
            moved[i]), rtol=1e-6, atol=1e-8)


def central_differences(f, x, h=1e-6):
    gradient = np.zeros_like(x)
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = h
        gradient.flat[k] = (f(x + step) - f(x - step)) / (2 * h)
    return gradient


ELEMENTWISE = [lambda a: ad.tanh(a), lambda a: ad.sigmoid(a), lambda a: ad.exp(a * 0.3),
               lambda a: ad.log(a * a + 1.0), lambda a: ad.sin(a) * a, lambda a: a.relu(),
               lambda a: (a * a + 1.0) ** 0.5, lambda a: 1.0 / (a * a + 2.0), lambda a: -a]
STRUCTURAL = [lambda a: a.sum(axis=0, keepdims=True) * a,
              lambda a: a - a.max(axis=1, keepdims=True),
              lambda a: a.T, lambda a: a[::-1] * a[:, :1], lambda a: a.reshape(a.shape[::-1]),
              lambda a: a.mean(axis=1, keepdims=True) + a, lambda a: ad.log_softmax(a, axis=0),
              lambda a: a[np.arange(a.shape[0])[::-1]] + a[[0] * a.shape[0]]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(range(len(ELEMENTWISE) + len(STRUCTURAL))), min_size=1,
                max_size=5),
       st.integers(0, 2 ** 32 - 1))
def test_any_chain_of_operations_replays_to_value_and_grads_numbers(ops, seed):
    """Elementwise and structural operations, with a bias broadcast and a product, in any
    order: every replay gives value_and_grad's value and gradient."""
    def f(W, b):
        a = W @ np.ones((3, 3)) + b
        for k in ops:
            a = (ELEMENTWISE + STRUCTURAL)[k](a)
        return (a * a).sum()

    rng = np.random.default_rng(seed)
    W, b = rng.normal(size=(3, 3)), rng.normal(size=3)
    step, plain = ad.tape(f), ad.value_and_grad(f)
    for _ in range(3):
        try:
            expected = plain(W, b)
        except ad.AdlearnError as error:  # an overflow, say: the tape says the same
            with pytest.raises(type(error)) as taped:
                step(W, b)
            assert str(taped.value) == str(error)
        else:
            assert_same(step(W, b), expected, rtol=1e-10)
        W, b = W + rng.normal(size=W.shape) * 0.1, b * 0.9


@pytest.mark.parametrize("f, w", [(lambda w: w, np.array([2.0])),
                                  (lambda w: w * 2.0, np.array([2.0])),
                                  (lambda w: (w - 3.0) ** 2, np.array([[2.0]])),
                                  (lambda w: w.reshape(1, -1) @ w.reshape(-1, 1), np.ones(3))])
def test_a_one_entry_output_of_any_shape_is_seeded_with_ones_of_its_shape(f, w):
    """value_and_grad takes f returning one number of shape (1,) or (1, 1) (w @ w as a
    1 × 1 matrix): a replay seeds it with ones of that shape too, not a 0-d 1."""
    step, plain = ad.tape(f), ad.value_and_grad(f)
    step(w)
    assert_same(step(w + 1.0), plain(w + 1.0))
    assert step(w + 1.0)[1][0].shape == w.shape


def test_a_cross_entropy_whose_log_softmax_is_read_elsewhere_too():
    """The tape takes the cross-entropy's four VJPs in one step; the log-probabilities'
    own users still pass their adjoints back through log_softmax."""
    rng = np.random.default_rng(2)
    labels = np.array([0, 2, 1, 1])

    def f(z):
        log_p = ad.log_softmax(z, axis=1)
        return ad.cross_entropy(z, labels) + (log_p * log_p).sum() * 0.1

    z = rng.normal(size=(4, 3))
    step, plain = ad.tape(f), ad.value_and_grad(f)
    step(z)
    assert_same(step(z + 1.0), plain(z + 1.0))


def test_a_cross_entropy_written_by_hand_in_another_order_is_not_mistaken_for_one():
    """Rows picked in another order than 0, 1, ...: not a cross_entropy's pattern, so the
    VJPs run one by one, and the numbers are still value_and_grad's."""
    labels, rows = np.array([0, 2, 1]), np.array([2, 0, 1])

    def f(z):
        return ad.log_softmax(z, axis=1)[rows, labels].sum() * (-1 / 3)

    z = np.random.default_rng(3).normal(size=(3, 3))
    step, plain = ad.tape(f), ad.value_and_grad(f)
    step(z)
    assert_same(step(z * 2.0), plain(z * 2.0))


def test_rows_picked_by_a_boolean_mask_are_not_mistaken_for_a_cross_entropy():
    """A mask of True and False compares equal to 0, 1 entry by entry, but picks rows
    otherwise: not fused, and the numbers are value_and_grad's."""
    labels, mask = np.array([1, 0]), np.array([False, True])

    def f(z):
        return ad.log_softmax(z, axis=1)[mask, labels].sum() * -0.5

    z = np.random.default_rng(9).normal(size=(2, 2))
    step, plain = ad.tape(f), ad.value_and_grad(f)
    step(z)
    assert_same(step(z + 1.0), plain(z + 1.0))


def near_cross_entropy_of_three_axes(z):
    """log_softmax over axis 1 of a batch × classes × 3 array, rows 0, 1, 2 picked as a
    cross-entropy picks them, summed over the last axis only, then weighted per row."""
    picked = ad.log_softmax(z, axis=1)[np.arange(3), np.array([0, 2, 1])]  # 3 × 3
    return (picked.sum(axis=1) * -1.0 * np.array([1.0, 2.0, 5.0])).sum()


def near_cross_entropy_scaled_by_an_array(z):
    """A cross-entropy's nodes, scaled by a 1 × 1 × 1 array: the loss has three axes."""
    picked = ad.log_softmax(z, axis=1)[np.arange(3), np.array([0, 2, 1])]
    return picked.sum() * np.full((1, 1, 1), -1 / 3)


@pytest.mark.parametrize("f, shape", [(near_cross_entropy_of_three_axes, (3, 4, 3)),
                                      (near_cross_entropy_scaled_by_an_array, (3, 4))])
def test_near_variants_of_a_cross_entropy_are_swept_step_by_step(f, shape):
    """Only a cross-entropy's own shapes (batch × classes logits, one number for the
    scale) are fused: these look like one node by node, but the fused VJP would
    broadcast the adjoint along the wrong axis, or give the logits' adjoint extra axes."""
    rng = np.random.default_rng(8)
    step, plain = ad.tape(f), ad.value_and_grad(f)
    step(rng.normal(size=shape))
    z = rng.normal(size=shape)
    assert_same(step(z), plain(z))


def test_argnums_keywords_and_numbers_as_value_and_grad_takes_them():
    def f(w, s, *, data):
        return ((w * s - data) ** 2).sum()

    data = np.arange(3.0)
    step = ad.tape(f, argnums=(0, 1))
    for w, s in [(np.ones(3), 2.0), (np.arange(3.0), 0.5)]:
        value, (gw, gs) = step(w, s, data=data)
        assert_same((value, (gw, gs)), ad.value_and_grad(f, argnums=(0, 1))(w, s, data=data))
        assert isinstance(gs, float)
    value, gw = ad.tape(f, argnums=0)(np.ones(3), 2.0, data=data)
    np.testing.assert_allclose(gw, ad.grad(f, argnums=0)(np.ones(3), 2.0, data=data))


def test_numbers_alone_are_differentiated_as_value_and_grad_does_by_the_scalar_engine():
    """With no array to differentiate, value_and_grad runs f on Vars: so does the tape,
    which then takes f's comparisons as value_and_grad does, and gives its errors."""
    def f(x, y):
        return x * y if x > 0 else ad.log(y)

    step, plain = ad.tape(f), ad.value_and_grad(f)
    for x, y in [(2.0, 3.0), (-1.0, 3.0), (1, 2)]:
        assert_same(step(x, y), plain(x, y))
    with pytest.raises(DomainError) as taped:
        step(-1.0, -1.0)
    with pytest.raises(DomainError) as expected:
        plain(-1.0, -1.0)
    assert str(taped.value) == str(expected.value)


def test_a_tensor_from_outside_f_is_read_as_it_is_now_as_value_and_grad_reads_it():
    """W is a Tensor f closes over; a learner sets W.value between calls. A replay reads
    it, and computes the operations f made on it (ad.tanh(W)) again, as f would."""
    W = ad.Tensor([1.0, 2.0], name="W")

    def f(x):
        return (x * ad.tanh(W) + x * W).sum()

    step = ad.tape(f)
    step(np.ones(2))
    W.value = np.array([5.0, -6.0])
    assert_same(step(np.ones(2)), ad.value_and_grad(f)(np.ones(2)))


# --- When the tape is recorded again ---------------------------------------------------


def test_a_new_shape_or_new_data_records_again_and_the_same_data_does_not():
    rng = np.random.default_rng(4)
    params, x, labels = mlp(rng)
    f = Counted(mlp_loss)
    step = ad.tape(f, argnums=(0, 1, 2, 3))
    plain = ad.value_and_grad(mlp_loss, argnums=(0, 1, 2, 3))
    calls = [(x, labels), (x.copy(), labels.copy()),  # equal values: a replay
             (x + 1.0, labels),  # another batch: recorded again
             (x + 1.0, (labels + 1) % 3),  # other labels, baked into the index: again
             (x[:5], labels[:5])]  # a smaller batch: again
    counts = []
    for batch, batch_labels in calls:
        assert_same(step(*params, batch, batch_labels), plain(*params, batch, batch_labels))
        counts.append(f.calls)
    assert counts == [1, 1, 2, 3, 4]
    W1 = params[0]
    assert_same(step(W1[:, :3], params[1][:3], params[2][:3], params[3], x[:5], labels[:5]),
                plain(W1[:, :3], params[1][:3], params[2][:3], params[3], x[:5], labels[:5]))
    assert f.calls == 5  # the parameters' shapes changed


def test_a_tape_keeps_one_recording_so_batches_taken_in_turn_record_every_time():
    """What notebook 11 and the README tell a learner about mini-batches."""
    rng = np.random.default_rng(5)
    params, x, labels = mlp(rng, batch=6)
    f = Counted(mlp_loss)
    step = ad.tape(f, argnums=(0, 1, 2, 3))
    counts = []
    for rows in [slice(0, 3), slice(0, 3), slice(3, 6), slice(0, 3)]:  # A, A, B, A
        step(*params, x[rows], labels[rows])
        counts.append(f.calls)
    assert counts == [1, 1, 2, 3]

def test_data_changed_in_place_between_calls_records_again():
    """The tape keeps a copy of the arguments not differentiated: the same array object,
    refilled in place, is new data."""
    rng = np.random.default_rng(5)
    params, x, labels = mlp(rng)
    f = Counted(mlp_loss)
    step = ad.tape(f, argnums=(0, 1, 2, 3))
    step(*params, x, labels)
    x[:] = rng.normal(size=x.shape)
    labels[:] = (labels + 1) % 3
    assert_same(step(*params, x, labels),
                ad.value_and_grad(mlp_loss, argnums=(0, 1, 2, 3))(*params, x, labels))
    assert f.calls == 2


def test_data_that_f_changes_in_place_is_kept_as_f_was_given_it():
    """The graph was recorded from the data as f got it: the copy to compare later calls
    with is taken before f runs, so the same array, changed by f, is new data."""
    def f(w, x):
        loss = (w * x).sum()
        x *= 2.0
        return loss

    step = ad.tape(f, argnums=0)
    x = np.ones(2)
    step(np.ones(2), x)
    expected = ad.value_and_grad(f, argnums=0)(np.ones(2), x.copy())
    assert_same(step(np.ones(2), x), expected)


def test_keyword_arguments_are_compared_by_value():
    f = Counted(lambda w, *, scale: (w * scale).sum())
    step = ad.tape(f)
    step(np.ones(2), scale=2.0)
    step(np.ones(2), scale=2.0)
    assert f.calls == 1
    value, grads = step(np.ones(2), scale=3.0)
    assert (value, f.calls) == (6.0, 2)
    np.testing.assert_array_equal(grads[0], [3.0, 3.0])


def test_an_array_of_arrays_is_compared_entry_by_entry():
    """A ragged batch kept as a NumPy array of objects (arrays of different lengths):
    NumPy cannot compare two of them, the tape compares their entries."""
    def ragged(*lengths):
        batch = np.empty(len(lengths), dtype=object)
        batch[:] = [np.ones(n) for n in lengths]
        return batch

    f = Counted(lambda w, batch: w.sum() * sum(len(b) for b in batch))
    step = ad.tape(f, argnums=0)
    for batch, value in [(ragged(2, 3), 10.0), (ragged(2, 3), 10.0), (ragged(2, 4), 12.0)]:
        assert step(np.ones(2), batch)[0] == value
    assert f.calls == 2


# --- What a tape refuses, and errors -------------------------------------------------------


@pytest.mark.parametrize("f", [lambda x: (x * (x > 0)).sum(),
                               lambda x: x.sum() if x.sum() > 0 else -x.sum(),
                               lambda x: (x * (0 < x)).sum(),
                               lambda x: (x + ad.stop_gradient(x * x - x)).sum()])
def test_a_value_taken_out_of_the_graph_is_refused(f):
    """Replayed, the mask of x > 0, or the constant stop_gradient made, would stay the
    first call's: refused, with the way out."""
    with pytest.raises(CallError, match=r"compared Tensors.*stop_gradient.*x\.relu\(\)"
                                        r".*ad\.value_and_grad"):
        ad.tape(f)(np.array([1.0, -2.0]))
    ad.value_and_grad(f)(np.array([1.0, -2.0]))  # which takes f as it is


def test_a_bad_number_at_a_replay_is_value_and_grads_error():
    def f(w):
        return ad.log(w).sum()

    step = ad.tape(f)
    step(np.array([1.0, 2.0]))
    with pytest.raises(DomainError) as taped:
        step(np.array([1.0, -2.0]))
    with pytest.raises(DomainError) as plain:
        ad.value_and_grad(f)(np.array([1.0, -2.0]))
    assert str(taped.value) == str(plain.value) and "entry [1]" in str(taped.value)
    with pytest.raises(DomainError) as taped:
        step(np.array([0.0, 1.0]))
    with pytest.raises(DomainError) as plain:
        ad.value_and_grad(f)(np.array([0.0, 1.0]))
    assert str(taped.value) == str(plain.value)
    assert step(np.array([1.0, np.e]))[0] == pytest.approx(1.0)  # and it goes on


@pytest.mark.parametrize("bad", [np.array([1.0, np.nan]), np.array([np.inf, 1.0]),
                                 ["a", "b"], [[1.0], [2.0, 3.0]], ad.Tensor([1.0, 2.0])])
def test_a_bad_input_at_a_replay_is_refused_as_a_new_tensor_is(bad):
    def f(w):
        return (w * w).sum()

    step = ad.tape(f)
    step(np.array([1.0, 2.0]))
    with pytest.raises(Exception) as taped:
        step(bad)
    with pytest.raises(Exception) as plain:
        ad.value_and_grad(f)(bad)
    assert (type(taped.value), str(taped.value)) == (type(plain.value), str(plain.value))
    assert shown(taped.value) == shown(plain.value)


def test_a_singular_matrix_at_a_replay_is_value_and_grads_error_shown_alone():
    def f(A):
        return ad.solve(A, np.ones(2)).sum()

    step = ad.tape(f)
    step(np.eye(2))
    with pytest.raises(DomainError) as taped:
        step(np.ones((2, 2)))
    with pytest.raises(DomainError) as plain:
        ad.value_and_grad(f)(np.ones((2, 2)))
    assert str(taped.value) == str(plain.value)
    assert shown(taped.value) == shown(plain.value)


def shown(error):
    """What Python shows of an uncaught error but its frames (the tape's and
    value_and_grad's differ): the error, after any it was raised while handling ("During
    handling of the above exception, another exception occurred")."""
    lines = "".join(traceback.format_exception(error)).splitlines()
    return [line for line in lines if not line.startswith(" ")]


def test_an_adjoint_that_overflows_at_a_replay_is_value_and_grads_error():
    def f(w):
        return (w * 1e200).sum() * 1e-200

    step = ad.tape(f)
    step(np.ones(2))
    with pytest.raises(ad.errors.OverflowDomainError) as taped:
        step(np.full(2, 1e150))
    with pytest.raises(ad.errors.OverflowDomainError) as plain:
        ad.value_and_grad(f)(np.full(2, 1e150))
    assert str(taped.value) == str(plain.value)


def test_arguments_to_differentiate_come_by_position():
    with pytest.raises(CallError, match=r"ad\.tape\(f\)"):
        ad.tape(lambda w: w.sum())(w=np.ones(2))


# --- What it hands back, and what it holds ---------------------------------------------------


def test_each_gradient_is_an_array_of_its_own():
    """a + b passes one adjoint to both: each gets an array of its own, which the caller
    may change in place without changing the other, or the next replay."""
    step = ad.tape(lambda a, b: (a + b).sum())
    step(np.ones(2), np.ones(2))
    _, (ga, gb) = step(np.ones(2), np.ones(2))
    assert ga is not gb and not np.shares_memory(ga, gb)
    ga *= 10
    np.testing.assert_array_equal(gb, [1.0, 1.0])
    np.testing.assert_array_equal(step(np.ones(2), np.ones(2))[1][0], [1.0, 1.0])


def test_an_operation_of_ones_own_that_changes_its_input_in_place_changes_a_copy(array_table):
    """A replay gives the operations the caller's arrays themselves: an operation of
    one's own that changes its input in place (x *= 2, in its value or its VJP) changes
    a copy, not the caller's array, nor the value w.sum() reads."""
    def double_vjp(g, out, x):
        x *= 0.0
        return (g * 2.0,)

    @ad.custom_vjp(double_vjp)
    def double(x):
        x *= 2.0
        return x

    def f(w):
        return double(w).sum() + w.sum()

    step, w = ad.tape(f), np.ones(2)
    for _ in range(2):  # recorded (value_and_grad's graph), then replayed
        assert_same(step(w), (6.0, (np.full(2, 3.0),)))
        np.testing.assert_array_equal(w, [1.0, 1.0])


def test_the_graph_goes_when_the_taped_function_goes():
    """The tape holds one graph, without reference cycles: freed with the function."""
    rng = np.random.default_rng(6)
    params, x, labels = mlp(rng)
    seen = []

    def f(W1, b1, W2, b2):
        loss = mlp_loss(W1, b1, W2, b2, x, labels)
        seen.append(weakref.ref(loss))
        return loss

    step = ad.tape(f)
    step(*params)
    step(*params)
    gc.disable()
    try:
        del step
        assert seen[0]() is None
    finally:
        gc.enable()


def test_an_operation_of_ones_own_and_a_solve_replay_as_the_engines_own_ones(array_table):
    """custom_vjp adds a row to the structural table and ad.solve is one: the tape
    computes and sweeps them as any other."""
    @ad.custom_vjp(lambda g, out, a, b: (g @ b.T, a.T @ g))
    def taped_product(a, b):  # a name of its own: operations are global
        return a @ b

    def f(A, B):
        return (ad.solve(A @ A.T + 3.0 * np.eye(3), taped_product(A, B)) ** 2).sum()

    rng = np.random.default_rng(7)
    A, B = rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    step, plain = ad.tape(f), ad.value_and_grad(f)
    step(A, B)
    for _ in range(2):
        A, B = A * 1.1, B - 0.2
        assert_same(step(A, B), plain(A, B), rtol=1e-10)


def test_the_readmes_tape_section_prints_what_it_shows():
    import doctest
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Record once, replay: `ad.tape`", 1)[1].split("\n### ", 1)[0]
    example = re.search(r"```python\n(.*?)\n```", section, re.DOTALL).group(1)
    test = doctest.DocTestParser().get_doctest(example, {"np": np, "ad": ad}, "README tape",
                                               "README.md", 0)
    assert len(test.examples) >= 8
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0
