"""The library's two kinds of failure: a person's mistake, and a database that cannot be reached."""

from __future__ import annotations


class LibraryError(Exception):
    """A person's mistake or a damaged row: unknown slug or version, a bad slug, notes too long, a stored
    scenario that no longer validates (the message names ``slug@n`` and the problem). One line."""


class LibraryUnavailable(Exception):
    """The database cannot be reached, opened or is locked; one line naming the host or the SQLite file."""
