"""The question tables of the exercises listed in EXERCISES: correct answers written
differently from the references still pass, on many random draws; hints never give the
expected answer away; a check writes nothing to stderr.

(The shared proofs, solution full marks, blank zero, each known wrong answer with its own
hint, live in tests/test_grading_exercises.py.)
"""

import contextlib
import io
import math

import pytest
import sympy as sp

import adlearn as ad
from adlearn.errors import WrongAnswer
from adlearn.grading import check
from adlearn.grading.course import exercise
from adlearn.grading.judge import within

EXERCISES = ("symbolic_differentiation", "forward_mode", "reverse_mode", "chain_rule_paths",
             "training_a_neuron", "jacobians", "evaluation_trace", "derivatives_by_hand",
             "higher_order", "deep_gradients", "backprop_by_hand", "implicit")
DRAWS = 20  # each judge() draws fresh random cases; a correct answer must pass every time


def passes_every_time(qid, answer):
    name, _, question = qid.partition(".")
    q = exercise(name).question(question)
    for _ in range(DRAWS):
        verdict = q.judge(answer)
        assert verdict.passed, (qid, [t for t in verdict.tests if not t.passed], verdict.hint)


# --- correct answers in other words pass ----------------------------------------------


def test_symbolic_answers_in_other_forms_pass():
    a, b = sp.symbols("x1 x2", positive=True)  # other assumptions, same names
    passes_every_time("symbolic_differentiation.grad_f",
                      [sp.together(1 / a + b), sp.expand(a - sp.cos(b))])
    x = sp.Symbol("x", real=True)

    def logistic_expanded(n):
        l = x
        for _ in range(n - 1):
            l = sp.expand(4 * l - 4 * l ** 2)
        return l

    passes_every_time("symbolic_differentiation.logistic_derivative",
                      lambda n: sp.expand(sp.diff(logistic_expanded(n), x)))

    def logistic_loop(v, n):
        for _ in range(n - 1):
            v = 4 * v * (1 - v)
        return v

    passes_every_time("symbolic_differentiation.carried_derivative",
                      lambda n, x0: ad.derivative(lambda v: logistic_loop(v, n))(x0))


def test_forward_mode_answers_as_lists_pass():
    passes_every_time("forward_mode.dual_mul",
                      lambda a, b: [a[0] * b[0], a[0] * b[1] + b[0] * a[1]])
    passes_every_time("forward_mode.dual_div",
                      lambda a, b: (a[0] / b[0], a[1] / b[0] - a[0] * b[1] / b[0] / b[0]))


def test_reverse_mode_answers_written_differently_pass():
    def iterative_order(output):
        order, done, stack = [], set(), [output]
        while stack:
            node = stack[-1]
            pending = [c for c in node.inputs if c not in done]
            if pending:
                stack.extend(pending)
            else:
                stack.pop()
                if node not in done:
                    done.add(node)
                    order.append(node)
        return order

    def backward_with_own_order(output):
        output.grad = 1.0
        for node in reversed(iterative_order(output)):
            for i, child in enumerate(node.inputs):
                child.grad = child.grad + node.partials[i] * node.grad

    passes_every_time("reverse_mode.topological_order", iterative_order)
    passes_every_time("reverse_mode.backward", backward_with_own_order)


