"""The XLSX workbook a CFO can read: inputs, headline per strategy, monthly per strategy, channels, risk."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..metrics import CHANNEL_METRICS, METRICS, STRATEGY_LABELS, SUMMARY, currency_symbol
from ..results import MONTHLY_SERIES
from ..schema.fields import CHANNEL_FIELDS, SCALAR_FIELDS, FieldSpec, channel_field_names
from .frames import FLOWS, SERIES_FORMATS, number, series_header

if TYPE_CHECKING:  # pragma: no cover
    from ..analyses.montecarlo import MonteCarlo
    from ..results import Result

HEADER_FILL = PatternFill("solid", fgColor="E8ECF2")
HEADER_FONT = Font(bold=True)
SECTION_FONT = Font(bold=True, size=12)
HEADER_BORDER = Border(bottom=Side(style="thin", color="8A94A6"))
TOTAL_BORDER = Border(top=Side(style="thin", color="8A94A6"))
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="bottom", horizontal="center")
LABEL_ALIGN = Alignment(wrap_text=True, vertical="bottom", horizontal="left")

# Money per unit (a lead, a customer) reads with cents; totals without.
UNIT_MONEY_METRICS = {"cpl", "cac", "cac_eventual", "ltv", "ltv_discounted"}
UNIT_MONEY_INPUTS = {"cost_per_lead", "economics.revenue_per_customer_month", "sales.cost_per_worked_lead"}


class Formats:
    """Excel number formats of one scenario's currency."""

    def __init__(self, currency: str) -> None:
        sym = currency_symbol(currency).replace('"', "")
        pre = f'"{sym}"' if sym else ""
        self.money = f"{pre}#,##0"
        self.unit_money = f"{pre}#,##0.00"
        self.count = "#,##0"
        self.count_1 = "#,##0.0"  # monthly counts: a month's few customers read with a decimal
        self.percent = "0.0%"
        self.rate = "0.0##%"
        self.ratio = '0.00"×"'
        self.whole = "0"
        self.months = "0.0#"
        self.plain = "0.00"

    def metric(self, name: str) -> str:
        kind = METRICS[name].format
        if kind == "money":
            return self.unit_money if name in UNIT_MONEY_METRICS else self.money
        return {
            "count": self.count, "percent": self.percent, "share": self.percent, "ratio": self.ratio,
            "month": self.whole, "months": self.whole,
        }[kind]  # fmt: skip

    def series(self, name: str) -> str:
        kind = SERIES_FORMATS[name]
        return {"money": self.money, "unit_money": self.unit_money, "count": self.count_1}[kind]

    def field(self, key: str, spec: FieldSpec) -> str:
        if spec.kind == "money":
            return self.unit_money if key in UNIT_MONEY_INPUTS else self.money
        if spec.kind == "rate":
            return self.plain if spec.key == "elasticity" else self.rate
        if spec.kind == "months":
            return self.months
        if spec.kind == "integer":
            return self.whole
        return self.count


def text(v: str) -> str:
    """User text as a literal string cell (control characters removed; see `_put` for formulas)."""
    return ILLEGAL_CHARACTERS_RE.sub("", v)


def _put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None, **style: Any) -> Any:
    """One cell: numbers with a format, undefined as empty, text always text (a name '=…' is not a formula)."""
    if isinstance(value, str):
        c = ws.cell(row=row, column=col, value=text(value))
        c.data_type = "s"
    else:
        v = number(value)
        c = ws.cell(row=row, column=col, value=v)
        if isinstance(v, float) and float(f"{v:.16g}") != v:
            # openpyxl writes numbers with 16 significant digits, which can miss a float's last bit: write the
            # shortest text that reads back to the same float (still a number cell), so the file equals the JSON
            c._value = repr(v)
        if fmt and v is not None:
            c.number_format = fmt
    for k, v in style.items():
        setattr(c, k, v)
    return c


def _header(ws: Worksheet, row: int, labels: list[str], first_left: bool = True) -> None:
    for j, label in enumerate(labels, start=1):
        align = LABEL_ALIGN if j == 1 and first_left else HEADER_ALIGN
        _put(ws, row, j, label, font=HEADER_FONT, fill=HEADER_FILL, border=HEADER_BORDER, alignment=align)


