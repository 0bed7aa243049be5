"""`adlearn grad`: the README's output, and one clear line with exit status 2 on bad input."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import adlearn
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
    (["x", "--at", "x=nan"], "the value of x must be a finite number, not 'nan'"),
    (["x", "--at", "x=1e400"], "the value of x must be a finite number, not '1e400' (the largest "
                               "float is about 1.8e308)"),
    (["x*y", "--at", "x=1", "x=2", "y=3"], "x has two values after --at (1 and 2)"),
    (["1e400 * x", "--at", "x=1"], "this number is too large for a float"),
    (["np.sin(x)", "--at", "x=1"], "unknown function 'np.sin': the functions are abs, cos"),
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


@pytest.mark.parametrize("argv", [
    ["grad", "-sin(x)", "--at", "x=1"],
    ["grad", "--", "-sin(x)", "--at", "x=1"],
    ["grad", "--at", "x=1", "--", "-sin(x)"],
])
def test_an_expression_may_start_with_a_minus(capsys, argv):
    assert main(argv) == 0
    assert capsys.readouterr().out == ("f(x=1) = -0.841471   where f = -sin(x)\n"
                                       "df/dx = -0.540302\n")


@pytest.mark.parametrize("command", ["trace", "paths", "draw"])
def test_every_expression_command_takes_a_leading_minus(capsys, tmp_path, command):
    extra = ["-o", str(tmp_path / "g.svg")] if command == "draw" else []
    assert main([command, "-x*y", "--at", "x=2", "y=3", *extra]) == 0
    expected = {"trace": "Evaluation trace of -x*y at x = 2, y = 3",
                "paths": "x.grad from backward(): -3", "draw": "wrote"}[command]
    assert expected in capsys.readouterr().out


def test_at_may_be_given_more_than_once(capsys):
    assert main(["grad", "x*y", "--at", "x=2", "--at", "y=3"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "f(x=2, y=3) = 6   where f = x*y"


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out == f"adlearn {adlearn.__version__}\n"
    from importlib.metadata import version
    assert version("adlearn") == adlearn.__version__  # pyproject reads it from there


@pytest.mark.parametrize("word", [b"x\xff + 1", b"\xe9"])
def test_an_argument_that_is_not_utf8_is_one_line(word):
    """A byte that is not UTF-8 reaches Python as a lone surrogate, which printing fails
    on; every command refuses it first, whichever argument it is in."""
    for argv in ([b"grad", word, b"--at", b"x=1"], [b"paths", b"x", b"--at", b"x=1", b"--wrt", word],
                 [b"draw", b"x", b"--at", b"x=1", b"-o", word + b".png"]):
        done = subprocess.run([sys.executable.encode(), b"-m", b"adlearn.cli", *argv],
                              capture_output=True, timeout=120)
        assert (done.returncode, done.stdout) == (2, b"")
        assert done.stderr.startswith(b"adlearn: error: this argument is not UTF-8 text: ")
        assert done.stderr.count(b"\n") == 1