def test_the_stored_node_counts_are_the_graphs_own(rule_table):
    """The memory question's reference against the graphs themselves, on small runs."""
    def step(x, h):
        return x + h * x * (1 - x)

    def steps(x, count, h):
        for _ in range(count):
            x = step(x, h)
        return x

    stored_nodes = exercise("reverse_mode").question("stored_nodes").reference
    for n, k in [(1, 1), (12, 3), (30, 5), (64, 8), (50, 50)]:
        x = ad.Var(0.1)
        piece = ad.checkpoint(lambda x: steps(x, k, 1 / n))
        y = x
        for _ in range(n // k):
            y = piece(y)
        counted = (len(ad.topological_order(steps(x, n, 1 / n))),
                   len(ad.topological_order(y)) + len(ad.topological_order(steps(x, k, 1 / n))))
        assert stored_nodes(n, k) == counted


def test_chain_rule_path_answers_written_differently_pass():
    def paths(output, x):  # every path as its list of edge partials, reversed
        if output is x:
            return [[]]
        return [[p, *rest] for child, p in zip(output.inputs, output.partials)
                for rest in paths(child, x)]

    passes_every_time("chain_rule_paths.count_paths", lambda out, x: len(paths(out, x)))
    passes_every_time("chain_rule_paths.path_products",
                      lambda out, x: [math.prod(p) for p in reversed(paths(out, x))])
    passes_every_time("chain_rule_paths.derivative_by_paths",
                      lambda out, x: sum(math.prod(p) for p in paths(out, x)))
    q = exercise("chain_rule_paths").question("products_a")
    assert q.judge((1, 12.0, 12)).passed  # any order, a tuple, ints


def test_adding_every_partial_along_a_path_of_h_is_a_known_mistake():
    """h(a, b) = u*u + a with u = a*b, at (3, 2): the paths from a through u carry the
    partials b = 2, u = 6 and the + edge's 1. A learner who adds them instead of
    multiplying writes [9, 9, 1]; check names that mistake (it used to pass the check as
    "the right form, none of the known mistakes") apart from adding without the 1."""
    with pytest.raises(WrongAnswer, match="you added the three partials of each path"):
        check("chain_rule_paths.products_a", [2 + 6 + 1, 2 + 6 + 1, 1])
    with pytest.raises(WrongAnswer, match="you added them"):
        check("chain_rule_paths.products_a", [2 + 6, 2 + 6, 1])


def test_training_answers_written_differently_pass():
    passes_every_time("training_a_neuron.predict",
                      lambda w1, w2, b, x1, x2: 1 / (1 + ad.exp(-(b + x2 * w2 + x1 * w1))))

    def loss_by_loop(w1, w2, b, data):
        total = 0.0
        for x1, x2, y in reversed(data):
            error = ad.sigmoid(w1 * x1 + w2 * x2 + b) - y
            total = total + error * error
        return total / len(data)

    def train_with_vars(data, steps, lr):  # PyTorch style: update in place, zero the grads
        params = [ad.Var(0.0), ad.Var(0.0), ad.Var(0.0)]
        for _ in range(steps):
            loss = loss_by_loop(*params, data)
            loss.zero_grad()
            loss.backward()
            for p in params:
                p.value -= lr * p.grad
        return [p.value for p in params]

    passes_every_time("training_a_neuron.loss", loss_by_loop)
    passes_every_time("training_a_neuron.train", train_with_vars)


def test_answers_to_the_new_questions_written_differently_pass():
    import numpy as np

    def cross_entropy_gradient(w1, w2, b, data):  # NumPy, as a vector of errors
        x = np.array([(x1, x2, 1.0) for x1, x2, _ in data])
        y = np.array([label for *_, label in data])
        p = 1 / (1 + np.exp(-(x @ np.array([w1, w2, b]))))
        return tuple(x.T @ (p - y) / len(data))

    passes_every_time("training_a_neuron.cross_entropy_gradient", cross_entropy_gradient)
    passes_every_time("reverse_mode.stored_nodes",
                      lambda n, k: [1 + 6 * n, 2 + n // k + 6 * k])
    passes_every_time("derivatives_by_hand.local_partials",
                      lambda x1, x2: {"df/dx4": 1, "df/dx3": 1, "dx4/dx2": 2, "dx3/dx1": x1 + x1})
    passes_every_time("derivatives_by_hand.gradient_by_steps", lambda x1, x2: [2 * x1, 2])


def test_the_trace_exercise_references_are_ad_traces_columns():
    """The references, computed row by row in the question table, against ad.trace."""
    def f(x1, x2):
        v1 = x1 * x2
        return v1 * ad.cos(v1) + x1 / x2

    rows = {row.name: row for row in ad.trace(f, x1=1.5, x2=0.5).rows}
    ex = exercise("evaluation_trace")
    columns = {"primal": ("v1", "v2", "v3", "v4", "v5"),
               "tangent": ("v1", "v2", "v3", "v4", "v5"),
               "adjoint": ("v-1", "v0", "v1", "v2", "v3", "v4", "v5")}
    for qid, names in columns.items():
        reference = ex.question(qid).reference
        assert list(reference) == list(names)
        for name in names:
            assert math.isclose(reference[name], getattr(rows[name], qid), abs_tol=1e-12)


def test_trace_columns_rounded_to_four_decimals_and_in_any_key_order_pass():
    ex = exercise("evaluation_trace")
    for q in ex.questions:
        if q.autograded:
            rounded = {k: round(v, 4) for k, v in reversed(q.reference.items())}
            assert q.judge(rounded).passed, q.id
            assert not q.judge({**rounded, "v9": 0.0}).passed


def test_the_cross_entropy_formula_is_reverse_modes_gradient():
    """The reference formula against ad.grad of the loss as notebook 08 writes it."""
    import random

    q = exercise("training_a_neuron").question("cross_entropy_gradient")

    def cross_entropy(w1, w2, b, data):
        total = 0.0
        for x1, x2, y in data:
            p = ad.sigmoid(w1 * x1 + w2 * x2 + b)
            total = total - (ad.log(p) if y == 1 else ad.log(1 - p))
        return total / len(data)

    rng = random.Random(8)
    for _ in range(DRAWS):
        *params, data = q.random_case(rng)
        by_ad = ad.grad(lambda w1, w2, b: cross_entropy(w1, w2, b, data))(*params)
        assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
                   for a, b in zip(q.reference(*params, data), by_ad))


def test_custom_derivative_answers_as_the_notebook_writes_them_are_judged_as_modelled(
        rule_table):
    """The question table models custom operations without defining any (so the grader's
    rule table stays as it is); real ones, as a learner writes them, get the same verdicts."""
    q = exercise("higher_order").question("custom")
    for x in (-30.0, -1.0, 0.0, 0.5, 30.0):  # the reference against math
        value, (slope,) = ad.value_and_grad(q.reference)(x)
        assert math.isclose(value, math.log(1 / (1 + math.exp(-x))), rel_tol=1e-12)
        assert math.isclose(slope, 1 / (1 + math.exp(x)), rel_tol=1e-12)

    def stable(x):
        return -(ad.relu(-x) + ad.log(1 + ad.exp(-ad.abs(x))))

    @ad.custom_derivative(lambda out, x: (1 - ad.sigmoid(x),))
    def right(x):
        return stable(x)

    @ad.custom_derivative(lambda out, x: (ad.sigmoid(x),))
    def softplus_slope(x):
        return stable(x)

    @ad.custom_derivative(lambda out, x: (ad.sigmoid(-x),))
    def naive(x):
        return ad.log(ad.sigmoid(x))

    passes_every_time("higher_order.custom", right)
    assert q.judge(softplus_slope).hint == q.wrong[1].hint
    hint = q.judge(naive).hint  # the error at -800, said as it is
    assert "DomainError" in hint and "x=-800" in hint


def test_deep_gradient_answers_written_differently_pass():
    import numpy as np

    def norms_by_backward(X, Ws):  # another route to the same numbers: the engine's sweep
        layers = [ad.Tensor(X)]
        for W in Ws:
            layers.append(ad.tanh(layers[-1] @ W))
        ((layers[-1] ** 2).sum() / (2 * len(X))).backward()
        return tuple(float(np.sqrt((H.grad ** 2).sum())) for H in layers[1:])

    def norms_by_svd(Js):
        P = Js[0]
        for J in Js[1:]:
            P = J @ P
        largest = [np.linalg.svd(M, compute_uv=False)[0] for M in (P, *Js)]
        return [largest[0], math.prod(largest[1:])]

    def clipped(grads, c):
        norm = np.linalg.norm(np.concatenate([g.ravel() for g in grads]))
        return tuple(g / max(1.0, norm / c) for g in grads)

    passes_every_time("deep_gradients.layer_jacobian", lambda W, h: (1 - h * h)[:, None] * W.T)
    passes_every_time("deep_gradients.layer_gradient_norms", norms_by_backward)
    passes_every_time("deep_gradients.product_norm", norms_by_svd)
    passes_every_time("deep_gradients.init_std", lambda fan_in, fan_out, activation:
                      math.sqrt(2 / fan_in) if activation == "relu"
                      else (1 / ((fan_in + fan_out) / 2)) ** 0.5)
    passes_every_time("deep_gradients.clip_by_norm", clipped)


def test_implicit_answers_written_differently_pass():
    import numpy as np

    def derivative_by_inverse(F, F_z, F_theta, theta):
        z = 0.0
        for _ in range(500):  # a fixed number of steps, more than enough
            z = F(z, theta)
        return F_theta(z, theta) * (1 - F_z(z, theta)) ** -1

    def jacobian_by_inverse(F_z, F_theta):
        return np.linalg.inv(np.eye(len(F_z)) - F_z) @ F_theta

    def vjp_by_jacobian(F_z, F_theta, z_bar):
        return tuple(z_bar @ jacobian_by_inverse(F_z, F_theta))

    def gradient_by_jacobian(W, b):  # the whole Jacobian dz*/db, then the chain rule
        z = np.zeros(len(b))
        for _ in range(300):
            z = 1 / (1 + np.exp(-W @ z - b))
        s = np.diag(z * (1 - z))
        return b + jacobian_by_inverse(s @ W, s).T @ z

    passes_every_time("implicit.implicit_derivative", derivative_by_inverse)
    passes_every_time("implicit.implicit_jacobian", jacobian_by_inverse)
    passes_every_time("implicit.implicit_vjp", vjp_by_jacobian)
    passes_every_time("implicit.equilibrium_gradient", gradient_by_jacobian)


def test_the_implicit_references_agree_with_unrolling_and_central_differences():
    """Independent oracles on fresh random cases: forward mode through the unrolled
    solver and central differences (question 1), the Jacobian of ad.solve (question 2),
    and reverse mode through the unrolled layer (question 4)."""
    import random

    import numpy as np

    ex, rng = exercise("implicit"), random.Random(25)
    q1, q2, q4 = (ex.question(i) for i in ("implicit_derivative", "implicit_jacobian",
                                             "equilibrium_gradient"))

    def z_star(F, theta, steps=400):
        z = 0.0
        for _ in range(steps):
            z = F(z, theta)
        return z

    for _ in range(DRAWS):
        F, F_z, F_theta, theta = q1.random_case(rng)
        expected = q1.reference(F, F_z, F_theta, theta)
        assert math.isclose(expected, ad.derivative(lambda t: z_star(F, t))(theta),
                            rel_tol=1e-9, abs_tol=1e-12)
        h = 1e-6
        assert math.isclose(expected, (z_star(F, theta + h) - z_star(F, theta - h)) / (2 * h),
                            rel_tol=1e-6, abs_tol=1e-8)
        M, B = q2.random_case(rng)
        by_solve = ad.jacobian(lambda t: ad.solve(np.eye(len(M)) - M, B @ t))(np.zeros(B.shape[1]))
        assert np.allclose(q2.reference(M, B), by_solve, rtol=1e-10)
        W, b = q4.random_case(rng)
        b_leaf, z = ad.Tensor(b), np.zeros(len(b))
        for _ in range(200):
            z = ad.sigmoid(W @ z + b_leaf)
        (0.5 * (z ** 2).sum() + 0.5 * (b_leaf ** 2).sum()).backward()
        assert np.allclose(q4.reference(W, b), b_leaf.grad, rtol=1e-10, atol=1e-12)



def test_backprop_by_hand_answers_written_differently_pass():
    """Other routes to the same arrays: entry by entry, row by row, one column's Jacobian
    at a time, the softmax's Jacobian itself in the sweep; lists for tuples."""
    import numpy as np

    def softmax_jacobian(s):  # p_k (δ_kj - p_j), with p from np.logaddexp
        p = np.exp(s - np.logaddexp.reduce(s))
        return p[:, None] * (np.eye(len(s)) - p[None, :])

    def logsumexp(S):  # row by row, with math
        return [max(row) + math.log(sum(math.exp(v - max(row)) for v in row))
                for row in S.tolist()]

    def embedding_grad(X, E_bar, V):  # a loop over the positions
        N, T = X.shape
        D = E_bar.shape[1] // T
        C_bar = np.zeros((V, D))
        for i in range(N):
            for t in range(T):
                C_bar[X[i, t]] += E_bar[i, t * D:(t + 1) * D]
        return C_bar

    def batchnorm_backward(Z, gamma, A_bar):  # each column's Jacobian, formed
        N = len(Z)
        sigma = Z.std(axis=0) * np.sqrt(1 + 1e-5 / Z.var(axis=0))
        Z_hat = (Z - Z.mean(axis=0)) / sigma
        Z_bar = np.column_stack([
            (np.eye(N) - 1 / N - np.outer(Z_hat[:, j], Z_hat[:, j]) / N) / sigma[j]
            @ (A_bar[:, j] * gamma[j]) for j in range(Z.shape[1])])
        return [Z_bar, np.einsum("ij,ij->j", A_bar, Z_hat), A_bar.sum(axis=0)]

    def network_gradients(X, labels, W1, gamma, beta, W2, b2):  # the softmax's Jacobian per row
        Z = X @ W1
        Z_hat = (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + 1e-5)
        H = np.tanh(gamma * Z_hat + beta)
        S_bar = np.array([(-np.eye(len(b2))[c] / np.exp(s - np.logaddexp.reduce(s)))
                          @ softmax_jacobian(s) for s, c in zip(H @ W2 + b2, labels)]) / len(X)
        Z_bar, gamma_bar, beta_bar = batchnorm_backward(Z, gamma, (S_bar @ W2.T) * (1 - H ** 2))
        return [X.T @ Z_bar, gamma_bar, beta_bar, H.T @ S_bar, S_bar.sum(axis=0)]

    for name, answer in [("softmax_jacobian", softmax_jacobian), ("logsumexp", logsumexp),
                         ("embedding_grad", embedding_grad),
                         ("batchnorm_backward", batchnorm_backward),
                         ("network_gradients", network_gradients)]:
        passes_every_time(f"backprop_by_hand.{name}", answer)



def test_notebook_12s_layer_norm_copied_into_backprop_by_hand_earns_the_axis_hint():
    """The notebook derives layer normalisation, the exercise asks for batch normalisation:
    the notebook's own layer_norm_backward, used as it is, fails with the hint that names
    the axis."""
    import json
    from pathlib import Path

    import numpy as np

    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "12_backprop_by_hand.ipynb"
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = next("".join(c["source"]) for c in cells if c["cell_type"] == "code"
                and "def layer_norm_backward(" in "".join(c["source"]))
    namespace = {"np": np, "ad": ad, "EPS": 1e-5}
    exec(code.replace("# NBVAL_CHECK_OUTPUT", "").split("\nsigma, n =")[0], namespace)

    def copied(Z, gamma, A_bar):  # notebook 12's forward pass and sweep of these lines
        mu = Z.mean(axis=1, keepdims=True)
        sigma = np.sqrt(((Z - mu) ** 2).mean(axis=1, keepdims=True) + 1e-5)
        Z_hat = (Z - mu) / sigma
        Z_bar = namespace["layer_norm_backward"](A_bar * gamma, Z_hat, sigma)
        return Z_bar, (A_bar * Z_hat).sum(axis=0), A_bar.sum(axis=0)

    q = exercise("backprop_by_hand").question("batchnorm_backward")
    verdict = q.judge(copied)
    assert not verdict.passed
    assert "layer normalisation does (notebook 12)" in q.wrong[verdict.mistake - 1].hint

# --- hints and output -----------------------------------------------------------------


def value_questions():
    return [(name, q) for name in EXERCISES for q in exercise(name).questions
            if q.kind == "value"]


@pytest.mark.parametrize("name, q", value_questions(), ids=lambda v: getattr(v, "id", v))
def test_hints_and_output_never_show_the_expected_value(name, q):
    def shown(x):
        if isinstance(x, dict):
            return shown(list(x.values()))
        if isinstance(x, (list, tuple)):
            return [s for item in x for s in shown(item)]
        if isinstance(x, float):
            return [f"{x:.3f}", f"{x:.2f}", repr(x)]
        return [str(x)]

    texts = [q.hint] + [w.hint for w in q.wrong]
    for wrong in q.wrong:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(WrongAnswer) as failure:
            check(f"{name}.{q.id}", wrong.answer)
        texts += [out.getvalue(), str(failure.value)]
    for expected in shown(q.reference):
        if len(expected.strip("-.0")) > 1:  # "0.0" or "1" would match any text
            assert not any(expected in t for t in texts), (q.id, expected)


@pytest.mark.parametrize("name", EXERCISES)
def test_checks_write_nothing_to_stderr(name):
    err = io.StringIO()
    for q in exercise(name).questions:
        if not q.autograded:
            continue
        for answer in (q.reference, *(w.answer for w in q.wrong)):
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                with contextlib.suppress(WrongAnswer):
                    check(f"{name}.{q.id}", answer)
    assert err.getvalue() == ""


def test_a_neuron_that_only_works_on_floats_gets_its_own_hint():
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(WrongAnswer, match="ad.Var"):
        check("training_a_neuron.predict",
              lambda w1, w2, b, x1, x2: 1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + b))))


