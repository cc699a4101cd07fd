"""Exports a CFO can read — the XLSX workbook, the monthly CSV, charts as PNG/SVG — and the one-page report
(self-contained HTML, PDF through the headless browser)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import TYPE_CHECKING

from .frames import monthly_csv
from .images import ExportUnavailable, browser_path, chart_image, report_charts
from .report import report_html, report_pdf
from .workbook import workbook

if TYPE_CHECKING:  # pragma: no cover
    from ..schema import Scenario

FORMATS = ("xlsx", "csv", "html", "pdf")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "html": "text/html",
    "pdf": "application/pdf",
    "png": "image/png",
    "svg": "image/svg+xml",
}
MAX_NAME = 80  # characters of the scenario's name in a file name

__all__ = [
    "FORMATS", "MEDIA_TYPES", "ExportUnavailable", "browser_path", "chart_image", "export", "file_name",
    "monthly_csv", "report_charts", "report_html", "report_pdf", "workbook",
]  # fmt: skip


def file_name(name: str, when: date | None, ext: str) -> str:
    """'<name made file-safe>-<YYYY-MM-DD>.<ext>': 'Q3 plan: EU' → 'Q3-plan-EU-2026-11-26.xlsx'.

    Letters and digits (any script) are kept with their case; every other run of characters becomes one '-';
    never empty ('scenario'), never a path, at most 80 characters of the name."""
    when = when or date.today()
    text = unicodedata.normalize("NFC", str(name))
    safe = re.sub(r"[^\w.]+", "-", text).strip("-._")  # \w: letters, digits and _ of any script
    safe = re.sub(r"-?\.-?", ".", safe)  # 'v1 . 2' → 'v1.2'; no dot runs below
    safe = re.sub(r"\.{2,}", ".", safe)
    safe = safe[:MAX_NAME].strip("-._") or "scenario"
    ext = re.sub(r"[^A-Za-z0-9]", "", str(ext)).lower() or "bin"
    return f"{safe}-{when.isoformat()}.{ext}"


def _has_ranges(scn: Scenario) -> bool:
    unc = scn.uncertainty
    return bool(unc and any(lo != hi for lo, hi in unc.ranges.values()))


def export(scn: Scenario, fmt: str, link: str = "", when: date | None = None, paper: str = "A4") -> bytes:
    """A scenario's export as bytes: xlsx (workbook), csv (monthly frame, UTF-8 with a BOM for spreadsheet apps),
    html or pdf (the one-page report). Runs the simulation, and the Monte Carlo when the scenario has ranges.

    ExportUnavailable for a PDF when no headless browser is installed; ValueError for an unknown format."""
    from ..results import run

    fmt = str(fmt).lower()
    if fmt not in FORMATS:
        raise ValueError(f"format: {str(fmt)[:80]!r} is not allowed; one of {', '.join(FORMATS)}")
    if fmt == "pdf" and browser_path() is None:  # before any work
        from .images import INSTALL_HINT

        raise ExportUnavailable(f"PDF needs a headless browser; {INSTALL_HINT}")
    result = run(scn)
    if fmt == "csv":
        return monthly_csv(result).encode("utf-8-sig")
    mc = None
    if _has_ranges(scn):
        from ..analyses.montecarlo import monte_carlo

        mc = monte_carlo(scn, monthly=False)
    if fmt == "xlsx":
        return workbook(result, mc)
    page = report_html(result, mc, link=link, when=when, paper=paper)
    if fmt == "html":
        return page.encode("utf-8")
    return report_pdf(page, paper=paper)
