"""A question's rule: the learner's own work, or nothing (issue 22).

The library shortcuts of tests/shortcuts.py answer right, yet score 0 on their question:
in the grader's judge (the notebook's code read with ast), in the sandbox while the
question is probed (a dodge the syntax check missed), and in the learner's check; the
honest solutions still score full (test_grading_exercises). Dynamic access is judged as
usual and flagged for a person to read.
"""

import json
import subprocess
import sys

import pytest

from adlearn.errors import GradingError, WriteItYourself, WrongAnswer
from adlearn.grading import Question, Wrong, batch, check, course, notebooks, rules, submissions
from adlearn.grading.check import CHECKS
from adlearn.grading.limits import Limits
from adlearn.grading.marks import DYNAMIC, REVIEW, STATUSES, Grade, Mark, read_mark
from adlearn.grading.rules import Rule
from adlearn.grading.writers import csv_row
from shortcuts import SHORTCUTS, answer_cell, submission

ROOT = "exercises"
SHORTCUT_QUESTIONS = [pytest.param(name, qid, id=f"{name}.{qid}")
                      for name, cuts in SHORTCUTS.items() for qid in cuts]


def learner_cells(nb):
    """(source, learner) of every cell of a notebook, as the grader reads it."""
    return [(c.source if c.cell_type == "code" else "",
             bool(notebooks.nbgrader(c).get("solution"))) for c in nb.cells]


def run_up_to(nb, end):
    """A namespace holding what the notebook's code cells up to cell end define (grading
    cells left out; a cell that raises is skipped, as the grader's kernel goes on)."""
    ns = {"__name__": "shortcut"}
    for cell in nb.cells[:end + 1]:
        if cell.cell_type == "code" and not notebooks.nbgrader(cell).get("grade"):
            try:
                exec(cell.source, ns)
            except Exception:
                pass
    return ns


# --- the rule as a question table states it -----------------------------------------


def test_every_question_a_shortcut_passes_states_a_rule():
    for name, cuts in SHORTCUTS.items():
        for qid in cuts:
            assert course.exercise(name, ROOT).question(qid).ruled, f"{name}.{qid}"


@pytest.mark.parametrize("text", ["ad.topological_order", "never ad.grad", "not ",
                                  "not ad.no_such_function", "only nosuchmodule"])
def test_a_rule_that_is_not_one_is_refused_when_the_table_loads(text):
    with pytest.raises(GradingError, match="question 'q'"):
        Question("q", 1, "value", answer="a", reference=1.0, rule=text,
                 wrong=(Wrong(2.0, "x"), Wrong(3.0, "y")))


def test_routes_that_compute_the_same_thing_count_as_the_thing():
    assert {"adlearn.grad", "adlearn.trace", "sympy.diff"} <= set(
        Rule.parse("not ad.derivative").ruled_out)
    assert "adlearn.hvp" in Rule.parse("not ad.hessian").ruled_out
    assert "sympy.diff" not in Rule.parse("not ad.symbolic_grad").ruled_out
    for rule in ("not ad.derivative", "not ad.grad", "not ad.Var.backward",
                 "not ad.Tensor.backward"):  # a tape is value_and_grad, replayed
        assert "adlearn.tape" in Rule.parse(rule).ruled_out
    assert "adlearn.tape" in Rule.parse("not ad.value_and_grad").ruled_out
    for rule in ("not ad.grad", "not ad.Tensor.backward"):  # the tape's fused cross-entropy
        assert "adlearn.core.losses.cross_entropy_vjp" in Rule.parse(rule).ruled_out
    found, _ = rules.uses([("import sympy\nd = sympy.diff(sympy.sin(sympy.Symbol('x')))",
                            True)], [0], Rule.parse("not ad.derivative"))
    assert [u.means for u in found] == ["sympy.diff"]


# --- the judge: names resolved to what they denote --------------------------------------

GIVEN = "import adlearn as ad\nimport math"
TOPO = Rule.parse("not ad.topological_order")


