"""The ``adlearn grade`` command: grade a class's submitted notebooks of one exercise,
each in a fresh sandboxed kernel (batch.py), and write the CSV, the feedback, the
written answers and their points sheets.

    adlearn grade EXERCISE SUBMISSIONS... -o grades.csv [--course DIR] [-j N] [--timeout S]
                  [--budget S] [--memory MB] [--disk MB] [--cpu S] [--feedback DIR]
                  [--answers DIR] [--manual DIR] [--roster CSV] [--deadline TIME
                  [--late POLICY]] [--no-sandbox] [--resume]
                  [--scheduler ADDRESS | local:N [--dashboard]]

A grade that the grader failed on (a file it could not read, a worker that stopped)
makes its exit status 1. A grader stopped by SIGTERM, SIGINT (Ctrl-C) or SIGHUP ends its
workers and their sandboxes at once, keeps what it graded in its record and exits with
status 128 + the signal's number.
"""

import math
import os
import sys
from contextlib import ExitStack
from pathlib import Path

from ..errors import GradingError
from ..text import counted
from .commands import add_course, load, make_folder
from .limits import START_SECONDS, Limits

MIN_MEMORY_MB = 256  # a Python kernel with adlearn needs about this much to start
MIN_DISK_MB = 16  # its IPython profile, history and the notebook's copy
MIN_BUDGET = 10  # seconds: a sandboxed kernel's start on a busy machine


def _number(text, kind, low, what):
    """text as a finite number of kind (int, float), at least low; else GradingError."""
    try:
        value = kind(text)
    except ValueError:
        raise GradingError(f"{what} must be {'a whole' if kind is int else 'a'} number, "
                           f"not {text!r}") from None
    if not math.isfinite(value) or value < low:
        raise GradingError(f"{what} must be a number of at least {low:g}, not {text}")
    return value


def _check_paths(args):
    """The output paths must be writable where they point, before grading starts."""
    output = Path(args.output)
    if output.is_dir():
        raise GradingError(f"-o {output}: is a folder; give the CSV file to write")
    if output.suffix == ".jsonl":
        raise GradingError(f"-o {output}: the record of the grades is kept in a .jsonl file "
                           "beside the CSV; give the CSV a .csv name")
    make_folder(output.parent, f"-o {output}")
    if not os.access(output.parent, os.W_OK):
        raise GradingError(f"-o {output}: cannot write into {output.parent}")
    if args.manual and not Path(args.manual).is_dir():
        raise GradingError(f"--manual {args.manual}: no such folder (adlearn grade ... "
                           "--answers DIR writes the points sheets into DIR)")
    for option, folder in (("--feedback", args.feedback), ("--answers", args.answers)):
        if folder and Path(folder).exists() and not Path(folder).is_dir():
            raise GradingError(f"{option} {folder}: is a file; give a folder to write into")


