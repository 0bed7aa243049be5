"""The sweeps of a recorded graph, step by step, read from the engines' own loops.

The reverse sweep is the engine's ``reverse_sweep``, run once per Recording in the
trace's order with its ``steps`` kept (``Sweep``): which node passed what to which input,
in order. The trace's adjoint column, the gradient shares and the steppers of the
explorer and the animation all read those steps; none multiplies an adjoint by a partial
again. The forward sweep's tangents are the engine's own too (``tangents``).

``reverse_steps`` and ``forward_steps`` cut a sweep into the steps a learner steps
through, one node at a time, the same in the explorer and in the animation: at step k
of the reverse sweep the k-th node from the output passes its adjoint back along its
edges; at step k of the forward sweep the k-th node computes its tangent.
"""

import html
import re
from dataclasses import dataclass

from ..core import engine
from ..text import rounded
from .notation import HTML, TEXT, definition, partial_symbol


@dataclass(frozen=True)
class Pass:
    """One edge of the reverse sweep: ``node`` passed ``share`` (its adjoint × the local
    partial; on arrays a vector-Jacobian product) to its input number ``index``, ``arg``,
    whose adjoint is ``total`` after it."""

    node: object
    index: int
    arg: object
    share: object
    total: object


class Sweep:
    """The reverse sweep of a Recording, as the engine ran it: ``passes`` (every edge from
    a variable, in order), ``seed`` (the output's adjoint: 1) and ``adjoint`` (each node's
    adjoint at the end; a node absent from it got none: 0)."""

    def __init__(self, passes, seed, output):
        self.passes, self.seed = passes, seed
        self.adjoint = {output: seed}
        for step in passes:
            self.adjoint[step.arg] = step.total

    def final(self, node):
        """node's adjoint at the end of the sweep (0 if none reached it)."""
        return self.adjoint[node] if node in self.adjoint else zero_of(node)


def record_sweep(recording):
    """Sweep the recorded graph back once, with its engine's own loop, in the trace's
    order, keeping the steps (constants, which get no adjoint, left out)."""
    output, steps = recording.output, []
    seed = zero_of(output) + 1.0  # 1, or an array of ones for a Tensor
    if recording.arrays:
        from ..core import tensor

        with tensor.overflow_checked(output):
            for _ in tensor.reverse_sweep(output, seed, order=recording.order, steps=steps):
                pass
    else:
        engine.reverse_sweep(output, seed, order=recording.order, steps=steps)
    passes = [Pass(node, index, node.inputs[index], share, total)
              for node, index, share, total in steps if not node.inputs[index].is_constant]
    return Sweep(passes, seed, output)


def tangents(recording, seed):
    """Forward mode: each variable's tangent ∂v/∂seed. On Vars, the engine's tangent loop
    over the recorded partials; Tensors carried their tangents through the forward pass
    already (``record``'s seed): they are read."""
    if not recording.arrays:
        return engine.tangents(recording.variables, seed)
    return {node: zero_of(node) if node.tangent is None else node.tangent
            for node in recording.variables}


def zero_of(node):
    """An adjoint or tangent of 0 for node: 0.0, or zeros of the node's shape (made only
    where needed: for a large array they cost as much as its value)."""
    return abs(node.value) * 0.0


