"""Exercise: the chain rule as paths (count them, multiply along them, add them up).

The graphs are ``adlearn.Var`` graphs: a node's ``inputs`` are its edges in, with the
local ``partials`` on them; ``x * x`` has two edges from x, so two paths through it.
"""

import math

from adlearn import Var, cos, exp, log, sin, tanh, topological_order
from adlearn.core.engine import formula
from adlearn.grading.questions import Exercise, Question, Variants, Wrong


def count_paths(output, x):
    """The reference: the number of paths from x to output, by dynamic programming."""
    paths = {}
    for node in topological_order(output):
        paths[node] = 1 if node is x else sum(paths[child] for child in node.inputs)
    return paths[output]


def path_products(output, x):
    """The reference: the product of the local partials along each path from x to output."""
    products = {}
    for node in topological_order(output):
        products[node] = [1.0] if node is x else [
            partial * p for child, partial in zip(node.inputs, node.partials)
            for p in products[child]]
    return products[output]


def derivative_by_paths(output, x):
    """The reference: the sum of the path products (what backward() gets without listing paths)."""
    return math.fsum(path_products(output, x))


# The graphs the checks use.

def square_plus_sine():
    """g = x*x + sin(x) at 3: three paths from x, two of them through one multiplication."""
    x = Var(3.0, name="x")
    return x * x + sin(x), x


def survey_example(wrt):
    """f = ln(x1) + x1*x2 - sin(x2) at (2, 5), with the input to follow (0 for x1, 1 for x2)."""
    x1, x2 = Var(2.0, name="x1"), Var(5.0, name="x2")
    return log(x1) + x1 * x2 - sin(x2), (x1, x2)[wrt]


def squarings(n):
    """y = x, squared n times: 2**n paths from x, though only n multiplications."""
    x = y = Var(1.1, name="x")
    for _ in range(n):
        y = y * y
    return y, x


def shared_diamond():
    """A shared node reached along paths of different lengths, and a constant (3)."""
    x = Var(0.7, name="x")
    a = sin(x)
    b = 3 * a * x
    return (exp(b) + a) * b, x


_OPERATIONS = (
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
    lambda a, b: sin(a) * b, lambda a, b: cos(a) + b, lambda a, b: tanh(a * b),
    lambda a, b: 2 * a + b,
)


def random_graph(rng):
    """A random graph over two inputs, and the input to follow (often reused: x*x edges)."""
    x, other = Var(rng.uniform(-1.5, 1.5), name="x"), Var(rng.uniform(-1.5, 1.5), name="y")
    nodes = [x, other]
    for _ in range(rng.randint(3, 7)):
        a, b = rng.choice(nodes), rng.choice(nodes[-3:])
        nodes.append(rng.choice(_OPERATIONS)(a, b))
    output = nodes[-1]
    return (output if count_paths(output, x) else output * x), x


def _show(args):
    output, x = args
    return f"paths from {x.name} to {formula(output, limit=50)}"


CASES = (square_plus_sine(), survey_example(0), survey_example(1), squarings(3),
         shared_diamond())
HIDDEN = (squarings(5), (lambda x: (x * sin(x) * x + exp(x * x), x))(Var(0.9, name="x")))


def _distinct_inputs(node):
    """A node's inputs with repeats merged (as a learner who counts x*x once would)."""
    seen, result = set(), []
    for child, partial in zip(node.inputs, node.partials):
        if child not in seen:
            seen.add(child)
            result.append((child, partial))
    return result


def _count_merged(output, x):
    if output is x:
        return 1
    return sum(_count_merged(child, x) for child, _ in _distinct_inputs(output))


def _count_nodes(output, x):
    return len(topological_order(output))


def _count_leaves(output, x):
    if not output.inputs:
        return 1
    return sum(_count_leaves(child, x) for child in output.inputs)


def _products_added(output, x):
    if output is x:
        return [0.0]
    return [partial + p for child, partial in zip(output.inputs, output.partials)
            for p in _products_added(child, x)]


def _products_merged(output, x):
    if output is x:
        return [1.0]
    return [partial * p for child, partial in _distinct_inputs(output)
            for p in _products_merged(child, x)]


def _products_last_edge(output, x):
    """Only the local partial of the last edge of each path (the chain is dropped)."""
    return [partial for child, partial in zip(output.inputs, output.partials)
            for _ in range(count_paths(child, x))]


