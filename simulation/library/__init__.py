"""The team's scenario library: named, immutable versions of scenarios in SQLite or PostgreSQL.

See ``service`` for the API and ``db`` for where the database lives and how migrations are added."""

from .db import database_label, default_url
from .errors import LibraryError, LibraryUnavailable
from .service import NOTES_MAX, Entry, Library, Saved, VersionInfo, open_library
from .slug import parse_ref, slugify

__all__ = [
    "NOTES_MAX", "Entry", "Library", "LibraryError", "LibraryUnavailable", "Saved", "VersionInfo",
    "database_label", "default_url", "open_library", "parse_ref", "slugify",
]  # fmt: skip