# --- The steps a learner steps through ---------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a sweep, as the explorer and the animation show it.

    ``node`` is the id of the node that acted (at step 0, the node that is seeded),
    ``edges`` the edges it used, as ``(source, target, argument index)``; ``values`` maps
    node ids to their adjoints (reverse) or tangents (forward) so far (a node that has
    received nothing yet is absent); ``final`` holds the ids whose value is final;
    ``caption`` is the update in symbols and numbers, one line per edge, and
    ``caption_html`` the same lines written as the trace table writes names (v<sub>1</sub>).
    """

    node: str
    edges: tuple
    values: dict
    final: frozenset
    caption: tuple
    caption_html: tuple


REVERSE_COUNT = "At step k the k-th node from the output passes its adjoint back to its inputs."
FORWARD_COUNT = "At step k the k-th node computes its tangent from its inputs'."

# Captions are written with a slot for each name, {v-1|bar}, filled in per notation.
_SLOT = re.compile(r"\{([^{}|]+)\|(\w*)\}")


def _slot(name, mark=""):
    return f"{{{name}|{mark}}}"


def _step(node, edges, values, final, lines):
    text = tuple(_SLOT.sub(lambda m: TEXT.name(m[1], m[2]), line) for line in lines)
    written = tuple(_SLOT.sub(lambda m: HTML.name(m[1], m[2]), html.escape(line, quote=False))
                    for line in lines)
    return Step(node, tuple(edges), values, frozenset(final), text, written)


def reverse_steps(recording, digits=3):
    """The reverse sweep step by step: step 0 seeds the output's adjoint with 1; at step
    k the k-th node from the output passes its adjoint back along its edges
    (``ū += v̄ · ∂v/∂u``), as the engine's sweep did. An adjoint is final once every user
    of its node has passed. The captions round numbers to ``digits`` decimals."""
    rec, sweep = recording, recording.sweep
    ids, output = rec.ids, rec.output
    slot = {node: _slot(name) for node, name in ids.items()}
    bar = {node: _slot(name, "bar") for node, name in ids.items()}
    waiting = {node: len(rec.users[node]) for node in rec.variables}  # edges still to come
    adjoint = {output: sweep.seed}
    steps = [[ids[output], [], {ids[output]: sweep.seed},
              [ids[n] for n in rec.variables if not waiting[n]],
              [f"The sweep starts at the output: {bar[output]} = 1 "
               "(every other adjoint starts at 0)."]]]
    passing = None  # the node whose step is being written
    for step in sweep.passes:
        node, arg = step.node, step.arg
        if node is not passing:
            passing = node
            steps.append([ids[node], [], None, None, [
                f"{slot[node]} = {definition(node, slot)} passes {bar[node]} = "
                f"{rounded(adjoint[node], digits)} back to its inputs:"]])
        before = adjoint.get(arg)
        adjoint[arg] = step.total
        waiting[arg] -= 1
        steps[-1][1].append((ids[arg], ids[node], step.index))
        line = (f"{bar[arg]} += {bar[node]} · {_partial(slot, node, step.index)}"
                f"{_factors(adjoint[node], node, step.index, digits)} = "
                f"{rounded(step.share, digits)}")
        if before is not None:
            line += f", so {bar[arg]} = {rounded(step.total, digits)}"
        steps[-1][4].append(line + (" (final)" if not waiting[arg] else " (more to come)"))
        steps[-1][2] = {ids[n]: a for n, a in adjoint.items()}
        steps[-1][3] = [ids[n] for n in rec.variables if not waiting[n]]
    gradient = ", ".join(f"{_derivative(rec, node.name or ids[node])} = {bar[node]} = "
                         f"{rounded(sweep.final(node), digits)}"
                         for node in rec.variables if not node.inputs)
    steps[-1][-1].append("Done: every adjoint is final, and the inputs' adjoints are the "
                         f"gradient: {gradient}.")
    return [_step(*step) for step in steps]


def forward_steps(recording, seed, digits=3, entry=()):
    """The forward sweep (forward mode) step by step: step 0 seeds the tangent of the
    input ``seed`` (a node) with 1 and the other inputs' with 0; at step k the k-th
    intermediate in trace order computes its tangent from its arguments'
    (``v̇ = Σ u̇ · ∂v/∂u``). A tangent is final as soon as it is computed. The captions
    round numbers to ``digits`` decimals. On Tensors the seed is the input's ``entry``,
    whose tangents the forward pass carried (``record``'s seed)."""
    rec = recording
    ids, output = rec.ids, rec.output
    slot = {node: _slot(name) for node, name in ids.items()}
    dot = {node: _slot(name, "dot") for node, name in ids.items()}
    leaves = [node for node in rec.variables if not node.inputs]
    tangent = tangents(rec, seed)  # the values; the steps reveal them one at a time
    known = {node: tangent[node] for node in leaves}
    seeds = ", ".join(f"{dot[n]} = {rounded(tangent[n], digits)}" for n in leaves)
    at = f"[{', '.join(map(str, entry))}]" if entry else ""  # the seeded entry of an array
    steps = [[ids[seed], [], {ids[n]: t for n, t in known.items()}, [ids[n] for n in leaves],
              [f"Seeded on {slot[seed]}{at}: {seeds} (a tangent is ∂v/∂{slot[seed]}{at})."]]]
    for node in rec.variables:
        if not node.inputs:
            continue
        terms = [index for index, arg in enumerate(node.inputs) if not arg.is_constant]
        known[node] = tangent[node]
        symbols = " + ".join(f"{dot[node.inputs[i]]} · {_partial(slot, node, i)}" for i in terms)
        numbers = " + ".join(f"{rounded(tangent[node.inputs[i]], digits, factor=True)}"
                             f"{_factors(None, node, i, digits)}" for i in terms)
        steps.append([ids[node], [(ids[node.inputs[i]], ids[node], i) for i in terms],
                      {ids[n]: t for n, t in known.items()}, [ids[n] for n in known],
                      [f"{slot[node]} = {definition(node, slot)}:",
                       f"{dot[node]} = {symbols or '0'}"
                       + (f" = {numbers or '0'}" if not rec.arrays else "")
                       + f" = {rounded(tangent[node], digits)}"]])
    steps[-1][-1].append(
        f"Done: {_derivative(rec, (seed.name or ids[seed]) + at)} = {dot[output]} = "
        f"{rounded(tangent.get(output, zero_of(output)), digits)}; one forward sweep gives the "
        f"derivative by one input ({slot[seed]}{at}).")
    return [_step(*step) for step in steps]


def _factors(adjoint, node, index, digits):
    """`` = 1 · 0.5``: the numbers of a scalar edge's product, the adjoint (if given) and
    the local partial; "" for an array, whose partial is a Jacobian, not one number."""
    if not isinstance(node, engine.Var):
        return ""
    partial = rounded(node.partials[index], digits, factor=True)
    return f" · {partial}" if adjoint is None else \
        f" = {rounded(adjoint, digits, factor=True)} · {partial}"


def _derivative(recording, name):
    """∂y/∂x1: the derivative of the output, as the trace calls it, by an input."""
    return f"∂{_slot(recording.output_name)}/∂{_slot(name)}"


def _partial(slot, node, index):
    """The symbol ∂v/∂u of node's edge from its argument ``index``; "(argument 2)" says
    which use when node uses that argument twice (x*x), as the paths do."""
    arg = node.inputs[index]
    edge = (slot[arg], slot[node], index)
    return partial_symbol(edge, {edge[:2]} if node.inputs.count(arg) > 1 else ())
