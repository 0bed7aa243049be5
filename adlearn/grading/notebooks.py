"""Exercise notebooks: write a source from cell specs, validate it, build the student
version and the check data.

A source notebook (``exercises/source/<name>/<name>.ipynb``) holds the solutions and
nbgrader's cell metadata (schema version 3), so nbgrader can use it as it is:

- a solution cell (``solution: true``) holds the learner's part; in a code cell the
  solution sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (the build
  refuses a code solution cell without them);
- a grading cell (``grade: true, locked: true``, with ``points``) checks one question;
  its ``grade_id`` is the question's id;
- a question answered in words is a markdown cell that is both a grade and a solution
  cell, graded by hand.

The student version (``exercises/<name>.ipynb``) has each solution replaced by a stub,
no outputs, and every non-solution cell with nbgrader metadata locked. The check data
(see check.py) is what the learner's ``check`` needs, derived from the question table.
"""

import json
import os
import re
import sys
from collections import ChainMap
from pathlib import Path

# nbformat's jsonschema imports, when they are installed, the libraries that check string
# formats (IRIs, URIs, durations, dates, colours), which a notebook's schema does not use:
# rfc3987_syntax compiles a grammar on import, a second or more for every grading command
# and worker, and the others take a tenth of a worker's start.
for _name in ("rfc3987_syntax", "isoduration", "webcolors", "uri_template",
              "rfc3339_validator", "rfc3986_validator", "jsonpointer", "fqdn"):
    sys.modules.setdefault(_name, None)

import nbformat  # noqa: E402

from ..errors import GradingError  # noqa: E402
from . import course  # noqa: E402
from .check import check_data  # noqa: E402

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
ALLOWED_KEYS = {"grade", "locked", "solution", "grade_id", "points", "task", "checksum",
                "schema_version"}
GRADE_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
SEALED_CACHE = "sealed.json"  # source/<name>/: the slow hashes the build computed


def _meta(grade_id, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


# --- cell specs: what an exercise notebook is made of -------------------------------


def markdown(text):
    """Prose: the introduction, the text before a question, a hint."""
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text, grade_id=None):
    """A code cell the learner runs (imports, a plot); with a grade_id it is read-only."""
    cell = nbformat.v4.new_code_cell(text.strip())
    if grade_id:
        cell.metadata = _meta(grade_id, locked=True)
    return cell


def solution(grade_id, text):
    """A code cell the learner completes; the solution goes between the markers."""
    return nbformat.v4.new_code_cell(text.strip(), metadata=_meta(grade_id, solution=True))


def grading(exercise_name, qid, root=None):
    """The locked cell that checks question qid (its points come from the question)."""
    q = course.exercise(exercise_name, root).question(qid)
    text = f'from adlearn.grading import check\ncheck("{exercise_name}.{qid}")'
    return nbformat.v4.new_code_cell(
        text, metadata=_meta(qid, grade=True, locked=True, points=q.points))


def written(exercise_name, qid, model_answer, root=None):
    """The markdown cell of a question answered in words (graded by hand)."""
    q = course.exercise(exercise_name, root).question(qid)
    return nbformat.v4.new_markdown_cell(
        model_answer.strip(), metadata=_meta(qid, grade=True, solution=True, points=q.points))


def source_notebook(cells):
    """A notebook of these cells, with a Python 3 kernel and stable cell ids."""
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell.id = nbgrader(cell).get("grade_id") or f"{cell.cell_type}-{i}"
    return nb


def write(nb, path):
    """Write a notebook as nbformat does (indent 1, a final newline)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


# --- reading and validating ----------------------------------------------------------


def nbgrader(cell):
    """A cell's nbgrader metadata ({} for a plain cell, or for metadata that is not a
    mapping); a grade_id that is not text is left out."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    if not isinstance(meta, dict):
        return {}
    if not isinstance(meta.get("grade_id", ""), str):
        meta = {k: v for k, v in meta.items() if k != "grade_id"}
    return meta


def problems(nb, exercise=None):
    """What is wrong with a notebook's nbgrader metadata (nbgrader's v3 rules), and, given
    its ``Exercise``, with how its cells match the questions; [] when all is well."""
    found, seen = [], set()
    for i, cell in enumerate(nb.cells):
        meta, where = nbgrader(cell), f"cell {i + 1}"
        if meta:
            found += _cell_problems(cell, meta, where, seen)
        elif BEGIN in cell.source or END in cell.source:
            found.append(f"{where}: has solution markers but is not a solution cell")
    if exercise is not None:
        found += _question_problems(nb, exercise)
    return found


