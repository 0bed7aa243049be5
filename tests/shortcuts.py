"""The library shortcuts a learner could take on the built-in exercises (issue 22): for
each exercise, the code of a solution cell that answers a question by calling adlearn
instead of doing the work. Each one answers right (the tests prove it) and each one's
question rules it out, so a submission using it scores 0 on that question.

``submission(name)`` is the exercise's source notebook with these cells in place of
the solutions; the other questions keep their honest solution.
"""

import nbformat
import sympy as sp

from adlearn.grading import course, notebooks

SHORTCUTS = {
    "reverse_mode": {
        "topological_order": "import adlearn as whatever\n\n"
                             "def topological_order(output):\n"
                             "    return whatever.topological_order(output)",
        "backward": "def backward(output):\n    output.backward()",
    },
    "chain_rule_paths": {
        "count_paths": "from adlearn.views.paths import count_paths as counted\n\n"
                       "def count_paths(output, x):\n    return counted(output, x)",
        "path_products": "def path_products(output, x):\n"
                         "    return [p.product for p in ad.chain_rule_paths(output, x).paths]",
        "derivative_by_paths": "def derivative_by_paths(output, x):\n"
                               "    output.backward()\n    return x.grad",
    },
    "forward_mode": {
        "dual_mul": "from adlearn import Dual\n\ndef dual_mul(a, b):\n"
                    "    d = Dual(*a) * Dual(*b)\n    return d.value, d.tangent",
        "dual_cos": "def dual_cos(a):\n    d = ad.cos(ad.Dual(*a))\n    return d.value, d.tangent",
        "dual_div": "def dual_div(a, b):\n    d = ad.Dual(*a) / ad.Dual(*b)\n"
                    "    return d.value, d.tangent",
    },
    "derivatives_by_hand": {
        "chain": "import adlearn as ad\n\n"
                 "def dg_dx(x):\n    return ad.derivative(lambda t: ad.sin(t ** 2))(x)",
        "product": "from adlearn import derivative, sin\n\n"
                   "def dh_dx(x):\n    return derivative(lambda t: t ** 2 * sin(t))(x)",
    },
    "jacobians": {
        "tanh_jacobian": "def tanh_jacobian(x):\n    return ad.jacobian(ad.tanh)(x)",
        "matmul_vjp": "def matmul_vjp(H, W, delta):\n"
                      "    _, pullback = ad.vjp(lambda H, W: H @ W, H, W)\n"
                      "    H_bar, W_bar = pullback(delta)\n    return W_bar, H_bar",
        "cross_entropy_grad": "def cross_entropy_grad(Z, labels):\n"
                              "    Z = ad.Tensor(Z)\n"
                              "    loss = ad.cross_entropy(Z, labels)\n"
                              "    loss.backward()\n    return Z.grad",
    },
    "symbolic_differentiation": {  # the learner's f, rebuilt on adlearn's Var
        "grad_f": "on_vars = [{'log': ad.log, 'sin': ad.sin}]\n"
                  "as_ad = sp.lambdify((x1, x2), f, modules=on_vars)\n"
                  "g = ad.symbolic_grad(as_ad(ad.Var(2.0, name='x1'), ad.Var(5.0, name='x2')))\n"
                  "grad_f = [e.subs({s: sp.Symbol(s.name) for s in e.free_symbols})\n"
                  "          for e in (g['x1'], g['x2'])]",
    },
    "higher_order": {
        "hvp": "import numpy as np\n\ndef hessian_vector_product(f, x, v):\n"
               "    H = ad.hessian(lambda z: f(*z))(np.array(x, dtype=float))\n"
               "    return list(np.asarray(H) @ np.array(v, dtype=float))",
    },
    "evaluation_trace": {
        "tangent": "import adlearn as ad\n\n"
                   "def f(x1, x2):\n"
                   "    v1, v2 = x1 * x2, x1 / x2\n"
                   "    return v1 * ad.cos(v1) + v2\n\n"
                   "tangent = {r.name: r.tangent for r in ad.trace(f, x1=x1, x2=x2).rows\n"
                   "           if r.name in ('v1', 'v2', 'v3', 'v4', 'v5')}",
    },
    "deep_gradients": {
        "layer_jacobian": "def layer_jacobian(W, h):\n"
                          "    x = np.linalg.solve(W.T, np.arctanh(h))\n"
                          "    return ad.jacobian(lambda x: ad.tanh(x @ W))(x)",
    },
    "implicit": {  # differentiating through the unrolled solver, or through ad.solve
        "implicit_derivative": "def implicit_derivative(F, F_z, F_theta, theta):\n"
                               "    def z_star(t):\n"
                               "        z = 0.0\n"
                               "        for _ in range(300):\n"
                               "            z = F(z, t)\n"
                               "        return z\n"
                               "    return ad.derivative(z_star)(theta)",
        "implicit_jacobian": "def implicit_jacobian(F_z, F_theta):\n"
                             "    n, p = F_theta.shape\n"
                             "    return ad.jacobian(lambda t: ad.solve(np.eye(n) - F_z, "
                             "F_theta @ t))(np.zeros(p))",
        "implicit_vjp": "def implicit_vjp(F_z, F_theta, z_bar):\n"
                        "    n, p = F_theta.shape\n"
                        "    _, pullback = ad.vjp(lambda t: ad.solve(np.eye(n) - F_z, "
                        "F_theta @ t), np.zeros(p))\n"
                        "    return pullback(z_bar)",
        "equilibrium_gradient": "def equilibrium_gradient(W, b):\n"
                                "    b_leaf, z = ad.Tensor(b), np.zeros(len(b))\n"
                                "    for _ in range(200):\n"
                                "        z = ad.sigmoid(W @ z + b_leaf)\n"
                                "    loss = 0.5 * (z ** 2).sum() + 0.5 * (b_leaf ** 2).sum()\n"
                                "    loss.backward()\n"
                                "    return b_leaf.grad",
    },
    "backprop_by_hand": {
        "softmax_jacobian": "def softmax_jacobian(s):\n    return ad.jacobian(ad.softmax)(s)",
        "logsumexp": "def logsumexp(S):\n"
                     "    return S[:, 0] - ad.log_softmax(ad.Tensor(S)).value[:, 0]",
        "embedding_grad": "def embedding_grad(X, E_bar, V):\n"
                          "    C = ad.Tensor(np.zeros((V, E_bar.shape[1] // X.shape[1])))\n"
                          "    (C[X].reshape(E_bar.shape) * E_bar).sum().backward()\n"
                          "    return C.grad",
        "batchnorm_backward":
            "def batchnorm_backward(Z, gamma, A_bar):\n"
            "    def normalised(Z, gamma, beta):\n"
            "        mu = Z.mean(axis=0)\n"
            "        return gamma * ((Z - mu) / ad.sqrt(((Z - mu) ** 2).mean(axis=0) + 1e-5)) + beta\n"
            "    _, pullback = ad.vjp(normalised, Z, gamma, np.zeros_like(gamma))\n"
            "    return pullback(A_bar)",
        "network_gradients":
            "def network_gradients(X, labels, W1, gamma, beta, W2, b2):\n"
            "    def loss(W1, gamma, beta, W2, b2):\n"
            "        Z = X @ W1\n"
            "        mu = Z.mean(axis=0)\n"
            "        A = gamma * ((Z - mu) / ad.sqrt(((Z - mu) ** 2).mean(axis=0) + 1e-5)) + beta\n"
            "        return ad.cross_entropy(ad.tanh(A) @ W2 + b2, labels)\n"
            "    return ad.grad(loss, argnums=(0, 1, 2, 3, 4))(W1, gamma, beta, W2, b2)",
    },
    "training_a_neuron": {
        "cross_entropy_gradient":
            "def cross_entropy_gradient(w1, w2, b, data):\n"
            "    def mean_loss(w1, w2, b):\n"
            "        total = 0\n"
            "        for x1, x2, y in data:\n"
            "            p = ad.sigmoid(w1 * x1 + w2 * x2 + b)\n"
            "            total = total - (y * ad.log(p) + (1 - y) * ad.log(1 - p))\n"
            "        return total / len(data)\n"
            "    return tuple(ad.grad(mean_loss)(w1, w2, b))",
    },
}


