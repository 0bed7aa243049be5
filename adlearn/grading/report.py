"""The class report: what a class got wrong, from the grades ``adlearn grade`` wrote.

    adlearn report grades.csv -o report.html [--course DIR]

It reads the CSV (and the record beside it, ``grades.jsonl``, which names the exercise
and keeps each mark's detail), loads the exercise's question table (for the known
mistakes' hints and the tutorial sections) and writes one HTML page that loads nothing
from anywhere (its pictures are embedded, its style inline): the score distribution,
each question's pass rate, the known mistakes that fired, most frequent first (the
class's misconceptions, each with its hint and the tutorial section to revisit), the
statuses, and the submissions to read by hand, each with the reason.
"""

import base64
import csv
import html
import io
import json
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..errors import GradingError
from ..text import counted
from . import course
from .marks import FAILED, MANUAL, NOT_ANSWERED, PASSED, REVIEW, STATUSES
from .records import record_path
from .submissions import shown
from .writers import csv_header

# Okabe & Ito's colour-blind-safe colours (as adlearn's drawings), each with a hatch, so
# the outcomes also differ in grey: passed, known mistake, other wrong, not answered,
# not judged, by hand.
OUTCOMES = (("passed", "#009E73", ""), ("a known mistake", "#D55E00", "//"),
            ("wrong otherwise", "#E69F00", ".."), ("not answered", "#B4B4B4", ""),
            ("not judged", "#000000", "xx"), ("to grade by hand", "#56B4E9", "\\\\"))


# --- reading the grades ----------------------------------------------------------------


@dataclass
class Row:
    """One submission's line of the CSV: its total, and each question's status and known
    mistake (its number in the question's ``wrong``; 0: none), with the mark's detail
    from the record ("" without one)."""

    submission: str
    total: float
    statuses: dict
    mistakes: dict
    details: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)  # the whole line, by column


def read_grades(path, root=None):
    """The exercise and a Row per submission of a grades CSV; GradingError, saying what
    is wrong and where, for a file that is not one."""
    path = Path(path)
    if not path.is_file():
        raise GradingError(f"no such grades file: {path}")
    try:
        lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GradingError(f"{path} is not a grades CSV of adlearn grade ({exc})") from None
    if not lines or lines[0][:1] != ["submission"] or "total" not in lines[0]:
        raise GradingError(f"{path} is not a grades CSV of adlearn grade (its first line "
                           "should begin submission,student,...)")
    header, details = lines[0], _record_details(record_path(path))
    exercise = _exercise_of(header, details.pop(None, ""), root, path)
    rows = [_row(line, number, exercise, path) for number, line in enumerate(lines[1:], 2)
            if line]
    for row in rows:
        row.details = details.get(row.submission, {})
    return exercise, rows


