"""The scenario library: save immutable versions, list, search, open, rename, duplicate, delete and restore.

A ``Library`` is safe to share between threads (one engine per URL; a session per call). The database is
created and migrated on the first call, not when the object is made, so ``open_library()`` never fails
because a server is down: each call raises ``LibraryUnavailable`` instead, and the app keeps working on links.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from ..schema import Scenario, ScenarioError, dumps_scenario, parse_toml, scenario_dict, validate_scenario
from ..schema.io import validate_with_warnings
from . import db
from .errors import LibraryError, LibraryUnavailable
from .models import AUTHOR_MAX, NAME_MAX, ScenarioRow, VersionRow
from .slug import _clip, check_slug, parse_ref, slugify

NOTES_MAX = 2_000  # code points
SAVE_ATTEMPTS = 100  # a save that collides with concurrent saves of the same slug tries again, up to this often
T = TypeVar("T")


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _utc(dt: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite returns naive UTC, PostgreSQL aware)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


@dataclass(frozen=True)
class Saved:
    """One saved version with its scenario (validated like a file; a version 1 body is migrated)."""

    slug: str
    version: int
    name: str
    notes: str
    author: str
    saved_at: datetime
    scenario: Scenario
    deleted: bool
    warnings: tuple[str, ...] = ()  # what migrating a version 1 body changed

    @property
    def ref(self) -> str:
        """``slug@version``, as a link carries it."""
        return f"{self.slug}@{self.version}"


@dataclass(frozen=True)
class Entry:
    """A scenario in the list: its latest version."""

    slug: str
    name: str
    version: int
    author: str
    saved_at: datetime
    deleted: bool

    def to_json(self) -> dict[str, Any]:
        """``{"slug", "name", "version", "author", "saved_at" (ISO 8601 UTC), "deleted"}``."""
        return {"slug": self.slug, "name": self.name, "version": self.version, "author": self.author,
                "saved_at": _iso(self.saved_at), "deleted": self.deleted}  # fmt: skip


@dataclass(frozen=True)
class VersionInfo:
    """One version of a scenario, without its body."""

    version: int
    author: str
    saved_at: datetime
    notes: str
    name: str

    def to_json(self) -> dict[str, Any]:
        """``{"version", "author", "saved_at" (ISO 8601 UTC), "notes"}``."""
        return {"version": self.version, "author": self.author, "saved_at": _iso(self.saved_at), "notes": self.notes}


def digest(body: str) -> str:
    """SHA-256 of a stored body (hex)."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _no_controls(text: str, keep: str = "") -> str:
    return "".join(ch for ch in text if ch in keep or unicodedata.category(ch) != "Cc")


def clean_author(author: str | None) -> str:
    """An author as stored: control characters removed, outer spaces trimmed; LibraryError above 120."""
    text = _no_controls(str(author or "")).strip()
    if len(text) > AUTHOR_MAX:
        raise LibraryError(f"author: {len(text):,} characters; allowed at most {AUTHOR_MAX}")
    return text


def clean_notes(notes: str | None) -> str:
    """Notes as stored: line breaks and tabs kept, other control characters removed; LibraryError above 2,000."""
    text = _no_controls(str(notes or "").replace("\r\n", "\n"), keep="\n\t")
    if len(text) > NOTES_MAX:
        raise LibraryError(f"notes: {len(text):,} characters; allowed at most {NOTES_MAX:,}")
    return text


def _named(scn: Scenario, name: str | None) -> Scenario:
    """The scenario with its name replaced (validated like a file) and control characters taken out of it."""
    new = scn.name if name is None else str(name)
    new = _no_controls(new)
    if new == scn.name:
        return scn
    try:
        return validate_scenario({**scenario_dict(scn), "name": new})
    except ScenarioError as exc:
        raise LibraryError("; ".join(exc.problems)) from None


