"""Real browser: Playwright drives Debian's Chromium against `streamlit run` on a free port.

Numbers on screen are the strategies' comparison of the Overview, checked against the model for the same scenario."""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from apptest_helpers import expected_table

from dashboard import state
from simulation import load_preset, validate_scenario, with_values
from simulation.schema import scenario_dict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = load_preset("default")

pytestmark = pytest.mark.browser

from browser_harness import browser, server  # noqa: E402, F401  (fixtures)
from playwright.sync_api import Page, expect  # noqa: E402


def new_page(browser, width: int = 1280, height: int = 900) -> Page:
    ctx = browser.new_context(viewport={"width": width, "height": height})
    pg = ctx.new_page()
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))  # type: ignore[attr-defined]
    return pg


@pytest.fixture
def page(browser) -> Iterator[Page]:
    pg = new_page(browser)
    yield pg
    pg.context.close()


TABLE = "[data-testid='stMain'] [data-testid='stMarkdown'] table"


def settle(page: Page) -> None:
    page.wait_for_selector(TABLE, timeout=60_000)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
    page.wait_for_timeout(400)


def shown_table(page: Page) -> dict[str, list[str]]:
    """The strategies' comparison as the browser shows it: row label → the strategies' cells, best marks left out."""
    rows = page.eval_on_selector(TABLE, "t => [...t.rows].slice(1).map(r => [...r.cells].map(c => c.innerText))")
    clean = [[c.replace("\u00a0", " ").replace("★", "").strip() for c in r] for r in rows]
    return {r[0]: r[1:] for r in clean}


def wait_for_table(page: Page, want: dict[str, list[str]], timeout: float = 20) -> None:
    """Until the comparison on screen is `want` (the app reruns after each edit)."""
    deadline = time.time() + timeout
    while True:
        settle(page)
        if shown_table(page) == want:
            return
        if time.time() > deadline:
            assert shown_table(page) == want
        page.wait_for_timeout(300)


def sidebar_open(page: Page, label: str) -> None:
    """Open an expander of the sidebar by its label."""
    page.get_by_test_id("stSidebar").get_by_text(label, exact=True).click()


def type_into(page: Page, name: str, value: str, expect: str) -> None:
    """Type into a number box (by its label) and wait until the link holds `expect` ("budget.monthly=50000")."""
    box = page.get_by_role("spinbutton", name=name, exact=True)
    box.fill(value)
    box.press("Enter")
    page.wait_for_url(lambda u: expect in u, timeout=20_000)
    settle(page)


def test_link_opens_with_the_models_numbers(server, page):
    page.goto(f"{server}/?preset=insurance&channel.aggregator.cost_per_lead=30.5"
              "&channel.seo_referrals.nurture_months=2.5&v=2")  # fmt: skip
    settle(page)
    scn = with_values(load_preset("insurance"), {"channel.aggregator.cost_per_lead": 30.5,
                                                 "channel.seo_referrals.nurture_months": 2.5})  # fmt: skip
    assert shown_table(page) == expected_table(scn)
    assert scn.currency == "EUR" and shown_table(page)["CAC"][0].startswith("€")
    assert page.title().startswith(scn.name)
    assert page.get_by_role("spinbutton", name="Monthly budget (€)").is_visible()
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_editing_an_input_updates_url_and_numbers_and_survives_reload(server, page):
    page.goto(f"{server}/")
    settle(page)
    sidebar_open(page, "Vendor: shared leads · buy")
    type_into(page, "Vendor: shared leads · Cost per lead ($)", "80", "channel.vendor_shared.cost_per_lead=80")
    want = expected_table(with_values(DEFAULT, {"channel.vendor_shared.cost_per_lead": 80.0}))
    wait_for_table(page, want)
    assert "v=2" in page.url and "channel.vendor_shared.cost_per_lead=80" in page.url
    page.reload()
    settle(page)
    assert "channel.vendor_shared.cost_per_lead=80" in page.url
    assert shown_table(page) == want
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_three_edits_with_a_percentage_make_a_short_link_that_a_fresh_browser_reopens(server, page, browser):
    page.goto(f"{server}/")
    settle(page)
    type_into(page, "Monthly budget ($)", "55000", "budget.monthly=55000")
    sidebar_open(page, "Sales")
    type_into(page, "Sales capacity (leads per month)", "600", "sales.capacity_leads_per_month=600")
    sidebar_open(page, "SEO & content · generate")
    type_into(page, "SEO & content · Lead → MQL (%)", "2.3", "channel.content.lead_to_mql=0.023")
    assert "channel.content.lead_to_mql=0.023" in page.url  # typed as a percentage, a fraction in the link
    scn = with_values(DEFAULT, {"budget.monthly": 55000.0, "sales.capacity_leads_per_month": 600.0,
                                "channel.content.lead_to_mql": 0.023})  # fmt: skip
    want = expected_table(scn)
    wait_for_table(page, want)
    link = page.url
    assert len(link) < 500, link
    fresh = new_page(browser)
    fresh.goto(link)
    settle(fresh)
    assert shown_table(fresh) == want
    sidebar_open(fresh, "SEO & content · generate")
    assert fresh.get_by_role("spinbutton", name="SEO & content · Lead → MQL (%)").input_value() == "2.3"
    fresh.context.close()


