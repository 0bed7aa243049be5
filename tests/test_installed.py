"""adlearn as users install it: a wheel, in a fresh virtual environment outside any clone.

The wheel is built from this clone and installed with pip into a new virtual environment
in a folder of its own; every instructor command the README shows then runs from an
empty folder with that environment's ``adlearn``: ``exercises new``, ``build``,
``grade`` (with a roster, a deadline, the written answers and their points by hand),
``report`` and ``export``, on an instructor's own course and on the repository's
``exercises/`` (passed with ``--course``). The wheel holds no reference answer.

To keep this to about a minute, the environment's third-party libraries are hard links
to this test environment's (a fresh ``pip install`` of numpy, matplotlib, dask and the
rest takes minutes); adlearn itself comes from the wheel alone, and the test checks
that it is imported from there. The environment is made from the system's Python
(``/usr/bin/python3``) when it is this Python's version, so that a user other than
root can run it: Gradescope's autograder (its zip run against a fake ``/autograder``
tree) runs each kernel as an unprivileged user, which must not read the references.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest

from adlearn.grading import course
from adlearn.grading.sandbox import available

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = Path("/usr/bin/python3")
LEFT_OUT = ("__editable__", "adlearn")  # this clone's adlearn, installed editable


def _base_python():
    """The system's Python if it is this one's version (any user can run it), else this."""
    if SYSTEM_PYTHON.is_file():
        version = subprocess.run([SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info"
                                  "[:2])"], capture_output=True, text=True).stdout.strip()
        if version == str(sys.version_info[:2]):
            return str(SYSTEM_PYTHON)
    return sys.executable


@pytest.fixture(scope="module")
def installed():
    """(the fresh environment's bin folder, the wheel, a folder for the test's work)."""
    top = Path(tempfile.mkdtemp(prefix="adlearn-installed-", dir="/tmp"))
    top.chmod(0o755)  # a way through for the unprivileged kernels
    try:
        source = top / "source"  # a copy: building writes build/ into the source
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, source)
        shutil.copytree(ROOT / "adlearn", source / "adlearn",
                        ignore=shutil.ignore_patterns("__pycache__"))
        built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                                "-w", str(top / "dist"), str(source)],
                               capture_output=True, text=True, timeout=300)
        assert built.returncode == 0, built.stderr
        wheel = next((top / "dist").glob("adlearn-*.whl"))
        venv = top / "venv"
        subprocess.run([_base_python(), "-m", "venv", "--without-pip", str(venv)], check=True)
        ours = Path(sysconfig.get_paths()["purelib"])
        theirs = next(venv.glob("lib/python3*/site-packages"))
        for entry in ours.iterdir():
            if not entry.name.startswith(LEFT_OUT) and not (theirs / entry.name).exists():
                if entry.is_dir():
                    shutil.copytree(entry, theirs / entry.name, copy_function=os.link)
                else:
                    os.link(entry, theirs / entry.name)
        done = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" /
                               "python"), "install", "-q", "--no-deps", str(wheel)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        work = top / "work"
        work.mkdir()
        yield venv / "bin", wheel, work
    finally:
        shutil.rmtree(top, ignore_errors=True)


def run(bin_folder, cwd, *argv, code=0):
    """Run a command with the fresh environment's programs first on the PATH, from cwd."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_folder}{os.pathsep}{env['PATH']}"
    done = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == code, f"{argv}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _rows(path):
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_the_wheel_holds_no_reference_answer(installed):
    from test_grading import _reference_texts, _searched_text

    _, wheel, _ = installed
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        texts = {n: " ".join(_searched_text(n, z.read(n).decode("utf-8", "replace"))
                             .replace("\\n", " ").split()) for n in names}
    assert not [n for n in names if n.startswith("exercises/") or "/source/" in n]
    code = [n for n in names if n.endswith(".py")]
    leaked = [(n, t) for name in course.names("exercises") for t in _reference_texts(name)
              for n in [*code, f"adlearn/grading/checks/{name}.json"] if t in texts[n]]
    assert leaked == []  # as test_grading searches the package of this clone


