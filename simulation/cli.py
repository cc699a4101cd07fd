"""Command line: `python -m simulation run | breakeven | optimize | plan | curves | sensitivity | presets | library |
calibrate`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

from .calibrate.cli import add_calibrate_parser
from .library.cli import add_library_parser
from .metrics import CHANNEL_METRICS, METRICS, STRATEGIES, STRATEGY_LABELS, SUMMARY, clean, fmt
from .narrate import crossover_sentence, uncertainty_sentences, verdict
from .presets import PRESET_DIR, load_preset, preset_names
from .results import Result, run
from .schema import Scenario, ScenarioError, load_with_warnings

_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")  # controls JSON leaves as they are


def _dump(doc: Any) -> str:
    """JSON for a terminal: DEL, C1 controls, line separators and bidi overrides as \\u escapes (same data)."""
    text = json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def printable(text: str) -> str:
    """Text for a terminal: control characters (escape sequences, bells) replaced."""
    return "".join(ch if ch.isprintable() or ch == "\n" else "?" for ch in text)


def _load(path: str) -> Scenario:
    scn, warnings = load_with_warnings(path)
    for w in warnings:
        print(printable(f"warning: {w}"), file=sys.stderr)
    return scn


def _columns(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    return [line(head), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def table(result: Result, mc: Any = None) -> str:
    """The verdict, then the strategies side by side and the plan's channels, for people."""
    scn = result.scenario
    cur = scn.currency
    strategies = result.strategies
    said = verdict(result, mc)
    out = [
        f"{scn.name} — {scn.horizon_months} months, budget {fmt('spend', scn.budget.monthly, cur)} a month, "
        f"{len(scn.channel)} channels",
        "",
        said.sentence,
        said.blend,
        "",
    ]
    missing = [STRATEGY_LABELS[s] for s in STRATEGIES if s not in strategies]
    if missing:
        out += [f"{', '.join(missing)}: no channel of that kind in this scenario.", ""]
    rows = [[METRICS[m].label, *(fmt(m, result.metric(s, m), cur) for s in strategies)] for m in SUMMARY]
    out += _columns(["metric", *(STRATEGY_LABELS[s] for s in strategies)], rows)
    if "blend" in strategies:
        out += ["", "The plan (Blend) by channel:"]
        head = ["metric", *(scn.channel[c].display_label(c) for c in scn.channel)]
        rows = [
            [METRICS[m].label, *(fmt(m, result.channel_metric("blend", c, m), cur) for c in scn.channel)]
            for m in CHANNEL_METRICS
        ]
        out += _columns(head, rows)
    cross = crossover_sentence(result)
    if cross:
        out += ["", cross]
    if mc is not None:
        out += ["", uncertainty_table(mc, cur)]
    return printable("\n".join(out))


def uncertainty_table(mc: Any, currency: str = "") -> str:
    """P10 – P50 – P90 of the headline metrics and the who-wins shares, for people."""
    q = mc.quantiles_dict()
    out = [f"How sure: {mc.draws:,} simulated futures (seed {mc.seed}), P10 – P50 – P90", ""]
    strategies = [s for s in STRATEGIES if q.get(s) is not None]
    rows = []
    for metric in ("npv_lifetime", "cac_eventual", "customers", "payback_month"):
        cells = [" – ".join(fmt(metric, q[s][metric][k], currency) for k in ("p10", "p50", "p90")) for s in strategies]
        rows.append([METRICS[metric].label, *cells])
    out += _columns(["metric", *(STRATEGY_LABELS[s] for s in strategies)], rows)
    out += ["", *uncertainty_sentences(mc)]
    return "\n".join(out)


def _wants_mc(scn: Scenario, args: argparse.Namespace) -> bool:
    return scn.uncertainty is not None or args.draws is not None or args.seed is not None


def cmd_run(args: argparse.Namespace) -> int:
    scn = _load(args.file)
    result = run(scn)
    mc = None
    if _wants_mc(scn, args):
        from .analyses.montecarlo import monte_carlo

        mc = monte_carlo(scn, draws=args.draws, seed=args.seed, monthly=False)
    if args.format == "json":
        doc = result.to_json()
        if mc is not None:
            doc.update(mc.to_json())
        print(_dump(doc))
    elif args.format == "csv":
        sys.stdout.write(result.monthly.to_csv(index=False))
    else:
        print(table(result, mc))
    return 0


def cmd_breakeven(args: argparse.Namespace) -> int:
    from .analyses.breakeven import breakeven

    scn = _load(args.file)
    prices = {k: clean(v) for k, v in breakeven(scn).items()}
    doc: dict[str, Any] = {"channels": prices}
    if len(prices) == 1:  # version 1 scripts read this
        doc["buy_cost_per_lead"] = next(iter(prices.values()))
    print(_dump(doc))
    return 0


def _constraint(args: argparse.Namespace, scn: Scenario) -> Any:
    from .analyses.optimize import Constraint

    if (args.min_customers is None) != (args.by_month is None):
        _fail("--min-customers and --by-month go together")
    if args.min_customers is None:
        return None
    if not 1 <= args.by_month <= scn.horizon_months:
        _fail(f"--by-month {args.by_month} is outside [1, {scn.horizon_months}] (the scenario's horizon)")
    return Constraint(args.min_customers, args.by_month)


