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
from adlearn.grading.questions import Exercise, Question, Variants, Wrong, close

x1, x2, x = sp.symbols("x1 x2 x")


def survey(a, b):
    """The learner's function: the survey example ln(x1) + x1*x2 - sin(x2) with the
    coefficients a and b, ln(x1) + a*x1*x2 - sin(b*x2) (a = b = 1: notebook 02's own)."""
    return sp.log(x1) + a * x1 * x2 - sp.sin(b * x2)


def gradient(a, b):
    """The reference: [df/dx1, df/dx2] of survey(a, b)."""
    f = survey(a, b)
    return [sp.diff(f, x1), sp.diff(f, x2)]


def _times(c, term, sep="*"):
    """c times term as the notebook writes it (no factor shown when c is 1)."""
    return term if c == 1 else f"{c}{sep}{term}"


def shown(a, b):
    """survey(a, b) as the question's prose writes it."""
    return f"ln(x1) + {_times(a, 'x1*x2')} - sin({_times(b, 'x2')})"


def code(a, b):
    """survey(a, b) as the locked cell defines it, in SymPy."""
    return f"f = sp.log(x1) + {_times(a, 'x1 * x2', ' * ')} - sp.sin({_times(b, 'x2', ' * ')})"


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


def on_gradient(numbers):
    """The two questions on a learner's function survey(a, b): its gradient as
    expressions, and its value at the learner's point (x1, x2) = (p1, p2)."""
    a, b, p1, p2 = numbers["a"], numbers["b"], numbers["x1"], numbers["x2"]
    f, sine = survey(a, b), f"sin({_times(b, 'x2')})"
    inner = (Wrong([1 / x1 + a * x2, a * x1 - sp.cos(b * x2)],
                   f"The derivative of {sine} with respect to x2 is not cos({_times(b, 'x2')}): "
                   f"by the chain rule, multiply by the inner derivative {b}."),) if b != 1 else ()
    tutorial = (Wrong(gradient(1, 1),
                      "That is the gradient of notebook 02's example ln(x1) + x1*x2 - sin(x2); "
                      f"your f is {shown(a, b)}."),) if (a, b) != (1, 1) else ()
    dx1, dx2 = 1 / p1 + a * p2, a * p1 - b * math.cos(b * p2)
    return (
        Question(
            "grad_f", 2, "value", answer="grad_f", reference=gradient(a, b), probe="values_at",
            rule="not ad.symbolic_grad",
            tutorial="02_symbolic_differentiation.ipynb#The introductory example, symbolically",
            cases=((_POINTS,),), variables=("x1", "x2"),
            prompt=f"the gradient [df/dx1, df/dx2] of {shown(a, b)}, as expressions",
            hint="grad_f should be a list of two SymPy expressions in x1 and x2: the partial "
                 "derivative with respect to x1, then the one with respect to x2.",
            wrong=(
                Wrong([1 / x1 + a * x2, a * x1 + b * sp.cos(b * x2)],
                      f"Check the sign of the last term's derivative: f subtracts {sine}."),
                Wrong([a * x1 - b * sp.cos(b * x2), 1 / x1 + a * x2],
                      "Your list is in the wrong order: first d/dx1, then d/dx2."),
                Wrong([1 / x1, -b * sp.cos(b * x2)],
                      f"The term {_times(a, 'x1*x2')} depends on both variables, so it "
                      "contributes to both partial derivatives."),
                Wrong([f, f], "Those are not derivatives yet: apply sp.diff to f, once for each "
                              "variable."),
                *inner, *tutorial,
            )),
        Question(
            "grad_at_point", 1, "value", answer="grad_at_point",
            tutorial="02_symbolic_differentiation.ipynb#The introductory example, symbolically",
            reference=tuple(_value_at(g, {"x1": p1, "x2": p2}) for g in gradient(a, b)),
            tolerance=1e-3,
            prompt=f"the gradient at ({p1:g}, {p2:g}), as a pair of floats",
            hint=f"Substitute x1 = {p1:g} and x2 = {p2:g} into each entry of your gradient and "
                 "convert the results with float(...).",
            wrong=(
                Wrong((dx1, a * p1 + b * math.cos(b * p2)),
                      f"Check the sign of the cos term: f subtracts {sine}."),
                Wrong((dx1, a * p1 - b * math.cos(math.radians(b * p2))),
                      f"SymPy's cos works in radians: x2 = {p2:g} means {p2:g} radians, not "
                      "degrees."),
                Wrong((dx2, dx1), "The order is (df/dx1, df/dx2)."),
            )),
    )


def _draw_numbers(rng):
    """A learner's point and function, drawn until the answer and each known mistake's
    value at the point are apart (cos(b*x2) can come close to cos of b*x2 degrees, or
    to its own negative), so that each earns its own verdict."""
    while True:
        numbers = {**_draw_point(rng), **_draw_coefficients(rng)}
        q = on_gradient(numbers)[1]
        values = [q.reference, *(w.answer for w in q.wrong)]
        if not any(close(u, v, 10 * q.tolerance) for i, u in enumerate(values)
                   for v in values[i + 1:]):
            return numbers


def _draw_point(rng):
    """A learner's point: one decimal each, x1 with no short 1/x1 (a round ∂f/∂x1 would
    be easy to guess from the check data), never the tutorials' (2, 5)."""
    while True:
        tenths = rng.randrange(12, 49)
        if tenths % 2 and tenths % 5:
            return {"x1": tenths / 10, "x2": round(rng.uniform(0.6, 6.4), 1)}


def _draw_coefficients(rng):
    """A learner's function survey(a, b): a and b from 1 to 9, never both 1 (notebook 02's)."""
    while True:
        a, b = rng.randint(1, 9), rng.randint(1, 9)
        if (a, b) != (1, 1):
            return {"a": a, "b": b}


EXERCISE_QUESTIONS = (
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

VARIANTS = Variants(  # each learner's own function and point; delete the variants= line
    default={"x1": 2, "x2": 5, "a": 1, "b": 1}, draw=_draw_numbers,  # to turn them off
    questions=lambda p: (*on_gradient(p), *EXERCISE_QUESTIONS),
    text=lambda p: {"(2, 5)": f"({p['x1']:g}, {p['x2']:g})",
                    "{x1: 2, x2: 5}": f"{{x1: {p['x1']:g}, x2: {p['x2']:g}}}",
                    shown(1, 1): shown(p["a"], p["b"]), code(1, 1): code(p["a"], p["b"])})

EXERCISE = Exercise("symbolic_differentiation", "Symbolic differentiation with SymPy",
                    VARIANTS.questions(VARIANTS.default), variants=VARIANTS)
