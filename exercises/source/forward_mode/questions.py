"""Exercise: forward mode (implement dual-number operations, choose a seed, count sweeps).

A dual number is a plain ``(value, tangent)`` pair in this exercise, so the questions are
about the rules, not about adlearn's ``Dual`` class.
"""

import math

from adlearn.grading.questions import Exercise, Question, Variants, Wrong


def dual_mul(a, b):
    """The reference: the dual number of a * b (the product rule)."""
    (u, du), (v, dv) = a, b
    return u * v, du * v + u * dv


def dual_cos(a):
    """The reference: the dual number of cos(a) (the chain rule)."""
    u, du = a
    return math.cos(u), -math.sin(u) * du


def dual_div(a, b):
    """The reference: the dual number of a / b (the quotient rule)."""
    (u, du), (v, dv) = a, b
    return u / v, (du * v - u * dv) / v ** 2


def _pair(rng):
    return rng.uniform(-3, 3), rng.choice([-1, 1]) * rng.uniform(0.2, 2)


def _nonzero_pair(rng):
    return rng.choice([-1, 1]) * rng.uniform(0.5, 3), rng.choice([-1, 1]) * rng.uniform(0.2, 2)


def choose_seed(numbers):
    """The question on the seed whose sweep gives df/dx_k of a function of m inputs."""
    m, k = numbers["m"], numbers["k"]

    def unit(j):  # the seed that moves x_j alone
        return tuple(float(i == j) for i in range(1, m + 1))

    # the neighbours of x_k only (a count off by one): a hint for every other input
    # would leave the answer as the one unit seed the check data does not name
    counted_from_0 = " (The inputs are numbered from x1: is your count off by one?)"
    others = tuple(Wrong(unit(j), f"That seed moves x{j} and holds the others still: it "
                                  f"gives df/dx{j}." + (counted_from_0 if m > 2 else ""))
                   for j in (k - 1, k + 1) if 1 <= j <= m)
    tutorial = (Wrong((0.0, 1.0), f"That is the seed for df/dx2 of a function of 2 inputs; "
                                  f"yours has {m} inputs, so its seed has {m} tangents."),
                ) if m != 2 else ()
    return (
        Question(
            "seed", 1, "value", answer="seed", reference=unit(k), instant="form",
            tutorial="05_forward_mode.ipynb#One sweep per input",
            prompt=f"the seed (t1, ..., t{m}) whose forward sweep gives df/dx{k} of a "
                   f"function of {m} inputs",
            hint=f"The seed is the direction in which the inputs move: which inputs should "
                 f"move to get a partial derivative with respect to x{k}?",
            wrong=(
                *others,
                Wrong((1.0,) * m, "Moving every input at once gives the sum of the partial "
                                  "derivatives, the derivative along the diagonal."),
                Wrong((0.0,) * m, "With no input moving, every tangent is 0."),
                *tutorial,
            )),
    )


def sweep_count(numbers):
    """The question on the sweeps for a function of a learner's number of inputs."""
    n = numbers["inputs"]
    return (
        Question(
            "sweeps", 1, "value", answer="sweeps", reference={"forward": n, "reverse": 1},
            instant="form",
            tutorial="06_reverse_mode.ipynb#One sweep for all inputs",
            prompt=f"sweeps each mode needs for the gradient of a function of {n} inputs, "
                   "1 output",
            hint="Give a dictionary {\"forward\": ..., \"reverse\": ...}. How many partial "
                 "derivatives does one sweep of each mode give here?",
            wrong=(
                Wrong({"forward": 1, "reverse": n},
                      "You swapped the modes: which one follows a single seed direction forward "
                      "from the inputs, and which one sends the output's adjoint back to all of "
                      "them?"),
                Wrong({"forward": n, "reverse": n},
                      "A reverse sweep starts from the output and reaches every input: how many "
                      "outputs does the loss have?"),
                Wrong({"forward": 1, "reverse": 1},
                      f"One forward sweep follows one seed: a single direction among the {n} "
                      "inputs."),
            )),
    )


def _draw_numbers(rng):
    """A learner's numbers: the inputs of the loss, not 1000 (the tutorials' and the
    source's); the inputs m of the seed's function and the input x_k it differentiates
    by, not m = k = 2 (the survey example's x2)."""
    inputs = rng.choice([n for n in range(20, 5000) if n != 1000])
    m, k = rng.choice([(m, k) for m in range(2, 8) for k in range(1, m + 1) if (m, k) != (2, 2)])
    return {"inputs": inputs, "m": m, "k": k}