def test_every_instructor_command_runs_from_an_empty_folder(installed):
    bin_folder, _, work = installed
    here = work / "term"
    here.mkdir()
    adlearn = str(bin_folder / "adlearn")
    where = run(bin_folder, here, str(bin_folder / "python"), "-c",
                "import adlearn; print(adlearn.__file__)")
    assert where.startswith(str(bin_folder.parent)) and str(ROOT) not in where

    # an instructor's own course, from the scaffold
    run(bin_folder, here, adlearn, "exercises", "new", "power_rule", "--course", "mycourse")
    run(bin_folder, here, adlearn, "exercises", "build", "--course", "mycourse")
    for student, source in (("alice", "mycourse/source/power_rule/power_rule.ipynb"),
                            ("bob", "mycourse/power_rule.ipynb")):
        (here / "submissions" / student).mkdir(parents=True)
        shutil.copy(here / source, here / "submissions" / student)
    (here / "roster.csv").write_text("folder,id,name,email\nalice,s001,Alice,a@uni.example\n"
                                     "bob,s002,Bob,b@uni.example\n")
    run(bin_folder, here, adlearn, "grade", "power_rule", "submissions/", "--course",
        "mycourse", "-o", "grades.csv", "--roster", "roster.csv", "--deadline",
        "2099-12-20T23:59", "--late", "10%/day", "--feedback", "feedback",
        *(["--no-sandbox"] if available() else []))
    assert [(r["student"], r["total"], r["possible"]) for r in _rows(here / "grades.csv")] \
        == [("s001", "3", "3"), ("s002", "0", "3")]
    run(bin_folder, here, adlearn, "report", "grades.csv", "--course", "mycourse")
    assert "What the class got wrong" in (here / "grades.html").read_text()
    run(bin_folder, here, adlearn, "export", "grades.csv", "--to", "canvas", "-o",
        "canvas.csv", "--course", "mycourse")
    assert (here / "canvas.csv").read_text().splitlines()[2] == "Alice,,s001,a@uni.example,,3"


def readme_term():
    """The commands of the README's "A term, from scaffold to Canvas", one a line."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### A term, from scaffold to Canvas", 1)[1]
    block = re.search(r"```bash\n(.*?)\n```", section, re.DOTALL).group(1)
    return block.replace("\\\n", " ").splitlines()


def test_the_readme_term_runs_from_an_empty_folder(installed):
    """The README's term on a copy of the repository's exercises: scaffold, build,
    release, grade on a local cluster with a roster and a deadline, points by hand,
    report, export to Canvas."""
    bin_folder, _, work = installed
    here = work / "readme"
    here.mkdir()
    shutil.copytree(ROOT / "exercises", here / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for student, source in (("alice", course.source_path("exercises", "finite_differences")),
                            ("bob", course.student_path("exercises", "finite_differences"))):
        (here / "submissions" / student).mkdir(parents=True)
        shutil.copy(ROOT / source, here / "submissions" / student)
    (here / "roster.csv").write_text("folder,id,name,email\nalice,s001,Alice,a@uni.example\n"
                                     "bob,s002,Bob,b@uni.example\ncarol,s003,Carol,c@x\n")
    said = ""
    for line in readme_term():
        if line.startswith("# fill in the points sheets"):
            sheet = (here / "answers" / "roundoff.csv").read_text()
            assert sheet == "student,points,comment\ns001,,\ns002,,\n"
            (here / "answers" / "roundoff.csv").write_text(
                "student,points,comment\ns001,1.5,\"Right; and why?\"\ns002,,\n")
        else:
            assert line.startswith(("adlearn ", "tar ")), line
            if available() and line.startswith("adlearn grade"):  # no bubblewrap here
                line += " --no-sandbox"
            said += run(bin_folder, here, "bash", "-c", line)
    assert "in the roster, no submission (1): s003 (carol)" in said
    assert "resumed: 2 graded before, 0 to grade" in said
    with tarfile.open(here / "release.tar.gz") as release:
        names = release.getnames()
    assert "exercises/power_rule.ipynb" in names and "exercises/checks/power_rule.json" \
        in names and not [n for n in names if "/source" in n]
    alice, bob = _rows(here / "grades.csv")
    assert (alice["autograded"], alice["by hand"], alice["total"], alice["possible"]) == (
        "7", "1.5", "8.5", "9")
    assert "Comment: Right; and why?" in (here / "feedback" /
                                         "alice%2Ffinite_differences.md").read_text()
    assert "What the class got wrong" in (here / "grades.html").read_text()
    canvas = (here / "canvas.csv").read_text().splitlines()
    assert canvas[0] == "Student,ID,SIS User ID,SIS Login ID,Section,Finite differences"
    assert canvas[2:] == ["Alice,,s001,a@uni.example,,8.5", "Bob,,s002,b@uni.example,,0"]


LEAK = """def central_difference(f, x, h):
    import os
    found = []
    for path in {paths!r}:
        try:
            open(path).read()
            found.append("read")
        except OSError as exc:
            found.append(type(exc).__name__)
    return " ".join(found) + f" uid={{os.getuid()}}"
