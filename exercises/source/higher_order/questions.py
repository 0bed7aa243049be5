"""Exercise: higher-order and custom derivatives (nesting forward mode, perturbation
confusion, a Hessian-vector product, a custom derivative for a formula that overflows)."""

import math

import adlearn as ad
from adlearn.grading.questions import Exercise, Question, Variants, Wrong


def second_derivative(f, x):
    """The reference: f''(x), by nesting forward mode."""
    return ad.derivative(ad.derivative(f))(x)


def hessian_vector_product(f, x, v):
    """H(x) v for f of two inputs, a jvp along v of each partial (notebook 09's)."""
    def partial(i):
        return lambda *x: ad.jvp(f, x, [float(j == i) for j in range(len(x))])[1]
    return [ad.jvp(partial(i), x, v)[1] for i in range(len(x))]


def damped(product, damping):
    """The product (H + λI) v, from a function giving some product M v, with λ = damping."""
    def with_damping(f, x, v):
        return [p + damping * vi for p, vi in zip(product(f, x, v), v)]
    return with_damping


# The functions a case passes, as expression text: the kernel parses them safely.
CUBE, WAVE, EXP = map(ad.parse, ("x**3 - 2*x", "sin(3*x) + x*x", "exp(2*x)"))
QUARTIC, LOGS = ad.parse("x**4 - 3*x**2 + x"), ad.parse("log(x) * x")
BOWL, SURVEY = ad.parse("x1**2 * x2 + sin(x1)"), ad.parse("log(x1) + x1*x2 - sin(x2)")
SADDLE = ad.parse("x1*x1 - 3*x1*x2 + exp(x2)")


def _random_second(rng):
    return rng.choice([CUBE, WAVE, EXP, QUARTIC]), rng.uniform(-1.5, 1.5)


def _random_hvp(rng):
    return (rng.choice([BOWL, SADDLE]), (rng.uniform(0.5, 2), rng.uniform(0.5, 2)),
            (rng.uniform(-1, 1), rng.uniform(-1, 1)))


def _gradient(f, x):
    return [ad.jvp(f, x, [float(j == i) for j in range(len(x))])[1] for i in range(len(x))]


def log_sigmoid(x):
    """The reference: ln σ(x), in the form that overflows on neither side. (The learner
    writes it as a custom operation; its reverse-mode value and derivative are these.
    A table adds no custom operation: that would change the grader's rule table.)"""
    if x >= 0:
        return -ad.log(1 + ad.exp(-x))
    return x - ad.log(1 + ad.exp(x))


def _log_sigmoid_through_kinks(x):
    """The overflow-free value, differentiated by AD through relu and abs: at x = 0 both
    are at their kink, where AD takes the slope 0, so the derivative there comes out 0."""
    return -(ad.relu(-x) + ad.log(1 + ad.exp(-ad.abs(x))))


def _custom(value, partial):
    """What a custom operation with this value and this partial gives at a point, value and
    derivative, without adding a rule to the grader's table: s·x + (v - s·x0), x a Var."""
    def operation(x):
        x0 = x.value
        v, s = value(x0), partial(x0)
        return s * x + (v - s * x0)
    return operation


def _float_log_sigmoid(x):
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def _random_point(rng):
    return (rng.choice([rng.uniform(-6, 6), rng.uniform(-1000, 1000)]),)


def confused(numbers):
    """The question on perturbation confusion at a learner's point (x, y)."""
    x, y = numbers["x"], numbers["y"]
    return (
        Question(
            "confused", 2, "value", answer="nested_value", reference=2.0 * x, tolerance=1e-9,
            instant="form",
            tutorial="09_beyond.ipynb#Perturbation confusion",
            prompt=f"d/dx [x · d/dy (x·y) at y = {y:g}] at x = {x:g}",
            hint="Work from the inside out: the inner derivative treats x as a constant. "
                 "What function of x is left for the outer derivative?",
            wrong=(
                Wrong(x + y, "That is perturbation confusion: the inner derivative picked up x's "
                           "motion too (y + x instead of x). Give the inner and the outer "
                           "derivative their own ε (or let ad.derivative do it)."),
                Wrong(x, f"That is the inner derivative, x, at x = {x:g}. The outer derivative "
                        "differentiates x times it."),
                Wrong(x * x, f"That is the value of x · x at {x:g}, not its derivative."),
            )),
    )


def _draw_numbers(rng):
    """A learner's x and y, whole numbers, with the right value and the known mistakes'
    all different (x ≠ y, x > 2), never the tutorials' answer (x = 3); and their
    damping λ, from 0.5 to 9.5 (never notebook 09's plain H v, λ = 0)."""
    while True:
        x, y = rng.randrange(4, 200), rng.randrange(2, 10)
        if x != y:
            return {"x": float(x), "y": float(y), "damping": rng.randrange(5, 96) / 10}