def cmd_grade(args):
    """Grade submitted notebooks of one exercise, each in a fresh sandboxed kernel; write a CSV."""
    batch = load("batch")
    load("worker")  # the worker's libraries (nbclient) must be there too
    from . import manual
    from .course import stale_check_data
    from .records import Record, record_path, recorded_course
    from .sandbox import available
    from .submissions import find_template, shown, submission_files
    from .writers import keys, points, write_answers, write_csv, write_feedback

    jobs = _number(args.jobs, int, 1, "-j")
    limits = Limits(timeout=_number(args.timeout, float, 0.1, "--timeout"),
                    memory_mb=_number(args.memory, int, MIN_MEMORY_MB, "--memory"),
                    cpu_seconds=_number(args.cpu, int, 1, "--cpu"),
                    disk_mb=_number(args.disk, int, MIN_DISK_MB, "--disk"),
                    budget=_number(args.budget, float, MIN_BUDGET, "--budget") if args.budget
                    else 0)
    _check_paths(args)
    if not args.no_sandbox:
        missing = available()
        if missing:
            raise GradingError(f"{missing}; without a sandbox the learners' code could read "
                               "the references and other submissions: add --no-sandbox "
                               "to grade anyway")
    recorded = recorded_course(record_path(args.output)) if args.resume else ""
    exercise, template, root = find_template(args.exercise, args.course or recorded or None)
    if stale_check_data(root, exercise.name):
        print(f"the check data of {exercise.name} is stale: it is not what its question table "
              "gives now (changed since the build?), so the learners' check judges by another "
              f"(run: adlearn exercises build --course {root})", file=sys.stderr)
    term = _term(args)
    files = submission_files(args.submissions, say=lambda line: None)  # before the
    # record opens; the workers start up while the rest (a LocalCluster, say) does
    if term.roster:
        _say_missing(term.roster, files)
    sheets = manual.read_sheets(args.manual, exercise, keys(files, term)) if args.manual \
        else {}
    try:
        with ExitStack() as stack:
            stack.enter_context(batch.stopped_by_signals())
            batch.start_workers(min(batch.local_slots(args.scheduler, jobs), len(files)),
                                exercise, template, root, limits, sandboxed=not args.no_sandbox)
            pool = stack.enter_context(batch.executor(args.scheduler, jobs, args.dashboard))
            record = Record(exercise, record_path(args.output), args.resume, root)
            stack.callback(record.close)
            grades = batch.grade(exercise, template, root, args.submissions, limits=limits,
                                 sandboxed=not args.no_sandbox, record=record, pool=pool,
                                 progress=batch.Progress(sys.stderr),
                                 student_of=term.student_id)
            if sheets:
                grades, changed = manual.apply(grades, exercise, sheets, term)
                for g in changed:
                    record.add(g)
    except batch.Stopped as stopped:
        print(f"adlearn grade: {stopped}; what was graded is in {record_path(args.output)} "
              "(run the same command with --resume to grade the rest)", file=sys.stderr)
        raise SystemExit(128 + stopped.signal) from None
    write_csv(grades, exercise, args.output, term)
    failed = []
    if args.feedback:
        failed += write_feedback(grades, exercise, args.feedback, term=term)
    if args.answers:
        failed += write_answers(grades, exercise, args.answers, term=term)
        failed += manual.write_sheets(grades, exercise, args.answers, term)
    for g in grades:
        s = term.scores(g, exercise)
        problems = sorted({m.status for m in g.marks.values()} - {"passed", "manual",
                                                                  "graded by hand"})
        print(f"{points(s.autograded)}/{points(exercise.possible)}  {shown(g.submission)}"
              + (f"  {points(s.by_hand)} by hand" if s.by_hand is not None else "")
              + (f"  {counted(s.late.days, 'day')} late: -{points(s.penalty)}" if s.late and s.late.days
                 else "")
              + (f"  ({', '.join(problems)})" if problems else ""))
    if sheets:
        print(f"points by hand from {args.manual}: "
              f"{counted(sum(len(given) for given in sheets.values()), 'answer')}")
    written = [args.output] + [f"{what} in {folder}" for what, folder in (
        ("feedback", args.feedback), ("written answers", args.answers)) if folder]
    print("wrote " + ", ".join(written)
          + (f"; could not write {counted(len(failed), 'file')} (see above)" if failed else ""))
    regrade = sum(g.graders_fault for g in grades)
    if regrade:
        print(f"the grader failed on {counted(regrade, 'submission')} (status 'grader error', "
              "not the learners'): run the same command with --resume to grade them again")
        return 1


def _term(args):
    """The roster, the deadline and the late policy the options give, as a Term."""
    from .late import parse_policy, parse_time
    from .roster import read_roster
    from .term import Term

    if args.late and not args.deadline:
        raise GradingError(f"--late {args.late}: give the --deadline it counts from")
    return Term(read_roster(args.roster) if args.roster else None,
                parse_time(args.deadline, "--deadline") if args.deadline else None,
                parse_policy(args.late or "none"))


