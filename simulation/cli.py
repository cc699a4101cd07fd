"""Command line: `python -m simulation run FILE [--format json|table|csv]`, `presets`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .format import fmt_metric
from .model import STRATEGIES, SUMMARY
from .presets import PRESET_DIR, load_preset, preset_names
from .results import LABELS, Result, run
from .schema import Scenario, ScenarioError, load_scenario


def _dump(doc: Any) -> str:
    return json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False)


def table(result: Result) -> str:
    """Side-by-side summary of the three strategies for people."""
    head = ["metric", *(LABELS[s] for s in STRATEGIES)]
    rows = [[m, *(fmt_metric(m, result.metric(s, m)) for s in STRATEGIES)] for m in SUMMARY]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(r):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    scn = result.scenario
    out = [f"{scn.name} — {scn.horizon_months} months, budget {scn.budget.monthly:,.0f} per month", "", line(head)]
    out.append("  ".join("-" * w for w in widths))
    out += [line(r) for r in rows]
    cross = result.crossover_month()
    out += [
        "",
        f"Generating becomes cheaper per customer than buying from month {cross}."
        if cross
        else "Generating does not become cheaper per customer than buying within the horizon.",
    ]
    return "\n".join(out)


def cmd_run(args: argparse.Namespace) -> int:
    scn = load_scenario(args.file)
    result = run(scn)
    if args.format == "json":
        print(_dump(result.to_json()))
    elif args.format == "csv":
        sys.stdout.write(result.monthly.to_csv(index=False))
    else:
        print(table(result))
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    for name in preset_names():
        scn: Scenario = load_preset(name)
        print(f"{name:<20} {scn.name}  ({PRESET_DIR / (name + '.toml')})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m simulation", description="Acquisition Lab funnel model.")
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="simulate a scenario file: generate, buy and blend")
    r.add_argument("file", help="scenario TOML file")
    r.add_argument("--format", choices=["json", "table", "csv"], default="json")
    r.set_defaults(func=cmd_run)
    p = sub.add_parser("presets", help="list the presets in data/presets/")
    p.set_defaults(func=cmd_presets)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
