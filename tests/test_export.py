"""Exports where grades go (Canvas, Moodle, Gradescope) and the Gradescope autograder zip.

Each format is checked against its documentation's columns and fields:

- Canvas, "How do I import grades in the Gradebook?": a CSV whose first columns are
  Student, ID, SIS User ID, SIS Login ID and Section (one of the identifiers is
  enough), then a column per assignment; a "Points Possible" row may follow the header.
- Moodle, "Grade import" (docs.moodle.org): a CSV with a header line; the column
  mapped from "Email address" to useremail (or "ID number" to useridnumber), and a
  column per grade item.
- Gradescope, "Autograder Specifications": setup.sh and run_autograder at the zip's root;
  results.json with score, output, visibility, stdout_visibility and tests, each test
  with score, max_score, status, name, number, output and visibility, a visibility
  being one of hidden, after_due_date, after_published, visible.

The zip's run_autograder is run against a fake /autograder tree in test_installed.py.
"""

import csv
import io
import json
import stat
import zipfile

import pytest

from adlearn.cli import main
from adlearn.errors import GradingError
from adlearn.grading import course
from adlearn.grading.export import export
from adlearn.grading.gradescope import public_detail, student_of
from adlearn.grading.late import parse_policy
from adlearn.grading.marks import Grade, Mark
from adlearn.grading.roster import read_roster
from adlearn.grading.term import Term
from adlearn.grading.writers import write_csv

FD = course.exercise("finite_differences", "exercises")
CANVAS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
GRADESCOPE_RESULT = {"score", "execution_time", "output", "output_format",
                     "test_output_format", "test_name_format", "visibility",
                     "stdout_visibility", "extra_data", "tests", "leaderboard"}
