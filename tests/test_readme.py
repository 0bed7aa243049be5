"""The README stays true: its two commands run, CI runs the test command, and its Python
examples print what it shows."""

import contextlib
import doctest
import io
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def two_commands():
    """The bash blocks of the README's "Two commands" section: (main job, test suite)."""
    blocks = re.findall(r"```bash\n(.*?)\n```", section("## Two commands"), re.DOTALL)
    assert len(blocks) == 2, "the section should hold exactly two commands"
    return blocks


def test_ci_runs_the_readme_test_command_and_nothing_else():
    test_command = two_commands()[1]
    assert test_command == "bash scripts/test" and (ROOT / "scripts" / "test").is_file()
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert ci_lines == ['cd "$(dirname "$0")/.." || exit 1', test_command]


def test_the_main_job_prints_the_trace_and_draws_the_chain_rule(tmp_path):
    main_job = two_commands()[0]
    steps = main_job.split(" && ")
    assert steps[:3] == ["python3 -m venv .venv", ". .venv/bin/activate", "pip install -e ."]
    adlearn = shutil.which("adlearn")
    assert adlearn, "the adlearn console script is not installed"
    printed = ""
    for step in steps[3:]:  # the adlearn commands, run from a fresh folder
        words = shlex.split(step)
        assert words[0] == "adlearn"
        done = subprocess.run([adlearn, *words[1:]], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        printed += done.stdout
    assert "v5  = v4 - v3  = 11.652" in printed  # the textbook's primal trace
    assert "v̄-1 = v̄-1 + v̄1 ∂v1/∂v-1" in printed  # and its adjoint of x1
    picture = tmp_path / "chain_rule.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_tour_of_the_python_api_prints_what_the_readme_shows():
    tour = re.search(r"```python\n(.*?)\n```", section("## A tour of the Python API"),
                     re.DOTALL).group(1)
    test = doctest.DocTestParser().get_doctest(tour, {}, "README tour", "README.md", 0)
    assert len(test.examples) > 10
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0


def section(heading):
    """The README's text under a heading, up to the next top-level (##) heading."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split(heading, 1)[1].split("\n## ", 1)[0]


def assert_code_prints_what_is_shown(text, namespace):
    """The section's first Python block, run, prints the plain block right after it."""
    code, shown = re.search(r"```python\n(.*?)\n```\n\n```\n(.*?)\n```", text,
                            re.DOTALL).groups()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, namespace)  # the README's own code, trusted
    assert printed.getvalue() == shown + "\n"


def test_the_matrix_chain_section_shows_what_its_code_prints():
    assert_code_prints_what_is_shown(section("### The matrix chain"),
                                     {"ad": __import__("adlearn")})


def test_the_array_drawing_section_prints_what_it_shows_and_its_picture_is_committed():
    text = section("### Drawing an array program")
    assert_code_prints_what_is_shown(text, {})
    picture = re.search(r"\]\((docs/[a-z_]+\.png)\)", text).group(1)
    assert (ROOT / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_pictures_the_commands_write_are_ignored_by_git():
    """The main job writes chain_rule.png, and adlearn draw's default is graph.png: neither
    may show up as a file to commit in the clone."""
    from adlearn.cli import build_parser

    written = re.findall(r"-o (\S+)", two_commands()[0])
    default = build_parser().parse_args(["draw", "x"]).output
    assert written == ["chain_rule.png"] and default == "graph.png"
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git clone")
    done = subprocess.run(["git", "check-ignore", *written, default], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.stdout.split() == [*written, default]
    assert subprocess.run(["git", "check-ignore", "-q", "docs/chain_rule.png"], cwd=ROOT).returncode == 1