class Library:
    """The scenario library on one database (see the module docstring)."""

    def __init__(self, url: str | None = None):
        self.url = url or db.default_url()
        self.label = db.database_label(self.url)
        self._engine: Engine | None = None
        self._ready = False
        self._lock = threading.Lock()
        self.collisions = 0  # saves that had to try again because a concurrent save took their number

    def __repr__(self) -> str:
        return f"Library({self.label!r})"

    # ---- plumbing ------------------------------------------------------------------------------

    def _unavailable(self, exc: BaseException) -> LibraryUnavailable:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        why = _clip(reason[0], 100) if reason else exc.__class__.__name__
        return LibraryUnavailable(
            f"the scenario library at {self.label} is unavailable ({why}); the app keeps working on links"
        )

    def _ensure(self) -> Engine:
        """The engine, the database created and migrated on first use."""
        if self._ready and self._engine is not None:
            return self._engine
        with self._lock:
            if not self._ready:
                try:
                    if self._engine is None:
                        self._engine = db.make_engine(self.url)
                    db.migrate(self._engine, self.url)
                except LibraryUnavailable:
                    raise
                except (SQLAlchemyError, OSError) as exc:
                    raise self._unavailable(exc) from None
                except Exception as exc:  # Alembic's CommandError and the like: still one line
                    raise self._unavailable(exc) from None
                self._ready = True
        assert self._engine is not None
        return self._engine

    @contextmanager
    def _session(self, write: bool = False) -> Iterator[Session]:
        engine = self._ensure()
        bind = engine.execution_options(sqlite_immediate=True) if write else engine
        try:
            with Session(bind, expire_on_commit=False) as session, session.begin():
                yield session
        except IntegrityError:
            raise
        except (SQLAlchemyError, OSError) as exc:  # connection lost, locked, pool exhausted, …
            raise self._unavailable(exc) from None

    def _retrying(self, attempt: Callable[[Session], T]) -> T:
        """Run a write in its own transaction, again when a concurrent save took the same version number."""
        for n in range(SAVE_ATTEMPTS):
            try:
                with self._session(write=True) as session:
                    return attempt(session)
            except IntegrityError:
                self.collisions += 1
                time.sleep(random.uniform(0, min(0.05, 0.002 * (n + 1))))
        raise LibraryUnavailable(
            f"the scenario library at {self.label} is too busy: {SAVE_ATTEMPTS} attempts to save collided with "
            "other saves; try again"
        )

    def dispose(self) -> None:
        """Close the pooled connections (tests; a process that is about to end)."""
        if self._engine is not None:
            self._engine.dispose()

    # ---- reading -------------------------------------------------------------------------------

    def _scenario_row(self, session: Session, slug: str) -> ScenarioRow:
        row = session.get(ScenarioRow, check_slug(slug))
        if row is None:
            raise LibraryError(f"no scenario {_clip(slug)!r} in the library")
        return row

    def _saved(self, row: VersionRow, deleted: bool) -> Saved:
        ref = f"{row.slug}@{row.version}"
        tampered = digest(row.body) != row.digest
        try:
            scn, warnings = validate_with_warnings(parse_toml(row.body, source=ref))
        except ScenarioError as exc:
            first = exc.problems[0] if exc.problems else "invalid"
            more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
            changed = " was changed outside the app and" if tampered else ""
            raise LibraryError(f"{ref}: the stored scenario{changed} no longer validates: {first}{more}") from None
        if tampered:
            raise LibraryError(
                f"{ref}: the stored scenario was changed outside the app (its SHA-256 digest does not match); "
                "it is not opened"
            )
        return Saved(row.slug, row.version, row.name, row.notes, row.author, _utc(row.saved_at), scn, deleted,
                     tuple(warnings))  # fmt: skip

    def get(self, slug: str, version: int | None = None) -> Saved:
        """A version of a scenario (the latest when version is None); LibraryError when there is none."""
        with self._session() as session:
            head = self._scenario_row(session, slug)
            q = select(VersionRow).where(VersionRow.slug == slug)
            if version is None:
                row = session.scalars(q.order_by(VersionRow.version.desc()).limit(1)).first()
            else:
                row = session.scalars(q.where(VersionRow.version == version)).first()
            if row is None:
                latest = session.scalar(select(func.max(VersionRow.version)).where(VersionRow.slug == slug)) or 0
                have = f"versions 1–{latest}" if latest > 1 else "version 1" if latest == 1 else "no versions"
                raise LibraryError(f"{slug} has {have}; there is no version {version}")
            deleted = head.deleted_at is not None
        return self._saved(row, deleted)

    def get_ref(self, ref: str) -> Saved:
        """``slug`` (latest) or ``slug@n`` (version n)."""
        slug, version = parse_ref(ref)
        return self.get(slug, version)

    def list(self, search: str | None = None, include_deleted: bool = True) -> list[Entry]:
        """The latest version of each scenario, newest saved first; ``search`` matches (case-insensitive) the
        slug, name, author or notes of the latest version."""
        latest = (
            select(VersionRow.slug, func.max(VersionRow.version).label("version")).group_by(VersionRow.slug).subquery()
        )
        q = (
            select(
                VersionRow.slug,
                VersionRow.name,
                VersionRow.version,
                VersionRow.author,
                VersionRow.saved_at,
                VersionRow.notes,
                ScenarioRow.deleted_at,
            )  # fmt: skip
            .join(latest, (VersionRow.slug == latest.c.slug) & (VersionRow.version == latest.c.version))
            .join(ScenarioRow, ScenarioRow.slug == VersionRow.slug)
            .order_by(VersionRow.saved_at.desc(), VersionRow.id.desc())
        )
        if not include_deleted:
            q = q.where(ScenarioRow.deleted_at.is_(None))
        with self._session() as session:
            rows = session.execute(q).all()
        needle = (search or "").strip().casefold()
        out = []
        for r in rows:
            if needle and not any(needle in str(v).casefold() for v in (r.slug, r.name, r.author, r.notes)):
                continue
            out.append(Entry(r.slug, r.name, r.version, r.author, _utc(r.saved_at), r.deleted_at is not None))
        return out

    def versions(self, slug: str) -> list[VersionInfo]:
        """Every version of a scenario, 1..n in order."""
        with self._session() as session:
            self._scenario_row(session, slug)
            rows = session.execute(
                select(VersionRow.version, VersionRow.author, VersionRow.saved_at, VersionRow.notes, VersionRow.name)
                .where(VersionRow.slug == slug)
                .order_by(VersionRow.version)
            ).all()
        return [VersionInfo(r.version, r.author, _utc(r.saved_at), r.notes, r.name) for r in rows]

    # ---- writing -------------------------------------------------------------------------------

    def _insert(self, session: Session, slug: str, scn: Scenario, notes: str, author: str) -> Saved:
        """Add the next version of slug in this transaction (the scenario row too when new; undeletes)."""
        now = datetime.now(UTC)
        head = session.get(ScenarioRow, slug)
        if head is None:
            session.add(ScenarioRow(slug=slug, created_at=now, deleted_at=None))
            session.flush()  # a concurrent first save of the same slug fails here: IntegrityError, try again
        elif head.deleted_at is not None:
            head.deleted_at = None
        number = (session.scalar(select(func.max(VersionRow.version)).where(VersionRow.slug == slug)) or 0) + 1
        body = dumps_scenario(scn)
        session.add(VersionRow(slug=slug, version=number, name=scn.name, notes=notes, author=author, saved_at=now,
                               body=body, digest=digest(body), schema_version=scn.schema_version))  # fmt: skip
        session.flush()  # a concurrent save that took this number fails here: IntegrityError, try again
        return Saved(slug, number, scn.name, notes, author, now, scn, False)

    def save(
        self, scn: Scenario, slug: str | None = None, name: str | None = None, notes: str = "", author: str = ""
    ) -> Saved:
        """Save a new immutable version (under slug, else the slug of the name) and return it.

        ``name`` replaces the scenario's name; saving under an existing slug adds a version (and restores a
        deleted one)."""
        if not isinstance(scn, Scenario):
            raise LibraryError("only a validated scenario can be saved")
        scn = _named(scn, name)
        if len(scn.name) > NAME_MAX:  # the schema's own limit; kept here for a scenario built by hand
            raise LibraryError(f"name: {len(scn.name)} characters; allowed at most {NAME_MAX}")
        target = check_slug(slug) if slug is not None else slugify(scn.name)
        notes, author = clean_notes(notes), clean_author(author)
        return self._retrying(lambda session: self._insert(session, target, scn, notes, author))

    def rename(self, slug: str, new_name: str, author: str = "", notes: str | None = None) -> Saved:
        """A new version of slug whose scenario is the latest one under a new name (the slug stays)."""
        latest = self.get(slug)
        return self.save(
            latest.scenario,
            slug=slug,
            name=new_name,
            notes=f"Renamed from {_clip(latest.name)}" if notes is None else notes,
            author=author,
        )

    def duplicate(self, slug: str, new_name: str, author: str = "", notes: str | None = None) -> Saved:
        """Version 1 of a new scenario: the latest version of slug under a new name, its slug made from the
        name (``-2``, ``-3``, … appended when that slug is taken)."""
        source = self.get(slug)
        scn = _named(source.scenario, new_name)
        notes_text = clean_notes(f"Duplicated from {source.ref}" if notes is None else notes)
        who = clean_author(author)
        base = slugify(scn.name)

        def attempt(session: Session) -> Saved:
            taken = set(session.scalars(select(ScenarioRow.slug).where(ScenarioRow.slug.like(f"{base[:52]}%"))))
            candidate, n = base, 1
            while candidate in taken:
                n += 1
                tail = f"-{n}"
                candidate = base[: 60 - len(tail)].rstrip("-") + tail
            return self._insert(session, candidate, scn, notes_text, who)

        return self._retrying(attempt)

    def _set_deleted(self, slug: str, deleted: bool) -> None:
        def attempt(session: Session) -> None:
            row = self._scenario_row(session, slug)
            if deleted and row.deleted_at is None:
                row.deleted_at = datetime.now(UTC)
            elif not deleted:
                row.deleted_at = None

        self._retrying(attempt)

    def delete(self, slug: str) -> None:
        """Hide a scenario from the default list (restorable; its versions still open)."""
        self._set_deleted(slug, True)

    def restore(self, slug: str) -> None:
        """Undo delete."""
        self._set_deleted(slug, False)


_libraries: dict[str, Library] = {}
_libraries_lock = threading.Lock()


def open_library(url: str | None = None) -> Library:
    """The Library for a URL (``ACQLAB_DATABASE_URL``, else the embedded SQLite file), one per URL per process."""
    key = url or db.default_url()
    with _libraries_lock:
        lib = _libraries.get(key)
        if lib is None:
            lib = _libraries[key] = Library(key)
        return lib


def close_libraries() -> None:
    """Close and forget every Library ``open_library`` made (tests; a process that is about to end)."""
    with _libraries_lock:
        for lib in _libraries.values():
            lib.dispose()
        _libraries.clear()
