"""Exercise: the evaluation trace (primal, tangent and adjoint columns) of a function the
tutorials do not show, y = v1·cos(v1) + x1/x2 with v1 = x1·x2, at (1.5, 0.5).

The references are computed here from the trace's rows and each operation's local
partials, by the two rules the exercise states (tangents forward, adjoints backward); the
test suite checks them against ``ad.trace``. The known mistakes are the same sweeps with
one thing wrong (the other seed, a missing product-rule term, a sign, an overwritten
adjoint), so each is a whole column a learner could really write.
"""

import math

from adlearn.grading.questions import Exercise, Question, Variants, Wrong

POINT = {"v-1": 1.5, "v0": 0.5}  # x1 = v-1, x2 = v0

# The trace: each row's name, operation and inputs, in the order ad.trace numbers them.
ROWS = (("v1", "mul", ("v-1", "v0")), ("v2", "div", ("v-1", "v0")), ("v3", "cos", ("v1",)),
        ("v4", "mul", ("v1", "v3")), ("v5", "add", ("v4", "v2")))
VALUE = {"mul": lambda a, b: a * b, "div": lambda a, b: a / b, "cos": math.cos,
         "add": lambda a, b: a + b}
LOCAL = {"mul": lambda a, b: (b, a), "div": lambda a, b: (1 / b, -a / b ** 2),
         "cos": lambda a: (-math.sin(a),), "add": lambda a, b: (1.0, 1.0)}


def primal(point=POINT, cos=math.cos):
    """The primal column: every row's value, the inputs' included."""
    v = dict(point)
    for name, op, inputs in ROWS:
        v[name] = (cos if op == "cos" else VALUE[op])(*(v[i] for i in inputs))
    return v


def local(v, op, inputs, sign_of_sin=-1.0):
    """The local partials of a row at the primal values v."""
    if op == "cos":
        return (sign_of_sin * math.sin(v[inputs[0]]),)
    return LOCAL[op](*(v[i] for i in inputs))


def tangents(seed=("v-1",), point=POINT, product_rule=True, sign_of_sin=-1.0):
    """The tangent column v̇ = ∂v/∂x1 (seed on v-1) of the intermediate rows v1..v5."""
    v = primal(point)
    dot = {i: float(i in seed) for i in point}
    for name, op, inputs in ROWS:
        partials = local(v, op, inputs, sign_of_sin)
        terms = [dot[i] * p for i, p in zip(inputs, partials)]
        if op == "mul" and not product_rule and name == "v4":
            terms = terms[:1]  # only v̇1·v3: v3 treated as a constant
        dot[name] = sum(terms)
    return {name: dot[name] for name, _, _ in ROWS}


def adjoints(point=POINT, add_up=True, chain=True):
    """The adjoint column v̄ = ∂y/∂v of every row, by one sweep from v̄5 = 1 back."""
    v = primal(point)
    bar = {name: 0.0 for name in (*point, *(r[0] for r in ROWS))}
    bar["v5"] = 1.0
    for name, op, inputs in reversed(ROWS):
        for i, p in zip(inputs, local(v, op, inputs)):
            term = bar[name] * p if chain else p
            bar[i] = bar[i] + term if add_up else term
    return bar


def _degrees_cos(x):
    return math.cos(math.radians(x))


def _draw_point(rng):
    """A learner's point: x1 and x2 with one decimal, never the source's (1.5, 0.5), and
    never x1 = x2 (there the inputs swapped would give the same trace)."""
    while True:
        point = {"x1": rng.randrange(6, 25) / 10, "x2": rng.randrange(3, 16) / 10}
        if point != {"x1": 1.5, "x2": 0.5} and point["x1"] != point["x2"]:
            return point


