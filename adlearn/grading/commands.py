"""The ``adlearn exercises build`` and ``adlearn grade`` commands (wired into adlearn.cli).

    adlearn exercises build [--check] [--root DIR]
    adlearn grade EXERCISE SUBMISSIONS... -o grades.csv [-j N] [--timeout S] [--feedback DIR]
"""

import importlib

from ..errors import GradingError
from .limits import Limits


def _load(module):
    """A grading module that needs the Jupyter libraries, or a clear error without them."""
    try:
        return importlib.import_module(f".{module}", __package__)
    except ImportError as exc:
        raise GradingError(f"this command needs {exc.name}: pip install 'adlearn[grade]'") from None


def cmd_exercises_build(args):
    """Validate every exercise source and write its student version into exercises/."""
    notebooks = _load("notebooks")

    root = args.root or notebooks.default_root()
    changed = notebooks.build(root, check_only=args.check)
    if args.check and changed:
        raise GradingError(f"student versions out of date with their sources: "
                           f"{', '.join(changed)} (run: adlearn exercises build)")
    names = notebooks.sources(root)
    verb = "would rewrite" if args.check else "wrote"
    print(f"{len(names)} exercises checked in {root}; {verb} {len(changed)}: "
          f"{', '.join(changed) or 'none (all up to date)'}")


def cmd_grade(args):
    """Grade submitted notebooks of one exercise, each in a fresh kernel; write a CSV."""
    batch = _load("batch")

    exercise, template = batch.find_template(args.exercise)
    limits = Limits(timeout=args.timeout, memory_mb=args.memory, cpu_seconds=args.cpu)
    grades = batch.grade(exercise, template, args.submissions, jobs=args.jobs, limits=limits)
    batch.write_csv(grades, exercise, args.output)
    if args.feedback:
        batch.write_feedback(grades, exercise, args.feedback)
    for g in grades:
        problems = sorted({m.status for m in g.marks.values()} - {"passed", "manual"})
        print(f"{g.total:g}/{exercise.possible:g}  {g.submission}"
              + (f"  ({', '.join(problems)})" if problems else ""))
    print(f"wrote {args.output}" + (f" and feedback in {args.feedback}" if args.feedback else ""))


def add_commands(commands):
    """Add the exercises and grade subcommands to the adlearn command's subparsers."""
    exercises = commands.add_parser("exercises", help="build the student exercise notebooks")
    actions = exercises.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help=cmd_exercises_build.__doc__,
                               description=cmd_exercises_build.__doc__)
    build.add_argument("--check", action="store_true",
                       help="write nothing; fail if a student version is out of date")
    build.add_argument("--root", help="the exercises folder (default: ./exercises)")
    build.set_defaults(run=cmd_exercises_build)

    grade = commands.add_parser("grade", help=cmd_grade.__doc__, description=cmd_grade.__doc__)
    grade.add_argument("exercise", help="the exercise's name (finite_differences) or the "
                       "path of its student notebook")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="submitted notebooks, or folders to search for *.ipynb")
    grade.add_argument("-o", "--output", required=True, help="the CSV file to write")
    grade.add_argument("-j", "--jobs", type=int, default=2,
                       help="submissions graded at the same time (default: 2)")
    grade.add_argument("--timeout", type=float, default=Limits.timeout,
                       help="seconds a cell may run before it is interrupted "
                       "(default: %(default)g)")
    grade.add_argument("--memory", type=int, default=Limits.memory_mb, metavar="MB",
                       help="memory limit of each kernel in MB (default: %(default)s)")
    grade.add_argument("--cpu", type=int, default=Limits.cpu_seconds, metavar="SECONDS",
                       help="CPU-time limit of each kernel in seconds (default: %(default)s)")
    grade.add_argument("--feedback", metavar="DIR",
                       help="also write one markdown feedback file per submission into DIR")
    grade.set_defaults(run=cmd_grade)
