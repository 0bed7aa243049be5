"""Export a class's grades where grades go (``adlearn export grades.csv --to SYSTEM -o FILE``).

- ``canvas``: Canvas's gradebook import CSV: the columns ``Student, ID, SIS User ID,
  SIS Login ID, Section`` that identify a student, then one column for the assignment
  (a name Canvas has not seen makes a new assignment; ``Name (id)`` as in Canvas's own
  export updates that one), and a ``Points Possible`` row. A student is the roster's:
  their name, their id as the SIS User ID and their email as the SIS Login ID.
- ``moodle``: a CSV for Moodle's "Import grades: CSV file": ``ID number``, ``Email
  address``, ``Full name`` and the grade item's column; at import, map ``Email
  address`` to ``useremail`` (or ``ID number`` to ``useridnumber``) and the last column
  to the grade item.
- ``gradescope``: Gradescope's autograder ``results.json`` (see gradescope.py): one file
  when -o ends in .json and the CSV has one submission, else a folder with
  ``<student id>/results.json`` per submission.

The score exported is the CSV's ``total``: autograded and by hand, less the late
penalty. Canvas and Moodle need the students (``adlearn grade ... --roster``); a
submission without one is left out and said.
"""

import csv
import json
import urllib.parse
from pathlib import Path

from ..errors import GradingError
from .gradescope import results
from .report import read_grades
from .submissions import shown

SYSTEMS = ("canvas", "moodle", "gradescope")
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["ID number", "Email address", "Full name"]


def export(grades, system, output, root=None, assignment=None, say=print):
    """Write the grades CSV's scores as system imports them; the number of submissions
    written. assignment: the assignment's (or grade item's) name in the gradebook
    (default: the exercise's title)."""
    if system not in SYSTEMS:
        raise GradingError(f"--to {system}: give one of {', '.join(SYSTEMS)}")
    exercise, rows = read_grades(grades, root)
    output = Path(output)
    if not output.parent.is_dir():
        raise GradingError(f"-o {output}: the folder {output.parent} does not exist")
    if system == "gradescope":
        return _gradescope(exercise, rows, output)
    if output.is_dir():
        raise GradingError(f"-o {output}: is a folder; give the CSV file to write")
    named = [r for r in rows if r.fields["student"]]
    if not named:
        raise GradingError(f"{grades}: no submission has a student: grade with --roster "
                           "roster.csv, so that each has its id, name and email")
    for row in rows:
        if not row.fields["student"]:
            say(f"left out {shown(row.submission)}: no student in the roster")
    column = assignment or exercise.title
    possible = rows[0].fields["possible"]
    if system == "canvas":
        lines = [CANVAS_COLUMNS + [column], ["Points Possible", "", "", "", "", possible]]
        lines += [[r.fields["name"], "", r.fields["student"], r.fields["email"], "",
                   r.fields["total"]] for r in named]
    else:
        lines = [MOODLE_COLUMNS + [column]]
        lines += [[r.fields["student"], r.fields["email"], r.fields["name"],
                   r.fields["total"]] for r in named]
    with open(output, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(lines)
    return len(named)


def _gradescope(exercise, rows, output):
    """results.json for each submission: into output, or a folder per student in it."""
    if output.suffix == ".json":
        if len(rows) != 1:
            raise GradingError(f"-o {output}: one results.json holds one submission, and "
                               f"the CSV has {len(rows)}: give a folder")
        targets = [output]
    else:
        if output.exists() and not output.is_dir():
            raise GradingError(f"-o {output}: is a file; give a folder (or a .json file "
                               "for a CSV of one submission)")
        targets = [output / (r.fields["student"] or urllib.parse.quote(r.submission, safe=""))
                   / "results.json" for r in rows]
    for row, target in zip(rows, targets):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(gradescope_results(exercise, row), indent=1) + "\n",
                          encoding="utf-8")
    return len(rows)


def gradescope_results(exercise, row):
    """The results.json (a dict) of one row of the grades CSV."""
    f = row.fields
    marks = {q.id: (row.statuses[q.id], float(f[q.id]) if f[q.id] else
                    (0.0 if q.autograded else None), row.details.get(q.id, ""))
             for q in exercise.questions}
    late = (f" Submitted {f['days late']} day(s) after the deadline: "
            f"{f['late penalty'] or 0} points taken." if f["days late"] else "")
    output = (f"{exercise.title}: {f['total']} of {f['possible']} points (autograded "
              f"{f['autograded']}" + (f", by hand {f['by hand']}" if f["by hand"] else "")
              + ")." + late)
    return results(exercise, marks, float(f["total"]), output)
