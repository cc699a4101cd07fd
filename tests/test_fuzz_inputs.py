"""Hostile scenario files, command lines and CRM exports, fuzzed (hypothesis).

The command line (`simulation.cli.main`) never shows a traceback and exits 0, 1 or 2; its errors are one line per
problem quoting at most 80 characters of any value; nothing it prints has a control character; its JSON never holds
NaN, Infinity or a number written as text ("nan", "inf", "None"). The calibration's reader takes any bytes: a CRM
export or a CalibrationError, never another exception; so do the mapping and the fit on what it read."""

from __future__ import annotations

import io
import json
import math
import os
import re
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import pytest
from conftest import scenario_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.cli import main

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))  # FUZZ_SCALE=0.1 for a quick local try


def fuzz(cases: int) -> settings:
    """Reproducible settings for `cases` examples (scaled by FUZZ_SCALE)."""
    return settings(max_examples=max(1, int(cases * SCALE)), deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))  # fmt: skip


LONG = "L" * 5000  # a value longer than any line may quote
HOSTILE_SCALARS: list[Any] = [
    float("nan"), float("inf"), float("-inf"), True, False, "40000", "", "nan", "None", 10**400, -(10**30), 1e308,
    -1.0, 0, 2**63, LONG, "<img src=x onerror=alert(1)>", ":red[x] **b**", "\x1b[31mred\x07", "\x9b31m\u202e", "😀",
    [], [1, 2], {}, {"a": {"b": 1}}, "1970-01-01",
]  # fmt: skip
FIELDS = ["name", "currency", "horizon_months", "budget.monthly", "economics.revenue_per_customer_month",
          "economics.gross_margin", "economics.monthly_churn", "economics.lifetime_months", "economics.discount_rate",
          "channel.gen.cost_per_lead", "channel.gen.share", "channel.gen.lead_to_mql", "channel.gen.nurture_months",
          "channel.gen.label", "channel.gen.kind", "channel.buy.cost_per_lead", "channel.buy.invalid_rate",
          "channel.buy.max_leads_per_month", "channel.buy.return_cap", "channel.buy.label", "uncertainty.draws",
          "uncertainty.seed", "uncertainty.ranges.budget.monthly", "schema_version", "budget.montly", "channel",
          "channel.gen", "economics", "uncertainty.correlations"]  # fmt: skip


# ---- a TOML writer for any value (the library ones refuse NaN keys, None, …) --------------------------------


def _toml_key(key: str) -> str:
    return ".".join(json.dumps(part, ensure_ascii=True) for part in key.split("."))


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=True)  # a TOML basic string: every control character escaped
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def toml_text(data: dict[str, Any]) -> str:
    """The dict as TOML, every leaf as one dotted key at the top level (nested tables kept inline when empty)."""
    lines = []

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict) and node:
            for k, v in node.items():
                walk(f"{prefix}.{k}" if prefix else k, v)
        else:
            lines.append(f"{_toml_key(prefix)} = {toml_value(node)}")

    walk("", data)
    return "\n".join(lines) + "\n"


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    node = data
    *parents, leaf = key.split(".")
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


@st.composite
def scenario_file(draw: st.DrawFn) -> str:
    """A small scenario (two channels, 3 months: cheap to run) with a few fields set to hostile values."""
    data = scenario_dict()
    for _ in range(draw(st.integers(0, 4))):
        value = draw(
            st.one_of(
                st.sampled_from(HOSTILE_SCALARS),
                st.floats(allow_nan=True, allow_infinity=True),
                st.integers(-(10**20), 10**20),
                st.text(max_size=100),
            )
        )
        set_dotted(data, draw(st.sampled_from(FIELDS)), value)
    if draw(st.integers(0, 5)) == 0:  # ranges for a Monte Carlo (few draws: cheap)
        data["uncertainty"] = {"draws": 200, "seed": 1, "ranges": {"budget.monthly": [800.0, 1200.0]}}
    return toml_text(data)


# ---- running the command line ---------------------------------------------------------------------------


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # --help
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
NUMBER_AS_TEXT = {"nan", "NaN", "inf", "-inf", "Infinity", "-Infinity", "None", "null"}


def _no_constant(name: str) -> Any:
    raise AssertionError(f"JSON holds {name}")


