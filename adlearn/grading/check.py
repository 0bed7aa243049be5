"""The learner's side of grading: ``check(question_id)`` in a grading cell.

It answers at once, from the check data that ``adlearn exercises build`` writes (never
from reference code, which stays with the instructor's sources): a function question's
public cases with the reference's outputs on them and each known mistake's outputs; a
value question's answer sealed (sealed.py: a slow salted hash that costs the learner one
hash and whoever wants the answer from the data hours), or, where no hash could hide
it, only its form. An exercise with variants has data for each; the learner's is the
one ``adlearn exercises start`` noted in their working folder (learner.py), where
``check`` also records each outcome. It prints one short line per test and, when a test
fails, raises ``WrongAnswer`` with a hint that points at the mistake without giving the answer away.
Nothing is written to stderr (nbgrader fails a cell that writes there).

Where the check data lives: ``checks/<exercise>.json`` beside the student notebooks of
a course folder, found from the kernel's working directory (Jupyter, JupyterLab and VS
Code start a kernel in its notebook's folder): the nearest ``checks/`` folder holding
the exercise, in that folder or above it (so the instructor's source notebook, two
levels down in ``source/<name>/``, finds it too), then the package's own
(``adlearn/grading/checks/``, the built-in exercises', which work wherever they are
opened). The other design, the data embedded in a setup cell of the student notebook,
would make one file to hand out, but would put a screenful of JSON into every
exercise a learner reads and make the grader restore one more locked cell; a folder
beside the notebooks is handed out as the notebooks are (one zip, one git repository),
and the notebooks stay teaching material. A notebook opened without its ``checks/``
folder gets an error saying where the data was looked for.

This is a quick guide, not the grade: ``adlearn grade`` also tries hidden and fresh
random cases, outside the learner's kernel, so hard-coding the public cases passes
here and fails there.
"""
import json
import sys
from pathlib import Path
from types import SimpleNamespace

from ..errors import GradingError, WrongAnswer
from . import probe, rules, sealed
from .marks import FAILED
from .judge import COMPARISONS, Test, Verdict, close, in_order, judge_outcomes, within
from .rules import Rule

CHECKS_FOLDER = "checks"  # a course's check data: <course>/checks/<exercise>.json
CHECKS = Path(__file__).parent / CHECKS_FOLDER  # the built-in exercises'
_BY_NAME = object()  # check(qid) without an answer: read the question's name in the notebook


def check(question_id, answer=_BY_NAME):
    """Check the answer to the question ``"<exercise>.<question>"``; raise if it is wrong.

    Without ``answer``, the value bound to the question's name in the notebook is checked
    (so a name never defined gets a hint rather than a NameError)."""
    data = question_data(question_id)
    history = None
    if answer is _BY_NAME:
        namespace = sys._getframe(1).f_globals
        result = {"missing": True} if data["answer"] not in namespace else None
        answer = namespace.get(data["answer"])
        history = namespace.get("In")  # IPython's inputs, one text per cell run
    else:
        result = None
    if result is None:
        result = {"callable": callable(answer),
                  "outcomes": probe.outcomes(data["probe"], answer, data["cases"])}
    verdict = _judge(data, result)
    if data.get("rule") and result.get("outcomes") and isinstance(history, list):
        verdict = _ruled(verdict, data, history)
    from . import learner  # the learner's folder: their variant, and what check records

    form_only = "form" in data
    learner.record(str(question_id).partition(".")[0], str(question_id).partition(".")[2],
                   learner.FAILED if not verdict.passed else
                   learner.FORM if form_only else learner.PASSED)
    count = len(verdict.tests)
    for number, test in enumerate(verdict.tests, 1):
        mark = "✓" if test.passed else "✗"
        problem = f": {test.problem}" if test.problem else ""
        print(f"  {mark} {f'test {number}: ' if count > 1 else ''}{test.label}{problem}")
    if verdict.passed and form_only:
        print(f"`{data['answer']}` has the right form and is none of the known mistakes. "
              "Its value is not checked here (its check data could not hide it): the "
              "grader judges it.")
        return
    if verdict.passed:
        print(f"All {count} tests passed. Well done!" if count > 1 else "Right. Well done!")
        return
    failed = sum(not t.passed for t in verdict.tests)
    print(f"Not yet: {failed} of {count} tests failed." if count > 1 else "Not yet.")
    raise WrongAnswer(f"Hint: {verdict.hint}")


def _ruled(verdict, data, history):
    """The verdict, or a failure with the rule's hint if the cell that last defined the
    answer (or a function of the kernel's history it calls) uses what the question rules
    out (rules.uses, as the grader applies it to the notebook)."""
    cells = [(text, True) for text in history if isinstance(text, str)]
    start = [i for i, (text, _) in enumerate(cells)
             if rules.defines(rules.parse_cell(text), data["answer"])][-1:]
    rule = Rule.read(data["rule"])
    ruled_out, _ = rules.uses(cells, start, rule, resolve=rules._loaded)
    if not ruled_out:
        return verdict
    return Verdict((Test(data["answer"], False, f"uses {ruled_out[0]}"),),
                   rules.hint(data["answer"], rule, ruled_out[0]), FAILED)