def test_a_hard_coded_answer_fails():
    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(WrongAnswer):
        check("chain_rule_paths.count_paths", lambda output, x: 3)  # right for x*x + sin(x)
    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(WrongAnswer):
        check("forward_mode.dual_mul", lambda a, b: (10.0, 5.0))  # right for (2,1)*(5,0)


@pytest.mark.parametrize("qid", ["chain_rule_paths.path_products",
                                 "symbolic_differentiation.carried_derivative",
                                 "training_a_neuron.loss", "reverse_mode.div_backward"])
def test_an_answer_that_replays_the_fixed_cases_fails_on_the_other_ones(qid):
    """The grader's verdict (hidden and random cases too); the learner's check tries the
    public cases only."""
    name, _, question = qid.partition(".")
    q = exercise(name).question(question)
    replay = iter([q.reference(*case) for case in q.cases])
    assert not q.judge(lambda *args: next(replay, None)).passed


@pytest.mark.parametrize("k", range(1, 13))
def test_the_step_check_agrees_with_the_table_the_notebook_prints(k):
    """finite_differences prints the relative error for h = 1e-1 ... 1e-12; a step the
    table shows below 1e-9 (1e-7 among them) is right, and check must not call it too
    small or too large."""
    h = 10.0 ** -k
    error = abs((math.exp(1 + h) - math.exp(1 - h)) / (2 * h) - math.e) / math.e
    q = exercise("finite_differences").question("step")
    assert q.judge(h).passed == (error < 1e-9)
    with contextlib.redirect_stdout(io.StringIO()):
        if error < 1e-9:
            check("finite_differences.step", h)
        else:
            with pytest.raises(WrongAnswer):
                check("finite_differences.step", h)


def test_no_right_step_between_the_tables_rows_is_called_too_small_or_too_large():
    """Between 1e-8 and 1e-3 round-off is tame: a step there is right or a known mistake,
    never both."""
    q = exercise("finite_differences").question("step")
    for i in range(501):
        h = 10.0 ** (-8 + 5 * i / 500)
        if q.judge(h).passed:
            assert not any(within(h, w.between) for w in q.wrong if w.between), h