def _widths(ws: Worksheet, widths: dict[int, float]) -> None:
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = w


def _print_setup(ws: Worksheet, landscape: bool = True) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def _header_width(label: str, lo: float = 11, hi: float = 24) -> float:
    """A column as wide as a header wrapped on up to three lines needs (and its numbers)."""
    longest_word = max((len(w) for w in label.split()), default=0)
    return max(lo, min(hi, max(longest_word + 2, len(label) / 3 + 2)))


# ---- sheets ---------------------------------------------------------------------------------------


def _inputs(ws: Worksheet, result: Result, f: Formats) -> None:
    scn = result.scenario
    _header(ws, 1, ["Input", "Value", "Unit"])
    row = 2
    _put(ws, row, 1, "Scenario name")
    _put(ws, row, 2, scn.name, alignment=Alignment(horizontal="left"))
    row += 1
    _put(ws, row, 1, "Currency")
    _put(ws, row, 2, scn.currency, alignment=Alignment(horizontal="left"))
    row += 1
    for key, spec in SCALAR_FIELDS.items():
        section, _, leaf = key.partition(".")
        v = getattr(getattr(scn, section), leaf) if leaf else getattr(scn, key)
        _put(ws, row, 1, spec.label)
        _put(ws, row, 2, v, f.field(key, spec))
        _put(ws, row, 3, spec.unit)
        row += 1

    # the channels side by side, one column each
    ids = result.channel_ids
    row += 1
    _put(ws, row, 1, "Channels", font=SECTION_FONT)
    row += 1
    labels = [scn.channel[c].display_label(c) for c in ids]
    _header(ws, row, ["Channel input", *labels, "Unit"])
    unit_col = len(ids) + 2
    row += 1
    _put(ws, row, 1, "Kind")
    for j, cid in enumerate(ids, start=2):
        _put(ws, row, j, "generate" if scn.channel[cid].kind == "generate" else "buy (vendor)")
    row += 1
    for key, spec in CHANNEL_FIELDS.items():
        _put(ws, row, 1, spec.label)
        for j, cid in enumerate(ids, start=2):
            ch = scn.channel[cid]
            if key in channel_field_names(ch.kind):
                _put(ws, row, j, getattr(ch, key), f.field(key, spec))
        _put(ws, row, unit_col, spec.unit)
        row += 1

    unc = scn.uncertainty
    if unc is not None and unc.ranges:
        row += 1
        _put(ws, row, 1, f"Uncertainty ranges ({unc.draws:,} simulated futures, seed {unc.seed})", font=SECTION_FONT)
        row += 1
        _header(ws, row, ["Input", "Low (P10)", "High (P90)", "Unit"])
        row += 1
        for name, (lo, hi) in unc.ranges.items():
            spec = _spec(name)
            _put(ws, row, 1, _field_label(result, name))
            fmt = f.field(name.split(".")[-1] if name.startswith("channel.") else name, spec) if spec else None
            _put(ws, row, 2, lo, fmt)
            _put(ws, row, 3, hi, fmt)
            _put(ws, row, 4, spec.unit if spec else "")
            row += 1
        if unc.correlations:
            row += 1
            _header(ws, row, ["Correlated inputs", "Rank correlation"])
            row += 1
            for pair, rho in unc.correlations.items():
                a, _, b = pair.partition("|")
                _put(ws, row, 1, f"{_field_label(result, a)} and {_field_label(result, b)}")
                _put(ws, row, 2, rho, f.plain)
                row += 1

    opt = scn.optimize
    if opt is not None and opt.bounds:
        row += 1
        _header(ws, row, ["Optimiser bounds: channel", "Lowest share", "Highest share"])
        row += 1
        for cid, (lo, hi) in opt.bounds.items():
            ch = scn.channel.get(cid)
            _put(ws, row, 1, ch.display_label(cid) if ch else cid)
            _put(ws, row, 2, lo, f.percent)
            _put(ws, row, 3, hi, f.percent)
            row += 1

    ws.freeze_panes = "B2"
    first = max([len("Sales cost per worked lead"), *(len(s.label) for s in CHANNEL_FIELDS.values())]) + 2
    _widths(ws, {1: min(48, first), **{j: max(14, _header_width(lab)) for j, lab in enumerate(labels, start=2)}})
    ws.column_dimensions[get_column_letter(unit_col)].width = 20
    if unit_col != 3:
        ws.column_dimensions["C"].width = max(ws.column_dimensions["C"].width or 0, 20)
    ws.column_dimensions["B"].width = max(ws.column_dimensions["B"].width or 0, min(40, len(scn.name) + 2), 16)


