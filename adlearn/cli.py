"""The ``adlearn`` command: differentiate an expression from the terminal.

    adlearn grad "log(x1) + x1*x2 - sin(x2)" --at x1=2 x2=5

Bad input (a malformed expression, a missing or unknown variable, a value outside a
function's domain) ends with exit status 2 and one clear line, never a traceback.
"""

import argparse
import os
import sys

from . import __version__
from .errors import AdlearnError, ParseError, PathLimitError
from .grading.commands import add_commands as add_grading_commands
from .core.parse import parse
from .text import counted, result_text
from .views.recording import STYLES, Recording
from .views.trace import trace
from .core.transforms import value_and_grad


class UsageError(Exception):
    """A mistake on the command line, reported in one line with exit status 2."""


def values_at(expression, assignments):
    """The values for the expression's variables from ``name=value`` words, in its order."""
    given = {}
    for word in assignments:
        name, sep, number = word.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--at takes name=value pairs such as x1=2, not {word!r}")
        if name in given:
            raise UsageError(f"{name} has two values after --at ({result_text(given[name])} "
                             f"and {number.strip()}): give each variable one")
        try:
            value = float(number)
        except ValueError:
            raise UsageError(f"the value of {name} must be a number, not {number!r}") from None
        if value - value != 0.0:  # inf, -inf, nan; 1e400 is inf
            raise UsageError(f"the value of {name} must be a finite number, not {number!r} "
                             "(the largest float is about 1.8e308)")
        given[name] = value
    unknown = [n for n in given if n not in expression.variables]
    if unknown:
        raise UsageError(f"the expression has no variable {unknown[0]!r} "
                         f"(its variables: {', '.join(expression.variables) or 'none'})")
    missing = [n for n in expression.variables if n not in given]
    if missing:
        raise UsageError(f"no value for {missing[0]}: add {missing[0]}=... after --at")
    return [given[n] for n in expression.variables]


def wrapped(start, items, width=88):
    """start and the items joined by commas, a few to a line, none split over two."""
    lines = [start + items[0]] if items else [start.rstrip()]
    for item in items[1:]:
        if len(lines[-1]) + len(item) + 2 > width:
            lines[-1] += ","
            lines.append(" " * len(start) + item)
        else:
            lines[-1] += f", {item}"
    return "\n".join(lines)


def one_line(exc):
    """An error as one line: a parse error names the column, a domain error the node."""
    if isinstance(exc, ParseError):
        return f"{exc.message} (column {exc.start + 1}: {exc.text[exc.start:exc.end]!r})"
    return " ".join(line.strip() for line in str(exc).splitlines())


def cmd_grad(args):
    """Print the value and the gradient (by reverse mode) of EXPR at the given point."""
    f = parse(args.expr)
    point = values_at(f, args.at)
    value, gradient = value_and_grad(f)(*point)
    at = ", ".join(f"{n}={result_text(x)}" for n, x in zip(f.variables, point))
    print(f"f({at}) = {result_text(value)}   where f = {f.text}")
    for name, g in zip(f.variables, gradient):
        print(f"df/d{name} = {result_text(g)}")


def cmd_trace(args):
    """Print the evaluation trace of EXPR: primal, tangent and adjoint of every variable."""
    f = parse(args.expr)
    print(trace(f, *values_at(f, args.at), seed=args.seed, style=args.style))


def _recorded(args):
    """The Recording of EXPR at the point (inputs named as in EXPR), after backward()."""
    f = parse(args.expr)
    if not f.variables:
        raise UsageError(f"{f.text!r} has no variables: there is nothing to differentiate")
    return Recording.of(f, dict(zip(f.variables, values_at(f, args.at))), style=args.style)


