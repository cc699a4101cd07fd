"""Print the dashboard's speed side by side with a minimal Streamlit app, in one run; asserts nothing.

Figures (issue 9's "must show", PRODUCT.md "Dashboard contract, version 2" → "Speed"):
1. first load of a link in a real browser (Debian's Chromium through Playwright), from `page.goto` until every
   number on screen is final, against the minimal app (`bench/minimal_app.py`): target <= 2x;
2. an edit (a new value typed into the "Monthly budget" box, Enter) until every number on screen is updated,
   against the same edit of the minimal app's number box: target <= 2x;
3. a server rerun (AppTest, no browser) after a budget change, default preset: target <= 150 ms; the Risk view with
   10,000 draws: target <= 1 s, with each request's CPU time (<= 1 s) and peak memory growth (<= 500 MB).
Browser loads and edits alternate between the two apps (A, B, A, B, ...) so that a change in the machine's load hits
both alike. The app is driven through the link and through what a user sees (labels, text on screen), not through
its widget keys, so that the bench survives changes to the page.

"Every number final" is what Streamlit's own end-to-end tests wait for (the app's `data-test-script-state` is
`notRunning`), plus: no status widget, nothing stale, no exception, as many metrics and tables visible and the
verdict and first chart drawn as a first, untimed look at the page found, and the main area's text (numbers, verdict,
tables, chart labels) unchanged for 100 ms; after an edit, that text must also differ from before. Each timing is the
first moment of that unchanged stretch. Milestones on the way say where the time went: the server's script run
(logged by a wrapper around Streamlit's ScriptRunner in the bench's own server process, with its CPU time) and the
page's main-thread busy time (DevTools). A sampling profile of a few AppTest reruns (all threads) splits the server's
time into model, Monte Carlo, chart building and Streamlit.

Run: .venv/bin/python bench/bench_app.py [--quick] [--no-browser] [--no-profile] [--browser-profile]
(--browser-profile adds DevTools' JavaScript profile of one first load and three edits of the app.)
"""

from __future__ import annotations

import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APP = ROOT / "dashboard" / "app.py"
MINIMAL = ROOT / "bench" / "minimal_app.py"
CHROMIUM = Path("/usr/bin/chromium")
QUICK = "--quick" in sys.argv
LOADS, EDITS, RERUNS = (3, 4, 8) if QUICK else (7, 10, 20)
BUDGET_LABEL = re.compile(r"^\s*Monthly budget")  # the app's budget box, found by what the user reads
MINIMAL_LABEL = "CPL"  # the minimal app's number box
# The verdict sentence as simulation.narrate writes it ("Choose Buy: ...", "Buy creates ...", "No strategy earns ...").
VERDICT = r"(\bChoose \w|\bcreates\b.*\blifetime value|\bNo strategy earns\b)"
QUIET_S = 0.1  # a page counts as settled when what it shows has not changed for this long
VIEWPORT = {"width": 1440, "height": 900}


# ---- output ---------------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                model = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"nproc {len(os.sched_getaffinity(0))} (of {os.cpu_count()} CPUs), {model}"


def load_avg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def spread(xs: list[float], scale: float = 1.0, unit: str = "") -> str:
    if not xs:
        return "no sample"
    return f"{min(xs) * scale:.{1 if unit == 'ms' else 2}f}–{max(xs) * scale:.{1 if unit == 'ms' else 2}f} {unit}"


def side_by_side(label: str, app: list[float], ref: list[float], target: float, unit: str = "s") -> None:
    """One figure: the app's median, the minimal app's, the ratio and the target ratio."""
    scale = 1000.0 if unit == "ms" else 1.0
    a, b = med(app) * scale, med(ref) * scale
    ratio = a / b if b else float("nan")
    verdict = "ok" if ratio <= target else "OVER"
    digits = 1 if unit == "ms" else 2
    print(f"{label:<62} app {a:7.{digits}f} {unit}  minimal {b:7.{digits}f} {unit}  ratio {ratio:5.2f}x  "
          f"target <= {target:g}x  {verdict}")  # fmt: skip
    fast = min(app) / min(ref) if app and ref else float("nan")
    print(f"    n = {len(app)} / {len(ref)}; range app {spread(app, scale, unit)}, minimal {spread(ref, scale, unit)}; "
          f"fastest / fastest {fast:.2f}x (the least disturbed by other load)")  # fmt: skip


def single(label: str, value: float, unit: str, target: float | None = None, extra: str = "") -> None:
    digits = 0 if unit == "MB" and value >= 100 else 1
    text = f"{label:<62} {value:9.{digits}f} {unit}"
    if target is not None:
        text += f"  target <= {target:g} {unit}  ({value / target:.2f} of it)  {'ok' if value <= target else 'OVER'}"
    print(text + (f"  {extra}" if extra else ""))


