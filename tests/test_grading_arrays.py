"""Answers that are NumPy arrays: they travel as data with their shape, a wrong shape is
judged (a known mistake with its hint), never a crash; right answers written other ways
(a Tensor, ad.jacobian, nested lists) pass the jacobians exercise."""

import contextlib
import io

import numpy as np
import pytest

import adlearn as ad
from adlearn.errors import WrongAnswer
from adlearn.grading import check, probe
from adlearn.grading.course import exercise
from adlearn.grading.questions import close

JACOBIANS = exercise("jacobians", "exercises")


def test_an_array_argument_arrives_as_an_array_of_its_shape_and_kind():
    W, labels = np.arange(6.0).reshape(2, 3), np.array([2, 0, 1])
    case = probe.wire((W, labels, np.zeros((0, 3))))
    assert case["args"][0] == {"array": [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], "shape": [2, 3]}
    got_W, got_labels, empty = probe.decode(case["args"])
    assert isinstance(got_W, np.ndarray) and got_W.shape == (2, 3) and (got_W == W).all()
    assert got_labels.dtype.kind == "i" and list(got_labels) == [2, 0, 1]
    assert empty.shape == (0, 3) and empty.dtype == float


def test_arrays_tensors_and_numpy_numbers_are_outputs():
    assert probe.encode(np.eye(2)) == {"array": [[1.0, 0.0], [0.0, 1.0]], "shape": [2, 2]}
    assert probe.encode(ad.Tensor([1.0, 2.0])) == {"array": [1.0, 2.0], "shape": [2]}
    assert probe.encode((np.float64(2.5), np.int64(3), np.bool_(True), np.array(4.0))) == [
        2.5, 3, True, 4.0]
    assert probe.outcomes("value", np.zeros(probe.MAX_ITEMS + 1), [{}])[0]["raised"] == (
        "Unencodable")
    assert probe.outcomes("value", np.array([1j]), [{}])[0] == {
        "raised": "Unencodable", "message": "an array of complex128"}


def test_shapes_are_compared_before_entries():
    W = probe.encode(np.arange(6.0).reshape(2, 3))
    assert close(W, W)
    assert not close(probe.encode(np.arange(6.0).reshape(3, 2)), W)
    assert not close(probe.encode(np.arange(6.0)), W)
    assert not close(probe.encode(np.arange(6.0).reshape(2, 3) + 1e-3), W)
    assert close([[0, 1, 2], [3, 4, 5]], W)              # nested lists of the right shape
    assert not close([[0, 1, 2], [3, 4]], W)             # ragged
    assert not close([[0, 1], [2, 3], [4, 5]], W)
    assert not close(3.0, W) and not close("W.T", W) and not close({"array": 1}, W)


def test_a_failed_array_test_shows_the_shape_the_learner_returned():
    assert probe.short(probe.encode(np.zeros((3, 2)))).startswith("an array of shape (3, 2)")
    verdict = JACOBIANS.question("matmul_vjp").judge(lambda H, W, delta: (delta.T @ H, H))
    assert "an array of shape" in verdict.detail and verdict.mistake == 0


def test_a_transposed_gradient_is_a_known_mistake_in_the_learners_check():
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(WrongAnswer, match="W transposed"):
        check("jacobians.matmul_vjp", lambda H, W, delta: (delta.T @ H, delta @ W.T))
    assert "returned [an array of shape (2, 3)" in out.getvalue()


def test_a_shape_error_in_the_learners_code_is_a_failed_test_that_says_so():
    verdict = JACOBIANS.question("matmul_vjp").judge(lambda H, W, delta: (H.T @ delta, delta @ W))
    assert not verdict.passed and "ValueError" in verdict.hint


@pytest.mark.parametrize("qid, answer", [
    ("jacobian_shape", lambda x_shape, y_shape: ad.jacobian(lambda x: x.sum() * np.ones(y_shape))(
        np.ones(x_shape)).shape),
    ("jacobian_shape", lambda x_shape, y_shape: [*y_shape, *x_shape]),
    ("tanh_jacobian", lambda x: ad.jacobian(ad.tanh)(x)),
    ("tanh_jacobian", lambda x: (np.eye(len(x)) * (1 - np.tanh(x) ** 2)).tolist()),
    ("matmul_vjp", lambda H, W, delta: [np.einsum("bi,bo->io", H, delta),
                                         np.einsum("bo,io->bi", delta, W)]),
    ("bias_grad", lambda delta: ad.Tensor(delta).sum(axis=0)),
    ("cross_entropy_grad", lambda Z, labels: _by_backward(Z, labels)),
    ("cheaper_mode", lambda n, m: ["forward", n] if n < m else ["reverse", m]),
])
def test_right_answers_written_other_ways_pass(qid, answer):
    q = JACOBIANS.question(qid)
    for _ in range(10):
        verdict = q.judge(answer)
        assert verdict.passed, (qid, verdict.detail)


def _by_backward(Z, labels):
    scores = ad.Tensor(Z)
    ad.cross_entropy(scores, labels).backward()
    return scores.grad
