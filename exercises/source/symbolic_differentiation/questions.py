"""Exercise: symbolic differentiation with SymPy (a gradient, the logistic map, swell).

Most answers are SymPy expressions. They are compared by value at sample points (exact
rational points, so an expanded polynomial suffers no round-off), so any equivalent form
of the right formula passes; symbols are matched by name, so the learner may create them
with or without assumptions. The last question computes the derivative the AD way, as a
number carried through the loop, with no formula at all.
"""

import math

import sympy as sp

from adlearn.grading import probe
from adlearn.grading.questions import Exercise, Question, Variants, Wrong

x1, x2, x = sp.symbols("x1 x2 x")
_f = sp.log(x1) + x1 * x2 - sp.sin(x2)
GRAD_F = [sp.diff(_f, x1), sp.diff(_f, x2)]

# points where the survey example's gradient is compared (x1 > 0 for the logarithm)
_POINTS = ((2.0, 5.0), (0.5, -1.0), (1.7, 0.3), (3.2, 2.9))


def _value_at(expr, point):
    """A SymPy expression's value at {symbol name: number}, as a float."""
    return probe.values_at(expr, [point])[0]


def logistic(n):
    """The reference: l_n of the logistic map l_1 = x, l_(k+1) = 4 l_k (1 - l_k)."""
    l = x
    for _ in range(n - 1):
        l = 4 * l * (1 - l)
    return l


def logistic_derivative(n):
    """The reference: d l_n / dx by SymPy."""
    return sp.diff(logistic(n), x)


def _random_n_and_points(rng):
    return rng.randint(2, 6), tuple(rng.randint(5, 95) / 100 for _ in range(3))  # exact


_l = sp.Symbol("l")


def _derivative_of_last_step(n):
    """The derivative of the last step with respect to its own input, without the chain."""
    return sp.diff(4 * _l * (1 - _l), _l).subs(_l, logistic(n - 1))


def carried_derivative(n, x0):
    """The reference: d l_n/dx at x0, carrying the value and its derivative through the loop."""
    l, dl = x0, 1.0
    for _ in range(n - 1):
        l, dl = 4 * l * (1 - l), 4 * (1 - 2 * l) * dl
    return dl


def _carried_without_chain(n, x0):
    l, dl = x0, 1.0
    for _ in range(n - 1):
        l, dl = 4 * l * (1 - l), 4 * (1 - 2 * l)
    return dl


def _carried_with_new_value(n, x0):
    """The value updated first, so the derivative uses l_(k+1) where it needs l_k."""
    l, dl = x0, 1.0
    for _ in range(n - 1):
        l = 4 * l * (1 - l)
        dl = 4 * (1 - 2 * l) * dl
    return dl


def _carried_from_zero(n, x0):
    l, dl = x0, 0.0
    for _ in range(n - 1):
        l, dl = 4 * l * (1 - l), 4 * (1 - 2 * l) * dl
    return dl


_XS = (0.1, 0.37, 0.8)


def at_point(numbers):
    """The question on the gradient at a learner's point (x1, x2) = (a, b)."""
    a, b = numbers["x1"], numbers["x2"]
    return (
        Question(
            "grad_at_point", 1, "value", answer="grad_at_point",
            tutorial="02_symbolic_differentiation.ipynb#The introductory example, symbolically",
            reference=tuple(_value_at(g, {"x1": a, "x2": b}) for g in GRAD_F), tolerance=1e-3,
            prompt=f"the gradient at ({a:g}, {b:g}), as a pair of floats",
            hint=f"Substitute x1 = {a:g} and x2 = {b:g} into each entry of your gradient and "
                 "convert the results with float(...).",
            wrong=(
                Wrong((1 / a + b, a + math.cos(b)),
                      "Check the sign of the cos term: f subtracts sin(x2)."),
                Wrong((1 / a + b, a - math.cos(math.radians(b))),
                      f"SymPy's cos works in radians: x2 = {b:g} means {b:g} radians, not "
                      "degrees."),
                Wrong((a - math.cos(b), 1 / a + b), "The order is (df/dx1, df/dx2)."),
            )),
    )


def _draw_point(rng):
    """A learner's point: one decimal each, x1 with no short 1/x1 (a round ∂f/∂x1 would
    be easy to guess from the check data), never the tutorials' (2, 5)."""
    while True:
        tenths = rng.randrange(12, 49)
        if tenths % 2 and tenths % 5:
            return {"x1": tenths / 10, "x2": round(rng.uniform(0.6, 6.4), 1)}


