"""Gradescope: its results format, and the autograder zip that runs ``adlearn grade`` there.

``adlearn gradescope-autograder EXERCISE -o autograder.zip`` writes the zip Gradescope
builds its image from (its "Autograder Specifications"):

- ``setup.sh`` installs adlearn (the wheel in the zip if there is one, else the same
  version from PyPI) once, when the image is built;
- ``run_autograder`` grades the one submission: ``prepare`` (below) reads the student
  from ``/autograder/submission_metadata.json``, puts the notebook in a folder named
  after the student's id (as a roster would) and writes that roster; then ``adlearn
  grade`` grades it and ``adlearn export --to gradescope`` writes
  ``/autograder/results/results.json``;
- ``course/``: the exercise's sources and question table, and its student version.

Gradescope's containers block bubblewrap, so there the grader runs with
``--no-sandbox`` and each kernel runs as an unprivileged user of its own instead
(``kernel``, through the kernel spec ``prepare`` writes): the course folder (the
references), the results and the submission's metadata are readable by root only. The
README says what that gives up against the sandbox.

In results.json each question is a test with its score, its points and, as output, its
hint; a hint's "(on ... your code returned ...)" is kept only when it names a public
case, so hidden and random cases stay hidden. The grader's own output is hidden from
students (``stdout_visibility``).
"""

import json
import os
import re
import shlex
import shutil
import stat
import sys
import urllib.parse
import zipfile
from pathlib import Path

from ..errors import GradingError

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
SHOWN_CASE = re.compile(r" \(on (?P<label>.+?) your code (returned|raised) .*\)$", re.S)


# --- results.json --------------------------------------------------------------------


def public_detail(question, detail):
    """A mark's detail without the case it names, unless that case is a public one."""
    found = SHOWN_CASE.search(detail)
    if found and question.autograded and found["label"] not in {
            label for label, _ in question.public_cases()}:
        return detail[:found.start()]
    return detail


