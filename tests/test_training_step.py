"""A training step on arrays leaves nothing behind: once the loss is dropped its graph is
freed at once, by reference counting alone (no reference cycles for the collector to
find), and each parameter keeps only a gradient array of its own.

The step is the one benchmarks/arrays.py times: a tanh MLP with softmax cross-entropy,
the backward sweep, a gradient-descent update. Public names only, so the test holds
whatever the engine's modules are called.
"""

import os
import pathlib
import platform
import subprocess
import sys
import textwrap
import weakref

import numpy as np
import pytest

import adlearn as ad
from test_engine import no_cycle_collector


def training_step(params, x, labels, rate=0.1):
    """One step of gradient descent; returns the loss (its graph still alive)."""
    W1, b1, W2, b2 = params
    loss = ad.cross_entropy(ad.tanh(x @ W1 + b1) @ W2 + b2, labels)
    loss.zero_grad()  # the last step's grads go: every node's grad is None
    loss.backward()
    for p in params:
        p.value = p.value - rate * p.grad
    return loss


def small_net(seed=0, inputs=8, hidden=5, classes=3, batch=6):
    rng = np.random.default_rng(seed)
    params = [ad.Tensor(rng.normal(size=(inputs, hidden)), name="W1"),
              ad.Tensor(np.zeros(hidden), name="b1"),
              ad.Tensor(rng.normal(size=(hidden, classes)), name="W2"),
              ad.Tensor(np.zeros(classes), name="b2")]
    return params, rng.normal(size=(batch, inputs)), rng.integers(0, classes, size=batch)


def test_a_training_steps_graph_is_freed_when_the_loss_is_dropped_without_the_collector():
    params, x, labels = small_net()
    with no_cycle_collector():
        for _ in range(3):  # a loop, as a learner writes it: each step's graph goes
            loss = training_step(params, x, labels)
            order = ad.topological_order(loss)
            nodes = [weakref.ref(n) for n in order if n not in params]
            values = [weakref.ref(n.value) for n in order if n.inputs]  # arrays it computed
            assert len(nodes) >= 10 and all(ref() is not None for ref in nodes)
            del loss, order
            assert [ref() for ref in nodes] == [None] * len(nodes)
            assert all(ref() is None for ref in values)  # and the arrays in it
    assert all(p.grad is not None and p.grad.shape == p.shape for p in params)


def test_each_parameters_gradient_is_an_array_of_its_own():
    """No gradient shares memory with another's or with a value: a sweep that adds
    adjoints in place must not write into an array someone else holds."""
    params, x, labels = small_net(seed=1)
    loss = training_step(params, x, labels, rate=0.0)  # rate 0: the values stay put
    arrays = [p.grad for p in params] + [n.value for n in ad.topological_order(loss)]
    for i, grad in enumerate(arrays[:len(params)]):
        assert grad.flags.writeable and grad.flags.owndata
        assert not any(np.shares_memory(grad, other) for other in arrays[i + 1:])
    first = [p.grad.copy() for p in params]
    loss.backward()  # a second sweep adds into each grad, and into nothing else
    for p, g in zip(params, first):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-12)
    np.testing.assert_array_equal(loss.value, training_step(params, x, labels, 0.0).value)


def test_two_parameters_added_together_get_gradients_of_their_own():
    """The adjoint of a + b is passed on unchanged to both: the two grads must still be
    two arrays, or a step on one (a.grad *= 0) would change the other."""
    a, b = ad.Tensor(np.ones((2, 3)), name="a"), ad.Tensor(np.zeros((2, 3)), name="b")
    (ad.tanh(a + b) * 2.0).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    a.grad *= 0.0
    assert b.grad.min() > 0.0


def test_a_weight_used_three_times_sums_its_adjoints_into_an_array_of_the_sweeps_own():
    """The sweep adds a node's third and later contributions in place, into the sum it
    made itself: never into a VJP's result that someone else holds (the inputs' values,
    another node's adjoint), and never when the steps are kept (a view reads each total)."""
    from adlearn.core.tensor import reverse_sweep

    a, b, c = (np.full((2, 3), v) for v in (1.0, 2.0, 3.0))
    W = ad.Tensor(np.ones((2, 3)), name="W")
    y = (W * a + W * b + W * c + W).sum()
    y.backward()
    np.testing.assert_array_equal(W.grad, a + b + c + 1.0)
    assert [a[0, 0], b[0, 0], c[0, 0]] == [1.0, 2.0, 3.0]  # no input's value written into
    assert all((n.grad == 1.0).all() for n in ad.topological_order(y) if n.op == "add")
    steps = []
    for _ in reverse_sweep(y, np.ones(()), steps=steps):
        pass
    totals = [total for node, index, share, total in steps if node.inputs[index] is W]
    assert [t[0, 0] for t in totals] == [1.0, 4.0, 6.0, 7.0]  # each running total kept
    assert len({id(t) for t in totals}) == len(totals)


