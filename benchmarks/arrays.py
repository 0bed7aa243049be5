"""Arrays: one training step of a tanh MLP in adlearn's Tensor and in five peers.

The step is what a training loop repeats: the forward pass of a tanh MLP with a softmax
cross-entropy loss on a batch of 64, the backward sweep, and a gradient-descent update
of every parameter, all in float64 on one thread. The engines:

    adlearn    ad.Tensor (public names only: ad.Tensor, ad.tanh, ad.cross_entropy)
    adlearn.tape  the same loss through ad.tape: recorded at the first step, replayed after
    torch      PyTorch, eager (torch.nn.functional.cross_entropy)
    autograd   HIPS autograd (autograd.value_and_grad over autograd.numpy)
    mygrad     MyGrad (mygrad.nnet.losses.softmax_crossentropy)
    jax        JAX, eager (jax.value_and_grad, not compiled: each operation dispatched)
    jax.jit    JAX, the whole step compiled once by jax.jit (XLA)

Each measurement runs in a fresh process, held to one CPU core, which takes one warm-up
step (jax.jit compiles there), then times blocks of steps and keeps its fastest block
(the one least disturbed by other work on the machine). A block's time is the CPU time
the process spent in it (every thread's, on that one core), not the wall clock: on a
shared machine the wall clock also counts the time other programs held the core. The
best block's wall-clock time is printed beside it; on a quiet machine the two agree.
The engines take turns, process after process, in an order that rotates each round. A
time is the median over the rounds of each process's best block, with the lowest and
highest beside it; a ratio is adlearn's time over the peer's in the same round, its
median and range over the rounds. Every engine must report the same loss at the first
step and after the last: the script stops if not.

Peak memory: the process's resident memory (Linux's VmHWM, which sees every allocator,
PyTorch's and XLA's included, where tracemalloc sees only Python's) at the end of the
loop, minus its resident memory after the imports and the data were set up, the
high-water mark reset there. jax.jit's figure includes its compilation.

Targets (issue 24), on the medians of the within-run ratios: adlearn ≤ 1.0 × the
fastest eager peer (torch, autograd, mygrad) on 64-32-10, ≤ 1.25 × torch on 64-256-10,
≤ 1.5 × jax.jit on both; peak memory ≤ 1.25 × torch's. jax.jit records the step once
and replays it compiled; adlearn.tape records it once and replays it uncompiled: each
target's ratio is printed for adlearn's backward() and for the tape.

    pip install -e ".[bench]"      # the peers, pinned (torch is the CPU wheel)
    python benchmarks/arrays.py    # about 5 minutes on a quiet machine, more when loaded
    python benchmarks/arrays.py --engines adlearn torch --rounds 3   # a quicker look
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

from engine import machine  # benchmarks/engine.py: the machine and its load

BATCH, INPUTS, CLASSES, RATE = 64, 64, 10, 0.1
NETS = (32, 256)  # hidden widths: 64-32-10 and 64-256-10
ENGINES = ("adlearn", "adlearn.tape", "torch", "autograd", "mygrad", "jax", "jax.jit")
EAGER_PEERS = ("torch", "autograd", "mygrad")
ONE_THREAD = {
    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "JAX_PLATFORMS": "cpu", "JAX_ENABLE_X64": "1",
}


# --- In the child process: one engine's training step ------------------------------------


def data(hidden):
    """The batch, its labels and the starting parameters, the same for every engine."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, INPUTS))
    labels = rng.integers(0, CLASSES, size=BATCH)
    start = [rng.normal(size=(INPUTS, hidden)) / INPUTS ** 0.5, np.zeros(hidden),
             rng.normal(size=(hidden, CLASSES)) / hidden ** 0.5, np.zeros(CLASSES)]
    return x, labels, start


def adlearn_step(x, labels, start):
    import adlearn as ad

    params = [ad.Tensor(p) for p in start]

    def step():
        W1, b1, W2, b2 = params
        loss = ad.cross_entropy(ad.tanh(x @ W1 + b1) @ W2 + b2, labels)
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.value -= RATE * p.grad  # in place, as notebook 11 and PyTorch do
        return loss.value.item()

    return step


def adlearn_tape_step(x, labels, start):
    import adlearn as ad

    params = [p.copy() for p in start]

    def loss(W1, b1, W2, b2):
        return ad.cross_entropy(ad.tanh(x @ W1 + b1) @ W2 + b2, labels)

    taped_loss = ad.tape(loss)  # recorded at the first step, replayed at the others

    def step():
        value, grads = taped_loss(*params)
        for p, g in zip(params, grads):
            p -= RATE * g
        return value

    return step