# ---- the two servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The servers run under this wrapper: Streamlit's own `streamlit run`, with each script run's start and end (epoch
# seconds) and the server process's CPU time during it appended to the file $BENCH_RUN_LOG, so that a browser figure
# can be split into the server's part and the browser's. It wraps Streamlit's ScriptRunner in the bench's own server
# process; the app is not touched.
SERVER = """
import os, sys, time
try:
    from streamlit.runtime.scriptrunner import script_runner as _sr
    _log = open(os.environ["BENCH_RUN_LOG"], "a", buffering=1)
    _inner = _sr.ScriptRunner._run_script

    def _timed(self, rerun_data):
        t0, c0 = time.time(), time.process_time()
        try:
            return _inner(self, rerun_data)
        finally:
            _log.write(f"{t0:.6f} {time.time():.6f} {time.process_time() - c0:.6f}\\n")

    _sr.ScriptRunner._run_script = _timed
except Exception as exc:  # another Streamlit: run without the log
    print("bench: no script-run log:", exc, file=sys.stderr)
from streamlit.web import cli
sys.argv = ["streamlit", "run", *sys.argv[1:]]
cli.main(prog_name="streamlit")
"""


@dataclass
class Server:
    url: str
    log: Path

    def runs(self, since: float, until: float) -> list[tuple[float, float, float]]:
        """The script runs (start, end: epoch seconds; the process's CPU seconds) that started in [since, until]."""
        out = []
        try:
            for row in self.log.read_text().splitlines():
                a, b, c = (float(x) for x in row.split())
                if since <= a <= until:
                    out.append((a, b, c))
        except (OSError, ValueError):
            pass
        return out


@contextmanager
def server(script: Path) -> Iterator[Server]:
    """A Streamlit server for `script` on a free loopback port (no file watcher: the code under test stays the
    code that was loaded, even while others edit files)."""
    port = free_port()
    tmp = tempfile.TemporaryDirectory()
    log, runs = Path(tmp.name) / "server.log", Path(tmp.name) / "runs.log"
    cmd = [sys.executable, "-c", SERVER, str(script), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false"]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "BENCH_RUN_LOG": str(runs)})  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                break
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        if proc.poll() is not None:
            raise RuntimeError(f"{script.name} did not start: {log.read_text(errors='replace')[-300:]}")
        yield Server(url, runs)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        tmp.cleanup()


# ---- the browser: what the page shows ------------------------------------------------------------------

# One look at the page: is the script done (Streamlit's own state attribute, no status widget, nothing stale), how
# many numbers are visible, is the verdict there, is the first chart drawn; and the text of the main area (every
# number, the verdict, tables and the charts' tick labels) to see when it changes and when it stops changing.
LOOK = """(req) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const state = app ? app.getAttribute('data-test-script-state') : null;
  const conn = app ? app.getAttribute('data-test-connection-state') : null;
  const busy = !app || state !== 'notRunning' || (conn !== null && conn !== 'CONNECTED')
    || !!document.querySelector('[data-testid="stStatusWidget"]') || !!document.querySelector('[data-stale="true"]');
  const main = document.querySelector('[data-testid="stMain"]') || document.querySelector('section.main')
    || document.body;
  const seen = (e) => (e.checkVisibility ? e.checkVisibility() : e.offsetParent !== null);
  const metrics = [...main.querySelectorAll('[data-testid="stMetricValue"]')]
    .filter((e) => seen(e) && e.textContent.trim() !== '').length;
  const tables = [...main.querySelectorAll(
      '[data-testid="stTable"], [data-testid="stDataFrame"], [data-testid="stMarkdownContainer"] table')]
    .filter(seen).length;
  const re = new RegExp(req.verdict);
  const verdict = [...main.querySelectorAll(
      '[data-testid="stAlert"], [data-testid="stMarkdownContainer"], [data-testid="stHeading"]')]
    .some((e) => seen(e) && re.test(e.textContent));
  const plot = main.querySelector('.js-plotly-plot');
  const chart = !!(plot && seen(plot) && plot.querySelector('.main-svg .trace, .main-svg .hm, .main-svg .slice'));
  const error = main.querySelector('[data-testid="stException"]');
  const ready = !busy && !error && metrics >= req.metrics && tables >= req.tables
    && (verdict || !req.need_verdict) && (chart || !req.need_chart);
  return {ready, busy, state, metrics, tables, verdict, chart, error: error ? error.textContent.slice(0, 200) : null,
    sig: main.textContent};
}"""


@dataclass
class Page:
    """What a page needs to show before its numbers count as final (learnt from a first, untimed look)."""

    metrics: int = 0
    tables: int = 0
    need_verdict: bool = False
    need_chart: bool = False
    verdict: str = VERDICT

    def req(self) -> dict[str, Any]:
        return {"metrics": self.metrics, "tables": self.tables, "need_verdict": self.need_verdict,
                "need_chart": self.need_chart, "verdict": self.verdict}  # fmt: skip

    def describe(self) -> str:
        parts = [f"{self.metrics} st.metric(s) and {self.tables} table(s) visible"]
        if self.need_verdict:
            parts.append("the verdict")
        if self.need_chart:
            parts.append("the first Plotly chart drawn")
        return ", ".join(parts) + ", the script finished, no status widget, nothing stale"


@dataclass
class Settled:
    """When a page settled, in seconds from t0, with milestones on the way."""

    total: float
    marks: dict[str, float] = field(default_factory=dict)
    busy: float | None = None  # seconds the page's main thread was busy (DevTools' TaskDuration)
    server_cpu: float | None = None  # CPU seconds of the server process during its script run(s)


class Clock:
    """Starts a timing: the bench's clock, the wall clock (to place the server's script runs) and the page's main
    thread busy time (through the DevTools protocol)."""

    def __init__(self, cdp: Any) -> None:
        self.cdp = cdp
        self.busy0 = self.task_duration()
        self.epoch = time.time()
        self.t0 = time.perf_counter()

    def task_duration(self) -> float:
        try:
            return next(m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]
                        if m["name"] == "TaskDuration")  # fmt: skip
        except Exception:  # noqa: BLE001 — a page being replaced has no metrics
            return float("nan")

    def finish(self, settled: Settled, srv: Server) -> Settled:
        settled.busy = self.task_duration() - self.busy0
        runs = srv.runs(self.epoch - 0.02, self.epoch + settled.total)
        if runs:
            settled.marks["server run start"] = runs[0][0] - self.epoch
            settled.marks["server run end"] = max(b for _, b, _ in runs) - self.epoch
            settled.server_cpu = sum(c for _, _, c in runs)
        return settled


