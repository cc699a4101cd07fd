"""Print timings and memory of the model (medians over repeats); asserts nothing.

Figures (issue 8's "must show"):
- deterministic run(), 8 channels x 120 months x 3 strategies (target <= 5 ms);
- Monte Carlo, 10,000 draws minus 1 draw, 36 months x 4 channels x 4 ranges, sampling and every
  printed quantile included: in-process and, when `python -m simulation run` works, end to end
  through the CLI (target <= 150 ms);
- peak memory of a 100,000-draw x 120-month run (target <= 1 GB);
- optimize (target <= 1 s) and the two-phase plan (target <= 3 s) over 8 channels, when those
  modules exist.

Run: .venv/bin/python bench/bench_model.py [--quick]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.analyses.montecarlo import _slice, chunk_size, monte_carlo, sample_inputs  # noqa: E402
from simulation.engine import params_of  # noqa: E402
from simulation.results import evaluate, run  # noqa: E402
from simulation.schema import Scenario, dumps_scenario, load_scenario, validate_scenario, with_values  # noqa: E402
from simulation.strategies import strategy_allocations  # noqa: E402

PRESET = ROOT / "data" / "presets" / "default.toml"  # 4 channels, 4 ranges (one correlated pair)
QUICK = "--quick" in sys.argv


def eight_channels(horizon: int = 120) -> Scenario:
    """Four generate channels (ramps 0–6 months, elasticity 0.8, baselines) and four capped vendors
    with delayed refunds, sales capacity, discounting."""
    chans: dict[str, dict[str, Any]] = {}
    for i in range(8):
        if i % 2 == 0:
            chans[f"g{i}"] = dict(
                kind="generate", share=0.12, cost_per_lead=80 + i, lead_to_mql=0.3, mql_to_sql=0.3,
                sql_to_customer=0.25, nurture_months=3.0 + i / 2, ramp_months=float(i), elasticity=0.8,
                reference_spend=5000.0, starting_leads_per_month=20.0 if i else 0.0, fixed_monthly_cost=500.0,
            )  # fmt: skip
        else:
            chans[f"b{i}"] = dict(
                kind="buy", share=0.12, cost_per_lead=100 + i, max_leads_per_month=300.0, invalid_rate=0.1,
                return_cap=0.08, refund_delay_months=i % 3, lead_to_mql=0.3, mql_to_sql=0.3, sql_to_customer=0.2,
                nurture_months=2.0,
            )  # fmt: skip
    return validate_scenario(
        {
            "schema_version": 2,
            "name": "eight",
            "horizon_months": horizon,
            "budget": {"monthly": 50000.0},
            "economics": {
                "revenue_per_customer_month": 1000.0,
                "gross_margin": 0.7,
                "monthly_churn": 0.02,
                "lifetime_months": 60,
                "discount_rate": 0.1,
            },  # fmt: skip
            "sales": {"capacity_leads_per_month": 1500.0, "cost_per_worked_lead": 10.0},
            "channel": chans,
        }
    )


def preset(horizon: int, draws: int) -> Scenario:
    """The default preset (4 channels, 4 ranges) at another horizon and number of draws."""
    scn = with_values(load_scenario(PRESET), {"horizon_months": horizon})
    assert scn.uncertainty is not None
    return scn.model_copy(update={"uncertainty": scn.uncertainty.model_copy(update={"draws": draws})})


@dataclass(frozen=True)
class Ms:
    """A timing: the median over repeats, and the fastest repeat (closest to an idle machine)."""

    median: float
    best: float

    def __sub__(self, other: Ms) -> Ms:
        return Ms(self.median - other.median, self.best - other.best)


def median_ms(fn: Callable[[], Any], repeat: int, warm: int = 1) -> Ms:
    for _ in range(warm):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return Ms(statistics.median(times), min(times))


def interleaved_ms(parts: dict[str, Callable[[], Any]], repeat: int) -> dict[str, np.ndarray]:
    """Times (ms) of each part over `repeat` rounds, every round running each part once, after a warm-up."""
    for fn in parts.values():
        fn()
    out: dict[str, list[float]] = {k: [] for k in parts}
    for _ in range(repeat):
        for k, fn in parts.items():
            t0 = time.perf_counter()
            fn()
            out[k].append((time.perf_counter() - t0) * 1000)
    return {k: np.array(v) for k, v in out.items()}


def ms(first: np.ndarray, *minus: np.ndarray) -> Ms:
    """Per-round times of one part less others: the median of the per-round differences, and the
    difference of the fastest rounds."""
    diff = first - sum(minus, np.zeros_like(first))
    return Ms(float(np.median(diff)), float(first.min() - sum(m.min() for m in minus)))


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}; load average {load}"


def line(label: str, value: Ms | float, unit: str = "ms", target: str = "") -> None:
    """One figure: median (and fastest repeat) for timings."""
    if isinstance(value, Ms):
        text = f"{value.median:9.1f} {unit} (fastest {value.best:7.1f})"
    else:
        text = f"{value:9.1f} {unit}"
    print(f"{label:<72} {text}{'  target ' + target if target else ''}")


def mc_json(scn: Scenario, draws: int, monthly: bool) -> str:
    mc = monte_carlo(scn, draws=draws, monthly=monthly)
    doc = mc.to_json()
    if monthly:
        doc["monthly_quantiles"] = mc.monthly_quantiles_dict()
    return json.dumps(doc, allow_nan=False)


def cli_ms(paths: list[Path], repeat: int) -> list[Ms] | str:
    """Wall time of `python -m simulation run FILE --format json` for each file, runs interleaved so
    that a change in the machine's load hits all files alike; or why the CLI cannot run."""
    times: list[list[float]] = [[] for _ in paths]
    for rnd in range(repeat + 1):
        for i, path in enumerate(paths):
            cmd = [sys.executable, "-m", "simulation", "run", str(path), "--format", "json"]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            if rnd:  # the first round warms the file cache
                times[i].append((time.perf_counter() - t0) * 1000)
            if proc.returncode != 0:
                err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                return f"exit {proc.returncode}: {err[:120]}"
    return [Ms(statistics.median(t), min(t)) for t in times]


