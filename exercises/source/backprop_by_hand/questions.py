"""Exercise: backprop by hand (notebook 12): the softmax's Jacobian, a stable log-sum-exp,
an embedding's VJP, and the backward pass of batch normalisation and of a two-layer
network with it, written on NumPy arrays.

Notebook 12 derives layer normalisation; this exercise asks for batch normalisation (the
mean and variance of each column, over the batch), so that the notebook's code, copied,
earns the hint for normalising the wrong axis rather than the points. The answers are
judged on hidden shapes and random values; every known mistake (the softmax Jacobian's
diagonal only, a forgotten 1/N, a missing transpose, a sum over the wrong axis, the
batch statistics treated as constants, a repeated row written once) gives an answer the
grader can compare, so it earns its own hint rather than a crash.
"""

import numpy as np

from adlearn.grading.questions import Exercise, Question, Wrong

NB12 = "notebook 12, section"
NOTEBOOK = "12_backprop_by_hand.ipynb"
OWN_WORK = "not ad.Tensor.backward, ad.grad, ad.vjp, ad.jacobian"
EPS = 1e-5  # batch normalisation's ε, as the questions state it


def softmax(S):
    """Each row of S turned into probabilities (the row's maximum taken out first)."""
    exp = np.exp(S - S.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def softmax_jacobian(s):
    """The reference: the Jacobian of the softmax at the scores s, diag(p) - p pᵀ."""
    p = softmax(s)
    return np.diag(p) - np.outer(p, p)


def logsumexp(S):
    """The reference: ln Σ_j exp(S[i, j]) for each row i, without overflow."""
    return _logsumexp(S, axis=1)


def _logsumexp(S, axis):
    m = S.max(axis=axis, keepdims=True)
    return np.squeeze(m, axis) + np.log(np.exp(S - m).sum(axis=axis))


def embedding_grad(X, E_bar, vocabulary):
    """The reference: C̄ for E = C[X] laid out as rows (row i of E is C[X[i, 0]],
    C[X[i, 1]], ... side by side), given Ē."""
    return _embedding_grad(X, E_bar, vocabulary)


def _embedding_grad(X, E_bar, vocabulary, order=(0, 1, 2), scatter=np.add.at):
    """embedding_grad, with switches for the known mistakes: the pieces cut the wrong
    way, a repeated row written once."""
    N, T = X.shape
    pieces = E_bar.reshape((N, T, -1) if order == (0, 1, 2) else (N, -1, T)).transpose(order)
    C_bar = np.zeros((vocabulary, pieces.shape[2]))
    scatter(C_bar, X, pieces)
    return C_bar


def _written_once(C_bar, X, pieces):
    """C_bar[X] += pieces: NumPy adds each repeated row once (the last copy wins)."""
    C_bar[X] += pieces


def batchnorm(Z, gamma, beta, axis=0):
    """Batch normalisation's forward pass (axis=1: layer normalisation's): Ẑ, σ and A."""
    mu = Z.mean(axis=axis, keepdims=True)
    sigma = np.sqrt(((Z - mu) ** 2).mean(axis=axis, keepdims=True) + EPS)
    Z_hat = (Z - mu) / sigma
    return Z_hat, sigma, gamma * Z_hat + beta


def batchnorm_backward(Z, gamma, A_bar):
    """The reference: (Z̄, γ̄, β̄) for A = γ Ẑ + β, Ẑ = (Z - μ)/σ with μ and σ² each
    column's mean and variance over the batch and σ = √(σ² + ε)."""
    return _batchnorm_backward(Z, gamma, A_bar)


def _batchnorm_backward(Z, gamma, A_bar, axis=0, routes=3, summed=0):
    """batchnorm_backward, with switches for the known mistakes: the axis normalised,
    the routes kept, the axis that γ̄ and β̄ are summed over."""
    Z_hat, sigma, _ = batchnorm(Z, gamma, 0.0, axis)
    Z_hat_bar = A_bar * gamma
    Z_bar = Z_hat_bar
    if routes >= 2:  # the route through the mean
        Z_bar = Z_bar - Z_hat_bar.mean(axis=axis, keepdims=True)
    if routes >= 3:  # the route through the variance
        Z_bar = Z_bar - Z_hat * (Z_hat_bar * Z_hat).mean(axis=axis, keepdims=True)
    return Z_bar / sigma, (A_bar * Z_hat).sum(axis=summed), A_bar.sum(axis=summed)


def network_gradients(X, labels, W1, gamma, beta, W2, b2):
    """The reference: (W̄1, γ̄, β̄, W̄2, b̄2) of the mean cross-entropy of the scores
    S = tanh(γ Ẑ + β) W2 + b2, Ẑ the batch normalisation of X W1."""
    return _network_gradients(X, labels, W1, gamma, beta, W2, b2)


def _network_gradients(X, labels, W1, gamma, beta, W2, b2, softmax_grad="fused",
                       transpose=True, per_row=True, routes=3, bias_axis=0):
    """network_gradients, with switches for the known mistakes."""
    N = len(labels)
    Z = X @ W1
    _, _, A = batchnorm(Z, gamma, beta)
    H = np.tanh(A)
    P, Y = softmax(H @ W2 + b2), np.eye(W2.shape[1])[labels]
    if softmax_grad == "diagonal":  # (-Y / P) times the Jacobian's diagonal P (1 - P)
        S_bar = -Y * (1 - P)
    else:
        S_bar = P - Y
    if per_row:
        S_bar = S_bar / N
    A_bar = (S_bar @ W2.T) * (1 - H ** 2)
    Z_bar, gamma_bar, beta_bar = _batchnorm_backward(Z, gamma, A_bar, routes=routes)
    if transpose:
        W1_bar, W2_bar = X.T @ Z_bar, H.T @ S_bar
    else:
        W1_bar, W2_bar = Z_bar.T @ X, S_bar.T @ H
    return W1_bar, gamma_bar, beta_bar, W2_bar, S_bar.sum(axis=bias_axis)


# --- the cases ---------------------------------------------------------------------------


def _matrix(rng, rows, columns, scale=1.0):
    return np.array([[rng.gauss(0, scale) for _ in range(columns)] for _ in range(rows)])


def _two_sizes(rng, low, high):
    """Two different sizes, so that an axis mixed up changes the shape."""
    first = rng.randint(low, high)
    return first, rng.choice([k for k in range(low, high + 1) if k != first])


def _random_scores(rng):
    return (np.array([rng.gauss(0, 3) for _ in range(rng.randint(2, 6))]),)


def _random_rows(rng):
    rows, columns = _two_sizes(rng, 2, 6)
    S = _matrix(rng, rows, columns, 3)
    S[rng.randrange(rows)] += rng.choice([-800.0, 800.0])  # where exp overflows
    return (S,)


def _random_lookup(rng):
    vocabulary, (N, T), D = rng.randint(3, 7), _two_sizes(rng, 2, 5), rng.randint(2, 4)
    X = np.array([[rng.randrange(vocabulary) for _ in range(T)] for _ in range(N)])
    X[0, 0] = X[-1, -1] = X[0, -1]  # a row of C used more than once, for certain
    return X, _matrix(rng, N, T * D), vocabulary


def _random_batchnorm(rng):
    N, D = _two_sizes(rng, 3, 7)
    return (_matrix(rng, N, D, rng.uniform(0.5, 3)),
            np.array([rng.uniform(0.5, 2) for _ in range(D)]), _matrix(rng, N, D))


def _random_network(rng):
    N, D = _two_sizes(rng, 3, 7)
    inputs, classes = rng.randint(2, 5), rng.choice([k for k in range(2, 6) if k != N])
    return (_matrix(rng, N, inputs), np.array([rng.randrange(classes) for _ in range(N)]),
            _matrix(rng, inputs, D), np.array([rng.uniform(0.5, 2) for _ in range(D)]),
            _matrix(rng, 1, D, 0.5)[0], _matrix(rng, D, classes), _matrix(rng, 1, classes, 0.5)[0])


def _shapes(arrays):
    return ", ".join("×".join(map(str, np.shape(a))) or "()" for a in arrays)


def _show_lookup(args):
    X, E_bar, vocabulary = args
    return f"embedding_grad(X of shape {_shapes([X])}, E_bar of shape {_shapes([E_bar])}, {vocabulary})"


def _show_batchnorm(args):
    return f"batchnorm_backward(arrays of shapes {_shapes(args)})"


def _show_network(args):
    return f"network_gradients(arrays of shapes {_shapes(args)})"


_RNG = np.random.default_rng(12)  # the fixed cases' arrays
_S = np.array([[1.0, 2.0, 3.0, 0.5], [1000.0, 1001.0, 1002.0, 999.0],
               [-1000.0, -999.0, -998.0, -1001.0]])
_X = np.array([[0, 0, 5], [0, 5, 1], [5, 1, 2], [1, 2, 0], [0, 0, 0]])
_E_BAR = _RNG.normal(size=(5, 6))
_Z, _GAMMA, _A_BAR = _RNG.normal(size=(5, 3)) * 2, _RNG.uniform(0.5, 2, 3), _RNG.normal(size=(5, 3))
_NET = (_RNG.normal(size=(6, 4)), np.array([2, 0, 1, 2, 2, 0]), _RNG.normal(size=(4, 3)),
        np.array([1.0, 0.5, 2.0]), np.array([0.0, 0.1, -0.2]), _RNG.normal(size=(3, 4)),
        np.zeros(4))

EXERCISE = Exercise("backprop_by_hand", "Backprop by hand", (
    Question(
        "softmax_jacobian", 2, "function", answer="softmax_jacobian",
        reference=softmax_jacobian, rule=OWN_WORK,
        tutorial=f"{NOTEBOOK}#Softmax and cross-entropy: (P − Y) / N",
        prompt="the Jacobian of the softmax at a vector of scores",
        cases=((np.array([1.0, 2.0, 3.0]),), (np.array([0.0, 0.0]),),
               (np.array([1000.0, 1001.0, 999.0, 1000.5]),)),
        hidden=((np.array([-2.0, 0.5, 0.1, 4.0, -1.0]),),), random_case=_random_scores,
        hint=f"Differentiate p_k = exp(s_k) / Σ_j exp(s_j) with respect to every s_j, "
             f"through the numerator and through the shared sum; compute p with the "
             f"largest score taken out first, so that exp cannot overflow ({NB12} 3 and 6).",
        wrong=(
            Wrong(lambda s: np.diag(softmax(s) * (1 - softmax(s))),
                  "You kept only the diagonal, p_k (1 - p_k), as if the softmax worked entry "
                  "by entry like the sigmoid: every probability also depends on every other "
                  "score, through the shared sum, so the entries off the diagonal are -p_k p_j."),
            Wrong(lambda s: np.outer(softmax(s), softmax(s)) - np.diag(softmax(s)),
                  "Your Jacobian has the wrong sign: raising s_k raises p_k, so the diagonal "
                  "entries are positive."),
            Wrong(lambda s: np.diag(softmax(s)),
                  "diag(p) is only the route through the numerator: the shared sum "
                  "contributes -p pᵀ as well."),
        )),
    Question(
        "logsumexp", 2, "function", answer="logsumexp", reference=logsumexp,
        rule="only numpy, math",
        tutorial=f"{NOTEBOOK}#A stable log-sum-exp",
        prompt="the log-sum-exp of each row of a matrix, without overflow",
        cases=((_S,), (_S[:2, :2],), (np.zeros((2, 5)),)),
        hidden=((_S.T,),), random_case=_random_rows,
        hint=f"Take each row's largest entry m out of the sum, and add it back outside "
             f"the logarithm ({NB12} 3, A stable log-sum-exp).",
        wrong=(
            Wrong(lambda S: logsumexp(S) - S.max(axis=1),
                  "You took the maximum out of the sum but did not add it back: "
                  "ln Σ exp(s_j) = m + ln Σ exp(s_j - m)."),
            Wrong(lambda S: _logsumexp(S, axis=0),
                  "Your sum runs down the columns: the log-sum-exp of each row adds up "
                  "along the row (axis=1), one number per row."),
        )),
    Question(
        "embedding_grad", 2, "function", answer="embedding_grad", reference=embedding_grad,
        rule=OWN_WORK,
        tutorial=f"{NOTEBOOK}#The embedding: a lookup's VJP is a scatter-add",
        prompt="the adjoint of an embedding table from the adjoint of its lookup",
        cases=((_X, _E_BAR, 6), (_X[:2, :2], _E_BAR[:2, :4], 6), (_X.T[:, :2], _RNG.normal(size=(3, 4)), 6)),
        hidden=((_X[1:], _E_BAR[1:], 7),), random_case=_random_lookup, show=_show_lookup,
        hint=f"Cut each row of Ē into its T pieces of D numbers, one per position, and add "
             f"each piece into the row of C̄ that the position looked up ({NB12} 9, The "
             f"embedding: a lookup's VJP is a scatter-add).",
        wrong=(
            Wrong(lambda X, E_bar, vocabulary: _embedding_grad(X, E_bar, vocabulary,
                                                               scatter=_written_once),
                  "A row of C that is looked up more than once must collect the adjoints of "
                  "every copy: C_bar[X] += ... keeps only one of them. Add with np.add.at, "
                  "or a loop."),
            Wrong(lambda X, E_bar, vocabulary: _embedding_grad(X, E_bar, vocabulary,
                                                               order=(0, 2, 1)),
                  "Your pieces are cut the wrong way: a row of E is C[X[i, 0]], then "
                  "C[X[i, 1]], ... side by side, so its first D entries belong to position 0 "
                  "(reshape to N × T × D)."),
        )),
    Question(
        "batchnorm_backward", 4, "function", answer="batchnorm_backward",
        reference=batchnorm_backward, rule=OWN_WORK,
        tutorial=f"{NOTEBOOK}#Layer normalisation's backward pass",
        prompt="the backward pass of batch normalisation, with its scale and shift",
        cases=((_Z, _GAMMA, _A_BAR), (_Z[:3, :2], _GAMMA[:2], _A_BAR[:3, :2]),
               (_Z.T, np.ones(5), _A_BAR.T)),
        hidden=((_Z[1:], _GAMMA, -_A_BAR[1:]),), random_case=_random_batchnorm,
        show=_show_batchnorm,
        hint=f"Follow notebook 12's derivation with the mean and variance taken over the "
             f"batch: Z̄ has three routes, directly, through μ and through σ; γ and β have "
             f"one entry per column ({NB12} 8, Layer normalisation's backward pass).",
        wrong=(
            Wrong(lambda Z, gamma, A_bar: _batchnorm_backward(Z, gamma, A_bar, routes=1),
                  "You treated the batch's mean and variance as constants: they are computed "
                  "from Z, so every entry of a column moves them, and Z̄ has two more "
                  "routes, through μ and through σ."),
            Wrong(lambda Z, gamma, A_bar: _batchnorm_backward(Z, gamma, A_bar, routes=2),
                  "Your Z̄ has the route through the mean but not the one through the "
                  "variance: σ depends on every entry of the column too."),
            Wrong(lambda Z, gamma, A_bar: _batchnorm_backward(Z, gamma, A_bar, axis=1),
                  "You normalised each row, as layer normalisation does (notebook 12): batch "
                  "normalisation takes each column's mean and variance over the batch "
                  "(axis=0)."),
            Wrong(lambda Z, gamma, A_bar: _batchnorm_backward(Z, gamma, A_bar, summed=1),
                  "γ̄ and β̄ are summed over the wrong axis: γ and β have one entry per "
                  "column, broadcast to every row, so their adjoints add up over the rows."),
        )),
    Question(
        "network_gradients", 5, "function", answer="network_gradients",
        reference=network_gradients, rule=OWN_WORK,
        tutorial=f"{NOTEBOOK}#The whole sweep, checked two ways",
        prompt="the gradients of a two-layer network with batch normalisation, by your own "
               "reverse sweep",
        cases=(_NET, (_NET[0][:4], _NET[1][:4], *_NET[2:])),
        hidden=((_NET[0][1:], _NET[1][1:], *_NET[2:]),), random_case=_random_network,
        show=_show_network,
        hint=f"Sweep back line by line: (P - Y)/N at the scores, the matrix products' VJPs "
             f"with their transposes, the tanh, then your batch normalisation's backward "
             f"pass ({NB12} 6 to 10).",
        wrong=(
            Wrong(lambda *args: _network_gradients(*args, per_row=False),
                  "Your gradients are N times too large: the loss is the mean over the N "
                  "examples, so the scores' adjoint is (P - Y)/N."),
            Wrong(lambda *args: _network_gradients(*args, softmax_grad="diagonal"),
                  "You used only the diagonal of the softmax's Jacobian: through the whole "
                  "Jacobian, diag(p) - p pᵀ, the scores' adjoint is (P - Y)/N."),
            Wrong(lambda *args: _network_gradients(*args, transpose=False),
                  "A transpose is missing: the VJP of S = H W with respect to W is Hᵀ S̄, "
                  "which has W's shape."),
            Wrong(lambda *args: _network_gradients(*args, routes=1),
                  "You treated the batch's mean and variance as constants: Z̄ has two more "
                  "routes, through μ and through σ (your batchnorm_backward)."),
            Wrong(lambda *args: _network_gradients(*args, bias_axis=1),
                  "b̄2 is summed over the wrong axis: b2 has one entry per class, broadcast "
                  "to every example, so its adjoint adds S̄ up over the rows."),
        )),
    Question("explain_batch_norm", 2, "text",
             prompt="why batch normalisation ties a batch's examples together, and what "
                    "happens to a bias added before it",
             tutorial=f"{NOTEBOOK}#Layer normalisation's backward pass"),
))