def devtools(ctx: Any, page: Any) -> Any:
    cdp = ctx.new_cdp_session(page)
    cdp.send("Performance.enable")
    return cdp


class Timeout(Exception):
    pass


def look(page: Any, req: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return page.evaluate(LOOK, req)
    except Exception:  # noqa: BLE001 — a page in the middle of navigating has no document to read yet
        return None


def settle(page: Any, req: dict[str, Any], t0: float, before: str | None = None, timeout: float = 60.0) -> Settled:
    """Poll the page every ~10 ms until it is ready (and, after an edit, shows something other than `before`) and
    stays the same for QUIET_S; the time is the first look of that unchanged stretch."""
    marks: dict[str, float] = {}
    since: float | None = None
    last: str | None = None
    saw_running = False
    while True:
        now = time.perf_counter()
        s = look(page, req)
        if s is not None:
            t = now - t0
            changed = before is None or s["sig"] != before
            if s["state"] == "running" and not saw_running:
                saw_running = True
                marks.setdefault("script running", t)
            if changed and not s["busy"] and (saw_running or before is not None):
                marks.setdefault("script done", t)
            if before is not None and changed:
                marks.setdefault("first change on screen", t)
            elif (
                changed
                and s["metrics"] >= req["metrics"]
                and s["tables"] >= req["tables"]
                and (s["verdict"] or not req["need_verdict"])
            ):
                marks.setdefault("numbers shown", t)
            if before is None and s["chart"]:
                marks.setdefault("chart drawn", t)
            if s["error"] and not s["busy"]:
                raise Timeout(f"the page shows an exception: {s['error']}")
            if s["ready"] and changed:
                if since is not None and s["sig"] == last:
                    if now - since >= QUIET_S:
                        return Settled(since - t0, marks)
                else:
                    since, last = now, s["sig"]
            else:
                since = last = None
        if now - t0 > timeout:
            raise Timeout(f"not settled after {timeout:.0f} s: {s and {k: v for k, v in s.items() if k != 'sig'}}")
        time.sleep(0.01)


def learn(browser: Any, url: str) -> Page:
    """Open a page once (untimed; it also warms the server) and see what it shows when it has settled: how many
    metrics, whether the verdict and a chart are there. Later loads wait for exactly that."""
    ctx = browser.new_context(viewport=VIEWPORT)
    try:
        page = ctx.new_page()
        page.goto(url, wait_until="domcontentloaded")
        t0 = time.perf_counter()
        settle(page, Page().req(), t0)
        # settled once; now wait until nothing has changed for 1.5 s (charts load their code lazily)
        quiet_since, last = time.perf_counter(), None
        while time.perf_counter() - quiet_since < 1.5 and time.perf_counter() - t0 < 60:
            s = look(page, Page().req())
            if s is not None and s["sig"] != last:
                quiet_since, last = time.perf_counter(), s["sig"]
            time.sleep(0.05)
        s = look(page, Page().req()) or {}
        return Page(metrics=int(s.get("metrics", 0)), tables=int(s.get("tables", 0)),
                    need_verdict=bool(s.get("verdict")), need_chart=bool(s.get("chart")))  # fmt: skip
    finally:
        ctx.close()


def first_load(browser: Any, srv: Server, link: str, want: Page) -> Settled:
    ctx = browser.new_context(viewport=VIEWPORT)  # fresh: no cookies, no cached scripts, a new session
    try:
        page = ctx.new_page()
        clock = Clock(devtools(ctx, page))
        page.goto(srv.url + link, wait_until="commit")
        return clock.finish(settle(page, want.req(), clock.t0), srv)
    finally:
        ctx.close()


@dataclass
class Editor:
    """An open page and its number box, ready for timed edits."""

    srv: Server
    ctx: Any
    page: Any
    cdp: Any
    box: Any
    want: Page
    why_not: str | None = None


def open_editor(browser: Any, srv: Server, link: str, label: str | re.Pattern[str], want: Page) -> Editor:
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    cdp = devtools(ctx, page)
    page.goto(srv.url + link, wait_until="commit")
    settle(page, want.req(), time.perf_counter())
    box = page.get_by_label(label).and_(page.locator("input")).first
    if box.count() and not box.is_visible():  # in a closed expander: open it as a user would
        page.locator("[data-testid='stExpander']", has=box).locator("summary").first.click()
        page.wait_for_timeout(300)
    why = None if box.count() and box.is_visible() else f"no visible number box labelled {label!r}"
    return Editor(srv, ctx, page, cdp, box, want, why)


def edit(ed: Editor, value: float) -> Settled:
    """Type `value`, press Enter; time until every number on screen has changed and settled."""
    before = look(ed.page, ed.want.req())
    assert before is not None
    ed.box.fill(f"{value:g}")
    clock = Clock(ed.cdp)
    ed.box.press("Enter")
    return clock.finish(settle(ed.page, ed.want.req(), clock.t0, before=before["sig"], timeout=30), ed.srv)


def report(what: str, app_runs: list[Settled], min_runs: list[Settled], failures: list[str]) -> None:
    """The app against the minimal app for one measure: medians and ratio, each side's marks, the failures."""
    side_by_side(what, [r.total for r in app_runs], [r.total for r in min_runs], 2.0)
    if app_runs and min_runs:
        print(marks_line("app", app_runs))
        print(marks_line("minimal", min_runs))
    for f in failures:
        print(f"    failed: {f}")


def marks_line(name: str, runs: list[Settled]) -> str:
    keys: list[str] = []
    for r in runs:
        keys += [k for k in r.marks if k not in keys]
    keys.sort(key=lambda k: med([r.marks[k] for r in runs if k in r.marks]))
    parts = [f"{k} {med([r.marks[k] for r in runs if k in r.marks]):.2f}" for k in keys]
    busy = med([r.busy for r in runs if r.busy is not None])
    cpu = med([r.server_cpu for r in runs if r.server_cpu is not None])
    settled = med([r.total for r in runs])
    return (f"    {name:<8} median milestones (s): " + ", ".join(parts) + f", settled {settled:.2f}\n"
            f"             busy (s): the page's main thread {busy:.2f}; the server process during its run {cpu:.2f} CPU")  # fmt: skip


def js_profile(cdp: Any, fn: Callable[[], Any]) -> Counter[str]:
    """Milliseconds of the page's main thread by script (chunk name; "(program)" is the browser's own work: style,
    layout, paint), while `fn` runs, from DevTools' sampling JavaScript profiler."""
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 200})
    cdp.send("Profiler.start")
    try:
        fn()
    finally:
        prof = cdp.send("Profiler.stop")["profile"]
    nodes = {n["id"]: n["callFrame"] for n in prof["nodes"]}
    out: Counter[str] = Counter()
    for sid, dt in zip(prof["samples"], prof["timeDeltas"], strict=False):
        cf = nodes[sid]
        name = cf["url"].rsplit("/", 1)[-1].split("?")[0] or f"({cf['functionName'] or 'native'})"
        out[re.sub(r"\.[\w-]{8}\.js$", ".js", name)] += dt / 1000
    return out


