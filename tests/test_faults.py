"""Faults: a locked library database (saving says why, the page keeps working), and the app server restarted with
a page open (the page reconnects and shows the same numbers)."""

from __future__ import annotations

import re
import sqlite3
import time

import pytest
from apptest_helpers import app, expected_table, table, unescape

from simulation import load_preset, with_values

K = "_views.library."


def test_a_locked_database_refuses_the_save_with_a_reason_and_the_page_keeps_working(tmp_path, monkeypatch):
    from simulation.library import db

    path = tmp_path / "library.sqlite3"
    monkeypatch.setenv("ACQLAB_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.5)  # wait half a second for the lock, not 30
    at = app({"view": "Library", "budget.monthly": "55000"})  # creates the database
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another program holds the database
    try:
        at.text_input(key=K + "name").input("Locked out")
        started = time.monotonic()
        at.button(key=K + "save").click().run()
        assert time.monotonic() - started < 20
        assert not at.exception
        said = " ".join(unescape(e.value) for e in at.error)
        assert said.startswith("Not saved:") and "locked" in said and str(path) in said
        assert "scenario" not in at.query_params  # nothing was saved, the link is unchanged
        assert at.query_params["budget.monthly"] == "55000"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    overview = app({"budget.monthly": "55000"})
    assert table(overview) == expected_table(with_values(load_preset("default"), {"budget.monthly": 55000.0}))


@pytest.mark.browser
def test_a_page_open_through_a_server_restart_reconnects_with_the_same_numbers(tmp_path):
    from browser_harness import ARGS, CHROMIUM, free_port, start_app, sync_playwright
    from test_browser import type_into, wait_for_table

    port = free_port()
    env = {"ACQLAB_DATABASE_URL": f"sqlite:///{tmp_path / 'library.sqlite3'}"}
    want = expected_table(with_values(load_preset("default"), {"budget.monthly": 55000.0}))
    server = start_app(port, env)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/?budget.monthly=55000")
            wait_for_table(page, want)
            server.terminate()
            server.wait(timeout=10)
            page.wait_for_timeout(1500)  # the page notices: its connection is gone
            server = start_app(port, env)  # the same address, a new process: no session survives
            page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=60_000)
            wait_for_table(page, want, timeout=60)  # reconnected, the same numbers
            assert "budget.monthly=55000" in page.url
            # connected to the new process: edits are answered. Streamlit's first run of the new session carries no
            # input state, so the first edit can be lost (the closing note of issue 12 says so): edit twice
            box = page.get_by_role("spinbutton", name="Monthly budget ($)", exact=True)
            box.fill("60000")
            box.press("Enter")
            page.wait_for_timeout(2000)
            type_into(page, "Monthly budget ($)", "65000", "budget.monthly=65000")
            wait_for_table(page, expected_table(with_values(load_preset("default"), {"budget.monthly": 65000.0})))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.browser
def test_an_upload_cancelled_midway_leaves_the_app_working(tmp_path):
    """A 40 MB export whose page is closed while it uploads: the server stays up, keeps nothing of it, and the next
    page fits the sample as usual."""
    import urllib.request

    from browser_harness import ARGS, CHROMIUM, free_port, start_app, sync_playwright
    from test_browser_calibrate import SAMPLE, file_input, idle

    big = tmp_path / "big_export.csv"
    line = b"Record ID,Original Source,Create Date,Deal Stage\n"
    row = b"1,Paid Search,2026-01-05,Closed Won\n"
    big.write_bytes(line + row * (40_000_000 // len(row)))
    port = free_port()
    server = start_app(port, {"ACQLAB_DATABASE_URL": f"sqlite:///{tmp_path / 'library.sqlite3'}"})
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            first = browser.new_context()
            page = first.new_page()
            page.goto(f"{base}/?view=Calibrate")
            idle(page)
            file_input(page, "CRM export").set_input_files(str(big))
            page.wait_for_timeout(300)  # the upload is under way
            first.close()  # the person closes the tab midway
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as r:
                assert r.read() == b"ok"
            second = browser.new_context().new_page()
            second.goto(f"{base}/?view=Calibrate")
            idle(second)
            assert second.get_by_text("In memory:").count() == 0  # nothing of the other page's upload
            file_input(second, "CRM export").set_input_files(str(SAMPLE))
            idle(second)
            second.get_by_text(re.compile(r"In memory: .*crm_export\.csv")).wait_for(timeout=60_000)
            browser.close()
        assert server.poll() is None  # still running
    finally:
        server.terminate()
        server.wait(timeout=10)
