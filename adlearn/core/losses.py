"""Softmax and cross-entropy on Tensors, from the array engine's operations.

``cross_entropy`` makes the nodes ``log_softmax``, ``x[rows, labels]``, ``.sum()`` and a
product by -1/batch, so the drawing and the trace show each step. A sweep that keeps no
adjoint between the loss and the logits (``ad.tape``) may take those four VJPs in one:
``cross_entropy_parts`` finds them, ``cross_entropy_vjp`` is their product.
"""

import numpy as np

from ..errors import ArgumentError, ShapeError
from ..text import shape_words
from .array_checks import axis_number
from .tensor import Tensor, _structural, constant


def log_softmax(x, axis=-1):
    """log(softmax(x)) = x - log(sum(exp(x))) along axis, for each row of logits.

    One structural operation (its VJP is g - softmax(x) · sum(g)), computed stably: the
    maximum is subtracted first, which leaves the value alone (log_softmax(x - c) =
    log_softmax(x)), so exp never overflows and the sum is at least 1.
    """
    x = x if isinstance(x, Tensor) else constant(x)
    return _structural("log_softmax", (x,), axis=axis_number(axis, x.ndim))


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along axis: probabilities, computed stably as exp(log_softmax(x))."""
    return log_softmax(x, axis).exp()


def cross_entropy(logits, labels):
    """The mean over the batch of -log softmax(logits)[label]: logits is batch × classes,
    labels holds each row's class (an integer from 0)."""
    logits = logits if isinstance(logits, Tensor) else constant(logits)
    if logits.value.ndim != 2:
        raise ShapeError(f"cross_entropy needs logits of shape batch × classes, but got "
                         f"{shape_words(logits.value.shape)}")
    batch, classes = logits.value.shape
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" or labels.shape != (batch,):
        raise ArgumentError(f"cross_entropy needs one integer label per row: {batch} labels, "
                            f"but got an array of {labels.dtype} of shape {labels.shape}")
    # (an empty batch has no least or greatest label, and no wrong one)
    if batch and (np.minimum.reduce(labels) < 0 or np.maximum.reduce(labels) >= classes):
        row = int(np.argmax((labels < 0) | (labels >= classes)))
        raise ArgumentError(f"label {labels[row]} of row {row} is not a class: the logits "
                            f"have {classes} classes, 0 to {classes - 1}")
    # the nodes log_softmax(), x[rows, labels] and .sum() would make, made directly:
    # their arguments are checked already
    log_probabilities = _structural("log_softmax", (logits,), axis=1)
    picked = _structural("index", (log_probabilities,), index=(np.arange(batch), labels))
    return _structural("sum", (picked,), axis=None, keepdims=False) * (-1.0 / batch)


def cross_entropy_parts(loss):
    """``(scale, log_probabilities, labels)`` if loss is scale × the sum of
    log_probabilities[rows, labels], with scale one number, rows 0, 1, ..., batch - 1 and
    log_probabilities a log_softmax of batch × classes logits over the classes
    (cross_entropy's loss has scale -1/batch); else None."""
    total, scale = loss.first, loss.second
    if loss.op != "mul" or total.op != "sum" or not scale.is_constant or scale.shape != ():
        return None
    picked = total.first
    if picked.op != "index" or picked.first.op != "log_softmax":
        return None
    log_probabilities, index = picked.first, picked.params["index"]
    if log_probabilities.ndim != 2 or log_probabilities.params["axis"] != 1 \
            or type(index) is not tuple or len(index) != 2:
        return None
    rows, labels = (np.asarray(i) for i in index)
    batch = log_probabilities.shape[0]
    integers = rows.dtype.kind in "iu" and labels.dtype.kind in "iu"  # not a boolean mask
    if not integers or rows.shape != (batch,) or labels.shape != (batch,) \
            or not np.array_equal(rows, np.arange(batch)):
        return None
    return scale, log_probabilities, labels


def cross_entropy_vjp(adjoint, scale, log_probabilities, labels):
    """The logits' adjoint from the loss's in one step, scale × adjoint × (one-hot(labels)
    − softmax): what the VJPs of the product, the sum, the index and log_softmax give
    one after the other."""
    share = np.exp(log_probabilities)  # softmax
    share[np.arange(len(labels)), labels] -= 1.0
    share *= -scale * adjoint
    return share
