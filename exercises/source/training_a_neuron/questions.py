"""Exercise: training a neuron with gradient descent (model, loss, step, training loop),
and the gradient of the cross-entropy loss, derived by hand and coded.

The neuron and the loss are checked through reverse mode: the checker calls them on
``Var`` parameters and compares values *and* gradients, so an answer that only works on
floats (``math.exp`` instead of ``ad.sigmoid``) is caught with its own hint.
"""

import math
import random

from adlearn import Var, sigmoid, value_and_grad
from adlearn.grading.questions import Exercise, Question, Wrong


def predict(w1, w2, b, x1, x2):
    """The reference: the neuron's output sigmoid(w1*x1 + w2*x2 + b)."""
    return sigmoid(w1 * x1 + w2 * x2 + b)


def loss(w1, w2, b, data):
    """The reference: the mean squared error of the neuron on data [(x1, x2, y), ...]."""
    return sum((predict(w1, w2, b, x1, x2) - y) ** 2 for x1, x2, y in data) / len(data)


def gradient_step(params, grads, lr):
    """The reference: one step of gradient descent."""
    return tuple(p - lr * g for p, g in zip(params, grads))


def train(data, steps, lr):
    """The reference: steps of full-batch gradient descent on loss, from (0, 0, 0)."""
    loss_and_grads = value_and_grad(lambda w1, w2, b: loss(w1, w2, b, data))
    params = (0.0, 0.0, 0.0)
    for _ in range(steps):
        _, grads = loss_and_grads(*params)
        params = gradient_step(params, grads, lr)
    return params


def cross_entropy_gradient(w1, w2, b, data):
    """The reference: the gradient (∂L/∂w1, ∂L/∂w2, ∂L/∂b) of the mean cross-entropy L,
    from the formula: each point's ∂ℓ/∂z is p - y, and ∂z/∂(w1, w2, b) = (x1, x2, 1)."""
    return _mean_gradient(lambda p, y: p - y, w1, w2, b, data)


def _mean_gradient(dl_dz, w1, w2, b, data, mean=True):
    """(∂L/∂w1, ∂L/∂w2, ∂L/∂b) for a loss whose ∂ℓ/∂z at a point is dl_dz(p, y)."""
    terms = [(dl_dz(sigmoid(w1 * x1 + w2 * x2 + b), y), x1, x2) for x1, x2, y in data]
    scale = len(data) if mean else 1
    return (sum(g * x1 for g, x1, _ in terms) / scale,
            sum(g * x2 for g, _, x2 in terms) / scale,
            sum(g for g, _, _ in terms) / scale)


def random_data(rng, size=None):
    """Two overlapping groups of labelled points: y = 1 near (c, c), y = 0 near (-c, -c)."""
    centre = rng.uniform(0.5, 1.5)
    size = size or rng.randint(4, 10)
    return [(rng.gauss(sign * centre, 1.0), rng.gauss(sign * centre, 1.0), label)
            for sign, label in ((1, 1), (-1, 0)) for _ in range(size)]


def _params(rng):
    return rng.uniform(-2, 2), rng.uniform(-2, 2), rng.uniform(-1, 1)


def _show_data(args, name="loss"):
    params, data = args[:3], args[3]
    return f"{name}({', '.join(f'{p:.3g}' for p in params)}, data of {len(data)} points)"


def _show_training(args):
    data, steps, lr = args
    return f"train(data of {len(data)} points, steps={steps}, lr={lr:.3g})"


def _predict_float_only(w1, w2, b, x1, x2):
    return 1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + b)))


def _train_uphill(data, steps, lr):
    return train(data, steps, -lr)


def _train_stale_gradient(data, steps, lr):
    """The gradient computed once, at the start, and reused on every step."""
    _, grads = value_and_grad(lambda w1, w2, b: loss(w1, w2, b, data))(0.0, 0.0, 0.0)
    params = (0.0, 0.0, 0.0)
    for _ in range(steps):
        params = gradient_step(params, grads, lr)
    return params


def _train_without_zero_grad(data, steps, lr):
    """Var parameters updated in place, their grads never reset: gradients pile up."""
    params = [Var(0.0), Var(0.0), Var(0.0)]
    for _ in range(steps):
        loss(*params, data).backward()
        for p in params:
            p.value -= lr * p.grad
    return tuple(p.value for p in params)