def browser_profile(browser: Any, app: Server, want: Page, stamp: int) -> None:
    """Where the page's main thread spends a first load and an edit of the app (one load, three edits)."""
    ctx = browser.new_context(viewport=VIEWPORT)
    try:
        page = ctx.new_page()
        cdp = devtools(ctx, page)
        load = js_profile(cdp, lambda: (page.goto(f"{app.url}/?v=2&budget.monthly={42_500 + stamp}",
                                                  wait_until="commit"),
                                        settle(page, want.req(), time.perf_counter())))  # fmt: skip
        box = page.get_by_label(BUDGET_LABEL).and_(page.locator("input")).first
        ed = Editor(app, ctx, page, cdp, box, want)
        edits: Counter[str] = Counter()
        for i in range(3):
            edits += js_profile(cdp, lambda i=i: edit(ed, 37_100 + 333 * i + stamp))
        for what, c, n in (("a first load", load, 1), ("an edit (mean of 3)", edits, 3)):
            top = ", ".join(f"{k} {v / n:.0f}" for k, v in c.most_common(9))
            print(f"  app's main thread during {what}, ms by script: {top}")
    finally:
        ctx.close()


def browser_figures() -> None:
    if not CHROMIUM.exists():
        print("first load of a link: skipped (no /usr/bin/chromium; apt-get install -y chromium)")
        print("an edit until every number is updated: skipped (no /usr/bin/chromium)")
        return
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        print("browser figures: skipped (the playwright package is not installed)")
        return
    with server(APP) as app, server(MINIMAL) as ref, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])  # fmt: skip
        try:
            _browser_figures(browser, app, ref)
        finally:
            browser.close()


