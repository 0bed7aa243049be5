"""A term's work beside the grades: the roster, deadlines and late work, points by hand
(the answers' points sheets read back), and what the CSV and the feedback say of them.

Grades are built here by hand (no kernels); the whole round trip through ``adlearn
grade`` with kernels is the last test.
"""

import csv
import io
import json
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adlearn.cli import main
from adlearn.errors import GradingError
from adlearn.grading import course
from adlearn.grading.late import Policy, lateness, parse_policy, parse_time
from adlearn.grading.manual import apply, read_sheets, write_sheets
from adlearn.grading.marks import Grade, Mark
from adlearn.grading.records import Record
from adlearn.grading.roster import read_roster
from adlearn.grading.term import Term
from adlearn.grading.writers import csv_header, feedback_text, write_answers, write_csv

FD = course.exercise("finite_differences", "exercises")  # roundoff: 2 points, by hand
UTC = timezone.utc
DEADLINE = datetime(2026, 12, 20, 23, 59, tzinfo=UTC)


def _grade(path, text="cancellation of nearly equal values"):
    return Grade(str(path), {q.id: Mark("passed", q.points) if q.autograded
                             else Mark("manual", text=text) for q in FD.questions}, "abc")


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _class(tmp_path, names=("alice", "bob")):
    """Submissions in a folder each, and their grades."""
    paths = [_write(tmp_path / "subs" / n / "finite_differences.ipynb", "{}") for n in names]
    return paths, [_grade(p) for p in paths]


def _rows(path):
    return list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))


# --- the roster --------------------------------------------------------------------------


ROSTER = ("folder,id,name,email,submitted\n"
          "alice,s001,Alice Adams,alice@uni.example,2026-12-20T22:00:00Z\n"
          "bob,s002,Bob Brown,bob@uni.example,2026-12-22T08:00:00Z\n"
          "carol,s003,Carol Chen,carol@uni.example,\n")


def test_the_roster_maps_each_submission_folder_to_its_student_and_lists_who_is_missing(
        tmp_path):
    roster = read_roster(_write(tmp_path / "roster.csv", ROSTER))
    paths, _ = _class(tmp_path, ("alice", "bob", "dave"))
    alice = roster.find(paths[0])
    assert (alice.id, alice.name, alice.email) == ("s001", "Alice Adams", "alice@uni.example")
    assert alice.submitted == datetime(2026, 12, 20, 22, 0, tzinfo=UTC)
    assert roster.find(paths[2]) is None
    strays, absent = roster.missing(paths)
    assert strays == [paths[2]] and [s.id for s in absent] == ["s003"]


def test_the_grade_command_lists_strays_and_absent_students(tmp_path, capsys):
    from adlearn.grading.grade_command import _say_missing

    roster = read_roster(_write(tmp_path / "roster.csv", ROSTER))
    paths, _ = _class(tmp_path, ("alice", "dave"))
    _say_missing(roster, paths)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("not in the roster") and "dave/finite_differences.ipynb" in out[0]
    assert out[1] == "in the roster, no submission (2): s002 (bob), s003 (carol)"


@pytest.mark.parametrize("text, message", [
    ("name,email\nAlice,a@x\n", "line 1: the roster's header needs the columns folder, id"),
    ("folder,id\nalice,s1\nbob,s1\n", "line 3: the id 's1' is on line 2 too"),
    ("folder,id\nalice,s1\nalice,s2\n", "line 3: the folder 'alice' is on line 2 too"),
    ("folder,id\nalice,s1,extra\n", "line 2: 3 fields, not the 2 of the header"),
    ("folder,id\n,s1\n", "line 2: every student needs a folder and an id"),
    ("folder,id,submitted\nalice,s1,yesterday\n", "line 2: submitted: 'yesterday' is not a "
     "time"),
])
def test_a_roster_that_is_not_one_is_refused_naming_the_file_and_line(tmp_path, text,
                                                                       message):
    path = _write(tmp_path / "roster.csv", text)
    with pytest.raises(GradingError) as caught:
        read_roster(path)
    assert str(caught.value).startswith(f"{path}, line ") and message in str(caught.value)


# --- deadlines and late work -------------------------------------------------------------


