"""The one-page report for a CFO: self-contained HTML (A4 or Letter), and PDF through the headless browser."""

from __future__ import annotations

import html
import math
import os
import re
import signal
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..metrics import STRATEGY_LABELS, currency_symbol, money_short
from .images import INSTALL_HINT, ExportUnavailable, browser_path, render, report_charts

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from ..analyses.montecarlo import MonteCarlo
    from ..results import Result

Paper = Literal["A4", "Letter"]
PAPERS: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}  # mm
MARGIN_MM = 11.0
PDF_TIMEOUT = 60.0  # seconds the browser may take to print
REPORT_METRICS = (
    "npv_lifetime", "customers", "customers_eventual", "total_cost", "cac", "cac_eventual", "payback_month",
    "ltv_to_cac",
)  # fmt: skip
STRATEGY_COLORS = {"generate": "#009E73", "buy": "#D55E00", "blend": "#0072B2"}  # the app's (dashboard/charts)
CHART_PX = 760  # layout width the charts are drawn at: 12 px text prints at ~8 pt across the page


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def paper_of(paper: str) -> Paper:
    """'A4' or 'Letter' (any case); ValueError otherwise."""
    for p in PAPERS:
        if str(paper).lower() == p.lower():
            return p  # type: ignore[return-value]
    raise ValueError(f"paper: {str(paper)[:80]!r} is not allowed; A4 or Letter")


# ---- charts -----------------------------------------------------------------------------------------


def _print_layout(fig: go.Figure, height: int) -> go.Figure:
    """A chart laid out for paper: its legend on the title's line at the right (no legend rows above the plot)."""
    fig.update_layout(
        height=height, width=CHART_PX, margin={"t": 40, "l": 8, "r": 12, "b": 6},
        legend={"x": 1.0, "xanchor": "right", "y": 1 - 10 / height, "yanchor": "top", "orientation": "h"},
        paper_bgcolor="white", plot_bgcolor="white",
        xaxis={"gridcolor": "#E5E7EB", "linecolor": "#9CA3AF"}, yaxis={"gridcolor": "#E5E7EB", "zerolinecolor": "#9CA3AF", "nticks": 7},
    )  # fmt: skip
    return fig


def _inline_svg(svg: bytes) -> str:
    """Kaleido's SVG as an element that scales to the column's width (viewBox kept, fixed size dropped)."""
    text = svg.decode("utf-8")
    text = re.sub(r"<\?xml[^>]*\?>", "", text).strip()
    m = re.match(r"<svg\b[^>]*>", text)
    if not m:
        return text
    tag = m.group(0)
    w = re.search(r'\swidth="([\d.]+)"', tag)
    h = re.search(r'\sheight="([\d.]+)"', tag)
    new = re.sub(r'\s(width|height)="[\d.]+"', "", tag)
    if "viewBox" not in new and w and h:
        new = new[:-1] + f' viewBox="0 0 {w.group(1)} {h.group(1)}">'
    new = new[:-1] + ' preserveAspectRatio="xMidYMin meet" role="img">'
    return new + text[len(tag) :]


def _nice_step(span: float, n: int = 5) -> float:
    raw = span / n if span > 0 else 1.0
    mag = 10 ** math.floor(math.log10(raw))
    return next(k * mag for k in (1, 2, 2.5, 5, 10) if k * mag >= raw)


def _short(v: float) -> str:
    a = abs(v)
    sign = "−" if v < 0 else ""
    if a >= 1e6:
        return f"{sign}{a / 1e6:g}M"
    if a >= 1e3:
        return f"{sign}{a / 1e3:g}k"
    return f"{sign}{a:g}"


