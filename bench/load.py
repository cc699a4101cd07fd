"""Load: 20 real-browser sessions editing at once against one app process on loopback.

    .venv/bin/python bench/load.py [--sessions 20] [--rounds 3]

One `streamlit run` (tests/browser_harness.start_app), one headless Chromium with a context per session, driven by
asyncio Playwright. Session i opens its own scenario (the default preset with its own monthly budget), then in
every round all sessions type a new budget into the same number box at the same moment and wait until the
strategies' comparison on screen equals the model's for that session's scenario. Printed: errors (exceptions on
the page, console errors, timeouts), state leaks (a session whose final numbers are not its own scenario's), the
edit → updated page latency (p50, p95, max) and the server's memory before and after. Timings are reported, never
asserted."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from apptest_helpers import expected_table  # noqa: E402
from browser_harness import ARGS, CHROMIUM, free_port, start_app  # noqa: E402
from playwright.async_api import Page, async_playwright  # noqa: E402

from simulation import load_preset, with_values  # noqa: E402

TABLE = "[data-testid='stMain'] [data-testid='stMarkdown'] table"
BOX = "Monthly budget ($)"
TIMEOUT = 60.0  # s: an edit not shown by then is an error


@dataclass
class Session:
    index: int
    budget: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    leaked: bool = False


def rss_mb(pid: int) -> tuple[float, float]:
    """The process's resident memory now and at its peak (MB), from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    got = {line.split(":")[0]: float(line.split()[1]) / 1024 for line in status.splitlines()
           if line.startswith(("VmRSS", "VmHWM"))}  # fmt: skip
    return got["VmRSS"], got["VmHWM"]


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def want(budget: float) -> dict[str, list[str]]:
    return expected_table(with_values(load_preset("default"), {"budget.monthly": budget}))


async def shown(page: Page) -> dict[str, list[str]] | None:
    try:
        rows = await page.eval_on_selector(
            TABLE, "t => [...t.rows].slice(1).map(r => [...r.cells].map(c => c.innerText))"
        )
    except Exception:  # the table is being redrawn
        return None
    clean = [[c.replace("\u00a0", " ").replace("★", "").strip() for c in r] for r in rows]
    return {r[0]: r[1:] for r in clean if r}


