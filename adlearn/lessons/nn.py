"""A tiny neural network on reverse mode: a neuron, a layer, a multi-layer perceptron.

A neuron computes ``activation(w1*x1 + ... + wn*xn + b)``. Its weights and its bias are
``Var`` inputs of the graph, so after ``loss.backward()`` each one holds in ``grad`` the
derivative of the loss with respect to it. One step of gradient descent then moves
every parameter a little against its gradient:

    p.value = p.value - learning_rate * p.grad

That is all training is: forward pass, backward sweep, step, and again. Each call of a
model builds a new graph; the parameters are the only Vars that live from step to step.

    model = MLP(2, [8, 1], output_activation="sigmoid")
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    model.zero_grad(); loss.backward(); model.step(0.1)
"""

import random

from ..core.engine import Var
from ..errors import ArgumentError, OverflowDomainError
from ..core.functions import relu, sigmoid, tanh
from ..core.rules import as_real
from ..text import number_text

ACTIVATIONS = {"tanh": tanh, "sigmoid": sigmoid, "relu": relu, "linear": None}


class Module:
    """What every part of a network shares: its parameters, zeroing their gradients,
    and one gradient-descent step."""

    def parameters(self):
        """Every weight and bias, as a list of Vars."""
        return []

    def zero_grad(self):
        """Set every parameter's grad to 0: backward() adds to grad, so clear it first."""
        for p in self.parameters():
            p.grad = 0.0

    def step(self, learning_rate):
        """One step of gradient descent: each parameter moves against its gradient.

        A step that overflows (the learning rate is too large, training diverged)
        changes no parameter and raises an error that says so.
        """
        learning_rate = as_real(learning_rate, "the learning rate")
        params = self.parameters()
        new_values = [p.value - learning_rate * p.grad for p in params]
        _check_finite(params, new_values, learning_rate)
        for p, new in zip(params, new_values):
            p.value = new


class Neuron(Module):
    """``activation(w · x + b)``: a weighted sum of the inputs plus a bias, squashed.

    The weights start uniformly random in [-1, 1] (``seed``: an int, or a
    ``random.Random`` shared by a whole network), the bias at 0. ``activation`` is one
    of "tanh", "sigmoid", "relu" or "linear" (none). Parameters are named w1, w2, ...
    and b, after ``name`` (a layer names its neurons n1., n2., ...).
    """

    def __init__(self, n_inputs, activation="tanh", seed=0, name=""):
        rng = _generator(seed)
        n_inputs = _whole_number(n_inputs, "a neuron's number of inputs")
        self.w = [Var(rng.uniform(-1.0, 1.0), name=f"{name}w{i + 1}") for i in range(n_inputs)]
        self.b = Var(0.0, name=f"{name}b")
        self.activation = _activation(activation)
        self.activation_name = activation

    def __call__(self, x):
        x = _inputs(x, len(self.w), self)
        z = sum((w_i * x_i for w_i, x_i in zip(self.w, x)), self.b)  # b + w1*x1 + w2*x2 ...
        return z if self.activation is None else self.activation(z)

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"Neuron({len(self.w)} inputs, {self.activation_name})"


class Layer(Module):
    """``n_outputs`` neurons, each looking at the same inputs; it returns their outputs."""

    def __init__(self, n_inputs, n_outputs, activation="tanh", seed=0, name=""):
        rng = _generator(seed)
        self.neurons = [Neuron(n_inputs, activation, rng, name=f"{name}n{j + 1}.")
                        for j in range(_whole_number(n_outputs, "a layer's number of neurons"))]
        self.n_inputs = n_inputs

    def __call__(self, x):
        x = _inputs(x, self.n_inputs, self)
        return [neuron(x) for neuron in self.neurons]

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self):
        return f"Layer({self.n_inputs} → {len(self.neurons)}, {self.neurons[0].activation_name})"


class MLP(Module):
    """A multi-layer perceptron: layers one after the other, each feeding the next.

    ``MLP(2, [8, 1])`` takes 2 inputs, has a hidden layer of 8 neurons and an output
    layer of 1. Hidden layers use ``activation``, the last layer ``output_activation``.
    With one output neuron the model returns a Var, otherwise a list of Vars.
    Parameters are named by layer and neuron: L1.n3.w2 is weight 2 of neuron 3 of layer 1.
    """

    def __init__(self, n_inputs, sizes, activation="tanh", output_activation="linear", seed=0):
        rng = random.Random(seed)
        sizes = list(sizes)
        if not sizes:
            raise ArgumentError("an MLP needs at least one layer: sizes such as [8, 1]")
        widths = [n_inputs] + sizes
        self.layers = [
            Layer(widths[k], widths[k + 1],
                  activation if k < len(sizes) - 1 else output_activation, rng, name=f"L{k + 1}.")
            for k in range(len(sizes))
        ]
        self.n_inputs = n_inputs

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        widths = [self.n_inputs] + [len(layer.neurons) for layer in self.layers]
        return f"MLP({' → '.join(map(str, widths))}: {len(self.parameters())} parameters)"


def _check_finite(params, new_values, learning_rate):
    """An error if a step made some parameter too large for a float (inf)."""
    for p, new in zip(params, new_values):
        if new - new != 0.0:  # inf - inf is nan
            raise OverflowDomainError(
                f"gradient descent diverged: {p.name} = {number_text(p.value)} - "
                f"{number_text(learning_rate)} × {number_text(p.grad)} is too large "
                "for a float; try a smaller learning rate")


def _generator(seed):
    """A random number generator: the one given, or a new one seeded with the int given."""
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def _activation(name):
    """The activation function called name (None for "linear"), or a clear error."""
    if name not in ACTIVATIONS:
        raise ArgumentError(f"unknown activation {name!r}: choose one of "
                            f"{', '.join(map(repr, ACTIVATIONS))}")
    return ACTIVATIONS[name]


def _whole_number(n, what):
    """n if it is a whole number of at least 1, else a clear error."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ArgumentError(f"{what} must be a whole number of at least 1, not {n!r}")
    return n


def _inputs(x, count, model):
    """x as a list of count inputs (numbers or Vars), or an error that names the model."""
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise ArgumentError(f"{model!r} takes a list of {count} inputs, not {x!r}")
    if len(x) != count:
        raise ArgumentError(f"{model!r} takes {count} inputs, but got {len(x)}: {list(x)!r}")
    return list(x)
