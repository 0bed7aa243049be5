"""Shared test settings and fixtures.

Hypothesis: random exploration on a developer's machine, a fixed seed on CI, no deadline.

On CI (the CI environment variable is set, as .ci/run's caller does) every property test
draws the same examples on every run, so a submission is judged on its code, not on the
luck of the draw; developers' runs keep exploring new examples.
"""

import os

import pytest
from hypothesis import settings

import adlearn as ad

# No example is judged by how long it took: the machines the suite runs on are shared
# (a property test of the matrix chain failed its 200 ms deadline under load).
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def rule_table():
    """A test that adds custom operations (ad.custom_derivative, ad.checkpoint) leaves the
    rule table as it found it, so later tests see the built-in table."""
    saved = dict(ad.RULES)
    yield
    ad.RULES.clear()
    ad.RULES.update(saved)


@pytest.fixture
def array_table(rule_table):
    """A test that adds custom array operations (ad.custom_vjp) leaves the array engine's
    table (and the rule table) as it found it."""
    from adlearn.core import custom, linalg, structural  # noqa: F401 - linalg adds solve's row

    saved, names = dict(structural.STRUCTURAL), set(custom._ARRAY_OPERATIONS)
    yield
    structural.STRUCTURAL.clear()
    structural.STRUCTURAL.update(saved)
    custom._ARRAY_OPERATIONS.clear()
    custom._ARRAY_OPERATIONS.update(names)
