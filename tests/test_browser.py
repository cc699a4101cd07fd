"""Real browser: Playwright drives Debian's Chromium against `streamlit run` on a free port."""

from __future__ import annotations

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
from apptest_helpers import cli_run, expected_cards

from dashboard.headline import HEADLINE, label, value_text
from dashboard.state import v1_form
from simulation import load_preset, run, validate_scenario, with_values
from simulation.metrics import fmt
from simulation.narrate import probability
from simulation.schema import scenario_dict

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
    page.wait_for_timeout(400)


def shown_metrics(page: Page) -> dict[str, str]:
    out = {}
    for el in page.query_selector_all("[data-testid='stMetric']"):
        name = el.query_selector("[data-testid='stMetricLabel']").inner_text().strip()
        value = el.query_selector("[data-testid='stMetricValue']").inner_text().strip()
        out[name] = value
    return out


def expected(scn) -> dict[str, str]:
    """The headline cards of a scenario, from the model."""
    r = run(scn)
    return {label(m, s): value_text(m, r.metric(s, m), "") for s in r.strategies for m in HEADLINE}


def wait_for_card(page: Page, text: str) -> None:
    page.wait_for_function(
        "v => [...document.querySelectorAll('[data-testid=stMetric]')].some(e => e.innerText.includes(v))",
        arg=text, timeout=20_000,
    )  # fmt: skip


def test_link_opens_with_the_cli_numbers(server, page, tmp_path):
    page.goto(f"{server}/?preset=insurance&channel.aggregator.cost_per_lead=30.5"
              "&channel.seo_referrals.nurture_months=2.5&v=2")  # fmt: skip
    settle(page)
    scn = with_values(load_preset("insurance"), {"channel.aggregator.cost_per_lead": 30.5,
                                                 "channel.seo_referrals.nurture_months": 2.5})  # fmt: skip
    summary = cli_run(scn, tmp_path)["summary"]
    shown = shown_metrics(page)
    assert shown["CAC · Buy"] == fmt("cac", summary["buy"]["cac"])
    assert f"Money in {scn.currency}." in page.inner_text("body") and scn.currency == "EUR"
    assert shown == expected_cards(summary) == expected(scn)
    assert page.title().startswith(scn.name)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_editing_an_input_updates_url_and_numbers_and_survives_reload(server, page):
    page.goto(f"{server}/")
    settle(page)
    page.get_by_text("Vendor: shared leads · buy", exact=True).click()  # open the vendor's expander
    box = page.get_by_role("spinbutton", name="Vendor: shared leads · Cost per lead")
    box.fill("80")
    box.press("Enter")
    page.wait_for_url(re.compile(r"channel\.vendor_shared\.cost_per_lead=80"), timeout=20_000)
    settle(page)
    want = expected(with_values(load_preset("default"), {"channel.vendor_shared.cost_per_lead": 80.0}))
    wait_for_card(page, want["CAC · Buy"])
    assert shown_metrics(page) == want
    assert "v=2" in page.url
    page.reload()
    settle(page)
    assert "channel.vendor_shared.cost_per_lead=80" in page.url
    assert shown_metrics(page) == want
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_three_edits_make_a_short_link_that_a_fresh_browser_reopens(server, page, browser):
    page.goto(f"{server}/")
    settle(page)
    edits = (("Budget & horizon", "Monthly budget", "55000", "budget.monthly"),
             ("Sales", "Sales capacity", "600", "sales.capacity_leads_per_month"),
             ("SEO & content · generate", "SEO & content · Cost per lead", "61.5", "channel.content.cost_per_lead"))  # fmt: skip
    for group, name, value, key in edits:
        if group != "Budget & horizon":  # open already
            page.get_by_text(group, exact=True).click()
        box = page.get_by_role("spinbutton", name=name)
        box.fill(value)
        box.press("Enter")
        page.wait_for_url(re.compile(re.escape(key) + "="), timeout=20_000)
        settle(page)
    scn = with_values(load_preset("default"), {k: float(v) for _, _, v, k in edits})
    want = expected(scn)
    wait_for_card(page, want["Lifetime value created · Blend"])
    assert shown_metrics(page) == want
    link = page.url
    assert len(link) < 500, link
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    fresh = ctx.new_page()
    fresh.goto(link)
    settle(fresh)
    assert shown_metrics(fresh) == want
    ctx.close()


