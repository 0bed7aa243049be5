"""Every learner a variant of their own (issue 22).

An exercise with variants (questions.Variants, one line in its question table) gives each
learner numbers of their own, from the exercise and the student id: ``adlearn exercises
start NAME --student ID`` writes them into the learner's notebook, ``check`` judges that
variant, and ``adlearn grade`` reads the id from the submission's folder and judges that
variant whatever the notebook claims. A number copied from the tutorials or from another
learner scores nothing; the learner's own work scores full.
"""

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from adlearn.cli import main
from adlearn.errors import GradingError, WrongAnswer
from adlearn.grading import check, course, learner, notebooks
from adlearn.grading.variants import for_variant, variant_of
from adlearn.grading.sandbox import available
from adlearn.grading.submissions import student_id
from shortcuts import TUTORIAL_CODE, answer_cell, answer_of, copied, variant_questions

ROOT = Path(__file__).resolve().parents[1] / "exercises"
NAMES = course.names(ROOT)
WITH_VARIANTS = [n for n in NAMES if course.exercise(n, ROOT).variant_count]


def test_the_built_in_value_questions_come_in_64_variants_or_more():
    assert {"chain_rule_paths", "derivatives_by_hand", "evaluation_trace", "finite_differences",
            "forward_mode", "higher_order", "jacobians", "symbolic_differentiation"} <= set(
        WITH_VARIANTS)
    for name in WITH_VARIANTS:
        exercise = course.exercise(name, ROOT)
        assert exercise.variant_count >= 64
        asked = variant_questions(exercise, 1)
        assert asked, name
        answers = {repr([answer_of(exercise.variant(k).question(q)) for q in asked])
                   for k in range(0, exercise.variant_count + 1)}
        assert len(answers) >= exercise.variant_count * 3 // 4, name  # few coincide
        # no variant is the tutorials' own numbers
        first = [answer_of(exercise.question(q)) for q in asked]
        assert all([answer_of(exercise.variant(k).question(q)) for q in asked] != first
                   for k in range(1, exercise.variant_count + 1))


@pytest.mark.parametrize("name", WITH_VARIANTS)
def test_in_every_variant_each_known_mistake_of_a_value_question_is_told_apart(name):
    """A learner's numbers must not make a known mistake equal to the right answer (with
    x1 = x2, x2 - cos(x2) was right for ∂f/∂x2 and the swapped inputs' trace was the
    trace): the mistake would score full marks and its hint could never be given."""
    exercise = course.exercise(name, ROOT)
    for k in range(1, exercise.variant_count + 1):
        for q in exercise.variant(k).questions:
            if q.kind == "value":
                found = [q.judge(w.answer).mistake for w in q.wrong if w.between is None]
                assert found == [i + 1 for i, w in enumerate(q.wrong) if w.between is None], (
                    k, q.id)


def test_a_learners_variant_follows_from_the_exercise_and_the_id_and_is_never_zero():
    seen = {variant_of("derivatives_by_hand", 64, f"s{i}") for i in range(2000)}
    assert seen == set(range(1, 65))
    assert variant_of("a", 64, "alice") == variant_of("a", 64, " alice ")
    assert variant_of("x", 0, "alice") == 0  # no variants: everyone answers the same
    assert 1 <= variant_of("a", 64, os.fsdecode(b"r\xe9sum\xe9")) <= 64  # a Latin-1 name
    with pytest.raises(GradingError, match="--student"):
        variant_of("derivatives_by_hand", 64, "")


@pytest.mark.parametrize("path, given, expected", [
    ("class/alice/nb.ipynb", "class", "alice"),  # the folder directly under the class's
    ("class/alice/late/nb.ipynb", "class", "alice"),
    ("class/bob.ipynb", "class", "bob"),  # a file in the class folder itself: its name
    ("class/carol/nb.ipynb", "class/carol/nb.ipynb", "carol"),  # a file given: its folder
])
def test_the_grader_reads_the_student_id_from_the_submissions_folder(path, given, expected):
    assert student_id(path, given) == expected