def test_a_tensor_added_to_itself_and_to_others_gets_gradients_of_its_own():
    """add passes its adjoint on uncopied; every grad stored is still an array of its own."""
    a, b, c = (ad.Tensor(np.full(3, v)) for v in (1.0, 2.0, 3.0))
    total = a + a + b + c
    total.backward(np.ones(3))
    grads = [a.grad, b.grad, c.grad, total.grad]
    np.testing.assert_array_equal(a.grad, [2.0, 2.0, 2.0])
    for i, grad in enumerate(grads):
        assert not any(np.shares_memory(grad, other) for other in grads[i + 1:])
    b.grad *= 0.0
    assert c.grad.min() == 1.0 and total.grad.min() == 1.0



def test_cross_entropy_makes_the_nodes_its_formula_writes():
    """cross_entropy makes its nodes directly, its labels checked already: the same
    nodes, in the same order, with the same params, values and adjoints, as its formula
    written with the public operations, -(sum of the picked log-probabilities) / batch."""
    rng = np.random.default_rng(2)
    scores, labels = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    direct = ad.cross_entropy(ad.Tensor(scores, name="Z"), labels)
    written = ad.log_softmax(ad.Tensor(scores, name="Z"))[np.arange(6), labels].sum() * (-1 / 6)
    direct.backward()
    written.backward()
    for made, expected in zip(ad.topological_order(direct), ad.topological_order(written),
                              strict=True):
        assert (made.op, made.shape, made.name) == (expected.op, expected.shape, expected.name)
        np.testing.assert_array_equal(made.value, expected.value)
        if made.op != "const":
            np.testing.assert_array_equal(made.grad, expected.grad)
        assert (made.params or {}).keys() == (expected.params or {}).keys()
        for key, value in (made.params or {}).items():
            np.testing.assert_array_equal(value, expected.params[key])


def test_every_node_gets_an_array_for_its_grad_and_only_an_operation_may_share_one():
    """backward() stores an operation's adjoint as it is (add hands its own on to its
    inputs, so two operations may hold one array), but always as an array, a sum's
    one number included; an input's grad is copied whenever an operation holds it."""
    a, b = ad.Tensor(np.ones(3), name="a"), ad.Tensor(np.full(3, 2.0), name="b")
    u = a + b  # u's adjoint goes on to a and b unchanged
    total = (u * 3.0).sum()
    y = total * 2.0  # the sum's adjoint: a 0-d array times a 0-d array, a NumPy scalar
    y.backward()
    order = ad.topological_order(y)
    assert all(type(n.grad) is np.ndarray for n in order if not n.is_constant)
    assert total.grad.shape == () and u.grad.shape == (3,)
    for leaf in (a, b):
        assert not any(np.shares_memory(leaf.grad, n.grad) for n in order
                       if n is not leaf and n.grad is not None)
    a.grad *= 0.0  # a training step's update in place touches nothing else
    np.testing.assert_array_equal(b.grad, [6.0, 6.0, 6.0])
    np.testing.assert_array_equal(u.grad, [6.0, 6.0, 6.0])


def test_a_wide_training_loop_takes_no_page_faults_once_warm():
    """A step frees its whole graph at once; on glibc the array engine asks malloc to keep
    that memory for the next step (adlearn/core/heap.py), so a warm loop of steps on
    64 × 256 arrays (128 KiB each) takes no new pages from the kernel. Minor page faults
    are counted, not time, in a fresh process."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc's malloc only")
    program = textwrap.dedent("""
        import resource
        import numpy as np
        import adlearn as ad
        from test_training_step import small_net, training_step
        params, x, labels = small_net(inputs=64, hidden=256, classes=10, batch=64)
        for _ in range(20):
            training_step(params, x, labels)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(200):
            training_step(params, x, labels)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """)
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TOP_PAD_"}
    env["PYTHONPATH"] = str(pathlib.Path(ad.__file__).parents[1])  # this adlearn
    faults = subprocess.run([sys.executable, "-c", program], cwd=pathlib.Path(__file__).parent,
                            env=env, capture_output=True, text=True, check=True).stdout
    assert int(faults) < 200, f"{faults.strip()} minor page faults in 200 warm steps"


def test_the_heap_is_left_alone_where_the_process_chose_its_own_padding(monkeypatch):
    from adlearn.core import heap

    monkeypatch.setenv("MALLOC_TOP_PAD_", str(1 << 20))
    assert heap.keep_freed_memory() is False