def _browser_figures(browser: Any, app: Server, ref: Server) -> None:
    # Budgets no cache of this server has seen (the server is new; each figure uses its own values).
    stamp = int(time.time()) % 97
    t0 = time.perf_counter()
    app_page = learn(browser, f"{app.url}/?v=2&budget.monthly={40_500 + stamp}")
    cold = time.perf_counter() - t0
    min_page = learn(browser, f"{ref.url}/?gs=30000")
    print(f"browser: Chromium, viewport {VIEWPORT['width']}x{VIEWPORT['height']}; a fresh context per load")
    print(f"  app settles when it shows: {app_page.describe()}")
    print(f"  minimal app settles when it shows: {min_page.describe()}")
    print(f"  (first load on a cold server, untimed warm-up and look: {cold:.1f} s)")
    if not app_page.need_verdict:
        print("  NOTE: no verdict sentence found on the app's page; the app's loads do not wait for one")

    # 1. first load of a link, A, B, A, B, ...
    app_runs: list[Settled] = []
    min_runs: list[Settled] = []
    failures: list[str] = []
    for i in range(LOADS):
        for name, srv, link, want, runs in (
            ("app", app, f"/?v=2&budget.monthly={41_000 + 100 * i + stamp}", app_page, app_runs),
            ("minimal", ref, f"/?gs={31_000 + 1000 * i}", min_page, min_runs),
        ):
            try:
                runs.append(first_load(browser, srv, link, want))
            except Timeout as exc:
                failures.append(f"{name} load {i + 1}: {exc}")
    report("first load of a link until every number is final", app_runs, min_runs, failures)

    # 2. an edit until every number on screen is updated, A, B, A, B, ...
    app_ed = open_editor(browser, app, f"/?v=2&budget.monthly={39_000 + stamp}", BUDGET_LABEL, app_page)
    min_ed = open_editor(browser, ref, "/?gs=30000", MINIMAL_LABEL, min_page)
    try:
        if app_ed.why_not or min_ed.why_not:
            print(f"an edit until every number is updated: skipped ({app_ed.why_not or min_ed.why_not})")
            return
        app_runs, min_runs, failures = [], [], []
        for i in range(EDITS):
            for name, ed, value, runs in (
                ("app", app_ed, 36_000 + 250 * i + stamp, app_runs),
                ("minimal", min_ed, 60.0 + i, min_runs),
            ):
                try:
                    runs.append(edit(ed, value))
                except Timeout as exc:
                    failures.append(f"{name} edit {i + 1}: {exc}")
        report("an edit (type, Enter) until every number is updated", app_runs, min_runs, failures)
    finally:
        app_ed.ctx.close()
        min_ed.ctx.close()
    if "--browser-profile" in sys.argv:
        browser_profile(browser, app, app_page, stamp)


