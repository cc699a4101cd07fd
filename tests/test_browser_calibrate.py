"""Real browser: the Calibrate view. Upload the sample CRM export through the file input, the sample's mapping file
through the mapping input, apply: the fitted rates are in the link, and the Overview's numbers are the model's for
the calibrated scenario (and differ from before)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from apptest_helpers import expected_table

from simulation import calibrate, load_preset

pytestmark = pytest.mark.browser

from browser_harness import browser, server  # noqa: E402, F401  (fixtures)
from playwright.sync_api import expect  # noqa: E402
from test_browser import new_page, settle, shown_table, wait_for_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "samples" / "crm_export.csv"
MAPPING = ROOT / "data" / "samples" / "crm_mapping.toml"
DEFAULT = load_preset("default")
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def idle(page, timeout: float = 60_000) -> None:
    """Until the app's script has finished its run (and the page has drawn it)."""
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_timeout(300)


def file_input(page, label: str):
    """The file input of the uploader with this label."""
    return page.get_by_test_id("stFileUploader").filter(has_text=label).locator("input[type='file']")


def test_upload_apply_puts_the_fitted_rates_in_the_link_and_changes_the_numbers(browser, server):  # noqa: F811
    page = new_page(browser)
    page.goto(f"{server}/")
    settle(page)
    before = shown_table(page)
    assert before == expected_table(DEFAULT)

    page.get_by_role("tab", name="Calibrate").click()
    page.wait_for_url(re.compile(r"view=Calibrate"), timeout=30_000)
    idle(page)
    file_input(page, "CRM export").set_input_files(str(SAMPLE))
    page.get_by_text("In memory: crm_export.csv, 15,356 rows, 8 columns.").wait_for(timeout=60_000)
    idle(page)
    file_input(page, "Use a mapping file").set_input_files(str(MAPPING))
    # the mapping file's choices are on screen: LeadCo list goes to the scenario's exclusive vendor
    leadco = page.get_by_role("combobox", name="LeadCo list (5,020 rows) → channel")
    expect(leadco).to_have_value("Vendor: exclusive leads (vendor_exclusive)", timeout=60_000)
    idle(page)
    page.get_by_role("button", name="Apply to the scenario").click()
    page.get_by_text(re.compile(r"Applied to the scenario: 12 values changed in 3 channels")).wait_for(timeout=60_000)
    page.wait_for_url(re.compile(r"channel\.content\.sql_to_customer=0\.2826"), timeout=30_000)

    export = calibrate.read_export(SAMPLE.read_bytes(), SAMPLE.name)
    cal = calibrate.fit(export, calibrate.parse_mapping(MAPPING.read_text()), DEFAULT)
    applied, _ = calibrate.apply(DEFAULT, cal)
    link = {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}
    for cid, cf in cal.channels.items():  # every fitted rate, to 4 decimals, and the nurture time, to 2
        for name, r in cf.rates.items():
            assert link[f"channel.{cid}.{name}"] == repr(round(r.value, 4)) == repr(getattr(applied.channel[cid], name))
        assert link[f"channel.{cid}.nurture_months"] == repr(round(cf.nurture.value, 2))
    assert link["channel.content.sql_to_customer"] == repr(round(167 / 591, 4))

    page.get_by_role("tab", name="Overview").click()
    want = expected_table(applied)
    wait_for_table(page, want, timeout=60)
    assert shown_table(page) != before
    assert not [e for e in page.console_errors if "favicon" not in e]  # type: ignore[attr-defined]
    page.context.close()
