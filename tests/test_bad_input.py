"""Bad input: one test per failure mode, each asserting the message names the field."""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HAND

from simulation import ScenarioError, load_scenario, loads_scenario, validate_scenario, with_values
from simulation.schema import dumps_scenario

ROOT = Path(__file__).resolve().parent.parent


def problems_of(data) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        validate_scenario(data)
    return exc.value.problems


def with_field(dotted: str, value):
    data = copy.deepcopy(HAND)
    node = data
    *parents, leaf = dotted.split(".")
    for p in parents:
        node = node[p]
    node[leaf] = value
    return data


def test_negative_value_names_field_value_and_range():
    (msg,) = problems_of(with_field("budget.monthly", -5.0))
    assert msg.startswith("budget.monthly: -5.0 ")
    assert "[0, 1,000,000,000]" in msg


def test_out_of_range_rate():
    (msg,) = problems_of(with_field("buy.invalid_rate", 1.5))
    assert msg.startswith("buy.invalid_rate: 1.5 ") and "[0, 1]" in msg


def test_zero_cost_per_lead_is_outside_open_range():
    (msg,) = problems_of(with_field("generate.cost_per_lead", 0.0))
    assert msg.startswith("generate.cost_per_lead: 0.0 ") and "(0, 1,000,000]" in msg


def test_horizon_out_of_range():
    (msg,) = problems_of(with_field("horizon_months", 121))
    assert msg.startswith("horizon_months: 121 ") and "[1, 120]" in msg


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity(bad):
    (msg,) = problems_of(with_field("economics.gross_margin", bad))
    assert msg.startswith("economics.gross_margin: ") and "not a finite number" in msg and "[0, 1]" in msg


def test_nan_in_toml_file():
    text = dumps_scenario(validate_scenario(HAND)).replace("gross_margin = 0.5", "gross_margin = nan")
    with pytest.raises(ScenarioError) as exc:
        loads_scenario(text)
    assert exc.value.problems[0].startswith("economics.gross_margin: nan")


def test_unknown_field():
    data = with_field("buy.colour", "red")
    (msg,) = problems_of(data)
    assert msg == "buy.colour: unknown field"


def test_typo_gets_did_you_mean():
    data = copy.deepcopy(HAND)
    data["buy"]["cost_per_laed"] = data["buy"].pop("cost_per_lead")
    msgs = problems_of(data)
    assert "buy.cost_per_laed: unknown field (did you mean 'buy.cost_per_lead'?)" in msgs
    assert any(m.startswith("buy.cost_per_lead: required field is missing") for m in msgs)


def test_typo_in_section_name():
    data = copy.deepcopy(HAND)
    data["economic"] = data.pop("economics")
    assert "economic: unknown field (did you mean 'economics'?)" in problems_of(data)


def test_wrong_type():
    (msg,) = problems_of(with_field("economics.lifetime_months", "ten"))
    assert msg.startswith("economics.lifetime_months: 'ten' ")


def test_name_too_long():
    (msg,) = problems_of(with_field("name", "x" * 81))
    assert msg.startswith("name: ")


def test_several_problems_one_line_each():
    data = with_field("budget.monthly", -1.0)
    data["buy"]["invalid_rate"] = 2.0
    msgs = problems_of(data)
    assert len(msgs) == 2 and {m.split(":")[0] for m in msgs} == {"budget.monthly", "buy.invalid_rate"}


def test_malformed_toml():
    with pytest.raises(ScenarioError) as exc:
        loads_scenario("name = 'x'\n[budget\nmonthly = 1", source="bad.toml")
    assert exc.value.problems[0].startswith("bad.toml: malformed TOML")


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(tmp_path / "nope.toml")
    assert exc.value.problems == [f"{tmp_path / 'nope.toml'}: no such file"]


def test_with_values_rejects_unknown_field_with_suggestion():
    with pytest.raises(ScenarioError) as exc:
        with_values(validate_scenario(HAND), {"buy.cost_per_leed": 3.0})
    assert exc.value.problems == ["buy.cost_per_leed: unknown field (did you mean 'buy.cost_per_lead'?)"]


def test_toml_round_trip(tmp_path):
    scn = validate_scenario(HAND)
    assert loads_scenario(dumps_scenario(scn)) == scn


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "simulation", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_bad_file_exits_2_with_one_line_per_problem(tmp_path):
    data = with_field("budget.monthly", -1.0)
    data["buy"]["invalid_rate"] = 2.0
    bad = tmp_path / "bad.toml"
    bad.write_text(dumps_scenario(validate_scenario(HAND)).replace("monthly = 1000.0", "monthly = -1.0")
                   .replace("invalid_rate = 0.0", "invalid_rate = 2.0"))  # fmt: skip
    proc = run_cli("run", str(bad))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in proc.stderr
    assert lines[0].startswith("error: budget.monthly: -1.0") and lines[1].startswith("error: buy.invalid_rate: 2.0")
    assert proc.stdout == ""


def test_cli_missing_file_exits_2():
    proc = run_cli("run", "does/not/exist.toml")
    assert proc.returncode == 2 and "no such file" in proc.stderr and "Traceback" not in proc.stderr