# ---- the server: AppTest reruns -----------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """The process's peak resident memory while the block runs (sampled every 2 ms), less what it was before."""

    def __init__(self) -> None:
        self.before = self.peak = 0
        self._stop = threading.Event()

    def _watch(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> PeakRss:
        self.before = self.peak = rss_bytes()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.before) / 2**20


@dataclass
class Rerun:
    wall: float
    cpu: float
    rss_mb: float
    parse: float = 0.0  # of the wall time, AppTest turning the output into its element tree (no real server does)


class ParseClock:
    """Times AppTest's parsing of a run's output (`parse_tree_from_messages`), which a real server does not do, so
    that a rerun's time can be told apart from the test harness's. Wraps the harness's function, not the app."""

    total = 0.0
    _installed = False

    @classmethod
    def install(cls) -> None:
        from streamlit.testing.v1 import local_script_runner as lsr  # noqa: PLC0415

        if cls._installed or not hasattr(lsr, "parse_tree_from_messages"):
            return
        inner = lsr.parse_tree_from_messages

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                cls.total += time.perf_counter() - t0

        lsr.parse_tree_from_messages = timed
        cls._installed = True


def _matches(label: str | re.Pattern[str], text: str) -> bool:
    return bool(label.search(text)) if isinstance(label, re.Pattern) else text == label


def find_box(at: Any, label: str | re.Pattern[str]) -> Any | None:
    """The number box (or text box, or slider) whose label the user reads as `label`."""
    for group in (at.number_input, at.text_input, at.slider):
        for w in group:
            if _matches(label, w.label):
                return w
    return None


