"""Bad exports: one line per problem naming the column (or the file) and how many rows, exit 2 for what the
contract refuses, a warning for the rows it drops; never a traceback. One fixture file per case in
tests/fixtures/crm_bad/ (the 60 MB file is generated here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_calibrate import run_cli

from simulation.calibrate import CalibrationError, fit, parse_mapping, propose_mapping, read_export, read_export_file
from simulation.presets import load_preset

BAD = Path(__file__).resolve().parent / "fixtures" / "crm_bad"

# fixture → the one error line (exit 2)
REFUSED = {
    "wrong_encoding.csv": "error: 'Original Source': 2 rows are not UTF-8 text (first: row 6); save the export as "
    "'CSV UTF-8'",
    "missing_column.csv": "error: outcome: no column recognised as the outcome (won / lost / open) (looked for 'Deal "
    "Stage', 'Stage', 'Opportunity Stage', …); the export's columns are 'Record ID', 'Original Source', 'Create "
    "Date', 'Close Date'; name one in the mapping's [columns] outcome = \"…\"",
    "misnamed_column.csv": "error: columns.created: no column 'Create Date' in misnamed_column.csv (did you mean "
    "'Created On'?)",
    "unparseable_dates.csv": "error: 'Close Date' (closed): 3 rows not a date (first: row 6, 'soon'); the column reads "
    "as YYYY-MM-DD",
    "future_dates.csv": "error: 'Create Date' (created): 2 rows after the export date 2026-04-01 (the latest date in "
    "the file up to today) (first: row 6, '2999-01-05'); set [export] date or correct the dates",
    "close_before_create.csv": "error: 'Close Date' (closed): 2 rows before 'Create Date', a negative duration (first: "
    "row 6)",
    "zero_rows.csv": "error: zero_rows.csv: 0 rows (only a header: 'Record ID', 'Original Source', 'Create Date', "
    "'Close Date', 'Deal Stage')",
    "empty.csv": "error: empty.csv: empty file; expected a CSV or XLSX export of leads",
    "binary.csv": "error: binary.csv: binary content, not a CSV or XLSX export",
    "ragged.csv": "error: ragged.csv: line 4 has 7 fields but the header has 5 (a quote or separator out of place)",
}  # fmt: skip


def _args(name: str) -> list[str]:
    args = ["calibrate", str(BAD / name)]
    mapping = BAD / name.replace(".csv", ".toml")
    if mapping.exists():
        args += ["--mapping", str(mapping)]
    return args


def test_every_fixture_is_covered():
    assert {p.name for p in BAD.glob("*.csv")} == {*REFUSED, "duplicate_ids.csv"}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_files_exit_2_with_one_line(name, capsys):
    code, out, err = run_cli(_args(name), capsys)
    assert code == 2
    assert out == ""
    assert err == REFUSED[name] + "\n"


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_the_api_raises_the_same_line(name):
    """The view gets the same lines from the functions it calls (read_export, propose or parse, fit)."""
    with pytest.raises(CalibrationError) as err:
        export = read_export((BAD / name).read_bytes(), name)
        mapping_file = BAD / name.replace(".csv", ".toml")
        mapping = parse_mapping(mapping_file.read_text()) if mapping_file.exists() else propose_mapping(export)
        fit(export, mapping, load_preset("default"))
    assert ["error: " + p for p in err.value.problems] == [REFUSED[name]]


def test_duplicate_ids_are_dropped_with_one_warning(capsys):
    code, out, err = run_cli(_args("duplicate_ids.csv"), capsys)
    assert code == 0 and out.startswith("# Calibrated from duplicate_ids.csv: 4 leads")
    lines = err.splitlines()
    assert (
        lines[0] == "warning: 'Record ID' (id): 3 rows with an id seen before dropped (the first row of each id kept)"
    )
    assert all(line.startswith("warning: ") for line in lines)


def test_a_60_mb_file_is_refused_before_it_is_read(tmp_path, capsys):
    path = tmp_path / "huge.csv"
    row = b"1,Paid Search,2026-01-05,2026-02-10,Closed Won\n"
    with open(path, "wb") as fh:
        fh.write(b"Record ID,Original Source,Create Date,Close Date,Deal Stage\n")
        fh.write(row * (60 * 1024 * 1024 // len(row) + 1))
    assert path.stat().st_size > 60 * 1024 * 1024
    code, out, err = run_cli(["calibrate", str(path)], capsys)
    assert (code, out) == (2, "")
    assert err == "error: huge.csv: 60.0 MB; an export may be at most 50 MB\n"
    with pytest.raises(CalibrationError) as exc:
        read_export_file(path)
    assert exc.value.problems == ["huge.csv: 60.0 MB; an export may be at most 50 MB"]


def test_several_problems_give_one_line_each(tmp_path, capsys):
    path = tmp_path / "two.csv"
    path.write_text(
        "Record ID,Original Source,Create Date,Close Date,Deal Stage\n"
        "1,Web,2026-01-05,2026-02-10,Closed Won\n"
        "2,Web,someday,2026-02-10,Closed Lost\n"
        "3,Web,2026-01-07,maybe,Closed Lost\n"
        "4,Web,2026-01-08,never,Closed Lost\n"
    )
    code, _, err = run_cli(["calibrate", str(path)], capsys)
    assert code == 2
    assert err.splitlines() == [
        "error: 'Create Date' (created): 1 row not a date (first: row 3, 'someday'); the column reads as YYYY-MM-DD",
        "error: 'Close Date' (closed): 2 rows not a date (first: row 4, 'maybe'); the column reads as YYYY-MM-DD",
    ]


def test_a_long_or_hostile_value_is_quoted_short_and_printable(tmp_path, capsys):
    path = tmp_path / "evil.csv"
    evil = "\x1b[31m" + "x" * 200
    path.write_text(
        "Record ID,Original Source,Create Date,Close Date,Deal Stage\n"
        f"1,Web,2026-01-05,2026-02-10,Closed Won\n2,Web,{evil},,Open\n"
    )
    code, _, err = run_cli(["calibrate", str(path)], capsys)
    assert code == 2 and "\x1b" not in err
    assert "(first: row 3, '?[31m" + "x" * 35 + "…')" in err  # 40 characters of the value, escape replaced


def test_an_old_xls_and_a_damaged_xlsx(tmp_path):
    with pytest.raises(CalibrationError) as err:
        read_export(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls")
    assert err.value.problems == ["old.xls: an old Excel .xls workbook; save it as .xlsx or as CSV UTF-8"]
    with pytest.raises(CalibrationError) as err:
        read_export(b"PK\x03\x04" + b"garbage" * 50, "broken.xlsx")
    assert err.value.problems == ["broken.xlsx: not a readable XLSX workbook (BadZipFile)"]


def test_no_won_or_lost_value_is_refused():
    data = b"Record ID,Original Source,Create Date,Deal Stage\n1,Web,2026-01-05,Pending\n2,Web,2026-01-06,New\n"
    export = read_export(data, "x.csv")
    with pytest.raises(CalibrationError) as err:
        fit(export, propose_mapping(export), load_preset("default"))
    assert err.value.problems == [
        "'Deal Stage' (outcome): no lead is won or lost, so nothing can be fitted (values: 'Pending', 'New'); list the "
        "export's values in the mapping's [outcome] won = [...] and lost = [...]"
    ]