def peak_mb(code: str) -> float | str:
    """Peak resident memory (MB) of a child Python process running `code` (ru_maxrss of the children of
    a wrapper process, so no earlier child counts)."""
    wrapper = (
        "import resource, subprocess, sys\n"
        f"p = subprocess.run([sys.executable, '-c', {code!r}], capture_output=True, text=True)\n"
        "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.stderr.strip()[-200:])\n"
    )
    out = subprocess.run([sys.executable, "-c", wrapper], cwd=ROOT, capture_output=True, text=True).stdout.split(" ", 2)
    if out[0] != "0":
        return f"failed: {out[-1].strip() if len(out) > 2 else 'no output'}"
    return int(out[1]) / 1024


def main() -> None:
    print(f"machine: {machine()}")
    print(f"python {sys.version.split()[0]}; repeats {'reduced (--quick)' if QUICK else 'full'}; medians")
    r = 5 if QUICK else 1

    # -- deterministic run -------------------------------------------------------------------------
    scn8 = eight_channels(120)
    p8 = params_of(scn8)
    alloc8, _ = strategy_allocations(scn8)
    line("deterministic run(), 8 channels x 120 months x 3 strategies", median_ms(lambda: run(scn8), 50 // r),
         target="<= 5 ms")  # fmt: skip
    line("  engine only: evaluate(p, allocations), same scenario", median_ms(lambda: evaluate(p8, alloc8), 50 // r))

    # -- Monte Carlo in process --------------------------------------------------------------------
    scn36 = preset(36, 10_000)
    assert scn36.uncertainty is not None
    n_ranges = len(scn36.uncertainty.ranges)
    n_corr = len(scn36.uncertainty.correlations)
    print(f"Monte Carlo scenario: default preset, 36 months, {len(scn36.channel)} channels, {n_ranges} ranges, "
          f"{n_corr} correlation(s)")  # fmt: skip
    rep = max(3, 11 // r)
    p = params_of(scn36)
    for k, v in sample_inputs(scn36, 10_000, 1).items():
        p = p.set(k, v)
    alloc, _ = strategy_allocations(scn36)
    step = chunk_size(p, 3)

    def engine() -> None:
        for i in range(0, 10_000, step):
            evaluate(_slice(p, i, min(10_000, i + step)), alloc)

    parts: dict[str, Callable[[], Any]] = {
        "one": lambda: mc_json(scn36, 1, monthly=False),
        "many": lambda: mc_json(scn36, 10_000, monthly=False),
        "one_m": lambda: mc_json(scn36, 1, monthly=True),
        "many_m": lambda: mc_json(scn36, 10_000, monthly=True),
        "sampling": lambda: sample_inputs(scn36, 10_000, 1),
        "engine": engine,
    }
    rounds = interleaved_ms(parts, rep)  # each round times every part once: a load change hits all alike
    line("monte_carlo + to_json + json.dumps, 10,000 draws minus 1 draw (in process)",
         ms(rounds["many"], rounds["one"]), target="<= 150 ms")  # fmt: skip
    line(
        "  the same with the charts' monthly quantiles (as the app's Risk view)", ms(rounds["many_m"], rounds["one_m"])
    )
    line(f"  for scale: the engine alone on one thread, chunks of {step} draws", ms(rounds["engine"]))
    line("  for scale: sampling the 4 inputs (fits, copula, inverse CDFs)", ms(rounds["sampling"]))
    scn24 = preset(24, 2000)
    line("app's Risk view: monte_carlo 2,000 draws x 24 months, monthly quantiles", median_ms(
        lambda: mc_json(scn24, 2000, monthly=True), rep))  # fmt: skip

    # -- Monte Carlo through the CLI ---------------------------------------------------------------
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for n in (1, 10_000):
            files[n] = Path(tmp) / f"mc{n}.toml"
            files[n].write_text(dumps_scenario(preset(36, n)), encoding="utf-8")
        cli = cli_ms([files[1], files[10_000]], max(2, 7 // r))
        if isinstance(cli, str):
            print(f"CLI end to end: skipped, `python -m simulation run` fails ({cli})")
        else:
            line("CLI `run FILE --format json`, 10,000 draws minus 1 draw", cli[1] - cli[0], target="<= 150 ms")
            line("  CLI with 1 draw (process start, imports, deterministic run)", cli[0])

        # -- memory ----------------------------------------------------------------------------------
        big = Path(tmp) / "mc100k.toml"
        big.write_text(dumps_scenario(preset(120, 100_000)), encoding="utf-8")
        ok = not isinstance(cli, str)
        if ok:
            code = f"import sys, runpy; sys.argv = ['simulation', 'run', {str(big)!r}, '--format', 'json']\n"
            code += "sys.stdout = open('/dev/null', 'w'); runpy.run_module('simulation', run_name='__main__')"
            how = "CLI run --format json"
        else:
            code = (
                "import json; from simulation.schema import load_scenario; "
                "from simulation.analyses.montecarlo import monte_carlo; "
                f"mc = monte_carlo(load_scenario({str(big)!r})); "
                "json.dumps({**mc.to_json(), 'm': mc.monthly_quantiles_dict()}, allow_nan=False)"
            )
            how = "monte_carlo + JSON, monthly quantiles included (no CLI yet)"
        mb = peak_mb(code)
        if isinstance(mb, str):
            print(f"peak memory, 100,000 draws x 120 months: {mb}")
        else:
            line(f"peak memory, 100,000 draws x 120 months x 4 channels ({how})", mb, "MB", "<= 1024 MB")

    # -- decisions over 8 channels ---------------------------------------------------------------
    try:
        from simulation.analyses.optimize import optimize  # noqa: PLC0415
    except ImportError as exc:
        print(f"optimize: skipped ({exc})")
    else:
        try:
            line("optimize(objective='npv'), 8 channels x 120 months", median_ms(
                lambda: optimize(scn8, objective="npv"), max(1, 3 // r)), target="<= 1000 ms")  # fmt: skip
        except Exception as exc:  # noqa: BLE001 — a bench reports, it does not stop
            print(f"optimize: failed ({type(exc).__name__}: {exc})")
    try:
        from simulation.analyses.plan import two_phase  # noqa: PLC0415
    except ImportError as exc:
        print(f"two-phase plan: skipped ({exc})")
    else:
        try:
            line("two_phase plan, 8 channels x 120 months", median_ms(lambda: two_phase(scn8), max(1, 3 // r)),
                 target="<= 3000 ms")  # fmt: skip
        except Exception as exc:  # noqa: BLE001
            print(f"two-phase plan: failed ({type(exc).__name__}: {exc})")
    print(f"load average at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
