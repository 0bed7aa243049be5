"""A tape: the graph of one call of f, kept, and evaluated again at new inputs.

``ad.value_and_grad(f)`` runs f's Python at every call and records a new graph, a node
per operation (define-by-run, as in PyTorch). A training step does the same operations
at every call, only on new weights, so the graph of its first call can be kept. Each
later call writes the new arrays into the graph's input nodes, computes every
operation's value and local partials again in the recorded order, and runs the same
reverse sweep: f's Python does not run and no node is made. AD tools call such a
recording a *tape* (ADOL-C records one and evaluates it at new points); ``jax.jit``
records one the same way, then compiles it. What a replay cannot know, as it does not
run f, is listed in ``tape``'s docstring.
"""

import copy

import numpy as np

from ..errors import AdlearnError, CallError
from .engine import topological_order
from .losses import cross_entropy_parts, cross_entropy_vjp
from .rules import RULES
from .structural import STRUCTURAL, sum_to
from .tensor import Tensor, _times, gradients, inputs_adjoints, seed_for
from .transforms import (_by_position, _is_array, _parameter_names, _positions, _recorded,
                         _value_and_grads, value_and_grad)


def tape(f, argnums=None):
    """``ad.value_and_grad(f)`` for a function of arrays, recorded once and replayed at
    the next calls: ``step = ad.tape(loss)``, then ``value, grads = step(W, b)``.

    The value and the gradient are value_and_grad's, up to rounding; a replay spends its
    time on the arithmetic and the sweep, not on running f's Python and making nodes.
    ``argnums`` and keyword arguments are as for value_and_grad. A call that would record
    with numbers alone to differentiate is value_and_grad's, by the scalar engine (Var),
    which runs f every time.

    A replay does what f did on the call that recorded it, so:

    - a call whose arrays to differentiate have other shapes, or whose other arguments
      have other values than a copy taken before f ran, records again (an argument that
      cannot be copied, or equals only itself, such as a Tensor, at every call);
    - a choice f made on a value (``if loss > 1``, ``x * (x > 0)``), or a value it held
      constant (``ad.stop_gradient``), would stay as it was then: a tape refuses an f
      that compares Tensors or stops a gradient while it records;
    - what f takes from elsewhere than its arguments stays as it was then, and a tape
      cannot tell (pass data, such as a batch, as an argument): the numbers and arrays
      of a closure or a global, a Tensor's ``.value`` (``x[np.argmax(x.value)]``), the
      random numbers f draws (a dropout mask). A Tensor f closes over is read as it is
      now, as value_and_grad reads it. An operation on it made outside f (h = 2 * W,
      before f is recorded) is computed again at a replay, from W as it is now, and
      h.value is overwritten: value_and_grad would read h as it was made;
    - f's Python does not run: what it prints, the lists it appends to, its own checks
      and errors happen when it records, not at a replay;
    - a replay that meets a bad number (the log of a negative entry) records f again,
      so the error is value_and_grad's, naming the node where it happened.

    Where one of these matters, use ``ad.value_and_grad(f)``, which runs f at every call.
    """
    value_and_grad_f = value_and_grad(f, argnums)
    latest = None  # the Tape of the latest recording

    def taped_f(*args, **kwargs):
        nonlocal latest
        _by_position("ad.tape(f)({})", args, kwargs)
        if latest is not None and latest.fits(args, kwargs):
            try:
                value, grads = latest.replay(args)
                return value, grads[0] if isinstance(argnums, int) else grads
            except (AdlearnError, FloatingPointError):
                pass  # its values are half new: record again, out of the except block,
                # so that f's own nodes say what went wrong, and say it alone
        latest = None
        wrt = _positions(argnums, len(args))
        if not any(_is_array(args[i]) for i in wrt):  # numbers: the scalar engine's Vars
            return value_and_grad_f(*args, **kwargs)
        latest = Tape(f, args, kwargs, wrt)
        value, grads = latest.value_and_grad(args)
        return value, grads[0] if isinstance(argnums, int) else grads

    return taped_f