def test_version_1_link_opens_upgraded_with_one_line(server, page):
    page.goto(f"{server}/?generate.cost_per_lead=80&buy.cost_per_lead=120&budget.buy_share=0.3&v=1")
    settle(page)
    infos = [e.inner_text() for e in page.query_selector_all("[data-testid='stAlertContentInfo']")]
    assert len(infos) == 1 and "upgraded" in infos[0]
    assert not page.query_selector_all("[data-testid='stAlertContentWarning']")
    d = scenario_dict(state.v1_form(DEFAULT))
    d["channel"]["generate"].update(cost_per_lead=80.0, share=0.7)
    d["channel"]["buy"].update(cost_per_lead=120.0, share=0.3)
    want = expected_table(validate_scenario(d))
    assert shown_table(page) == want
    page.wait_for_url(re.compile(r"channels=generate%2Cbuy"), timeout=20_000)
    assert "channel.generate.cost_per_lead=80" in page.url and "v=2" in page.url
    assert "&generate.cost" not in page.url and "base=" not in page.url
    assert page.get_by_test_id("stSidebar").get_by_text("Generate · generate", exact=True).is_visible()
    link = page.url
    page.goto(link)  # the upgraded link, opened again: same numbers, no upgrade line
    settle(page)
    assert shown_table(page) == want
    assert not page.query_selector_all("[data-testid='stAlertContentInfo']")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_adding_a_channel_puts_it_in_the_link_and_a_fresh_browser_reproduces_it(server, page, browser):
    page.goto(f"{server}/")
    settle(page)
    sidebar_open(page, "Add a channel")
    page.get_by_text("Buy (a lead vendor)", exact=True).click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Vendor A")
    page.get_by_role("button", name=re.compile("Add channel")).click()
    page.wait_for_url(re.compile(r"channels=paid_search%2Ccontent%2Cvendor_exclusive%2Cvendor_shared%2Cvendor_a"),
                      timeout=20_000)  # fmt: skip
    settle(page)
    assert "channel.vendor_a.kind=buy" in page.url and "channel.vendor_a.label=Vendor+A" in page.url
    # the new channel's inputs are open, its cost per lead first
    type_into(page, "Vendor A · Cost per lead ($)", "60", "channel.vendor_a.cost_per_lead=60")
    type_into(page, "Vendor A · Share of budget (plan, %)", "10", "channel.vendor_a.share=0.1")
    sidebar_open(page, "Vendor: shared leads · buy")
    type_into(page, "Vendor: shared leads · Share of budget (plan, %)", "10", "channel.vendor_shared.share=0.1")
    d = scenario_dict(DEFAULT)
    d["channel"]["vendor_shared"]["share"] = 0.1
    d["channel"]["vendor_a"] = {**state.template("buy"), "label": "Vendor A", "cost_per_lead": 60.0, "share": 0.1}
    want = expected_table(validate_scenario(d))
    wait_for_table(page, want)
    link = page.url
    fresh = new_page(browser)
    fresh.goto(link)
    settle(fresh)
    assert shown_table(fresh) == want
    assert not fresh.query_selector_all("[data-testid='stAlertContentWarning']")
    sidebar_open(fresh, "Vendor A · buy")
    assert fresh.get_by_role("spinbutton", name="Vendor A · Cost per lead ($)").input_value() == "60.00"
    assert fresh.console_errors == [] and page.console_errors == []  # type: ignore[attr-defined]
    fresh.context.close()


def test_undo_restores_the_previous_numbers_and_redo_the_next(server, page):
    page.goto(f"{server}/")
    settle(page)
    type_into(page, "Monthly budget ($)", "50000", "budget.monthly=50000")
    first = expected_table(with_values(DEFAULT, {"budget.monthly": 50000.0}))
    wait_for_table(page, first)
    type_into(page, "Monthly budget ($)", "65000", "budget.monthly=65000")
    second = expected_table(with_values(DEFAULT, {"budget.monthly": 65000.0}))
    wait_for_table(page, second)
    page.get_by_role("button", name="↶ Undo").click()
    wait_for_table(page, first)
    assert page.get_by_role("spinbutton", name="Monthly budget ($)").input_value() == "50000"
    page.wait_for_url(re.compile(r"budget\.monthly=50000"), timeout=20_000)
    page.get_by_role("button", name="↷ Redo").click()
    wait_for_table(page, second)
    assert page.get_by_role("spinbutton", name="Monthly budget ($)").input_value() == "65000"


