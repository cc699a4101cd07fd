"""Where the library lives and how it is opened: the database URL, engines, and migrations under a lock.

The default database is the SQLite file ``$ACQLAB_DATA_DIR/library.sqlite3`` (``ACQLAB_DATA_DIR`` defaults to
``~/.local/share/acquisition-lab``), created and migrated on first use. ``ACQLAB_DATABASE_URL`` overrides it,
for instance ``postgresql+psycopg://user:password@host:5432/acqlab``.

Migrations are Alembic scripts in ``simulation/library/migrations/versions``; the library runs them itself on
the first use of a database (``migrate``), so there is no ``alembic.ini``. To add one, change ``models.py``, then
in ``.venv/bin/python`` from the repository root::

    from alembic import command
    from simulation.library.db import alembic_config
    cfg = alembic_config("sqlite:////tmp/scratch.sqlite3")  # the Config the library uses, on a scratch database
    command.upgrade(cfg, "head")  # the scratch database at the newest migration
    command.revision(cfg, "add a column", autogenerate=True, rev_id="0002")  # writes versions/0002_add_a_column.py

Review the generated file: keep it portable between SQLite (batch mode is on) and PostgreSQL, never rewrite a
stored body (versions are immutable), and run ``tests/test_library.py`` (it checks that the models and the
migrations agree on both databases).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from .errors import LibraryUnavailable
from .slug import _clip

DB_FILE = "library.sqlite3"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_S = 30.0  # how long a SQLite writer waits for another before giving up
CONNECT_TIMEOUT_S = 5  # how long to wait for a PostgreSQL server that does not answer
PG_MIGRATION_LOCK = 0x41_43_51_4C_49_42  # pg_advisory_lock key ("ACQLIB"), held while migrating


def data_dir() -> Path:
    """The folder of the embedded database: ``ACQLAB_DATA_DIR``, else ``~/.local/share/acquisition-lab``."""
    env = os.environ.get("ACQLAB_DATA_DIR", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".local" / "share" / "acquisition-lab"


def default_url() -> str:
    """``ACQLAB_DATABASE_URL`` when set, else the embedded SQLite file's URL."""
    env = os.environ.get("ACQLAB_DATABASE_URL", "").strip()
    if env:
        return env
    return f"sqlite:///{data_dir() / DB_FILE}"


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise LibraryUnavailable(
            "the library's database URL is not a URL such as postgresql+psycopg://user@host/db or "
            "sqlite:///path/library.sqlite3; the app keeps working on links"
        ) from None


def is_sqlite(url: str) -> bool:
    """Whether a URL names a SQLite database."""
    return _parse(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The SQLite file of a URL, or None for an in-memory database or another backend."""
    u = _parse(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database).expanduser()


def database_label(url: str) -> str:
    """The database for people: the SQLite file's path, or ``host:port/database`` (never the password)."""
    try:
        u = make_url(url)
    except (ArgumentError, ValueError):
        return "(not a database URL)"
    if u.get_backend_name() == "sqlite":
        return str(Path(u.database).expanduser()) if u.database else ":memory:"
    host = u.host or "localhost"
    where = f"{host}:{u.port}" if u.port else host
    return _clip(f"{where}/{u.database}" if u.database else where, 120)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is off; the "begin" hook below emits BEGIN itself (SQLAlchemy's recipe)
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.close()


def _on_sqlite_begin(conn: Any) -> None:
    # writers take the write lock up front, so two saves never both read max(version) and then collide
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for the URL: SQLite with WAL, a busy timeout and explicit BEGIN; PostgreSQL with pre-ping."""
    u = _parse(url)
    try:
        if u.get_backend_name() == "sqlite":
            engine = create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})
            event.listen(engine, "connect", _on_sqlite_connect)
            event.listen(engine, "begin", _on_sqlite_begin)
            return engine
        connect_args: dict[str, Any] = {}
        if u.get_backend_name() == "postgresql" and "connect_timeout" not in u.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
        return create_engine(u, pool_pre_ping=True, connect_args=connect_args)
    except (NoSuchModuleError, ImportError) as exc:
        raise LibraryUnavailable(
            f"the library's database {database_label(url)} needs a driver this installation lacks "
            f"({_clip(str(exc), 80)}); the app keeps working on links"
        ) from None


def alembic_config(url: str | None = None) -> Any:
    """The Alembic Config the library uses: scripts inside this package, no alembic.ini."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or default_url()).replace("%", "%%"))
    return cfg


_thread_lock = threading.Lock()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive flock on ``<db>.lock`` next to the database: one process (and thread) at a time migrates."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def migrate(engine: Engine, url: str) -> None:
    """Create or upgrade the library's tables to the newest migration, once even with many processes at once.

    SQLite: under a file lock next to the database, which is switched to WAL first. PostgreSQL: under
    ``pg_advisory_lock``. Raises sqlalchemy/OS errors; the service turns them into LibraryUnavailable."""
    from alembic import command

    cfg = alembic_config(url)
    path = sqlite_path(url)
    with _thread_lock:
        if engine.dialect.name == "sqlite":
            lock = _file_lock(path) if path is not None else contextlib.nullcontext()
            with lock:
                raw = engine.raw_connection()  # WAL is switched on outside any transaction, once per file
                try:
                    raw.driver_connection.execute("PRAGMA journal_mode = WAL").close()
                finally:
                    raw.close()
                with engine.begin() as conn:
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
        elif engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": PG_MIGRATION_LOCK})
                conn.commit()
                try:
                    with conn.begin():
                        cfg.attributes["connection"] = conn
                        command.upgrade(cfg, "head")
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_MIGRATION_LOCK})
                    conn.commit()
        else:
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
