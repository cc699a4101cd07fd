"""Real browser: the library round trip. Save in one browser context, open the `?scenario=` link in another: the
same numbers; version 1 stays frozen after a later save, and the short name alone opens the latest."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from apptest_helpers import expected_table

from simulation import load_preset, with_values

pytestmark = pytest.mark.browser

from browser_harness import browser, server  # noqa: E402, F401  (fixtures)
from test_browser import new_page, shown_table, wait_for_table  # noqa: E402

DEFAULT = load_preset("default")


def save_from(page, name: str, want: str) -> str:
    """Fill the Library view's form with a name, save, and wait until the link's scenario= is `want`."""
    main = page.locator("[data-testid='stMain']")
    main.get_by_label("Name", exact=True).fill(name)
    main.get_by_label("Your name", exact=True).fill("Ana")
    main.get_by_role("button", name="Save version").click()
    page.get_by_text(re.compile(r"Saved “.*” as version \d+")).wait_for(timeout=30_000)
    slug, n = want.split("@")
    page.wait_for_url(re.compile(rf"scenario={slug}(@|%40){n}\b"), timeout=30_000)  # Streamlit writes @ as %40
    return unquote(re.search(r"scenario=([a-z0-9%@-]+)", page.url).group(1))


def test_saved_in_one_browser_opens_with_the_same_numbers_in_another(browser, server):  # noqa: F811
    one = new_page(browser)
    one.goto(f"{server}/?view=Library&budget.monthly=55000")
    assert save_from(one, "Round trip", "round-trip@1") == "round-trip@1"
    first = with_values(DEFAULT, {"budget.monthly": 55000.0, "name": "Round trip"})

    two = new_page(browser)  # another browser context: no shared session, cookies or storage
    two.goto(f"{server}/?scenario=round-trip@1")
    wait_for_table(two, expected_table(first))
    assert two.get_by_role("heading", level=1).inner_text() == "Round trip"

    # a later version from the first browser: different numbers, version 2
    one.goto(f"{server}/?scenario=round-trip@1&budget.monthly=70000&view=Library")
    assert save_from(one, "Round trip", "round-trip@2") == "round-trip@2"
    second = with_values(DEFAULT, {"budget.monthly": 70000.0, "name": "Round trip"})

    two.goto(f"{server}/?scenario=round-trip@1")  # version 1 is frozen
    wait_for_table(two, expected_table(first))
    two.goto(f"{server}/?scenario=round-trip")  # the short name alone: the latest
    wait_for_table(two, expected_table(second))
    assert shown_table(two) != expected_table(first)
    assert not [e for e in two.console_errors if "favicon" not in e]  # type: ignore[attr-defined]
    one.context.close()
    two.context.close()


def test_the_workbook_and_the_report_download_named_after_the_scenario(browser, server, tmp_path):  # noqa: F811
    from datetime import date

    from openpyxl import load_workbook

    page = new_page(browser)
    page.goto(f"{server}/?view=Library&name=Board+pack")
    main = page.locator("[data-testid='stMain']")
    with page.expect_download(timeout=60_000) as got:
        main.get_by_role("button", name="Workbook (XLSX)").click()
    download = got.value
    assert download.suggested_filename == f"Board-pack-{date.today():%Y-%m-%d}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = load_workbook(path)
    assert {"Inputs", "Headline", "Channels"} <= set(book.sheetnames)
    with page.expect_download(timeout=60_000) as got:
        main.get_by_role("button", name="Monthly (CSV)").click()
    csv = tmp_path / "monthly.csv"
    got.value.save_as(csv)
    head = csv.read_text(encoding="utf-8-sig").splitlines()[0]
    assert head.startswith("Strategy,Month") or head.startswith("Month,Strategy"), head
    page.context.close()
