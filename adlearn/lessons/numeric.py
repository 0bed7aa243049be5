"""Numeric differentiation by central differences, and a gradient check against it.

The central difference ``(f(x + h) - f(x - h)) / 2h`` has a truncation error of order
h² and a round-off error of order ε/h (ε ≈ 1e-16), so a step near ε^(1/3), scaled by
the size of x, balances the two. It needs two evaluations of f per input and is only
approximate: useful as an independent check on AD, not as a replacement for it.
"""

import math
from dataclasses import dataclass

from ..core.rules import as_real
from ..core.transforms import grad


def numeric_grad(f, *args, h=1e-5):
    """The gradient of f at args by central differences (a tuple, one entry per argument).

    The step for each argument is ``h * max(1, |x|)``.
    """
    point = [as_real(a, f"argument {i + 1}") for i, a in enumerate(args)]
    gradient = []
    for i, x in enumerate(point):
        step = h * max(1.0, abs(x))
        up, down = list(point), list(point)
        up[i], down[i] = x + step, x - step
        gradient.append((f(*up) - f(*down)) / (up[i] - down[i]))
    return tuple(gradient)


@dataclass(frozen=True)
class GradCheck:
    """The outcome of ``gradcheck``: both gradients and the largest relative error."""

    ad: tuple
    numeric: tuple
    max_error: float
    tolerance: float

    @property
    def ok(self):
        return self.max_error <= self.tolerance

    def __bool__(self):
        return self.ok

    def __str__(self):
        verdict = "ok" if self.ok else "MISMATCH"
        rows = [f"  d/dx{i + 1}: AD {a:.10g}  numeric {n:.10g}"
                for i, (a, n) in enumerate(zip(self.ad, self.numeric))]
        return "\n".join([f"gradcheck {verdict}: largest relative error {self.max_error:.2e} "
                          f"(tolerance {self.tolerance:.0e})", *rows])


def gradcheck(f, *args, h=1e-5, tolerance=1e-6):
    """Compare f's reverse-mode gradient with central differences at args.

    The error of each entry is relative to ``max(1, |AD|, |numeric|)``; the result is
    truthy when the largest one is within tolerance, and prints as a small report.
    """
    ad = grad(f)(*args)
    numeric = numeric_grad(f, *args, h=h)
    errors = [abs(a - n) / max(1.0, abs(a), abs(n)) for a, n in zip(ad, numeric)]
    worst = math.nan if any(e != e for e in errors) else max(errors, default=0.0)  # nan != nan
    return GradCheck(ad, numeric, worst, tolerance)