QUESTIONS = (
    Question(
        "dual_mul", 2, "function", answer="dual_mul", reference=dual_mul,
        rule="not ad.Dual, ad.derivative",
        tutorial="05_forward_mode.ipynb#Dual numbers",
        prompt="the dual number (value, tangent) of a product",
        cases=(((2.0, 1.0), (5.0, 0.0)), ((3.0, 0.5), (-2.0, 1.5)), ((-1.5, 2.0), (4.0, -0.5))),
        random_case=lambda rng: (_pair(rng), _pair(rng)),
        hint="Return the pair (value, tangent) of a * b: the value is the product of the "
             "values, the tangent follows the product rule.",
        wrong=(
            Wrong(lambda a, b: (a[0] * b[0], a[1] * b[1]),
                  "The tangent of a product is not the product of the tangents: when both "
                  "factors move, the product changes because of each of them (product rule)."),
            Wrong(lambda a, b: (a[0] * b[0], a[1] + b[1]),
                  "Adding the tangents is the rule for a sum. In a product, each factor's "
                  "tangent is scaled by the other factor's value."),
            Wrong(lambda a, b: (a[0] * b[0], a[0] * b[1]),
                  "Your tangent has one of the two product-rule terms: what happens when the "
                  "first factor moves?"),
            Wrong(lambda a, b: (a[0] * b[0], a[1] * b[0]),
                  "Your tangent has one of the two product-rule terms: what happens when the "
                  "second factor moves?"),
        )),
    Question(
        "dual_cos", 2, "function", answer="dual_cos", reference=dual_cos,
        rule="not ad.Dual, ad.derivative",
        tutorial="05_forward_mode.ipynb#Dual numbers",
        prompt="the dual number of cos(a)",
        cases=(((0.5, 1.0),), ((2.0, -3.0),), ((-1.0, 0.5),)),
        random_case=lambda rng: (_pair(rng),),
        hint="Return (cos of the value, local derivative of cos at the value times the "
             "tangent).",
        wrong=(
            Wrong(lambda a: (math.cos(a[0]), math.sin(a[0]) * a[1]),
                  "Check the sign: the derivative of cos is minus sin."),
            Wrong(lambda a: (math.cos(a[0]), -math.sin(a[0])),
                  "You forgot the inner derivative: multiply the local derivative by the "
                  "input's tangent (the chain rule)."),
            Wrong(lambda a: (math.cos(a[0]), -math.sin(a[1])),
                  "Take sin of the value, not of the tangent; the tangent multiplies the "
                  "local derivative."),
            Wrong(lambda a: (math.cos(a[0]), math.cos(a[0]) * a[1]),
                  "The tangent needs the derivative of cos at the value, not cos itself."),
        )),
    Question(
        "dual_div", 2, "function", answer="dual_div", reference=dual_div,
        rule="not ad.Dual, ad.derivative",
        tutorial="05_forward_mode.ipynb#Dual numbers",
        prompt="the dual number of a / b",
        cases=(((1.0, 1.0), (2.0, 0.5)), ((3.0, -1.0), (-2.0, 1.5)), ((-4.0, 0.5), (0.5, 2.0))),
        random_case=lambda rng: (_pair(rng), _nonzero_pair(rng)),
        hint="Return the pair (value, tangent) of a / b: the value is the quotient of the "
             "values, the tangent follows the quotient rule.",
        wrong=(
            Wrong(lambda a, b: (a[0] / b[0], a[1] / b[1]),
                  "The tangent of a quotient is not the quotient of the tangents (recall the "
                  "quotient rule)."),
            Wrong(lambda a, b: (a[0] / b[0], (a[1] * b[0] + a[0] * b[1]) / b[0] ** 2),
                  "Check the sign of the term where the denominator moves: a larger "
                  "denominator makes the quotient smaller."),
            Wrong(lambda a, b: (a[0] / b[0], (a[1] * b[0] - a[0] * b[1]) / b[0]),
                  "Check the denominator in the quotient rule: it is not the plain value of b."),
            Wrong(lambda a, b: (a[0] / b[0], a[1] / b[0]),
                  "You treated the denominator as a constant: when it moves, the quotient "
                  "changes too."),
        )),
    Question("explain_forward_mode", 2, "text",
             tutorial="05_forward_mode.ipynb#The forward pass is not forward mode",
             prompt="the difference between the forward pass and forward mode"),
)

VARIANTS = Variants(  # each learner's own numbers; delete the variants= line to turn them off
    default={"inputs": 1000, "m": 2, "k": 2}, draw=_draw_numbers,
    questions=lambda p: (*QUESTIONS[:-1], *choose_seed(p), *sweep_count(p), QUESTIONS[-1]),
    text=lambda p: {"has 1000 inputs": f"has {p['inputs']} inputs",
                    "all 1000 partial": f"all {p['inputs']} partial",
                    "inputs = 1000": f"inputs = {p['inputs']}",
                    "m, k = 2, 2": f"m, k = {p['m']}, {p['k']}",
                    "`df/dx2` of a function of 2 inputs, like f above":
                        f"`df/dx{p['k']}` of a function of {p['m']} inputs"})

EXERCISE = Exercise("forward_mode", "Forward mode with dual numbers",
                    VARIANTS.questions(VARIANTS.default), variants=VARIANTS)