def check_output(code: int, out: str, err: str, values: list[str]) -> None:
    assert code in (0, 1, 2), code
    assert "Traceback" not in out + err
    for text in (out, err):
        bad = CONTROL.search(text)
        assert bad is None, (
            f"a control character {bad.group()!r} in {text[max(0, bad.start() - 40) : bad.end() + 40]!r}"
        )
    for line in err.splitlines():
        assert line.startswith(("error: ", "warning: ")), f"not one line per problem: {line[:200]!r}"
    for v in values:  # at most 80 characters of any value are quoted (stdout names a scenario of ≤ 80 characters)
        if len(v) > 80:
            assert v[:81] not in out + err, f"{len(v):,} characters of a value quoted"
    if code != 0:
        assert err.strip(), "a failure says why"
    elif out.lstrip().startswith(("{", "[")):
        doc = json.loads(out, parse_constant=_no_constant)
        stack = [doc]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, str):
                assert node not in NUMBER_AS_TEXT or node in values, f"JSON says {node!r}"


@fuzz(300)
@given(text=scenario_file(), command=st.sampled_from(["run", "run-table", "run-csv", "breakeven", "curves"]))
def test_any_scenario_file_runs_or_fails_with_one_line_per_problem(tmp_path_factory, text, command):
    path = tmp_path_factory.mktemp("scn") / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    sub, _, fmt = command.partition("-")
    argv = [sub, str(path), *(["--format", fmt] if fmt else []), *(["--points", "5"] if sub == "curves" else [])]
    code, out, err = run_cli(argv)
    values = [v for v in re.findall(r'"((?:[^"\\]|\\.)*)"', text)]
    values = [json.loads(f'"{v}"') for v in values]
    check_output(code, out, err, values)


@fuzz(150)
@given(
    name=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=80),
    label=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40),
    fmt=st.sampled_from(["json", "table", "csv"]),
)
def test_names_and_labels_reach_the_terminal_without_control_characters(tmp_path_factory, name, label, fmt):
    path = tmp_path_factory.mktemp("names") / "scenario.toml"
    path.write_text(toml_text(scenario_dict(name=name, **{"channel.buy.label": label})), encoding="utf-8")
    code, out, err = run_cli(["run", str(path), "--format", fmt])
    check_output(code, out, err, [name, label])


HOSTILE_ARGS = ["nan", "NaN", "inf", "-inf", "1e999", "-1", "0", "1.5", "", " ", "true", "None", "0x10", "1_000",
                "10" * 200, "\x1b[31m\x07", "<b>", ":red[x]", "😀", "2:1", "1:2:3", ":", "5:nan", "-5:5", LONG]  # fmt: skip
OPTIONS = {
    "run": ["--format", "--draws", "--seed"],
    "breakeven": [],
    "optimize": ["--objective", "--min-customers", "--by-month", "--budget"],
    "plan": ["--objective", "--min-customers", "--by-month"],
    "curves": ["--points"],
    "sensitivity": [],
    "presets": [],
}
GOOD_ARGS = {"--format": ["json", "table", "csv"], "--draws": ["100", "300"], "--seed": ["0", "7"],
             "--objective": ["npv", "customers", "cac", "roi"], "--min-customers": ["0", "5"], "--by-month": ["1", "3"],
             "--budget": ["500:1500"], "--points": ["3", "7"]}  # fmt: skip


@st.composite
def command_line(draw: st.DrawFn, hand: str) -> list[str]:
    sub = draw(st.sampled_from([*OPTIONS, "nonsense", "", "--help"]))
    if sub not in OPTIONS:
        return [sub] if sub else []
    argv = [sub]
    if sub != "presets":
        argv.append(draw(st.sampled_from([hand, hand, "/dev/null", "/nonexistent/x.toml", "/tmp", LONG + ".toml"])))
    for _ in range(draw(st.integers(0, 3))):
        opt = draw(st.sampled_from([*OPTIONS[sub], "--bogus", "-x"] if OPTIONS[sub] else ["--bogus"]))
        value = draw(st.sampled_from(GOOD_ARGS.get(opt, []) + HOSTILE_ARGS) if draw(st.booleans()) else
                     st.sampled_from(HOSTILE_ARGS))  # fmt: skip
        argv += [opt, value]
    return argv


