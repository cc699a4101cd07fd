"""Print median timings of the model: one deterministic run and 10,000 draws at once."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation import load_preset, params_of, run, simulate, summarize  # noqa: E402


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
        print(f"10,000 draws x 3 strategies x {horizon:3d} months, at once:           {t:8.1f} ms")


if __name__ == "__main__":
    main()
