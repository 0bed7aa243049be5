"""Deadlines and late work (``adlearn grade ... --deadline 2026-12-20T23:59 --late POLICY``).

A submission's time is the one its roster line gives (an LMS export's ``submitted``
column), else its file's modification time. Past the deadline it is late by a number of
started days (one minute late is one day late, as Canvas counts them), and the policy
says what that costs:

- ``none``: nothing; the lateness is shown (the default);
- ``10%/day``: 10 % of the points earned for each started day, up to all of them;
- ``10%/day max 50%``: the same, never more than 50 % in all (a cap).

Times without a zone (``2026-12-20T23:59``) are the grading machine's local time.
"""

import math
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from ..errors import GradingError

DAY = 86400  # seconds
POLICY = re.compile(r"\s*(?P<per_day>\d+(\.\d+)?)\s*%\s*/\s*day"
                    r"(\s*,?\s*max\s*(?P<cap>\d+(\.\d+)?)\s*%)?\s*")


def parse_time(text, what):
    """text (ISO 8601) as an aware datetime: one without a zone is local time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise GradingError(f"{what}: {text!r} is not a time such as 2026-12-20T23:59 "
                           "(ISO 8601)") from None
    return moment if moment.tzinfo else moment.astimezone()


@dataclass(frozen=True)
class Policy:
    """What lateness costs: per_day percent of the points earned for each started day
    late, never more than cap percent in all (per_day 0: nothing)."""

    per_day: float = 0.0
    cap: float = 100.0

    def percent(self, days):
        return min(self.per_day * days, self.cap)

    def __str__(self):
        if not self.per_day:
            return "none"
        return f"{self.per_day:g}%/day" + (f" max {self.cap:g}%" if self.cap < 100 else "")


def parse_policy(text):
    """The Policy that text states (``none``, ``10%/day``, ``10%/day max 50%``)."""
    if text.strip().lower() == "none":
        return Policy()
    found = POLICY.fullmatch(text.lower())
    if not found:
        raise GradingError(f"--late {text!r}: give none, a percentage a day such as "
                           "10%/day, or one with a cap such as '10%/day max 50%'")
    per_day, cap = float(found["per_day"]), float(found["cap"] or 100)
    if not 0 < per_day <= 100 or not 0 < cap <= 100:
        raise GradingError(f"--late {text!r}: the percentages must be more than 0 and at "
                           "most 100")
    return Policy(per_day, cap)


@dataclass(frozen=True)
class Lateness:
    """When a submission came, how many started days after the deadline (0: in time),
    and the percentage of its points that costs."""

    submitted: datetime
    days: int
    percent: float

    def penalty(self, earned):
        """The points taken from earned points."""
        return earned * self.percent / 100

    @property
    def when(self):
        """The time it came, in the grading machine's zone, to the minute."""
        return self.submitted.astimezone().isoformat(timespec="minutes")


def lateness(submitted, deadline, policy=Policy()):
    """The Lateness of a submission that came at submitted (an aware datetime)."""
    seconds = (submitted - deadline).total_seconds()
    days = max(0, math.ceil(seconds / DAY))
    return Lateness(submitted, days, policy.percent(days))


def file_time(path):
    """A file's modification time as an aware datetime (None if it cannot be read)."""
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, timezone.utc)
    except OSError:
        return None
