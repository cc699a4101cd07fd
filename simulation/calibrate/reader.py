"""Reading a CRM export (CSV or XLSX, at most 50 MB) into a table of text cells."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CalibrationError, clip, quote, rows_text

MAX_EXPORT_BYTES = 50 * 1024 * 1024  # the contract's limit for an export
_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class Export:
    """A CRM export as read: its file name, its column names (in order) and every cell as text.

    ``frame`` holds strings only (blank cells are ""), one row a lead, in file order; spreadsheet
    row numbers are the frame's position + 2 (the header is row 1)."""

    filename: str
    columns: list[str]
    frame: pd.DataFrame

    @property
    def rows(self) -> int:
        return len(self.frame)


def read_export_file(path: str | Path) -> Export:
    """Read an export from disk; the size is checked before anything is read."""
    p = Path(path)
    name = clip(p.name)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise CalibrationError([f"{name}: is a folder, not an export file"])
        if size > MAX_EXPORT_BYTES:
            raise CalibrationError([_too_big(name, size)])
        data = p.read_bytes()
    except FileNotFoundError:
        raise CalibrationError([f"{name}: no such file"]) from None
    except OSError as exc:
        raise CalibrationError([f"{name}: cannot read ({exc.__class__.__name__})"]) from None
    return read_export(data, p.name)


def _too_big(name: str, size: int) -> str:
    return f"{name}: {size / 1024**2:.1f} MB; an export may be at most {MAX_EXPORT_BYTES // 1024**2} MB"


def read_export(data: bytes, filename: str = "export.csv") -> Export:
    """An export from its bytes: XLSX (by content) or CSV (UTF-8, UTF-8 with BOM or UTF-16 with BOM;
    comma, semicolon or tab separated). Raises CalibrationError with one line per problem."""
    name = clip(Path(str(filename)).name or "export")
    if len(data) > MAX_EXPORT_BYTES:
        raise CalibrationError([_too_big(name, len(data))])
    if not data.strip():
        raise CalibrationError([f"{name}: empty file; expected a CSV or XLSX export of leads"])
    if data[:4] == b"PK\x03\x04":
        frame = _read_xlsx(data, name)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise CalibrationError([f"{name}: an old Excel .xls workbook; save it as .xlsx or as CSV UTF-8"])
    else:
        frame = _read_csv(data, name)
    columns = [str(c) for c in frame.columns]
    if not columns or all(not c.strip() for c in columns):
        raise CalibrationError([f"{name}: no header row; the first row must name the columns"])
    if len(frame) == 0:
        raise CalibrationError([f"{name}: 0 rows (only a header: {', '.join(quote(c, 30) for c in columns[:6])})"])
    frame.columns = columns
    return Export(filename=name, columns=columns, frame=frame)


def _decode(data: bytes, name: str) -> bytes:
    """The bytes as UTF-8 (BOM removed); UTF-16 with a BOM is converted; binary is refused."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise CalibrationError(
                [f"{name}: starts like UTF-16 text but is not; save the export as CSV UTF-8"]
            ) from None
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    head = data[:65536]
    if b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head[:4096]) > 8:
        raise CalibrationError([f"{name}: binary content, not a CSV or XLSX export"])
    return data


def _separator(data: bytes) -> str:
    first = data.split(b"\n", 1)[0]
    counts = {sep: first.count(sep.encode()) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def _read_csv(data: bytes, name: str) -> pd.DataFrame:
    data = _decode(data, name)
    sep = _separator(data)
    try:
        data.decode("utf-8")
        encoding_errors = "strict"
    except UnicodeDecodeError:
        encoding_errors = "surrogateescape"  # read anyway, only to say which columns and rows are not UTF-8
    try:
        frame = pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                            encoding="utf-8", encoding_errors=encoding_errors, skip_blank_lines=True)  # fmt: skip
    except pd.errors.EmptyDataError:
        raise CalibrationError([f"{name}: empty file; expected a CSV or XLSX export of leads"]) from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            want, line, got = m.groups()
            raise CalibrationError(
                [f"{name}: line {line} has {got} fields but the header has {want} (a quote or separator out of place)"]
            ) from None
        raise CalibrationError([f"{name}: not a readable CSV file ({clip(exc, 100)})"]) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise CalibrationError([f"{name}: not a readable CSV file ({clip(exc, 100)})"]) from None
    if encoding_errors != "strict":
        raise CalibrationError(_encoding_problems(frame, name))
    return frame


def _encoding_problems(frame: pd.DataFrame, name: str) -> list[str]:
    """One line per column holding bytes that are not UTF-8."""
    problems = []
    for col in frame.columns:
        bad = frame[col].str.contains(_SURROGATE, regex=True).to_numpy()
        if bad.any():
            first = int(np.flatnonzero(bad)[0]) + 2
            shown = _SURROGATE.sub("?", str(col))
            problems.append(
                f"{quote(shown)}: {rows_text(int(bad.sum()))} are not UTF-8 text (first: row {first}); "
                "save the export as 'CSV UTF-8'"
            )
    if any(_SURROGATE.search(str(c)) for c in frame.columns) or not problems:
        problems.insert(0, f"{name}: not UTF-8 text; save the export as 'CSV UTF-8'")
    return problems


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return str(v)


def _read_xlsx(data: bytes, name: str) -> pd.DataFrame:
    """The first sheet of a workbook as text cells (dates as ISO text)."""
    try:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign zip
        raise CalibrationError([f"{name}: not a readable XLSX workbook ({exc.__class__.__name__})"]) from None
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise CalibrationError([f"{name}: the workbook has no sheet"])
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise CalibrationError([f"{name}: empty file; expected a CSV or XLSX export of leads"])
        width = len(header)
        while width and (header[width - 1] is None or str(header[width - 1]).strip() == ""):
            width -= 1
        cells = []
        for r in rows:
            vals = [_cell(v) for v in r[:width]]
            if any(vals):
                cells.append(vals + [""] * (width - len(vals)))
        columns = _unique([_cell(h) for h in header[:width]])
        return pd.DataFrame(cells, columns=columns, dtype=str) if cells else pd.DataFrame(columns=columns)
    except CalibrationError:
        raise
    except Exception as exc:
        raise CalibrationError([f"{name}: not a readable XLSX workbook ({exc.__class__.__name__})"]) from None
    finally:
        wb.close()


def _unique(names: list[str]) -> list[str]:
    """Column names made unique the way pandas reads a CSV: 'X', 'X.1', …"""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}.{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out
