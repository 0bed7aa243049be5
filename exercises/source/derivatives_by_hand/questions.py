"""Exercise: derivatives by hand (partial derivatives, the chain rule, the product rule,
and the introductory example x1² + 2·x2 taken apart into its steps x3 = x1², x4 = 2·x2)."""

import math

from adlearn.grading.questions import Exercise, Question, Variants, Wrong


def dg_dx(x):
    """The reference: the derivative of g(x) = sin(x²), by the chain rule."""
    return 2 * x * math.cos(x * x)


def dh_dx(x):
    """The reference: the derivative of h(x) = x² sin x, by the product rule."""
    return 2 * x * math.sin(x) + x * x * math.cos(x)


def local_partials(x1, x2):
    """The reference: the local partials of the steps x3 = x1², x4 = 2·x2, f = x3 + x4."""
    return {"dx3/dx1": 2 * x1, "dx4/dx2": 2.0, "df/dx3": 1.0, "df/dx4": 1.0}


def gradient_by_steps(x1, x2):
    """The reference: (∂f/∂x1, ∂f/∂x2), the local partials multiplied along each chain."""
    p = local_partials(x1, x2)
    return p["df/dx3"] * p["dx3/dx1"], p["df/dx4"] * p["dx4/dx2"]


def _random_x(rng):
    return (rng.uniform(-3, 3),)


def _random_point(rng):
    return rng.uniform(-3, 3), rng.uniform(-3, 3)


STEP_POINTS = ((2.0, 3.0), (-1.0, 0.5), (0.5, -2.0))  # notebook 01's point first


def partials(point):
    """The questions on the partial derivatives of f at a learner's point."""
    x1, x2 = point["x1"], point["x2"]
    return (
        Question(
            "df_dx1", 1, "value", answer="df_dx1", reference=1 / x1 + x2, tolerance=1e-6,
            tutorial="01_derivatives_by_hand.ipynb#Partial derivatives are slopes of slices",
            prompt=f"∂f/∂x1 of f = ln(x1) + x1·x2 - sin(x2) at ({x1:g}, {x2:g})",
            wrong=(
                Wrong(x2, "You have the x1·x2 term; what does ln(x1) contribute?"),
                Wrong(1 / x1, "You have the ln(x1) term; the product x1·x2 depends on x1 "
                              "too."),
                Wrong(x1 + x2, "The derivative of ln(x) is not x: look it up again."),
            )),
        Question(
            "df_dx2", 1, "value", answer="df_dx2", reference=x1 - math.cos(x2), tolerance=1e-6,
            tutorial="01_derivatives_by_hand.ipynb#Partial derivatives are slopes of slices",
            prompt=f"∂f/∂x2 of the same f at ({x1:g}, {x2:g})",
            wrong=(
                Wrong(x1 + math.cos(x2), "Check the sign of the last term: the derivative of "
                                       "sin is cos, and f has a minus in front of sin(x2)."),
                Wrong(x2 - math.cos(x2), "Differentiating x1·x2 with respect to x2 leaves x1, "
                                       "not x2."),
                Wrong(x1 - math.sin(x2), "The derivative of sin(x2) is not sin(x2)."),
            )),
    )


def _draw_point(rng):
    """A learner's point: one decimal each, x1 with no short 1/x1 (1/2.5 = 0.4 would
    make ∂f/∂x1 a round number, easy to guess from the check data), and x2 not x1 (there
    the mistake x2 - cos(x2) would be ∂f/∂x2)."""
    while True:
        tenths = rng.randrange(12, 49)
        if tenths % 2 and tenths % 5:
            point = {"x1": tenths / 10, "x2": round(rng.uniform(0.6, 6.4), 1)}
            if point["x2"] != point["x1"]:
                return point


