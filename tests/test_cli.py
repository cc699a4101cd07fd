"""The command line follows contract v2: JSON shape, table, CSV, decisions, one line per problem, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import tomli_w

from simulation import load_preset, run
from simulation.metrics import CHANNEL_METRICS, SUMMARY

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "data" / "presets" / "default.toml"
MONTHLY_REQUIRED = {"month", "spend", "refunds", "fixed_costs", "total_cost", "leads", "customers", "pipeline",
                    "revenue", "gross_profit", "cumulative_net", "unworked", "sales_cost", "cohort_cac"}  # fmt: skip


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation", *args], capture_output=True, text=True, cwd=ROOT)


def strict_json(text: str) -> dict:
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


@pytest.fixture(scope="module")
def no_ranges(tmp_path_factory) -> Path:
    """The default preset without its uncertainty block."""
    data = tomllib.loads(DEFAULT.read_text())
    data.pop("uncertainty")
    path = tmp_path_factory.mktemp("scn") / "default_no_ranges.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def write(tmp_path: Path, data: dict, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(tomli_w.dumps(data))
    return path


def test_run_json_follows_contract(no_ranges):
    proc = cli("run", str(no_ranges), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    doc = strict_json(proc.stdout)
    assert {"schema_version", "scenario", "summary", "channels", "monthly", "crossover_month",
            "cohort_crossover_month"} <= set(doc)  # fmt: skip
    assert doc["schema_version"] == 2
    assert set(doc["summary"]) == set(doc["monthly"]) == set(doc["channels"]) == {"generate", "buy", "blend"}
    horizon = doc["scenario"]["horizon_months"]
    ids = list(doc["scenario"]["channel"])
    assert ids == ["paid_search", "content", "vendor_exclusive", "vendor_shared"]
    for strat in ("generate", "buy", "blend"):
        assert set(doc["summary"][strat]) == set(SUMMARY)
        assert list(doc["channels"][strat]) == ids
        assert set(doc["channels"][strat]["content"]) == set(CHANNEL_METRICS)
        rows = doc["monthly"][strat]
        assert [r["month"] for r in rows] == list(range(1, horizon + 1))
        assert MONTHLY_REQUIRED <= set(rows[0])
        assert set(rows[0]["channels"]) == set(ids)
        assert set(rows[0]["channels"]["content"]) == {"spend", "leads", "customers", "pipeline"}
    # the same numbers as the library
    result = run(load_preset("default"))
    for m in ("cac", "npv_lifetime", "customers"):
        assert doc["summary"]["buy"][m] == pytest.approx(result.metric("buy", m), rel=1e-12)
    # identities on the JSON itself
    s = doc["summary"]["blend"]
    assert s["total_cost"] == pytest.approx(s["spend"] - s["refunds"] + s["fixed_costs"] + s["sales_cost"])
    assert s["customers"] == pytest.approx(sum(doc["channels"]["blend"][c]["customers"] for c in ids))
    assert s["customers"] == pytest.approx(sum(r["customers"] for r in doc["monthly"]["blend"]))
    # Generate spends nothing on vendors; a channel's monthly spend adds up to its total
    assert doc["channels"]["generate"]["vendor_shared"]["spend"] == 0
    assert sum(r["channels"]["content"]["spend"] for r in doc["monthly"]["blend"]) == pytest.approx(
        doc["channels"]["blend"]["content"]["spend"]
    )


def test_run_json_with_ranges_adds_quantiles_and_probabilities():
    proc = cli("run", str(DEFAULT), "--format", "json", "--draws", "300", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    doc = strict_json(proc.stdout)
    assert doc["uncertainty"] == {"draws": 300, "seed": 3}
    q = doc["quantiles"]["generate"]["npv_lifetime"]
    assert q["p10"] <= q["p50"] <= q["p90"]
    best = doc["probabilities"]["best_npv"]
    assert set(best) <= {"generate", "buy", "blend"}
    assert sum(best.values()) == pytest.approx(1.0)
    assert 0 <= doc["probabilities"]["buy_beats_generate_cac"] <= 1


def test_null_strategy_is_null_everywhere(tmp_path):
    data = tomllib.loads(DEFAULT.read_text())
    data.pop("uncertainty")
    data.pop("optimize")
    for cid in ("vendor_exclusive", "vendor_shared"):
        del data["channel"][cid]
    proc = cli("run", str(write(tmp_path, data)), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = strict_json(proc.stdout)
    assert doc["summary"]["buy"] is None and doc["channels"]["buy"] is None and doc["monthly"]["buy"] is None
    assert doc["crossover_month"] is None and doc["summary"]["generate"] is not None
    table = cli("run", str(write(tmp_path, data)), "--format", "table").stdout
    assert "Buy: no channel of that kind in this scenario." in table


def test_table_leads_with_the_verdict_and_formats_money(no_ranges):
    proc = cli("run", str(no_ranges), "--format", "table")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[2].startswith("Choose ")
    header = next(line for line in lines if line.startswith("metric"))
    assert header.split() == ["metric", "Generate", "Buy", "Blend"]
    cac_line = next(line for line in lines if line.startswith("CAC  "))
    expected = f"${run(load_preset('default')).metric('generate', 'cac'):,.0f}"
    assert cac_line[len("CAC") :].strip().startswith(expected)


def test_csv_is_the_monthly_frame(no_ranges):
    proc = cli("run", str(no_ranges), "--format", "csv")
    df = pd.read_csv(io.StringIO(proc.stdout))
    horizon = load_preset("default").horizon_months
    assert len(df) == 3 * horizon
    assert set(df["strategy"]) == {"generate", "buy", "blend"}


def test_version1_file_runs_with_schema_version_2(tmp_path):
    v1 = {
        "name": "v1", "horizon_months": 12, "budget": {"monthly": 1000.0, "buy_share": 0.25},
        "economics": {"revenue_per_customer_month": 100.0, "gross_margin": 0.5, "monthly_churn": 0.0},
        "generate": {"cost_per_lead": 10.0, "ramp_months": 0.0, "lead_to_mql": 0.5, "mql_to_sql": 0.4,
                     "sql_to_customer": 0.5, "nurture_months": 0.0},
        "buy": {"cost_per_lead": 20.0, "lead_to_mql": 0.5, "mql_to_sql": 0.5, "sql_to_customer": 0.4,
                "nurture_months": 0.0},
        "uncertainty": {"draws": 50, "ranges": {"buy.cost_per_lead": [25.0, 30.0]}},
    }  # fmt: skip
    proc = cli("run", str(write(tmp_path, v1)), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    # a range that does not contain its value: version 1 allowed it, so it runs with one warning line
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("warning: uncertainty.ranges.channel.buy")
    doc = strict_json(proc.stdout)
    assert doc["schema_version"] == 2
    assert doc["scenario"]["channel"]["buy"]["share"] == 0.25
    # by hand: Buy 1000/20 = 50 leads × 0.1 = 5 customers a month; Blend 750/10·0.1 + 250/20·0.1 = 8.75
    assert doc["summary"]["buy"]["customers"] == pytest.approx(60)
    assert doc["summary"]["blend"]["customers"] == pytest.approx(12 * 8.75)


def test_breakeven_per_vendor(no_ranges):
    proc = cli("breakeven", str(no_ranges))
    assert proc.returncode == 0, proc.stderr
    doc = strict_json(proc.stdout)
    assert set(doc["channels"]) == {"vendor_exclusive", "vendor_shared"}
    assert "buy_cost_per_lead" not in doc  # only with exactly one vendor


def test_optimize_returns_allocation_and_summary(no_ranges):
    proc = cli("optimize", str(no_ranges), "--objective", "cac")
    assert proc.returncode == 0, proc.stderr
    doc = strict_json(proc.stdout)
    alloc = doc["allocation"]
    assert set(alloc) == {"paid_search", "content", "vendor_exclusive", "vendor_shared"}
    assert all(v >= -1e-12 for v in alloc.values()) and sum(alloc.values()) <= 1 + 1e-9
    assert doc["budget"] == 40000.0
    assert set(doc["summary"]) >= {"cac_eventual", "npv_lifetime", "customers"}


def test_optimize_infeasible_floor_gives_null_allocation(no_ranges):
    proc = cli("optimize", str(no_ranges), "--min-customers", "1000000", "--by-month", "6")
    assert proc.returncode == 0, proc.stderr
    doc = strict_json(proc.stdout)
    assert doc["allocation"] is None and doc["buy_share"] is None


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["optimize", "{f}", "--min-customers", "nan", "--by-month", "6"], "--min-customers"),
        (["optimize", "{f}", "--min-customers", "inf", "--by-month", "6"], "--min-customers"),
        (["optimize", "{f}", "--min-customers", "10"], "go together"),
        (["optimize", "{f}", "--min-customers", "10", "--by-month", "99"], "--by-month 99"),
        (["optimize", "{f}", "--budget", "5:1"], "above high"),
        (["optimize", "{f}", "--objective", "fun"], "--objective"),
        (["run", "{f}", "--draws", "0"], "--draws"),
        (["run", "{f}", "--seed", "-1"], "--seed"),
        (["run", "/no/such/file.toml"], "no such file"),
        (["run", "/dev/zero"], "larger than 1 MB"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(no_ranges, args, fragment):
    proc = cli(*[a.replace("{f}", str(no_ranges)) for a in args])
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("error: ") and fragment in proc.stderr


def test_invalid_file_lists_every_problem(tmp_path):
    data = tomllib.loads(DEFAULT.read_text())
    data["horizon_months"] = True
    data["budget"]["monthly"] = "40000"
    data["channel"]["content"]["cost_per_led"] = 3.0
    proc = cli("run", str(write(tmp_path, data)))
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert any(line.startswith("error: horizon_months: True is not a whole number") for line in lines)
    assert any(line.startswith("error: budget.monthly: '40000' is not a number") for line in lines)
    assert any("channel.content.cost_per_led: unknown field (did you mean 'channel.content.cost_per_lead'?)" in line
               for line in lines)  # fmt: skip
    assert "Traceback" not in proc.stderr


def test_control_characters_never_reach_the_terminal(tmp_path):
    data = tomllib.loads(DEFAULT.read_text())
    data.pop("uncertainty")
    data["name"] = "evil\x1b[31mred\x07"
    proc = cli("run", str(write(tmp_path, data)), "--format", "table")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "evil?[31mred?" in proc.stdout


def test_presets_lists_every_preset():
    proc = cli("presets")
    assert proc.returncode == 0
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    assert names[0] == "default"
    assert set(names) == {p.stem for p in (ROOT / "data" / "presets").glob("*.toml")}