def _say_missing(roster, files):
    """List the submissions that no roster line names, and the students with none."""
    from .submissions import shown

    strays, absent = roster.missing(files)
    if strays:
        print(f"not in the roster {roster.path} ({len(strays)}): "
              + ", ".join(shown(str(p)) for p in strays))
    if absent:
        print(f"in the roster, no submission ({len(absent)}): "
              + ", ".join(f"{s.id} ({s.folder})" for s in absent))


def add_grade_command(commands):
    """Add the grade subcommand to the adlearn command's subparsers."""
    grade = commands.add_parser("grade", help=cmd_grade.__doc__, description=cmd_grade.__doc__)
    grade.add_argument("exercise", help="the exercise's name (finite_differences) or the "
                       "path of its student notebook")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="submitted notebooks, or folders to search for *.ipynb")
    grade.add_argument("-o", "--output", required=True, help="the CSV file to write")
    add_course(grade, "the course folder that has the exercise")
    grade.add_argument("-j", "--jobs", default="2", metavar="N",
                       help="submissions graded at the same time (default: 2)")
    grade.add_argument("--timeout", default=str(Limits.timeout), metavar="SECONDS",
                       help="seconds a cell may run before it is interrupted "
                       "(default: %(default)s)")
    grade.add_argument("--budget", metavar="SECONDS", help="wall-clock seconds one "
                       f"submission may take in all (default: {START_SECONDS} + the timeout "
                       "for each code cell of the exercise's notebook); past it, the "
                       "questions not checked yet are 'out of time'")
    grade.add_argument("--memory", default=str(Limits.memory_mb), metavar="MB",
                       help="memory limit of each kernel in MB (default: %(default)s)")
    grade.add_argument("--disk", default=str(Limits.disk_mb), metavar="MB",
                       help="all that each kernel may write, in MB, when the grader runs as "
                       "root (default: %(default)s)")
    grade.add_argument("--cpu", default=str(Limits.cpu_seconds), metavar="SECONDS",
                       help="CPU-time limit of each kernel in seconds (default: %(default)s)")
    grade.add_argument("--feedback", metavar="DIR",
                       help="also write one markdown feedback file per submission into DIR")
    grade.add_argument("--answers", metavar="DIR", help="also collect the written answers, "
                       "one markdown file per question, into DIR, each with its points "
                       "sheet to fill (QUESTION.csv: student, points, comment)")
    grade.add_argument("--manual", metavar="DIR", help="read the points sheets filled in "
                       "DIR (the CSV files --answers wrote) into the record, the CSV and the "
                       "feedback; with --resume, nothing is graded again")
    grade.add_argument("--roster", metavar="CSV", help="a CSV of the students: columns "
                       "folder, id and, if known, name, email, submitted (see the README)")
    grade.add_argument("--deadline", metavar="TIME", help="the deadline, such as "
                       "2026-12-20T23:59 (local time unless a zone is given); a submission's "
                       "time is the roster's submitted, else its file's")
    grade.add_argument("--late", metavar="POLICY", help="what lateness costs: none (the "
                       "default), 10%%/day, or '10%%/day max 50%%'")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run the kernels without bubblewrap (see the README: the "
                       "learners' code can then read the references and other submissions)")
    grade.add_argument("--resume", action="store_true", help="keep the grades recorded by "
                       "an earlier run (grades.jsonl beside the CSV) and grade only the "
                       "submissions missing from it or changed since")
    grade.add_argument("--scheduler", metavar="ADDRESS", help="grade on a dask.distributed "
                       "cluster: its scheduler's address (tcp://host:8786), or local:N for "
                       "N workers on this machine (then -j is not used)")
    grade.add_argument("--dashboard", action="store_true", help="with --scheduler local:N, "
                       "serve dask's dashboard at http://127.0.0.1:8787 (by default a local "
                       "cluster serves none)")
    grade.set_defaults(run=cmd_grade)