def answer_cell(nb, exercise, qid):
    """The index of the solution cell that answers question qid (it binds its answer)."""
    from adlearn.grading import rules
    answer = exercise.question(qid).answer
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                and notebooks.nbgrader(c).get("solution")
                and rules.defines(rules.parse_cell(c.source), answer))


def submission(name, root="exercises", shortcuts=None):
    """The source notebook of exercise name with the shortcut cells in place."""
    nb = nbformat.read(str(course.source_path(root, name)), as_version=4)
    exercise = course.exercise(name, root)
    for qid, code in (shortcuts if shortcuts is not None else SHORTCUTS[name]).items():
        nb.cells[answer_cell(nb, exercise, qid)].source = code
    return nb


# Function questions whose answer a tutorial prints: the tutorial's code, verbatim. Their
# variants ask for something else (a damped product), so the copy scores nothing.
TUTORIAL_CODE = {
    "reverse_mode": {"backward": "def backward(output):  # notebook 06's loop\n"
                                 "    output.grad = 1.0\n"
                                 "    for node in reversed(ad.topological_order(output)):\n"
                                 "        for child, partial in zip(node.inputs, node.partials):\n"
                                 "            child.grad += node.grad * partial"},
    "jacobians": {"cross_entropy_grad": "def cross_entropy_grad(Z, labels):\n"
                                        "    P = ad.softmax(Z).value  # notebook 11\n"
                                        "    Y = np.eye(Z.shape[1])[labels]\n"
                                        "    return (P - Y) / len(labels)"},
    "higher_order": {"hvp": 'def hessian_vector_product(f, x, v):\n    """H(x) v by forward over forward: the derivative along v of each partial of f."""\n    n = len(x)\n\n    def partial(i):  # x -> ∂f/∂x_i at x, by one forward sweep along axis i\n        return lambda *x: ad.jvp(f, x, [float(j == i) for j in range(n)])[1]\n\n    return [ad.jvp(partial(i), x, v)[1] for i in range(n)]'},
}