"""


def _autograder_tree(bin_folder, work, name, notebook_text):
    """A fake /autograder: the zip in source/, the submission, its metadata."""
    tree = work / name
    (tree / "source").mkdir(parents=True)
    (tree / "submission").mkdir()
    with zipfile.ZipFile(work / "autograder.zip") as z:
        z.extractall(tree / "source")
    shutil.copy(tree / "source" / "run_autograder", tree / "run_autograder")
    (tree / "submission" / "finite_differences.ipynb").write_text(notebook_text)
    (tree / "submission_metadata.json").write_text(json.dumps({
        "id": 1, "created_at": "2026-12-21T10:00:00.000000-08:00",
        "assignment": {"due_date": "2026-12-20T23:59:00.000000-08:00", "title": "FD",
                       "total_points": "9.0"},
        "users": [{"email": "alice@uni.example", "id": 1234, "name": "Alice"}],
        "previous_submissions": []}))
    return tree


def test_the_gradescope_autograder_grades_a_submission_its_kernel_unprivileged(installed):
    from adlearn.grading import notebooks

    bin_folder, _, work = installed
    run(bin_folder, work, str(bin_folder / "adlearn"), "gradescope-autograder",
        "finite_differences", "--course", str(ROOT / "exercises"), "-o", "autograder.zip")
    solution = course.source_path(ROOT / "exercises", "finite_differences").read_text()
    tree = _autograder_tree(bin_folder, work, "solution", solution)
    env = ["env", f"AUTOGRADER={tree}", f"PYTHON={bin_folder / 'python'}"]
    run(bin_folder, tree, *env, "bash", str(tree / "run_autograder"))
    result = json.loads((tree / "results" / "results.json").read_text())
    assert result["score"] == 7 and [t["score"] for t in result["tests"]] == [3, 2, 2]
    assert result["stdout_visibility"] == "hidden"

    secrets = [str(tree / "source" / "course" / "source" / "finite_differences" /
                   "questions.py"), str(tree / "results" / "results.json"),
               str(tree / "submission_metadata.json")]
    nb = notebooks.read(course.source_path(ROOT / "exercises", "finite_differences"))
    for cell in nb.cells:
        if notebooks.nbgrader(cell).get("grade_id") == "central_answer":
            cell.source = LEAK.format(paths=secrets)
    import nbformat

    tree = _autograder_tree(bin_folder, work, "leak", nbformat.writes(nb))
    env = ["env", f"AUTOGRADER={tree}", f"PYTHON={bin_folder / 'python'}"]
    run(bin_folder, tree, *env, "bash", str(tree / "run_autograder"))
    central = json.loads((tree / "results" / "results.json").read_text())["tests"][0]
    assert central["score"] == 0 and "returned" in central["output"], central
    if os.geteuid() == 0:  # Gradescope runs it as root: the kernel is another user
        assert "PermissionError PermissionError PermissionError uid=" in central["output"]
        assert "uid=0" not in central["output"]
