"""Notebook 12's training, timed: its gradients by hand in NumPy, adlearn's backward(), PyTorch.

The training is notebook 12's, step for step: the character-level model of Faker's English
first names (an embedding table of 27 × 10, a hidden layer of 64 tanh units with layer
normalisation, 27 scores, the mean cross-entropy), 10,000 steps of mini-batch gradient
descent on batches of 64 with the learning rate 0.2, then 0.02 for the last quarter, and
the validation loss every 500 steps. Every engine starts from the same parameters and
draws the same batches. The engines:

    numpy      the notebook's own sweep, each VJP written by hand on NumPy arrays
    adlearn    the same forward pass on ad.Tensor, and backward()
    torch      PyTorch, eager, float64 (torch.nn.functional.layer_norm and cross_entropy)

Each measurement runs the whole training in a fresh process, held to one CPU core, one
thread; the engines take turns, in an order that rotates each round. A time is the
median over the rounds, with the lowest and highest beside it, as CPU time (the process's
time on its core; on a shared machine the wall clock also counts other programs' turns)
and as wall-clock time; a ratio is an engine's time over torch's in the same round. Every
engine must report the same losses as adlearn (the first step's, and the validation loss
at the end): the script stops if not.

    pip install -e ".[bench]"              # PyTorch, pinned
    python benchmarks/language_model.py    # about 2 minutes on a quiet machine
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

from arrays import ONE_THREAD, check_losses, load, spread, versions  # benchmarks/arrays.py
from engine import machine  # benchmarks/engine.py: the machine and its load

STEPS, BATCH, RATE, LAST_RATE = 10_000, 64, 0.2, 0.02
BLOCK, D, WIDTH, EPS = 3, 10, 64, 1e-5
CHARACTERS = "." + "abcdefghijklmnopqrstuvwxyz"
V = len(CHARACTERS)


# --- In the child process: one engine's training -----------------------------------------


def data():
    """Notebook 12's training and validation examples, starting parameters and batches."""
    import numpy as np
    from faker.providers.person.en import Provider

    words = sorted({name.lower() for name in Provider.first_names})
    order = np.random.default_rng(0).permutation(len(words))
    split = int(0.9 * len(words))

    def examples(indices):
        contexts, targets = [], []
        for word in (words[i] for i in indices):
            context = [0] * BLOCK
            for c in word + ".":
                contexts.append(context)
                targets.append(CHARACTERS.index(c))
                context = context[1:] + [CHARACTERS.index(c)]
        return np.array(contexts), np.array(targets)

    rng = np.random.default_rng(1)
    start = {"C": rng.normal(size=(V, D)),
             "W1": rng.normal(size=(BLOCK * D, WIDTH)) / np.sqrt(BLOCK * D),
             "gamma": np.ones(WIDTH), "beta": np.zeros(WIDTH),
             "W2": 0.1 * rng.normal(size=(WIDTH, V)), "b2": np.zeros(V)}
    train, valid = examples(order[:split]), examples(order[split:])
    batches = np.random.default_rng(5).integers(0, len(train[0]), (STEPS, BATCH))
    return train, valid, start, batches


def numpy_engine(start):
    """(loss(params, X, y), step(params, X, y) -> loss): notebook 12's sweep by hand."""
    import numpy as np

    params = {k: v.copy() for k, v in start.items()}

    def logsumexp(S):
        m = S.max(axis=1, keepdims=True)
        return m[:, 0] + np.log(np.exp(S - m).sum(axis=1))

    def forward(X):
        E = params["C"][X].reshape(len(X), -1)
        Z = E @ params["W1"]
        mu = Z.mean(axis=1, keepdims=True)
        sigma = np.sqrt(((Z - mu) ** 2).mean(axis=1, keepdims=True) + EPS)
        Z_hat = (Z - mu) / sigma
        H = np.tanh(params["gamma"] * Z_hat + params["beta"])
        return E, sigma, Z_hat, H, H @ params["W2"] + params["b2"]

    def loss(X, y):
        S = forward(X)[-1]
        return float((logsumexp(S) - S[np.arange(len(y)), y]).mean())

    def step(X, y, rate):
        N = len(y)
        E, sigma, Z_hat, H, S = forward(X)
        lse = logsumexp(S)
        S_bar = (np.exp(S - lse[:, None]) - np.eye(V)[y]) / N
        A_bar = (S_bar @ params["W2"].T) * (1 - H ** 2)
        Z_hat_bar = A_bar * params["gamma"]
        Z_bar = (Z_hat_bar - Z_hat_bar.mean(axis=1, keepdims=True)
                 - Z_hat * (Z_hat_bar * Z_hat).mean(axis=1, keepdims=True)) / sigma
        C_bar = np.zeros_like(params["C"])
        np.add.at(C_bar, X, (Z_bar @ params["W1"].T).reshape(N, BLOCK, -1))
        grads = {"W2": H.T @ S_bar, "b2": S_bar.sum(axis=0), "gamma": (A_bar * Z_hat).sum(axis=0),
                 "beta": A_bar.sum(axis=0), "W1": E.T @ Z_bar, "C": C_bar}
        for name in params:
            params[name] -= rate * grads[name]
        return float((lse - S[np.arange(N), y]).mean())

    return loss, step


