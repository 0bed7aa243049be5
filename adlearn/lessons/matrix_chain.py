"""The matrix chain: on arrays, the chain rule is a product of Jacobians.

For a chain of functions y = f_k(⋯ f_2(f_1(x))), where x has n0 entries and f_i gives
n_i of them, the chain rule says that the Jacobian of y with respect to x is the product

    J = J_k ⋯ J_2 J_1,    J_i the Jacobian of f_i at its input: an n_i × n_(i-1) matrix,

so J is n_k × n_0. Matrix products are associative: every order of multiplying gives the
same J, but not at the same cost. Cost here counts multiply-adds: an m × n matrix times
an n × p matrix takes m·n·p of them (each of the m·p entries sums n products).

- Forward mode multiplies from the right, J_k (⋯ (J_3 (J_2 J_1))): it carries the
  derivatives of every intermediate result with respect to the n0 inputs, forward.
- Reverse mode multiplies from the left, ((J_k J_(k-1)) J_(k-2)) ⋯ J_1: it carries the
  derivatives of the n_k outputs with respect to every intermediate result, backward.
- The cheapest order comes from the matrix-chain dynamic program (Cormen, Leiserson,
  Rivest and Stein, *Introduction to Algorithms*, "Matrix-chain multiplication").

AD never forms a J_i as a matrix. A JVP, J v, pushes one vector (n0 entries) through the
chain, J_1 v first; a VJP, uᵀ J, pulls one row vector (n_k entries) back, uᵀ J_k first.
Each step is a matrix-vector product, n_i·n_(i-1) multiply-adds whichever side the vector
is on, so one JVP and one VJP cost the same. The whole Jacobian takes n0 JVPs (a column
each) or n_k VJPs (a row each): with a scalar loss (n_k = 1) one VJP gives the whole
gradient, however many inputs there are. That is why deep learning uses reverse mode.

An elementwise function (tanh, exp, ...) has a diagonal Jacobian: AD applies it in n
multiplications, not n·n. Give such a factor as diagonal and every product with it costs
one multiplication per entry of the result (a diagonal times a diagonal, n); every other
factor counts as a dense matrix.
"""

import html
import re
from dataclasses import dataclass
from numbers import Integral

from ..errors import ShapeError
from ..text import counted


@dataclass(frozen=True)
class Factor:
    """One Jacobian of the chain: its name, its shape ``rows`` × ``cols``, and whether it
    is ``diagonal`` (an elementwise function's: one entry per row)."""

    name: str
    rows: int
    cols: int
    diagonal: bool = False

    @property
    def shape(self):
        return f"{self.rows}×{self.cols}" + (" diagonal" if self.diagonal else "")


@dataclass(frozen=True)
class Cost:
    """One line of the cost table: what is computed (``way``), in which order the
    products are taken (``order``, written out with parentheses) and its multiply-adds."""

    way: str
    order: str
    multiply_adds: int