@fuzz(400)
@given(data=st.data())
def test_any_command_line_exits_0_1_or_2_without_a_traceback(tmp_path_factory, data):
    hand = tmp_path_factory.getbasetemp() / "hand.toml"
    if not hand.exists():
        hand.write_text(toml_text(scenario_dict()), encoding="utf-8")
    argv = data.draw(command_line(str(hand)))
    code, out, err = run_cli(argv)
    check_output(code, out, err, argv)
    if "--help" in argv:
        assert code == 0


@fuzz(200)
@given(data=st.binary(max_size=2000))
def test_any_bytes_as_a_scenario_file_give_a_result_or_one_line_per_problem(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "scenario.toml"
    path.write_bytes(data)
    code, out, err = run_cli(["run", str(path)])
    check_output(code, out, err, [])


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "/dev/zero"],
        ["run", "/dev/null"],
        ["optimize", "HAND", "--min-customers", "nan", "--by-month", "2"],
        ["optimize", "HAND", "--budget", "nan:1"],
        ["run", "HAND", "--draws", "1e999"],
        ["curves", "HAND", "--points", "9" * 5000],
        ["run", "HAND", "--format", "\x1b[2J"],
    ],
    ids=[
        "dev_zero",
        "dev_null",
        "min_customers_nan",
        "budget_nan",
        "draws_1e999",
        "points_5000_digits",
        "format_escape",
    ],
)
def test_known_bad_command_lines(tmp_path, argv):
    hand = tmp_path / "hand.toml"
    hand.write_text(toml_text(scenario_dict()), encoding="utf-8")
    argv = [str(hand) if a == "HAND" else a for a in argv]
    code, out, err = run_cli(argv)
    check_output(code, out, err, argv)
    assert code == 2 and err.strip(), err


def test_the_toml_writer_round_trips():
    import tomllib

    data = scenario_dict()
    assert tomllib.loads(toml_text(data)) == data
    assert math.isnan(tomllib.loads(toml_text({"a": float("nan")}))["a"])


# ---- CRM uploads: the calibration's reader ------------------------------------------------------------------

COLUMNS = ["Record ID", "Original Source", "Create Date", "Became a Marketing Qualified Lead Date",
           "Became a Sales Qualified Lead Date", "Close Date", "Deal Stage", "Amount"]  # fmt: skip
CELLS = ["", "Paid Search", "Organic Search ", "Vendor A", "Closed Won", "Closed Lost", "2026-05-05 11:40",
         "2026-13-45", "05/06/2026", "1e999", "nan", "NaN", "None", "-1", "=cmd|' /C calc'!A0", "<img src=x>",
         "**b**", "\x00", "\x1b[31m", '"', '""', ",", ";", "\t", "\r\n", "😀", "Ünïcödé", "9" * 400]  # fmt: skip


@st.composite
def crm_csv(draw: st.DrawFn) -> bytes:
    cols = draw(st.lists(st.sampled_from([*COLUMNS, "", "Extra", "Record ID"]), min_size=1, max_size=10))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(st.lists(st.lists(st.sampled_from(CELLS), min_size=0, max_size=len(cols) + 2), max_size=30))
    text = "\n".join(sep.join(r) for r in [cols, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    return text.encode(encoding, errors="replace")


def check_calibration(data: bytes, name: str) -> None:
    from simulation.calibrate import CalibrationError, fit, propose_mapping, read_export

    try:
        export = read_export(data, name)
    except CalibrationError as exc:
        assert exc.problems and all(p and "\n" not in p and len(p) <= 400 for p in exc.problems), exc.problems
        return
    assert export.rows > 0 and export.columns
    try:
        mapping = propose_mapping(export)
        fit(export, mapping)
    except CalibrationError as exc:
        assert exc.problems and all(p and "\n" not in p and len(p) <= 400 for p in exc.problems), exc.problems


@fuzz(400)
@given(data=crm_csv(), name=st.sampled_from(["export.csv", "x.xlsx", "", "a/../b.csv", LONG, "\x1b[31m.csv"]))
def test_any_crm_csv_gives_an_export_or_a_calibration_error(data, name):
    check_calibration(data, name)


@fuzz(300)
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        st.binary(max_size=3000).map(lambda b: b"PK\x03\x04" + b),
        st.binary(max_size=3000).map(lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b),
        st.binary(max_size=3000).map(lambda b: b"\xef\xbb\xbf" + b),
        st.binary(max_size=3000).map(lambda b: b"\xff\xfe" + b),
    )
)
def test_any_bytes_as_a_crm_export_give_an_export_or_a_calibration_error(data):
    check_calibration(data, "export.csv")