_DATA = random_data(random.Random(6), size=6)  # the fixed cases' data set

EXERCISE = Exercise("training_a_neuron", "Training a neuron with gradient descent", (
    Question(
        "predict", 1, "function", answer="predict", reference=predict,
        tutorial="08_ad_in_machine_learning.ipynb#A neuron",
        probe="value_and_grad", prompt="the neuron's output sigmoid(w1*x1 + w2*x2 + b)",
        cases=((1.0, 1.0, 0.0, 2.0, 2.0), (0.5, -1.0, 0.3, 1.0, -2.0), (-2.0, 0.5, -1.0, 0.0, 0.0)),
        random_case=lambda rng: (*_params(rng), rng.uniform(-3, 3), rng.uniform(-3, 3)),
        hint="Return the sigmoid of the weighted sum w1*x1 + w2*x2 + b, using ad.sigmoid.",
        wrong=(
            Wrong(lambda w1, w2, b, x1, x2: sigmoid(w1 * x1 + w2 * x2),
                  "The bias b is missing from the weighted sum."),
            Wrong(lambda w1, w2, b, x1, x2: w1 * x1 + w2 * x2 + b,
                  "Squash the weighted sum with the sigmoid, so the output is a probability "
                  "between 0 and 1."),
            Wrong(_predict_float_only,
                  "Your neuron works on floats but not on ad.Var, so reverse mode cannot "
                  "differentiate it: use ad.sigmoid (or ad.exp) instead of math's functions."),
        )),
    Question(
        "loss", 2, "function", answer="loss", reference=loss,
        tutorial="08_ad_in_machine_learning.ipynb#The loss",
        probe="value_and_grad", show=_show_data,
        prompt="the mean squared error of the neuron on a data set",
        cases=((0.0, 0.0, 0.0, _DATA), (1.0, 0.5, -0.2, _DATA), (-1.0, 2.0, 0.5, _DATA[:3])),
        random_case=lambda rng: (*_params(rng), random_data(rng)),
        hint="Average, over the points (x1, x2, y), the squared difference between the "
             "neuron's prediction and the label y.",
        wrong=(
            Wrong(lambda w1, w2, b, data: sum((predict(w1, w2, b, p, q) - y) ** 2
                                              for p, q, y in data),
                  "Take the mean over the data set, not the sum: divide by the number of "
                  "points."),
            Wrong(lambda w1, w2, b, data: sum(predict(w1, w2, b, p, q) - y
                                              for p, q, y in data) / len(data),
                  "Square each error: otherwise errors of opposite signs cancel out."),
            Wrong(lambda w1, w2, b, data: (sum(predict(w1, w2, b, p, q) for p, q, _ in data)
                                           / len(data) - sum(y for *_, y in data) / len(data)) ** 2,
                  "Square the error of each point, then average; you squared the error of "
                  "the averages."),
            Wrong(lambda w1, w2, b, data: math.fsum((predict(w1, w2, b, p, q) - y) ** 2
                                                    for p, q, y in data) / len(data),
                  "Your loss works on floats but not on ad.Var, so reverse mode cannot "
                  "differentiate it: use Python's sum and /, not math.fsum, statistics or "
                  "numpy."),
        )),
    Question(
        "gradient_step", 2, "function", answer="gradient_step", reference=gradient_step,
        tutorial="08_ad_in_machine_learning.ipynb#Gradient descent",
        prompt="one gradient-descent step on a tuple of parameters",
        cases=(((0.0, 0.0, 0.0), (0.5, -0.2, 0.1), 1.0), ((1.0, 2.0, 3.0), (1.0, 1.0, -2.0), 0.1),
               ((-0.5, 0.7, 0.2), (-3.0, 0.4, 0.0), 0.05)),
        random_case=lambda rng: (_params(rng), _params(rng), rng.uniform(0.01, 2)),
        hint="Move each parameter by lr times its partial derivative, in the direction that "
             "makes the loss smaller.",
        wrong=(
            Wrong(lambda params, grads, lr: tuple(p + lr * g for p, g in zip(params, grads)),
                  "You stepped uphill: the gradient points where the loss grows, so step "
                  "against it."),
            Wrong(lambda params, grads, lr: tuple(p - g for p, g in zip(params, grads)),
                  "Scale the step by the learning rate."),
            Wrong(lambda params, grads, lr: tuple(-lr * g for g in grads),
                  "The new parameter is the old one plus the step: keep the old value."),
        )),
    Question(
        "train", 3, "function", answer="train", reference=train, show=_show_training,
        tutorial="08_ad_in_machine_learning.ipynb#Gradient descent",
        tolerance=1e-6, prompt="full-batch gradient descent from (0, 0, 0)",
        cases=((_DATA, 10, 1.0), (_DATA, 25, 0.5), (_DATA[:4], 1, 2.0)),
        random_case=lambda rng: (random_data(rng), rng.randint(2, 15), rng.uniform(0.1, 2)),
        hint="Start from (0.0, 0.0, 0.0); on each of the steps, compute the gradient of the "
             "loss on all the data at the current parameters and take one gradient_step.",
        wrong=(
            Wrong(_train_uphill,
                  "Your training moved uphill: each step should go against the gradient, so "
                  "the loss goes down."),
            Wrong(_train_stale_gradient,
                  "Compute the gradient again at the new parameters on every step: the "
                  "gradient at the start only says where to go first."),
            Wrong(_train_without_zero_grad,
                  "Gradients piled up from step to step: backward() adds into grad, so reset "
                  "the grads before each step (zero_grad), or use ad.value_and_grad."),
        )),
    Question("explain_learning_rate", 2, "text",
             tutorial="08_ad_in_machine_learning.ipynb#Gradient descent",
             prompt="what a too small and a too large learning rate do"),
    Question("derive_cross_entropy_gradient", 3, "text",
             tutorial="08_ad_in_machine_learning.ipynb#The loss",
             prompt="derive ∂L/∂w1, ∂L/∂w2 and ∂L/∂b of the mean cross-entropy by hand"),
    Question(
        "cross_entropy_gradient", 3, "function", answer="cross_entropy_gradient",
        rule="not ad.grad",
        reference=cross_entropy_gradient,
        show=lambda args: _show_data(args, "cross_entropy_gradient"),
        tutorial="08_ad_in_machine_learning.ipynb#The loss",
        prompt="the gradient of the mean cross-entropy, coded from its formula",
        cases=((0.0, 0.0, 0.0, _DATA), (1.0, 0.5, -0.2, _DATA), (-1.0, 2.0, 0.5, _DATA[:3])),
        hidden=((0.3, -1.7, 0.9, _DATA[2:]),),
        random_case=lambda rng: (*_params(rng), random_data(rng)),
        hint="For each point, with p = σ(w1*x1 + w2*x2 + b), follow the chain rule from the "
             "point's loss to z = w1*x1 + w2*x2 + b, then from z to each parameter; average "
             "over the points. Return the tuple (∂L/∂w1, ∂L/∂w2, ∂L/∂b).",
        wrong=(
            Wrong(lambda w1, w2, b, data: _mean_gradient(lambda p, y: y - p, w1, w2, b, data),
                  "Check the sign: that is the gradient of the log-likelihood, which grows "
                  "as the model gets better. The loss is its negative, and gradient descent "
                  "steps against the loss's gradient."),
            Wrong(lambda w1, w2, b, data: _mean_gradient(lambda p, y: p - y, w1, w2, b, data,
                                                         mean=False),
                  "The loss is the mean over the points, so its gradient is the mean of the "
                  "points' gradients: divide by the number of points."),
            Wrong(lambda w1, w2, b, data: _mean_gradient(lambda p, y: 2 * (p - y) * p * (1 - p),
                                                         w1, w2, b, data),
                  "That is the gradient of the squared error of question 2. The "
                  "cross-entropy's ∂ℓ/∂p is -1/p for a label 1 and 1/(1 - p) for a label 0: "
                  "start from there."),
            Wrong(lambda w1, w2, b, data: _mean_gradient(lambda p, y: (p - y) * p * (1 - p),
                                                         w1, w2, b, data),
                  "One factor too many: σ'(z) = p(1 - p) is already inside ∂ℓ/∂z. Multiply "
                  "∂ℓ/∂p by it and see what cancels."),
            Wrong(lambda w1, w2, b, data: (cross_entropy_gradient(w1, w2, b, data)[2],) * 3,
                  "That is ∂L/∂b for every parameter: z = w1*x1 + w2*x2 + b moves by x1 when "
                  "w1 moves by one, so ∂z/∂w1 = x1 enters ∂L/∂w1 (and x2 enters ∂L/∂w2)."),
        )),
))