class MatrixChain:
    """The Jacobian product J_k ⋯ J_1 of a chain and what each way of forming it costs.

    ``factors`` are the Jacobians J_1 .. J_k (in the order they are applied), ``sizes``
    are n0 .. nk. ``forward_cost``, ``reverse_cost`` and ``optimal_cost`` count the
    multiply-adds to form J from the right, from the left and in the cheapest order
    (``forward_order``, ``reverse_order``, ``optimal_order`` write the orders out);
    ``jvp_cost`` and ``vjp_cost`` are those of one vector through the chain, and
    ``forward_sweeps`` (n0) and ``reverse_sweeps`` (nk) how many of them form J.
    ``costs`` holds the cost table as plain data, ``meaning`` what a count means.

    ``str(chain)`` is text, ``chain._repr_html_()`` HTML (shown by Jupyter),
    ``chain.to_latex()`` LaTeX.
    """

    def __init__(self, factors):
        self.factors = tuple(factors)
        self.sizes = (self.factors[0].cols, *(f.rows for f in self.factors))
        n0, nk = self.sizes[0], self.sizes[-1]
        cheapest = _cheapest_splits(self.factors)
        # a JVP is forward mode with a vector v (n0×1) as its first factor, a VJP is
        # reverse mode with a row vector uᵀ (1×nk) as its last
        self._ways = (  # (way, its factors, where it splits a product in two)
            ("forward mode: from the right", self.factors, _from_the_right),
            ("reverse mode: from the left", self.factors, _from_the_left),
            ("cheapest order (dynamic program)", self.factors, lambda i, j: cheapest[i, j]),
            ("one JVP (a column of J)", (Factor("v", n0, 1), *self.factors), _from_the_right),
            ("one VJP (a row of J)", (*self.factors, Factor("uᵀ", 1, nk)), _from_the_left),
        )
        self.forward_cost, self.reverse_cost, self.optimal_cost, self.jvp_cost, \
            self.vjp_cost = (_cost(split, fs) for _, fs, split in self._ways)
        self.forward_sweeps, self.reverse_sweeps = n0, nk
        self.costs = tuple(Cost(*row) for row in self._rows(str, "×"))
        self.forward_order, self.reverse_order, self.optimal_order = (
            c.order for c in self.costs[:3])
        self.meaning = _DENSE + (_DIAGONAL if any(f.diagonal for f in self.factors) else "")
        names = " ".join(f.name for f in reversed(self.factors))
        self.title = (f"The matrix chain J = {names}: J is {nk}×{n0} ({counted(n0, 'input')}, "
                      f"{counted(nk, 'output')}, {counted(len(self.factors), 'Jacobian')})")

    def _rows(self, name, times):
        """The cost table as (way, order, multiply-adds), each factor's name written by
        name(text) and a product of numbers with times."""
        counts = (self.forward_cost, self.reverse_cost, self.optimal_cost, self.jvp_cost,
                  self.vjp_cost)
        for (way, factors, split), count in zip(self._ways, counts):
            order = _written(_products(split, len(factors)), [name(f.name) for f in factors])
            yield way, order, count
        n0, nk = self.forward_sweeps, self.reverse_sweeps
        yield (f"forward mode by JVPs ({counted(n0, 'column')})", f"{n0} {times} {name('JVP')}",
               n0 * self.jvp_cost)
        yield (f"reverse mode by VJPs ({counted(nk, 'row')})", f"{nk} {times} {name('VJP')}",
               nk * self.vjp_cost)

    def __str__(self):
        names = [f.name for f in reversed(self.factors)]
        shapes = [f.shape for f in reversed(self.factors)]
        widths = [max(len(a), len(b)) for a, b in zip(names, shapes)]
        way_width = max(len(c.way) for c in self.costs)
        order_width = max(len(c.order) for c in self.costs)
        number_width = max(len(f"{c.multiply_adds:,}") for c in self.costs)
        lines = [self.title, "",
                 "  J  =  " + "   ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip(),
                 "        " + "   ".join(s.ljust(w) for s, w in zip(shapes, widths)).rstrip(),
                 "", f"Multiply-adds ({self.meaning}):"]
        for cost in self.costs:
            lines.append(f"  {cost.way.ljust(way_width)}  {cost.order.ljust(order_width)}  "
                         f"{cost.multiply_adds:>{number_width},}")
        return "\n".join(lines)

    def _repr_html_(self):
        """Two HTML tables: the product with each factor's shape, then the costs."""
        cell = "<td style='text-align:center;padding:0 8px'>"
        product = (f"<tr>{cell}J</td>{cell}=</td>"
                   + "".join(f"{cell}{html.escape(f.name)}</td>" for f in reversed(self.factors))
                   + f"</tr><tr>{cell}</td>{cell}</td>"
                   + "".join(f"{cell}<small>{f.shape}</small></td>"
                             for f in reversed(self.factors)) + "</tr>")
        left, right = "<td style='text-align:left'>", "<td style='text-align:right'>"
        rows = "".join(f"<tr>{left}{html.escape(c.way)}</td>{left}{html.escape(c.order)}</td>"
                       f"{right}{c.multiply_adds:,}</td></tr>" for c in self.costs)
        return (f"<div class='adlearn-chain'><table style='margin-bottom:8px'>"
                f"<caption>{html.escape(self.title)}</caption><tbody>{product}</tbody></table>"
                f"<table><thead><tr><th style='text-align:left'>way</th>"
                f"<th style='text-align:left'>order</th><th style='text-align:right'>"
                f"multiply-adds</th></tr></thead><tbody>{rows}</tbody></table>"
                f"<p style='font-size:smaller'>Multiply-adds: {html.escape(self.meaning)}.</p>"
                f"</div>")

    def to_latex(self):
        """The product with each factor's shape under it, then a tabular of the costs."""
        product = r"\,".join(rf"\underset{{{_latex_shape(f)}}}{{{_latex_name(f.name)}}}"
                             for f in reversed(self.factors))
        times = r"\times"
        rows = [f"{_latex_text(way)} & ${order}$ & " + f"{count:,}".replace(",", "{,}") + r" \\"
                for way, order, count in self._rows(_latex_name, times)]
        return "\n".join([rf"\[ J = {product} \]", r"\begin{tabular}{llr}", r"\hline",
                          r"way & order & multiply-adds \\", r"\hline", *rows, r"\hline",
                          r"\end{tabular}"])

    def __repr__(self):
        names = " ".join(f.name for f in reversed(self.factors))
        return (f"<MatrixChain {names}: {self.sizes[-1]}×{self.sizes[0]}, "
                f"cheapest {self.optimal_cost:,} multiply-adds>")