def test_late_is_counted_in_started_days_and_costs_what_the_policy_says():
    policy = parse_policy("10%/day max 25%")
    assert lateness(DEADLINE, DEADLINE, policy).days == 0  # on the minute: in time
    one = lateness(DEADLINE + timedelta(minutes=1), DEADLINE, policy)
    assert (one.days, one.percent, one.penalty(7)) == (1, 10, 0.7)
    two = lateness(DEADLINE + timedelta(days=1, seconds=1), DEADLINE, policy)
    assert (two.days, two.percent) == (2, 20)
    assert lateness(DEADLINE + timedelta(days=9), DEADLINE, policy).percent == 25  # the cap
    assert lateness(DEADLINE + timedelta(days=9), DEADLINE, Policy()).penalty(7) == 0
    assert lateness(DEADLINE + timedelta(days=30), DEADLINE,
                    parse_policy("10%/day")).percent == 100


@given(st.floats(0, 100), st.floats(0.5, 100), st.floats(0.5, 100), st.integers(0, 400))
def test_a_penalty_is_never_more_than_the_cap_nor_the_points_earned(earned, per_day, cap,
                                                                     hours):
    late = lateness(DEADLINE + timedelta(hours=hours), DEADLINE, Policy(per_day, cap))
    assert late.days == -(-hours // 24)  # started days, by integer arithmetic
    assert 0 <= late.penalty(earned) <= min(earned, earned * cap / 100) + 1e-9


@pytest.mark.parametrize("text", ["10", "ten%/day", "0%/day", "150%/day", "10%/day max 0%",
                                  "10%/week"])
def test_a_late_policy_that_is_not_one_is_refused(text):
    with pytest.raises(GradingError, match="--late"):
        parse_policy(text)


def test_a_deadline_without_a_zone_is_local_time():
    local = parse_time("2026-12-20T23:59", "--deadline")
    assert local.tzinfo is not None
    assert local == datetime(2026, 12, 20, 23, 59).astimezone()
    with pytest.raises(GradingError, match="--deadline: 'Dec 20' is not a time"):
        parse_time("Dec 20", "--deadline")


def test_a_submission_time_is_the_rosters_else_the_files(tmp_path):
    roster = read_roster(_write(tmp_path / "roster.csv", ROSTER))
    paths, grades = _class(tmp_path, ("alice", "bob", "dave"))
    late_file = (DEADLINE + timedelta(hours=30)).timestamp()
    os.utime(paths[2], (late_file, late_file))
    term = Term(roster, DEADLINE, parse_policy("10%/day"))
    alice, bob, dave = (term.scores(g, FD) for g in grades)
    assert alice.late.days == 0 and alice.penalty == 0
    assert bob.late.days == 2 and bob.penalty == pytest.approx(1.4)  # 20 % of 7
    assert dave.late.days == 2 and dave.student is None  # the file's time
    assert Term(roster).scores(grades[1], FD).late is None  # no deadline, no lateness


# --- the CSV and the feedback -------------------------------------------------------------


def test_the_csv_gives_the_student_the_lateness_and_autograded_by_hand_total_possible(
        tmp_path):
    roster = read_roster(_write(tmp_path / "roster.csv", ROSTER))
    paths, grades = _class(tmp_path)
    grades[1].marks["roundoff"] = Mark("graded by hand", 1.5, "good", "because")
    term = Term(roster, DEADLINE, parse_policy("10%/day"))
    write_csv(grades, FD, tmp_path / "grades.csv", term)
    alice, bob = _rows(tmp_path / "grades.csv")
    assert list(alice)[:11] == ["submission", "student", "name", "email", "submitted",
                                "days late", "autograded", "by hand", "late penalty",
                                "total", "possible"]
    assert list(alice) == csv_header(FD)
    assert (alice["student"], alice["name"], alice["email"]) == ("s001", "Alice Adams",
                                                                 "alice@uni.example")
    assert (alice["days late"], alice["autograded"], alice["by hand"], alice["total"],
            alice["possible"], alice["roundoff"]) == ("", "7", "", "7", "9", "")
    assert (bob["days late"], bob["by hand"], bob["late penalty"], bob["total"],
            bob["roundoff"], bob["roundoff status"]) == ("2", "1.5", "1.7", "6.8", "1.5",
                                                         "graded by hand")
    assert bob["submitted"].startswith("2026-12-22T")


def test_feedback_names_the_student_exercise_scores_hints_points_by_hand_and_penalty(
        tmp_path):
    roster = read_roster(_write(tmp_path / "roster.csv", ROSTER))
    paths, grades = _class(tmp_path)
    bob = grades[1]
    bob.marks["central"] = Mark("failed", 0.0, "Hint: use both sides of x.", mistake=1)
    bob.marks["roundoff"] = Mark("graded by hand", 1.5, "Good;\nsay why h is small.",
                                 "because")
    term = Term(roster, DEADLINE, parse_policy("10%/day"))
    text = feedback_text(bob, FD, "bob/finite_differences", term.scores(bob, FD))
    assert "Student: Bob Brown (` s002 `)" in text
    assert "Exercise: ` finite_differences `" in text
    assert "2 days after the deadline: 20 % of the points taken (1.1)." in text
    assert "Score: 4.4 of 9 (autograded 4 of 7; by hand: 1.5 of 2; late penalty: -1.1)" \
        in text
    assert "- **central**: failed (0 of 3). Hint: use both sides of x." in text
    assert "- **roundoff**: graded by hand (1.5 of 2). Comment: Good; say why h is small." \
        in text
    assert str(tmp_path) not in text and "subs/" not in text  # no path of the grader's
    alice = feedback_text(grades[0], FD, "alice/finite_differences",
                          term.scores(grades[0], FD))
    assert "in time." in alice and "by hand: not graded yet" in alice
    assert "- **roundoff**: manual. Your instructor grades this answer by hand." in alice


def test_feedback_without_a_roster_names_the_submission_not_the_graders_path(tmp_path):
    from adlearn.grading.writers import write_feedback

    paths, grades = _class(tmp_path)
    assert write_feedback(grades, FD, tmp_path / "feedback") == []
    text = (tmp_path / "feedback" / "alice%2Ffinite_differences.md").read_text()
    assert "Submission: ` alice/finite_differences `" in text and str(tmp_path) not in text


# --- points by hand --------------------------------------------------------------------------


def test_answers_come_with_a_points_sheet_that_holds_no_learners_text(tmp_path):
    roster = read_roster(_write(tmp_path / "roster.csv", ROSTER))
    paths, grades = _class(tmp_path)
    grades[0].marks["roundoff"].text = 's002,2,"forged"\n=HYPERLINK("http://x")'
    term = Term(roster)
    answers = tmp_path / "answers"
    assert write_answers(grades, FD, answers, term=term) == []
    assert write_sheets(grades, FD, answers, term) == []
    assert sorted(os.listdir(answers)) == ["roundoff.csv", "roundoff.md"]
    sheet = (answers / "roundoff.csv").read_text()
    assert sheet == "student,points,comment\ns001,,\ns002,,\n"
    assert "## ` s001 `" in (answers / "roundoff.md").read_text()


def test_a_name_a_spreadsheet_would_take_for_a_formula_is_written_guarded(tmp_path):
    paths, grades = _class(tmp_path, ("=cmd", "bob"))
    write_sheets(grades, FD, tmp_path / "answers")
    sheet = (tmp_path / "answers" / "roundoff.csv").read_text()
    assert "'=cmd/finite_differences,," in sheet
    (tmp_path / "answers" / "roundoff.csv").write_text(sheet.replace(",,", ",1,", 1))
    found = read_sheets(tmp_path / "answers", FD, ["=cmd/finite_differences",
                                                    "bob/finite_differences"])
    assert found == {"roundoff": {"=cmd/finite_differences": (1.0, "")}}


def test_a_filled_sheet_becomes_graded_by_hand_marks_in_the_record(tmp_path):
    paths, grades = _class(tmp_path)
    answers = tmp_path / "answers"
    write_sheets(grades, FD, answers)
    (answers / "roundoff.csv").write_text(
        "student,points,comment\nalice/finite_differences,2,\"Right, and clear.\"\n"
        "bob/finite_differences,,\n")
    sheets = read_sheets(answers, FD, ["alice/finite_differences", "bob/finite_differences"])
    new, changed = apply(grades, FD, sheets)
    assert [g.submission for g in changed] == [str(paths[0])]
    mark = new[0].marks["roundoff"]
    assert (mark.status, mark.points, mark.detail, mark.text) == (
        "graded by hand", 2.0, "Right, and clear.", "cancellation of nearly equal values")
    assert new[1] is grades[1]
    record = Record(FD, tmp_path / "grades.jsonl")
    for g in grades + changed:
        record.add(g)
    record.close()
    again = Record(FD, tmp_path / "grades.jsonl", resume=True)
    again.close()
    assert again.grades[str(paths[0])].marks["roundoff"] == mark  # the latest line wins
    assert Term().scores(again.grades[str(paths[0])], FD).total == 9


def test_writing_the_sheets_again_keeps_what_was_filled_in(tmp_path):
    paths, grades = _class(tmp_path)
    answers = tmp_path / "answers"
    write_sheets(grades[:1], FD, answers)
    (answers / "roundoff.csv").write_text(
        "student,points,comment\nfinite_differences,1.5,half\n")
    write_sheets(grades, FD, answers)  # the class, now: alice kept her line's name
    lines = (answers / "roundoff.csv").read_text().splitlines()
    assert lines[1] == "finite_differences,1.5,half" and len(lines) == 4


@pytest.mark.parametrize("sheet, message", [
    ("student,points,comment\nalice/finite_differences,3,\n",
     "line 2: 3 points is outside 0 to 2, the points of roundoff"),
    ("student,points,comment\nalice/finite_differences,-1,\n", "line 2: -1 points is outside"),
    ("student,points,comment\nalice/finite_differences,nan,\n", "line 2: nan points is outside"),
    ("student,points,comment\nalice/finite_differences,two,\n",
     "line 2: the points 'two' are not a number"),
    ("student,points,comment\nbob/finite_differences,,\nmallory/x,1,\n",
     "line 3: no submission of the student 'mallory/x' was graded"),
    ("student,points,comment\nalice/finite_differences,1,\nalice/finite_differences,2,\n",
     "line 3: the student 'alice/finite_differences' is on line 2 too"),
    ("student,score\nalice/finite_differences,1\n",
     "line 1: a points sheet's header is student,points,comment"),
    ("student,points,comment\nalice/finite_differences,1,ok,extra\n",
     "line 2: 4 fields, not the 3"),
])
def test_a_bad_sheet_is_one_line_naming_the_file_and_line(tmp_path, sheet, message):
    answers = tmp_path / "answers"
    _write(answers / "roundoff.csv", sheet)
    with pytest.raises(GradingError) as caught:
        read_sheets(answers, FD, ["alice/finite_differences", "bob/finite_differences"])
    assert str(caught.value).startswith(str(answers / "roundoff.csv"))
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_folder_without_a_sheet_is_refused(tmp_path):
    (tmp_path / "answers").mkdir()
    with pytest.raises(GradingError, match=r"no points sheet in it \(expected: roundoff.csv\)"):
        read_sheets(tmp_path / "answers", FD, [])


# --- the whole term through the command ----------------------------------------------------


def _solution_and_blank(tmp_path):
    """alice: the solution notebook; bob: the blank student version."""
    subs = tmp_path / "subs"
    for name, source in (("alice", course.source_path("exercises", "finite_differences")),
                         ("bob", course.student_path("exercises", "finite_differences"))):
        (subs / name).mkdir(parents=True)
        shutil.copy(source, subs / name / "finite_differences.ipynb")
    return subs


def test_a_term_through_the_command_roster_deadline_answers_manual_and_a_bad_sheet(
        tmp_path, capsys):
    subs = _solution_and_blank(tmp_path)
    late = (DEADLINE + timedelta(hours=5)).timestamp()
    os.utime(subs / "bob" / "finite_differences.ipynb", (late, late))
    roster = _write(tmp_path / "roster.csv", "folder,id,name,email\nalice,s001,Alice,a@x\n"
                    "bob,s002,Bob,b@x\ncarol,s003,Carol,c@x\n")
    grades, answers = tmp_path / "grades.csv", tmp_path / "answers"
    common = ["grade", "finite_differences", str(subs), "--course", "exercises", "-o",
              str(grades), "--roster", str(roster), "--deadline", "2026-12-20T23:59Z",
              "--late", "10%/day max 50%", "--feedback", str(tmp_path / "feedback")]
    assert main(common + ["--answers", str(answers)]) == 0
    out = capsys.readouterr().out
    assert "in the roster, no submission (1): s003 (carol)" in out
    assert (answers / "roundoff.csv").read_text() == "student,points,comment\ns001,,\ns002,,\n"
    rows = _rows(grades)
    assert [(r["student"], r["total"], r["by hand"], r["days late"]) for r in rows] == [
        ("s001", "7", "", ""), ("s002", "0", "", "1")]

    record = (tmp_path / "grades.jsonl").read_text()
    (answers / "roundoff.csv").write_text("student,points,comment\ns001,3,\ns002,,\n")
    assert main(common + ["--resume", "--manual", str(answers)]) == 2
    err = capsys.readouterr().err
    assert f"{answers / 'roundoff.csv'}, line 2: 3 points is outside 0 to 2" in err
    assert (tmp_path / "grades.jsonl").read_text() == record  # nothing recorded is lost

    (answers / "roundoff.csv").write_text(
        "student,points,comment\ns001,1.5,\"Right; say why, too.\"\ns002,,\n")
    assert main(common + ["--resume", "--manual", str(answers)]) == 0
    out = capsys.readouterr().out
    assert "resumed: 2 graded before, 0 to grade" in out + capsys.readouterr().err
    alice, bob = _rows(grades)
    assert (alice["by hand"], alice["total"], alice["possible"], alice["roundoff status"]) \
        == ("1.5", "8.5", "9", "graded by hand")
    lines = [json.loads(line) for line in (tmp_path / "grades.jsonl").read_text().splitlines()]
    assert lines[-1]["marks"]["roundoff"]["detail"] == "Right; say why, too."
    feedback = (tmp_path / "feedback" / "alice%2Ffinite_differences.md").read_text()
    assert "Student: Alice (` s001 `)" in feedback and "Comment: Right; say why, too." in feedback
    assert str(tmp_path) not in feedback


def test_the_report_lists_the_late_submissions_and_counts_the_points_by_hand(tmp_path):
    from adlearn.grading import report

    roster = read_roster(_write(tmp_path / "roster.csv", ROSTER))
    paths, grades = _class(tmp_path)
    grades[0].marks["roundoff"] = Mark("graded by hand", 2.0, "", "because")
    record = Record(FD, tmp_path / "grades.jsonl")
    for g in grades:
        record.add(g)
    record.close()
    write_csv(grades, FD, tmp_path / "grades.csv", Term(roster, DEADLINE,
                                                        parse_policy("10%/day")))
    summary = report.write_report(tmp_path / "grades.csv", tmp_path / "report.html",
                                  "exercises")
    page = (tmp_path / "report.html").read_text()
    assert "<h2>Late work and points by hand</h2>" in page
    assert "1 submission came after the deadline; 1 submission had written answers " \
        "graded by hand" in page
    late = page.split("<caption>Late submissions</caption>", 1)[1].split("</table>")[0]
    assert "bob/finite_differences.ipynb" in late and "alice" not in late
    assert ">s002<" in late and ">2<" in late and ">1.4<" in late
    assert [row.total for row in summary.rows] == [9, 5.6]


@pytest.mark.parametrize("options, message", [
    (["--late", "10%/day"], "--late 10%/day: give the --deadline it counts from"),
    (["--deadline", "soon"], "--deadline: 'soon' is not a time"),
    (["--deadline", "2026-12-20T23:59", "--late", "lots"], "--late 'lots': give none"),
    (["--manual", "nowhere"], "--manual nowhere: no such folder"),
    (["--roster", "nowhere.csv"], "--roster nowhere.csv: cannot read it"),
])
def test_a_bad_term_option_is_one_line_before_anything_is_graded(tmp_path, capsys, options,
                                                                  message):
    subs = _solution_and_blank(tmp_path)
    assert main(["grade", "finite_differences", str(subs), "--course", "exercises", "-o",
                 str(tmp_path / "grades.csv"), *options]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "grades.jsonl").exists()


def test_a_name_that_is_not_utf8_is_on_the_points_sheet_escaped_and_read_back(tmp_path):
    paths, grades = _class(tmp_path, (os.fsdecode(b"r\xe9sum\xe9"), "bob"))
    assert write_sheets(grades, FD, tmp_path / "answers") == []
    sheet = (tmp_path / "answers" / "roundoff.csv").read_text(encoding="utf-8")
    assert "r\\xe9sum\\xe9/finite_differences,," in sheet
    (tmp_path / "answers" / "roundoff.csv").write_text(sheet.replace(",,", ",2,", 1))
    from adlearn.grading.writers import keys

    found = read_sheets(tmp_path / "answers", FD, keys(paths))
    new, changed = apply(grades, FD, found)
    assert [g.submission for g in changed] == [str(paths[0])]
