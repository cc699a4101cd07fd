"""Helpers shared by the AppTest tests: open the app on a link, read its widgets and cards, the CLI's numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from streamlit.testing.v1 import AppTest

from dashboard.headline import HEADLINE, label, value_text
from simulation import Scenario, save_scenario
from simulation.schema import numeric_fields, spec_of

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")


def app(params: dict[str, str]) -> AppTest:
    """The app opened with these query parameters, after its first run, without exceptions."""
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
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


def widget_value(at: AppTest, key: str) -> Any:
    for kind in (at.slider, at.number_input, at.text_input):
        try:
            return kind(key=key).value
        except KeyError:
            continue
    raise KeyError(key)


def link_of(at: AppTest) -> dict[str, str]:
    """The link the app holds now (its query parameters)."""
    return {k: at.query_params[k][-1] if isinstance(at.query_params[k], list) else at.query_params[k]
            for k in at.query_params}  # fmt: skip


def url(params: dict[str, str]) -> str:
    return "http://localhost:8501/?" + urlencode(params)


def cli_run(scn: Scenario, tmp_path: Path) -> dict:
    """`python -m simulation run` on the scenario saved as TOML: the JSON document."""
    path = tmp_path / "scn.toml"
    save_scenario(scn, path)
    out = subprocess.run([sys.executable, "-m", "simulation", "run", str(path), "--format", "json"],
                         capture_output=True, text=True, cwd=ROOT, check=True)  # fmt: skip
    return json.loads(out.stdout)


def cards(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_cards(summary: dict[str, dict | None]) -> dict[str, str]:
    """The headline cards the app must show for a `run` summary (money without its code: the caption names it)."""
    return {
        label(m, s): value_text(m, summary[s][m], "")  # type: ignore[index]
        for s in ("generate", "buy", "blend")
        if summary[s] is not None
        for m in HEADLINE
    }


def nudged(scn: Scenario, key: str) -> Any:
    """A valid value of a field different from the scenario's, inside its range if it has one, on the widgets' steps."""
    if key == "name":
        return "Nudged scenario"
    if key == "currency":
        return "EUR"
    spec = spec_of(key)
    assert spec is not None
    v = numeric_fields(scn).get(key)
    if v is None:  # share, refund delay: not rangeable
        from simulation.schema import flatten

        v = flatten(scn)[key]
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