MAX_JACOBIANS = 100  # the dynamic program takes a fraction of a second for 100
_DENSE = "an m×n matrix times an n×p matrix costs m·n·p"
_DIAGONAL = "; a product with a diagonal one, one per entry of the result"


def matrix_chain(chain):
    """The Jacobian product J_k ⋯ J_1 of a chain of functions and what forming it costs.

    ``chain`` is either the sizes n0, n1, ..., nk, input first (``[784, 128, 10, 1]``: the
    factors are called J1, J2, ...), or the factors J1, ..., Jk in the order they are
    applied, each ``(name, (rows, columns))``, or ``(name, (n, n), "diagonal")`` for an
    elementwise function's: ``[("W1", (128, 784)), ("tanh", (128, 128), "diagonal"),
    ("W2", (10, 128))]``.
    Returns a ``MatrixChain`` (see the module docstring for what the counts mean). The
    dynamic program takes about k³/6 steps, so a chain has at most ``MAX_JACOBIANS``.
    """
    if isinstance(chain, (str, bytes)) or not hasattr(chain, "__iter__"):
        raise ShapeError(f"a matrix chain is a list of sizes or of (name, (rows, columns)) "
                         f"factors, not {chain!r}")
    chain = list(chain)
    given_factors = chain and isinstance(chain[0], (tuple, list))
    factors = _factors(chain) if given_factors else _factors_from_sizes(chain)
    if len(factors) > MAX_JACOBIANS:
        raise ShapeError(f"a chain of {len(factors)} Jacobians is too long: the dynamic "
                         f"program takes about k³/6 steps for k of them, so adlearn takes "
                         f"at most {MAX_JACOBIANS}")
    return MatrixChain(factors)


def _factors_from_sizes(sizes):
    if len(sizes) < 2:
        raise ShapeError(f"a matrix chain needs at least two sizes, the input's n0 and the "
                         f"output's, but got {sizes}")
    for i, n in enumerate(sizes):
        _check_size(n, f"n{i}")
    return [Factor(f"J{i}", sizes[i], sizes[i - 1]) for i in range(1, len(sizes))]


def _factors(chain):
    factors = []
    for i, item in enumerate(chain, 1):
        try:
            name, (rows, cols), *kind = item
        except (TypeError, ValueError):
            raise ShapeError(f"factor {i} should be (name, (rows, columns)), like the first, "
                             f"but it is {item!r}") from None
        if not isinstance(name, str):
            raise ShapeError(f"factor {i}'s name should be text, not {name!r}")
        if kind not in ([], ["diagonal"]):
            raise ShapeError(f"{name}: after the shape only \"diagonal\" may follow, "
                             f"not {', '.join(map(repr, kind))}")
        _check_size(rows, f"{name}'s rows")
        _check_size(cols, f"{name}'s columns")
        factor = Factor(name, rows, cols, diagonal=bool(kind))
        if factor.diagonal and rows != cols:
            raise ShapeError(f"{name} is {rows}×{cols}, so it cannot be diagonal: a diagonal "
                             f"matrix is square")
        if factors and factor.cols != factors[-1].rows:
            before = factors[-1]
            raise ShapeError(f"{name} is {factor.shape} but {before.name} before it is "
                             f"{before.shape}: {name} takes {before.name}'s {before.rows} "
                             f"outputs, so it needs {before.rows} columns")
        factors.append(factor)
    return factors


