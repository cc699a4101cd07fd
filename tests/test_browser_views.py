"""Real browser: the views as people see them (Playwright on Debian's Chromium against `streamlit run`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation import load_preset, run
from simulation.metrics import fmt
from simulation.narrate import comparison, verdict

ROOT = Path(__file__).resolve().parent.parent
TABLE = "[data-testid='stMain'] [data-testid='stMarkdown'] table"
CHART = "[data-testid='stMain'] .js-plotly-plot"
VERDICT = "[data-testid='stMain'] .st-key-verdict"

pytestmark = pytest.mark.browser

from browser_harness import browser, server  # noqa: E402, F401  (fixtures)
from playwright.sync_api import Page  # noqa: E402


def open_page(browser, url: str, width: int, height: int) -> Page:
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    page.goto(url)
    page.wait_for_selector(CHART, timeout=60_000)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
    page.wait_for_function("document.querySelectorAll('[data-testid=stSkeleton]').length === 0", timeout=30_000)
    page.wait_for_timeout(600)
    return page


def comparison_shown(page: Page) -> dict[str, list[str]]:
    """The Overview's comparison as the browser shows it: row label → the strategies' cells, as read."""
    rows = page.eval_on_selector(TABLE, "t => [...t.rows].slice(1).map(r => [...r.cells].map(c => c.innerText))")
    return {r[0]: [c.replace("\u00a0", " ") for c in r[1:]] for r in rows}


def inside(box: dict, width: int, height: int) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height


def test_presenter_view_fits_the_verdict_and_a_chart_in_1280_by_720(server, browser):
    page = open_page(browser, f"{server}/?present=1", 1280, 720)
    verdict_box = page.locator(VERDICT).bounding_box()
    charts = page.locator(CHART)
    assert charts.count() == 1  # one chart, no tabs, no tables
    assert page.locator("[data-testid='stTabs']").count() == 0 and page.locator(TABLE).count() == 0
    chart_box = charts.first.bounding_box()
    assert inside(verdict_box, 1280, 720), verdict_box
    assert inside(chart_box, 1280, 720), chart_box
    assert chart_box["height"] >= 280  # a readable chart, not a sliver
    scn = load_preset("default")
    headline = verdict(run(scn)).headline
    assert headline in page.locator(VERDICT).inner_text().replace("\u00a0", " ")
    # nothing below the fold: every element of the main area ends within the screen (what lies below is padding)
    bottoms = page.eval_on_selector_all(
        "[data-testid='stMain'] [data-testid='stElementContainer']",
        "els => els.filter(e => e.offsetHeight > 0).map(e => e.getBoundingClientRect().bottom)")  # fmt: skip
    assert bottoms and max(bottoms) <= 720, bottoms
    assert page.errors == []  # type: ignore[attr-defined]


def test_money_shows_the_scenarios_currency_symbol_and_counts_are_whole(server, browser):
    page = open_page(browser, f"{server}/", 1280, 900)
    result = run(load_preset("default"))
    shown = comparison_shown(page)
    want = {r.label: [r.text[s] for s in result.strategies] for r in comparison(result)}
    assert {k: [c.replace("★", "").strip() for c in v] for k, v in shown.items()} == want
    assert shown["CAC"][0].startswith("$") and shown["Lifetime value created"][0].startswith("$")
    customers = [c.replace("★", "").strip() for c in shown["Customers won"]]
    assert customers == [fmt("customers", result.metric(s, "customers")) for s in result.strategies]
    assert all("." not in c for c in customers) and customers[0] == "301"  # not 300.9
    assert "$" in page.locator(CHART).nth(1).inner_text()  # the CAC chart's axis title names the currency
    euro = open_page(browser, f"{server}/?preset=insurance", 1280, 900)
    cells = comparison_shown(euro)
    assert all(c.startswith("€") for c in cells["CAC"]) and "$" not in str(cells)
    assert "€" in euro.locator(CHART).nth(1).inner_text()


def test_phone_shows_results_first_and_charts_full_width(server, browser):
    page = open_page(browser, f"{server}/", 390, 844)
    verdict_box = page.locator(VERDICT).bounding_box()
    table_box = page.locator(TABLE).bounding_box()
    chart_box = page.locator(CHART).first.bounding_box()
    assert verdict_box["y"] < table_box["y"] < chart_box["y"]  # the answer, then the comparison, then charts
    assert verdict_box["y"] < 844  # the verdict on the first screen
    assert chart_box["width"] >= 330  # full width of the phone's column
    assert table_box["x"] + table_box["width"] <= 390 + 1  # the comparison fits the screen


def test_j_curve_payback_labels_do_not_overlap(server, browser):
    for width in (1280, 390):
        page = open_page(browser, f"{server}/?view=Cash", width, 900)
        boxes = page.eval_on_selector_all(
            f"{CHART} g.annotation", "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom]; })")  # fmt: skip
        assert len(boxes) == 2
        (l1, t1, r1, b1), (l2, t2, r2, b2) = boxes
        assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, (width, boxes)
        plot = page.locator(f"{CHART} .nsewdrag").first.bounding_box()  # the plot area, inside the axes
        for left, _, right, _ in boxes:  # over the plot, neither cut at the edge nor over the axis' numbers
            assert plot["x"] <= left and right <= plot["x"] + plot["width"], (width, boxes, plot)
