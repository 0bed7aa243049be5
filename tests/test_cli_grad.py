"""`adlearn grad`: the README's output, and one clear line with exit status 2 on bad input."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adlearn.cli import main

README_OUTPUT = """\
f(x1=2, x2=5) = 11.6521   where f = log(x1) + x1*x2 - sin(x2)
df/dx1 = 5.5
df/dx2 = 1.71634
"""
README_COMMAND = ["grad", "log(x1) + x1*x2 - sin(x2)", "--at", "x1=2", "x2=5"]


def test_the_readme_example_in_process(capsys):
    assert main(README_COMMAND) == 0
    out, err = capsys.readouterr()
    assert out == README_OUTPUT and err == ""


def test_the_readme_shows_this_output():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert 'adlearn grad "log(x1) + x1*x2 - sin(x2)" --at x1=2 x2=5' in readme
    assert README_OUTPUT in readme


def test_the_installed_console_script():
    script = Path(sys.executable).with_name("adlearn")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "adlearn.cli"]
    done = subprocess.run(command + README_COMMAND, capture_output=True, text=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert (done.returncode, done.stdout, done.stderr) == (0, README_OUTPUT, "")


def test_variables_in_the_order_of_the_expression(capsys):
    assert main(["grad", "b * a", "--at", "a=3", "b=2"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "f(b=2, a=3) = 6   where f = b * a", "df/db = 3", "df/da = 2"]


@pytest.mark.parametrize("args, message", [
    (["log(x1 +", "--at", "x1=2"],
     "this is not a valid expression ('(' was never closed) (column 4: '(x1 +')"),
    (["x1 + a.b", "--at", "x1=2"], "an attribute (a.b) is not allowed"),
    (['__import__("os")'], "unknown function '__import__'"),
    (["x*y", "--at", "x=1", "y=2", "z=3"], "the expression has no variable 'z' (its variables: x, y)"),
    (["x*y", "--at", "x=1"], "no value for y: add y=... after --at"),
    (["x", "--at", "x=abc"], "the value of x must be a number, not 'abc'"),
    (["x", "--at", "x"], "--at takes name=value pairs such as x1=2, not 'x'"),
    (["x", "--at", "x=nan"], "must be a finite real number, but got nan"),
    (["log(x)", "--at", "x=-1"],
     "ln (-1) is not defined: the logarithm needs a positive input at: ln x"),
    (["x / y", "--at", "x=1", "y=0"], "1 / 0 is not defined"),
    # arithmetic on numbers alone goes through the rule table too
    (["1/0 + x", "--at", "x=1"], "1 / 0 is not defined"),
    (["10**400 * x", "--at", "x=1"], "10^400 is too large for a float"),
    (["0**-1 + x", "--at", "x=1"], "0^(-1) is not defined"),
    (["(-8)**(1/3) * x", "--at", "x=1"], "(-8)^0.333333 is not defined"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, message):
    assert main(["grad", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("adlearn: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_input_through_the_console_script_has_no_traceback():
    done = subprocess.run([sys.executable, "-m", "adlearn.cli", "grad", "log(x)", "--at", "x=0"],
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("adlearn: error: ln 0 is not defined")
    assert done.stderr.count("\n") == 1



def test_a_reader_that_stops_early_gets_no_traceback():
    """adlearn trace ... | head: the pipe closes long before the trace is printed whole
    (a trace larger than the pipe's buffer, so the write really fails)."""
    expression = " + ".join(["sin(x1)"] * 300)  # a trace of about 130 KB
    done = subprocess.run(
        f"{sys.executable} -m adlearn.cli trace '{expression}' --at x1=2 | head -c 10",
        shell=True, capture_output=True, text=True, timeout=120)
    assert done.stdout == "Evaluation" and done.stderr == ""
