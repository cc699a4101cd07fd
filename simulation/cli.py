"""Command line: `python -m simulation run FILE [--format json|table|csv]`, `presets`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .decisions import Constraint, breakeven, optimize_share, two_phase
from .format import fmt_metric
from .model import STRATEGIES, SUMMARY
from .presets import PRESET_DIR, load_preset, preset_names
from .results import LABELS, Result, clean, run
from .schema import Scenario, ScenarioError, load_scenario
from .uncertainty import MonteCarlo, monte_carlo


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
        doc = result.to_json()
        if scn.uncertainty is not None or args.draws is not None or args.seed is not None:
            mc = monte_carlo(scn, draws=args.draws, seed=args.seed)
            doc["uncertainty"] = {"draws": mc.draws, "seed": mc.seed}
            doc["quantiles"] = mc.quantiles_dict()
            doc["probabilities"] = mc.probabilities
            doc["monthly_quantiles"] = mc.monthly_quantiles_dict()
        print(_dump(doc))
    elif args.format == "csv":
        sys.stdout.write(result.monthly.to_csv(index=False))
    else:
        print(table(result))
        if scn.uncertainty is not None or args.draws is not None or args.seed is not None:
            print()
            print(uncertainty_table(monte_carlo(scn, draws=args.draws, seed=args.seed)))
    return 0


def uncertainty_table(mc: MonteCarlo) -> str:
    """P10–P90 of the headline metrics and the who-wins shares, for people."""
    q = mc.quantiles_dict()
    out = [f"How sure: {mc.draws:,} simulated futures (seed {mc.seed}), P10 – P50 – P90", ""]
    for metric in ("cac", "roi", "payback_month", "customers"):
        cells = [" – ".join(fmt_metric(metric, q[s][metric][k]) for k in ("p10", "p50", "p90")) for s in STRATEGIES]
        out.append(f"{metric:<14}" + "   ".join(f"{LABELS[s]}: {c}" for s, c in zip(STRATEGIES, cells, strict=True)))
    p = mc.probabilities
    out += ["", f"Buying has the lower CAC in {p['buy_beats_generate_cac']:.0%} of simulated futures, "
            f"the higher ROI in {p['buy_beats_generate_roi']:.0%}."]  # fmt: skip
    return "\n".join(out)


def cmd_breakeven(args: argparse.Namespace) -> int:
    print(_dump(breakeven(load_scenario(args.file))))
    return 0


def cmd_optimize(args: argparse.Namespace) -> int:
    if (args.min_customers is None) != (args.by_month is None):
        print("error: --min-customers and --by-month go together", file=sys.stderr)
        return 2
    scn = load_scenario(args.file)
    constraint = None
    if args.min_customers is not None:
        if args.min_customers < 0 or not 1 <= args.by_month <= scn.horizon_months:
            print(f"error: --by-month must be within 1..{scn.horizon_months} and --min-customers ≥ 0", file=sys.stderr)
            return 2
        constraint = Constraint(args.min_customers, args.by_month)
    best = optimize_share(scn, args.objective, constraint)
    doc = best.to_json()
    plan = two_phase(scn, args.objective, constraint, best_constant=best)
    if plan is not None:
        doc["two_phase"] = {"first_share": plan.first_share, "second_share": plan.second_share,
                            "switch_month": plan.switch_month, "gain": clean(plan.gain)}  # fmt: skip
    print(_dump(doc))
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    for name in preset_names():
        scn: Scenario = load_preset(name)
        print(f"{name:<20} {scn.name}  ({PRESET_DIR / (name + '.toml')})")
    return 0


def _bounded_int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} is outside [{lo}, {hi:,}]")
        return v

    return parse


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m simulation", description="Acquisition Lab funnel model.")
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="simulate a scenario file: generate, buy and blend")
    r.add_argument("file", help="scenario TOML file")
    r.add_argument("--format", choices=["json", "table", "csv"], default="json")
    r.add_argument("--draws", type=_bounded_int(1, 100_000), help="Monte Carlo draws (overrides the file)")
    r.add_argument("--seed", type=_bounded_int(0, 2**32 - 1), help="random seed (overrides the file)")
    r.set_defaults(func=cmd_run)
    b = sub.add_parser("breakeven", help="the vendor CPL at which buying's CAC equals generating's")
    b.add_argument("file", help="scenario TOML file")
    b.set_defaults(func=cmd_breakeven)
    o = sub.add_parser("optimize", help="the best blend share for ROI or CAC, optionally with a customer floor")
    o.add_argument("file", help="scenario TOML file")
    o.add_argument("--objective", choices=["roi", "cac"], default="roi")
    o.add_argument("--min-customers", type=float, help="at least this many customers won ...")
    o.add_argument("--by-month", type=int, help="... by the end of this month")
    o.set_defaults(func=cmd_optimize)
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