def _cell_problems(cell, meta, where, seen):
    found = []
    if meta.get("schema_version") != 3:
        found.append(f"{where}: schema_version must be 3")
    extra = set(meta) - ALLOWED_KEYS
    if extra:
        found.append(f"{where}: unknown nbgrader keys {sorted(extra)}")
    grade_id = meta.get("grade_id")
    if meta.get("grade") or meta.get("solution") or meta.get("locked"):
        if not isinstance(grade_id, str) or not GRADE_ID.match(grade_id):
            found.append(f"{where}: grade_id {grade_id!r} must be letters, digits, _ or -")
        elif grade_id in seen:
            found.append(f"{where}: grade_id {grade_id!r} is used twice")
        seen.add(grade_id)
    if meta.get("grade"):
        points = meta.get("points")
        if not isinstance(points, (int, float)) or isinstance(points, bool) or points < 0:
            found.append(f"{where}: a grade cell needs points (a number >= 0), not {points!r}")
        if cell.cell_type == "markdown" and not meta.get("solution"):
            found.append(f"{where}: a markdown grade cell must also be a solution cell")
    has_markers = BEGIN in cell.source or END in cell.source
    if has_markers and not meta.get("solution"):
        found.append(f"{where}: has solution markers but is not a solution cell")
    if has_markers and cell.source.count(BEGIN) != cell.source.count(END):
        found.append(f"{where}: its BEGIN and END SOLUTION markers do not pair up")
    return found


def _question_problems(nb, exercise):
    """Each question has exactly one grade cell of the right kind and points."""
    found = []
    grade_cells = {nbgrader(c)["grade_id"]: c for c in nb.cells
                   if nbgrader(c).get("grade") and nbgrader(c).get("grade_id")}
    for q in exercise.questions:
        cell = grade_cells.pop(q.id, None)
        if cell is None:
            found.append(f"question {q.id!r} has no grade cell with grade_id {q.id!r} "
                         "in the notebook (the question table asks it)")
            continue
        if nbgrader(cell).get("points") != q.points:
            found.append(f"question {q.id!r}: the cell's points differ from the question's")
        wanted = "markdown" if q.kind == "text" else "code"
        if cell.cell_type != wanted:
            found.append(f"question {q.id!r} needs a {wanted} grade cell")
        elif q.autograded and f'check("{exercise.name}.{q.id}"' not in cell.source:
            found.append(f"question {q.id!r}: its grade cell does not call "
                         f'check("{exercise.name}.{q.id}", ...)')
    found += [f"grade cell {gid!r} matches no question" for gid in grade_cells]
    return found


def validate(nb, exercise=None, where="the notebook's nbgrader metadata"):
    """Raise GradingError listing the problems, if there are any."""
    found = problems(nb, exercise)
    if found:
        raise GradingError(f"{where} breaks the rules: " + "; ".join(found))


# --- the student version -------------------------------------------------------------


def student_version(source):
    """The student notebook built from a source: stubs for solutions, no outputs, locks."""
    nb = nbformat.from_dict(source)  # a deep copy
    for cell in nb.cells:
        meta = nbgrader(cell)
        if meta.get("solution"):
            cell.source = _stub(cell)
        elif meta:
            meta["locked"] = True
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _stub(cell):
    """A solution cell's source with each solution region (or the whole cell) stubbed."""
    stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
    if BEGIN not in cell.source:
        return stub
    lines, inside = [], False
    for line in cell.source.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            lines += [indent + s for s in stub.splitlines()]
        elif marker == END:
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines)


def solution_texts(source):
    """The non-blank solution lines of a source notebook (what must not reach a student
    version): the lines between markers, or every line of a solution cell without them."""
    texts = []
    for cell in source.cells:
        if not nbgrader(cell).get("solution"):
            continue
        if BEGIN not in cell.source:
            texts += [line for line in cell.source.splitlines() if line.strip()]
            continue
        inside = False
        for line in cell.source.splitlines():
            if line.strip() in (BEGIN, END):
                inside = line.strip() == BEGIN
            elif inside and line.strip():
                texts.append(line)
    return texts


# --- the course folder ---------------------------------------------------------------


def read(path):
    """A notebook from a file (nbformat 4), or GradingError saying why it is unreadable."""
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:
        raise GradingError(f"{path} is not a readable notebook: {exc}") from None


