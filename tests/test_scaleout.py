"""Scale-out (docs/DEPLOY.md): two app processes behind nginx with sticky sessions and one PostgreSQL, on loopback.
A scenario saved in a browser routed to one process is listed by a browser routed to the other."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.request
import uuid
from pathlib import Path

import pytest
from browser_harness import ARGS, CHROMIUM, ROOT, free_port, start_app, sync_playwright

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
PG = os.environ.get("ACQLAB_TEST_POSTGRES_URL")
REQUIRED = os.environ.get("ACQLAB_REQUIRE_POSTGRES") == "1"

pytestmark = pytest.mark.browser
if not (NGINX and PG):
    if REQUIRED:
        raise RuntimeError("the scale-out test needs nginx and ACQLAB_TEST_POSTGRES_URL (.ci/run sets both up)")
    pytest.skip("needs nginx and a PostgreSQL server (ACQLAB_TEST_POSTGRES_URL)", allow_module_level=True)


def _fresh_database(url: str) -> str:
    """A new empty database on the test server, so that this test sees only its own saves."""
    import sqlalchemy as sa

    name = f"acqlab_scaleout_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def _upstream(url: str, route: str) -> str:
    req = urllib.request.Request(url, headers={"Cookie": f"acqlab_route={route}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.read() == b"ok"
        return r.headers["X-Acqlab-Upstream"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    db = _fresh_database(PG or "")
    a, b, front = free_port(), free_port(), free_port()
    env = {"ACQLAB_DATABASE_URL": db, "STREAMLIT_SERVER_COOKIE_SECRET": "scale-out-test-secret"}
    apps = [start_app(a, env), start_app(b, env)]
    prefix = tmp_path_factory.mktemp("nginx")
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = (conf.replace("@LISTEN@", f"127.0.0.1:{front}").replace("@APP_A@", f"127.0.0.1:{a}")
            .replace("@APP_B@", f"127.0.0.1:{b}").replace("@PREFIX@", str(prefix)))  # fmt: skip
    (prefix / "nginx.conf").write_text(conf)
    nginx = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    base = f"http://127.0.0.1:{front}"
    try:
        from browser_harness import wait_healthy

        wait_healthy(base, nginx, "nginx")
        yield base, a, b
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        for p in apps:
            p.terminate()
            p.wait(timeout=10)


def test_the_cookie_pins_a_browser_to_one_process(cluster):
    base, a, b = cluster
    assert _upstream(f"{base}/healthz", "a") == f"127.0.0.1:{a}"
    assert _upstream(f"{base}/healthz", "b") == f"127.0.0.1:{b}"
    assert _upstream(f"{base}/healthz", "a") == f"127.0.0.1:{a}"  # and stays there


def test_saved_through_one_process_is_listed_through_the_other(cluster):
    base, a, b = cluster
    host = "127.0.0.1"
    name = f"Scale-out {uuid.uuid4().hex[:6]}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            one = browser.new_context(viewport={"width": 1440, "height": 900})
            one.add_cookies([{"name": "acqlab_route", "value": "a", "domain": host, "path": "/"}])
            page = one.new_page()
            response = page.goto(f"{base}/?view=Library")
            assert response is not None and response.headers["x-acqlab-upstream"] == f"127.0.0.1:{a}"
            page.locator('[data-testid="stMain"]').get_by_label("Name", exact=True).fill(name)
            page.get_by_role("button", name="Save version").click()
            page.get_by_text(re.compile(r"Saved “Scale-out .*” as version 1")).wait_for(timeout=30_000)
            page.wait_for_url(re.compile(r"scenario=[a-z0-9-]+(@|%40)1"), timeout=30_000)  # Streamlit writes @ as %40
            slug = re.search(r"scenario=([a-z0-9-]+)(@|%40)1", page.url)
            assert slug, page.url

            two = browser.new_context(viewport={"width": 1440, "height": 900})
            two.add_cookies([{"name": "acqlab_route", "value": "b", "domain": host, "path": "/"}])
            other = two.new_page()
            response = other.goto(f"{base}/?view=Library")
            assert response is not None and response.headers["x-acqlab-upstream"] == f"127.0.0.1:{b}"
            # the newest saved scenario is the one picked in the list: its link and its "named …" line show
            other.get_by_text(re.compile(rf"scenario={slug.group(1)}@1$")).wait_for(timeout=30_000)
            other.get_by_text(f"named “{name}”", exact=False).wait_for(timeout=10_000)
        finally:
            browser.close()