OTHERS = (
    Question(
        "chain", 2, "function", answer="dg_dx", reference=dg_dx,
        rule="not ad.derivative",
        tutorial="01_derivatives_by_hand.ipynb#The rules",
        prompt="a function returning the derivative of g(x) = sin(x²)",
        cases=((0.5,), (1.0,), (-2.0,)), random_case=_random_x,
        hint="g is a function of a function: differentiate the outer one, then the inner.",
        wrong=(
            Wrong(lambda x: math.cos(x * x),
                  "You differentiated the outer function only: the chain rule also "
                  "multiplies by the derivative of the inner function x²."),
            Wrong(lambda x: math.cos(2 * x),
                  "Evaluate the outer derivative at the inner function's value (x²), then "
                  "multiply by the inner derivative; do not substitute one into the other."),
            Wrong(lambda x: -2 * x * math.cos(x * x),
                  "Check the sign: the derivative of sin is +cos (the minus belongs to the "
                  "derivative of cos)."),
        )),
    Question(
        "product", 2, "function", answer="dh_dx", reference=dh_dx,
        rule="not ad.derivative",
        tutorial="01_derivatives_by_hand.ipynb#The rules",
        prompt="a function returning the derivative of h(x) = x²·sin(x)",
        cases=((0.5,), (1.0,), (-2.0,)), random_case=_random_x,
        hint="h is a product of two functions of x: use the product rule.",
        wrong=(
            Wrong(lambda x: 2 * x * math.cos(x),
                  "Multiplying the derivatives of the two factors is not the product rule: "
                  "each term differentiates one factor and keeps the other."),
            Wrong(lambda x: 2 * x * math.sin(x),
                  "One term is missing: the product rule has a term for each factor."),
            Wrong(lambda x: 2 * x * math.sin(x) - x * x * math.cos(x),
                  "The two terms of the product rule add; check the sign of your second "
                  "term."),
        )),
    Question(
        "local_partials", 2, "function", answer="local_partials", reference=local_partials,
        tutorial="01_derivatives_by_hand.ipynb#The same, one elementary step at a time",
        prompt="the local partials of x3 = x1², x4 = 2·x2, f = x3 + x4 at any point",
        cases=STEP_POINTS, random_case=_random_point,
        hint="Differentiate each step on its own, as if its inputs were plain variables. "
             "Return a dict with the keys \"dx3/dx1\", \"dx4/dx2\", \"df/dx3\" and "
             "\"df/dx4\".",
        wrong=(
            Wrong(lambda x1, x2: {**local_partials(x1, x2), "dx3/dx1": x1},
                  "x3 = x1²: use the power rule (the exponent comes down, and the power "
                  "drops by one)."),
            Wrong(lambda x1, x2: {**local_partials(x1, x2), "dx4/dx2": 2 * x2},
                  "x4 = 2·x2 is a straight line in x2: its slope does not depend on x2."),
            Wrong(lambda x1, x2: {**local_partials(x1, x2), "df/dx3": x1 ** 2,
                                  "df/dx4": 2 * x2},
                  "∂f/∂x3 asks how fast f = x3 + x4 changes when x3 moves by one, not what "
                  "x3 is."),
        )),
    Question(
        "gradient_by_steps", 1, "function", answer="gradient_by_steps",
        reference=gradient_by_steps,
        tutorial="01_derivatives_by_hand.ipynb#The same, one elementary step at a time",
        prompt="(∂f/∂x1, ∂f/∂x2) from the local partials, by the chain rule",
        cases=STEP_POINTS, random_case=_random_point,
        hint="x1 reaches f through x3 only, x2 through x4 only: combine the local partials "
             "along each of those chains. Return the pair (∂f/∂x1, ∂f/∂x2).",
        wrong=(
            Wrong(lambda x1, x2: (1 + 2 * x1, 1 + 2.0),
                  "Along a chain of steps the chain rule multiplies the local partials; it "
                  "does not add them."),
            Wrong(lambda x1, x2: (2 * x1, 2 * x2),
                  "∂x4/∂x2 does not depend on x2: x4 = 2·x2 changes by 2 whenever x2 "
                  "changes by one."),
            Wrong(lambda x1, x2: (x1 ** 2, 2 * x2),
                  "Those are the values of x3 and x4, not derivatives."),
        )),
    Question("no_cosine", 1, "text",
             tutorial="01_derivatives_by_hand.ipynb#Partial derivatives are slopes of slices",
             prompt="explain why ∂f/∂x1 has no cosine in it"),
)


VARIANTS = Variants(  # each learner's own point; delete the variants= line to turn them off
    default={"x1": 2, "x2": 5}, draw=_draw_point,
    questions=lambda point: (*partials(point), *OTHERS),
    text=lambda point: {"(2, 5)": f"({point['x1']:g}, {point['x2']:g})",
                        "x1, x2 = 2, 5": f"x1, x2 = {point['x1']:g}, {point['x2']:g}"})

EXERCISE = Exercise("derivatives_by_hand", "Derivatives by hand",
                    VARIANTS.questions(VARIANTS.default),
                    variants=VARIANTS)