def torch_step(x, labels, start):
    import torch

    torch.set_num_threads(1)
    tx, tlabels = torch.from_numpy(x), torch.from_numpy(labels)
    params = [torch.tensor(p, requires_grad=True) for p in start]

    def step():
        W1, b1, W2, b2 = params
        loss = torch.nn.functional.cross_entropy(torch.tanh(tx @ W1 + b1) @ W2 + b2, tlabels)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= RATE * p.grad
        return loss.item()

    return step


def autograd_step(x, labels, start):
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp

    rows = anp.arange(BATCH)

    def loss(params):
        W1, b1, W2, b2 = params
        logits = anp.tanh(anp.dot(x, W1) + b1) @ W2 + b2
        return -anp.mean((logits - logsumexp(logits, axis=1, keepdims=True))[rows, labels])

    loss_and_grads = autograd.value_and_grad(loss)
    params = list(start)

    def step():
        value, grads = loss_and_grads(params)
        params[:] = [p - RATE * g for p, g in zip(params, grads)]
        return float(value)

    return step


def mygrad_step(x, labels, start):
    import mygrad as mg
    from mygrad.nnet.losses import softmax_crossentropy

    params = [mg.Tensor(p) for p in start]

    def step():
        W1, b1, W2, b2 = params
        loss = softmax_crossentropy(mg.tanh(x @ W1 + b1) @ W2 + b2, labels)
        loss.backward()
        params[:] = [mg.Tensor(p.data - RATE * p.grad) for p in params]
        return loss.item()

    return step


def jax_step(x, labels, start, compiled=False):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    x, labels = jnp.asarray(x), jnp.asarray(labels)
    rows = jnp.arange(BATCH)

    def loss(params):
        W1, b1, W2, b2 = params
        logits = jnp.tanh(x @ W1 + b1) @ W2 + b2
        return -jnp.mean(jax.nn.log_softmax(logits, axis=1)[rows, labels])

    def update(params):
        value, grads = jax.value_and_grad(loss)(params)
        return [p - RATE * g for p, g in zip(params, grads)], value

    update = jax.jit(update) if compiled else update
    params = [jnp.asarray(p) for p in start]

    def step():
        nonlocal params
        params, value = update(params)
        return float(value)  # waits for the step to finish (JAX dispatches asynchronously)

    return step


STEPS = {"adlearn": adlearn_step, "adlearn.tape": adlearn_tape_step, "torch": torch_step,
         "autograd": autograd_step, "mygrad": mygrad_step, "jax": jax_step,
         "jax.jit": lambda *args: jax_step(*args, compiled=True)}


