"""What a grade means in the term: whose submission it is (the roster), when it came
and what its lateness costs (the deadline and the late policy), and its points in all:
autograded, by hand, the late penalty, the total and the points possible.

The CSV, the feedback, the points sheets and the exports all read a submission's
standing here, so each figure is worked out in one place.
"""

from dataclasses import dataclass

from .late import Policy, file_time, lateness
from .marks import BY_HAND


@dataclass(frozen=True)
class Scores:
    """A submission's points: autograded, by hand (None until some written answer is
    graded), the late penalty, the total (autograded + by hand - penalty) and the points
    possible (every question's, autograded or not); with its student (a roster.Student,
    or None) and its Lateness (None without a deadline or a time)."""

    autograded: float
    by_hand: float | None
    penalty: float
    possible: float
    student: object = None
    late: object = None

    @property
    def total(self):
        return self.autograded + (self.by_hand or 0.0) - self.penalty


@dataclass(frozen=True)
class Term:
    """The term's facts beside the grades: a roster.Roster (or None), the deadline (an
    aware datetime, or None) and the late Policy."""

    roster: object = None
    deadline: object = None
    policy: Policy = Policy()

    def student(self, submission):
        """The roster's Student for a submission (a path), or None."""
        return self.roster.find(submission) if self.roster else None

    def student_id(self, submission):
        """The roster's id of a submission's student ("" if the roster has none)."""
        student = self.student(submission)
        return student.id if student else ""

    def lateness(self, submission):
        """The Lateness of a submission, from its roster time or its file's time; None
        without a deadline, or a time to measure."""
        if self.deadline is None:
            return None
        student = self.student(submission)
        submitted = (student and student.submitted) or file_time(submission)
        return lateness(submitted, self.deadline, self.policy) if submitted else None

    def scores(self, grade, exercise):
        """The Scores of a Grade of the exercise."""
        autograded = sum(grade.marks[q.id].points for q in exercise.questions if q.autograded)
        by_hand = [grade.marks[q.id].points for q in exercise.questions
                   if not q.autograded and grade.marks[q.id].status == BY_HAND]
        earned = autograded + sum(by_hand)
        late = self.lateness(grade.submission)
        return Scores(autograded, sum(by_hand) if by_hand else None,
                      late.penalty(earned) if late else 0.0,
                      sum(q.points for q in exercise.questions),
                      self.student(grade.submission), late)