async def until_shown(page: Page, expected: Any, read: Any = None, timeout: float = TIMEOUT) -> float | None:
    """Seconds until the page shows `expected` (None on timeout); `read` reads it (default: the comparison)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if await (read or shown)(page) == expected:
            return time.perf_counter() - start
        await asyncio.sleep(0.03)
    return None


async def page_errors(page: Page) -> list[str]:
    return [t[:200] for t in await page.locator("[data-testid='stException']").all_inner_texts()]


@dataclass(frozen=True)
class Target:
    """What the sessions open and edit: the app (its comparison table) or the yardstick (a number box and a metric)."""

    app: str  # the script `streamlit run` serves
    link: Any  # value → the link's query string
    box: str  # the number box's label
    expected: Any  # value → what the page shows for it
    shown: Any  # async page → what the page shows now
    first: Any  # session index → its first value
    step: Any  # (session index, round) → the value typed in that round


async def metric_shown(page: Page) -> str | None:
    try:
        return (await page.get_by_test_id("stMetricValue").first.inner_text()).strip()
    except Exception:
        return None


APP = Target("dashboard/app.py", lambda v: f"budget.monthly={v:g}", BOX, lambda v: want(v), lambda p: shown(p),
             lambda i: 30000.0 + 1000.0 * i, lambda i, r, v: v + 1000 * (r + 1) + i)  # fmt: skip
# The browser yardstick (bench/minimal_app.py): a bound number box (CPL), a metric (leads = 40,000 / CPL), a chart.
YARDSTICK = Target("bench/minimal_app.py", lambda v: f"gs=40000&gcpl={v:g}", "CPL", lambda v: f"{40000 / v:,.0f}",
                   metric_shown, lambda i: 20.0 + i, lambda i, r, v: 20.0 + 20 * (r + 1) + i)  # fmt: skip


async def drive(browser, base: str, s: Session, rounds: int, barrier: list[asyncio.Barrier], t: Target) -> None:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.on("console", lambda m: s.errors.append(f"console: {m.text[:200]}") if m.type == "error" else None)
    page.on("pageerror", lambda e: s.errors.append(f"page: {str(e)[:200]}"))
    try:
        await page.goto(f"{base}/?{t.link(s.budget)}", timeout=TIMEOUT * 1000)
        if await until_shown(page, t.expected(s.budget), t.shown) is None:
            s.errors.append("the first load did not show the session's numbers")
        for r in range(rounds):
            new = t.step(s.index, r, s.budget)  # a value no other session types
            box = page.get_by_role("spinbutton", name=t.box, exact=True)
            await box.fill(f"{new:g}")
            expected = t.expected(new)
            await barrier[r].wait()  # every session presses Enter at the same moment
            await box.press("Enter")
            took = await until_shown(page, expected, t.shown)
            if took is None:
                s.errors.append(f"round {r + 1}: the numbers were not updated within {TIMEOUT:.0f} s")
            else:
                s.latencies.append(took)
            s.budget = new
        s.errors += await page_errors(page)
        final = await t.shown(page)
        s.leaked = final != t.expected(s.budget)
    except Exception as exc:  # a timeout or a closed page: an error of this session
        s.errors.append(f"{exc.__class__.__name__}: {str(exc)[:200]}")
        for b in barrier:  # never leave the others waiting
            b.abort()
    finally:
        await ctx.close()


async def main_async(n: int, rounds: int, t: Target = APP) -> int:
    port = free_port()
    data = tempfile.mkdtemp(prefix="acqlab-load-")
    proc = start_app(port, {"ACQLAB_DATA_DIR": data}, script=t.app)
    base = f"http://127.0.0.1:{port}"
    try:
        before, cpu0 = rss_mb(proc.pid), cpu_s(proc.pid)
        sessions = [Session(i, t.first(i)) for i in range(n)]
        barrier = [asyncio.Barrier(n) for _ in range(rounds)]
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            start = time.perf_counter()
            await asyncio.gather(*(drive(browser, base, s, rounds, barrier, t) for s in sessions))
            wall = time.perf_counter() - start
            await browser.close()
        after, cpu1, load = rss_mb(proc.pid), cpu_s(proc.pid), os.getloadavg()[0]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    lat = sorted(x for s in sessions for x in s.latencies)
    errors = [f"session {s.index}: {e}" for s in sessions for e in s.errors]
    leaks = [s.index for s in sessions if s.leaked]

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, round(q * (len(lat) - 1)))] if lat else float("nan")

    print(f"{t.app}: sessions {n}, rounds {rounds} (every session edits at once), wall {wall:.1f} s")
    print(f"edits shown {len(lat)} of {n * rounds}; errors {len(errors)}; state leaks {len(leaks)} {leaks or ''}")
    if lat:
        print(f"edit -> updated page: p50 {pct(0.5):.2f} s, p95 {pct(0.95):.2f} s, max {lat[-1]:.2f} s, "
              f"mean {statistics.mean(lat):.2f} s")  # fmt: skip
    print(f"server CPU {cpu1 - cpu0:.1f} s over {wall:.0f} s ({(cpu1 - cpu0) / max(1, n * (rounds + 1)):.2f} s per "
          f"page load or edit; one Python process: its reruns share one core); load average {load:.1f} on "
          f"{os.cpu_count()} cores")  # fmt: skip
    print(f"server RSS: before {before[0]:.0f} MB, after {after[0]:.0f} MB, peak {after[1]:.0f} MB")
    for e in errors[:20]:
        print("  " + e)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--yardstick", action="store_true",
                    help="also run the same protocol against bench/minimal_app.py (a number box, a metric, a chart), "
                         "in the same run, as the baseline")  # fmt: skip
    args = ap.parse_args()
    code = asyncio.run(main_async(args.sessions, args.rounds))
    if args.yardstick:
        code |= asyncio.run(main_async(args.sessions, args.rounds, YARDSTICK))
    return code


if __name__ == "__main__":
    sys.exit(main())
