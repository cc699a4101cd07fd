"""Print median timings of the model: one deterministic run and 10,000 draws at once."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation import load_preset, params_of, run, simulate, summarize, validate_scenario  # noqa: E402
from simulation.decisions import Constraint, breakeven, optimize_share, sensitivity, two_phase  # noqa: E402
from simulation.uncertainty import monte_carlo, sample_inputs  # noqa: E402

RANGES = {"buy.cost_per_lead": [90.0, 140.0], "generate.sql_to_customer": [0.15, 0.30],
          "generate.nurture_months": [2.0, 6.0]}  # fmt: skip


def median_ms(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    scn = load_preset("default").model_copy(update={"horizon_months": 120})
    p = params_of(scn)
    core = median_ms(lambda: summarize(p, simulate(p, 120)), 200)
    full = median_ms(lambda: run(scn).summary_dict(), 100)
    frames = median_ms(lambda: (lambda r: (r.monthly, r.summary))(run(scn)), 50)
    print(f"deterministic run, 3 strategies x 120 months, model only:   {core:8.2f} ms (target <= 5 ms)")
    print(f"deterministic run incl. summary dict:                       {full:8.2f} ms")
    print(f"deterministic run incl. monthly + summary DataFrames:       {frames:8.2f} ms")
    for horizon in (36, 120):
        n = 10_000
        rng = np.random.default_rng(0)
        draws = {k: np.repeat(v, n) * rng.uniform(0.9, 1.0, n) for k, v in params_of(scn).items()}
        t = median_ms(lambda d=draws, h=horizon: summarize(d, simulate(d, h)), 7)
        print(f"10,000 draws x 3 strategies x {horizon:3d} months, every input drawn:  {t:8.1f} ms")

    # Monte Carlo as the product runs it: the three ranges, 36 months
    d = load_preset("default").model_dump()
    d["horizon_months"] = 36
    d["uncertainty"] = {"draws": 10_000, "seed": 1, "ranges": RANGES}
    scn36 = validate_scenario(d)
    p = sample_inputs(scn36, 10_000, 1)
    engine = median_ms(lambda: summarize(p, simulate(p, 36)), 9)
    print(f"10,000 draws x 3 strategies x  36 months, 3 ranges, engine:      {engine:8.1f} ms (target <= 100 ms)")
    full = median_ms(lambda: monte_carlo(scn36), 5)
    print(f"  the same with sampling and all quantiles (monte_carlo):         {full:8.1f} ms")
    singles = [{k: v[i : i + 1] if v.shape[0] > 1 else v for k, v in p.items()} for i in range(1000)]
    t0 = time.perf_counter()
    for one in singles:
        summarize(one, simulate(one, 36))
    loop = (time.perf_counter() - t0) * 1000 * 10  # 1,000 measured, scaled to 10,000
    print(
        f"  the same as a Python loop over draws (1,000 timed, x10):      {loop:8.0f} ms  -> {loop / engine:,.0f}x slower"
    )
    d["uncertainty"]["draws"] = 2000
    d["horizon_months"] = 24
    risk = median_ms(lambda: monte_carlo(validate_scenario(d)), 9)
    print(f"Risk view's Monte Carlo, 2,000 draws x 24 months (uncached):     {risk:8.1f} ms")

    scn = load_preset("default")
    opt = median_ms(lambda: optimize_share(scn, "roi"), 5)
    opt_c = median_ms(lambda: optimize_share(scn, "cac", Constraint(83, 12)), 5)
    plan = median_ms(lambda: two_phase(scn, "roi"), 5)
    print(f"optimize (best share, ROI):                                       {opt:8.1f} ms (target <= 1000 ms)")
    print(f"optimize with a binding customer floor (CAC, >= 83 by month 12): {opt_c:8.1f} ms")
    print(f"two-phase plan incl. its best constant share:                     {plan:8.1f} ms")
    print(
        f"break-even (solved):                                              {median_ms(lambda: breakeven(scn), 9):8.1f} ms"
    )
    print(
        f"sensitivity (tornado, 22 inputs x 2):                             {median_ms(lambda: sensitivity(scn), 9):8.1f} ms"
    )


if __name__ == "__main__":
    main()