def cmd_paths(args):
    """Print every chain-rule path from an input to EXPR: factors, products and their sum."""
    from .views.paths import PATH_LIMIT, chain_rule_paths, definitions

    limit = PATH_LIMIT if args.limit is None else args.limit
    if limit < 0:
        raise UsageError(f"--limit must be 0 or more, not {limit}")
    recording = _recorded(args)
    listed = []  # all of them first: an error comes before any output
    for name in args.wrt or [x.name for x in recording.inputs]:
        try:
            listed.append((chain_rule_paths(recording, name, limit), recording.find(name)))
        except PathLimitError as exc:
            raise UsageError(
                f"{counted(exc.count, 'chain-rule path', there=True)} from {name}, more than "
                f"--limit {exc.limit:,}: raise --limit, or draw the graph (adlearn draw ... "
                f"--highlight {name}) to see each edge's share of the gradient") from None
    print(wrapped("The graph: ", definitions(recording)))
    for paths, x in listed:
        print(paths)
        print(f"  {x.name}.grad from backward(): {result_text(x.grad)}")


MIN_DPI, MAX_DPI = 10, 1200
MAX_PIXELS = 50_000_000  # about 200 MB of memory to render


def cmd_draw(args):
    """Draw the computation graph of EXPR (optionally its chain-rule paths) to a file."""
    import matplotlib

    matplotlib.use("Agg")  # a file, no window
    from .views.words import save
    from .views.drawing import GraphDrawing

    if not MIN_DPI <= args.dpi <= MAX_DPI:
        raise UsageError(f"--dpi must be between {MIN_DPI} and {MAX_DPI}, not {args.dpi}")
    highlight = "all" if args.highlight == ["all"] else args.highlight or None
    drawing = GraphDrawing(_recorded(args), highlight=highlight)
    width, height = (round(inches * args.dpi) for inches in drawing.ax.figure.get_size_inches())
    if width * height > MAX_PIXELS and not args.output.lower().endswith((".svg", ".pdf")):
        raise UsageError(f"the picture would be {width:,} × {height:,} pixels, more than "
                         f"{MAX_PIXELS:,}: lower --dpi, or write an .svg or .pdf")
    words = drawing.describe()  # the file carries them: an SVG's <title>, <desc>; metadata
    try:
        save(drawing.ax.figure, args.output, *words, dpi=args.dpi, bbox_inches="tight")
    except (OSError, ValueError) as exc:  # a missing folder, an unknown file type
        raise UsageError(f"cannot write {args.output}: {exc}") from None
    print(f"wrote {args.output}")
    if args.describe:
        print("\n".join(words))


def cmd_animate(args):
    """Animate the reverse (or forward) sweep over EXPR, one node at a time, to a GIF/MP4."""
    import matplotlib

    matplotlib.use("Agg")
    from .views.animation import animate

    if not MIN_DPI <= args.dpi <= MAX_DPI:
        raise UsageError(f"--dpi must be between {MIN_DPI} and {MAX_DPI}, not {args.dpi}")
    if args.interval <= 0:
        raise UsageError(f"--interval is milliseconds per frame, more than 0, not {args.interval}")
    animation = animate(_recorded(args), args.sweep, args.wrt, interval=args.interval,
                        dpi=args.dpi)
    width, height = (round(inches * args.dpi) for inches in animation.figure.get_size_inches())
    if width * height > MAX_PIXELS:
        raise UsageError(f"each frame would be {width:,} × {height:,} pixels, more than "
                         f"{MAX_PIXELS:,}: lower --dpi")
    try:
        animation.save(args.output)
    except OSError as exc:  # a missing folder
        raise UsageError(f"cannot write {args.output}: {exc}") from None
    print(f"wrote {args.output} ({counted(len(animation.frames), 'frame')})")
    if args.describe:
        print(f"{animation.title}\n{animation.description}")


def cmd_describe(args):
    """Print the computation graph of EXPR in words: inputs, operations, values, paths."""
    from .views.words import describe

    wrt = "all" if args.wrt == ["all"] else args.wrt or None
    print(describe(_recorded(args), wrt))


def _add_file_args(parser, output, what, dpi, said):
    """-o (the file to write), --dpi and --describe, for a picture or an animation."""
    parser.add_argument("-o", "--output", default=output, help=f"{what} (default: {output})")
    parser.add_argument("--dpi", type=int, default=dpi,
                        help=f"resolution, {MIN_DPI} to {MAX_DPI} (default: {dpi})")
    parser.add_argument("--describe", action="store_true",
                        help=f"also print {said} in words (its alt text)")