def fallback_svg(result: Result, series: str, title: str, height: int) -> str:
    """A plain line chart drawn by hand (no browser needed): one line per strategy over the months."""
    W, H = CHART_PX, height
    left, right, top, bottom = 56, 16, 40, 34
    T = result.scenario.horizon_months
    lines = {s: [float(v) for v in result.series_of(s, series)] for s in result.strategies}
    vals = [v for ys in lines.values() for v in ys if math.isfinite(v)] + [0.0]
    lo, hi = min(vals), max(vals)
    step = _nice_step(hi - lo)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    if hi == lo:
        hi = lo + step
    px = lambda t: left + (t - 1) / max(T - 1, 1) * (W - left - right)  # noqa: E731
    py = lambda v: top + (hi - v) / (hi - lo) * (H - top - bottom)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" font-family="sans-serif" '
           f'font-size="12">', f'<text x="8" y="22" font-size="15">{_e(title)}</text>']  # fmt: skip
    k = 0
    while lo + k * step <= hi + step / 2:
        v = lo + k * step
        y = py(v)
        color = "#9CA3AF" if abs(v) < step / 2 else "#E5E7EB"
        out.append(f'<line x1="{left}" x2="{W - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{color}"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{_short(v)}</text>')
        k += 1
    xstep = max(1, int(_nice_step(T - 1, 6)))
    for t in [1, *range(xstep, T + 1, xstep)]:
        out.append(f'<text x="{px(t):.1f}" y="{H - bottom + 16}" text-anchor="middle" fill="#444">{t}</text>')
    out.append(f'<text x="{(left + W - right) / 2:.0f}" y="{H - 4}" text-anchor="middle" fill="#444">Month</text>')
    for i, (s, ys) in enumerate(lines.items()):
        pts = " ".join(f"{px(t + 1):.1f},{py(v):.1f}" for t, v in enumerate(ys) if math.isfinite(v))
        out.append(f'<polyline fill="none" stroke="{STRATEGY_COLORS[s]}" stroke-width="2.5" points="{pts}"/>')
        x = W - right - 90 * (len(lines) - i)
        out.append(f'<rect x="{x}" y="12" width="14" height="4" fill="{STRATEGY_COLORS[s]}"/>')
        out.append(f'<text x="{x + 18}" y="18">{_e(STRATEGY_LABELS[s])}</text>')
    out.append("</svg>")
    return "".join(out)


def chart_svgs(result: Result, height: int) -> tuple[list[str], bool]:
    """The report's two charts as inline SVG: kaleido's when a browser is installed, else drawn by hand."""
    if browser_path() is not None:
        try:
            figs = [_print_layout(f, height) for f in report_charts(result)]
            return [_inline_svg(b) for b in render(figs, "svg", CHART_PX, height)], True
        except Exception:  # noqa: BLE001 - a browser that fails to draw: the page still prints, charts by hand
            pass
    unit = f" ({currency_symbol(result.scenario.currency) or 'money'})"
    return [
        fallback_svg(result, "cumulative_customers", "Customers won to date", height),
        fallback_svg(result, "cumulative_net", "Cumulative net cash" + unit, height),
    ], False


# ---- the page ---------------------------------------------------------------------------------------