def literal(value):
    """Python text a notebook runs to get value back: its repr, or for SymPy expressions
    (whose repr names functions such as cos that a notebook holds as sp.cos) their text,
    parsed by SymPy."""
    if isinstance(value, list) and value and all(isinstance(v, sp.Basic) for v in value):
        return "[" + ", ".join(f"sp.parse_expr({str(v)!r})" for v in value) + "]"
    return repr(value)


def answer_of(q):
    """What a question's right answer is, as text: a value's repr, a function's outputs
    on the public cases."""
    if q.kind == "value":
        return repr(q.reference)
    return repr(q.expected(q.public_cases()))


def variant_questions(exercise, k, kinds=("value", "function")):
    """The questions (of those kinds) whose answer differs between variant 0 (the
    tutorials' numbers) and variant k: the ones a copied number or code would answer."""
    mine = exercise.variant(k)
    return [q.id for q in exercise.questions if q.kind in kinds
            and answer_of(q) != answer_of(mine.question(q.id))]


def copied(name, k, variant=0, root="exercises"):
    """The source notebook of exercise name with each answer of a variant question
    (variant_questions(.., k)) bound to variant's numbers as typed-in literals: variant 0
    is a copy from the tutorials (with the tutorials' code for TUTORIAL_CODE's function
    questions), another a copy from the learner who has it."""
    exercise = course.exercise(name, root)
    values = exercise.variant(variant)
    cells = {qid: f"{values.question(qid).answer} = {literal(values.question(qid).reference)}"
             for qid in variant_questions(exercise, k, ("value",))}
    return submission(name, root, {**cells, **(TUTORIAL_CODE.get(name, {}) if variant == 0
                                               else {})})