def _record_details(path):
    """From the record beside the CSV: {None: the exercise's name, submission: {question:
    detail}} (the latest line of each submission); {} if there is none to read."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        found = {None: str(json.loads(lines[0])["exercise"])}
    except (OSError, UnicodeDecodeError, ValueError, IndexError, TypeError, KeyError):
        return {}
    for line in lines[1:]:
        try:
            entry = json.loads(line)
            found[shown(str(entry["submission"]))] = {str(q): str(m.get("detail", ""))
                                               for q, m in entry["marks"].items()}
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # a line cut short by a killed run
    return found


def _exercise_of(header, name, root, path):
    """The exercise whose CSV columns these are: the one the record names, else the one
    of the course whose columns match."""
    root = Path(root or course.default_root())
    if name:
        exercise = course.exercise(name, root)
        if csv_header(exercise) != header:
            raise GradingError(f"{path}: its columns are not those of the exercise {name} "
                               f"that {record_path(path).name} names (its questions now: "
                               f"{', '.join(q.id for q in exercise.questions)})")
        return exercise
    matches = [e for e in (course.exercise(n, root) for n in course.names(root))
               if csv_header(e) == header]
    if len(matches) != 1:
        which = ("no exercise" if not matches else
                 "several exercises (" + ", ".join(e.name for e in matches) + ")")
        raise GradingError(f"{path}: its columns match {which} in {root}, and there is no "
                           f"{record_path(path).name} beside it to name the exercise "
                           "(give --course, the course folder it was graded from)")
    return matches[0]


def _row(line, number, exercise, path):
    where = f"{path}, line {number}"
    header = csv_header(exercise)
    if len(line) != len(header):
        raise GradingError(f"{where}: {counted(len(line), 'field')}, not the {len(header)} "
                           "of the header")
    fields = dict(zip(header, line))
    try:
        total = float(fields["total"])
    except ValueError:
        raise GradingError(f"{where}: the total {fields['total']!r} is not a number") from None
    if not math.isfinite(total):
        raise GradingError(f"{where}: the total {fields['total']!r} is not a number")
    statuses, mistakes = {}, {}
    for q in exercise.questions:
        status = fields[f"{q.id} status"]
        if status not in STATUSES:
            raise GradingError(f"{where}: {q.id}'s status {status!r} is not one of "
                               f"{', '.join(STATUSES)}")
        mistake = fields.get(f"{q.id} mistake", "")
        if mistake and not (mistake.isdigit() and 1 <= int(mistake) <= len(q.wrong)):
            raise GradingError(f"{where}: {q.id}'s mistake {mistake!r} is not the number of "
                               f"a known mistake (it has "
                               f"{counted(len(q.wrong), 'known mistake')})")
        statuses[q.id], mistakes[q.id] = status, int(mistake or 0)
    return Row(fields["submission"], total, statuses, mistakes, fields=fields)


# --- what the class got wrong ----------------------------------------------------------


@dataclass
class Misconception:
    """A known mistake that fired: its question, its number in the question's ``wrong``,
    and the submissions that made it."""

    question: object
    number: int
    submissions: list

    @property
    def hint(self):
        return self.question.wrong[self.number - 1].hint


@dataclass
class QuestionSummary:
    """One question across the class: how many marks of each status, and its known
    mistakes that fired (most frequent first), and the wrong answers none explains."""

    question: object
    statuses: Counter
    mistakes: list
    unexplained: list

    @property
    def pass_rate(self):
        """The share of the submissions that passed it (0 to 1; 0 for no submission)."""
        return self.statuses[PASSED] / max(sum(self.statuses.values()), 1)


@dataclass
class Summary:
    """What the report says about a class: the exercise, a Row per submission, and
    what follows from them."""

    exercise: object
    rows: list

    @cached_property
    def questions(self):
        return [_question_summary(q, self.rows) for q in self.exercise.questions]

    @property
    def misconceptions(self):
        """Every known mistake that fired, most frequent first (ties in question order)."""
        found = [m for s in self.questions for m in s.mistakes]
        return sorted(found, key=lambda m: -len(m.submissions))

    @property
    def statuses(self):
        """For each status that occurs: how many marks have it, and in how many submissions."""
        marks = Counter(s for row in self.rows for s in row.statuses.values())
        submissions = Counter(s for row in self.rows for s in set(row.statuses.values()))
        return [(s, marks[s], submissions[s]) for s in STATUSES if marks[s]]

    @property
    def to_read(self):
        """(submission, reasons) of each submission with a status to review (the grader's
        failures among them): each reason names the questions, the status and the
        mark's detail."""
        found = []
        for row in self.rows:
            reasons = {}
            for qid, status in row.statuses.items():
                if status in REVIEW:
                    reasons.setdefault((status, row.details.get(qid, "")), []).append(qid)
            if reasons:
                found.append((row.submission, [
                    f"{', '.join(qids)}: {status}" + (f" ({detail})" if detail else "")
                    for (status, detail), qids in reasons.items()]))
        return found


