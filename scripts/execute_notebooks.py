"""Run tutorial notebooks top to bottom in a fresh kernel and store them with their outputs.

The notebooks are stored with outputs so they read well on a repository web page. A
widget cannot show there, so its state is not stored and its text stands in for it.

    python scripts/execute_notebooks.py                       # every notebook in notebooks/
    python scripts/execute_notebooks.py notebooks/06_*.ipynb  # some of them
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_TEXT = "[an interactive widget: run this notebook in Jupyter to use it]"


def execute(path):
    """Run the notebook at path in this environment's python3 kernel and save it."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}  # no version noise in the diff
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
            for output in cell.outputs:
                if WIDGET in output.get("data", {}):
                    output["data"]["text/plain"] = WIDGET_TEXT
    nbformat.write(nb, path)
    size = path.stat().st_size / 1024
    print(f"{path.name}: ran in {time.perf_counter() - start:.1f} s, {size:.0f} KB")


if __name__ == "__main__":
    for name in sys.argv[1:] or sorted(NOTEBOOKS.glob("[0-9]*.ipynb")):
        execute(Path(name).resolve())
