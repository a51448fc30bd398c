"""Developer tasks. `nox` runs what CI runs; `nox -s bench` runs the benchmarks, `nox -s fuzz`
a long fuzz run.

Every session installs from `.ci/constraints.txt` (the versions the suite was last run with),
so a fresh clone tests exactly what was tested. `tests_min` checks the declared minimums.

Speed on a fresh clone: uv creates each environment from its cache (about 4 s once the cache
is warm, so separate environments per session cost little), and the test session spreads the
tests over every core with pytest-xdist (`PYTEST_XDIST_AUTO_NUM_WORKERS=1` for one worker; `nox -s
tests -- -n 0` for none).
"""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typing", "tests", "adversarial", "docs"]
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"
CONSTRAINTS = ("-c", ".ci/constraints.txt")
# The oldest versions `pyproject.toml` admits; `nox -s tests_min` proves them.
MINIMUMS = ("pydantic==2.9.0", "typing-extensions==4.12.0", "openai==1.99.2", "jiter==0.8.0")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite: unit, corpus, property, fuzz and loopback end-to-end tests."""
    session.install("-e", ".[test]", *CONSTRAINTS)
    session.run("pytest", "-m", "not typing", "-n", "auto", *session.posargs)


@nox.session(python=PYTHON)
def tests_min(session: nox.Session) -> None:
    """The core tests against the minimum runtime versions declared in pyproject.toml."""
    session.install("-e", ".", "pytest", "pytest-asyncio", "hypothesis", *MINIMUMS)
    session.run("pytest", "-m", "not live and not typing", *session.posargs)


@nox.session(python=PYTHON)
def tests_latest(session: nox.Session) -> None:
    """The test suite against the newest releases the extras admit (no constraints)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "not typing", "-n", "auto", *session.posargs)


@nox.session(python=PYTHON)
def typing(session: nox.Session) -> None:
    """mypy --strict and pyright (strict) on the package and the typing tests."""
    session.install("-e", ".[typing,test]", *CONSTRAINTS)
    session.run("mypy", "typedstream", "tests/typing", "examples")
    session.run("pyright")
    session.run("pytest", "-m", "typing", "-q", "-n", "auto")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff", *CONSTRAINTS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site with warnings as errors."""
    session.install("-e", ".[docs]", *CONSTRAINTS)
    session.env["NO_MKDOCS_2_WARNING"] = "1"  # Material's banner about its successor
    session.run("mkdocs", "build", "--strict", "--site-dir", f"{session.create_tmp()}/site")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks: µs per chunk against the JSON floor and the peers, in one run.

    `nox -s bench -- --quick` runs fewer repetitions; `nox -s bench -- --baseline REF` times
    events() and to_sse() of this tree against the package at git REF, interleaved.
    """
    session.install("-e", ".[bench]", *CONSTRAINTS)
    session.run("python", "bench/run.py", *session.posargs)


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """A long fuzz run: 100,000 mangled recordings from seed 1,000,000 (CI runs 4,000 from 0).

    `nox -s fuzz -- 1000000` sets the number of cases; `FUZZ_SEED=...` another first seed.
    """
    session.install("-e", ".[test]", *CONSTRAINTS)
    cases = session.posargs[0] if session.posargs else "100000"
    first = os.environ.get("FUZZ_SEED", "1000000")
    env = {"FUZZ_CASES": cases, "FUZZ_SEED": first}
    session.run("pytest", "tests/test_fuzz.py", "-q", "-k", "mangled", env=env)


@nox.session(python=PYTHON)
def adversarial(session: nox.Session) -> None:
    """Crafted inputs scale linearly: time(10N) <= 30 x time(N) for every registered case."""
    session.install("-e", ".[test]", *CONSTRAINTS)
    session.run("python", "bench/adversarial.py", *session.posargs)