def _question_summary(q, rows):
    statuses = Counter(row.statuses[q.id] for row in rows)
    by_mistake = {}
    for row in rows:
        if row.statuses[q.id] == FAILED and row.mistakes[q.id]:
            by_mistake.setdefault(row.mistakes[q.id], []).append(row.submission)
    mistakes = sorted((Misconception(q, n, subs) for n, subs in by_mistake.items()),
                      key=lambda m: (-len(m.submissions), m.number))
    unexplained = [row.submission for row in rows
                   if row.statuses[q.id] == FAILED and not row.mistakes[q.id]]
    return QuestionSummary(q, statuses, mistakes, unexplained)


def score_bins(totals, possible):
    """The histogram's bars as (label, count): one per score when the scores are whole
    numbers up to 30, else ten equal ranges from 0 to the points possible."""
    if all(float(t).is_integer() for t in totals) and float(possible).is_integer() \
            and possible <= 30:
        counts = Counter(int(t) for t in totals)
        return [(str(k), counts[k]) for k in range(int(max(possible, *totals, 0)) + 1)]
    top = max(possible, *totals, 1e-9)
    width = top / 10
    counts = Counter(min(int(t / width), 9) for t in totals)
    return [(f"{k * width:.3g}–{(k + 1) * width:.3g}", counts[k]) for k in range(10)]


# --- the page --------------------------------------------------------------------------


def _picture(figure):
    """A matplotlib figure as a data: URI of its SVG (no date in it: the same figure, the
    same bytes)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram_picture(bins, possible):
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6.4, 3.0))
    ax = figure.add_subplot()
    labels, counts = zip(*bins)
    bars = ax.bar(labels, counts, color="#0072B2", edgecolor="#1A1A1A", linewidth=0.6)
    ax.bar_label(bars, labels=[str(c) if c else "" for c in counts], padding=2)
    ax.set_xlabel(f"score (points, of {possible:g})")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(counts) * 1.15 + 0.5)
    ax.spines[["top", "right"]].set_visible(False)
    if len(labels) > 12:
        ax.tick_params(axis="x", labelrotation=45)
    return _picture(figure)


def outcome_counts(summary):
    """Each outcome's count, for a question: in OUTCOMES's order."""
    s = summary.statuses
    return (s[PASSED], sum(len(m.submissions) for m in summary.mistakes),
            len(summary.unexplained), s[NOT_ANSWERED], sum(s[x] for x in REVIEW),
            s[MANUAL])


def outcomes_picture(summaries, submissions):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 0.9 + 0.45 * len(summaries)))
    ax = figure.add_subplot()
    names = [s.question.id for s in summaries][::-1]
    counts = [outcome_counts(s) for s in summaries][::-1]
    left = [0] * len(names)
    for i, (label, colour, hatch) in enumerate(OUTCOMES):
        widths = [c[i] for c in counts]
        if any(widths):
            ax.barh(names, widths, left=left, label=label, color=colour, hatch=hatch,
                    edgecolor="#FFFFFF" if colour == "#000000" else "#1A1A1A", linewidth=0.6)
        left = [a + b for a, b in zip(left, widths)]
    ax.set_xlim(0, max(submissions, 1))
    ax.set_xlabel("submissions")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    return _picture(figure)


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1a1a1a; background: #ffffff; line-height: 1.45; margin: 0; }
main { max-width: 64rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #0072b2; }
table { border-collapse: collapse; margin: 0.8rem 0; }
caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
th, td { border: 1px solid #8c8c8c; padding: 0.3rem 0.6rem; text-align: left;
         vertical-align: top; }
thead th { background: #e8eef4; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums;
                     white-space: nowrap; }
img { max-width: 100%; height: auto; }
code { font-size: 0.95em; background: #f2f2f2; padding: 0 0.2rem; }
.note { color: #404040; }
"""


def _e(text):
    return html.escape(str(text), quote=True)