CSS = """
@page { size: %(paper)s; margin: %(margin)smm; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif; color: #1F2430;
       font-size: 9.5pt; line-height: 1.32; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.page { width: %(w)smm; height: %(h)smm; overflow: hidden; margin: 0 auto; display: flex; flex-direction: column; }
@media screen { body { background: #EEF0F3; padding: 16px 0; }
  .page { background: white; padding: %(margin)smm; width: %(pw)smm; height: auto; min-height: %(ph)smm;
          box-shadow: 0 1px 4px rgba(0,0,0,.2); } }
header { border-bottom: 2px solid #1F2430; padding-bottom: 1.5mm; margin-bottom: 2.5mm; }
h1 { font-size: 17pt; line-height: 1.15; margin: 0 0 1mm 0; overflow-wrap: anywhere; }
.meta { margin: 0; color: #4B5563; font-size: 8.5pt; display: flex; gap: 3mm; }
.meta .date { white-space: nowrap; }
.meta .link { word-break: break-all; display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 2;
              overflow: hidden; }
.meta a { color: #0B5CAD; text-decoration: none; }
.assumptions { margin: 0 0 2.5mm 0; font-size: 8.5pt; color: #374151; overflow-wrap: anywhere;
               display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 3; overflow: hidden; }
.label { font-weight: 700; color: #1F2430; }
.verdict { background: #F3F6FA; border-left: 3px solid #0072B2; padding: 2mm 3mm; margin-bottom: 3mm; }
.verdict p { margin: 0 0 1mm 0; overflow-wrap: anywhere; }
.verdict p:last-child { margin-bottom: 0; }
.verdict .headline { font-size: 11.5pt; font-weight: 700; }
.verdict .sure { color: #4B5563; }
table { border-collapse: collapse; width: 100%%; margin-bottom: 1.5mm; font-size: 9pt; }
th, td { padding: 0.9mm 2mm; border-bottom: 1px solid #E5E7EB; }
th { text-align: right; font-weight: 700; border-bottom: 1.5px solid #1F2430; }
th:first-child, td:first-child { text-align: left; }
td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.best { font-weight: 700; }
td:not(:first-child)::after { content: " ●"; font-size: 6.5pt; vertical-align: middle; color: #374151;
                              visibility: hidden; }
td.best::after { visibility: visible; }
.note { font-size: 8pt; color: #4B5563; margin: 0 0 2mm 0; overflow-wrap: anywhere;
        display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 3; overflow: hidden; }
.charts { display: flex; flex-direction: column; gap: 2mm; flex: 1 1 0; min-height: 0; }
figure { margin: 0; flex: 1 1 0; min-height: 0; }
figure svg { width: 100%%; height: 100%%; display: block; }
.nocharts { font-size: 8pt; color: #8A4B00; margin: 0; }
footer { flex: none; margin-top: 1.5mm; padding-top: 1.5mm; border-top: 1px solid #D1D5DB; font-size: 7.5pt; color: #6B7280;
         display: flex; justify-content: space-between; gap: 4mm; }
"""


def _table(result: Result, mc: MonteCarlo | None) -> str:
    from ..narrate import comparison, probability

    strategies = result.strategies
    head = "".join(f'<th style="color:{STRATEGY_COLORS[s]}">{_e(STRATEGY_LABELS[s])}</th>' for s in strategies)
    rows = [f"<tr><th>Metric</th>{head}</tr>"]
    for r in comparison(result, REPORT_METRICS):
        cells = "".join(f"<td{' class=best' if s in r.best else ''}>{_e(r.text[s])}</td>" for s in strategies)
        rows.append(f'<tr><td title="{_e(r.help)}">{_e(r.label)}</td>{cells}</tr>')
    if mc is not None:
        cur = result.scenario.currency
        cells = []
        for s in strategies:
            lo, hi = mc.quantile(s, "npv_lifetime", "p10"), mc.quantile(s, "npv_lifetime", "p90")
            cells.append(f"<td>{_e(money_short(lo, cur))} – {_e(money_short(hi, cur))}</td>")
        rows.append(f"<tr><td>Lifetime value, P10 – P90</td>{''.join(cells)}</tr>")
        best = mc.probabilities.get("best_npv") or {}
        cells = [f"<td>{_e(probability(best[s])) if s in best else '—'}</td>" for s in strategies]
        rows.append(f"<tr><td>Most lifetime value in (share of {mc.draws:,} futures)</td>{''.join(cells)}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def report_html(
    result: Result, mc: MonteCarlo | None = None, link: str = "", when: date | None = None, paper: str = "A4"
) -> str:
    """One printable page: name, date, link, assumptions, verdict, comparison table, two charts (inline SVG).

    Self-contained (no scripts, no external resources); every text from the scenario is escaped."""
    from ..narrate import assumptions_line, verdict

    paper = paper_of(paper)
    when = when or date.today()
    pw, ph = PAPERS[paper]
    w, h = pw - 2 * MARGIN_MM, ph - 2 * MARGIN_MM
    chart_h = 262 if paper == "A4" else 232  # layout px at CHART_PX wide; two fit under the table on either paper
    svgs, real = chart_svgs(result, chart_h)
    v = verdict(result, mc)
    scn = result.scenario
    link = link.strip()
    if re.match(r"https?://", link, re.I):
        link_html = f'<a href="{_e(link)}">{_e(link)}</a>'
    else:
        link_html = _e(link)
    date_text = f"{when.day} {when:%B %Y}"
    body = [
        f'<header><h1>{_e(scn.name)}</h1><p class="meta"><span class="date">{_e(date_text)}</span>'
        + (f'<span class="link">{link_html}</span>' if link else "")
        + "</p></header>",
        f'<p class="assumptions"><span class="label">Assumptions:</span> {_e(assumptions_line(result))}</p>',
        '<section class="verdict">'
        f'<p class="headline">{_e(v.headline)}</p>'
        + "".join(f"<p>{_e(t)}</p>" for t in (v.reason, v.tradeoff) if t)
        + (f'<p class="sure">{_e(v.sureness)}</p>' if v.sureness else "")
        + "</section>",
        _table(result, mc),
        f'<p class="note">● best of the strategies on that line. CAC = acquisition cost ÷ customers won within the '
        f"{scn.horizon_months} months; eventual = once the open pipeline has closed. {_e(v.blend)}</p>",
        '<div class="charts">' + "".join(f"<figure>{s}</figure>" for s in svgs) + "</div>",
    ]
    if not real:
        body.append(
            f'<p class="nocharts">Charts drawn in simplified form: the full charts need Chromium ({INSTALL_HINT}).</p>'
        )
    body.append(
        f"<footer><span>Acquisition Lab · {_e(date_text)}</span><span>Figures are the model's estimates from the "
        "scenario's inputs, not measurements.</span></footer>"
    )
    css = CSS % {"paper": paper, "margin": f"{MARGIN_MM:g}", "w": f"{w:g}", "h": f"{h:g}", "pw": f"{pw:g}",
                 "ph": f"{ph:g}"}  # fmt: skip
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(scn.name)} · {_e(date_text)}</title><style>{css}</style></head>"
        f'<body class="paper-{paper}"><main class="page">' + "".join(body) + "</main></body></html>\n"
    )


