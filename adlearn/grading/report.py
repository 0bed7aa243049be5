"""The class report: what a class got wrong, as one HTML page.

    adlearn report grades.csv -o report.html [--course DIR]

It reads the class's grades (summary.py sums them up) and writes one HTML page that
loads nothing from anywhere (its pictures are embedded, its style inline): the score
distribution, each question's pass rate, the known mistakes that fired, most frequent
first (the class's misconceptions, each with its hint and the tutorial section to
revisit), the statuses, and the submissions to read by hand, each with the reason.
"""

import base64
import html
import io
import statistics
from pathlib import Path

from ..errors import GradingError
from ..text import counted
from .marks import MANUAL, NOT_ANSWERED, PASSED, REVIEW, STATUSES
from .summary import Summary, read_grades, score_bins

# Okabe & Ito's colour-blind-safe colours (as adlearn's drawings), each with a hatch, so
# the outcomes also differ in grey: passed, known mistake, other wrong, not answered,
# not judged, by hand.
OUTCOMES = (("passed", "#009E73", ""), ("a known mistake", "#D55E00", "//"),
            ("wrong otherwise", "#E69F00", ".."), ("not answered", "#B4B4B4", ""),
            ("not judged", "#000000", "xx"), ("to grade by hand", "#56B4E9", "\\\\"))


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
div.table { max-width: 100%; overflow-x: auto; }
p, h1 { overflow-wrap: anywhere; }
td, th { overflow-wrap: break-word; }
@media (max-width: 40rem) { main { padding: 0.5rem 0.8rem 2rem; }
                            th, td { padding: 0.25rem 0.4rem; } }
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
    # in a box of its own that scrolls sideways on a narrow screen (a phone), so the page
    # does not; focusable and named, so a keyboard can scroll it too
    return (f'<div class="table" role="region" tabindex="0" aria-label="{_e(caption)}">'
            f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>\n{body}</tbody></table></div>")


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
                            ["Question", "What the answer returned", "Submissions"],
                            [[_question_name(s.question),
                              _e(what) if what else '<span class="note">not recorded (no '
                              'record beside the CSV says)</span>', count]
                             for s in unexplained for what, count in s.wrong_answers],
                            numeric=(2,)))
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
