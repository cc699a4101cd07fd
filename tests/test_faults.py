"""Faults: a locked library database (saving says why, the page keeps working), and the app server restarted with
a page open (the page reconnects and shows the same numbers)."""

from __future__ import annotations

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
            # the link holds the whole scenario: reloading on the new process gives a live page with the same
            # numbers, and edits are answered (an edit before the reload is not: see the closing note of issue 12)
            page.reload()
            wait_for_table(page, want, timeout=60)
            type_into(page, "Monthly budget ($)", "60000", "budget.monthly=60000")
            wait_for_table(page, expected_table(with_values(load_preset("default"), {"budget.monthly": 60000.0})))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