@pytest.mark.parametrize("code, written", [
    ("def topological_order(o):\n    return ad.topological_order(o)", "ad.topological_order"),
    ("import adlearn as whatever\ndef topological_order(o):\n"
     "    return whatever.topological_order(o)", "whatever.topological_order"),
    ("from adlearn import topological_order as t\ndef topological_order(o):\n    return t(o)",
     "t"),
    ("import adlearn.core.engine\ndef topological_order(o):\n"
     "    return adlearn.core.engine.topological_order(o)",
     "adlearn.core.engine.topological_order"),
    ("f = ad.topological_order\ndef topological_order(o):\n    return f(o)", "ad.topological_order"),
    ("def topological_order(o):\n    return ad.topological_order.__call__(o)",
     "ad.topological_order"),
])
def test_the_library_function_under_any_name_is_found(code, written):
    found, dynamic = rules.uses([(GIVEN, False), (code, True)], [1], TOPO)
    assert [u.written for u in found][:1] == [written] and not dynamic
    assert found[0].cell == 2


def test_the_learners_own_function_of_that_name_is_theirs():
    code = "def topological_order(o):\n    seen = []\n    return seen"
    assert rules.uses([(GIVEN, False), (code, True)], [1], TOPO) == ([], [])


def test_a_learner_function_the_answer_calls_into_is_read_and_a_given_cell_is_not():
    helper = "def helper(o):\n    return ad.topological_order(o)"
    answer = "def topological_order(o):\n    return helper(o)"
    found, _ = rules.uses([(GIVEN, False), (helper, True), (answer, True)], [2], TOPO)
    assert [(u.written, u.cell) for u in found] == [("ad.topological_order", 2)]
    given = "def helper(o):\n    return ad.topological_order(o)  # the exercise's own"
    assert rules.uses([(GIVEN, False), (given, False), (answer, True)], [2], TOPO) == ([], [])


def test_a_method_ruled_out_is_found_on_any_object():
    rule = Rule.parse("not ad.Var.backward")
    found, _ = rules.uses([("def backward(o):\n    o.backward()", True)], [0], rule)
    assert [u.written for u in found] == ["o.backward"]
    found, _ = rules.uses([("def b(o):\n    getattr(o, 'backward')()", True)], [0], rule)
    assert found


@pytest.mark.parametrize("code", [
    "getattr(ad, 'topo' + 'logical_order')(o)", "__import__('adlearn').topological_order(o)",
    "importlib.import_module('adlearn').topological_order(o)", "eval('ad.topological_order')(o)",
    "exec('x = 1')", "globals()['ad'].topological_order(o)",
    "sys.modules['adlearn'].topological_order(o)"])
def test_dynamic_access_is_flagged_never_silently_passed(code):
    cell = f"import importlib, sys\ndef topological_order(o):\n    return {code}"
    found, dynamic = rules.uses([(GIVEN, False), (cell, True)], [1], TOPO)
    assert dynamic and not found


def test_an_allow_list_rules_out_every_other_import():
    rule = Rule.parse("only math")
    assert rules.uses([("import math\ndef f(x):\n    return math.sin(x) + abs(x)", True)],
                      [0], rule) == ([], [])
    found, _ = rules.uses([("import numpy as np\ndef f(x):\n    return np.sin(x)", True)],
                          [0], rule)
    assert "numpy.sin" in [u.means for u in found]


# --- the shortcuts of the built-in exercises -----------------------------------------------


@pytest.mark.parametrize("name, qid", SHORTCUT_QUESTIONS)
def test_each_shortcut_answers_right_and_the_judge_rules_it_out(name, qid):
    exercise = course.exercise(name, ROOT)
    q = exercise.question(qid)
    nb = submission(name)
    cell = answer_cell(nb, exercise, qid)
    assert q.judge(run_up_to(nb, cell)[q.answer]).passed  # a real shortcut
    found, _ = rules.uses(learner_cells(nb), [cell], q.ruled)
    assert found, f"{name}.{qid}: the judge did not see the library call"
    honest, _ = rules.uses(learner_cells(notebooks.read(course.source_path(ROOT, name))),
                           [cell], q.ruled)
    assert honest == []


