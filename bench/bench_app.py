"""Print the median server-side rerun time after one input change, and the first load in a browser."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402


def rerun_median(n: int = 30, params: dict[str, str] | None = None) -> tuple[float, float]:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    times = []
    prices = [85.0 + i for i in range(1, n + 1)]  # every rerun a new scenario: no cache hit
    for price in prices:
        widget = at.number_input(key="channel.vendor_shared.cost_per_lead").set_value(price)
        t0 = time.perf_counter()
        widget.run()
        times.append((time.perf_counter() - t0) * 1000)
        assert not at.exception
    cached = []
    for price in prices[:10]:  # the same scenarios again: served from the cache
        widget = at.number_input(key="channel.vendor_shared.cost_per_lead").set_value(price)
        t0 = time.perf_counter()
        widget.run()
        cached.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), statistics.median(cached)


def first_load(n: int = 5) -> float | None:
    """Seconds from navigation to the headline cards visible, median of n, or None without a browser."""
    import socket
    import subprocess
    import urllib.request

    if not Path("/usr/bin/chromium").exists():
        return None
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        times = []
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            for i in range(n):
                page = b.new_page(viewport={"width": 1280, "height": 720})
                t0 = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/?budget.monthly={41000 + 100 * i}&v=2")
                page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
                page.wait_for_selector(".js-plotly-plot", timeout=60_000)
                times.append(time.perf_counter() - t0)
                page.close()
            b.close()
        return statistics.median(times)
    finally:
        proc.terminate()


def main() -> None:
    fresh, cached = rerun_median()
    print(f"rerun after one input change (model + charts), server-side median: {fresh:7.1f} ms (target <= 250 ms)")
    print(f"rerun of a scenario already in the cache, median:                  {cached:7.1f} ms")
    ranges = "channel.vendor_shared.cost_per_lead:80:100,channel.content.sql_to_customer:0.2:0.3,channel.content.nurture_months:2:6"
    risk, risk_cached = rerun_median(15, {"view": "Risk", "ranges": ranges})
    print(f"Risk view rerun, 2,000 draws, after one input change, median:      {risk:7.1f} ms (target <= 500 ms)")
    opt, _ = rerun_median(10, {"view": "Optimize"})
    print(f"Optimize view rerun after one input change, median:                {opt:7.1f} ms")
    sens, _ = rerun_median(10, {"view": "Sensitivity"})
    print(f"Sensitivity view rerun after one input change, median:             {sens:7.1f} ms")
    load = first_load()
    if load is None:
        print("first load in a browser: skipped (no /usr/bin/chromium)")
    else:
        print(f"first load of a link until cards and charts show, median:          {load:7.2f} s (target <= 3 s)")


if __name__ == "__main__":
    main()