def apptest(script: Path, params: dict[str, str]) -> Any:
    from streamlit.testing.v1 import AppTest  # noqa: PLC0415

    ParseClock.install()
    at = AppTest.from_file(str(script), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    return at


def page_text(at: Any) -> str:
    parts = []
    for group in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error"):
        parts += [str(e.value) for e in getattr(at, group)]
    return "\n".join(parts)


def reruns(
    at: Any, label: str | re.Pattern[str], values: list[float], memory: bool = True
) -> tuple[list[Rerun], str | None]:
    """Time `at.run()` after setting the box labelled `label` to each value in turn (each a new scenario)."""
    out = []
    for v in values:
        box = find_box(at, label)
        if box is None:
            return out, f"no widget labelled {label if isinstance(label, str) else label.pattern!r}"
        box.set_value(v)
        with PeakRss() if memory else nullcontext() as mem:
            p0, c0, t0 = ParseClock.total, time.process_time(), time.perf_counter()
            at.run()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if at.exception:
            return out, f"the app raised: {at.exception[0].value}"
        out.append(Rerun(wall, cpu, mem.growth_mb if mem else 0.0, ParseClock.total - p0))
    return out, None


class MonteCarloSpy:
    """Records each call of the model's Monte Carlo in this process (draws, months, seconds): shows which number of
    draws the app really ran and what share of a rerun it took. Wraps `simulation.analyses.montecarlo.monte_carlo`
    (the app calls it through its module); the app is not touched."""

    calls: list[tuple[int, int, float]] = []
    _installed = False

    @classmethod
    def install(cls) -> None:
        if cls._installed:
            return
        try:
            from simulation.analyses import montecarlo as mc  # noqa: PLC0415
        except ImportError:
            return
        inner = mc.monte_carlo

        def spy(scn: Any, draws: int | None = None, *args: Any, **kwargs: Any) -> Any:
            n = draws or (scn.uncertainty.draws if getattr(scn, "uncertainty", None) else 0)
            t0 = time.perf_counter()
            try:
                return inner(scn, draws, *args, **kwargs)
            finally:
                cls.calls.append((int(n), int(getattr(scn, "horizon_months", 0)), time.perf_counter() - t0))

        mc.monte_carlo = spy
        cls._installed = True

    @classmethod
    def since(cls, k: int) -> str:
        calls = cls.calls[k:]
        if not calls:
            return "no Monte Carlo call (cached, or the view does not run one)"
        sizes = Counter(f"{n:,} draws x {m} months" for n, m, _ in calls)
        per = sum(t for _, _, t in calls) / max(1, len(calls))
        return f"{', '.join(f'{c} x {k}' for k, c in sizes.items())}; {per * 1000:.0f} ms per call"


def server_figures() -> None:
    print("server reruns: AppTest in this process, a new monthly budget each time (no cache hit)")
    MonteCarloSpy.install()
    maxrss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    app = apptest(APP, {"v": "2"})
    t0 = time.perf_counter()
    app.run()
    print(f"  (first run in this process, imports and caches included: {time.perf_counter() - t0:.2f} s)")
    if app.exception:
        print(f"server rerun: skipped (the app raised: {app.exception[0].value})")
        return
    ref = apptest(MINIMAL, {})
    ref.run()
    k = len(MonteCarloSpy.calls)
    app_runs: list[Rerun] = []
    ref_runs: list[Rerun] = []
    problem = None
    for i in range(RERUNS):  # A, B, A, B, ...
        a, problem = reruns(app, BUDGET_LABEL, [40_000 + 10 * (i + 1)])
        app_runs += a
        if problem:
            break
        b, _ = reruns(ref, MINIMAL_LABEL, [70.0 + i])
        ref_runs += b
    if problem:
        print(f"server rerun, default preset: failed ({problem})")
    else:
        walls = [r.wall for r in app_runs]
        single("server rerun after a budget change, default preset (4 ch.)", med(walls) * 1000, "ms", 150,
               f"range {spread(walls, 1000, 'ms')}")  # fmt: skip
        single("  of which AppTest parsing the output (no real server does)", med([r.parse for r in app_runs]) * 1000,
               "ms")  # fmt: skip
        single("  without it: the script's own rerun, median", med([r.wall - r.parse for r in app_runs]) * 1000, "ms",
               150)  # fmt: skip
        single("  its CPU time (process, all threads), median", med([r.cpu for r in app_runs]) * 1000, "ms")
        single("  for scale: the minimal app's rerun (AppTest), median", med([r.wall for r in ref_runs]) * 1000, "ms")
        print(f"  Monte Carlo during these reruns: {MonteCarloSpy.since(k)}")

    risk = apptest(APP, {"v": "2", "view": "Risk", "draws": "10000"})
    t0 = time.perf_counter()
    risk.run()
    first = time.perf_counter() - t0
    if risk.exception:
        print(f"Risk view rerun: skipped (the app raised: {risk.exception[0].value})")
        return
    capped = [ln for ln in page_text(risk).splitlines() if re.search(r"\bcap", ln, re.I)]
    print(f"  Risk view, ?view=Risk&draws=10000: first run {first:.2f} s")
    for ln in capped[:2]:
        print(f"  cap note on the page: {ln.strip()[:140]}")
    k = len(MonteCarloSpy.calls)
    runs, problem = reruns(risk, BUDGET_LABEL, [40_000 + 7 * (i + 1) + 0.5 for i in range(RERUNS)])
    print(f"  Monte Carlo during these reruns: {MonteCarloSpy.since(k)}")
    if problem:
        print(f"Risk view rerun: failed ({problem})")
        return
    walls = [r.wall for r in runs]
    single("Risk view rerun, 10,000 draws, after a budget change", med(walls) * 1000, "ms", 1000,
           f"range {spread(walls, 1000, 'ms')}")  # fmt: skip
    single("  of which AppTest parsing the output, median", med([r.parse for r in runs]) * 1000, "ms")
    single("  CPU time per request (process, all threads), median", med([r.cpu for r in runs]) * 1000, "ms", 1000)
    single("  CPU time per request, worst", max(r.cpu for r in runs) * 1000, "ms", 1000)
    single("  peak memory growth per request (RSS, sampled), worst", max(r.rss_mb for r in runs), "MB", 500)
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - maxrss0) / 1024
    single("  peak RSS of this process grew by (ru_maxrss, whole section)", growth, "MB")
    if not app_runs:
        return
    single("  for comparison, default preset: worst CPU per request", max(r.cpu for r in app_runs) * 1000, "ms", 1000)
    single("  for comparison, default preset: worst memory growth", max(r.rss_mb for r in app_runs), "MB", 500)


# ---- where the server's time goes: a sampling profile of all threads ------------------------------------


def _where(stack: list[tuple[str, str]]) -> str:
    """The kind of work a stack (outermost first, (file, function)) is doing."""
    files = [f.replace(os.sep, "/") for f, _ in stack]

    def has(part: str) -> bool:
        return any(part in f for f in files)

    if has("simulation/analyses/montecarlo"):
        return "Monte Carlo (simulation/analyses/montecarlo)"
    for f in files:
        if "/simulation/analyses/" in f:
            return f"analyses: {Path(f).stem}"
    if has("streamlit/elements/plotly_chart"):
        return "st.plotly_chart: figure to JSON + protobuf"
    if has("/dashboard/charts"):
        return "chart building (dashboard/charts*, plotly objects)"
    for f in files:
        if "/simulation/" in f:
            return "model: simulation/" + f.split("/simulation/", 1)[1]
    if has("/plotly/"):
        return "chart building (plotly objects)"
    if has("streamlit/runtime/caching"):
        return "Streamlit cache (hashing keys, lookups)"
    if has("/pydantic"):
        return "pydantic (validation, serialisation)"
    if any(name == "parse_tree_from_messages" for _, name in stack) or has("testing/v1/element_tree"):
        return "AppTest parsing the output (not in a real server)"
    if has("streamlit/elements") or has("google/protobuf") or has("_pb2"):
        return "Streamlit elements (widgets, metrics, protobuf)"
    if has("/pandas/"):
        return "pandas (outside the model)"
    if has("/streamlit/"):
        return "Streamlit runtime (script runner, session state)"
    if has("/dashboard/"):
        return "dashboard/ own code"
    return "other: " + Path(files[-1]).name if files else "other"


