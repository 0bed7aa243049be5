"""The worker process that grades one submission: ``python -m adlearn.grading.worker``.

It reads a job (JSON on stdin: the submission's text, the template notebook, the
exercise's name and the limits), limits its own memory and CPU time so that the kernel
it starts inherits the limits, grades, and writes the marks as one JSON line on stdout
(or a string saying why it could not grade).
"""

import json
import sys

# nbformat's jsonschema imports rfc3987_syntax, when installed, only to check IRI formats,
# which notebooks do not use; it compiles a grammar on import, a second per worker.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402

from .batch import grade_notebook, set_limits  # noqa: E402
from .exercises import exercise  # noqa: E402
from .limits import Limits  # noqa: E402


def main():
    job = json.loads(sys.stdin.read())
    try:
        limits = Limits(*job["limits"])
        set_limits(limits)
        marks = grade_notebook(job["submission"], nbformat.reads(job["template"], as_version=4),
                               exercise(job["exercise"]), limits)
        result = {qid: [m.status, m.points, m.detail] for qid, m in marks.items()}
    except Exception as exc:  # reported as every question's error, never a silent zero
        result = f"the grader failed: {type(exc).__name__}: {exc}"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