def products_a(numbers):
    """The question on the paths of h read off its drawing at a learner's (a, b)."""
    a, b = numbers["a"], numbers["b"]
    u = a * b
    return (
        Question(
            "products_a", 2, "value", answer="products_a", reference=[u * b, u * b, 1.0],
            instant="form",
            tutorial="07_chain_rule_paths.ipynb#The survey example: two paths per input",
            compare="sorted", tolerance=1e-3,
            prompt=f"the path products from a to h(a, b) = u*u + a, u = a*b, at "
                   f"({a:g}, {b:g})",
            hint="Follow each edge that leaves a up to the output, multiplying the local "
                 "partials of the edges on the way, and list one product per path.",
            wrong=(
                Wrong([u * b, 1.0], "u*u uses u twice: two edges, so two paths through it, each "
                                   "with its own product."),
                Wrong([u * b, u * b], "a also reaches the output directly, through the + : that "
                                    "is a path of one edge."),
                Wrong([u, u, 1.0], "Each product needs every edge of its path: include the "
                                       "edge from a into u."),
                Wrong([u + b, u + b, 1.0], "Along one path the local partials multiply; you added "
                                       "them."),
                Wrong([u + b + 1.0, u + b + 1.0, 1.0],
                      "Along one path the local partials multiply (the chain rule); you added "
                      "the three partials of each path through u."),
            )),
    )


def _draw_point(rng):
    """A learner's (a, b): whole numbers, a from 2 to 29, b from 2 to 9, never the
    tutorials' (3, 2)."""
    while True:
        a, b = rng.randrange(2, 30), rng.randrange(2, 10)
        if (a, b) != (3, 2):
            return {"a": float(a), "b": float(b)}


QUESTIONS = (
    Question(
        "count_paths", 2, "function", answer="count_paths", reference=count_paths,
        rule="not adlearn.views.paths, ad.chain_rule_paths",
        tutorial="07_chain_rule_paths.ipynb#The survey example: two paths per input",
        show=_show, prompt="the number of paths from x to the output",
        cases=CASES, hidden=HIDDEN, random_case=random_graph,
        hint="The paths from x to a node are the paths from x to each of its inputs (one "
             "per entry of inputs), each extended by one edge; from x to itself there is one.",
        wrong=(
            Wrong(_count_merged,
                  "x*x uses x twice: two edges, so two paths through it. Count one path per "
                  "entry of a node's inputs, even when an input repeats."),
            Wrong(_count_nodes,
                  "That counts the nodes of the graph. A path is a whole route of edges from "
                  "x to the output."),
            Wrong(_count_leaves,
                  "Count only the routes that start at x: an input or a constant that is not "
                  "x starts no path from x."),
        )),
    Question(
        "path_products", 2, "function", answer="path_products", reference=path_products,
        rule="not adlearn.views.paths, ad.chain_rule_paths",
        tutorial="07_chain_rule_paths.ipynb#Sensitivities travel along edges",
        compare="sorted", show=_show, prompt="the product of local partials along each path",
        cases=CASES, hidden=HIDDEN, random_case=random_graph, tolerance=1e-9,
        hint="Give one number per path from x to the output: the product of the local "
             "partials of the edges along it.",
        wrong=(
            Wrong(_products_added,
                  "Along one path the local partials multiply (the chain rule); you added them."),
            Wrong(_products_merged,
                  "x*x gives two paths, one per edge, each with its own product: keep both."),
            Wrong(_products_last_edge,
                  "Each product needs every edge of its path, not only the last one into the "
                  "output."),
        )),
    Question(
        "derivative_by_paths", 1, "function", answer="derivative_by_paths",
        rule="not ad.Var.backward, adlearn.views.paths, ad.chain_rule_paths",
        tutorial="07_chain_rule_paths.ipynb#What the sweeps add up",
        reference=derivative_by_paths, show=_show,
        prompt="the derivative as the sum of the path products",
        cases=CASES, hidden=HIDDEN, random_case=random_graph,
        hint="The derivative is the sum, over all paths from x to the output, of the "
             "product of the local partials along each path.",
        wrong=(
            Wrong(lambda output, x: math.prod(path_products(output, x)),
                  "The contributions of different paths add up; you multiplied them."),
            Wrong(lambda output, x: sum(_products_merged(output, x)),
                  "A repeated input (x*x) gives two paths; your sum counted one of them."),
            Wrong(lambda output, x: max(path_products(output, x), key=abs),
                  "Every path contributes, not only the largest: add them all."),
        )),
    Question("explain_paths", 2, "text",
             tutorial="07_chain_rule_paths.ipynb#When paths explode",
             prompt="why reverse mode needs one sweep although paths multiply"),
)

VARIANTS = Variants(  # each learner's own point; delete the variants= line to turn them off
    default={"a": 3.0, "b": 2.0}, draw=_draw_point,
    questions=lambda p: (*QUESTIONS[:-1], *products_a(p), QUESTIONS[-1]),
    text=lambda p: {"(a, b) = (3, 2)": f"(a, b) = ({p['a']:g}, {p['b']:g})",
                    "h at (3, 2)": f"h at ({p['a']:g}, {p['b']:g})",
                    "ad.grad(h)(3.0, 2.0)": f"ad.grad(h)({p['a']!r}, {p['b']!r})",
                    'ad.Var(3.0, name="a"), ad.Var(2.0, name="b")':
                    f'ad.Var({p["a"]!r}, name="a"), ad.Var({p["b"]!r}, name="b")'})

EXERCISE = Exercise("chain_rule_paths", "The chain rule as paths",
                    VARIANTS.questions(VARIANTS.default), variants=VARIANTS)
