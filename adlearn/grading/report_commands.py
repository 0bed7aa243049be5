"""What the grades become, and the grader packed for Gradescope.

    adlearn report grades.csv [-o report.html] [--course DIR]
    adlearn export grades.csv --to canvas|moodle|gradescope -o FILE [--course DIR]
    adlearn gradescope-autograder EXERCISE -o autograder.zip [--course DIR]

``report`` writes one HTML page of what the class got wrong (report.py), ``export`` the
scores as a gradebook imports them (export.py), ``gradescope-autograder`` the zip with
which Gradescope grades each submission by adlearn grade (gradescope.py).
"""

from pathlib import Path

from ..text import counted
from .commands import add_course, load, make_folder
from .course import default_root


def cmd_report(args):
    """Write a class's report from a grades CSV: one HTML page of what the class got wrong."""
    report = load("report")
    output = args.output or str(Path(args.grades).with_suffix(".html"))
    make_folder(Path(output).parent, f"-o {output}")
    summary = report.write_report(args.grades, output, args.course)
    print(f"wrote {output}: {counted(len(summary.rows), 'submission')} of "
          f"{summary.exercise.name}; "
          f"known mistakes that fired: {len(summary.misconceptions)}; submissions to read "
          f"by hand: {len(summary.to_read)}")


def cmd_export(args):
    """Write a grades CSV's scores as Canvas, Moodle or Gradescope import them."""
    export = load("export")
    count = export.export(args.grades, args.to, args.output, args.course, args.assignment)
    print(f"wrote {args.output}: {counted(count, 'submission')} for {args.to}")


def cmd_gradescope_autograder(args):
    """Write the autograder zip Gradescope runs: it grades each submission with adlearn."""
    from .gradescope import build_zip

    root = Path(args.course) if args.course else default_root()
    build_zip(args.exercise, root, args.output, args.wheel, args.options)
    print(f"wrote {args.output}: upload it as the assignment's autograder (Gradescope: "
          "Configure Autograder, Zip file upload)")


def add_report_commands(commands):
    """Add the report, export and gradescope-autograder subcommands."""
    report = commands.add_parser("report", help=cmd_report.__doc__,
                                 description=cmd_report.__doc__)
    report.add_argument("grades", help="the CSV that adlearn grade wrote (its record, "
                        "grades.jsonl, is read from beside it if it is there)")
    report.add_argument("-o", "--output", help="the HTML file to write (default: the "
                        "CSV's name with .html)")
    add_course(report, "the course folder whose question tables graded it (by default "
               "the one its record names)")
    report.set_defaults(run=cmd_report)
    export = commands.add_parser("export", help=cmd_export.__doc__,
                                 description=cmd_export.__doc__)
    export.add_argument("grades", help="the CSV that adlearn grade wrote (with --roster, "
                        "so that each submission has its student)")
    export.add_argument("--to", required=True, choices=("canvas", "moodle", "gradescope"),
                        help="the system to import them: canvas (gradebook CSV), moodle "
                        "(grade import CSV) or gradescope (results.json per submission)")
    export.add_argument("-o", "--output", required=True, help="the file to write (for "
                        "gradescope: a folder, or a .json file for one submission)")
    export.add_argument("--assignment", metavar="NAME", help="the assignment's name in "
                        "the gradebook (default: the exercise's title)")
    add_course(export, "the course folder whose question tables graded it")
    export.set_defaults(run=cmd_export)
    zipped = commands.add_parser("gradescope-autograder", help=cmd_gradescope_autograder.__doc__,
                                 description=cmd_gradescope_autograder.__doc__)
    zipped.add_argument("exercise", help="the exercise's name (finite_differences)")
    zipped.add_argument("-o", "--output", required=True, help="the zip file to write")
    zipped.add_argument("--wheel", metavar="FILE", help="an adlearn wheel to install in "
                        "the image (default: adlearn of this version from PyPI)")
    zipped.add_argument("--options", default="", metavar="'OPTIONS'", help="more options "
                        "of adlearn grade, in quotes ('--timeout 30 --memory 1024')")
    add_course(zipped, "the course folder that has the exercise")
    zipped.set_defaults(run=cmd_gradescope_autograder)
