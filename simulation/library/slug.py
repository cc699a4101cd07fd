"""Slugs (``q3-plan``) and references (``q3-plan@2``)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from .errors import LibraryError

SLUG_MAX = 60
SLUG_RE = re.compile(r"[a-z0-9-]{1,60}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _clip(text: str, n: int = 80) -> str:
    """At most n characters of a person's text for a message, control characters replaced."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return text if len(text) <= n else text[: n - 1] + "…"


def slugify(name: str) -> str:
    """A slug made from a name: lowercase ASCII letters and digits joined by single hyphens, 1–60 characters.

    Accents are dropped (``Café`` → ``cafe``); a name with no ASCII letter or digit gets ``scenario`` plus a
    short hash of the name, so equal names still give equal slugs."""
    ascii_text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii").lower()
    slug = _NOT_SLUG.sub("-", ascii_text).strip("-")[:SLUG_MAX].rstrip("-")
    if slug:
        return slug
    if not str(name).strip():
        return "scenario"
    return "scenario-" + hashlib.sha256(str(name).encode("utf-8")).hexdigest()[:8]


def check_slug(slug: str) -> str:
    """The slug itself, or LibraryError when it is not 1–60 of a-z, 0-9 and -."""
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        raise LibraryError(f"{_clip(slug)!r} is not a slug; a slug is 1–60 of a-z, 0-9 and -")
    return slug


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``"q3-plan@2"`` → ``("q3-plan", 2)``; ``"q3-plan"`` → ``("q3-plan", None)``; LibraryError otherwise."""
    text = str(ref).strip()
    slug, at, number = text.partition("@")
    check_slug(slug)
    if not at:
        return slug, None
    if not number.isascii() or not number.isdigit() or len(number) > 9 or int(number) < 1:
        raise LibraryError(f"{_clip(text)!r}: the version after @ is a whole number from 1")
    return slug, int(number)