IDLE_FUNCS = ("require_widgets_deltas", "wait", "sleep")  # AppTest polls for the end of a run every 1 ms
IDLE_FILES = ("threading.py", "queue.py", "selectors.py", "base_events.py", "/concurrent/futures/thread.py")


class Sampler:
    """Samples every thread's stack every ~1 ms and adds the elapsed wall time to the stack's kind of work and to its
    innermost frame in the project (dashboard/, simulation/), skipping threads that wait."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.kinds: Counter[str] = Counter()
        self.funcs: Counter[str] = Counter()
        self._stop = threading.Event()

    def _run(self) -> None:
        me = threading.get_ident()
        last = time.perf_counter()
        while not self._stop.wait(self.interval):
            now = time.perf_counter()
            dt, last = now - last, now
            for tid, frame in sys._current_frames().items():
                if tid == me:
                    continue
                stack: list[tuple[str, str]] = []
                f = frame
                while f is not None:
                    stack.append((f.f_code.co_filename, f.f_code.co_name))
                    f = f.f_back
                stack.reverse()
                if not stack or stack[-1][0].endswith(IDLE_FILES) or stack[-1][1] in IDLE_FUNCS:
                    continue
                self.kinds[_where(stack)] += dt
                own = [(fn, name) for fn, name in stack if "/dashboard/" in fn or "/simulation/" in fn]
                if own:
                    fn, name = own[-1]
                    self.funcs[f"{fn.split(str(ROOT) + '/', 1)[-1]}:{name}"] += dt

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def profile(label: str, at: Any, values: list[float]) -> None:
    with Sampler() as s:
        t0 = time.perf_counter()
        _, problem = reruns(at, BUDGET_LABEL, values, memory=False)
        wall = (time.perf_counter() - t0) / len(values)
    if problem:
        print(f"profile of {label}: failed ({problem})")
        return
    total = sum(s.kinds.values()) / len(values)
    print(f"profile: {label}, {len(values)} reruns sampled; per rerun {wall * 1000:.0f} ms wall, "
          f"{total * 1000:.0f} ms busy thread time:")  # fmt: skip
    for kind, t in s.kinds.most_common(9):
        print(f"    {t / len(values) * 1000:7.1f} ms  {100 * t / len(values) / total:4.0f} %  {kind}")
    print("  innermost project function on the stack (what it calls included):")
    for fn, t in s.funcs.most_common(10):
        print(f"    {t / len(values) * 1000:7.1f} ms  {fn}")


def profiles() -> None:
    at = apptest(APP, {"v": "2"})
    at.run()
    if at.exception:
        print("profile: skipped (the app raised)")
        return
    profile("default preset, Overview", at, [45_000 + 3 * i + 0.25 for i in range(5)])
    risk = apptest(APP, {"v": "2", "view": "Risk", "draws": "10000"})
    risk.run()
    if not risk.exception:
        profile("Risk view, 10,000 draws", risk, [45_500 + 3 * i + 0.75 for i in range(3)])


# ---- main ------------------------------------------------------------------------------------------------


def section(name: str, fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 — a bench reports, it does not stop
        print(f"{name}: failed ({type(exc).__name__}: {str(exc)[:300]})")


def main() -> None:
    t0 = time.perf_counter()
    print(f"machine: {machine()}; load average {load_avg()} (1 / 5 / 15 min)")
    print(f"python {sys.version.split()[0]}; repeats: {LOADS} loads, {EDITS} edits, {RERUNS} reruns per app; medians")
    if "--no-browser" not in sys.argv:
        section("browser figures", browser_figures)
        print(f"load average after the browser figures: {load_avg()}")
    section("server figures", server_figures)
    if "--no-profile" not in sys.argv:
        section("profile", profiles)
    print(f"load average at the end: {load_avg()}; bench took {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
