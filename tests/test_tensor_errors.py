"""Bad input to the array layer: each case a clear adlearn error naming the shapes or the
entry, and subclassing the built-in an ordinary except clause expects."""

import numpy as np
import pytest

import adlearn as ad
from adlearn.errors import (ArgumentError, DomainError, EntryError, NotANumberError,
                            OverflowDomainError, ShapeError, ZeroDivisionDomainError)
from adlearn.core.tensor import Tensor


@pytest.mark.parametrize("a, b, message", [
    ((2, 3), (2, 3), "cannot multiply a 2×3 matrix by a 2×3 matrix: the first has 3 columns "
                     "but the second has 2 rows"),
    ((3,), (4,), "cannot multiply a vector of length 3 by a vector of length 4: the first has "
                 "3 entries but the second has 4 entries"),
    ((2, 3), (2,), "a 2×3 matrix by a vector of length 2: the first has 3 columns"),
    ((4, 2, 3), (5, 3, 2), r"a 4×2×3 array by a 5×3×2 array: their batch shapes \(4,\) and "
                           r"\(5,\) do not broadcast"),
    ((), (3,), "it needs vectors or matrices"),
])
def test_matmul_with_shapes_that_do_not_fit_says_which(a, b, message):
    with pytest.raises(ShapeError, match=message) as caught:
        Tensor(np.ones(a)) @ np.ones(b)
    assert isinstance(caught.value, ValueError)


def test_shapes_that_do_not_broadcast_are_named():
    x = Tensor(np.ones((2, 3)), name="x")
    with pytest.raises(ShapeError, match=r"cannot compute \(a 2×3 matrix\) \+ \(a vector of "
                                         r"length 2\): the shapes \(2, 3\) and \(2,\) do not "
                                         "broadcast"):
        x + np.ones(2)
    with pytest.raises(ShapeError, match=r"\(3, 1\) and \(2, 3\)"):
        ad.Tensor(np.ones((3, 1))) * x


@pytest.mark.parametrize("f, error, message", [
    (ad.log, DomainError, r"ln \(-3\) is not defined: the logarithm needs a positive input\n"
                          r"  at: entry \[1, 0\] of ln x \(x: a 2×2 matrix\)"),
    (ad.sqrt, DomainError, r"√\(-3\) is not defined.*\n  at: entry \[1, 0\] of √x"),
    (lambda x: 1.0 / (x - 2.0), ZeroDivisionDomainError,
     r"1 / 0 is not defined: division needs a non-zero denominator\n  at: entry \[0, 1\] of "
     r"1 / \(a 2×2 matrix\)"),
    (lambda x: ad.exp(x * 400.0), OverflowDomainError, r"exp 800 is too large(.|\n)*\[0, 1\]"),
    (lambda x: ad.sqrt(x - 1.0), ZeroDivisionDomainError, r"√0 (.|\n)*entry \[0, 0\]"),
])
def test_an_entry_outside_the_domain_is_named(f, error, message):
    x = Tensor([[1.0, 2.0], [-3.0, 4.0]], name="x")
    with pytest.raises(error, match=message):
        f(x)


@pytest.mark.parametrize("value, error, message", [
    ([1.0, float("nan")], DomainError, r"must hold finite numbers, but entry \[1\] is nan"),
    ([[1.0, 2.0], [np.inf, 0.0]], DomainError, r"entry \[1, 0\] is inf"),
    (["1", "2"], NotANumberError, r"must hold real numbers, but got an array of <U1 "
                                  r"\(the first entry is np.str_\('1'\)"),
    (np.array([1, None], dtype=object), NotANumberError, "an array of object"),
    ([1 + 2j], NotANumberError, "complex128"),
    ([[1.0, 2.0], [3.0]], ShapeError, "rows of equal length"),
    (ad.Var(1.0), NotANumberError, "not a Var: use one mode at a time"),
    ([ad.Var(1.0)], NotANumberError, r"the first entry is Var\(1.0\), a Var"),
])
def test_an_input_that_is_not_an_array_of_finite_numbers(value, error, message):
    with pytest.raises(error, match=message):
        Tensor(value, name="x")


def test_integers_and_booleans_become_floats():
    assert Tensor([1, 2]).value.dtype == np.float64
    assert Tensor([True, False]).value.tolist() == [1.0, 0.0]
    x = np.array([1.0, 2.0])
    t = Tensor(x)
    x[0] = 99.0  # the Tensor holds its own copy
    assert t.value.tolist() == [1.0, 2.0]


def test_a_tensor_mixed_with_a_var_or_a_dual_says_one_mode_at_a_time():
    t = Tensor([1.0, 2.0])
    for mixed in (lambda: t * ad.Var(2.0), lambda: ad.Var(2.0) * t, lambda: t + ad.Dual(1.0),
                  lambda: ad.Dual(1.0) + t):
        with pytest.raises(NotANumberError, match="one mode at a time"):
            mixed()
    with pytest.raises(NotANumberError, match="use its .value"):
        Tensor(t)


def test_indexing_reshaping_and_axes_that_do_not_fit():
    x = Tensor(np.ones((2, 3)), name="x")
    with pytest.raises(EntryError, match="cannot index a 2×3 matrix with 5") as caught:
        x[5]
    assert isinstance(caught.value, IndexError)
    with pytest.raises(EntryError, match="integer"):
        x[np.array([0.5])]
    with pytest.raises(NotANumberError, match="an index is not differentiable"):
        x[Tensor([0])]
    with pytest.raises(ShapeError, match=r"cannot reshape a 2×3 matrix \(6 entries\) into "
                                         r"shape \(4,\)"):
        x.reshape(4)
    for reduce in (x.sum, x.max, x.mean, lambda axis: ad.softmax(x, axis)):
        with pytest.raises(ShapeError, match="axis 2 is not an axis of an array with 2 axes"):
            reduce(axis=2)
    with pytest.raises(ShapeError, match="not an order of the 2 axes"):
        x.transpose((0, 0))
    with pytest.raises(ShapeError, match="has no length"):
        len(Tensor(1.0))


def test_cross_entropy_needs_one_class_label_per_row():
    logits = Tensor(np.zeros((3, 4)))
    with pytest.raises(ArgumentError, match="3 labels, but got an array of float64"):
        ad.cross_entropy(logits, [0.0, 1.0, 2.0])
    with pytest.raises(ArgumentError, match=r"3 labels, but got .* of shape \(2,\)"):
        ad.cross_entropy(logits, [0, 1])
    with pytest.raises(ArgumentError, match="label 4 of row 1 is not a class: the logits have "
                                            "4 classes, 0 to 3"):
        ad.cross_entropy(logits, [0, 4, 1])
    with pytest.raises(ShapeError, match="batch × classes, but got a vector of length 4"):
        ad.cross_entropy(Tensor(np.zeros(4)), [0])


def test_an_adjoint_that_overflows_in_the_sweep_says_so():
    x = Tensor([1.0], name="x")
    y = (x * 1e150) * (x * 1e150)  # 1e300: still a float
    with pytest.raises(OverflowDomainError, match="adjoint in the sweep back from a vector of "
                                                  "length 1 is too large"):
        y.backward([1e200])