EXERCISE_QUESTIONS = (
    Question(
        "grad_f", 2, "value", answer="grad_f", reference=GRAD_F, probe="values_at",
        rule="not ad.symbolic_grad",
        tutorial="02_symbolic_differentiation.ipynb#The introductory example, symbolically",
        cases=((_POINTS,),), variables=("x1", "x2"),
        prompt="the gradient [df/dx1, df/dx2] of ln(x1) + x1*x2 - sin(x2), as expressions",
        hint="grad_f should be a list of two SymPy expressions in x1 and x2: the partial "
             "derivative with respect to x1, then the one with respect to x2.",
        wrong=(
            Wrong([1 / x1 + x2, x1 + sp.cos(x2)],
                  "Check the sign of the last term's derivative: f subtracts sin(x2)."),
            Wrong([x1 - sp.cos(x2), 1 / x1 + x2],
                  "Your list is in the wrong order: first d/dx1, then d/dx2."),
            Wrong([1 / x1, -sp.cos(x2)],
                  "The term x1*x2 depends on both variables, so it contributes to both "
                  "partial derivatives."),
            Wrong([_f, _f], "Those are not derivatives yet: apply sp.diff to f, once for each "
                            "variable."),
        )),
    Question(
        "logistic_derivative", 2, "function", answer="logistic_derivative",
        tutorial="02_symbolic_differentiation.ipynb#The logistic map",
        reference=logistic_derivative, probe="call_values_at",
        show=lambda args: f"logistic_derivative({args[0]})",
        prompt="d l_n / dx as an expression in x",
        cases=((2, _XS), (3, _XS), (4, _XS)), random_case=_random_n_and_points,
        hint="Differentiate your l_n with respect to x (sp.diff).",
        wrong=(
            Wrong(_derivative_of_last_step,
                  "That is the derivative of the last step with respect to its own input "
                  "l_(n-1). By the chain rule, multiply by the inner derivative d l_(n-1)/dx, "
                  "or let SymPy differentiate l_n with respect to x."),
            Wrong(lambda n: sp.diff(logistic(n + 1), x),
                  "Off by one: l_1 is x itself, so l_n applies the map n - 1 times."),
            Wrong(logistic, "That is l_n itself: differentiate it with respect to x."),
        )),
    Question(
        "carried_derivative", 2, "function", answer="carried_derivative",
        tutorial="02_symbolic_differentiation.ipynb#Where the swell comes from",
        reference=carried_derivative, tolerance=1e-7,
        prompt="d l_n/dx at a point, carrying the value and the derivative through the loop",
        cases=((2, 0.3), (3, 0.1), (5, 0.8), (1, 0.5)),
        random_case=lambda rng: (rng.randint(2, 8), rng.uniform(0.05, 0.95)),
        hint="Start with l = x0 and its derivative dl/dx = 1; at each step compute the new "
             "value and, by the chain rule, the new derivative from the old value and the "
             "old derivative.",
        wrong=(
            Wrong(_carried_without_chain,
                  "Your new derivative is the local derivative of one step alone: by the "
                  "chain rule, multiply it by the derivative carried so far."),
            Wrong(_carried_with_new_value,
                  "The step's local derivative must be taken at the value it was applied to, "
                  "l_k; your code updates l first and then uses the new value. Compute both "
                  "from the old values (for example with one tuple assignment)."),
            Wrong(_carried_from_zero,
                  "Every answer is 0: the derivative of l_1 = x with respect to x is 1, not 0 "
                  "(that is the seed)."),
            Wrong(lambda n, x0: carried_derivative(n + 1, x0),
                  "Off by one: l_1 is x itself, so l_n applies the map n - 1 times."),
        )),
    Question("explain_swell", 2, "text",
             tutorial="02_symbolic_differentiation.ipynb#Where the swell comes from",
             prompt="why the symbolic derivative swells and AD's cost does not"),
)

VARIANTS = Variants(  # each learner's own point; delete the variants= line to turn them off
    default={"x1": 2, "x2": 5}, draw=_draw_point,
    questions=lambda p: (EXERCISE_QUESTIONS[0], *at_point(p), *EXERCISE_QUESTIONS[1:]),
    text=lambda p: {"(2, 5)": f"({p['x1']:g}, {p['x2']:g})",
                    "{x1: 2, x2: 5}": f"{{x1: {p['x1']:g}, x2: {p['x2']:g}}}"})

EXERCISE = Exercise("symbolic_differentiation", "Symbolic differentiation with SymPy",
                    VARIANTS.questions(VARIANTS.default), variants=VARIANTS)