def adlearn_engine(start):
    import adlearn as ad

    params = {k: ad.Tensor(v.copy()) for k, v in start.items()}

    def forward(X, y):
        Z = params["C"][X].reshape(len(X), -1) @ params["W1"]
        mu = Z.mean(axis=1, keepdims=True)
        variance = ((Z - mu) ** 2).mean(axis=1, keepdims=True)
        A = params["gamma"] * ((Z - mu) / ad.sqrt(variance + EPS)) + params["beta"]
        return ad.cross_entropy(ad.tanh(A) @ params["W2"] + params["b2"], y)

    def step(X, y, rate):
        loss = forward(X, y)
        for p in params.values():
            p.grad = None
        loss.backward()
        for p in params.values():
            p.value -= rate * p.grad  # in place, as PyTorch and the NumPy step do
        return loss.value.item()

    return lambda X, y: forward(X, y).value.item(), step


def torch_engine(start):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}

    def forward(X, y):
        E = params["C"][torch.from_numpy(X)].reshape(len(X), -1)
        A = F.layer_norm(E @ params["W1"], (WIDTH,), params["gamma"], params["beta"], EPS)
        return F.cross_entropy(torch.tanh(A) @ params["W2"] + params["b2"], torch.from_numpy(y))

    def step(X, y, rate):
        loss = forward(X, y)
        for p in params.values():
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params.values():
                p -= rate * p.grad
        return loss.item()

    def loss(X, y):
        with torch.no_grad():
            return forward(X, y).item()

    return loss, step


def child(engine, steps, core):
    """Train with one engine in this process, on one core; print its figures as JSON."""
    os.sched_setaffinity(0, {core})
    (X_train, y_train), (X_valid, y_valid), start, batches = data()
    loss, step = ENGINES[engine](start)  # the imports happen here
    loss(X_valid[:2], y_valid[:2])  # a warm-up: the first call's set-up is not training
    begin, wall = time.process_time(), time.perf_counter()
    losses, validation = [], []
    for i in range(steps):
        rate = RATE if i < 0.75 * steps else LAST_RATE
        losses.append(step(X_train[batches[i]], y_train[batches[i]], rate))
        if (i + 1) % 500 == 0:
            validation.append(loss(X_valid, y_valid))
    print(json.dumps({"cpu": time.process_time() - begin, "wall": time.perf_counter() - wall,
                      "first_loss": losses[0], "last_loss": validation[-1]}))


ENGINES = {"numpy": numpy_engine, "adlearn": adlearn_engine, "torch": torch_engine}


# --- In the parent: fresh processes in turn, then the table -------------------------------


def run(engine, steps, core):
    done = subprocess.run([sys.executable, __file__, "--child", engine, str(steps), str(core)],
                          capture_output=True, text=True, env=dict(os.environ, **ONE_THREAD))
    if done.returncode != 0:
        sys.exit(f"{engine} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def main():
    if sys.argv[1:2] == ["--child"]:
        return child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per engine")
    parser.add_argument("--steps", type=int, default=STEPS, help="training steps")
    args = parser.parse_args()
    print(f"notebook 12's training: {args.steps:,} steps on batches of {BATCH}, float64, one "
          f"thread on one core; each engine in a fresh process, {args.rounds} rounds taking turns")
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
          f"{machine()}; {versions(['torch'])}")
    engines = list(ENGINES)
    results = {e: [] for e in engines}
    cores = sorted(os.sched_getaffinity(0))
    for round_ in range(args.rounds):
        shift = round_ % len(engines)
        for engine in engines[shift:] + engines[:shift]:
            results[engine].append(run(engine, args.steps, cores[round_ % len(cores)]))
    print(f"  {'engine':8s} {'CPU s':>18s} {'engine / torch':>18s} {'wall-clock s':>18s}")
    for engine, runs in results.items():
        ratio = [r["cpu"] / t["cpu"] for r, t in zip(runs, results["torch"])]
        print(f"  {engine:8s} {spread([r['cpu'] for r in runs], digits=2):>18s} "
              f"{spread(ratio, digits=2):>18s} {spread([r['wall'] for r in runs], digits=2):>18s}")
    first_loss, gap = check_losses(results)  # against adlearn's: the same, or it stops
    print(f"  every engine's losses: {first_loss:.6f} at the first step, "
          f"{results['adlearn'][0]['last_loss']:.6f} on the validation set at the end, "
          f"within {gap:.0e} (relative) of adlearn's")
    print(f"  ({load()})")


if __name__ == "__main__":
    main()
