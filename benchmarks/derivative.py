"""Nested forward mode: the time of the k-th derivative ``derivative(...(derivative(f)))``.

Each order nests one more Dual, so an operation on order-k Duals does a few operations
on order-(k-1) Duals: the time grows geometrically with k, and the factor per order is
the figure to watch (issue 9). f is ``x**10`` at x = 1.1 (as in the issue) and
``sin(x) * exp(x)``; each time is the best of a few runs, checked against the exact
derivative.

    python benchmarks/derivative.py            # a few seconds
"""

import argparse
import math
import platform
import time

import adlearn as ad


def nth(f, k):
    for _ in range(k):
        f = ad.derivative(f)
    return f


def exact_power(k, x):  # d^k/dx^k x^10
    return math.perm(10, k) * x ** (10 - k)


def exact_sin_exp(k, x):  # (d/dx)^k sin(x) e^x = 2^(k/2) e^x sin(x + k pi/4)
    return 2 ** (k / 2) * math.exp(x) * math.sin(x + k * math.pi / 4)


CASES = {"x**10": (lambda x: x**10, exact_power),
         "sin(x)*exp(x)": (lambda x: ad.sin(x) * ad.exp(x), exact_sin_exp)}


def best_time(g, x, repeat):
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        value = g(x)
        best = min(best, time.perf_counter() - start)
    return best, value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    x = 1.1
    print(f"Python {platform.python_version()}; best of {args.repeat} runs; x = {x}")
    for name, (f, exact) in CASES.items():
        print(f"{name}:")
        previous = None
        for k in range(1, args.orders + 1):
            seconds, value = best_time(nth(f, k), x, args.repeat)
            assert math.isclose(value, exact(k, x), rel_tol=1e-9), (name, k, value)
            factor = f"  × {seconds / previous:.1f}" if previous else ""
            print(f"  order {k}: {seconds * 1e3:9.3f} ms{factor}")
            previous = seconds


if __name__ == "__main__":
    main()