class Tape:
    """One call of f recorded: its input Tensors (the arguments to differentiate), its
    output, its operations each after its inputs, and the other arguments it had."""

    def __init__(self, f, args, kwargs, wrt):
        self.others = _kept(_others(args, wrt)), _kept(kwargs)  # before f may change them
        reads = Tensor.reads
        self.inputs, self.output = _recorded(f, args, kwargs, wrt,
                                             _parameter_names(f, len(args)))
        if Tensor.reads != reads:
            raise CallError(
                "f compared Tensors (as in x > 0, or if loss > 1) or held one's value "
                "constant (ad.stop_gradient) while ad.tape recorded it: a tape replays the "
                "operations of the call that recorded it, so such a value would stay as it "
                "was then, whatever the new inputs. Make a choice an operation (x.relu() "
                "for x * (x > 0)), or use ad.value_and_grad(f), which runs f at every call")
        self.wrt, self.count = wrt, len(args)
        self.shapes = [x.shape for x in self.inputs]
        # the operations each after its inputs: the forward pass computes them in this
        # order, each by its elementwise rule or its structural operation; the sweep
        # goes back through them, passing each one's adjoint on as _sweep_step says
        recorded = [(node, node.inputs) for node in topological_order(self.output)
                    if node.first is not None]
        self.operations = [(node, inputs, RULES.get(node.op), STRUCTURAL.get(node.op))
                           for node, inputs in recorded]
        self.sweep_steps = [_sweep_step(node, inputs) for node, inputs in reversed(recorded)]

    def fits(self, args, kwargs):
        """Whether a call can replay this tape: arrays to differentiate of the recorded
        shapes, and the other arguments equal to the recorded ones."""
        if len(args) != self.count or [_shape(args[i]) for i in self.wrt] != self.shapes:
            return False
        others = _others(args, self.wrt), kwargs
        if not (others[0] or others[1] or self.others[0] or self.others[1]):
            return True  # no other arguments, now or when recorded
        return _equal(others, self.others)

    def value_and_grad(self, args):
        """The output's value and its gradient with respect to the inputs, by one sweep
        (the recording call's, through the graph as ``ad.value_and_grad`` sweeps it)."""
        return _value_and_grads(self.output, gradients(self.output, self.inputs), args,
                                self.wrt)

    @np.errstate(all="raise", under="ignore")  # a bad number raises, as in a new node
    def replay(self, args):
        """f's value and gradient at new arrays: each input Tensor gets its argument, then
        the forward pass and the reverse sweep run over the recorded operations."""
        for x, i in zip(self.inputs, self.wrt):
            x.value = _checked(args[i], x)
        self.forward_pass()
        adjoints = inputs_adjoints(self.inputs, self.reverse_sweep())
        return _value_and_grads(self.output, adjoints, args, self.wrt)

    def forward_pass(self):
        """Each operation's value, and an elementwise one's local partials, computed again
        from its inputs' values, in the recorded order."""
        for node, inputs, rule, structural in self.operations:
            values = [x.value for x in inputs]
            if rule is None:
                value = structural.value(*values, **node.params)
            else:
                value = rule.value(*values)
                node.partials = rule.partials(value, *values)
            node.value = np.asarray(value, dtype=np.float64)  # a 0-d result comes as a scalar

    def reverse_sweep(self):
        """The adjoints, from the output back through the recorded operations: the chain
        rule along each edge as in ``tensor.vjps``, with the edges and the VJPs looked up
        once, when the tape was recorded. Returns {node: adjoint}."""
        adjoints = {self.output: seed_for(self.output, None)}  # ones: one entry, of any shape
        for node, inputs, vjp, edges in self.sweep_steps:
            adjoint = adjoints.pop(node, None)
            if adjoint is None:
                continue
            values = None if vjp is None else [x.value for x in inputs]
            for i, x, shape in edges:
                share = (sum_to(_times(adjoint, node.partials[i]), shape) if vjp is None
                         else vjp(adjoint, i, node, *values))
                before = adjoints.get(x)
                adjoints[x] = share if before is None else before + share
        return adjoints


def _sweep_step(node, inputs):
    """How the sweep passes node's adjoint on: ``(node, inputs, vjp, edges)``, where the
    VJP reads the inputs' values (None for an elementwise rule: the adjoint times the
    local partial), and an edge ``(index, input, shape)`` leads to each input that is
    not a constant. A cross-entropy's loss passes its adjoint straight to the logits, by
    the product of the four VJPs between them (``losses.cross_entropy_vjp``): no one
    reads the adjoints in between, as ``backward()`` would."""
    parts = cross_entropy_parts(node)
    if parts is not None:
        scale, log_probabilities, labels = parts
        logits, scale = log_probabilities.first, scale.value
        return (node, [log_probabilities],
                lambda g, i, node, lp: cross_entropy_vjp(g, scale, lp, labels),
                [] if logits.op == "const" else [(0, logits, logits.shape)])
    vjp = None if node.op in RULES else STRUCTURAL[node.op].vjp
    return node, inputs, vjp, [(i, x, x.shape) for i, x in enumerate(inputs) if x.op != "const"]


def _checked(a, x):
    """Argument a as the value of input Tensor x: a float64 array of finite numbers used
    as it is, anything else checked and converted as a new Tensor's value is."""
    if type(a) is np.ndarray and a.dtype == np.float64 and np.isfinite(a).all():
        return a
    x.__init__(a, x.name)  # the same checks and errors as Tensor(a, name)
    return x.value


def _shape(a):
    """The shape of argument a, or None for nested lists of unequal lengths (recorded
    again, a new Tensor says what is wrong with it)."""
    try:
        return np.shape(a)
    except ValueError:
        return None


def _others(args, wrt):
    """The arguments that are not differentiated."""
    return [a for i, a in enumerate(args) if i not in wrt]


def _kept(value):
    """A copy of arguments not differentiated, to compare later calls' with (one that
    cannot be copied is kept as a new object, equal to nothing: f records every call)."""
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - any object can refuse to be copied, in its own way
        return object()


def _equal(a, b):
    """Whether two arguments are the same: arrays of the same type, shape and entries
    (an array of objects, such as arrays, entry by entry); lists, tuples and dicts of
    equal items; anything else by ==."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if type(a) is not type(b) or a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype == object:
            return all(map(_equal, a.flat, b.flat))
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict):
        return (type(b) is dict and a.keys() == b.keys()
                and all(_equal(a[k], b[k]) for k in a))
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - an == that raises, or gives no truth value
        return False