def _spec(name: str) -> FieldSpec | None:
    from ..schema.fields import spec_of

    return spec_of(name)


def _field_label(result: Result, name: str) -> str:
    """'Vendor: exclusive leads · Cost per lead' for a channel field's dotted name."""
    spec = _spec(name)
    parts = name.split(".")
    if spec is None:
        return name
    if len(parts) == 3 and parts[0] == "channel":
        ch = result.scenario.channel.get(parts[1])
        return f"{ch.display_label(parts[1]) if ch else parts[1]} · {spec.label}"
    return spec.label


def _headline(ws: Worksheet, result: Result, f: Formats, mc: MonteCarlo | None) -> None:
    from ..narrate import verdict

    strategies = result.strategies
    _header(ws, 1, ["Metric", *(STRATEGY_LABELS[s] for s in strategies), "What it means"])
    for i, m in enumerate(SUMMARY, start=2):
        _put(ws, i, 1, METRICS[m].label)
        for j, s in enumerate(strategies, start=2):
            _put(ws, i, j, result.metric(s, m), f.metric(m))
        _put(ws, i, len(strategies) + 2, METRICS[m].help, alignment=WRAP_TOP)
    row = len(SUMMARY) + 3
    v = verdict(result, mc)
    _put(ws, row, 1, "Verdict", font=SECTION_FONT)
    for line in (v.headline, v.reason, v.tradeoff, v.sureness, v.blend):
        if line:
            row += 1
            _put(ws, row, 1, line)
    ws.freeze_panes = "B2"
    _widths(ws, {1: 30, **{j: 16 for j in range(2, len(strategies) + 2)}, len(strategies) + 2: 70})


def _monthly(ws: Worksheet, result: Result, strategy: str, f: Formats) -> None:
    cur = result.scenario.currency
    headers = ["Month", *(series_header(k, cur) for k in MONTHLY_SERIES)]
    _header(ws, 1, headers, first_left=False)
    T = result.scenario.horizon_months
    cols = [result.series_of(strategy, k) for k in MONTHLY_SERIES]
    for t in range(T):
        _put(ws, t + 2, 1, t + 1, f.whole, alignment=Alignment(horizontal="center"))
        for j, (k, c) in enumerate(zip(MONTHLY_SERIES, cols, strict=True), start=2):
            _put(ws, t + 2, j, c[t], f.series(k))
    total = T + 2
    _put(ws, total, 1, "Total", font=HEADER_FONT, border=TOTAL_BORDER)
    for j, (k, c) in enumerate(zip(MONTHLY_SERIES, cols, strict=True), start=2):
        v = sum(float(x) for x in c) if k in FLOWS else None
        _put(ws, total, j, v, f.series(k), font=HEADER_FONT, border=TOTAL_BORDER)
    ws.freeze_panes = "B2"
    ws.row_dimensions[1].height = 48
    _widths(ws, {1: 8, **{j: _header_width(h, 12, 20) for j, h in enumerate(headers[1:], start=2)}})


def _channels(ws: Worksheet, result: Result, f: Formats) -> None:
    scn = result.scenario
    _header(
        ws, 1, ["Channel (the plan: Blend)", "Kind", "Share of budget", *(METRICS[m].label for m in CHANNEL_METRICS)]
    )
    for i, cid in enumerate(result.channel_ids, start=2):
        ch = scn.channel[cid]
        _put(ws, i, 1, ch.display_label(cid))
        _put(ws, i, 2, "generate" if ch.kind == "generate" else "buy (vendor)")
        _put(ws, i, 3, ch.share, f.percent)
        for j, m in enumerate(CHANNEL_METRICS, start=4):
            _put(ws, i, j, result.channel_metric("blend", cid, m), f.metric(m))
    ws.freeze_panes = "B2"
    ws.row_dimensions[1].height = 36
    first = max([26, *(len(scn.channel[c].display_label(c)) + 2 for c in result.channel_ids)])
    _widths(ws, {1: min(44, first), 2: 13, 3: 10, **{j: _header_width(METRICS[m].label, 12, 18)
                                                     for j, m in enumerate(CHANNEL_METRICS, start=4)}})  # fmt: skip