def test_a_crm_export_over_50_mb_is_refused_before_reading():
    from simulation.calibrate import MAX_EXPORT_BYTES, CalibrationError, read_export

    with pytest.raises(CalibrationError) as exc:
        read_export(b"a" * (MAX_EXPORT_BYTES + 1), "big.csv")
    assert exc.value.problems == ["big.csv: 50.0 MB; an export may be at most 50 MB"]


# ---- the library and calibrate commands -------------------------------------------------------------------------

LIBRARY_OPTIONS = {
    "save": ["--slug", "--name", "--notes", "--author"],
    "list": ["--search"],
    "show": [],
    "versions": [],
    "delete": [],
    "restore": [],
    "export": ["--format", "-o"],
}
LIBRARY_REFS = ["fuzz-plan", "fuzz-plan@1", "fuzz-plan@2", "fuzz-plan@0", "no-such", "UPPER", "a@b", "@1", "x" * 61]
LIBRARY_GOOD = {"--slug": ["fuzz-plan"], "--name": ["Fuzz plan", "<b>x</b> :red[y]"], "--notes": ["n", "x" * 2001],
                "--author": ["Ana", "\x1b[2J"], "--search": ["fuzz", "%", "_"], "--format": ["xlsx", "csv"]}  # fmt: skip


@st.composite
def library_line(draw: st.DrawFn, hand: str, out_dir: str) -> list[str]:
    sub = draw(st.sampled_from([*LIBRARY_OPTIONS, "nonsense"]))
    argv = ["library", sub]
    if sub == "save":
        argv.append(draw(st.sampled_from([hand, hand, "/dev/null", "/nonexistent/x.toml", LONG])))
    elif sub in ("show", "versions", "delete", "restore", "export"):
        argv.append(draw(st.sampled_from(LIBRARY_REFS + HOSTILE_ARGS)))
    for _ in range(draw(st.integers(0, 3))):
        opt = draw(st.sampled_from([*LIBRARY_OPTIONS.get(sub, []), "--bogus"]))
        if opt == "-o":
            value = draw(st.sampled_from([out_dir, f"{out_dir}/x.xlsx", "/nonexistent/dir/x.csv"]))
        else:
            value = draw(st.sampled_from(LIBRARY_GOOD.get(opt, []) + HOSTILE_ARGS))
        argv += [opt, value]
    return argv


@fuzz(200)
@given(data=st.data())
def test_any_library_command_line_exits_0_1_or_2_without_a_traceback(tmp_path_factory, data):
    base = tmp_path_factory.getbasetemp()
    hand = base / "hand.toml"
    if not hand.exists():
        hand.write_text(toml_text(scenario_dict()), encoding="utf-8")
    out_dir = base / "exports"
    out_dir.mkdir(exist_ok=True)
    argv = data.draw(library_line(str(hand), str(out_dir)))
    old = os.environ.get("ACQLAB_DATABASE_URL")
    os.environ["ACQLAB_DATABASE_URL"] = f"sqlite:///{base / 'fuzz-library.sqlite3'}"
    try:
        code, out, err = run_cli(argv)
    finally:
        if old is None:
            os.environ.pop("ACQLAB_DATABASE_URL", None)
        else:
            os.environ["ACQLAB_DATABASE_URL"] = old
    check_output(code, out, err, argv)


@fuzz(100)
@given(
    argv=st.lists(
        st.sampled_from(
            [
                "--mapping",
                "--base",
                "--spend",
                "--format",
                "json",
                "toml",
                "/dev/null",
                "/tmp",
                "/nonexistent.csv",
                *HOSTILE_ARGS,
            ]
        ),
        max_size=4,
    )  # fmt: skip
)
def test_any_calibrate_command_line_exits_0_1_or_2_without_a_traceback(argv):
    from pathlib import Path

    sample = str(Path(__file__).resolve().parent.parent / "data" / "samples" / "crm_export.csv")
    full = ["calibrate", sample, *argv]
    code, out, err = run_cli(full)
    check_output(code, out, err, full)