def results(exercise, marks, total, output=""):
    """The results.json of one submission (a dict): marks is {question id: (status,
    points or None if not graded yet, detail)}; total the score Gradescope records."""
    tests = []
    for number, q in enumerate(exercise.questions, 1):
        status, points, detail = marks[q.id]
        detail = public_detail(q, detail)
        if points is None:  # a written answer not graded yet: Gradescope's own rubric
            continue
        tests.append({"name": q.id + (f": {q.prompt}" if q.prompt else ""),
                      "number": str(number), "score": points, "max_score": q.points,
                      "status": "passed" if points >= q.points else "failed",
                      "output": f"{status}. {detail}" if detail else status,
                      "visibility": "visible"})
    return {"score": total, "output": output, "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


# --- the autograder zip ------------------------------------------------------------------


SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
apt-get install -y python3 python3-pip
cd /autograder/source
if ls wheels/*.whl >/dev/null 2>&1; then
    python3 -m pip install --break-system-packages "$(ls wheels/*.whl)[grade]" \\
        || python3 -m pip install "$(ls wheels/*.whl)[grade]"
else
    python3 -m pip install --break-system-packages "adlearn[grade]=={version}" \\
        || python3 -m pip install "adlearn[grade]=={version}"
fi
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission, as root, in /autograder: adlearn grades the
# notebook in /autograder/submission and writes /autograder/results/results.json.
set -uo pipefail
AUTOGRADER="${{AUTOGRADER:-/autograder}}"  # another folder for a trial run
PYTHON="${{PYTHON:-python3}}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
COURSE="$AUTOGRADER/source/course"
# The student (its id names the submission's folder), the kernels' unprivileged users,
# the references and the results out of their reach:
"$PYTHON" -m adlearn.grading.gradescope prepare "$AUTOGRADER" "$WORK" {name} || exit 1
JUPYTER_PATH="$WORK/jupyter" "$PYTHON" -m adlearn.cli grade {name} "$WORK/submissions" \\
    --course "$COURSE" -o "$WORK/grades.csv" --roster "$WORK/roster.csv" --no-sandbox \\
    -j 1 {options}
"$PYTHON" -m adlearn.cli export "$WORK/grades.csv" --to gradescope --course "$COURSE" \\
    -o "$AUTOGRADER/results/results.json"
"""


def build_zip(name, root, output, wheel=None, options=""):
    """Write the autograder zip of the exercise name of the course folder root to
    output (setup.sh, run_autograder, the exercise's course files, the wheel if given);
    options: more options of adlearn grade (--timeout 30, say). The paths written."""
    from .course import checks_path, exercise, source_path, student_path
    from .. import __version__

    exercise(name, root)  # a GradingError for an exercise that is not there
    student = student_path(root, name)
    if not student.is_file():
        raise GradingError(f"the exercise {name!r} has no student version {student} "
                           f"(run: adlearn exercises build --course {root})")
    output = Path(output)
    if output.suffix != ".zip" or not output.parent.is_dir():
        raise GradingError(f"-o {output}: give a .zip file in a folder that exists")
    if wheel and not (Path(wheel).is_file() and Path(wheel).suffix == ".whl"):
        raise GradingError(f"--wheel {wheel}: not a wheel file (.whl)")
    files = {"setup.sh": SETUP.format(version=__version__),
             "run_autograder": RUN.format(name=name, options=" ".join(
                 map(shlex.quote, shlex.split(options))))}
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as out:
        for arcname, text in files.items():
            info = zipfile.ZipInfo(arcname)
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            out.writestr(info, text)
        sources = source_path(root, name).parent
        for path in sorted(p for p in sources.rglob("*") if p.is_file()
                           and "__pycache__" not in p.parts
                           and ".ipynb_checkpoints" not in p.parts):
            out.write(path, f"course/source/{name}/{path.relative_to(sources)}")
        out.write(student, f"course/{name}.ipynb")
        if checks_path(root, name).is_file():
            out.write(checks_path(root, name), f"course/checks/{name}.json")
        if wheel:
            out.write(wheel, f"wheels/{Path(wheel).name}")
    return output


# --- in the container ----------------------------------------------------------------------


def student_of(metadata):
    """(id, name, email, submitted) of a submission's first user, from Gradescope's
    submission_metadata.json (a dict): the school's id (``sid``) if given, else
    Gradescope's user id."""
    try:
        user = metadata["users"][0]
        sid = str(user.get("sid") or user["id"])
    except (KeyError, IndexError, TypeError, AttributeError):
        raise GradingError("submission_metadata.json names no user") from None
    return sid, str(user.get("name", "")), str(user.get("email", "")), \
        str(metadata.get("created_at") or "")


def prepare(autograder, work, name):
    """Ready one Gradescope submission for adlearn grade: its notebook in
    work/submissions/<student id>/<name>.ipynb, the roster work/roster.csv, a kernel
    spec (work/jupyter) that runs each kernel as an unprivileged user, a results.json
    that says the grading failed until adlearn export replaces it; and the course
    folder, the results and the metadata readable by root only."""
    import csv

    autograder, work = Path(autograder), Path(work)
    results_dir = autograder / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "results.json").write_text(json.dumps({
        "score": 0, "output": "The autograder could not grade this submission: your "
        "instructor will look at it.", "stdout_visibility": "hidden"}))
    metadata_path = autograder / "submission_metadata.json"
    metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    sid, student_name, email, submitted = student_of(metadata)
    notebooks = sorted((autograder / "submission").rglob("*.ipynb"))
    if not notebooks:
        raise GradingError("the submission holds no notebook (.ipynb)")
    chosen = next((p for p in notebooks if p.name == f"{name}.ipynb"), notebooks[0])
    folder = work / "submissions" / urllib.parse.quote(sid, safe="").replace(".", "%2E")
    folder.mkdir(parents=True)
    shutil.copyfile(chosen, folder / f"{name}.ipynb")
    with open(work / "roster.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["folder", "id", "name", "email", "submitted"],
                                 [folder.name, sid, student_name, email, submitted]])
    spec = work / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "adlearn.grading.gradescope", "kernel",
                 "{connection_file}"],
        "display_name": "Python 3 (an unprivileged user)", "language": "python"}))
    for path in (autograder / "source", results_dir, metadata_path, work):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)


def kernel(connection_file):
    """Start an ipykernel as the user its connection file belongs to (the worker gives
    each kernel's file a user of its own when it runs as root), in its own folder:
    outside a sandbox, that user reads only what everyone may read."""
    folder = os.path.dirname(os.path.abspath(connection_file))
    user = os.stat(connection_file).st_uid
    if os.geteuid() == 0 and user != 0:
        os.chmod(os.path.dirname(folder), 0o711)  # the worker's folder: a way through,
        os.chown(folder, user, user)  # no listing of the other kernels' folders
        os.setgroups([])
        os.setgid(user)
        os.setuid(user)
    os.environ["HOME"] = folder
    os.chdir(folder)
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f",
                              connection_file])


def main(argv):
    """``python -m adlearn.grading.gradescope prepare AUTOGRADER WORK NAME`` or
    ``... kernel CONNECTION_FILE`` (what run_autograder and the kernel spec call)."""
    if argv[:1] == ["prepare"] and len(argv) == 4:
        try:
            prepare(*argv[1:])
        except (GradingError, OSError, ValueError) as exc:
            print(f"adlearn: error: {exc}", file=sys.stderr)
            return 1
        return 0
    if argv[:1] == ["kernel"] and len(argv) == 2:
        kernel(argv[1])
    print("usage: python -m adlearn.grading.gradescope prepare AUTOGRADER WORK NAME | "
          "kernel CONNECTION_FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