def _risk(ws: Worksheet, result: Result, f: Formats, mc: MonteCarlo) -> None:
    from ..narrate import probability

    strategies = mc.strategies
    _put(ws, 1, 1, "Metric", font=HEADER_FONT, fill=HEADER_FILL, alignment=LABEL_ALIGN)
    for j, s in enumerate(strategies):
        col = 2 + 3 * j
        _put(ws, 1, col, STRATEGY_LABELS[s], font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
        ws.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + 2)
        for k, q in enumerate(("P10", "P50", "P90")):
            _put(ws, 2, col + k, q, font=HEADER_FONT, fill=HEADER_FILL, border=HEADER_BORDER, alignment=HEADER_ALIGN)
    _put(ws, 2, 1, "(P10 = 1 future in 10 is below)", fill=HEADER_FILL, border=HEADER_BORDER, alignment=LABEL_ALIGN)
    for i, m in enumerate(SUMMARY, start=3):
        _put(ws, i, 1, METRICS[m].label)
        for j, s in enumerate(strategies):
            for k, q in enumerate(("p10", "p50", "p90")):
                _put(ws, i, 2 + 3 * j + k, mc.quantile(s, m, q), f.metric(m))
    row = len(SUMMARY) + 4
    _put(ws, row, 1, f"Who wins ({mc.draws:,} simulated futures, seed {mc.seed})", font=SECTION_FONT)
    row += 1
    _header(ws, row, ["", "Share of futures"])
    p = mc.probabilities
    lines: list[tuple[str, float | None]] = []
    if p.get("buy_beats_generate_cac") is not None:
        lines.append(("Buying has the lower CAC", p["buy_beats_generate_cac"]))
    if p.get("buy_beats_generate_roi") is not None:
        lines.append(("Buying has the higher ROI (horizon)", p["buy_beats_generate_roi"]))
    for s, share in (p.get("best_npv") or {}).items():
        lines.append((f"{STRATEGY_LABELS[s]} has the most lifetime value", share))
    for label, share in lines:
        row += 1
        _put(ws, row, 1, label)
        _put(ws, row, 2, share, f.percent)
        _put(ws, row, 3, probability(share) if share is not None else "")
    ws.freeze_panes = "B3"
    _widths(ws, {1: 36, **{j: 14 for j in range(2, 2 + 3 * len(strategies))}})


def workbook(result: Result, mc: MonteCarlo | None = None) -> bytes:
    """The XLSX workbook: Inputs, Headline, one Monthly sheet per strategy, Channels, and Risk when `mc` is given.

    Values are the run's own numbers (equal to the CLI's JSON); formats carry the scenario's currency symbol;
    undefined values are empty cells."""
    f = Formats(result.scenario.currency)
    wb = Workbook()
    ws = wb.active
    ws.title = "Inputs"
    _inputs(ws, result, f)
    _print_setup(ws, landscape=False)
    ws = wb.create_sheet("Headline")
    _headline(ws, result, f, mc)
    _print_setup(ws)
    for s in result.strategies:
        ws = wb.create_sheet(monthly_sheet(s))
        _monthly(ws, result, s, f)
        _print_setup(ws)
    ws = wb.create_sheet("Channels")
    _channels(ws, result, f)
    _print_setup(ws)
    if mc is not None:
        ws = wb.create_sheet("Risk")
        _risk(ws, result, f, mc)
        _print_setup(ws)
        ws.print_title_rows = "1:2"
    wb.properties.title = text(result.scenario.name)
    wb.properties.creator = "Acquisition Lab"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def monthly_sheet(strategy: str) -> str:
    """The name of a strategy's monthly sheet: 'Monthly Generate'."""
    return f"Monthly {STRATEGY_LABELS[strategy]}"
