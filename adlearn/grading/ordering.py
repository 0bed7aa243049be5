"""A submitted notebook, put in order for grading (in the worker, never in a kernel).

It is read leniently (what Jupyter opens is graded); its locked cells, grading cells
included, are put back from the student version, so that deleting or editing them
changes nothing. A notebook whose cells lost their nbgrader metadata (pasted into a new
notebook, say) has none of the student version's solution cells: then each grading cell
goes after the last cell whose code defines the question's answer, read as written.
"""

import ast
import json
import re

from . import notebooks  # first: it imports nbformat (see there)
import nbformat


def read_submission(text):
    """A submitted notebook from its text. Lenient: an nbformat 4 notebook that Jupyter
    opens and that has cells to run is graded, even with keys nbformat's schema rejects."""
    raw = json.loads(text)
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        found = raw.get("nbformat") if isinstance(raw, dict) else None
        raise ValueError(f"not an nbformat 4 notebook (nbformat {found!r})")
    nb = nbformat.from_dict(raw)
    if not isinstance(nb.get("cells"), list):
        raise ValueError("its cells are not a list")
    for i, cell in enumerate(nb.cells):
        if not isinstance(cell, dict) or cell.get("cell_type") not in (
                "code", "markdown", "raw") or not isinstance(cell.get("source"), str):
            if isinstance(cell, dict) and isinstance(cell.get("source"), list):
                cell["source"] = "".join(map(str, cell["source"]))
                continue
            raise ValueError(f"cell {i + 1} is not a code, markdown or raw cell with a source")
        cell.setdefault("metadata", {})
    return nb


def restore_locked_cells(submission, template):
    """Put the template's locked cells (grading cells included) into the submission.

    A cell with the same grade_id is overwritten; a missing one is inserted after the
    cell that precedes it in the template (or at the start). Solution cells stay as the
    learner wrote them.
    """
    def grade_id(cell):
        return notebooks.nbgrader(cell).get("grade_id")

    locked = [c for c in template.cells if notebooks.nbgrader(c).get("locked")]
    for cell in locked:
        index = {grade_id(c): i for i, c in enumerate(submission.cells) if grade_id(c)}
        if grade_id(cell) in index:
            submission.cells[index[grade_id(cell)]] = cell
            continue
        position = 0
        for earlier in template.cells[: template.cells.index(cell)]:
            if grade_id(earlier) in index:
                position = index[grade_id(earlier)] + 1
        submission.cells.insert(position, cell)
    return submission


def metadata_lost(submission, template):
    """Whether the submission's cells lost their nbgrader metadata (pasted into a new
    notebook, say): it has none of the template's solution cells' grade_ids."""
    ids = {notebooks.nbgrader(c).get("grade_id") for c in submission.cells}
    solutions = {notebooks.nbgrader(c).get("grade_id") for c in template.cells
                 if notebooks.nbgrader(c).get("solution")}
    return bool(solutions) and not ids & solutions


def defines(source, name):
    """Whether a cell's code binds name at its top level (a def, an assignment, an
    import, in a loop or an if), read as written, never run. IPython's magics and shell
    lines are skipped."""
    code = re.sub(r"(?m)^\s*[%!].*$", "pass", source)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if statement.name == name:
                return True
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name:
                return True
            if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                    (a.asname or a.name.split(".")[0]) == name for a in node.names):
                return True
    return False


def _bound(source):
    """The names a cell assigns at its top level (x1, x2 = ..., n = ...), in order."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    return [node.id for statement in tree.body if isinstance(statement, ast.Assign)
            for target in statement.targets for node in ast.walk(target)
            if isinstance(node, ast.Name)]


def place_by_definitions(submission, template, exercise):
    """Put each autograded question's grading cell (from the template) after the last
    of the submission's code cells that defines its answer (at the end if none does),
    and put back each locked code cell the exercise gives (a learner's numbers, such as
    ``x1, x2 = 4.7, 3.4``) in place of the first cell that defines what it defines."""
    for given in template.cells:
        meta = notebooks.nbgrader(given)
        names = _bound(given.source) if given.cell_type == "code" else []
        if meta.get("locked") and not meta.get("grade") and names:
            mine = next((c for c in submission.cells if c.cell_type == "code"
                         and all(defines(c.source, n) for n in names)), None)
            if mine is not None:
                mine.source = given.source
    cells = list(submission.cells)
    after = {}
    for q in exercise.questions:
        if not q.autograded:
            continue
        found = [i for i, c in enumerate(cells) if c.cell_type == "code"
                 and defines(c.source, q.answer)]
        grading = next(c for c in template.cells if notebooks.nbgrader(c).get("grade_id") == q.id)
        after.setdefault(found[-1] if found else len(cells) - 1, []).append(grading)
    submission.cells = []
    for i, cell in enumerate([None] + cells):  # None: before the first cell
        if cell is not None:
            submission.cells.append(cell)
        submission.cells += after.get(i - 1, [])
    return submission
