"""The one error calibration raises: one human line per problem, never a traceback."""

from __future__ import annotations

from ..schema import ScenarioError


class CalibrationError(ScenarioError):
    """An export, mapping or spend file that cannot be calibrated from; ``problems`` holds one line each.

    A subclass of ScenarioError, so a caller that already reports scenario problems one per line
    (the command line's ``main``) reports these the same way."""


def clip(text: object, n: int = 80) -> str:
    """At most n characters of a user's text, control characters replaced."""
    s = str(text)
    out = "".join(ch if ch.isprintable() else "?" for ch in s[:n])
    return out + "…" if len(s) > n else out


def quote(text: object, n: int = 80) -> str:
    """A user's value quoted for an error line: at most n characters."""
    return repr(clip(text, n))


def rows_text(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"
