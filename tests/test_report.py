"""The class report (adlearn report): what a class got wrong, from a grades CSV.

The aggregation is checked on hand-made CSVs whose counts are known; the page itself
in headless Chromium (the machinery of test_browser.py): it renders, its pictures load,
no request leaves it and axe-core finds no serious or critical violation. And every
question of every exercise names a tutorial section that exists.
"""

import json
import re
from pathlib import Path

import pytest

from adlearn.grading import course

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def section_headings(notebook):
    """The section headings of a tutorial notebook, without their '#' and number."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return {re.sub(r"^#+\s*(\d+\.\s+)?", "", line).strip()
            for cell in cells if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines() if line.startswith("#")}


@pytest.mark.parametrize("name", course.names("exercises"))
def test_every_question_points_to_a_tutorial_section_that_exists(name):
    exercise = course.exercise(name, "exercises")
    without = [q.id for q in exercise.questions if not q.tutorial]
    assert not without, (f"exercise {name}: give each question its tutorial section "
                         f"(tutorial=\"NN_notebook.ipynb#Section heading\"); missing for "
                         f"{', '.join(without)}")
    for q in exercise.questions:
        notebook, heading = q.tutorial.split("#", 1)
        assert (NOTEBOOKS / notebook).is_file(), f"{name}.{q.id}: no notebook {notebook}"
        assert heading in section_headings(NOTEBOOKS / notebook), (
            f"{name}.{q.id}: {notebook} has no section {heading!r}")


# --- the aggregation, on a hand-made CSV ------------------------------------------------

from adlearn.cli import main  # noqa: E402
from adlearn.errors import GradingError  # noqa: E402
from adlearn.grading import report  # noqa: E402
from adlearn.grading.questions import Question  # noqa: E402

HEADER = ("submission,student,name,email,submitted,days late,autograded,by hand,late penalty,"
          "total,possible,central,central status,central mistake,step,step status,step mistake,"
          "order,order status,order mistake,roundoff,roundoff status")
CLASS = [  # central's mistake 2 fires three times, mistake 1 once; step's 3 twice
    "a.ipynb,7,7,3,passed,,2,passed,,2,passed,,,manual",
    "b.ipynb,4,7,0,failed,2,2,passed,,2,passed,,,manual",
    "c.ipynb,2,7,0,failed,2,0,failed,3,2,passed,,,manual",
    "d.ipynb,0,7,0,failed,2,0,failed,3,0,failed,,,not answered",
    "e.ipynb,2,7,0,failed,1,2,passed,,0,kernel died,,,manual",
    "f.ipynb,0,7,0,invalid notebook,,0,invalid notebook,,0,invalid notebook,,,invalid notebook",
]


def full(line):
    """A line given as submission,total,possible,questions... in the CSV's layout (no
    student, lateness or points by hand)."""
    fields = line.split(",")
    if len(fields) < 3:
        return line
    return ",".join([fields[0], "", "", "", "", "", fields[1], "", "", *fields[1:]])


def write_class(folder, lines=CLASS, record=True):
    path = folder / "grades.csv"
    path.write_text("\n".join([HEADER, *map(full, lines)]) + "\n", encoding="utf-8")
    if record:
        (folder / "grades.jsonl").write_text(json.dumps({"exercise": "finite_differences"})
                                             + "\n", encoding="utf-8")
    return path


def test_misconceptions_most_frequent_first_and_pass_rates(tmp_path):
    exercise, rows = report.read_grades(write_class(tmp_path), "exercises")
    summary = report.Summary(exercise, rows)
    found = [(m.question.id, m.number, len(m.submissions)) for m in summary.misconceptions]
    assert found == [("central", 2, 3), ("step", 3, 2), ("central", 1, 1)]
    assert summary.misconceptions[0].hint == exercise.question("central").wrong[1].hint
    rates = {s.question.id: s.pass_rate for s in summary.questions}
    assert rates == {"central": 1 / 6, "step": 3 / 6, "order": 3 / 6, "roundoff": 0}
    order = next(s for s in summary.questions if s.question.id == "order")
    assert order.unexplained == ["d.ipynb"]  # failed, no known mistake
    assert [sub for sub, _ in summary.to_read] == ["e.ipynb", "f.ipynb"]
    assert summary.to_read[0][1] == ["order: kernel died"]
    assert dict((s, m) for s, m, _ in summary.statuses)["manual"] == 4
    assert report.score_bins([r.total for r in rows], 7)[:3] == [("0", 2), ("1", 0), ("2", 2)]


def test_the_exercise_is_found_without_the_record(tmp_path):
    exercise, _ = report.read_grades(write_class(tmp_path, record=False), "exercises")
    assert exercise.name == "finite_differences"


@pytest.mark.parametrize("lines, message", [
    (["a.ipynb,7,7,3,passed,,2,passed,,2,passed,,,manual,extra"], "line 2: 23 fields"),
    (["a.ipynb"], "line 2: 1 field, not the 22 of the header"),
    (["a.ipynb,seven,7,3,passed,,2,passed,,2,passed,,,manual"], "is not a number"),
    (["a.ipynb,7,7,3,fine,,2,passed,,2,passed,,,manual"], "central's status 'fine'"),
    (["a.ipynb,0,7,0,failed,9,2,passed,,2,passed,,,manual"],
     "central's mistake '9' is not the number of a known mistake \\(it has 4 known mistakes\\)"),
])
def test_a_bad_line_is_an_error_that_says_where(tmp_path, lines, message):
    with pytest.raises(GradingError, match=message):
        report.read_grades(write_class(tmp_path, lines), "exercises")


def test_bad_input_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "notes.csv").write_text("name,score\nann,3\n")
    for argv, message in [([str(tmp_path / "none.csv")], "no such grades file"),
                          ([str(tmp_path / "notes.csv")], "is not a grades CSV"),
                          ([str(write_class(tmp_path)), "-o", str(tmp_path)], "is a folder")]:
        assert main(["report", *argv, "--course", "exercises"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("adlearn: error: ") and message in err and err.count("\n") == 1


def test_a_tutorial_that_names_no_section_is_refused():
    with pytest.raises(GradingError, match="tutorial must name a notebook and a section"):
        Question("explain", 1, "text", tutorial="05_forward_mode.ipynb")


def test_one_submission_is_counted_in_the_singular(tmp_path, capsys):
    lines = ["a.ipynb,7,7,3,passed,,2,passed,,2,passed,,,manual"]
    output = tmp_path / "report.html"
    assert main(["report", str(write_class(tmp_path, lines)), "-o", str(output),
                 "--course", "exercises"]) == 0
    assert f"wrote {output}: 1 submission of finite_differences;" in capsys.readouterr().out
    text = output.read_text(encoding="utf-8")
    assert "1 submission, 7 points" in text and "the scores of 1 submission," in text


def test_the_page_names_the_exercise_and_escapes_what_it_quotes(tmp_path):
    lines = [*CLASS, "<script>x</script>.ipynb,0,7,0,failed,,0,failed,,0,failed,,,manual"]
    output = tmp_path / "report.html"
    assert main(["report", str(write_class(tmp_path, lines)), "-o", str(output),
                 "--course", "exercises"]) == 0
    text = output.read_text(encoding="utf-8")
    assert "Finite differences" in text and "<script>" not in text
    assert "“The central difference” in <code>03_numeric_differentiation.ipynb</code>" in text


# --- the page in a real browser -------------------------------------------------------

from test_browser import axe_script, axe_violations, browser  # noqa: E402,F401


@pytest.mark.browser
def test_the_report_in_a_browser(browser, tmp_path):  # noqa: F811
    axe = axe_script()
    output = tmp_path / "report.html"
    report.write_report(write_class(tmp_path), output, "exercises")
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    left = []

    def route(r):
        if r.request.url.startswith("data:") or r.request.url == output.as_uri():
            r.continue_()
        else:
            left.append(r.request.url)
            r.abort()
    try:
        page.route("**/*", route)
        page.goto(output.as_uri())
        images = page.locator("img")
        assert images.count() == 2
        for i in range(images.count()):
            assert images.nth(i).evaluate("i => i.complete && i.naturalWidth > 0")
            assert images.nth(i).get_attribute("alt")
        assert left == []
        assert page.locator("h2").all_text_contents()[:2] == ["Scores",
                                                             "The class's misconceptions"]
        page.add_script_tag(path=str(axe))
        assert axe_violations(page, "main") == []
    finally:
        page.close()


from adlearn.grading.marks import REVIEW, STATUSES  # noqa: E402


@pytest.mark.parametrize("status", REVIEW)
def test_every_status_to_review_is_listed_to_read_by_hand(tmp_path, status):
    """The grader's failures, a result hidden from the grader ("no result", once a
    "failed" with a hint about Jupyter's display), a notebook out of its time budget or
    without its metadata: each is listed with its detail, and counted as not judged."""
    line = f"g.ipynb,7,7,3,passed,,2,passed,,0,{status},,,manual"
    path = write_class(tmp_path, [CLASS[0], line])
    with open(tmp_path / "grades.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"submission": "g.ipynb", "sha256": "", "marks": {
            "order": {"status": status, "detail": "<script>alert(1)</script> why"}}}) + "\n")
    summary = report.Summary(*report.read_grades(path, "exercises"))
    assert summary.to_read == [("g.ipynb", [f"order: {status} (<script>alert(1)</script> why)"])]
    order = next(s for s in summary.questions if s.question.id == "order")
    assert report.outcome_counts(order)[4] == 1  # not judged
    page = report.page(summary)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; why" in page
    assert STATUSES[status].review


def test_only_the_statuses_to_review_are_listed():
    assert set(REVIEW) == set(STATUSES) - {"passed", "failed", "not answered", "manual",
                                           "graded by hand"}


@pytest.mark.browser
def test_no_script_in_a_name_a_detail_or_a_returned_string_runs_in_the_browser(
        browser, tmp_path):  # noqa: F811
    """A submission named with markup, whose record's details quote markup the learner's
    code returned or raised: the page shows them as text, and none of it runs."""
    attack = "<img src=x onerror=\"window.ran=1\"><script>window.ran=1</script>"
    name = f"{attack}.ipynb".replace(",", " ")
    path = write_class(tmp_path, [CLASS[0], f"{name},0,7,0,failed,,0,no result,,0,error,,,manual"])
    with open(tmp_path / "grades.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"submission": name, "sha256": "", "marks": {
            "step": {"status": "no result", "detail": f"your code returned '{attack}'"},
            "order": {"status": "error", "detail": f"ValueError: {attack}"}}}) + "\n")
    output = tmp_path / "report.html"
    report.write_report(path, output, "exercises")
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: dialogs.append(d) or d.dismiss())
    try:
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
            ("data:", output.as_uri())) else r.abort())
        page.goto(output.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("window.ran") is None and dialogs == []
        assert page.locator("main img").count() == 2  # only the report's own pictures
        assert attack in page.locator("main").inner_text()
    finally:
        page.close()
