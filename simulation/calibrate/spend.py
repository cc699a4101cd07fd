"""The optional spend file: what was spent on each source each month, for the channels' cost per lead.

A CSV with a header and three columns (names matched ignoring case)::

    source,month,spend
    Paid Search,2026-01,14250.00
    LeadCo list,2026-01,20400

``source`` is a source value of the export (matched like [sources]: spaces trimmed, case ignored),
``month`` is YYYY-MM (a full date counts for its month), ``spend`` a plain number ≥ 0 in the
scenario's currency. A channel's cost per lead is its sources' spend over the leads it got in the
months with spend.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import CalibrationError, clip, quote, rows_text
from .reader import MAX_EXPORT_BYTES

SPEND_COLUMNS = ("source", "month", "spend")


@dataclass(frozen=True)
class Spend:
    """Spend rows: source value, month (months since 1970-01), amount."""

    source: list[str]
    month: list[int]
    spend: list[float]


def read_spend(data: bytes, filename: str = "spend.csv") -> Spend:
    """A spend CSV from its bytes; CalibrationError with one line per problem."""
    name = clip(filename)
    if len(data) > MAX_EXPORT_BYTES:
        raise CalibrationError([f"{name}: larger than {MAX_EXPORT_BYTES // 1024**2} MB"])
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if b"\x00" in data[:4096]:
        raise CalibrationError([f"{name}: binary content, not a CSV spend file"])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CalibrationError([f"{name}: not UTF-8 text; save it as 'CSV UTF-8'"]) from None
    if not text.strip():
        raise CalibrationError([f"{name}: empty file; expected columns source, month, spend"])
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise CalibrationError([f"{name}: not a readable CSV file ({clip(exc, 100)})"]) from None
    cols = {str(c).strip().casefold(): c for c in frame.columns}
    missing = [c for c in SPEND_COLUMNS if c not in cols]
    if missing:
        raise CalibrationError(
            [f"{name}: no column {quote(c)} (the columns are {', '.join(quote(x, 30) for x in frame.columns[:6])}); "
             "expected source, month, spend" for c in missing]
        )  # fmt: skip
    if len(frame) == 0:
        raise CalibrationError([f"{name}: 0 rows (only a header)"])
    problems = []
    src = frame[cols["source"]].str.strip()
    month_text = frame[cols["month"]].str.strip().str.slice(0, 7)
    parsed = pd.to_datetime(month_text, format="%Y-%m", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        problems.append(f"{name}: column 'month': {rows_text(int(bad.sum()))} not YYYY-MM (first: row {first + 2}, "
                        f"{quote(frame[cols['month']].iat[first], 40)})")  # fmt: skip
    amount = pd.to_numeric(frame[cols["spend"]].str.strip(), errors="coerce").to_numpy(dtype=float)
    bad_amt = ~np.isfinite(amount) | (amount < 0)
    if bad_amt.any():
        first = int(np.flatnonzero(bad_amt)[0])
        problems.append(f"{name}: column 'spend': {rows_text(int(bad_amt.sum()))} not a number ≥ 0 (first: row "
                        f"{first + 2}, {quote(frame[cols['spend']].iat[first], 40)})")  # fmt: skip
    if problems:
        raise CalibrationError(problems)
    months = parsed.to_numpy().astype("datetime64[M]").astype(np.int64)
    return Spend(source=src.tolist(), month=[int(m) for m in months], spend=[float(a) for a in amount])
