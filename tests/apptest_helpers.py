"""Helpers shared by the AppTest tests: open the app on a link, read its inputs and the strategies' comparison,
the numbers the model gives for a scenario."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from streamlit.testing.v1 import AppTest

from dashboard.state import from_screen
from simulation import Scenario, run, save_scenario
from simulation.narrate import comparison
from simulation.schema import flatten, numeric_fields, spec_of

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
BEST = "★"


def app(params: dict[str, str] | list[tuple[str, str]]) -> AppTest:
    """The app opened with these query parameters (pairs: a parameter may repeat), after its first run, without
    exceptions."""
    at = AppTest.from_file(APP, default_timeout=60)
    pairs = params.items() if isinstance(params, dict) else params
    for k, v in pairs:
        if k in at.query_params:
            old = at.query_params[k]
            at.query_params[k] = [*(old if isinstance(old, list) else [old]), v]
        else:
            at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def unfold_all(at: AppTest) -> AppTest:
    """Unfold every sidebar group (each draws its inputs only when open), as a person editing everything would."""
    from dashboard import state
    from dashboard.widgets import SECTIONS

    ids = [cid for cid, _ in state.channels_of(at.session_state[state.K_LIVE].values)]
    for box in [*(f"_box.{s}" for s in SECTIONS), *(f"_box.{cid}" for cid in ids)]:
        at.session_state[box] = True
    at.run()
    assert not at.exception, at.exception
    return at


def unescape(text: str) -> str:
    """Markdown source as it shows: the app escapes every special character with a backslash."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out)


def _find(at: AppTest, key: str) -> Any:
    for kind in (at.number_input, at.text_input, at.slider):
        try:
            return kind(key=key)
        except KeyError:
            continue
    return None


def box_of(key: str) -> str | None:
    """The session key of the sidebar group that holds a field's input (groups draw their inputs only when open)."""
    parts = key.split(".")
    if parts[0] == "channel" and len(parts) == 3:
        return f"_box.{parts[1]}"
    spec = spec_of(key)
    return f"_box.{spec.group}" if spec is not None and spec.group else None


def widget(at: AppTest, key: str) -> Any:
    """A field's input, unfolding its sidebar group first when it is folded (as a person would)."""
    found = _find(at, key)
    if found is None and (box := box_of(key)) is not None:
        at.session_state[box] = True
        at.run()
        found = _find(at, key)
    if found is None:
        raise KeyError(key)
    return found


def shown_value(at: AppTest, key: str) -> Any:
    """What the input of a dotted field shows (rates in percent)."""
    return widget(at, key).value


def field_value(at: AppTest, key: str) -> Any:
    """The value of a dotted field as the model takes it (rates as fractions)."""
    return from_screen(key, widget(at, key).value)


widget_value = field_value


def set_field(at: AppTest, key: str, value: Any) -> AppTest:
    """Type a value into a field's input (in its screen units) and rerun."""
    widget(at, key).set_value(value)
    at.run()
    assert not at.exception, at.exception
    return at


def link_of(at: AppTest) -> dict[str, str]:
    """The link the app holds now (its query parameters)."""
    return {k: at.query_params[k][-1] if isinstance(at.query_params[k], list) else at.query_params[k]
            for k in at.query_params}  # fmt: skip


def url(params: dict[str, str]) -> str:
    return "http://localhost:8501/?" + urlencode(params)


def warnings(at: AppTest) -> list[str]:
    return [unescape(w.value) for w in at.warning]


def cli_run(scn: Scenario, tmp_path: Path) -> dict:
    """`python -m simulation run` on the scenario saved as TOML: the JSON document."""
    path = tmp_path / "scn.toml"
    save_scenario(scn, path)
    out = subprocess.run([sys.executable, "-m", "simulation", "run", str(path), "--format", "json"],
                         capture_output=True, text=True, cwd=ROOT, check=True)  # fmt: skip
    return json.loads(out.stdout)


def cards(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


_CELL = re.compile(r"(?<!\\)\|")


def _cell(text: str) -> str:
    return unescape(text.strip()).replace("**", "").replace(BEST, "").replace("\u00a0", " ").strip()


def table(at: AppTest) -> dict[str, list[str]]:
    """The strategies' comparison as shown: row label → the strategies' cells (best marks left out)."""
    for md in at.markdown:
        lines = md.value.splitlines()
        if len(lines) > 2 and lines[0].startswith("| |") and lines[1].startswith("|:--|"):
            out = {}
            for line in lines[2:]:
                cells = [_cell(c) for c in _CELL.split(line)[1:-1]]
                out[cells[0]] = cells[1:]
            return out
    raise AssertionError("no comparison table on the page")


def expected_table(scn: Scenario) -> dict[str, list[str]]:
    """The comparison the Overview must show for a scenario, from the model."""
    result = run(scn)
    return {r.label: [r.text[s] for s in result.strategies] for r in comparison(result)}


def nudged(scn: Scenario, key: str) -> Any:
    """A valid value of a field different from the scenario's, inside its range if it has one, on the inputs'
    steps (rates on 0.1 %)."""
    if key == "name":
        return "Nudged scenario"
    if key == "currency":
        return "EUR"
    if key.endswith(".label"):
        return "Renamed " + key.split(".")[1]
    spec = spec_of(key)
    assert spec is not None
    v = numeric_fields(scn).get(key)
    if v is None:  # share, refund delay, an unset reference spend: not rangeable
        v = flatten(scn)[key]
        if v is None:
            return 12500.0
    lo, hi = scn.uncertainty.ranges.get(key, (spec.lo, spec.hi)) if scn.uncertainty else (spec.lo, spec.hi)
    if key.endswith(".share"):
        steps = [-0.05, -0.01]
    elif spec.kind == "rate":
        steps = [0.013, -0.013]
    elif spec.kind == "months":
        steps = [0.5, -0.5]
    elif spec.kind == "integer":
        steps = [1, -1]
    elif spec.kind == "count":
        steps = [10.0, -10.0]
    else:
        steps = [1.25, -1.25] if v < 1000 else [500.0, -500.0]
    for d in steps:
        x = round(v + d, 6)
        if spec.contains(x) and lo <= x <= hi and x != v and not (spec.kind == "integer" and x != int(x)):
            return int(x) if spec.kind == "integer" else x
    raise AssertionError(key)
