"""Exercise: Jacobians and backpropagation on arrays (notebooks 10 and 11): a Jacobian's
shape, an elementwise Jacobian, the VJP of a matrix product, a broadcast bias, the softmax
cross-entropy gradient, and which mode forms a Jacobian in fewer sweeps.

Answers are NumPy arrays, compared shape first, so a transposed gradient is a known
mistake with its own hint, never a crash.
"""

import numpy as np

from adlearn.grading.questions import Exercise, Question, Variants, Wrong

NB10 = "notebook 10, section"
NB11 = "notebook 11, section"


def jacobian_shape(x_shape, y_shape):
    """The reference: the shape of ad.jacobian(f)(x), output axes first."""
    return tuple(y_shape) + tuple(x_shape)


def tanh_jacobian(x):
    """The reference: the Jacobian of tanh at the vector x, a diagonal matrix."""
    return np.diag(1 - np.tanh(x) ** 2)


def matmul_vjp(H, W, delta):
    """The reference: the adjoints (W_bar, H_bar) of Z = H @ W, given delta = Z_bar."""
    return H.T @ delta, delta @ W.T


def bias_grad(delta):
    """The reference: the adjoint of b in Z = X @ W + b, given delta = Z_bar."""
    return delta.sum(axis=0)


def softmax(Z):
    exp = np.exp(Z - Z.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def cross_entropy_grad(Z, labels):
    """The gradient of the mean cross-entropy with respect to the scores (notebook 11's)."""
    return (softmax(Z) - np.eye(Z.shape[1])[labels]) / len(labels)


def smoothed(targets, smoothing):
    """The targets (a function of the classes and labels) with label smoothing ε:
    (1 - ε) of each row on its targets, ε spread evenly over the classes."""
    def spread(classes, labels):
        return (1 - smoothing) * targets(classes, labels) + smoothing / classes
    return spread


def one_hot(classes, labels):
    return np.eye(classes)[labels]


def smoothed_gradient(targets, smoothing, scale=lambda labels: 1 / len(labels), sign=1.0,
                      scores=softmax):
    """The gradient (P - targets) / N of the mean cross-entropy against smoothed targets,
    or a known mistake's version of it (another scale, sign or probabilities)."""
    def gradient(Z, labels):
        T = smoothed(targets, smoothing)(Z.shape[1], labels)
        return sign * (scores(Z) - T) * scale(labels)
    return gradient


def cheaper_mode(n, m):
    """The reference: the mode that forms the m × n Jacobian in fewer sweeps, and how many."""
    return ("reverse", m) if m < n else ("forward", n)


def _shape(rng, most=3):
    return tuple(rng.randint(1, 6) for _ in range(rng.randint(0, most)))


def _random_shapes(rng):
    return _shape(rng), _shape(rng)


def _vector(rng):
    return np.array([rng.uniform(-2, 2) for _ in range(rng.randint(2, 6))])


def _matrix(rng, rows, columns):
    return np.array([[rng.gauss(0, 1) for _ in range(columns)] for _ in range(rows)])


def _random_layer(rng):
    batch, inputs, outputs = rng.randint(2, 7), rng.randint(2, 5), rng.randint(1, 4)
    return _matrix(rng, batch, inputs), _matrix(rng, inputs, outputs), _matrix(rng, batch, outputs)


def _random_scores(rng):
    batch, classes = rng.randint(2, 7), rng.randint(2, 6)
    return _matrix(rng, batch, classes), np.array([rng.randrange(classes) for _ in range(batch)])


def _random_sizes(rng):
    n = rng.randint(1, 1000)
    m = rng.choice([k for k in (1, rng.randint(1, 1000), 2 * n + 1) if k != n])
    return n, m


_RNG = np.random.default_rng(13)  # the fixed cases' arrays
_H, _W, _DELTA = _RNG.normal(size=(4, 3)), _RNG.normal(size=(3, 2)), _RNG.normal(size=(4, 2))
_SQUARE = _RNG.normal(size=(3, 3)), _RNG.normal(size=(3, 3)), _RNG.normal(size=(3, 3))
_Z, _LABELS = _RNG.normal(size=(5, 4)), np.array([3, 1, 0, 1, 2])

def gradient_question(numbers):
    """The question on the cross-entropy gradient, for a learner's label smoothing ε."""
    eps = numbers["smoothing"]
    return (
        Question(
            "cross_entropy_grad", 3, "function", answer="cross_entropy_grad",
            rule="not ad.Tensor.backward",
            tutorial="11_backprop_in_matrix_form.ipynb#Ten scores, softmax and cross-entropy",
            reference=smoothed_gradient(one_hot, eps),
            prompt=f"the gradient of the mean softmax cross-entropy, labels smoothed by {eps:g}, "
                   "with respect to the scores",
            cases=((_Z, _LABELS), (_Z[:2, :3], np.array([2, 0])), (np.zeros((3, 2)), np.array([0, 1, 1]))),
            hidden=((_H, np.array([2, 2, 1, 0])),), random_case=_random_scores,
            hint=f"Softmax the scores row by row, compare with each row's targets (the one-hot "
                 f"labels, smoothed by your ε), and mind the mean over the batch ({NB11} 4, Ten "
                 "scores, softmax and cross-entropy).",
            wrong=(
                Wrong(smoothed_gradient(one_hot, eps, scale=lambda labels: 1.0),
                      "That is the gradient of the sum over the batch: the loss is the mean."),
                Wrong(smoothed_gradient(one_hot, eps, sign=-1.0),
                      "Your gradient has the wrong sign: raising the right digit's score makes "
                      "the loss smaller."),
                Wrong(smoothed_gradient(one_hot, eps, scores=lambda Z: Z),
                      "You used the scores themselves: turn each row into probabilities with "
                      "the softmax first."),
                *((Wrong(cross_entropy_grad,  # notebook 11's (P - Y) / N as it stands
                         "That is the gradient for one-hot labels: smooth them first, (1 - ε) "
                         "on each row's label and ε spread evenly over the classes."),)
                  if eps else ()),
            )),
    )


QUESTIONS = (
    Question(
        "jacobian_shape", 2, "function", answer="jacobian_shape", reference=jacobian_shape,
        tutorial="10_arrays_and_jacobians.ipynb#From the gradient to the Jacobian",
        prompt="the shape of the Jacobian, from the shapes of the input and the output",
        cases=(((3,), (2,)), ((2, 3), (2,)), ((4,), ())),
        hidden=(((40, 2), (40, 6)), ((), (5,))), random_case=_random_shapes,
        hint=f"Row i of a Jacobian is the gradient of output i ({NB10} 1, From the gradient "
             "to the Jacobian; the shape of d(Wx)/dW in section 2).",
        wrong=(
            Wrong(lambda x_shape, y_shape: tuple(x_shape) + tuple(y_shape),
                  "You put the input's axes first: a Jacobian has one row per output, so "
                  "the output's axes come first."),
            Wrong(lambda x_shape, y_shape: (int(np.prod(y_shape)), int(np.prod(x_shape))),
                  "You flattened the Jacobian into a matrix: ad.jacobian keeps the output's "
                  "and the input's own axes, as d(Wx)/dW has shape (2) × (2 × 3)."),
        )),
    Question(
        "tanh_jacobian", 2, "function", answer="tanh_jacobian", reference=tanh_jacobian,
        rule="not ad.jacobian",
        tutorial="10_arrays_and_jacobians.ipynb#Three Jacobians to know by heart",
        prompt="the Jacobian of the elementwise tanh at a vector x",
        cases=((np.array([0.0, 0.5, 1.0, 2.0]),), (np.array([-1.0, 3.0]),),
               (np.array([0.2, -0.7, 1.5]),)),
        hidden=((np.array([0.0]),),), random_case=lambda rng: (_vector(rng),),
        hint=f"Output i of an elementwise function depends only on input i ({NB10} 2, "
             "Three Jacobians to know by heart).",
        wrong=(
            Wrong(lambda x: 1 - np.tanh(x) ** 2,
                  "That is the diagonal only, a vector: the Jacobian of a function of n "
                  "inputs and n outputs is an n × n matrix."),
            Wrong(lambda x: np.diag(np.tanh(x)),
                  "The diagonal holds tanh itself: it should hold the derivative of tanh "
                  "at each entry."),
            Wrong(lambda x: np.tile(1 - np.tanh(x) ** 2, (len(x), 1)),
                  "Every row is the same: output i moves only with input i, so the entries "
                  "off the diagonal are zero."),
        )),
    Question(
        "matmul_vjp", 3, "function", answer="matmul_vjp", reference=matmul_vjp,
        rule="not ad.vjp",
        tutorial="11_backprop_in_matrix_form.ipynb#The reverse sweep as matrix formulas",
        prompt="the adjoints (W_bar, H_bar) of Z = H @ W, given delta = Z_bar",
        cases=((_H, _W, _DELTA), _SQUARE, (_H[:2], _W[:, :1], _DELTA[:2, :1])),
        hidden=((_DELTA, _W.T, _H),), random_case=_random_layer,
        hint=f"Each adjoint has the shape of its variable; the transposes make the shapes "
             f"fit ({NB11} 2, The reverse sweep as matrix formulas).",
        wrong=(
            Wrong(lambda H, W, delta: (delta.T @ H, delta @ W.T),
                  "Your W_bar has the shape of W transposed: a gradient has the shape of "
                  "its parameter, so multiply the factors in the other order."),
            Wrong(lambda H, W, delta: (H.T @ delta, W @ delta.T),
                  "Your H_bar has the shape of H transposed: it needs one row per example, "
                  "as H has."),
            Wrong(lambda H, W, delta: (H.T @ delta / len(H), delta @ W.T),
                  "Your W_bar is an average over the batch: each example adds its share, "
                  "and any 1/N is already inside delta."),
        )),
    Question(
        "bias_grad", 2, "function", answer="bias_grad", reference=bias_grad,
        tutorial="10_arrays_and_jacobians.ipynb#Broadcasting, and why its gradient sums",
        prompt="the adjoint of the bias b in Z = X @ W + b, given delta = Z_bar",
        cases=((_DELTA,), (_H,), (_DELTA[:1],)),
        hidden=((_SQUARE[0],),), random_case=lambda rng: (_random_layer(rng)[2],),
        hint=f"b is copied into every row of the batch; think about what the chain rule "
             f"does with copies ({NB10} 3, Broadcasting, and why its gradient sums).",
        wrong=(
            Wrong(lambda delta: delta,
                  "That is the adjoint of Z, one row per example: b's adjoint has b's shape, "
                  "one entry per output."),
            Wrong(lambda delta: delta.mean(axis=0),
                  "You averaged the copies' adjoints: the chain rule adds every path."),
            Wrong(lambda delta: delta.sum(axis=1),
                  "You added along the wrong axis: that gives one number per example, not "
                  "one per entry of b."),
            Wrong(lambda delta: delta.sum(),
                  "You added everything into one number: b has one entry per output, each "
                  "with its own adjoint."),
        )),
    Question(
        "cheaper_mode", 2, "function", answer="cheaper_mode", reference=cheaper_mode,
        tutorial="10_arrays_and_jacobians.ipynb#The chain rule on arrays: a product of Jacobians",
        prompt="the mode that forms the Jacobian of f: R^n -> R^m in fewer sweeps, and how many",
        cases=((256, 1), (1, 500), (10, 3)), hidden=((3, 10), (1000, 999)),
        random_case=_random_sizes,
        hint=f"Count the sweeps of each mode: one per row or one per column of the m × n "
             f"Jacobian ({NB10} 4, VJP and JVP: one row, one column, no matrix).",
        wrong=(
            Wrong(lambda n, m: ("forward", n) if m < n else ("reverse", m),
                  "You picked the mode that needs more sweeps: compare the number of "
                  "inputs with the number of outputs again."),
            Wrong(lambda n, m: ("reverse", n) if m < n else ("forward", m),
                  "The mode is right, the count is not: a reverse sweep gives one row of "
                  "the Jacobian (one output), a forward sweep one column (one input)."),
            Wrong(lambda n, m: ("reverse", 1),
                  "One reverse sweep gives the whole Jacobian only when there is one output; "
                  "with more outputs it gives one row."),
        )),
    Question("explain_reverse_mode", 2, "text",
             prompt="why deep learning uses reverse mode and never forms a Jacobian",
             tutorial="10_arrays_and_jacobians.ipynb#VJP and JVP: one row, one column, no matrix"),
)

VARIANTS = Variants(  # each learner's own smoothing; delete the variants= line to turn them off
    default={"smoothing": 0.0}, questions=lambda p: (*QUESTIONS[:-2], *gradient_question(p),
                                                     *QUESTIONS[-2:]),
    draw=lambda rng: {"smoothing": rng.randrange(1, 300) / 1000},  # 0.001 to 0.299
    text=lambda p: {"smoothing = 0.0": f"smoothing = {p['smoothing']!r}",
                    "ε = 0": f"ε = {p['smoothing']:g}"})

EXERCISE = Exercise("jacobians", "Jacobians and backpropagation on arrays",
                    VARIANTS.questions(VARIANTS.default), variants=VARIANTS)