def resident_kib(field):
    """A field of /proc/self/status in KiB: VmRSS (resident now), VmHWM (its peak)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak():
    """Start VmHWM again from the present resident memory (Linux 4.0 and later); if the
    kernel refuses, the peak so far (the imports') is the baseline, an underestimate."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return resident_kib("VmRSS")
    except OSError:
        return resident_kib("VmHWM")


def child(engine, hidden, steps, blocks, core):
    """Time one engine in this process, on one core; print its figures as JSON."""
    os.sched_setaffinity(0, {core})  # every thread of every engine on this one core
    x, labels, start = data(hidden)
    step = STEPS[engine](x, labels, start)  # the imports happen here
    baseline = reset_peak()
    first_loss = step()  # also the warm-up (and jax.jit's compilation)
    times, walls = [], []
    for _ in range(blocks):
        begin, wall = time.process_time(), time.perf_counter()
        for _ in range(steps):
            last_loss = step()
        times.append((time.process_time() - begin) / steps)
        walls.append((time.perf_counter() - wall) / steps)
    print(json.dumps({"per_step": min(times), "wall": min(walls), "first_loss": first_loss,
                      "last_loss": last_loss,
                      "peak_kib": resident_kib("VmHWM") - baseline}))


# --- In the parent: fresh processes in turn, then the table -------------------------------


def run(engine, hidden, steps, blocks, core=None):
    env = dict(os.environ, **ONE_THREAD)
    core = min(os.sched_getaffinity(0)) if core is None else core
    done = subprocess.run([sys.executable, __file__, "--child", engine, str(hidden),
                           str(steps), str(blocks), str(core)],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"{engine} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def spread(values, scale=1.0, digits=0):
    """The median with the lowest and highest in brackets: 166 (158–190)."""
    low, mid, high = (v * scale for v in (min(values), statistics.median(values), max(values)))
    return f"{mid:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"


def check_losses(results):
    """Every engine's first and last loss must agree with adlearn's; say the worst gap."""
    worst = 0.0
    for key, tolerance in (("first_loss", 1e-12), ("last_loss", 1e-9)):
        reference = results["adlearn"][0][key]
        for engine, runs in results.items():
            for r in runs:
                gap = abs(r[key] - reference) / abs(reference)
                if gap > tolerance:
                    sys.exit(f"{engine}'s {key.replace('_', ' ')} {r[key]!r} differs from "
                             f"adlearn's {reference!r} (relative gap {gap:.1e})")
                worst = max(worst, gap)
    return results["adlearn"][0]["first_loss"], worst


def ratios(results, peer, key="per_step", engine="adlearn"):
    """The engine's figure over the peer's, round by round (the peer may be a function of
    the round's results, such as the fastest eager peer)."""
    pick = peer if callable(peer) else (lambda round_: round_[peer])
    rounds = [{e: runs[i] for e, runs in results.items()}
              for i in range(len(results["adlearn"]))]
    return [r[engine][key] / pick(r)[key] for r in rounds]


def fastest_eager(round_):
    return min((round_[e] for e in EAGER_PEERS if e in round_), key=lambda r: r["per_step"])


def verdict(values, target):
    met = sum(v <= target for v in values)
    return f"target ≤ {target}: {'met' if statistics.median(values) <= target else 'NOT met'} " \
           f"(in {met} of {len(values)} rounds)"


def report_net(hidden, results):
    print(f"\n{INPUTS}-{hidden}-{CLASSES} tanh MLP, batch {BATCH}")
    print(f"  {'engine':12s} {'CPU µs per step':>17s} {'adlearn / engine':>18s} "
          f"{'peak memory, MiB':>20s} {'wall-clock µs':>20s}")
    for engine, runs in results.items():
        against = "" if engine == "adlearn" else spread(ratios(results, engine), digits=2)
        print(f"  {engine:12s} {spread([r['per_step'] for r in runs], 1e6):>17s} "
              f"{against:>18s} {spread([r['peak_kib'] for r in runs], 1 / 1024, 1):>20s} "
              f"{spread([r['wall'] for r in runs], 1e6):>20s}")
    loss, gap = check_losses(results)
    print(f"  every engine's loss: {loss!r} at the first step, within {gap:.0e} "
          f"(relative) of adlearn's at the first and the last")
    targets = []  # for backward() and for the tape (jax.jit too records once and replays)
    for engine in [e for e in ("adlearn", "adlearn.tape") if e in results]:
        if hidden == 32 and any(e in results for e in EAGER_PEERS):
            targets.append((engine, "the fastest eager peer",
                            ratios(results, fastest_eager, engine=engine), 1.0))
        if hidden != 32 and "torch" in results:
            targets.append((engine, "torch", ratios(results, "torch", engine=engine), 1.25))
        if "jax.jit" in results:
            targets.append((engine, "jax.jit", ratios(results, "jax.jit", engine=engine), 1.5))
    for engine, name, values, target in targets:
        print(f"  {engine} / {name}: {spread(values, digits=2)}; {verdict(values, target)}")
    if "torch" in results:
        memory = ratios(results, "torch", "peak_kib")
        print(f"  peak memory adlearn / torch: {spread(memory, digits=2)}; "
              f"{verdict(memory, 1.25)}")


def versions(engines):
    """NumPy's version and each peer's, the versions that decide the figures."""
    names = {"torch": "torch", "autograd": "autograd", "mygrad": "mygrad", "jax": "jax"}
    from importlib.metadata import PackageNotFoundError, version

    found = ["numpy " + version("numpy")]
    for engine in engines:
        name = names.get(engine)
        if name:
            try:
                found.append(f"{name} {version(name)}")
            except PackageNotFoundError:
                sys.exit(f"{engine} is not installed: pip install -e \".[bench]\"")
    return ", ".join(dict.fromkeys(found))


def load():
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main():
    if sys.argv[1:2] == ["--child"]:
        engine, hidden, steps, blocks, core = sys.argv[2], *map(int, sys.argv[3:7])
        return child(engine, hidden, steps, blocks, core)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="fresh processes per engine")
    parser.add_argument("--steps", type=int, default=20, help="steps timed per block")
    parser.add_argument("--blocks", type=int, default=30, help="timed blocks per process")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES),
                        help="adlearn is always measured")
    parser.add_argument("--nets", nargs="+", type=int, default=list(NETS),
                        help="hidden widths")
    args = parser.parse_args()
    engines = ["adlearn"] + [e for e in args.engines if e != "adlearn"]
    print(f"one training step (forward, backward, update), batch {BATCH}, float64, one "
          f"thread on one core; each engine in a fresh process, {args.rounds} rounds taking "
          f"turns, each process's best block of {args.steps} steps out of {args.blocks} "
          "(CPU time)")
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
          f"{machine()}; {versions(engines)}")
    for hidden in args.nets:
        results = {e: [] for e in engines}
        cores = sorted(os.sched_getaffinity(0))
        for round_ in range(args.rounds):
            shift = round_ % len(engines)  # rotate who goes first
            core = cores[round_ % len(cores)]  # a round's engines share one core
            for engine in engines[shift:] + engines[:shift]:
                results[engine].append(run(engine, hidden, args.steps, args.blocks, core))
        report_net(hidden, results)
        print(f"  ({load()})")


if __name__ == "__main__":
    main()