GRADESCOPE_TEST = {"score", "max_score", "status", "name", "name_format", "number",
                   "output", "output_format", "tags", "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def _graded_class(tmp_path, roster=True):
    """A grades CSV of three submissions (alice full marks and 1.5 by hand, bob a known
    mistake and late, dave not on the roster) and its record."""
    from datetime import datetime, timezone

    subs = []
    for name in ("alice", "bob", "dave"):
        path = tmp_path / "subs" / name / "finite_differences.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text("{}")
        subs.append(Grade(str(path), {q.id: Mark("passed", q.points) if q.autograded
                                      else Mark("manual", text="because")
                                      for q in FD.questions}, "abc"))
    subs[0].marks["roundoff"] = Mark("graded by hand", 1.5, "clear", "because")
    hidden = FD.question("central").hidden[0]
    subs[1].marks["central"] = Mark(
        "failed", 0.0, f"Hint: use both sides. (on {FD.question('central').label(hidden)} "
        "your code returned 1.5)", mistake=1)
    (tmp_path / "roster.csv").write_text(
        "folder,id,name,email,submitted\nalice,s001,\"Adams, Alice\",alice@uni.example,\n"
        "bob,s002,\"Brown, Bob\",bob@uni.example,2026-12-22T08:00:00Z\n")
    term = Term(read_roster(tmp_path / "roster.csv") if roster else None,
                datetime(2026, 12, 20, 23, 59, tzinfo=timezone.utc), parse_policy("10%/day"))
    from adlearn.grading.records import Record

    record = Record(FD, tmp_path / "grades.jsonl")
    for g in subs:
        record.add(g)
    record.close()
    write_csv(subs, FD, tmp_path / "grades.csv", term)
    return tmp_path / "grades.csv"


def _csv(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_canvas_gets_its_gradebook_columns_a_points_possible_row_and_the_totals(tmp_path,
                                                                                capsys):
    grades = _graded_class(tmp_path)
    out = tmp_path / "canvas.csv"
    assert main(["export", str(grades), "--to", "canvas", "-o", str(out),
                 "--course", "exercises"]) == 0
    lines = _csv(out)
    assert lines[0] == CANVAS + ["Finite differences"]
    assert lines[1] == ["Points Possible", "", "", "", "", "9"]
    assert lines[2:] == [["Adams, Alice", "", "s001", "alice@uni.example", "", "8.5"],
                         ["Brown, Bob", "", "s002", "bob@uni.example", "", "3.2"]]
    said = capsys.readouterr().out
    assert "left out" in said and "dave/finite_differences.ipynb" in said
    assert f"wrote {out}: 2 submissions for canvas" in said


def test_moodle_gets_an_identifier_it_maps_and_a_grade_item_column(tmp_path):
    out = tmp_path / "moodle.csv"
    export(_graded_class(tmp_path), "moodle", out, "exercises", assignment="Exercise 3",
           say=lambda line: None)
    lines = _csv(out)
    assert lines[0] == ["ID number", "Email address", "Full name", "Exercise 3"]
    assert lines[1:] == [["s001", "alice@uni.example", "Adams, Alice", "8.5"],
                         ["s002", "bob@uni.example", "Brown, Bob", "3.2"]]


def test_canvas_and_moodle_need_the_roster(tmp_path):
    with pytest.raises(GradingError, match="no submission has a student: grade with --roster"):
        export(_graded_class(tmp_path, roster=False), "canvas", tmp_path / "c.csv",
               "exercises")


def test_gradescope_results_have_only_documented_fields_and_hide_hidden_cases(tmp_path):
    out = tmp_path / "gradescope"
    assert export(_graded_class(tmp_path), "gradescope", out, "exercises") == 3
    bob = json.loads((out / "s002" / "results.json").read_text())
    alice = json.loads((out / "s001" / "results.json").read_text())
    for result in (alice, bob):
        assert set(result) <= GRADESCOPE_RESULT and result["visibility"] in VISIBILITY
        assert result["stdout_visibility"] == "hidden"
        for test in result["tests"]:
            assert set(test) <= GRADESCOPE_TEST and test["visibility"] in VISIBILITY
            assert isinstance(test["score"], float) and test["max_score"] > 0
            assert test["status"] in ("passed", "failed")
    assert bob["score"] == pytest.approx(3.2)
    central = bob["tests"][0]
    assert (central["name"].split(":")[0], central["score"], central["max_score"]) == (
        "central", 0.0, 3)
    assert central["output"] == "failed. Hint: use both sides."  # the hidden case: gone
    assert [t["name"].split(":")[0] for t in bob["tests"]] == ["central", "step", "order"]
    assert alice["tests"][-1]["name"].startswith("roundoff") and \
        alice["tests"][-1]["score"] == 1.5  # graded by hand: it counts
    assert "2 day(s) after the deadline" in bob["output"]
    assert (out / "subs%2Fdave%2Ffinite_differences.ipynb").is_dir() is False
    assert len(list(out.glob("*/results.json"))) == 3


def test_a_public_case_a_hint_names_stays(tmp_path):
    q = FD.question("central")
    label = q.public_cases()[0][0]
    detail = f"Hint: use both sides. (on {label} your code returned 1.5)"
    assert public_detail(q, detail) == detail
    hidden = q.label(q.hidden[0])
    assert public_detail(q, f"Hint: x. (on {hidden} your code returned 1.5)") == "Hint: x."


def test_one_results_json_holds_one_submission(tmp_path):
    with pytest.raises(GradingError, match="one results.json holds one submission"):
        export(_graded_class(tmp_path), "gradescope", tmp_path / "results.json", "exercises")


def test_the_student_comes_from_gradescopes_submission_metadata():
    metadata = {"created_at": "2026-12-21T10:00:00.36-08:00",
                "users": [{"email": "a@x", "id": 1234, "name": "Alice"}]}
    assert student_of(metadata) == ("1234", "Alice", "a@x", "2026-12-21T10:00:00.36-08:00")
    metadata["users"][0]["sid"] = "s001"
    assert student_of(metadata)[0] == "s001"
    with pytest.raises(GradingError, match="names no user"):
        student_of({"users": []})


def test_the_autograder_zip_has_its_scripts_at_the_root_and_the_exercise(tmp_path, capsys):
    out = tmp_path / "autograder.zip"
    assert main(["gradescope-autograder", "finite_differences", "--course", "exercises",
                 "-o", str(out), "--options", "--timeout 20"]) == 0
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        run = z.read("run_autograder").decode()
    assert names[:2] == ["setup.sh", "run_autograder"]
    assert all(modes[n] & stat.S_IXUSR for n in names[:2])
    assert {"course/finite_differences.ipynb",
            "course/source/finite_differences/questions.py",
            "course/source/finite_differences/finite_differences.ipynb"} <= set(names)
    assert "-m adlearn.cli grade finite_differences" in run and "--timeout 20" in run
    assert "--to gradescope" in run and "/results/results.json" in run
    assert main(["gradescope-autograder", "nothing", "--course", "exercises", "-o",
                 str(out)]) == 2
    assert "there is no exercise 'nothing'" in capsys.readouterr().err


def test_export_refuses_a_folder_for_a_csv_and_an_unknown_system(tmp_path, capsys):
    grades = _graded_class(tmp_path)
    assert main(["export", str(grades), "--to", "canvas", "-o", str(tmp_path),
                 "--course", "exercises"]) == 2
    assert "is a folder; give the CSV file to write" in capsys.readouterr().err
    with pytest.raises(GradingError, match="--to blackboard: give one of canvas, moodle"):
        export(grades, "blackboard", tmp_path / "x.csv", "exercises")


def test_a_student_id_gradescope_gives_cannot_leave_the_submissions_folder(tmp_path):
    from adlearn.grading.gradescope import prepare

    tree = tmp_path / "autograder"
    (tree / "submission").mkdir(parents=True)
    (tree / "source").mkdir()
    (tree / "submission" / "mine.ipynb").write_text("{}")
    (tree / "submission_metadata.json").write_text(json.dumps(
        {"users": [{"id": 1, "sid": "../..", "name": "M", "email": "m@x"}]}))
    prepare(tree, tmp_path / "work", "finite_differences")
    folders = list((tmp_path / "work" / "submissions").iterdir())
    assert [f.name for f in folders] == ["%2E%2E%2F%2E%2E"]
    assert (folders[0] / "finite_differences.ipynb").read_text() == "{}"
    roster = (tmp_path / "work" / "roster.csv").read_text().splitlines()
    assert roster[1].startswith("%2E%2E%2F%2E%2E,../..,M,m@x")
    assert stat.S_IMODE((tree / "source").stat().st_mode) == 0o700
    assert stat.S_IMODE((tree / "submission_metadata.json").stat().st_mode) == 0o600
    assert json.loads((tree / "results" / "results.json").read_text())["score"] == 0
