"""Exercise: the gradient through depth (notebook 13): a tanh layer's Jacobian, the
gradient that reaches each layer by a reverse sweep of one's own, the norm of a product
of Jacobians and its bound, the Xavier and He scales, and clipping by norm.

Answers are NumPy arrays, numbers, or lists and tuples of them; every known mistake
below (a missing transpose, a forgotten 1/N, fan-in for fan-out, the Frobenius norm for
the spectral one, a norm over one axis only, clipping entry by entry) gives an answer
that the grader can compare, so it earns its own hint rather than a crash.
"""

import numpy as np

from adlearn.grading.questions import Exercise, Question, Wrong

NB13 = "notebook 13, section"
NOTEBOOK = "13_gradients_through_depth.ipynb"


def layer_jacobian(W, h):
    """The reference: the Jacobian of h = tanh(x W) with respect to x, from W and h."""
    return np.diag(1 - h ** 2) @ W.T


def _forward(X, Ws):
    H, outputs = X, []
    for W in Ws:
        H = np.tanh(H @ W)
        outputs.append(H)
    return outputs


def _sweep(X, Ws, seed_scale=1.0, transpose=True, derivative=True, norm=np.linalg.norm):
    """The norms of the adjoints of H_1 .. H_L for the loss mean(½‖h_L‖²), with switches
    for the known mistakes."""
    outputs = _forward(X, Ws)
    H_bar = seed_scale * outputs[-1] / len(X)
    norms = [norm(H_bar)]
    for l in range(len(Ws) - 1, 0, -1):
        delta = H_bar * (1 - outputs[l] ** 2) if derivative else H_bar
        H_bar = delta @ (Ws[l].T if transpose else Ws[l])
        norms.append(norm(H_bar))
    return norms[::-1]


def layer_gradient_norms(X, Ws):
    """The reference: ‖H̄_l‖ for l = 1 .. L, layer 1 first."""
    return _sweep(X, Ws)


def _chain(Js, wrong_order=False):
    """The product J_k ⋯ J_1 of Js = [J_1, ..., J_k] (or J_1 ⋯ J_k, the known mistake)."""
    P = np.eye(len(Js[0]))
    for J in Js:
        P = P @ J if wrong_order else J @ P
    return P


def product_norm(Js):
    """The reference: (‖J_k ⋯ J_1‖₂, ‖J_1‖₂ ⋯ ‖J_k‖₂) for Js = [J_1, ..., J_k]."""
    return np.linalg.norm(_chain(Js), 2), float(np.prod([np.linalg.norm(J, 2) for J in Js]))


def init_std(fan_in, fan_out, activation):
    """The reference: Xavier's standard deviation for tanh, He's for the ReLU."""
    if activation == "relu":
        return np.sqrt(2 / fan_in)
    return np.sqrt(2 / (fan_in + fan_out))


def clip_by_norm(grads, c):
    """The reference: the arrays scaled together to a norm of at most c."""
    norm = np.sqrt(sum((g ** 2).sum() for g in grads))
    return [g * min(1.0, c / norm) for g in grads]


def _matrix(rng, rows, columns, scale=1.0):
    return np.array([[rng.gauss(0, scale) for _ in range(columns)] for _ in range(rows)])


def _random_layer(rng):
    n = rng.randint(2, 5)
    W = _matrix(rng, n, n)
    return W, np.tanh(_matrix(rng, 1, n)[0] @ W)


def _random_net(rng):
    n, depth, batch = rng.randint(2, 5), rng.randint(2, 5), rng.randint(2, 6)
    return _matrix(rng, batch, n), [_matrix(rng, n, n, rng.uniform(0.3, 1.5) / np.sqrt(n))
                                    for _ in range(depth)]


def _random_jacobians(rng):
    n = rng.randint(2, 5)
    return ([_matrix(rng, n, n, 1 / np.sqrt(n)) for _ in range(rng.randint(2, 5))],)


def _random_sizes(rng):
    fan_in = rng.randint(1, 500)
    fan_out = rng.choice([k for k in (rng.randint(1, 500), 2 * fan_in + 3) if k != fan_in])
    return fan_in, fan_out, rng.choice(["tanh", "relu"])


def _random_grads(rng):
    grads = [_matrix(rng, rng.randint(1, 4), rng.randint(1, 4)) for _ in range(rng.randint(1, 3))]
    norm = np.sqrt(sum((g ** 2).sum() for g in grads))
    return grads, norm * rng.choice([0.1, 0.5, 2.0])  # below or above the norm


def _shapes(arrays):
    return ", ".join("×".join(map(str, a.shape)) or "()" for a in arrays)