@pytest.mark.parametrize("name", list(SHORTCUTS))
def test_in_the_sandbox_each_shortcut_scores_zero_and_the_rest_full(name, tmp_path):
    exercise, template, root = submissions.find_template(name, ROOT)
    path = tmp_path / f"{name}.ipynb"
    notebooks.write(submission(name), path)
    [grade] = batch.grade(exercise, template, root, [path], limits=Limits(timeout=60))
    for q in exercise.questions:
        mark = grade.marks[q.id]
        if q.id in SHORTCUTS[name]:
            assert (mark.status, mark.points) == ("failed", 0.0), (q.id, mark)
            assert f"write `{q.answer}` yourself" in mark.detail and "your code uses" in mark.detail
        elif q.autograded:
            assert mark.status == "passed", (q.id, mark.detail)
    assert grade.total == exercise.possible - sum(
        q.points for q in exercise.questions if q.id in SHORTCUTS[name])


def test_a_dodge_the_syntax_check_misses_fails_in_the_sandbox_and_dynamic_access_is_flagged(
        tmp_path):
    name = "reverse_mode"
    exercise, template, root = submissions.find_template(name, ROOT)
    dodge = {  # the syntax tree cannot see which function getattr fetches
        "topological_order": "def topological_order(output):\n"
                             "    return getattr(ad, 'topological' + '_order')(output)",
    }
    nb = submission(name, shortcuts=dodge)
    honest = nb.cells[answer_cell(nb, exercise, "backward")]
    honest.source += "\n\nassert 'ad' in globals()  # dynamic, yet harmless"
    path = tmp_path / "dodge.ipynb"
    notebooks.write(nb, path)
    [grade] = batch.grade(exercise, template, root, [path], limits=Limits(timeout=60))
    mark = grade.marks["topological_order"]
    assert (mark.status, mark.points) == ("failed", 0.0)
    assert "WriteItYourself" in mark.detail and "ad.topological_order" in mark.detail
    mark = grade.marks["backward"]  # judged as usual, and flagged for a person to read
    assert (mark.status, mark.points) == (DYNAMIC, 3.0) and "globals()" in mark.detail


def test_the_guard_stops_the_learners_call_and_leaves_the_librarys_own():
    import adlearn as ad
    ns = {"__name__": "__main__"}
    exec("import adlearn as ad\ndef mine(o):\n    return ad.topological_order(o)", ns)
    x = ad.Var(2.0)
    y = x * ad.sin(x)
    with rules.guard(["adlearn.topological_order", "adlearn.Dual"], "mine", ns):
        with pytest.raises(WriteItYourself, match="write `mine` yourself"):
            ns["mine"](y)
        y.backward()  # adlearn's reverse sweep uses topological_order itself
        assert ad.derivative(ad.sin)(0.0) == 1.0  # and Dual
    assert len(ns["mine"](y)) == 3 and ad.topological_order.__module__ == "adlearn.core.engine"


def test_a_flagged_mark_keeps_its_points_and_is_listed_to_read():
    assert STATUSES[DYNAMIC].review and DYNAMIC in REVIEW
    q = course.exercise("reverse_mode", ROOT).question("backward")
    mark = read_mark(Mark(DYNAMIC, 3.0, "uses globals()").wire(), q)
    assert mark.points == 3.0
    exercise = course.exercise("reverse_mode", ROOT)
    marks = {x.id: Mark("passed", x.points) for x in exercise.questions}
    marks["backward"] = mark
    assert DYNAMIC in csv_row(Grade("s.ipynb", marks), exercise)


# --- the learner's check ---------------------------------------------------------------------


def test_check_applies_the_rule_to_the_kernels_cells_at_once(capsys):
    history = ["", "import adlearn as ad",
               "def topological_order(output):\n    return ad.topological_order(output)"]
    ns = {"__name__": "__main__", "In": history, "check": check}
    for text in history:
        exec(text, ns)
    with pytest.raises(WrongAnswer, match="write `topological_order` yourself"):
        exec('check("reverse_mode.topological_order")', ns)
    assert "ad.topological_order" in capsys.readouterr().out
    source = notebooks.read(course.source_path(ROOT, "reverse_mode"))
    exercise = course.exercise("reverse_mode", ROOT)
    honest = source.cells[answer_cell(source, exercise, "topological_order")].source
    history[2] = honest
    exec(honest, ns)
    exec('check("reverse_mode.topological_order")', ns)
    assert "Well done" in capsys.readouterr().out


