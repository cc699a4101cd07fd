"""The command line follows the contract: JSON shape, table, CSV, presets, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simulation import load_preset, preset_names, run
from simulation.model import SUMMARY

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "data" / "presets" / "default.toml"
MONTHLY_REQUIRED = {"month", "spend", "refunds", "fixed_costs", "total_cost", "leads", "customers", "pipeline",
                    "revenue", "gross_profit", "cumulative_net"}  # fmt: skip


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation", *args], capture_output=True, text=True, cwd=ROOT)


def test_json_follows_contract():
    proc = cli("run", str(DEFAULT), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert set(doc) == {"schema_version", "scenario", "summary", "monthly"}
    assert doc["schema_version"] == 1
    assert set(doc["summary"]) == set(doc["monthly"]) == {"generate", "buy", "blend"}
    horizon = doc["scenario"]["horizon_months"]
    for strat in ("generate", "buy", "blend"):
        assert set(doc["summary"][strat]) == set(SUMMARY)
        rows = doc["monthly"][strat]
        assert [r["month"] for r in rows] == list(range(1, horizon + 1))
        assert MONTHLY_REQUIRED <= set(rows[0])
    # same numbers as the library
    result = run(load_preset("default"))
    assert doc["summary"]["buy"]["cac"] == pytest.approx(result.metric("buy", "cac"), rel=1e-12)
    # total_cost identity on the JSON itself
    s = doc["summary"]["blend"]
    assert s["total_cost"] == pytest.approx(s["spend"] - s["refunds"] + s["fixed_costs"])


def test_table_is_side_by_side():
    proc = cli("run", str(DEFAULT), "--format", "table")
    assert proc.returncode == 0
    header = next(line for line in proc.stdout.splitlines() if line.startswith("metric"))
    assert header.split() == ["metric", "Generate", "Buy", "Blend"]
    cac_line = next(line for line in proc.stdout.splitlines() if line.startswith("cac "))
    expected = f"{run(load_preset('default')).metric('generate', 'cac'):,.0f}"
    assert cac_line.split()[1] == expected


def test_csv_is_the_monthly_frame():
    proc = cli("run", str(DEFAULT), "--format", "csv")
    df = pd.read_csv(io.StringIO(proc.stdout))
    horizon = load_preset("default").horizon_months
    assert len(df) == 3 * horizon
    assert MONTHLY_REQUIRED | {"strategy"} <= set(df.columns)


def test_presets_lists_every_file():
    proc = cli("presets")
    assert proc.returncode == 0
    listed = [line.split()[0] for line in proc.stdout.splitlines()]
    assert listed == preset_names() and listed[0] == "default" and len(listed) >= 5


def test_unknown_subcommand_exits_2():
    proc = cli("frobnicate")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_is_valid_and_cites_sources(name):
    text = (ROOT / "data" / "presets" / f"{name}.toml").read_text()
    scn = load_preset(name)
    # every numeric line carries a comment saying where the figure comes from
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "name")):
            assert "#" in line, f"{name}: figure without a source: {line!r}"
    assert run(scn).metric("generate", "spend") > 0