def _percent(part, whole):
    return f"{100 * part / whole:.0f} %" if whole else "–"


def _table(caption, columns, rows, numeric=()):
    """An HTML table: a caption, a header row (th scope=col), and rows whose first cell
    is the row's header (th scope=row). Cells are given as HTML; numeric: the indices of
    columns of numbers (right-aligned)."""
    def cls(i):
        return ' class="number"' if i in numeric else ""
    head = "".join(f'<th scope="col"{cls(i)}>{c}</th>' for i, c in enumerate(columns))
    body = "".join("<tr>" + "".join(
        (f'<th scope="row"{cls(i)}>{c}</th>' if i == 0 else f"<td{cls(i)}>{c}</td>")
        for i, c in enumerate(row)) + "</tr>\n" for row in rows)
    return (f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>\n{body}</tbody></table>")


def _tutorial(question):
    if not question.tutorial:
        return '<span class="note">no section named</span>'
    notebook, heading = question.tutorial.split("#", 1)
    return f"“{_e(heading)}” in <code>{_e(notebook)}</code>"


def _question_name(q):
    return f"<code>{_e(q.id)}</code>" + (f": {_e(q.prompt)}" if q.prompt else "")


def term_part(rows):
    """The late submissions (their student, time, days late and points taken) and how
    many written answers were graded by hand, as HTML parts (none if neither)."""
    late = [r for r in rows if r.fields.get("days late")]
    by_hand = [r for r in rows if r.fields.get("by hand")]
    if not (late or by_hand):
        return []
    parts = ["<h2>Late work and points by hand</h2>",
             f"<p>{counted(len(late), 'submission')} came after the deadline; "
             f"{counted(len(by_hand), 'submission')} had written answers graded by hand "
             "(adlearn grade ... --manual).</p>"]
    if late:
        parts.append(_table("Late submissions", ["Submission", "Student", "Submitted",
                                                 "Days late", "Points taken"],
                            [[f"<code>{_e(r.submission)}</code>", _e(r.fields["student"]),
                              _e(r.fields["submitted"]), _e(r.fields["days late"]),
                              _e(r.fields["late penalty"] or "0")] for r in late],
                            numeric=(3, 4)))
    return parts


def page(summary, source=""):
    """The report as one HTML page (a string)."""
    exercise, rows = summary.exercise, summary.rows
    n = len(rows)
    totals = [row.total for row in rows]
    questions = summary.questions
    parts = [f"<h1>What the class got wrong: {_e(exercise.title)}</h1>",
             f"<p>The exercise <code>{_e(exercise.name)}</code>: {counted(n, 'submission')}, "
             f"{exercise.possible:g} points graded automatically"
             + (f", from <code>{_e(source)}</code>" if source else "") + ".</p>"]

    parts.append("<h2>Scores</h2>")
    if rows:
        bins = score_bins(totals, exercise.possible)
        parts.append(f'<img src="{histogram_picture(bins, exercise.possible)}" alt="A '
                     f"histogram of the scores of {counted(n, 'submission')}, from 0 to "
                     f'{exercise.possible:g} points; the table below gives its numbers.">')
        parts.append(_table("Score distribution", ["Score (points)", "Submissions"],
                            [[_e(label), count] for label, count in bins], numeric=(1,)))
        parts.append(f"<p>Mean {statistics.fmean(totals):.3g}, median "
                     f"{statistics.median(totals):g}, lowest {min(totals):g}, highest "
                     f"{max(totals):g} of {exercise.possible:g} points.</p>")
    else:
        parts.append("<p>The CSV holds no submission.</p>")

    parts.append("<h2>The class's misconceptions</h2>")
    misconceptions = summary.misconceptions
    if misconceptions:
        parts.append("<p>The known mistakes that the wrong answers matched, most frequent "
                     "first: each with the hint its learners were given and the tutorial "
                     "section that teaches it.</p>")
        parts.append(_table("Known mistakes that fired, most frequent first",
                            ["Submissions", "Question", "The mistake's hint",
                             "Tutorial section to revisit"],
                            [[f"{len(m.submissions)} ({_percent(len(m.submissions), n)})",
                              f"<code>{_e(m.question.id)}</code>", _e(m.hint),
                              _tutorial(m.question)] for m in misconceptions], numeric=(0,)))
    else:
        parts.append("<p>No wrong answer matched a known mistake.</p>")

    parts.append("<h2>Questions</h2>")
    if rows:
        parts.append(f'<img src="{outcomes_picture(questions, n)}" alt="A bar per question, '
                     "split by outcome (passed, a known mistake, wrong otherwise, not "
                     "answered, not judged, to grade by hand); the table below gives the "
                     'numbers.">')
    parts.append(_table(
        "Each question's outcomes", ["Question", "Points", "Passed", "A known mistake",
                                     "Wrong otherwise", "Not answered", "Not judged",
                                     "By hand"],
        [[_question_name(s.question), f"{s.question.points:g}"]
         + ([f"{s.statuses[PASSED]} ({100 * s.pass_rate:.0f} %)"]
            if s.question.autograded else ["–"])
         + list(outcome_counts(s)[1:]) for s in questions],
        numeric=(1, 2, 3, 4, 5, 6, 7)))

    parts.append("<h2>Statuses</h2>")
    parts.append(_table("How many marks of each status", ["Status", "What it means", "Marks",
                                                          "Submissions"],
                        [[_e(s), _e(STATUSES[s].meaning), marks, subs]
                         for s, marks, subs in summary.statuses], numeric=(2, 3)))
    manual = sum(1 for row in rows for s in row.statuses.values() if s == MANUAL)
    if manual:
        parts.append(f"<p>{manual} written answer{'' if manual == 1 else 's'} to grade by "
                     "hand: <code>adlearn grade ... --answers DIR</code> collects them, one "
                     "file per question.</p>")

    parts.append("<h2>Submissions to read by hand</h2>")
    to_read = summary.to_read
    if to_read:
        parts.append("<p>Some of their questions have a status a person should look at "
                     "(the grader's own failures among them, which <code>--resume</code> "
                     "grades again); their points for those are 0 until a person has "
                     "looked.</p>")
        parts.append(_table("Submissions with a status to review", ["Submission",
                                                                             "Why"],
                            [[f"<code>{_e(sub)}</code>",
                              "<br>".join(_e(r) for r in reasons)]
                             for sub, reasons in to_read]))
    else:
        parts.append("<p>The grader judged every question of every submission.</p>")
    unexplained = [s for s in questions if s.unexplained]
    if unexplained:
        parts.append("<p>Wrong answers that no known mistake explains: reading them may "
                     "show a new misconception, worth a known mistake (with its hint) in "
                     "the question table.</p>")
        parts.append(_table("Wrong answers no known mistake explains",
                            ["Question", "Submissions"],
                            [[_question_name(s.question),
                              "<br>".join(f"<code>{_e(sub)}</code>" for sub in s.unexplained)]
                             for s in unexplained]))
    parts += term_part(rows)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>Class report: {_e(exercise.title)}</title>\n<style>{STYLE}</style>\n"
            "</head>\n<body>\n<main>\n" + "\n".join(parts) + "\n</main>\n</body>\n</html>\n")


def write_report(grades, output, root=None):
    """Read a grades CSV and write its report to output; returns the Summary."""
    output = Path(output)
    if output.is_dir():
        raise GradingError(f"-o {output}: is a folder; give the HTML file to write")
    if not output.parent.is_dir():
        raise GradingError(f"-o {output}: the folder {output.parent} does not exist")
    exercise, rows = read_grades(grades, root)
    summary = Summary(exercise, rows)
    output.write_text(page(summary, Path(grades).name), encoding="utf-8")
    return summary
