"""The ``adlearn exercises`` commands: an instructor writes and builds exercises, a
learner starts, resets and follows their own.

    adlearn exercises new NAME [--course DIR]
    adlearn exercises build [--check] [--course DIR]
    adlearn exercises start NAME --student ID [DIR] [--course DIR]
    adlearn exercises reset NAME [DIR]
    adlearn exercises status [DIR]
"""

from pathlib import Path

from ..errors import GradingError
from ..text import counted
from .commands import add_course, load
from .course import default_root


def cmd_exercises_new(args):
    """Start a new exercise in a course folder: a source notebook and its question table
    that build and grade as they are, with the places to make it your own marked TODO."""
    from .course import scaffold

    root = Path(args.course)
    written = scaffold(root, args.name)
    print(f"wrote {', '.join(map(str, written))}\nnext: make them your own (see the TODOs), "
          f"then run: adlearn exercises build --course {root}")


def cmd_exercises_build(args):
    """Validate every exercise source; write its student version and its check data."""
    notebooks = load("notebooks")
    from .course import names

    root = Path(args.course) if args.course else default_root()
    changed = notebooks.build(root, check_only=args.check)
    if args.check and changed:
        raise GradingError(f"student versions out of date with their sources: "
                           f"{', '.join(changed)} (run: adlearn exercises build)")
    verb = "would rewrite" if args.check else "wrote"
    print(f"{counted(len(names(root)), 'exercise')} checked in {root}; {verb} {len(changed)}: "
          f"{', '.join(changed) or 'none (all up to date)'}")


def cmd_exercises_start(args):
    """Copy an exercise's notebook into your working folder, with your own variant's
    numbers (--student: your student id, needed when the exercise has variants)."""
    from .learner import start

    path, variant = start(args.name, args.student, args.folder, args.course)
    print(f"wrote {path}" + (f" (variant {variant} of {args.name})" if variant else "")
          + f"\nnext: open it in Jupyter from {args.folder} and replace each "
          "`raise NotImplementedError()`")


def cmd_exercises_reset(args):
    """Get a fresh copy of an exercise you started (your variant); the old notebook is
    kept beside it."""
    from .learner import reset

    path, kept = reset(args.name, args.folder)
    print(f"wrote a fresh {path}" + (f"; your old notebook is now {kept}" if kept else ""))


def cmd_exercises_status(args):
    """Show, per exercise you started here, which questions passed your last check."""
    from .learner import status

    print("\n".join(status(args.folder)))


def add_exercise_commands(commands):
    """Add the exercises subcommand and its actions to the adlearn command's subparsers."""
    exercises = commands.add_parser("exercises", help="write new exercises and build the "
                                    "student exercise notebooks; start, reset and follow "
                                    "your own")
    actions = exercises.add_subparsers(dest="action", required=True, metavar="ACTION")
    new = actions.add_parser("new", help=cmd_exercises_new.__doc__,
                             description=cmd_exercises_new.__doc__)
    new.add_argument("name", help="the exercise's name, a Python name (power_rule)")
    new.add_argument("--course", metavar="DIR", default="exercises", help="the course "
                     "folder to add it to, made if need be (default: ./exercises)")
    new.set_defaults(run=cmd_exercises_new)
    build = actions.add_parser("build", help=cmd_exercises_build.__doc__,
                               description=cmd_exercises_build.__doc__)
    build.add_argument("--check", action="store_true",
                       help="write nothing; fail if a student version is out of date")
    add_course(build, "the course folder")
    build.set_defaults(run=cmd_exercises_build)
    start = actions.add_parser("start", help=cmd_exercises_start.__doc__,
                               description=cmd_exercises_start.__doc__)
    start.add_argument("name", help="the exercise's name (derivatives_by_hand)")
    start.add_argument("folder", nargs="?", default=".", metavar="DIR",
                       help="your working folder (default: the current folder)")
    start.add_argument("--student", metavar="ID", help="your student id, as your "
                       "instructor gave it (your notebook's numbers follow from it)")
    start.add_argument("--course", metavar="DIR", help="an instructor's course folder "
                       "(default: adlearn's own exercises)")
    start.set_defaults(run=cmd_exercises_start)
    for run, what in ((cmd_exercises_reset, "reset"), (cmd_exercises_status, "status")):
        action = actions.add_parser(what, help=run.__doc__, description=run.__doc__)
        if run is cmd_exercises_reset:
            action.add_argument("name", help="the exercise's name")
        action.add_argument("folder", nargs="?", default=".", metavar="DIR",
                            help="your working folder (default: the current folder)")
        action.set_defaults(run=run)
