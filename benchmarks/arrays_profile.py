"""Where the time of benchmarks/arrays.py's training step goes, part by part.

The step (a tanh MLP with softmax cross-entropy, batch 64, float64, one thread) is cut
into the parts the engine runs: the forward pass (up to the logits, then the
cross-entropy's five nodes), the reverse sweep (the topological order, each node's VJPs,
the sweep's own bookkeeping), what ``backward()`` adds to the sweep (a grad stored on
every node, the overflow check, the seed), and the update. Beside them, the same step
written by hand in NumPy: the arithmetic's floor, what is left with no graph at all;
and the step through ``ad.tape``, which replays one recording of the graph.

Each part is timed on the step's own arrays in this one process, held to one core:
the fastest of many blocks of about a millisecond (timeit), so on a shared machine the
figures run high but keep their proportions. The parts overlap (the sweep includes its
VJPs), so they do not add up to the step. Unlike arrays.py this script calls the
engine's internals (``adlearn.core.tensor``): it is how the engine is profiled, not a
comparison with the peers.

    python benchmarks/arrays_profile.py           # both nets, about a minute
    python benchmarks/arrays_profile.py --nets 32
"""

import argparse
import os
import time
import timeit

from arrays import BATCH, ONE_THREAD, RATE, adlearn_step, adlearn_tape_step, data
from engine import machine  # benchmarks/engine.py: the machine and its load

os.environ.update(ONE_THREAD)  # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402

import adlearn as ad  # noqa: E402
from adlearn.core import tensor  # noqa: E402
from adlearn.core.engine import topological_order  # noqa: E402
from adlearn.core.losses import cross_entropy_vjp  # noqa: E402
from adlearn.core.tape import Tape  # noqa: E402
from adlearn.core.structural import _log_softmax  # noqa: E402


def numpy_step(x, labels, params):
    """The same step by hand: forward, the gradients written out, the update."""
    rows = np.arange(BATCH)

    def step():
        W1, b1, W2, b2 = params
        h = np.tanh(x @ W1 + b1)
        z = h @ W2 + b2
        shifted = z - z.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_p[rows, labels].mean()
        dz = np.exp(log_p)
        dz[rows, labels] -= 1.0
        dz /= BATCH
        dh = (dz @ W2.T) * (1.0 - h * h)
        grads = [x.T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0)]
        for p, g in zip(params, grads):
            p -= RATE * g
        return loss

    return step


def fused_cross_entropy(loss, labels):
    """What a fused softmax cross-entropy VJP would compute for ``backward()``: the
    logits' adjoint (p - onehot(labels)) / batch, and the adjoints the sweep gives the
    four nodes between them and the loss (their grads, which the views show)."""
    rows, log_p = np.arange(BATCH), loss.first.first.first.value
    logits_adjoint = cross_entropy_vjp(np.ones(()), -1.0 / BATCH, log_p, labels)
    scaled = np.ones(()) / -BATCH  # the sum's adjoint: the loss is sum × (-1/batch)
    log_softmax_adjoint = np.zeros(log_p.shape)
    log_softmax_adjoint[rows, labels] = scaled
    return scaled, np.full(BATCH, scaled), log_softmax_adjoint, logits_adjoint


def best(f, block=1e-3):
    """f's CPU time in µs: the fastest of 100 blocks of about ``block`` seconds (the
    CPU time, not the wall clock, which also counts other programs' turns on the core)."""
    once = timeit.timeit(f, number=3, timer=time.process_time) / 3
    number = max(1, int(block / max(once, 1e-7)))
    return min(timeit.repeat(f, number=number, repeat=100, timer=time.process_time)) / number * 1e6


def parts(hidden):
    """(label, µs) for each part of one step on the net 64-hidden-10."""
    x, labels, start = data(hidden)
    params = [ad.Tensor(p) for p in start]
    W1, b1, W2, b2 = params

    def logits():
        return ad.tanh(x @ W1 + b1) @ W2 + b2

    z = logits()
    loss = ad.cross_entropy(z, labels)
    order = topological_order(loss)
    seed = np.ones(())

    def backward():
        for node in order:
            node.grad = None
        loss.backward()

    def sweep():
        for _ in tensor.reverse_sweep(loss, seed):
            pass

    def update():  # the step's, in place: the values drift, so it is timed last
        for p in params:
            p.value -= RATE * p.grad

    def loss_of(W1, b1, W2, b2):
        return ad.cross_entropy(ad.tanh(x @ W1 + b1) @ W2 + b2, labels)

    recorded = Tape(loss_of, [p.copy() for p in start], {}, (0, 1, 2, 3))  # ad.tape's
    backward()  # every node's adjoint, for its VJPs
    operations = [n for n in reversed(order) if n.inputs]
    vjp_times = [(n.op, best(lambda n=n: list(tensor.vjps(n, n.grad))))
                 for n in operations]
    step = best(adlearn_step(x, labels, start))
    by_hand = best(numpy_step(x, labels, [p.copy() for p in start]))  # updates its own copies
    whole_backward, whole_sweep = best(backward), best(sweep)
    ordering, vjps = best(lambda: topological_order(loss)), sum(t for _, t in vjp_times)
    return [("the whole step (arrays.py's)", step),
            ("the same step by hand in NumPy", by_hand),
            ("forward pass", best(lambda: ad.cross_entropy(logits(), labels))),
            ("  up to the logits (5 nodes)", best(logits)),
            ("  cross-entropy (label checks, 5 nodes)", best(lambda: ad.cross_entropy(z, labels))),
            ("    of which the log-softmax arithmetic", best(lambda: _log_softmax(z.value, 1))),
            ("backward(), grads cleared first", whole_backward),
            ("  the sweep alone (reverse_sweep)", whole_sweep),
            ("    the topological order", ordering),
            (f"    the VJPs of the {len(operations)} operations", vjps),
            ("    the sweep's bookkeeping (the rest)", whole_sweep - ordering - vjps),
            ("  backward() beyond the sweep (grads stored, seed, overflow check)",
             whole_backward - whole_sweep),
            ("the cross-entropy's 4 VJPs (mul, sum, index, log_softmax)",
             sum(t for op, t in vjp_times if op in ("mul", "sum", "index", "log_softmax"))),
            ("  fused into one step, the 4 nodes' adjoints kept",
             best(lambda: fused_cross_entropy(loss, labels))),
            ("  fused into one step, the logits' adjoint alone (ad.tape's)",
             best(lambda: cross_entropy_vjp(seed, -1.0 / BATCH, loss.first.first.first.value,
                                            labels))),
            ("the update, p.value -= 0.1 * p.grad (4)", best(update)),
            ("ad.tape's step, replayed (arrays.py's adlearn.tape)",
             best(adlearn_tape_step(x, labels, start))),
            ("  its forward pass (values and partials, 9 operations)",
             best(recorded.forward_pass)),
            ("  its reverse sweep (the cross-entropy's VJPs fused)",
             best(recorded.reverse_sweep))], vjp_times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", type=int, default=[32, 256], help="hidden widths")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(machine())
    for hidden in args.nets:
        whole, vjp_times = parts(hidden)
        step = whole[0][1]
        print(f"\n64-{hidden}-10, batch {BATCH}: µs per step (best block), % of the step")
        for label, t in whole:
            print(f"  {label:66s} {t:7.1f} {100 * t / step:4.0f} %")
        print("  each VJP: " + ", ".join(f"{op} {t:.1f}" for op, t in vjp_times))
        print("  (load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg()) + ")")


if __name__ == "__main__":
    main()
