"""A learner's commands work from an installed adlearn, not only from a clone (issue 22):
the wheel is built (``pip wheel --no-deps``), installed into a fresh virtual environment
outside the clone (its dependencies seen from this one's, none downloaded), and
``exercises start``, ``check``, ``status`` and ``reset`` run from an empty folder."""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(argv, cwd, env=None):
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_start_check_status_and_reset_work_from_an_installed_wheel(tmp_path):
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(wheels), str(ROOT)], cwd=tmp_path)
    wheel, = wheels.glob("adlearn-*.whl")
    env_dir = tmp_path / "env"
    venv.create(env_dir, system_site_packages=False, with_pip=False)
    python = env_dir / "bin" / "python"
    # this environment's libraries (numpy, sympy, ...) but not its adlearn: a .pth file
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                     "['purelib'])"], cwd=tmp_path).strip())
    ours = [p for p in sys.path if p.endswith("site-packages")]
    (site / "deps.pth").write_text("\n".join(ours) + "\n")
    run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
         str(wheel)], cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    found = run([str(python), "-c", "import adlearn; print(adlearn.__file__)"], work, env)
    assert str(site) in found and str(ROOT) not in found
    adlearn = [str(python), "-m", "adlearn.cli"]
    out = run(adlearn + ["exercises", "start", "derivatives_by_hand", "--student", "alice"],
              work, env)
    assert "variant" in out and (work / "derivatives_by_hand.ipynb").is_file()
    state = json.loads((work / "adlearn-learner.json").read_text())
    k = state["exercises"]["derivatives_by_hand"]["variant"]
    nb = json.loads((work / "derivatives_by_hand.ipynb").read_text())
    point = next(c["source"] for c in nb["cells"] if c["source"].endswith("# your point"))
    x1, x2 = (float(v) for v in point.split("=")[1].split("#")[0].split(","))
    out = run([str(python), "-c", "from adlearn.grading import check\n"
               f"check('derivatives_by_hand.df_dx1', 1 / {x1!r} + {x2!r})\n"
               "try:\n    check('derivatives_by_hand.df_dx2', 1.7163378145367738)\n"
               "except Exception as exc:\n    print(type(exc).__name__)"], work, env)
    assert "Right. Well done!" in out and "WrongAnswer" in out
    out = run(adlearn + ["exercises", "status"], work, env)
    assert f"derivatives_by_hand (variant {k}): 1 of 6 questions passed" in out
    out = run(adlearn + ["exercises", "reset", "derivatives_by_hand"], work, env)
    assert (work / "derivatives_by_hand.old.ipynb").is_file()
