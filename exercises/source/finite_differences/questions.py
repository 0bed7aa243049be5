"""Exercise: finite differences (implement the central difference, choose a step, explain the error)."""

import math

from adlearn import parse
from adlearn.grading.questions import Exercise, Question, Variants, Wrong


def central_difference(f, x, h):
    """The reference: the central difference quotient of f at x with step h."""
    return (f(x + h) - f(x - h)) / (2 * h)


# The functions a case passes, as expression text: the kernel parses them with adlearn's
# safe parser.
SIN, EXP, CUBE, WAVE = map(parse, ("sin(x)", "exp(x)", "x**3 - 2*x", "sin(3*x) + x*x"))
COSH, QUARTIC = parse("(exp(x) + exp(-x)) / 2"), parse("x**4 - 3*x**2 + x")


def _random_case(rng):
    return rng.choice([SIN, EXP, CUBE, WAVE, COSH]), rng.uniform(-2, 2), 10 ** rng.uniform(-3, -1)


def _relative_error(h):
    """The relative error of the central difference of exp at 1 with step h."""
    return abs(central_difference(math.exp, 1.0, h) - math.e) / math.e


def _good_step(h):
    return isinstance(h, (int, float)) and h > 0 and _relative_error(h) < 1e-9


def order(numbers):
    """The question on the error's order, for a learner's divisor c of the step."""
    c = numbers["divisor"]
    return (
        Question(
            "order", 2, "value", answer="error_factor", reference=c ** 2, tolerance=0.05,
            instant="form",
            tutorial="03_numeric_differentiation.ipynb#Error against step size",
            prompt=f"the factor by which the central difference's error shrinks when h is "
                   f"divided by {c}",
            wrong=(
                Wrong(c, f"A factor of {c} is the behaviour of the one-sided difference, "
                         "whose error is of order h. The central one's error is of a higher "
                         "order."),
                Wrong(c ** 3, "Not that fast: which power of h is the central difference's "
                              "truncation error proportional to?"),
                Wrong(1 / c ** 2, "The factor is old error / new error, so a shrinking error "
                                  "gives a number larger than 1."),
            )),
    )


QUESTIONS = (
    Question(
        "central", 3, "function", answer="central_difference", reference=central_difference,
        tutorial="03_numeric_differentiation.ipynb#The central difference",
        prompt="implement the central difference (f(x + h) - f(x - h)) / 2h",
        cases=((SIN, 1.0, 1e-3), (CUBE, 2.0, 0.1), (EXP, 0.0, 0.5)),
        hidden=((QUARTIC, -1.3, 0.05), (WAVE, 0.4, 0.02)), random_case=_random_case,
        hint="Compare your formula with the central difference term by term: which "
             "points do you evaluate f at, and how far apart are they?",
        wrong=(
            Wrong(lambda f, x, h: (f(x + h) - f(x)) / h,
                  "That is the one-sided (forward) difference. The central difference "
                  "looks a step h to both sides of x."),
            Wrong(lambda f, x, h: (f(x + h) - f(x - h)) / h,
                  "The points x + h and x - h are not h apart: divide the difference of "
                  "the values by the distance between the points."),
            Wrong(lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h,
                  "Check your parentheses: in Python a / 2 * h means (a / 2) * h."),
            Wrong(lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h),
                  "Your result has the wrong sign: subtract the value on the left from "
                  "the value on the right."),
        )),
    Question(
        "step", 2, "value", answer="h_best", reference=1e-5, compare=_good_step,
        tutorial="03_numeric_differentiation.ipynb#Error against step size",
        tolerance=0.05, instant="form",
        prompt="a step h for which the central difference of exp at 1 has a relative "
               "error below 1e-9",
        hint="Try your central_difference on exp at 1 for h = 1e-1, 1e-2, ..., 1e-12 and "
             "look at the error of each.",
        wrong=(
            Wrong(0.0, "A step of 0 (or less) does not step anywhere: the quotient divides "
                       "by 2h.", between=(None, 0.0)),
            Wrong(1e-12, "That step is too small: f(x + h) and f(x - h) agree in almost all "
                         "their digits, and round-off error (about ε/h) takes over.",
                  between=(None, 1e-8)),
            Wrong(0.1, "That step is too large: the truncation error (about h²) dominates. "
                       "Try smaller steps.", between=(1e-4, None)),
        )),
    Question("roundoff", 2, "text",
             tutorial="03_numeric_differentiation.ipynb#Error against step size",
             prompt="explain why the error grows again when h becomes very small"),
)

VARIANTS = Variants(  # each learner's own divisor; delete the variants= line to turn them off
    default={"divisor": 10}, questions=lambda p: (*QUESTIONS[:2], *order(p), QUESTIONS[2]),
    draw=lambda rng: {"divisor": rng.choice([c for c in range(2, 100) if c != 10])},
    text=lambda p: {"divide $h$ by 10": f"divide $h$ by {p['divisor']}",
                    "divisor = 10": f"divisor = {p['divisor']}"})

EXERCISE = Exercise("finite_differences", "Finite differences",
                    VARIANTS.questions(VARIANTS.default), variants=VARIANTS)