def questions(numbers):
    """The exercise's questions at a learner's point (x1, x2)."""
    point = {"v-1": numbers["x1"], "v0": numbers["x2"]}
    swapped = {"v-1": point["v0"], "v0": point["v-1"]}
    return (Question(
        "primal", 1, "value", answer="primal", reference=_rows(primal(point)),
        tolerance=1e-4,
        rule="not ad.trace",
        tutorial="04_graph_and_trace.ipynb#The evaluation trace (Wengert list)",
        prompt=f"the primal column v1..v5 of y = v1·cos(v1) + x1/x2 at ({numbers['x1']:g}, "
               f"{numbers['x2']:g})",
        hint="Go down the rows in order: each row applies its operation to the values of "
             "the rows it names. Give a dict with the keys \"v1\" to \"v5\" (strings), "
             "each row's value.",
        wrong=(
            Wrong(_rows(primal(point, cos=_degrees_cos)),
                  "The cosine takes radians: use math.cos on the number itself, without "
                  "converting it to degrees."),
            Wrong(_rows(primal(swapped)),
                  f"Check which input is which: v-1 is x1 = {numbers['x1']:g} and v0 is "
                  f"x2 = {numbers['x2']:g}."),
        )),
    Question(
        "tangent", 2, "value", answer="tangent", reference=tangents(point=point), tolerance=1e-4,
        rule="not ad.trace",
        tutorial="04_graph_and_trace.ipynb#Three traces: the forward pass, forward mode, "
                 "reverse mode",
        prompt="the tangent column v̇1..v̇5, seeded on x1, of the same trace",
        hint="Seed v̇-1 = 1 and v̇0 = 0, then go down the rows: each tangent is the sum, over "
             "the row's inputs, of the input's tangent times the row's local partial. Give "
             "a dict with the keys \"v1\" to \"v5\".",
        wrong=(
            Wrong(tangents(seed=("v0",), point=point),
                  "Your column is seeded on x2 (v̇-1 = 0, v̇0 = 1): for ∂y/∂x1 the seed is "
                  "v̇-1 = 1, v̇0 = 0."),
            Wrong(tangents(point=point, product_rule=False),
                  "v4 = v1 × v3 multiplies two rows that both move with x1: its tangent has "
                  "a term for each (the product rule)."),
            Wrong(tangents(point=point, sign_of_sin=1.0),
                  "Check the sign of cos's local partial: the derivative of cos is -sin."),
        )),
    Question(
        "adjoint", 3, "value", answer="adjoint", reference=adjoints(point), tolerance=1e-4,
        rule="not ad.trace, ad.Var.backward",
        tutorial="06_reverse_mode.ipynb#The reverse sweep, step by step",
        prompt="the adjoint column v̄-1..v̄5 of the same trace, by one reverse sweep",
        hint="Start from v̄5 = 1 and go up the rows: each row passes its adjoint times its "
             "local partial to each of its inputs, and every input adds up what it receives. "
             "Give a dict with the seven keys \"v-1\" to \"v5\".",
        wrong=(
            Wrong(adjoints(point, add_up=False),
                  "v1, x1 and x2 are each used by two rows: their adjoints are the sum of "
                  "both contributions, so add (+=) rather than overwrite."),
            Wrong(adjoints(point, chain=False),
                  "Multiply each local partial by the adjoint of the row that passes it back "
                  "(the chain rule), before adding it into the input's adjoint."),
            Wrong({**tangents(point=point), "v-1": 1.0, "v0": 0.0},
                  "That is the tangent column, ∂v/∂x1 for each row. The adjoint of a row is "
                  "the other way round: ∂y/∂v, how the output moves when that row moves."),
        )),
    Question("explain_columns", 2, "text",
             tutorial="04_graph_and_trace.ipynb#Three traces: the forward pass, forward "
                      "mode, reverse mode",
             prompt="which entry of the adjoint column is ∂y/∂x2, why the tangent column "
                    "seeded on x1 does not give it, and the sweeps of each kind for 1000 "
                    "inputs"),
)


def _rows(values):
    """The intermediate rows' entries of a column (the inputs' left out)."""
    return {k: x for k, x in values.items() if k not in ("v-1", "v0")}


VARIANTS = Variants(  # each learner's own point; delete the variants= line to turn them off
    default={"x1": 1.5, "x2": 0.5}, draw=_draw_point, questions=questions,
    text=lambda p: {"(x_1, x_2) = (1.5,\\ 0.5)": f"(x_1, x_2) = ({p['x1']:g},\\ {p['x2']:g})",
                    "x1, x2 = 1.5, 0.5": f"x1, x2 = {p['x1']:g}, {p['x2']:g}",
                    "x1=1.5, x2=0.5": f"x1={p['x1']:g}, x2={p['x2']:g}"})

EXERCISE = Exercise("evaluation_trace", "The evaluation trace, column by column",
                    questions(VARIANTS.default), variants=VARIANTS)