def _check_size(n, what):
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise ShapeError(f"{what} should be a whole number, not {n!r}")
    if n < 1:
        raise ShapeError(f"{what} is {n}: a size must be at least 1")


def _cheapest_splits(factors):
    """The matrix-chain dynamic program: ``{(i, j): s}`` for every 1 ≤ i < j ≤ k, where the
    cheapest way to form J_j ⋯ J_i is (J_j ⋯ J_(s+1)) (J_s ⋯ J_i).

    The cost of that way is the cheapest costs of the two parts plus the product of the
    two (for dense matrices n_j·n_s·n_(i-1)); shorter runs come first, so both parts'
    costs are known when a run is reached.
    """
    k = len(factors)
    run = {(i, i): f for i, f in enumerate(factors, 1)}  # J_j ⋯ J_i as one Factor
    cost = {(i, i): 0 for i in range(1, k + 1)}  # a single factor is given: no products
    split = {}
    for length in range(2, k + 1):
        for i in range(1, k - length + 2):
            j = i + length - 1
            cost[i, j], split[i, j] = min(
                (cost[i, s] + cost[s + 1, j] + _multiply_adds(run[s + 1, j], run[i, s]), s)
                for s in range(i, j))
            run[i, j] = _product(run[j, j], run[i, j - 1])
    return split


def _multiply_adds(a, b):
    """The multiply-adds of the matrix product a b (two Factors): one per entry of the
    result and per term of its sum, where a diagonal matrix gives each entry one term."""
    if a.diagonal and b.diagonal:
        return a.rows  # the product is diagonal too: one multiplication per entry
    if a.diagonal or b.diagonal:
        return a.rows * b.cols
    return a.rows * a.cols * b.cols


def _product(a, b):
    """The matrix product a b as a Factor: its shape, diagonal when both are."""
    return Factor("", a.rows, b.cols, a.diagonal and b.diagonal)


def _from_the_right(i, j):
    """Forward mode's split: J_j (J_(j-1) ⋯ J_i)."""
    return j - 1


def _from_the_left(i, j):
    """Reverse mode's split: (J_j ⋯ J_(i+1)) J_i."""
    return i


def _products(split, k):
    """The matrix products of one order of J_k ⋯ J_1, as ``(i, s, j)``: J_j ⋯ J_i formed
    as (J_j ⋯ J_(s+1)) (J_s ⋯ J_i), where ``split(i, j)`` gives s."""
    products, runs = [], [(1, k)]
    while runs:
        i, j = runs.pop()
        if i < j:
            s = split(i, j)
            products.append((i, s, j))
            runs += [(s + 1, j), (i, s)]
    return products


def _cost(split, factors):
    """The multiply-adds of one order of J_k ⋯ J_1: its products' costs, innermost first."""
    run, total = {(i, i): f for i, f in enumerate(factors, 1)}, 0
    for i, s, j in reversed(_products(split, len(factors))):  # each part before its whole
        total += _multiply_adds(run[s + 1, j], run[i, s])
        run[i, j] = _product(run[s + 1, j], run[i, s])
    return total


def _written(products, names):
    """An order written out, J_k first, each product of two or more factors in
    parentheses except the whole: ``(J3 J2) J1``."""
    k = len(names)
    opens, closes = [0] * (k + 1), [0] * (k + 1)
    for i, _, j in products:
        if (i, j) != (1, k):
            opens[j] += 1
            closes[i] += 1
    return " ".join("(" * opens[f] + names[f - 1] + ")" * closes[f] for f in range(k, 0, -1))


def _latex_name(name):
    """J3 as J_{3}, uᵀ as u^{\\top}; any other name as upright text."""
    if name == "uᵀ":
        return r"u^{\top}"
    match = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name)
    if match:
        return f"{match[1]}_{{{match[2]}}}"
    return name if re.fullmatch(r"[A-Za-z]", name) else rf"\mathrm{{{_latex_text(name)}}}"


def _latex_shape(factor):
    diagonal = r"\ \mathrm{diagonal}" if factor.diagonal else ""
    return rf"{factor.rows}\times {factor.cols}{diagonal}"


def _latex_text(text):
    """Text with LaTeX's special characters escaped."""
    special = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
               "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
               "^": r"\textasciicircum{}"}
    return "".join(special.get(c, c) for c in text)