def check_text(root, name, cache=None):
    """The check data of an exercise, as the build writes it (see check.py): variant 0's
    questions, and for each other variant its text replacements and the questions whose
    data differ from variant 0's. cache (a dict: see sealed_cache) keeps the slow hashes
    computed, so that a build recomputes only new ones."""
    exercise = course.exercise(name, root)
    cache = {} if cache is None else cache

    def questions(variant):
        return {q.id: check_data(q, f"{name}.{q.id}.{variant}", cache,
                                 public=variant == 0 and exercise.variant_count > 0)
                for q in exercise.variant(variant).questions if q.autograded}

    first = questions(0)
    data = {"exercise": name, "table": course.table_hash(root, name)[:16], "questions": first}
    if exercise.variant_count:
        data["variants"] = []
        for k in range(1, exercise.variant_count + 1):
            these = questions(k)
            data["variants"].append({
                "text": exercise.replacements(k),
                "questions": {qid: d for qid, d in these.items() if d != first[qid]}})
    return json.dumps(data, indent=1, sort_keys=True, allow_nan=True) + "\n"


def sealed_cache(root, name):
    """Where the build keeps an exercise's slow hashes (source/<name>/sealed.json, with
    the references, never handed out), and what it holds."""
    path = course.source_path(root, name).parent / SEALED_CACHE
    try:
        return path, json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return path, {}


def missing_text(source, exercise):
    """The pieces of text a variant replaces that the source notebook does not show."""
    if not exercise.variant_count:
        return []
    text = "\n".join(cell.source for cell in source.cells)
    return [f"the variants replace {old!r}, which the source notebook does not contain"
            for old in exercise.replacements(1) if old not in text]


def unmarked(source):
    """The problems of a source's code solution cells without solution markers (the
    build would replace the whole cell, and the learner would lose its given code)."""
    return [f"cell {i + 1} (grade_id {nbgrader(cell).get('grade_id')!r}) is a solution "
            f"cell without {BEGIN} and {END} around its solution"
            for i, cell in enumerate(source.cells) if cell.cell_type == "code"
            and nbgrader(cell).get("solution") and BEGIN not in cell.source]


def edited_since_built(root, name):
    """Whether an exercise's source notebook or question table was changed after its
    student version was written (its solution, which the student version does not
    show, may have changed)."""
    built = course.student_path(root, name)
    return not built.is_file() or any(
        p.stat().st_mtime > built.stat().st_mtime
        for p in (course.source_path(root, name), course.table_path(root, name)))


def build(root, check_only=False):
    """Validate every source under root and write its student version and check data.

    Every exercise is read and validated before anything is written, so a bad one
    leaves every file as it was: each known mistake must fail with its own hint, and
    the solution of each exercise to be written (or whose source changed since it was)
    must earn every autograded point, judged as ``adlearn grade`` judges. Returns the
    names of student versions or check data that were (or, with check_only, would be)
    rewritten because they differ from their sources.
    """
    root = course.folder(root)
    names = course.names(root)
    if not names:
        raise GradingError(f"no exercise sources in {root} (expected "
                           "source/<name>/<name>.ipynb and source/<name>/questions.py)")
    stale, judge, caches = {}, {}, []
    for name in names:
        path = course.source_path(root, name)
        source = read(path)
        validate(source, course.exercise(name, root), where=path)
        if unmarked(source) or missing_text(source, course.exercise(name, root)):
            raise GradingError(f"{path}: " + "; ".join(
                unmarked(source) + missing_text(source, course.exercise(name, root))))
        course.judge_known_mistakes(course.exercise(name, root), course.table_path(root, name))
        student = nbformat.writes(student_version(source)) + "\n"
        cache_path, known = sealed_cache(root, name)
        cache = ChainMap({}, known)  # what this build uses lands in the first map
        targets = [(course.student_path(root, name), student),
                   (course.checks_path(root, name), check_text(root, name, cache))]
        if cache.maps[0] != known:  # new hashes, or old ones no longer used
            caches.append((cache_path, json.dumps(cache.maps[0], indent=0, sort_keys=True)
                           + "\n"))
        if course.handout_path(root, name) != course.student_path(root, name):
            targets.append((course.handout_path(root, name), student))
        stale[name] = [(p, text) for p, text in targets
                       if not p.is_file() or p.read_text(encoding="utf-8") != text]
        if stale[name] or edited_since_built(root, name):
            judge[name] = (path.read_text(encoding="utf-8"), targets[0][1])
    if not check_only:
        course.judge_solutions(root, judge)
        for path, text in [*caches, *(t for targets in stale.values() for t in targets)]:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for name in judge:  # judged now: written after its source
            os.utime(course.student_path(root, name))
    return [name for name, targets in stale.items() if targets]
