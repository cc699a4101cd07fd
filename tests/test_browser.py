"""Real browser: Playwright drives Debian's Chromium against `streamlit run` on a free port."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulation import load_preset, run, with_values
from simulation.format import fmt_metric

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]  # fmt: skip

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium for the browser tests: apt-get install -y chromium")
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

from playwright.sync_api import Page, sync_playwright  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("streamlit did not start") from None
            time.sleep(0.3)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))  # type: ignore[attr-defined]
    yield pg
    ctx.close()


def settle(page: Page) -> None:
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
    page.wait_for_timeout(300)


def shown_metrics(page: Page) -> dict[str, str]:
    out = {}
    for el in page.query_selector_all("[data-testid='stMetric']"):
        label = el.query_selector("[data-testid='stMetricLabel']").inner_text().strip()
        value = el.query_selector("[data-testid='stMetricValue']").inner_text().strip()
        out[label] = value
    return out


def expected(scn) -> dict[str, str]:
    r = run(scn)
    out = {}
    for s, lab in (("generate", "Generate"), ("buy", "Buy"), ("blend", "Blend")):
        for m, name in (("cac", "CAC"), ("roi", "ROI"), ("payback_month", "Payback"), ("customers", "Customers"),
                        ("pipeline_end", "Pipeline")):  # fmt: skip
            out[f"{name} · {lab}"] = fmt_metric(m, r.metric(s, m))
    return out


def cli_json(scn, tmp_path: Path) -> dict:
    from simulation import save_scenario

    path = tmp_path / "s.toml"
    save_scenario(scn, path)
    out = subprocess.run([sys.executable, "-m", "simulation", "run", str(path)], cwd=ROOT, capture_output=True,
                         text=True, check=True)  # fmt: skip
    return json.loads(out.stdout)


def test_link_opens_with_the_cli_numbers(server, page, tmp_path):
    page.goto(f"{server}/?preset=insurance&buy.cost_per_lead=30.5&generate.nurture_months=2.5&v=1")
    settle(page)
    scn = with_values(load_preset("insurance"), {"buy.cost_per_lead": 30.5, "generate.nurture_months": 2.5})
    summary = cli_json(scn, tmp_path)["summary"]
    shown = shown_metrics(page)
    assert shown["CAC · Buy"] == fmt_metric("cac", summary["buy"]["cac"])
    assert shown["ROI · Generate"] == fmt_metric("roi", summary["generate"]["roi"])
    assert shown == expected(scn)
    assert page.title().startswith(scn.name)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_editing_an_input_updates_url_and_numbers_and_survives_reload(server, page):
    page.goto(f"{server}/?v=1")
    settle(page)
    page.get_by_text("Buy", exact=True).first.click()  # open the Buy expander
    box = page.get_by_role("spinbutton", name="Vendor price per lead (CPL)")
    box.fill("80")
    box.press("Enter")
    page.wait_for_url(re.compile(r"buy\.cost_per_lead=80"), timeout=20_000)
    settle(page)
    scn = with_values(load_preset("default"), {"buy.cost_per_lead": 80.0})
    want = expected(scn)
    page.wait_for_function(
        "v => [...document.querySelectorAll('[data-testid=stMetric]')].some(e => e.innerText.includes(v))",
        arg=want["CAC · Buy"], timeout=20_000,
    )  # fmt: skip
    assert shown_metrics(page) == want
    assert "v=1" in page.url
    page.reload()
    settle(page)
    assert "buy.cost_per_lead=80" in page.url
    assert shown_metrics(page) == want
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_picking_a_preset_updates_the_url(server, page):
    page.goto(f"{server}/")
    settle(page)
    page.get_by_role("combobox", name=re.compile("Preset")).click()
    page.get_by_role("option", name=load_preset("home_services").name).click()
    page.wait_for_url(re.compile(r"preset=home_services"), timeout=20_000)
    settle(page)
    assert shown_metrics(page) == expected(load_preset("home_services"))


def test_presenter_view_hides_the_inputs(server, page):
    page.goto(f"{server}/?present=1&preset=b2b_saas")
    settle(page)
    sidebar = page.get_by_test_id("stSidebar").bounding_box()
    assert sidebar["x"] + sidebar["width"] <= 0  # collapsed off-screen: the inputs are hidden
    assert page.get_by_role("heading", name=load_preset("b2b_saas").name).is_visible()
    assert len(shown_metrics(page)) == 15
    assert page.locator(".js-plotly-plot").count() >= 2
    page.goto(f"{server}/?preset=b2b_saas")
    settle(page)
    assert page.get_by_test_id("stSidebar").bounding_box()["width"] > 200
    assert page.get_by_role("spinbutton", name="Monthly budget").is_visible()


def test_bad_link_shows_one_warning(server, page):
    page.goto(f"{server}/?buy.invalid_rate=7&budget.monthly=-1")
    settle(page)
    warnings = page.query_selector_all("[data-testid='stAlertContentWarning']")
    assert len(warnings) == 1
    text = warnings[0].inner_text()
    assert "buy.invalid_rate" in text and "budget.monthly" in text
    assert shown_metrics(page) == expected(load_preset("default"))
    assert "invalid_rate" not in page.url


def test_link_with_ranges_opens_risk_view_with_cli_quantiles(server, page, tmp_path):
    ranges = "buy.cost_per_lead:90:140,generate.sql_to_customer:0.15:0.3,generate.nurture_months:2:6"
    page.goto(f"{server}/?view=Risk&ranges={ranges}&draws=1200&seed=5&v=1")
    settle(page)
    page.wait_for_selector("text=of simulated futures", timeout=30_000)
    d = load_preset("default").model_dump()
    d["uncertainty"] = {"draws": 1200, "seed": 5, "ranges": {"buy.cost_per_lead": [90.0, 140.0],
                        "generate.sql_to_customer": [0.15, 0.3], "generate.nurture_months": [2.0, 6.0]}}  # fmt: skip
    from simulation import validate_scenario

    doc = cli_json(validate_scenario(d), tmp_path)
    q = doc["quantiles"]
    shown = shown_metrics(page)
    for s, lab in (("generate", "Generate"), ("buy", "Buy"), ("blend", "Blend")):
        assert shown[f"CAC · {lab} (median)"] == fmt_metric("cac", q[s]["cac"]["p50"])
    body = page.inner_text("body")
    for s in ("generate", "buy", "blend"):
        assert f"P10–P90: {fmt_metric('cac', q[s]['cac']['p10'])} – {fmt_metric('cac', q[s]['cac']['p90'])}" in body
    p = doc["probabilities"]["buy_beats_generate_cac"]
    want = f"{p:.0%} of simulated futures, buying" if p >= 0.5 else f"{1 - p:.0%} of simulated futures, generating"
    assert want in body
    assert page.locator(".js-plotly-plot").count() == 4
    assert page.console_errors == []  # type: ignore[attr-defined]