def _expression_command(commands, run, styled=True):
    """The subcommand that run (``cmd_trace``: ``trace``) carries out, its help run's
    docstring, with the arguments every expression command takes: the expression, the
    point ``--at`` and, if styled, the node names' ``--style``."""
    parser = commands.add_parser(run.__name__.removeprefix("cmd_"), help=run.__doc__,
                                 description=run.__doc__)
    parser.set_defaults(run=run)
    parser.add_argument("expr", help='the expression, in quotes: "log(x1) + x1*x2 - sin(x2)"')
    parser.add_argument("--at", nargs="*", action="extend", default=[], metavar="NAME=VALUE",
                        help="the point: a value for each variable, such as x1=2 x2=5")
    if styled:
        parser.add_argument("--style", choices=STYLES, default="textbook",
                            help="how nodes are named: textbook (v-1, v0, v1, ...) or intro "
                                 "(x1, x2, x3, ...); default: textbook")
    return parser


def build_parser():
    parser = argparse.ArgumentParser(
        prog="adlearn", description="Learn automatic differentiation: differentiate, trace, "
        "draw and grade from the terminal.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _expression_command(commands, cmd_grad, styled=False)
    trace_ = _expression_command(commands, cmd_trace)
    trace_.add_argument("--seed", metavar="NAME",
                        help="the input whose tangent is 1 in forward mode (default: the first)")
    paths = _expression_command(commands, cmd_paths)
    paths.add_argument("--wrt", nargs="*", metavar="NAME",
                       help="the inputs to start the paths from (default: every input)")
    paths.add_argument("--limit", type=int,
                       help="the most paths to list (default: 1000, adlearn.views.paths.PATH_LIMIT)")
    draw = _expression_command(commands, cmd_draw)
    draw.add_argument("--highlight", nargs="*", metavar="NAME",
                      help="colour the chain-rule paths from these inputs (or: all)")
    _add_file_args(draw, "graph.png", "the picture to write: .png, .svg or .pdf", 150,
                   "what the picture shows")
    animate = _expression_command(commands, cmd_animate)
    animate.add_argument("--sweep", choices=("reverse", "forward"), default="reverse",
                         help="which sweep: reverse (adjoints) or forward (tangents); "
                              "default: reverse")
    animate.add_argument("--wrt", metavar="NAME",
                         help="the input the forward sweep is seeded on (default: the first)")
    animate.add_argument("--interval", type=int, default=1200,
                         help="milliseconds per frame (default: 1200)")
    _add_file_args(animate, "sweep.gif", "the animation to write: .gif, or .mp4 with ffmpeg",
                   80, "the animation")
    describe = _expression_command(commands, cmd_describe)
    describe.add_argument("--wrt", nargs="*", metavar="NAME",
                          help="also say each chain-rule path from these inputs (or: all)")
    add_grading_commands(commands)  # exercises build, grade
    return parser


EXPRESSION_COMMANDS = ("grad", "trace", "paths", "draw")


def expression_not_option(argv):
    """argv with an expression that starts with a minus (``-sin(x)``) kept from being taken
    for an option: argparse takes any word starting with "-" for one, so the word gets a
    space in front (the parser strips it). A ``--`` before the expression is dropped when
    options follow it, which it would otherwise turn into values."""
    words = list(argv)
    if not words or words[0] not in EXPRESSION_COMMANDS:
        return words
    for i, word in enumerate(words[1:], 1):
        if word[:1] == "-" and word[:2] != "--" and word not in ("-h", "-o"):
            words[i] = " " + word
    if "--" in words[1:-2]:
        words.remove("--")
    return words


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    for word in argv:
        if any("\ud800" <= ch <= "\udfff" for ch in word):  # a byte that is not UTF-8
            print(f"adlearn: error: this argument is not UTF-8 text: {word!r}", file=sys.stderr)
            return 2
    args = build_parser().parse_args(expression_not_option(argv))
    try:
        status = args.run(args)  # a command returns 1 when some of its work failed
    except (UsageError, AdlearnError) as exc:
        print(f"adlearn: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (adlearn trace ... | head): fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing to flush
        return 0
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