def test_the_browsers_back_steps_back_through_the_links(server, page):
    """Every change of the link is one entry of the browser's history (Streamlit uses pushState): Back shows the
    previous link's scenario; past the link that was opened, Back leaves the app."""
    page.goto(f"{server}/")
    settle(page)
    start = page.evaluate("history.length")
    type_into(page, "Monthly budget ($)", "50000", "budget.monthly=50000")
    type_into(page, "Monthly budget ($)", "65000", "budget.monthly=65000")
    assert page.evaluate("history.length") == start + 2
    page.go_back()
    wait_for_table(page, expected_table(with_values(DEFAULT, {"budget.monthly": 50000.0})))
    assert page.url.endswith("budget.monthly=50000")
    assert page.get_by_role("spinbutton", name="Monthly budget ($)").input_value() == "50000"
    page.go_back()
    wait_for_table(page, expected_table(DEFAULT))
    assert page.url == f"{server}/"
    page.go_forward()
    wait_for_table(page, expected_table(with_values(DEFAULT, {"budget.monthly": 50000.0})))
    # undo after Back: Back was a step of its own
    page.get_by_role("button", name="↶ Undo").click()
    wait_for_table(page, expected_table(DEFAULT))
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_warning_clears_after_an_edit(server, page):
    page.goto(f"{server}/?budget.monthly=lots&objective=fastest")
    settle(page)
    (warning,) = page.query_selector_all("[data-testid='stAlertContentWarning']")
    assert "budget.monthly" in warning.inner_text() and "objective" in warning.inner_text()
    page.wait_for_url(re.compile(r"^(?!.*lots).*$"), timeout=20_000)  # the unusable values left the link
    assert "objective" not in page.url
    sidebar_open(page, "Economics")
    type_into(page, "Gross margin (%)", "65", "economics.gross_margin=0.65")
    wait_for_table(page, expected_table(with_values(DEFAULT, {"economics.gross_margin": 0.65})))
    assert not page.query_selector_all("[data-testid='stAlertContentWarning']")
    assert "economics.gross_margin=0.65" in page.url


def test_picking_a_preset_updates_the_url(server, page):
    page.goto(f"{server}/")
    settle(page)
    page.get_by_role("combobox", name=re.compile("Preset")).click()
    page.get_by_role("option", name=load_preset("home_services").name).click()
    page.wait_for_url(re.compile(r"preset=home_services"), timeout=20_000)
    wait_for_table(page, expected_table(load_preset("home_services")))


def test_presenter_view_hides_the_inputs(server, page):
    page.goto(f"{server}/?present=1&preset=b2b_saas")
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    sidebar = page.get_by_test_id("stSidebar").bounding_box()
    assert sidebar is None or sidebar["x"] + sidebar["width"] <= 0  # collapsed off-screen: the inputs are hidden
    assert page.get_by_role("heading", name=load_preset("b2b_saas").name).is_visible()
    page.goto(f"{server}/?preset=b2b_saas")
    settle(page)
    assert page.get_by_test_id("stSidebar").bounding_box()["width"] > 200
    assert page.get_by_role("spinbutton", name="Monthly budget ($)").is_visible()


def test_on_a_phone_results_come_first_and_the_inputs_are_one_tap_away(server, browser):
    phone = new_page(browser, 390, 844)
    phone.goto(f"{server}/")
    settle(phone)
    box = phone.get_by_test_id("stSidebar").bounding_box()
    assert box is None or box["x"] + box["width"] <= 0  # the inputs start folded away
    table = phone.locator(TABLE).bounding_box()
    assert table is not None and table["y"] < 844  # the comparison is on the first screen
    phone.get_by_test_id("stExpandSidebarButton").click()
    budget = phone.get_by_role("spinbutton", name="Monthly budget ($)")
    expect(budget).to_be_in_viewport(timeout=10_000)  # once the sidebar has slid in
    phone.context.close()


def test_bad_link_shows_one_warning_and_leaves_the_link(server, page):
    page.goto(f"{server}/?channel.vendor_shared.invalid_rate=7&budget.monthly=-1&horizon_months=30.5")
    settle(page)
    warnings = page.query_selector_all("[data-testid='stAlertContentWarning']")
    assert len(warnings) == 1
    text = warnings[0].inner_text()
    assert "channel.vendor_shared.invalid_rate" in text and "budget.monthly" in text and "horizon_months" in text
    assert shown_table(page) == expected_table(DEFAULT)
    page.wait_for_timeout(500)
    assert "invalid_rate" not in page.url and "horizon_months" not in page.url and "budget.monthly" not in page.url


def test_name_and_labels_from_the_link_show_literally(server, page):
    evil = "<img src=x onerror=alert(1)> :material/warning: **b** :streamlit:"
    label = ":material/warning: **x**"
    page.goto(f"{server}/?name={urllib.request.quote(evil)}&channels=paid_search,evil&channel.evil.kind=buy"
              f"&channel.evil.label={urllib.request.quote(label)}")  # fmt: skip
    settle(page)
    heading = page.locator("h1").first
    assert heading.inner_text().strip().replace("\u2060", "") == evil  # a word joiner keeps :streamlit: text
    assert heading.locator("img").count() == 0 and heading.locator("[data-testid='stIconMaterial']").count() == 0
    assert page.locator("[data-testid='stMain'] img[src='x']").count() == 0
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.get_by_text(f"{label} · buy", exact=True).is_visible()
    assert page.console_errors == []  # type: ignore[attr-defined]
