"""Showing untrusted text (from a link, a file or a user) as plain text in Markdown elements."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def plain(text: str) -> str:
    """Escape every Markdown/HTML-significant character so the text shows literally."""
    return _SPECIAL.sub(r"\\\1", text)