def test_version_1_link_opens_upgraded_with_one_line(server, page, tmp_path):
    page.goto(f"{server}/?generate.cost_per_lead=80&buy.cost_per_lead=120&budget.buy_share=0.3&v=1")
    settle(page)
    infos = [e.inner_text() for e in page.query_selector_all("[data-testid='stAlertContentInfo']")]
    assert len([t for t in infos if "version 1" in t]) == 1
    assert not page.query_selector_all("[data-testid='stAlertContentWarning']")
    page.wait_for_url(re.compile(r"base=v1"), timeout=20_000)
    assert "channel.generate.cost_per_lead=80" in page.url and "v=2" in page.url and "generate.cost" not in (
        page.url.replace("channel.generate.cost", ""))  # fmt: skip
    d = scenario_dict(v1_form(load_preset("default")))
    d["channel"]["generate"].update(cost_per_lead=80.0, share=0.7)
    d["channel"]["buy"].update(cost_per_lead=120.0, share=0.3)
    scn = validate_scenario(d)
    want = expected_cards(cli_run(scn, tmp_path)["summary"])
    wait_for_card(page, want["Lifetime value created · Blend"])
    assert shown_metrics(page) == want
    link = page.url
    page.goto(link)  # the upgraded link, opened again: same numbers, no upgrade line
    settle(page)
    assert shown_metrics(page) == expected(scn)
    assert not [
        e for e in page.query_selector_all("[data-testid='stAlertContentInfo']") if "version 1" in e.inner_text()
    ]
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


def test_bad_link_shows_one_warning_and_leaves_the_link(server, page):
    page.goto(f"{server}/?channel.vendor_shared.invalid_rate=7&budget.monthly=-1&horizon_months=30.5")
    settle(page)
    warnings = page.query_selector_all("[data-testid='stAlertContentWarning']")
    assert len(warnings) == 1
    text = warnings[0].inner_text()
    assert "channel.vendor_shared.invalid_rate" in text and "budget.monthly" in text and "horizon_months" in text
    assert shown_metrics(page) == expected(load_preset("default"))
    page.wait_for_timeout(500)
    assert "invalid_rate" not in page.url and "horizon_months" not in page.url and "budget.monthly" not in page.url


def test_name_from_the_link_shows_literally(server, page):
    evil = "<img src=x onerror=alert(1)> :material/warning: **b** :streamlit:"
    page.goto(f"{server}/?name={urllib.request.quote(evil)}")
    settle(page)
    heading = page.locator("h1").first
    assert heading.inner_text().strip().replace("\u2060", "") == evil  # a word joiner keeps :streamlit: text
    assert heading.locator("img").count() == 0 and heading.locator("[data-testid='stIconMaterial']").count() == 0
    assert page.locator("[data-testid='stMain'] img[src='x']").count() == 0
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_link_with_ranges_opens_risk_view_with_cli_quantiles(server, page, tmp_path):
    ranges = "channel.vendor_shared.cost_per_lead:70:110,channel.content.sql_to_customer:0.15:0.3"
    page.goto(f"{server}/?view=Risk&ranges={ranges}&draws=1200&seed=5&v=2")
    settle(page)
    page.wait_for_selector("text=of simulated futures", timeout=30_000)
    d = scenario_dict(load_preset("default"))
    d["uncertainty"] = {"draws": 1200, "seed": 5, "ranges": {"channel.vendor_shared.cost_per_lead": [70.0, 110.0],
                        "channel.content.sql_to_customer": [0.15, 0.3]}}  # fmt: skip
    doc = cli_run(validate_scenario(d), tmp_path)
    q = doc["quantiles"]
    shown = shown_metrics(page)
    body = page.inner_text("body")
    for s, lab in (("generate", "Generate"), ("buy", "Buy"), ("blend", "Blend")):
        npv = q[s]["npv_lifetime"]
        assert shown[f"Lifetime value created · {lab} (median)"] == value_text("npv_lifetime", npv["p50"], "USD")
        p10, p90 = fmt("npv_lifetime", npv["p10"], "USD"), fmt("npv_lifetime", npv["p90"], "USD")
        assert f"P10–P90: {p10} – {p90}" in body
    p = doc["probabilities"]["buy_beats_generate_cac"]
    assert f"Buying has the lower CAC in {probability(p)} of simulated futures." in body
    assert page.locator(".js-plotly-plot").count() == 4
    assert page.console_errors == []  # type: ignore[attr-defined]
