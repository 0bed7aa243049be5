"""Exercise: reverse mode (backward rules, topological order, the reverse sweep, and the
nodes a sweep keeps in memory with and without checkpointing).

The notebook gives the learner a tiny ``Node`` class (value, inputs, partials, grad,
name). The checks build their graphs from ``adlearn.Var``, which has the same attributes,
so a learner's code written for ``Node`` runs on them unchanged.
"""

from adlearn import Var, cos, exp, log, sin, tanh
from adlearn import topological_order as library_order
from adlearn.core.engine import formula
from adlearn.grading.questions import Exercise, Question, Variants, Wrong


def mul_backward(a, b, out_adjoint):
    """The reference: the adjoints a and b receive from the output of a * b."""
    return out_adjoint * b, out_adjoint * a


def div_backward(a, b, out_adjoint):
    """The reference: the adjoints a and b receive from the output of a / b."""
    return out_adjoint / b, -out_adjoint * a / b ** 2


def topological_order(output):
    """The reference: every node output depends on, each after its inputs, output last."""
    return library_order(output)


def sweep(seed=1.0, add=True, reverse=True, chain=True):
    """The reverse sweep seeded with the output's adjoint seed (None: not seeded), or a
    known mistake's: adjoints assigned rather than added, the nodes in forward order, the
    local partials not multiplied by the node's adjoint."""
    def backward(output):
        if seed is not None:
            output.grad = seed
        order = library_order(output)
        for node in reversed(order) if reverse else order:
            for child, partial in zip(node.inputs, node.partials):
                term = node.grad * partial if chain else partial
                child.grad = child.grad + term if add else term
    return backward


backward = sweep()  # the reference of variant 0, notebook 06's loop


# The graphs the checks use: fixed ones that show each classic mistake, and random ones.

def survey_example():
    """f = ln(x1) + x1*x2 - sin(x2) at (2, 5): each input is used twice."""
    x1, x2 = Var(2.0, name="x1"), Var(5.0, name="x2")
    return log(x1) + x1 * x2 - sin(x2)


def square_plus_sine():
    """x*x + sin(x) at 3: one node used three times, two of them by one multiplication."""
    x = Var(3.0, name="x")
    return x * x + sin(x)


def shared_chain():
    """A diamond whose shared node is reached by paths of different lengths."""
    x = Var(0.7, name="x")
    a = sin(x)
    b = a * x
    c = exp(b) + a
    return c * b


_OPERATIONS = (
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
    lambda a, b: sin(a) * b, lambda a, b: cos(a) + b, lambda a, b: tanh(a * b),
)


def random_graph(rng):
    """A random graph over 2 or 3 inputs; picking the same node twice makes x*x-like edges."""
    nodes = [Var(rng.uniform(-2, 2), name=f"x{i}") for i in range(1, rng.randint(3, 4))]
    for _ in range(rng.randint(4, 8)):
        a, b = rng.choice(nodes), rng.choice(nodes[-3:])
        nodes.append(rng.choice(_OPERATIONS)(a, b))
    return nodes[-1]


def _show_graph(args):
    return f"the graph of {formula(args[0], limit=50)}"


def _wrong_topo_reversed(output):
    return topological_order(output)[::-1]