def test_start_writes_the_learners_numbers_check_judges_them_status_reads_what_it_recorded(
        tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    name = "derivatives_by_hand"
    exercise = course.exercise(name, ROOT)
    assert main(["exercises", "start", name]) == 2  # it has variants: --student needed
    assert "--student" in capsys.readouterr().err
    assert main(["exercises", "start", name, "--student", "alice"]) == 0
    k = exercise.variant_of("alice")
    assert f"variant {k}" in capsys.readouterr().out
    text = (tmp_path / f"{name}.ipynb").read_text(encoding="utf-8")
    numbers = exercise.numbers(k)
    assert f"x1, x2 = {numbers['x1']:g}, {numbers['x2']:g}" in text
    assert "(2, 5)" not in text and "x1, x2 = 2, 5" not in text
    mine = exercise.variant(k)
    check(f"{name}.df_dx1", mine.question("df_dx1").reference)
    with pytest.raises(WrongAnswer):
        check(f"{name}.df_dx2", exercise.question("df_dx2").reference)  # the tutorials'
    assert main(["exercises", "start", name, "--student", "alice"]) == 2  # not over it
    assert main(["exercises", "status"]) == 0
    out = capsys.readouterr().out
    assert f"{name} (variant {k}): 1 of 6 questions passed" in out
    assert "✓ df_dx1: passed" in out and "✗ df_dx2: failed" in out
    assert "· chain: not checked yet" in out
    (tmp_path / f"{name}.ipynb").write_text("my work", encoding="utf-8")
    assert main(["exercises", "reset", name]) == 0
    assert (tmp_path / f"{name}.old.ipynb").read_text(encoding="utf-8") == "my work"
    assert (tmp_path / f"{name}.ipynb").read_text(encoding="utf-8") == text
    assert main(["exercises", "start", "deep_gradients"]) == 0  # the same learner; no variants
    state = json.loads((tmp_path / learner.FILE).read_text(encoding="utf-8"))
    assert state["student"] == "alice" and state["exercises"]["deep_gradients"]["variant"] == 0


def test_start_in_another_learners_folder_or_of_an_unknown_exercise_is_refused(
        tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["exercises", "start", "forward_mode", "--student", "alice"]) == 0
    assert main(["exercises", "start", "evaluation_trace", "--student", "bob"]) == 2
    assert "working folder of the student 'alice'" in capsys.readouterr().err
    assert main(["exercises", "start", "no_such", "--student", "alice"]) == 2
    assert "no exercise 'no_such'" in capsys.readouterr().err
    assert main(["exercises", "reset", "evaluation_trace"]) == 2
    assert "was not started" in capsys.readouterr().err
    assert main(["exercises", "status", str(tmp_path / "empty")]) == 2


def test_the_source_notebooks_show_variant_zero_and_each_variant_replaces_text_they_show():
    for name in WITH_VARIANTS:
        exercise = course.exercise(name, ROOT)
        source = notebooks.read(course.source_path("exercises", name))
        assert notebooks.missing_text(source, exercise) == []
        for k in (1, exercise.variant_count):
            changed = for_variant(source, exercise.replacements(k))
            assert changed["cells"] != json.loads(json.dumps(source))["cells"]
            nbformat.validate(nbformat.from_dict(changed))


def test_a_variants_text_changes_only_the_learners_numbers():
    """jacobians' "(for ε = 0 it is the one of notebook 11)" became "for ε = 0.193" in
    every variant, a statement that is false: a remark about the tutorial's number must
    not use the text that shows the learner's."""
    exercise = course.exercise("jacobians", ROOT)
    source = notebooks.read(course.source_path("exercises", "jacobians"))
    for k in range(1, exercise.variant_count + 1):
        text = json.dumps(for_variant(source, exercise.replacements(k)), ensure_ascii=False)
        assert "it is the one of notebook 11" in text
        assert text.count(f"ε = {exercise.numbers(k)['smoothing']:g}") == 1, k


def honest_answer(exercise, k, qid):
    """What the source notebook's solution computes from variant k's numbers: its code
    cells up to the question's solution cell, with variant k's text, run here."""
    nb = nbformat.from_dict(for_variant(notebooks.read(course.source_path("exercises",
                                                                          exercise.name)),
                                        exercise.replacements(k)))
    namespace = {}
    for cell in nb.cells[:answer_cell(nb, exercise, qid) + 1]:
        if cell.cell_type == "code" and not notebooks.nbgrader(cell).get("grade"):
            exec(cell.source, namespace)
    return namespace[exercise.question(qid).answer]


@pytest.mark.parametrize("name, qid", [("symbolic_differentiation", "grad_f"),
                                       ("symbolic_differentiation", "grad_at_point"),
                                       ("forward_mode", "seed")])
def test_answers_a_tutorial_prints_follow_the_learners_numbers_in_every_variant(name, qid):
    """The gradient of notebook 02's function and the seed (0, 1) of notebook 05: in
    every variant the honest solution, computed from the learner's numbers in the locked
    cell, passes; the tutorial's answer fails; each known mistake earns its own hint."""
    exercise = course.exercise(name, ROOT)
    tutorial = exercise.question(qid).reference
    for k in range(exercise.variant_count + 1):
        q = exercise.variant(k).question(qid)
        assert q.judge(honest_answer(exercise, k, qid)).passed, (k, exercise.numbers(k))
        assert k == 0 or not q.judge(tutorial).passed, (k, exercise.numbers(k))
        for i, wrong in enumerate(q.wrong, 1):
            verdict = q.judge(wrong.answer)
            assert (verdict.passed, verdict.mistake, verdict.hint) == (False, i, wrong.hint), (
                k, wrong.hint)


def test_the_learners_function_and_seed_are_shown_in_their_notebook():
    symbolic = course.exercise("symbolic_differentiation", ROOT)
    forward = course.exercise("forward_mode", ROOT)
    for k in range(1, 65):
        a, b = symbolic.numbers(k)["a"], symbolic.numbers(k)["b"]
        assert (a, b) != (1, 1)
        text = json.dumps(for_variant(notebooks.read(course.source_path(
            "exercises", "symbolic_differentiation")), symbolic.replacements(k)))
        ax, bx = ("" if a == 1 else f"{a}*"), ("" if b == 1 else f"{b}*")
        shown = f"ln(x1) + {ax}x1*x2 - sin({bx}x2)"
        assert f"your function `f(x1, x2) = {shown}`" in text
        a_, b_ = ax.replace("*", " * "), bx.replace("*", " * ")
        assert f"f = sp.log(x1) + {a_}x1 * x2 - sp.sin({b_}x2)" in text
        assert "ln(x1) + x1*x2 - sin(x2)" not in text  # never the tutorials' f
        assert symbolic.variant(k).question("grad_f").prompt == (
            f"the gradient [df/dx1, df/dx2] of {shown}, as expressions")
        m, i = forward.numbers(k)["m"], forward.numbers(k)["k"]
        text = json.dumps(for_variant(notebooks.read(course.source_path(
            "exercises", "forward_mode")), forward.replacements(k)))
        assert f"m, k = {m}, {i}" in text and f"`df/dx{i}` of a function of {m} inputs" in text
        assert forward.variant(k).question("seed").reference == tuple(
            float(j == i) for j in range(1, m + 1))


def test_the_sandboxed_copies_below_aim_at_the_gradient_and_the_seed():
    """The sandbox test copies every value question whose answer differs from the
    tutorials': here, in every variant, the gradient (and its value) and the seed."""
    symbolic = course.exercise("symbolic_differentiation", ROOT)
    forward = course.exercise("forward_mode", ROOT)
    for k in range(1, 65):
        assert {"grad_f", "grad_at_point"} <= set(variant_questions(symbolic, k, ("value",)))
        assert "seed" in variant_questions(forward, k, ("value",))


def test_turning_variants_off_is_one_line_in_the_question_table(tmp_path):
    root = tmp_path / "course"
    assert main(["exercises", "new", "power_rule", "--course", str(root)]) == 0
    table = course.table_path(root, "power_rule")
    table.write_text(re.sub(r", variants=VARIANTS\)", ")", table.read_text()))
    exercise = course.exercise("power_rule", root)
    assert exercise.variant_count == 0 and exercise.variant_of("alice") == 0


@pytest.mark.skipif(bool(available()), reason="needs bubblewrap (the sandbox)")
@pytest.mark.parametrize("name", WITH_VARIANTS)
def test_in_the_sandbox_copied_numbers_score_nothing_and_the_learners_own_work_full(
        tmp_path, name):
    """Graded by adlearn grade's own path: alice's honest solution scores every point
    (it is the source notebook, whose locked cells claim variant 0's numbers: the grader
    restores them to alice's, read from her folder's name); bob's copy of the tutorials'
    numbers and carol's copy of alice's numbers score 0 on the questions whose numbers
    differ between their variants."""
    from adlearn.grading import batch
    from adlearn.grading.limits import Limits
    from adlearn.grading.submissions import find_template

    exercise, template, root = find_template(name, ROOT)
    alice, bob, carol = (exercise.variant_of(s) for s in ("alice", "bob", "carol"))
    assert len({alice, bob, carol}) == 3, "pick ids with three different variants"
    honest = notebooks.read(course.source_path("exercises", name))
    for student, nb in (("alice", honest), ("bob", copied(name, bob, root=ROOT)),
                        ("carol", copied(name, carol, variant=alice, root=ROOT))):
        notebooks.write(nb, tmp_path / "class" / student / f"{name}.ipynb")
    grades = batch.grade(exercise, template, root, [tmp_path / "class"], jobs=2,
                         limits=Limits(timeout=60))
    by = {g.submission.split("/")[-2]: g for g in grades}
    assert by["alice"].total == exercise.possible, by["alice"].marks
    for student, k in (("bob", bob), ("carol", carol)):
        asked = variant_questions(exercise, k, ("value",)) + (
            list(TUTORIAL_CODE.get(name, {})) if student == "bob" else [])
        assert asked or student == "carol"  # carol copies numbers: some exercises have none
        for qid in asked:
            assert by[student].marks[qid].points == 0, (student, qid)
        assert by[student].total == exercise.possible - sum(
            exercise.question(q).points for q in asked)
