"""The learner's side of grading: ``check(question_id, answer)`` in a grading cell.

It prints one short line per test and, when a test fails, raises ``WrongAnswer`` with a
hint that points at the mistake without giving the answer away. The exception makes the
cell fail, so a batch grader scores the question 0; in Jupyter it shows as the hint
alone. Nothing is written to stderr (nbgrader fails a cell that writes there).
"""

from ..errors import WrongAnswer
from .exercises import question


def check(question_id, answer):
    """Check an answer to the question ``"<exercise>.<question>"``; raise if it is wrong."""
    q = question(question_id)
    verdict = q.judge(answer)
    count = len(verdict.tests)
    for number, test in enumerate(verdict.tests, 1):
        mark = "✓" if test.passed else "✗"
        problem = f": {test.problem}" if test.problem else ""
        print(f"  {mark} {f'test {number}: ' if count > 1 else ''}{test.label}{problem}")
    if verdict.passed:
        print(f"All {count} tests passed. Well done!" if count > 1 else "Right. Well done!")
        return
    failed = sum(not t.passed for t in verdict.tests)
    print(f"Not yet: {failed} of {count} tests failed." if count > 1 else "Not yet.")
    raise WrongAnswer(f"Hint: {verdict.hint}")
