"""Known-bad scenario files: each gives a ScenarioError with one line per problem, never another exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import HAND
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import ScenarioError, dumps_scenario, load_scenario, validate_scenario

BAD = Path(__file__).resolve().parent / "fixtures" / "bad"

# fixture file → the exact lines it must give ("{path}" stands for the file's path)
EXPECTED = {
    "binary.toml": ["{path}: not a UTF-8 text file"],
    "invalid_utf8.toml": ["{path}: not a UTF-8 text file"],
    "garbage_ascii.toml": ["{path}: malformed TOML: "],
    "nul_bytes.toml": ["{path}: malformed TOML: Illegal character '\\x00' (at line 2, column 12)"],
    "malformed.toml": ["{path}: malformed TOML: Expected ']' at the end of a table declaration (at line 5, column 8)"],
    "empty.toml": ["budget: required field is missing", "economics: required field is missing",
                   "channel: at least one channel is needed"],
    "horizon_true.toml": ["horizon_months: True is not a whole number; allowed [1, 120]"],
    "monthly_string.toml": ["budget.monthly: '40000' is not a number; allowed [0, 1,000,000,000]"],
    "nan.toml": ["economics.gross_margin: nan is not a finite number; allowed [0, 1]"],
    "inf.toml": ["budget.monthly: -inf is not a finite number; allowed [0, 1,000,000,000]",
                 "channel.vendor.cost_per_lead: inf is not a finite number; allowed (0, 1,000,000]"],
    "unknown_section.toml": ["economics: required field is missing",
                             "economcs: unknown field (did you mean 'economics'?)"],
    "several_problems.toml": [
        "budget.monthly: -1.0 is not allowed; allowed [0, 1,000,000,000] (input should be greater than or equal to 0)",
        "economics.gross_margin: 1.7 is not allowed; allowed [0, 1] (input should be less than or equal to 1)",
        "channel.paid.colour: unknown field (did you mean 'channel.paid.share'?)",
    ],
}  # fmt: skip


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    lines = exc.value.problems
    assert lines and all(line and "\n" not in line and len(line) <= 400 for line in lines)
    return lines


def test_every_fixture_has_an_expectation():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_known_bad_file(name):
    path = BAD / name
    lines = problems_of(path)
    want = [w.replace("{path}", str(path)) for w in EXPECTED[name]]
    assert len(lines) == len(want)
    for line, w in zip(lines, want, strict=True):
        assert line.startswith(w) if w.endswith(": ") else line == w


DEEP = 2000


@pytest.mark.parametrize(
    "text,first",
    [
        ("a = " + "[" * DEEP + "]" * DEEP + "\n", "{path}: nested too deeply to be a scenario"),
        ("a = " + "{b = " * DEEP + "1" + "}" * DEEP + "\n", "{path}: nested too deeply to be a scenario"),
        ("[" + ".".join(["a"] * DEEP) + "]\nx = 1\n", "a.a.a…: nested too deeply"),
        ("schema_version = 2\n[" + ".".join(["channel"] + ["a"] * DEEP) + "]\nx = 1\n", "channel.a.a…: nested too"),
        ("[" + ".".join(["generate"] * DEEP) + "]\nx = 1\n", "generate.generate.generate…: nested too deeply"),
        (".".join(["budget"] + ["a"] * DEEP) + " = 1\n", "budget.a.a…: nested too deeply"),
        ("[" + ".".join(["uncertainty", "ranges"] + ["a"] * DEEP) + "]\nx = 1\n", "uncertainty.ranges.a…: nested"),
    ],
    ids=["arrays", "inline_tables", "table_header", "v2_channel", "v1_section", "dotted_key", "ranges"],
)
def test_deeply_nested_toml(tmp_path, text, first):
    path = tmp_path / "deep.toml"
    path.write_text(text)
    (line,) = problems_of(path)
    assert line.startswith(first.replace("{path}", str(path)))


def test_file_over_one_megabyte_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.toml"
    good = dumps_scenario(validate_scenario(HAND))
    path.write_text(good + "# " + "x" * 1_100_000 + "\n")
    assert problems_of(path) == [f"{path}: larger than 1 MB; a scenario file is a few kilobytes"]
    # just under the limit it is read like any file
    path.write_text(good + "# " + "x" * (990_000 - len(good)) + "\n")
    assert load_scenario(path) == validate_scenario(HAND)


def test_missing_file_and_folder(tmp_path):
    assert problems_of(tmp_path / "nope.toml") == [f"{tmp_path / 'nope.toml'}: no such file"]
    assert problems_of(tmp_path) == [f"{tmp_path}: is a folder, not a scenario file"]


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=3000))
def test_any_bytes_give_a_scenario_or_a_scenario_error(tmp_path, data):
    path = tmp_path / "random.toml"
    path.write_bytes(data)
    try:
        load_scenario(path)
    except ScenarioError as exc:
        assert exc.problems and all("\n" not in p for p in exc.problems)


GOOD_TEXT = dumps_scenario(validate_scenario(HAND))
TOML_VALUES = st.sampled_from(["true", '"40000"', "nan", "-inf", "inf", "[]", "{}", "1e999", "-0.0", "24.5",
                               '"x"', "[1, 2]", "{a = 1}", "1979-05-27", "0x10", "9" * 400])  # fmt: skip


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_any_value_in_any_field_gives_a_scenario_or_a_line_naming_the_field(tmp_path, data):
    lines = GOOD_TEXT.splitlines()
    idx = [i for i, line in enumerate(lines) if " = " in line]
    i = data.draw(st.sampled_from(idx))
    key = lines[i].split(" = ")[0]
    lines[i] = f"{key} = {data.draw(TOML_VALUES)}"
    path = tmp_path / "mutated.toml"
    path.write_text("\n".join(lines) + "\n")
    try:
        load_scenario(path)
    except ScenarioError as exc:
        assert any(key in p or str(path) in p for p in exc.problems), exc.problems