def _wrong_topo_no_memory(output):
    """Depth first without remembering visited nodes: a shared node is listed twice."""
    order, stack = [], [(output, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in node.inputs)
    return order


def _wrong_topo_breadth_first(output):
    """Breadth first from the output, reversed: wrong as soon as paths differ in length."""
    order, queue, seen = [], [output], {output}
    while queue:
        node = queue.pop(0)
        order.append(node)
        for child in node.inputs:
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return order[::-1]


def _wrong_topo_without_output(output):
    return topological_order(output)[:-1]


def long_and_short():
    """A node reached from x directly and through a chain of three operations."""
    x, y = Var(1.3, name="x"), Var(-0.4, name="y")
    a = x * y
    b = tanh(sin(a) * x)
    return cos(b + a) * x


def stored_nodes(n, k):
    """The reference: the nodes held by the reverse sweep of n steps of the exercise's
    logistic-growth loop (6 nodes a step: two constants, mul, sub, mul, add; and the
    input), plain and in n // k checkpointed pieces (one node a piece, the input, and one
    recomputed piece of k steps)."""
    return 6 * n + 1, n // k + 1 + 6 * k + 1


def _random_run(rng):
    k = rng.randint(1, 2000)
    return k * rng.randint(1, 2000), k


GRAPHS = ((survey_example(),), (square_plus_sine(),), (shared_chain(),))
HIDDEN = ((long_and_short(),),)

def sweep_question(numbers):
    """The question on the reverse sweep, seeded with a learner's own output adjoint."""
    seed = numbers["seed"]
    return (
        Question(
            "backward", 3, "function", answer="backward", reference=sweep(seed),
            rule="not ad.Var.backward",
            tutorial="06_reverse_mode.ipynb#Phase 2: the reverse sweep",
            probe="adjoints", show=_show_graph,
            prompt=f"the reverse sweep: seed the output with {seed:g}, walk back, add adjoints "
                   "into inputs",
            cases=GRAPHS, hidden=HIDDEN, random_case=lambda rng: (random_graph(rng),),
            hint=f"Set the output's grad to {seed:g}, then visit the nodes in reverse topological order "
                 "and add each node's grad times the local partial into the grad of each input.",
            wrong=(
                Wrong(sweep(seed, add=False),
                      "A node used more than once lost part of its adjoint: the contributions of "
                      "its uses must be added up (+=), not overwritten (=)."),
                Wrong(sweep(seed, reverse=False),
                      "Visit the nodes from the output back to the inputs (the reverse of the "
                      "topological order): a node's adjoint must be complete before you pass it on."),
                Wrong(sweep(None),
                      "Every adjoint stayed 0: the sweep starts by setting the output's adjoint to "
                      "the seed (1 when the output is the whole computation)."),
                Wrong(sweep(seed, chain=False),
                      "Multiply each local partial by the adjoint of the node it belongs to (the "
                      "chain rule), before adding it into the input."),
                *((Wrong(sweep(1.0),  # notebook 06's loop as it stands
                         "Your sweep starts from 1: this output's adjoint starts from your seed "
                         "(in the cell above the question), as when the output feeds a larger "
                         "computation."),) if seed != 1.0 else ()),
            )),
    )


QUESTIONS = (
    Question(
        "mul_backward", 2, "function", answer="mul_backward", reference=mul_backward,
        tutorial="06_reverse_mode.ipynb#Phase 2: the reverse sweep",
        prompt="the backward rule of a product",
        cases=((2.0, 5.0, 1.0), (3.0, -4.0, 0.5), (-1.5, 2.5, -2.0)),
        random_case=lambda rng: (rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-2, 2)),
        hint="Each input receives the output's adjoint times the local partial derivative "
             "of a * b with respect to that input.",
        wrong=(
            Wrong(lambda a, b, g: (g * a, g * b),
                  "Check which value goes with which input: how fast does a * b change "
                  "when a moves and b stays put?"),
            Wrong(lambda a, b, g: (b, a),
                  "Those are the local partials alone: multiply them by the output's adjoint "
                  "(the chain rule brings in how the output affects the final result)."),
            Wrong(lambda a, b, g: (g, g),
                  "Passing the adjoint through unchanged is the backward rule of a sum; a "
                  "product scales it by the local partials."),
        )),
    Question(
        "div_backward", 2, "function", answer="div_backward", reference=div_backward,
        tutorial="06_reverse_mode.ipynb#Phase 2: the reverse sweep",
        prompt="the backward rule of a quotient",
        cases=((1.0, 2.0, 1.0), (3.0, -4.0, 0.5), (-1.5, 0.5, -2.0)),
        random_case=lambda rng: (rng.uniform(-3, 3), rng.choice([-1, 1]) * rng.uniform(0.5, 3),
                                 rng.uniform(-2, 2)),
        hint="Each input receives the output's adjoint times the local partial derivative "
             "of a / b with respect to that input.",
        wrong=(
            Wrong(lambda a, b, g: (g / b, g * a / b ** 2),
                  "Check the sign of the denominator's adjoint: a larger denominator makes "
                  "a / b smaller."),
            Wrong(lambda a, b, g: (1 / b, -a / b ** 2),
                  "Those are the local partials alone: multiply them by the output's adjoint."),
            Wrong(lambda a, b, g: (g / b, -g / b ** 2),
                  "The denominator's local partial of a / b depends on the numerator too."),
        )),
    Question(
        "topological_order", 3, "function", answer="topological_order",
        rule="not ad.topological_order",
        tutorial="06_reverse_mode.ipynb#The reverse sweep, step by step",
        reference=topological_order,
        compare="order", show=_show_graph,
        prompt="every node of the graph, each after its inputs, output last",
        cases=GRAPHS, hidden=HIDDEN, random_case=lambda rng: (random_graph(rng),),
        hint="Return a list with every node the output depends on (inputs and output "
             "included), each exactly once, each after all of its inputs.",
        wrong=(
            Wrong(_wrong_topo_reversed,
                  "Your list starts with the output. In a topological order every node comes "
                  "after its inputs, so the output comes last."),
            Wrong(_wrong_topo_no_memory,
                  "A node that is used more than once appears several times in your list: "
                  "remember which nodes you have already listed."),
            Wrong(_wrong_topo_breadth_first,
                  "Some node comes before one of its inputs. Listing nodes level by level is "
                  "not enough when paths of different lengths meet: list a node only after "
                  "all of its inputs."),
            Wrong(_wrong_topo_without_output,
                  "Your list is missing a node or has one too many: it must hold every node "
                  "the output depends on, the inputs and the output itself included."),
        )),
    Question("explain_reverse_sweep", 2, "text",
             tutorial="06_reverse_mode.ipynb#The reverse sweep, step by step",
             prompt="why adjoints are added, and why the nodes go in reverse topological order"),
    Question(
        "stored_nodes", 2, "function", answer="stored_nodes", reference=stored_nodes,
        rule="not ad.checkpoint, ad.topological_order",
        tutorial="06_reverse_mode.ipynb#Checkpointing: recompute instead of storing",
        prompt="the nodes a reverse sweep holds, plain and checkpointed, for n steps",
        cases=((12, 3), (100, 10), (10 ** 6, 1000)), hidden=((400, 20), (10 ** 6, 10)),
        random_case=_random_run,
        hint="Count the nodes one step records (every operation, and every constant it "
             "mixes in), then the whole tape; for the checkpointed run, its own graph "
             "(a node a piece, and the input) plus the one piece the sweep recomputes.",
        wrong=(
            Wrong(lambda n, k: (4 * n + 1, n // k + 1 + 4 * k + 1),
                  "Count the constants too: h * x and 1 - x each put a new constant node on "
                  "the tape, at every step."),
            Wrong(lambda n, k: (6 * n, n // k + 6 * k),
                  "The input x is a node of the tape too, and of each recomputed piece."),
            Wrong(lambda n, k: (6 * n + 1, n // k + 1 + n // k * (6 * k + 1)),
                  "The sweep recomputes one piece at a time and drops it before the next: "
                  "only one piece's nodes are held at once."),
            Wrong(lambda n, k: (6 * n + 1, n // k + 1),
                  "While the sweep is inside a checkpoint, that piece's recomputed graph is "
                  "held as well: add the nodes of one piece of k steps."),
        )),
)

VARIANTS = Variants(  # each learner's own seed; delete the variants= line to turn them off
    default={"seed": 1.0}, draw=lambda rng: {"seed": rng.choice(SEEDS)},
    questions=lambda p: (*QUESTIONS[:3], *sweep_question(p), *QUESTIONS[3:]),
    text=lambda p: {"seed = 1.0": f"seed = {p['seed']!r}", "ȳ = 1": f"ȳ = {p['seed']:g}"})
SEEDS = [k / 20 for k in range(-200, 201) if k not in (0, 20)]  # -10 to 10 by 0.05, not 0, 1

EXERCISE = Exercise("reverse_mode", "Reverse mode, by hand",
                    VARIANTS.questions(VARIANTS.default), variants=VARIANTS)
