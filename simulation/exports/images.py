"""Charts as PNG or SVG through kaleido and the system's Chromium, and the headless browser's whereabouts."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from ..results import Result

INSTALL_HINT = "install Chromium: apt-get install chromium (or set ACQLAB_CHROMIUM to a Chrome or Chromium binary)"
IMAGE_TIMEOUT = 60.0  # seconds a figure may take to render


class ExportUnavailable(Exception):
    """An export that needs a tool this machine lacks (a headless browser); the message says how to install it."""


def browser_path() -> str | None:
    """The headless browser to use: $ACQLAB_CHROMIUM, else /usr/bin/chromium, else chromium or Chrome on the PATH."""
    env = os.environ.get("ACQLAB_CHROMIUM", "").strip()
    if env:
        return env if os.path.isfile(env) and os.access(env, os.X_OK) else None
    if os.path.isfile("/usr/bin/chromium") and os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_browser() -> str:
    """The browser's path, or ExportUnavailable saying how to install one."""
    path = browser_path()
    if path is None:
        raise ExportUnavailable(f"no headless browser found; {INSTALL_HINT}")
    return path


def report_charts(result: Result) -> list[go.Figure]:
    """The report's two charts: customers won to date, and cumulative net cash with the payback months (J-curve)."""
    from dashboard.charts import strategies as charts

    return [charts.customers_to_date(result, height=340), charts.cash_curve(result, height=340)]


async def _render_all(path: str, specs: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[bytes]:
    import kaleido

    # mathjax off: no network fetch, and the figures hold no LaTeX
    async with kaleido.Kaleido(n=1, timeout=IMAGE_TIMEOUT, mathjax=False, path=path) as k:
        return [await k.calc_fig(fig, opts=opts) for fig, opts in specs]


def render(
    figs: list[go.Figure], fmt: Literal["png", "svg"] = "svg", width: int = 900, height: int = 420, scale: float = 2
) -> list[bytes]:
    """Several figures as images with one browser start (each start costs ~1–2 s); a PNG has `scale` pixels per
    layout pixel (2: sharp on paper and on high-density screens)."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"format: {fmt!r} is not allowed; png or svg")
    path = require_browser()
    specs = [(f.to_plotly_json(), {"format": fmt, "width": int(width), "height": int(height), "scale": scale if fmt == "png" else 1})
             for f in figs]  # fmt: skip
    box: dict[str, Any] = {}

    def work() -> None:  # its own thread and event loop: callers may already run one (Streamlit, Jupyter)
        try:
            box["out"] = asyncio.run(_render_all(path, specs))
        except BaseException as e:  # noqa: BLE001 - re-raised below in the caller's thread
            box["err"] = e

    t = threading.Thread(target=work, name="acqlab-kaleido", daemon=True)
    t.start()
    t.join(IMAGE_TIMEOUT * (len(specs) + 1))
    if t.is_alive():
        raise ExportUnavailable(f"the headless browser did not answer within {IMAGE_TIMEOUT * (len(specs) + 1):.0f} s")
    if "err" in box:
        err = box["err"]
        if type(err).__name__ == "ChromeNotFoundError":
            raise ExportUnavailable(f"the headless browser could not start; {INSTALL_HINT}") from None
        raise err
    return box["out"]


def chart_image(
    fig: go.Figure, fmt: Literal["png", "svg"] = "png", width: int = 900, height: int = 420, scale: float = 2
) -> bytes:
    """One chart as PNG or SVG bytes; ExportUnavailable (with an install hint) when no browser is installed."""
    return render([fig], fmt, width, height, scale)[0]
