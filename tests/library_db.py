"""Library test helpers: a fresh database per test on SQLite and on PostgreSQL, and the library CLI.

PostgreSQL runs when ``ACQLAB_TEST_POSTGRES_URL`` is set (``.ci/run`` sets it); each test gets its own schema
(``search_path`` in the URL), dropped afterwards. Without the variable the PostgreSQL cases are skipped, unless
``ACQLAB_REQUIRE_POSTGRES=1``, when they fail.

Run as a script (``python tests/library_db.py library list``) it is ``python -m simulation`` with the library
command registered, for subprocess tests written before ``simulation/cli.py`` registers it itself."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from simulation.library import Library
from simulation.library.service import close_libraries

ROOT = Path(__file__).resolve().parent.parent
PG_ENV = "ACQLAB_TEST_POSTGRES_URL"
REQUIRE_ENV = "ACQLAB_REQUIRE_POSTGRES"


def postgres_base() -> str:
    """The test server's URL, or skip (fail when PostgreSQL is required)."""
    base = os.environ.get(PG_ENV, "").strip()
    if not base:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but {PG_ENV} is not set")
        pytest.skip(f"PostgreSQL cases need {PG_ENV}=postgresql+psycopg://user:password@host/db (.ci/run sets it)")
    return base


@pytest.fixture(name="library_url", params=["sqlite", "postgresql"])
def library_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database (not yet created or migrated): a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'library.sqlite3'}"
        close_libraries()
        return
    base = postgres_base()
    schema = "t_" + uuid.uuid4().hex[:16]
    admin = create_engine(base, connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # a configured server that is down is a failure, not a skip
        admin.dispose()
        pytest.fail(f"cannot use the PostgreSQL test server {PG_ENV}: {str(exc).splitlines()[0][:200]}")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        close_libraries()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(name="lib")
def lib_fixture(library_url: str) -> Iterator[Library]:
    """A Library on the test's database."""
    library = Library(library_url)
    yield library
    library.dispose()


def sql(url: str, statement: str, **params: object) -> list[tuple]:
    """Run one SQL statement on the test's database behind the library's back; rows when it returns some."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def save_in_process(url: str, slug: str, i: int, body: str, start: Any, results: Any) -> None:
    """A spawned process: wait for the others at ``start``, then save ``body`` under slug; put
    ``(i, version, collisions, error)`` on ``results``."""
    from simulation.schema import loads_scenario

    library = Library(url)
    scn = loads_scenario(body)
    try:
        start.wait(timeout=120)
        saved = library.save(scn, slug=slug, author=f"p{i}")
        results.put((i, saved.version, library.collisions, None))
    except Exception as exc:  # reported by the test
        results.put((i, None, library.collisions, f"{exc.__class__.__name__}: {exc}"))
    finally:
        library.dispose()


# ---- the CLI -------------------------------------------------------------------------------------


def _library_registered(ap: argparse.ArgumentParser) -> bool:
    return any(isinstance(a, argparse._SubParsersAction) and "library" in a.choices for a in ap._actions)


def natively_registered() -> bool:
    """Whether simulation/cli.py registers the library command itself."""
    from simulation import cli

    return _library_registered(getattr(cli.build_parser, "__wrapped__", cli.build_parser)())


def ensure_library_command() -> None:
    """Register ``library`` on simulation.cli's parser when simulation/cli.py does not yet (idempotent)."""
    from simulation import cli
    from simulation.library.cli import add_library_parser

    if natively_registered() or hasattr(cli.build_parser, "__wrapped__"):
        return
    original = cli.build_parser

    def build_parser() -> argparse.ArgumentParser:
        ap = original()
        sub = next(a for a in ap._actions if isinstance(a, argparse._SubParsersAction))
        add_library_parser(sub, cli._Parser)
        return ap

    build_parser.__wrapped__ = original  # type: ignore[attr-defined]
    cli.build_parser = build_parser


def cli_command(*args: str) -> list[str]:
    """The command line that runs ``python -m simulation ARGS`` (through this file until it registers library)."""
    entry = ["-m", "simulation"] if natively_registered() else [str(Path(__file__).resolve())]
    return [sys.executable, *entry, *args]


def cli_env(url: str) -> dict[str, str]:
    """The environment of a CLI subprocess on the test's database."""
    return {**os.environ, "ACQLAB_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}


def run_cli(*args: str, url: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the CLI in a subprocess on the given database."""
    return subprocess.run(
        cli_command(*args), capture_output=True, text=True, cwd=cwd or ROOT, env=cli_env(url), timeout=120
    )


if __name__ == "__main__":
    from simulation import cli

    ensure_library_command()
    sys.exit(cli.main(sys.argv[1:]))