def test_the_check_data_carries_each_questions_rule():
    data = json.loads(CHECKS.joinpath("reverse_mode.json").read_text(encoding="utf-8"))
    assert data["questions"]["topological_order"]["rule"] == "not ad.topological_order"


def test_the_guard_and_the_check_import_nothing_into_the_kernel():
    """A kernel that never loaded a view or SymPy still does not, while a question whose
    rule names them is probed or checked."""
    code = ("import sys, json, adlearn as ad\n"
            "from adlearn.grading import rules\n"
            "names = rules.Rule.read('not ad.trace, ad.grad, adlearn.views.paths').ruled_out\n"
            "with rules.guard(names, 'f', {}):\n    pass\n"
            "rules.uses([('def f(x):\\n    return ad.derivative(ad.sin)(x)', True)], [0],\n"
            "           rules.Rule.read('not ad.trace'), resolve=rules._loaded)\n"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    loaded = json.loads(out.stdout)
    assert [m for m in loaded if m.startswith("adlearn.views") or m == "sympy"] == []


def test_the_grader_reads_the_questions_cells_or_else_the_cell_that_defines_the_answer():
    from adlearn.grading.worker import learner_uses
    exercise = course.exercise("reverse_mode", ROOT)
    q = exercise.question("topological_order")
    nb = submission("reverse_mode")
    cell = answer_cell(nb, exercise, "topological_order")
    found, _ = learner_uses(nb, q, [nb.cells[cell]])
    assert [u.cell for u in found] == [cell + 1]
    found, _ = learner_uses(nb, q, [])  # the answer's cell moved out of its section
    assert [u.cell for u in found] == [cell + 1]
    for c in nb.cells:  # every cell lost its metadata: all are read as the learner's
        c.metadata = {}
    found, _ = learner_uses(nb, q, [])
    assert cell + 1 in [u.cell for u in found]


def test_the_judge_parses_a_submissions_cells_once_for_all_its_rules(monkeypatch):
    """chain_rule_paths has three questions with a rule: the grader reads the notebook's
    cells with ast once for the three, and still judges each (the solution passes)."""
    import shutil
    import tempfile

    import nbformat

    from adlearn.grading import worker

    name = "chain_rule_paths"
    exercise, template, root = submissions.find_template(name, ROOT)
    nb = notebooks.read(course.source_path(ROOT, name))
    parsed, parse = [], rules.parse_cell
    monkeypatch.setattr(rules, "parse_cell", lambda source: parsed.append(source) or parse(source))
    marks, where = {}, tempfile.mkdtemp(prefix="adlearn-test-")  # short: the kernel's sockets
    kernel = worker.Kernel(Limits(timeout=60), True, where)
    try:
        worker.grade_notebook(nbformat.writes(nb), template, exercise, kernel,
                              say=marks.__setitem__)
    finally:
        kernel.close()
        shutil.rmtree(where)
    assert sum(q.ruled is not None for q in exercise.questions) == 3
    assert {marks[q.id].status for q in exercise.questions if q.autograded} == {"passed"}
    assert len(parsed) == len(nb.cells)


def test_a_gradient_taken_through_a_tape_is_a_ruled_out_sweep():
    """backprop_by_hand rules out backward(), grad, vjp and jacobian: ad.tape, which
    replays value_and_grad, answers the same questions, so the same rule rules it out,
    under any name."""
    own_work = Rule.parse("not ad.Tensor.backward, ad.grad, ad.vjp, ad.jacobian")
    for code, written in [
            ("def grads(W, X, y):\n    return ad.tape(lambda W: ad.cross_entropy(X @ W, y))(W)[1]",
             "ad.tape"),
            ("from adlearn import tape as recorded\ndef grads(W, X, y):\n"
             "    return recorded(lambda W: ad.cross_entropy(X @ W, y))(W)[1]", "recorded")]:
        found, dynamic = rules.uses([(GIVEN, False), (code, True)], [1], own_work)
        assert [u.written for u in found] == [written] and not dynamic
        assert found[0].means == "adlearn.tape"