def hvp(numbers):
    """The question on the damped Hessian-vector product, for a learner's λ."""
    lam = numbers["damping"]
    return (
        Question(
            "hvp", 3, "function", answer="hessian_vector_product",
            rule="not ad.hessian",
            tutorial="09_beyond.ipynb#A Hessian-vector product by nesting forward mode",
            reference=damped(hessian_vector_product, lam),
            prompt=f"(H(x) + {lam:g} I) v for a function of two inputs, by nesting forward "
                   "mode",
            cases=((BOWL, (1.0, 2.0), (1.0, 0.0)), (SURVEY, (2.0, 5.0), (1.0, -1.0)),
                   (SADDLE, (0.5, 0.5), (0.0, 1.0))),
            hidden=((SURVEY, (1.5, 0.3), (0.4, 0.7)),), random_case=_random_hvp,
            hint="Component i of H v is the derivative along v of ∂f/∂x_i. Write ∂f/∂x_i as a "
                 "function (one jvp along axis i), then take its jvp along v.",
            wrong=(
                Wrong(damped(lambda f, x, v: _gradient(f, x), lam),
                      "That is the gradient of f, not H v: differentiate each partial "
                      "derivative once more, along v."),
                Wrong(damped(lambda f, x, v: [ad.jvp(f, x, v)[1]] * len(x), lam),
                      "That is the directional derivative of f along v (one number), not the "
                      "change of the gradient along v."),
                Wrong(damped(lambda f, x, v: [ad.jvp(lambda *y: ad.jvp(f, y, v)[1], x, v)[1]]
                             * len(x), lam),
                      "That is vᵀ H v, the second derivative of f along v (one number): the "
                      "inner derivative goes along each axis i, only the outer one along v."),
                *((Wrong(hessian_vector_product,  # notebook 09's code as it stands
                         "That is H v without the damping: add λ v (your `damping` times "
                         "v)."),) if lam else ()),
            )),
    )


QUESTIONS = (
    Question(
        "second", 3, "function", answer="second_derivative", reference=second_derivative,
        tutorial="09_beyond.ipynb#Derivatives of derivatives",
        prompt="f''(x) by nesting ad.derivative",
        cases=((CUBE, 2.0), (EXP, 0.0), (WAVE, 0.5)),
        hidden=((QUARTIC, -1.2), (LOGS, 2.0)), random_case=_random_second,
        hint="ad.derivative(g) is the function g'. What do you get if you take the "
             "derivative of that function?",
        wrong=(
            Wrong(lambda f, x: ad.derivative(f)(x),
                  "That is the first derivative: differentiate once more."),
            Wrong(lambda f, x: ad.derivative(f)(x) ** 2,
                  "Squaring f' is not differentiating it twice: (f')² is not f''."),
            Wrong(lambda f, x: 2 * ad.derivative(f)(x),
                  "Doubling f' is not differentiating it again: f'' is the derivative of "
                  "the function f'."),
        )),
    Question(
        "custom", 3, "function", answer="log_sigmoid", reference=log_sigmoid,
        tutorial="09_beyond.ipynb#Custom derivatives", probe="value_and_grad",
        prompt="ln σ(x) as a custom operation: an overflow-free value and its derivative",
        cases=((0.0,), (-800.0,), (3.0,)), hidden=((800.0,), (-40.0,)),
        random_case=_random_point,
        hint="The value: ln σ(x) = -ln(1 + e^(-x)), written so that no exp gets a large "
             "positive number; the partial: differentiate -ln(1 + e^(-x)) by hand and "
             "give it to ad.custom_derivative.",
        wrong=(
            Wrong(_log_sigmoid_through_kinks,
                  "Your value is right everywhere, but at x = 0 your derivative is 0: AD "
                  "differentiated relu and abs at their kink, where it takes the slope 0. "
                  "Give the derivative yourself, with ad.custom_derivative."),
            Wrong(_custom(_float_log_sigmoid, lambda x: ad.sigmoid(x)),
                  "σ(x) is the derivative of softplus, ln(1 + e^x). Here the function is "
                  "-softplus(-x): apply the chain rule to that."),
            Wrong(_custom(_float_log_sigmoid, lambda x: -ad.sigmoid(-x)),
                  "Check the sign of your partial: σ grows with x, and so does ln σ(x)."),
            Wrong(_custom(lambda x: -_float_log_sigmoid(x), lambda x: ad.sigmoid(-x)),
                  "Check the sign of your value: σ(x) < 1, so ln σ(x) is negative."),
        )),
    Question("explain_tags", 2, "text",
             tutorial="09_beyond.ipynb#Perturbation confusion",
             prompt="why nested derivatives need their own ε (tag), in your own words"),
)

VARIANTS = Variants(  # each learner's own point; delete the variants= line to turn them off
    default={"x": 3.0, "y": 2.0, "damping": 0.0}, draw=_draw_numbers,
    questions=lambda p: (QUESTIONS[0], *confused(p), *hvp(p), *QUESTIONS[1:]),
    text=lambda p: {"\\Big|_{y=2} \\Big] \\text{ at } x = 3":
                    f"\\Big|_{{y={p['y']:g}}} \\Big] \\text{{ at }} x = {p['x']:g}",
                    "x0, y0 = 3.0, 2.0": f"x0, y0 = {p['x']!r}, {p['y']!r}",
                    "damping = 0.0": f"damping = {p['damping']!r}",
                    "λ = 0": f"λ = {p['damping']:g}"})

EXERCISE = Exercise("higher_order", "Higher-order and custom derivatives",
                    VARIANTS.questions(VARIANTS.default), variants=VARIANTS)