def cmd_optimize(args: argparse.Namespace) -> int:
    from .analyses.optimize import optimize

    scn = _load(args.file)
    constraint = _constraint(args, scn)
    best = optimize(scn, args.objective, constraint, budget_range=args.budget)
    print(_dump(best.to_json()))
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from .analyses.plan import two_phase

    scn = _load(args.file)
    plan = two_phase(scn, args.objective, _constraint(args, scn))
    print(_dump(plan.to_json()))
    return 0


def _jsonable(v: Any) -> Any:
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: _jsonable(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()]
    if isinstance(v, str | bool) or v is None:
        return v
    if isinstance(v, int | float | np.number):
        return clean(v)
    return str(v)


def cmd_curves(args: argparse.Namespace) -> int:
    from .analyses.curves import curves

    scn = _load(args.file)
    print(_dump({"channels": _jsonable(curves(scn, points=args.points))}))
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from .analyses.sensitivity import sensitivity

    scn = _load(args.file)
    frame = sensitivity(scn).to_frame()
    print(_dump({"rows": _jsonable(frame.to_dict(orient="records"))}))
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    for name in preset_names():
        scn = load_preset(name)
        print(printable(f"{name:<20} {scn.name}  ({PRESET_DIR / (name + '.toml')})"))
    return 0


def _fail(message: str) -> NoReturn:
    raise _Usage(message)


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2; a value argparse quotes is cut to 80 characters
        _fail(re.sub(r"[^\s']{81,}", lambda m: m.group()[:80] + "…", message))


def _bounded_int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:80]!r} is not a whole number") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} is outside [{lo}, {hi:,}]")
        return v

    return parse


def _finite(lo: float, hi: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:80]!r} is not a number") from None
        if not math.isfinite(v) or not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{text[:80]!r} is outside [{lo:g}, {hi:g}]")
        return v

    return parse


def _budget_range(text: str) -> tuple[float, float]:
    bits = text.split(":")
    if len(bits) != 2:
        raise argparse.ArgumentTypeError(f"{text[:80]!r} is not LOW:HIGH")
    lo, hi = (_finite(0, 1e9)(b) for b in bits)
    if lo > hi:
        raise argparse.ArgumentTypeError(f"low {lo:g} is above high {hi:g}")
    return lo, hi


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="python -m simulation", description="Acquisition Lab: generate or buy leads, and which mix.")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)
    r = sub.add_parser("run", help="simulate a scenario file: Generate, Buy and Blend (the plan)")
    r.add_argument("file", help="scenario TOML file")
    r.add_argument("--format", choices=["json", "table", "csv"], default="json")
    r.add_argument("--draws", type=_bounded_int(1, 100_000), help="Monte Carlo draws (overrides the file)")
    r.add_argument("--seed", type=_bounded_int(0, 2**32 - 1), help="random seed (overrides the file)")
    r.set_defaults(func=cmd_run)
    b = sub.add_parser("breakeven", help="per vendor: the price per lead at which buying costs what generating does")
    b.add_argument("file", help="scenario TOML file")
    b.set_defaults(func=cmd_breakeven)
    for name, func, text in (
        ("optimize", cmd_optimize, "the best allocation of the budget over the channels"),
        ("plan", cmd_plan, "the best two-phase plan: one allocation, then another from month k"),
    ):
        o = sub.add_parser(name, help=text)
        o.add_argument("file", help="scenario TOML file")
        o.add_argument("--objective", choices=["npv", "customers", "cac", "roi"], default="npv",
                       help="npv = lifetime value (default); customers = won by --by-month; cac = eventual CAC; "
                            "roi = ROI within the horizon (version 1)")  # fmt: skip
        o.add_argument("--min-customers", type=_finite(0, 1e12), help="at least this many customers won ...")
        o.add_argument("--by-month", type=_bounded_int(1, 120), help="... by the end of this month")
        if name == "optimize":
            o.add_argument("--budget", type=_budget_range, help="LOW:HIGH: also choose the monthly budget")
        o.set_defaults(func=func)
    c = sub.add_parser("curves", help="each channel's leads, customers and marginal cost against its monthly spend")
    c.add_argument("file", help="scenario TOML file")
    c.add_argument("--points", type=_bounded_int(3, 200), default=25)
    c.set_defaults(func=cmd_curves)
    s = sub.add_parser("sensitivity", help="one input at a time to its low and high: the tornado")
    s.add_argument("file", help="scenario TOML file")
    s.set_defaults(func=cmd_sensitivity)
    p = sub.add_parser("presets", help="list the presets in data/presets/")
    p.set_defaults(func=cmd_presets)
    add_library_parser(sub, _Parser)
    add_calibrate_parser(sub, _Parser)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except _Usage as exc:
        print(printable(f"error: {exc}"), file=sys.stderr)
        return 2
    except ScenarioError as exc:
        for problem in exc.problems:
            print(printable(f"error: {problem}"), file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
