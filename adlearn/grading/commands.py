"""The grading commands of ``adlearn`` (wired into adlearn.cli), each group in a module of
its own:

- ``adlearn exercises new|build|start|reset|status``: write, build, start and follow
  exercises (exercise_commands.py);
- ``adlearn grade``: grade a class's submissions (grade_command.py);
- ``adlearn report``, ``adlearn export`` and ``adlearn gradescope-autograder``: what the
  grades become, and the grader packed for Gradescope (report_commands.py).

Every argument is checked before anything is graded: a bad one ends the command with
one line and exit status 2. Here are what the commands share: the Jupyter libraries
loaded when needed, with a clear error without them; an output's folder made; the
``--course`` option.
"""

import importlib
from pathlib import Path

from ..errors import GradingError


def add_commands(commands):
    """Add the exercises, grade, report, export and gradescope-autograder subcommands to
    the adlearn command's subparsers."""
    from .exercise_commands import add_exercise_commands
    from .grade_command import add_grade_command
    from .report_commands import add_report_commands

    add_exercise_commands(commands)
    add_grade_command(commands)
    add_report_commands(commands)


def load(module):
    """A grading module that needs the Jupyter libraries, or a clear error without them."""
    try:
        return importlib.import_module(f".{module}", __package__)
    except ImportError as exc:
        raise GradingError(f"this command needs {exc.name}: pip install 'adlearn[grade]'") from None


def make_folder(folder, option):
    """Make the folder an output goes into, if need be (as --feedback does)."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GradingError(f"{option}: cannot make the folder {folder} "
                           f"({exc.strerror or exc})") from None


def add_course(parser, what):
    """Add the --course option to a command's parser; what says which folder it is."""
    parser.add_argument("--course", metavar="DIR", help=f"{what} (default: ./exercises if "
                        "there is one; in a clone of adlearn, its own exercises; an installed "
                        "adlearn holds no reference answer: give the repository's exercises/ "
                        "or a course folder of your own)")