def question_data(question_id):
    """The check data of ``"<exercise>.<question>"`` (GradingError if there is none)."""
    name, dot, qid = str(question_id).partition(".")
    if not dot or not name.isidentifier():
        raise GradingError(f"there is no question {question_id!r} (a question id looks "
                           "like 'exercise.question')")
    path = data_path(name)
    if path is None:
        raise GradingError(f"there is no check data for the exercise {name!r}: looked for "
                           f"{CHECKS_FOLDER}/{name}.json in {Path.cwd()} and the folders "
                           f"above it, and among adlearn's own exercises (open the notebook "
                           f"from its course folder, beside its {CHECKS_FOLDER}/ folder)")
    from . import learner

    data = json.loads(path.read_text(encoding="utf-8"))
    questions, variant = data["questions"], learner.variant(name)
    if qid not in questions:
        raise GradingError(f"exercise {name!r} has no autograded question {qid!r} (its "
                           f"questions: {', '.join(questions)})")
    if 0 < variant <= len(data.get("variants", [])):
        return data["variants"][variant - 1]["questions"].get(qid, questions[qid])
    return questions[qid]


def data_path(name):
    """The check data file of the exercise name: the nearest checks/ folder holding it,
    from the working directory up, else the package's; None if there is none."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        path = folder / CHECKS_FOLDER / f"{name}.json"
        if path.is_file():
            return path
    path = CHECKS / f"{name}.json"
    return path if path.is_file() else None


def _judge(data, result):
    spec = SimpleNamespace(kind=data["kind"], answer=data["answer"], hint=data["hint"])
    cases, tolerance = data["cases"], data["tolerance"]
    if data["kind"] == "value":
        def ordered(got):
            return in_order(got) if data["compare"] == "sorted" else got

        def like(got, i, wrong):
            if wrong[0].get("between"):
                return within(got, wrong[0]["between"])
            return sealed.matches(ordered(got), wrong[0], data["salt"], tolerance)

        def right(got, i):
            if "accepted" in data:
                return sealed.matches(ordered(got), data["accepted"], data["salt"], tolerance)
            return sealed.form(got) == data["form"] and not any(
                like(got, i, wrong) for wrong in wrongs)
    else:
        prepare = COMPARISONS[data["compare"]]

        def right(got, i):
            expected = data["expected"][i]
            return "value" in expected and close(prepare(got, cases[i]),
                                                 prepare(expected["value"], cases[i]), tolerance)

        def like(got, i, wrong):
            outcome = wrong[0]["outcomes"][i]
            return "value" in outcome and close(prepare(got, cases[i]),
                                                prepare(outcome["value"], cases[i]), tolerance)
    wrongs = [(w, w["hint"]) for w in data["wrong"]]
    return judge_outcomes(spec, result, data["labels"], right, like, wrongs)


def check_data(question, salt, cache=None, public=False):
    """What the learner's check needs for one question (written by the build): a
    function question's public cases, the reference's outputs and each mistake's; a
    value question's answer sealed (sealed.py), or, for a question checked by its form
    only, that form. cache keeps the slow hashes (see sealed.seal); public says the
    answer is public anyway (variant 0 of an exercise with variants: the tutorials'
    numbers, never a learner's), so it need not be costly to recover."""
    cases = question.public_cases()
    data = {"kind": question.kind, "answer": question.answer, "probe": question.probe_kind,
            "cases": [case for _, case in cases], "labels": [label for label, _ in cases],
            "hint": question.hint, "tolerance": question.tolerance,
            "compare": "close" if callable(question.compare) else question.compare,
            "rule": question.rule}
    if question.kind == "function":
        data["expected"] = question.expected(cases)
        data["wrong"] = [{"outcomes": question._wrong_outcomes(w, cases), "hint": w.hint}
                         for w in question.wrong]
        return data

    def output(value):
        value = probe.output(question.probe_kind, value, cases[0][1])
        return in_order(value) if data["compare"] == "sorted" else value

    answer, data["salt"] = output(question.reference), salt
    if question.instant == "form":
        data["form"] = sealed.form(answer)
    else:
        hours = sealed.cpu_hours(answer, question.tolerance)
        if hours < 1 and not public:
            raise GradingError(
                f"question {question.id!r} ({salt}): its check data could be brute-forced "
                f"in about {hours:.2g} CPU hours (a small or round number, or a wide "
                "tolerance): give it instant=\"form\", so that check judges only its form "
                "and known mistakes, and say in the exercise that the grader judges it")
        data["accepted"] = sealed.seal(salt, answer, question.tolerance, cache=cache)
    data["wrong"] = [{"between": list(w.between), "hint": w.hint} if w.between is not None
                     else {**sealed.seal(salt, output(w.answer), question.tolerance,
                                         slow=False), "hint": w.hint}
                     for w in question.wrong]
    return data