def _show_net(args):
    X, Ws = args
    return f"layer_gradient_norms(X of shape {_shapes([X])}, {len(Ws)} layers of {_shapes(Ws[:1])})"


def _show_jacobians(args):
    count = len(args[0])
    return f"product_norm({count} Jacobian{'s' * (count != 1)} of {_shapes(args[0][:1])})"


def _show_grads(args):
    grads, c = args
    return f"clip_by_norm(arrays of shapes {_shapes(grads)}, c={c:.4g})"


_RNG = np.random.default_rng(13)  # the fixed cases' arrays
_W3, _W4 = _RNG.normal(size=(3, 3)), _RNG.normal(size=(4, 4)) / 2
_X = _RNG.normal(size=(5, 3))
_NET = [_RNG.normal(size=(3, 3)) / np.sqrt(3) for _ in range(4)]
_DEEP = [_RNG.normal(size=(3, 3)) * 0.3 for _ in range(6)]
_JS = [_RNG.normal(size=(3, 3)) / np.sqrt(3) for _ in range(3)]
_G = [_RNG.normal(size=(2, 3)), _RNG.normal(size=4)]

EXERCISE = Exercise("deep_gradients", "The gradient through depth", (
    Question(
        "layer_jacobian", 2, "function", answer="layer_jacobian", reference=layer_jacobian,
        rule="not ad.jacobian",
        tutorial=f"{NOTEBOOK}#The gradient is a product of Jacobians",
        prompt="the Jacobian of a tanh layer h = tanh(x W) with respect to x, from W and h",
        cases=((_W3, np.tanh(_X[0] @ _W3)), (_W4, np.tanh(np.ones(4) @ _W4)),
               (_NET[0], np.array([0.0, 0.5, -0.9]))),
        hidden=((_NET[1].T, np.array([0.3, 0.0, 0.2])),), random_case=_random_layer,
        hint=f"Two Jacobians from notebook 10, multiplied: the tanh's (diagonal) and the "
             f"matrix product's ({NB13} 2, The gradient is a product of Jacobians).",
        wrong=(
            Wrong(lambda W, h: np.diag(1 - h ** 2) @ W,
                  "A transpose is missing: row i of the Jacobian is how output i moves, and "
                  "output i reads column i of W."),
            Wrong(lambda W, h: W.T @ np.diag(1 - h ** 2),
                  "The diagonal is on the wrong side: the tanh comes after the matrix "
                  "product, so its Jacobian is the left factor."),
            Wrong(lambda W, h: np.diag(1 - np.tanh(h) ** 2) @ W.T,
                  "h is already the tanh of the layer's input: its derivative there is 1 - h², "
                  "without another tanh."),
        )),
    Question(
        "layer_gradient_norms", 3, "function", answer="layer_gradient_norms",
        rule="not ad.Tensor.backward",
        reference=layer_gradient_norms,
        tutorial=f"{NOTEBOOK}#A deep network, and the gradient at each layer",
        prompt="the norm of the gradient reaching each layer of a tanh network, by your own "
               "reverse sweep",
        cases=((_X, _NET), (_X[:2], _NET[:2]), (_X, _DEEP)),
        hidden=((_X[1:], _DEEP[:3]),), random_case=_random_net, show=_show_net,
        hint=f"Sweep back from H̄_L: through each tanh (its derivative) and each matrix "
             f"product (its VJP), and keep the norm of each H̄_l ({NB13} 1 and 2).",
        wrong=(
            Wrong(lambda X, Ws: _sweep(X, Ws, seed_scale=len(X)),
                  "Your norms are N times too large: the loss is a mean over the N rows, so "
                  "its adjoint H̄_L has a 1/N."),
            Wrong(lambda X, Ws: _sweep(X, Ws, transpose=False),
                  "A transpose is missing: the VJP of Z = H W with respect to H is δ Wᵀ "
                  "(notebook 11)."),
            Wrong(lambda X, Ws: _sweep(X, Ws, derivative=False),
                  "You skipped the tanh: before the matrix product's VJP, multiply by its "
                  "derivative 1 - H_l², entry by entry."),
            Wrong(lambda X, Ws: _sweep(X, Ws, norm=lambda H_bar: np.linalg.norm(H_bar, axis=1)),
                  "You took one norm per row (per example): the norm of H̄_l adds up the "
                  "squares of all its entries, over both axes, into one number."),
            Wrong(lambda X, Ws: _sweep(X, Ws)[::-1],
                  "Your list is in the order of the sweep: give layer 1 first."),
        )),
    Question(
        "product_norm", 2, "function", answer="product_norm", reference=product_norm,
        tutorial=f"{NOTEBOOK}#Singular values: how far each Jacobian stretches",
        prompt="the norm of the product of a chain's Jacobians, and its bound",
        cases=((_JS,), (_JS[:1],), ([_W3, _NET[0], _W3.T, _NET[1]],)),
        hidden=((_NET,),), random_case=_random_jacobians, show=_show_jacobians,
        hint=f"The norm of a matrix here is its largest singular value; the bound multiplies "
             f"the factors' norms ({NB13} 3, Singular values: how far each Jacobian "
             f"stretches).",
        wrong=(
            Wrong(lambda Js: (np.linalg.norm(_chain(Js)),
                              float(np.prod([np.linalg.norm(J) for J in Js]))),
                  "np.linalg.norm of a matrix is its Frobenius norm (all entries squared): "
                  "the stretch factor is the largest singular value, np.linalg.norm(M, 2)."),
            Wrong(lambda Js: (np.linalg.norm(_chain(Js, wrong_order=True), 2),
                              product_norm(Js)[1]),
                  "Your product is in the wrong order: J_1 acts first, so it is the right-most "
                  "factor, J_k ⋯ J_2 J_1."),
            Wrong(lambda Js: (product_norm(Js)[0],
                              float(sum(np.linalg.norm(J, 2) for J in Js))),
                  "Your bound adds the norms: the norm of a product is at most the product of "
                  "the norms."),
        )),
    Question(
        "init_std", 2, "function", answer="init_std", reference=init_std,
        tutorial=f"{NOTEBOOK}#Initialisation: start every layer's Jacobian near size 1",
        prompt="the standard deviation of a layer's initial weights: Xavier's for tanh, "
               "He's for the ReLU",
        cases=((64, 64, "tanh"), (784, 100, "tanh"), (100, 10, "relu"), (3, 300, "relu")),
        hidden=((1, 2, "tanh"),), random_case=_random_sizes,
        hint=f"Count the terms of a sum: the forward pass adds fan-in terms, the reverse "
             f"sweep fan-out terms ({NB13} 4, Initialisation: start every layer's Jacobian "
             f"near size 1).",
        wrong=(
            Wrong(lambda fan_in, fan_out, activation:
                  np.sqrt(2 / fan_in) if activation == "relu" else np.sqrt(1 / fan_in),
                  "For tanh you kept only the forward pass's count, the fan-in: Xavier "
                  "averages the fan-in and the fan-out."),
            Wrong(lambda fan_in, fan_out, activation:
                  np.sqrt(2 / fan_out) if activation == "relu" else init_std(fan_in, fan_out, activation),
                  "He's scale counts the fan-in (the terms of the forward pass's sums), not "
                  "the fan-out."),
            Wrong(lambda fan_in, fan_out, activation: init_std(fan_in, fan_out, activation) ** 2,
                  "That is the variance: the weights are drawn with a standard deviation, "
                  "its square root."),
            Wrong(lambda fan_in, fan_out, activation:
                  init_std(fan_in, fan_out, "tanh" if activation == "relu" else "relu"),
                  "The two scales are swapped: He's extra factor 2 makes up for the ReLU's "
                  "half of zeros; tanh needs none."),
        )),
    Question(
        "clip_by_norm", 2, "function", answer="clip_by_norm", reference=clip_by_norm,
        tutorial=f"{NOTEBOOK}#Gradient clipping",
        prompt="the gradients of all the parameters, clipped together to a norm of at most c",
        cases=((_G, 1.0), (_G, 100.0), ([np.array([3.0, 4.0]), np.array([[12.0]])], 1.0)),
        hidden=(([_W3], 0.5),), random_case=_random_grads, show=_show_grads,
        hint=f"One norm for all the arrays together; scale them only if it is above c "
             f"({NB13} 6, Gradient clipping).",
        wrong=(
            Wrong(lambda grads, c: [np.clip(g, -c, c) for g in grads],
                  "You clipped each entry: that changes the gradient's direction. Scale all "
                  "the arrays by one factor instead."),
            Wrong(lambda grads, c: [g * min(1.0, c / np.linalg.norm(g)) for g in grads],
                  "You clipped each array by its own norm: clip all the parameters' "
                  "gradients together, by the norm of all their entries."),
            Wrong(lambda grads, c: [g * c / np.sqrt(sum((h ** 2).sum() for h in grads))
                                    for g in grads],
                  "You scaled every gradient to norm c, small ones up too: clipping only "
                  "shortens a gradient longer than c."),
        )),
    Question("explain_depth", 2, "text",
             prompt="why residual connections and normalisation keep the gradient, and "
                    "clipping does not cure a vanishing one",
             tutorial=f"{NOTEBOOK}#Residual connections and normalisation keep it"),
))

