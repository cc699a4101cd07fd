"""Bounded work: the worst link costs under 1 s of CPU and 500 MB; the shared caches stay within their byte budget
(least recently used first out), a hit is the very object computed; the production configuration."""

from __future__ import annotations

import threading
import time
import tomllib
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import unescape
from test_fuzz_links import open_page

from dashboard import api
from dashboard.api import ByteCache, deep_size
from simulation import load_preset, validate_scenario
from simulation.calibrate import MAX_EXPORT_BYTES
from simulation.schema import numeric_fields, scenario_dict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = load_preset("default")
SIX = ["budget.monthly", "economics.revenue_per_customer_month", "economics.gross_margin", "economics.monthly_churn",
       "channel.content.cost_per_lead", "channel.vendor_shared.cost_per_lead"]  # fmt: skip


def worst(seed: int) -> list[tuple[str, str]]:
    """The issue's worst link: Risk over 120 months with 100,000 draws and six ranges (±20 % of each value)."""
    values = numeric_fields(DEFAULT)
    ranges = ",".join(f"{k}:{values[k] * 0.8:g}:{values[k] * 1.2:g}" for k in SIX)
    return [("view", "Risk"), ("horizon_months", "120"), ("draws", "100000"), ("ranges", ranges), ("seed", str(seed))]


@pytest.fixture(scope="module")
def warm() -> None:
    """Everything imported and drawn once (another link: the default preset's Risk view)."""
    open_page([("view", "Risk"), ("seed", "11")])


def test_the_worst_link_costs_under_1_s_of_cpu(warm):
    before = time.process_time()
    at = open_page(worst(seed=90_001))
    cpu = time.process_time() - before
    assert not at.exception
    # draws × months are capped in the app: 360,000 / 120 months = 3,000 draws, with a note saying so
    assert any("it uses 3,000" in unescape(c.value) for c in at.caption)
    assert cpu < 1.0, f"{cpu:.2f} s of CPU"


def test_the_worst_link_uses_under_500_mb(warm):
    tracemalloc.start()
    try:
        at = open_page(worst(seed=90_002))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not at.exception
    assert peak < 500 * 1024**2, f"{peak / 1024**2:.0f} MB at the peak"


def test_new_seeds_keep_the_caches_within_their_byte_budget(warm, monkeypatch):
    cache = ByteCache(3 * 1024**2)  # 3 MB: room for about three of these Monte Carlos and their runs
    monkeypatch.setattr(api, "CACHE", cache)
    seen = []
    for seed in range(90_010, 90_015):  # five links, each a new seed: a new Monte Carlo
        assert not open_page(worst(seed)).exception
        assert 0 < cache.bytes <= cache.max_bytes
        seen.append(cache.bytes)
    assert cache.entries("monte_carlo") < 5  # the oldest were let go
    scn = validate_scenario({**scenario_dict(DEFAULT), "uncertainty": {"draws": 500, "seed": 3}})
    first = api.monte_carlo(scn)
    assert api.monte_carlo(scn) is first  # a hit is the object computed, not a copy
    assert api.simulate(scn) is api.simulate(scn)


def test_the_default_budget_is_200_mb():
    assert api.CACHE.max_bytes == 200 * 1024**2


# ---- the byte-budgeted cache on its own -------------------------------------------------------------------


@dataclass
class Pair:
    a: np.ndarray
    b: np.ndarray


def test_sizes_count_buffers_frames_and_shared_parts_once():
    x = np.zeros(1000)  # 8,000 bytes of data
    assert 8000 <= deep_size(x) <= 8000 + 200
    assert 8000 <= deep_size(pd.DataFrame({"a": x})) <= 8000 + 400
    assert 16_000 <= deep_size(Pair(x, np.ones(1000))) <= 16_000 + 600
    assert deep_size(Pair(x, x)) <= 8000 + 600  # the same array twice is held once
    assert deep_size({"k": [b"y" * 50_000]}) >= 50_000


def kept(cache: ByteCache) -> list[int]:
    return [k[1] for k in cache._items]


def test_the_least_recently_used_go_first_when_the_bytes_run_out():
    cache = ByteCache(100_000)
    array = {i: np.full(2500, float(i)) for i in range(6)}  # 20,000 bytes (and a header) each
    for i in range(4):
        cache.get_or_compute(("f", i), lambda i=i: array[i], max_entries=100)
    assert cache.get_or_compute(("f", 0), lambda: pytest.fail("a hit computes nothing"), 100) is array[0]
    cache.get_or_compute(("f", 4), lambda: array[4], 100)  # 5 × 20 kB > 100 kB: the least recently used (1) goes
    assert kept(cache) == [2, 3, 0, 4]
    assert cache.bytes <= 100_000
    big = np.zeros(5000)  # 40 kB: over a quarter of the budget, returned but never kept
    assert cache.get_or_compute(("f", 9), lambda: big, 100) is big
    assert kept(cache) == [2, 3, 0, 4]


def test_each_function_keeps_at_most_its_entries():
    cache = ByteCache(10**9)
    for i in range(5):
        cache.get_or_compute(("f", i), lambda i=i: i, max_entries=2)
        cache.get_or_compute(("g", i), lambda i=i: i, max_entries=3)
    assert [(k[0], k[1]) for k in cache._items] == [("g", 2), ("f", 3), ("g", 3), ("f", 4), ("g", 4)]
    assert cache.entries("f") == 2 and cache.entries("g") == 3


def test_concurrent_requests_for_one_key_compute_once():
    cache = ByteCache(10**9)
    calls = []

    def slow() -> object:
        calls.append(1)
        time.sleep(0.2)
        return object()

    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get_or_compute(("f", 1), slow, 8))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(got) == 8 and all(g is got[0] for g in got)


def test_a_failed_computation_is_not_kept():
    cache = ByteCache(10**9)
    with pytest.raises(ZeroDivisionError):
        cache.get_or_compute(("f", 1), lambda: 1 / 0, 8)
    assert cache.get_or_compute(("f", 1), lambda: 7, 8) == 7


# ---- production configuration -------------------------------------------------------------------------------


def test_the_streamlit_configuration_is_for_production():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    server, client = config["server"], config["client"]
    assert server["enableXsrfProtection"] is True
    assert server["maxUploadSize"] == 50 == MAX_EXPORT_BYTES // 1024**2  # MB: the calibration's limit
    assert server["enableStaticServing"] is False
    assert client["showErrorDetails"] == "none"
    assert server["headless"] is True and server["runOnSave"] is False and server["fileWatcherType"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert client["toolbarMode"] == "minimal"
