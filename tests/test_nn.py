"""adlearn.nn: neurons, layers and MLPs on Var, checked against central differences."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adlearn as ad
from adlearn.lessons.nn import MLP, Layer, Neuron

ACTIVATIONS = {"tanh": math.tanh, "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
               "relu": lambda z: max(z, 0.0), "linear": lambda z: z}


def squared_error(model, x, target):
    """A scalar loss of any model: the sum of squared errors of its outputs."""
    out = model(x)
    outputs = out if isinstance(out, list) else [out]
    return sum((o - t) ** 2 for o, t in zip(outputs, target))


def loss_of_parameters(model, x, target):
    """The loss as a float function of the parameter values (for central differences)."""
    params = model.parameters()

    def loss(*values):
        saved = [p.value for p in params]
        for p, v in zip(params, values):
            p.value = v
        try:
            return squared_error(model, x, target).value
        finally:
            for p, v in zip(params, saved):
                p.value = v

    return loss


def assert_gradients_match_central_differences(model, x, target):
    model.zero_grad()
    squared_error(model, x, target).backward()
    params = model.parameters()
    numeric = ad.numeric_grad(loss_of_parameters(model, x, target), *(p.value for p in params))
    for p, n in zip(params, numeric):
        assert p.grad == pytest.approx(n, rel=1e-6, abs=1e-7), p.name


def test_a_neuron_computes_activation_of_weighted_sum_plus_bias():
    for name, act in ACTIVATIONS.items():
        neuron = Neuron(3, activation=name, seed=1)
        neuron.b.value = 0.25
        w = [p.value for p in neuron.w]
        x = [0.5, -1.5, 2.0]
        expected = act(sum(wi * xi for wi, xi in zip(w, x)) + 0.25)
        assert neuron(x).value == pytest.approx(expected, rel=1e-12)


def test_an_mlp_is_its_layers_one_after_the_other():
    mlp = MLP(2, [3, 2], activation="tanh", output_activation="linear", seed=4)
    x = [0.3, -0.7]
    hidden = [math.tanh(sum(w.value * xi for w, xi in zip(n.w, x)) + n.b.value)
              for n in mlp.layers[0].neurons]
    expected = [sum(w.value * h for w, h in zip(n.w, hidden)) + n.b.value
                for n in mlp.layers[1].neurons]
    assert [o.value for o in mlp(x)] == pytest.approx(expected, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6),
       x=st.lists(st.floats(-2, 2, allow_nan=False), min_size=2, max_size=2),
       target=st.floats(-1, 1, allow_nan=False),
       activation=st.sampled_from(["tanh", "sigmoid", "linear"]))
def test_mlp_gradients_match_central_differences(seed, x, target, activation):
    mlp = MLP(2, [3, 1], activation=activation, output_activation="sigmoid", seed=seed)
    assert_gradients_match_central_differences(mlp, x, [target])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6),
       x=st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3))
def test_layer_and_neuron_gradients_match_central_differences(seed, x):
    assert_gradients_match_central_differences(Layer(3, 2, "tanh", seed=seed), x, [0.5, -0.5])
    assert_gradients_match_central_differences(Neuron(3, "sigmoid", seed=seed), x, [1.0])


def test_relu_gradients_away_from_the_kink():
    mlp = MLP(2, [4, 1], activation="relu", seed=3)
    x = [0.8, -0.3]
    pre_activations = [sum(w.value * xi for w, xi in zip(n.w, x)) + n.b.value
                       for n in mlp.layers[0].neurons]
    assert min(abs(z) for z in pre_activations) > 1e-3  # central differences stay on one side
    assert_gradients_match_central_differences(mlp, x, [0.2])


def test_inputs_may_be_vars_and_get_gradients_too():
    neuron = Neuron(2, "linear", seed=0)
    x1, x2 = ad.Var(1.0, name="x1"), ad.Var(2.0, name="x2")
    neuron([x1, x2]).backward()
    assert (x1.grad, x2.grad) == (neuron.w[0].value, neuron.w[1].value)


def test_parameters_are_every_weight_and_bias_with_distinct_names():
    mlp = MLP(2, [8, 1])
    params = mlp.parameters()
    assert len(params) == (2 * 8 + 8) + (8 + 1) == 33
    assert len({p.name for p in params}) == 33
    assert "L1.n3.w2" in {p.name for p in params}
    assert repr(mlp) == "MLP(2 → 8 → 1: 33 parameters)"


def test_the_seed_decides_the_initial_weights():
    values = lambda m: [p.value for p in m.parameters()]  # noqa: E731
    assert values(MLP(2, [4, 1], seed=7)) == values(MLP(2, [4, 1], seed=7))
    assert values(MLP(2, [4, 1], seed=7)) != values(MLP(2, [4, 1], seed=8))
    neurons = MLP(2, [4, 1]).layers[0].neurons
    assert len({n.w[0].value for n in neurons}) == 4  # neurons of a layer start different
    assert all(-1 <= p.value <= 1 for p in MLP(3, [5, 5, 1]).parameters())


def test_zero_grad_clears_the_accumulated_adjoints():
    neuron = Neuron(2, "tanh", seed=2)
    loss = squared_error(neuron, [1.0, -1.0], [0.5])
    loss.backward()
    once = [p.grad for p in neuron.parameters()]
    assert any(once)
    loss.backward()  # adjoints accumulate: twice the gradient
    assert [p.grad for p in neuron.parameters()] == pytest.approx([2 * g for g in once])
    neuron.zero_grad()
    assert [p.grad for p in neuron.parameters()] == [0.0, 0.0, 0.0]


def test_a_step_moves_each_parameter_against_its_gradient():
    mlp = MLP(2, [3, 1], seed=5)
    x, target = [0.4, 0.9], [2.0]
    loss = squared_error(mlp, x, target)
    loss.backward()
    before = [(p.value, p.grad) for p in mlp.parameters()]
    mlp.step(0.01)
    assert [p.value for p in mlp.parameters()] == [v - 0.01 * g for v, g in before]
    assert squared_error(mlp, x, target).value < loss.value  # a small step goes downhill


def test_a_tiny_training_run_drops_the_loss():
    rng = random.Random(0)
    points = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(20)]
    data = [(p, 1.0 if p[0] * p[1] > 0 else 0.0) for p in points]  # XOR-like: not linear
    mlp = MLP(2, [6, 1], output_activation="sigmoid", seed=1)

    def loss():
        return sum((mlp(x) - y) ** 2 for x, y in data) / len(data)

    losses = []
    for _ in range(150):
        current = loss()
        mlp.zero_grad()
        current.backward()
        mlp.step(2.0)
        losses.append(current.value)
    assert losses[-1] < 0.5 * losses[0]
    accuracy = sum((mlp(x).value > 0.5) == (y == 1.0) for x, y in data) / len(data)
    assert accuracy >= 0.8


def test_diverging_step_raises_and_leaves_parameters_unchanged():
    neuron = Neuron(1, "linear", seed=0)
    neuron.w[0].grad, neuron.b.grad = 1.0, 1e308
    before = [p.value for p in neuron.parameters()]
    message = r"diverged: b = 0 - 10000000000 × 1e\+308 is too large for a float"
    with pytest.raises(ad.errors.OverflowDomainError, match=message):
        neuron.step(1e10)
    assert [p.value for p in neuron.parameters()] == before


@pytest.mark.parametrize("make, message", [
    (lambda: Neuron(2, activation="softmax"), "unknown activation 'softmax': choose one of"),
    (lambda: Neuron(0), "a neuron's number of inputs must be a whole number of at least 1"),
    (lambda: Layer(2, 2.5), "a layer's number of neurons must be a whole number"),
    (lambda: MLP(2, []), "an MLP needs at least one layer"),
    (lambda: Neuron(2)([1.0, 2.0, 3.0]), r"Neuron\(2 inputs, tanh\) takes 2 inputs, but got 3"),
    (lambda: MLP(3, [2, 1])(0.5), r"Layer\(3 → 2, tanh\) takes a list of 3 inputs, not 0.5"),
])
def test_bad_arguments_get_clear_errors(make, message):
    with pytest.raises(ad.errors.ArgumentError, match=message):
        make()


def test_a_learning_rate_must_be_a_number():
    with pytest.raises(ad.errors.NotANumberError, match="the learning rate must be a real number"):
        Neuron(1).step("0.1")


def test_nn_is_reachable_from_the_package_without_heavy_imports():
    assert ad.nn.MLP is MLP