# ---- PDF --------------------------------------------------------------------------------------------


def report_pdf(html_text: str, paper: str = "A4") -> bytes:
    """The page printed to PDF by headless Chromium; ExportUnavailable when no browser is installed."""
    paper = paper_of(paper)
    exe = browser_path()
    if exe is None:
        raise ExportUnavailable(f"PDF needs a headless browser; {INSTALL_HINT}")
    w, h = (d - 2 * MARGIN_MM for d in PAPERS[paper])
    page = (  # this paper, whatever the page was laid out for: its size, and the page box that fits in it
        f"<style>@page {{ size: {paper}; margin: {MARGIN_MM:g}mm; }} "
        f"@media print {{ .page {{ width: {w:g}mm; height: {h:g}mm; }} }}</style>"
    )
    html_text = html_text.replace("</head>", page + "</head>", 1) if "</head>" in html_text else page + html_text
    with tempfile.TemporaryDirectory(prefix="acqlab-pdf-") as tmp:
        src, out = Path(tmp, "report.html"), Path(tmp, "report.pdf")
        src.write_text(html_text, encoding="utf-8")
        cmd = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
            "--disable-background-networking", "--no-first-run", "--disable-dev-shm-usage", "--disable-extensions",
            f"--user-data-dir={Path(tmp, 'profile')}", f"--print-to-pdf={out}", src.as_uri(),
        ]  # fmt: skip
        try:
            proc = subprocess.Popen(
                cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, cwd=tmp
            )
        except OSError as e:
            raise ExportUnavailable(f"the headless browser could not start ({e.strerror}); {INSTALL_HINT}") from None
        try:
            _, err = proc.communicate(timeout=PDF_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the browser and its helper processes, which share its session
            proc.communicate()
            raise ExportUnavailable(f"the headless browser did not print within {PDF_TIMEOUT:.0f} s") from None
        if not out.is_file() or out.stat().st_size == 0:
            last = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
            raise ExportUnavailable(f"the headless browser printed no PDF: {last[0][:80]}")
        return out.read_bytes()
