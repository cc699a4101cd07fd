"""The scenario library on SQLite and PostgreSQL: immutable versions, exact numbers, bad input, concurrency."""

from __future__ import annotations

import copy
import hashlib
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest
import tomli_w
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import scenario
from library_db import lib_fixture, library_url_fixture, save_in_process, sql  # noqa: F401 - fixtures
from sqlalchemy import create_engine

from simulation import load_preset
from simulation.library import (
    NOTES_MAX,
    Library,
    LibraryError,
    LibraryUnavailable,
    Saved,
    database_label,
    default_url,
    open_library,
    parse_ref,
    slugify,
)
from simulation.library.models import Base
from simulation.schema import scenario_dict

BITS = 0.1 + 0.2  # 0.30000000000000004: survives only if every float is stored bit for bit


def budget(saved: Saved) -> float:
    return saved.scenario.budget.monthly


# ---- round trip and versions ---------------------------------------------------------------------------------


def test_round_trip_keeps_every_float_bit_for_bit(lib):
    scn = scenario(**{"budget.monthly": BITS, "economics.gross_margin": 2 / 3,
                      "channel.gen.lead_to_mql": 1 / 3})  # fmt: skip
    saved = lib.save(scn, name="Bits", notes="n", author="Ann")
    got = lib.get("bits")
    assert (saved.slug, saved.version, got.version) == ("bits", 1, 1)
    assert got.scenario.budget.monthly.hex() == "0x1.3333333333334p-2"  # 0.30000000000000004, not 0.3
    assert got.scenario.economics.gross_margin.hex() == "0x1.5555555555555p-1"  # 2/3 to the last bit
    assert got.scenario.channel["gen"].lead_to_mql == 0.3333333333333333
    assert scenario_dict(got.scenario) == scenario_dict(scn.model_copy(update={"name": "Bits"}))
    assert (got.name, got.notes, got.author, got.deleted, got.ref) == ("Bits", "n", "Ann", False, "bits@1")
    assert got.saved_at.utcoffset().total_seconds() == 0
    assert got.saved_at == saved.saved_at  # microseconds survive both databases


def test_versions_are_numbered_in_save_order_and_frozen(lib):
    for i in range(1, 4):
        s = lib.save(scenario(**{"budget.monthly": 1000.0 * i}), slug="q3-plan", author=f"a{i}", notes=f"n{i}")
        assert s.version == i
    assert [v.version for v in lib.versions("q3-plan")] == [1, 2, 3]
    assert [v.to_json()["author"] for v in lib.versions("q3-plan")] == ["a1", "a2", "a3"]
    assert set(lib.versions("q3-plan")[0].to_json()) == {"version", "author", "saved_at", "notes"}
    assert budget(lib.get("q3-plan")) == 3000.0
    assert budget(lib.get_ref("q3-plan@1")) == 1000.0
    lib.save(scenario(**{"budget.monthly": 9999.0}), slug="q3-plan")  # a later save does not touch version 1 or 2
    assert [budget(lib.get("q3-plan", n)) for n in (1, 2, 3, 4)] == [1000.0, 2000.0, 3000.0, 9999.0]
    assert lib.get_ref("q3-plan").version == 4


def test_two_people_saving_the_same_scenario_make_two_versions(lib):
    scn = load_preset("default")
    a = lib.save(scn, author="Ann")
    b = lib.save(scn, author="Bob")
    assert (a.slug, a.version, b.slug, b.version) == (b.slug, 1, a.slug, 2)
    assert a.slug == "mid-market-b2b-services-illustrative"
    assert [(v.version, v.author) for v in lib.versions(a.slug)] == [(1, "Ann"), (2, "Bob")]
    assert scenario_dict(lib.get(a.slug, 1).scenario) == scenario_dict(lib.get(a.slug, 2).scenario)


def test_name_replaces_the_scenario_name_and_makes_the_slug(lib):
    s = lib.save(scenario(), name="Q3 plan — EU!")
    assert (s.slug, s.name, s.scenario.name) == ("q3-plan-eu", "Q3 plan — EU!", "Q3 plan — EU!")
    assert lib.get("q3-plan-eu").scenario.name == "Q3 plan — EU!"
    assert lib.save(scenario()).slug == "hand"  # no name given: the scenario's own ("hand")


def test_list_is_latest_per_scenario_newest_first_with_search_and_deleted(lib):
    lib.save(scenario(), name="Alpha EU", author="Ann")
    lib.save(scenario(), name="Beta", notes="for the Émile review")
    lib.save(scenario(**{"budget.monthly": 7.0}), name="Alpha EU", author="Carl")
    entries = lib.list()
    assert [(e.slug, e.version, e.author) for e in entries] == [("alpha-eu", 2, "Carl"), ("beta", 1, "")]
    doc = entries[0].to_json()
    assert set(doc) == {"slug", "name", "version", "author", "saved_at", "deleted"}
    assert doc["saved_at"].endswith("Z") and doc["name"] == "Alpha EU"
    assert [e.slug for e in lib.list(search="eu")] == ["alpha-eu"]  # the name, any case
    assert [e.slug for e in lib.list(search="ÉMILE")] == ["beta"]  # the notes, case-folded
    assert [e.slug for e in lib.list(search="carl")] == ["alpha-eu"]  # the author of the latest version
    assert [e.slug for e in lib.list(search="ann")] == []  # Ann wrote version 1 only
    lib.delete("alpha-eu")
    assert [(e.slug, e.deleted) for e in lib.list()] == [("alpha-eu", True), ("beta", False)]
    assert [e.slug for e in lib.list(include_deleted=False)] == ["beta"]


def test_rename_and_duplicate_make_new_versions(lib):
    lib.save(scenario(**{"budget.monthly": 1234.5}), name="Plan A", notes="first")
    r = lib.rename("plan-a", "Plan A (final)", author="Bo")
    assert (r.slug, r.version, r.name, r.author) == ("plan-a", 2, "Plan A (final)", "Bo")
    assert lib.get("plan-a", 1).name == "Plan A"  # version 1 keeps its name
    assert budget(lib.get("plan-a")) == 1234.5
    assert lib.versions("plan-a")[1].notes == "Renamed from Plan A"
    d = lib.duplicate("plan-a", "Plan B")
    assert (d.slug, d.version, d.name, budget(d)) == ("plan-b", 1, "Plan B", 1234.5)
    assert lib.versions("plan-b")[0].notes == "Duplicated from plan-a@2"
    d2 = lib.duplicate("plan-a", "Plan B")  # the slug is taken: the next free one
    d3 = lib.duplicate("plan-a", "Plan B")
    assert (d2.slug, d2.version, d3.slug) == ("plan-b-2", 1, "plan-b-3")
    assert [v.version for v in lib.versions("plan-a")] == [1, 2]  # duplicating adds nothing to the source


def test_delete_and_restore_keep_every_version_readable(lib):
    lib.save(scenario(), slug="gone")
    lib.save(scenario(**{"budget.monthly": 2.0}), slug="gone")
    lib.delete("gone")
    lib.delete("gone")  # twice is the same as once
    assert lib.get("gone").deleted and lib.get("gone", 1).deleted
    assert budget(lib.get("gone", 2)) == 2.0
    lib.restore("gone")
    assert not lib.get("gone").deleted
    lib.delete("gone")
    assert lib.save(scenario(), slug="gone").version == 3  # saving again brings it back
    assert [e.deleted for e in lib.list()] == [False]


def test_unknown_slugs_versions_and_refs_are_one_line_errors(lib):
    lib.save(scenario(), slug="known")
    lib.save(scenario(), slug="known")
    with pytest.raises(LibraryError, match=r"^no scenario 'nope' in the library$"):
        lib.get("nope")
    with pytest.raises(LibraryError, match=r"^known has versions 1–2; there is no version 3$"):
        lib.get("known", 3)
    for bad in ("Known", "known@0", "known@x", "known@", "a b", "", "x" * 61):
        with pytest.raises(LibraryError):
            lib.get_ref(bad)
    for call in (lambda: lib.versions("nope"), lambda: lib.delete("nope"), lambda: lib.rename("nope", "x")):
        with pytest.raises(LibraryError, match="no scenario 'nope'"):
            call()
    with pytest.raises(LibraryError, match="is not a slug"):
        lib.save(scenario(), slug="Has Spaces")


# ---- slugs ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Q3 plan — EU!", "q3-plan-eu"),
        ("Café Crème 2025", "cafe-creme-2025"),
        ("  --a--b--  ", "a-b"),
        ("<b>**Bold**</b>", "b-bold-b"),
        ("a" * 100, "a" * 60),
        ("a" * 59 + " bc", "a" * 59),  # cut at 60 ("a"*59 + "-"), then the hyphen goes
        ("", "scenario"),
        ("日本語", "scenario-" + hashlib.sha256("日本語".encode()).hexdigest()[:8]),
    ],
)
def test_slugify(name, slug):
    assert slugify(name) == slug


def test_parse_ref():
    assert parse_ref("q3-plan@2") == ("q3-plan", 2)
    assert parse_ref("q3-plan") == ("q3-plan", None)
    assert parse_ref("a@12") == ("a", 12)
    for bad in ("q3-plan@0", "q3-plan@-1", "q3-plan@²", "Q3", "q3_plan", "@2"):
        with pytest.raises(LibraryError):
            parse_ref(bad)


# ---- bad input ---------------------------------------------------------------------------------------------


def test_notes_up_to_2000_code_points(lib):
    emoji = "😀" * NOTES_MAX  # 2,000 code points, 8,000 UTF-8 bytes
    assert lib.save(scenario(), notes=emoji).notes == emoji
    assert lib.versions("hand")[0].notes == emoji
    with pytest.raises(LibraryError, match=r"^notes: 2,001 characters; allowed at most 2,000$"):
        lib.save(scenario(), notes="x" * (NOTES_MAX + 1))
    assert [v.version for v in lib.versions("hand")] == [1]  # the refused save left nothing behind


def test_names_with_html_or_markdown_are_stored_literally(lib):
    name = "<script>alert(1)</script> **Q3** [x](javascript:1) | a"
    s = lib.save(scenario(), name=name, notes="<img src=x onerror=alert(1)>\n# heading", author="<b>Ann</b>")
    assert s.slug == "script-alert-1-script-q3-x-javascript-1-a"
    got = lib.get(s.slug)
    assert (got.name, got.scenario.name, got.author) == (name, name, "<b>Ann</b>")
    assert got.notes == "<img src=x onerror=alert(1)>\n# heading"
    assert lib.list()[0].name == name


def test_author_and_name_limits(lib):
    s = lib.save(scenario(), author="  Ann\x1b[31m\x00 Lee\n ", notes="a\r\nb\x07c\td")
    assert (s.author, s.notes) == ("Ann[31m Lee", "a\nbc\td")  # control characters gone, line breaks kept
    assert lib.get("hand").author == "Ann[31m Lee"
    assert lib.save(scenario(), author="é" * 120).author == "é" * 120
    with pytest.raises(LibraryError, match=r"^author: 121 characters; allowed at most 120$"):
        lib.save(scenario(), author="é" * 121)
    with pytest.raises(LibraryError, match="at most 80"):
        lib.save(scenario(), name="n" * 81)
    assert lib.save(scenario(), name="tab\there\x00").name == "tabhere"


def _first_body(url: str, slug: str) -> str:
    return sql(url, "SELECT body FROM versions WHERE slug = :s AND version = 1", s=slug)[0][0]


def test_tampered_row_that_no_longer_validates(lib, library_url):
    lib.save(scenario(), slug="t")
    lib.save(scenario(), slug="t")
    body = _first_body(library_url, "t")
    assert "monthly = 1000.0" in body
    bad = body.replace("monthly = 1000.0", "monthly = -5.0")
    sql(library_url, "UPDATE versions SET body = :b WHERE slug = 't' AND version = 1", b=bad)
    with pytest.raises(LibraryError) as info:
        lib.get("t", 1)
    msg = str(info.value)
    assert msg.startswith("t@1: the stored scenario was changed outside the app and no longer validates: budget.")
    assert "-5.0" in msg and "\n" not in msg
    # with its digest recomputed the row is still refused, by the schema
    sql(library_url, "UPDATE versions SET digest = :d WHERE slug = 't' AND version = 1",
        d=hashlib.sha256(bad.encode()).hexdigest())  # fmt: skip
    with pytest.raises(LibraryError, match=r"^t@1: the stored scenario no longer validates: budget\.monthly"):
        lib.get_ref("t@1")
    sql(library_url, "UPDATE versions SET body = 'not [toml' WHERE slug = 't' AND version = 1")
    with pytest.raises(LibraryError, match=r"^t@1: .*malformed TOML"):
        lib.get("t", 1)
    assert lib.get("t").version == 2  # the other version still opens


def test_tampered_row_that_validates_fails_its_digest(lib, library_url):
    lib.save(scenario(), slug="t")
    body = _first_body(library_url, "t").replace("monthly = 1000.0", "monthly = 2000.0")
    sql(library_url, "UPDATE versions SET body = :b WHERE slug = 't'", b=body)
    with pytest.raises(LibraryError, match=r"^t@1: the stored scenario was changed outside the app \(its SHA-256"):
        lib.get("t")


V1 = {
    "name": "old file",
    "horizon_months": 6,
    "budget": {"monthly": 1000.0, "buy_share": 0.3},
    "economics": {"revenue_per_customer_month": 100.0, "gross_margin": 0.5, "monthly_churn": 0.02,
                  "lifetime_months": 24},
    "generate": {"cost_per_lead": 10.0, "lead_to_mql": 0.5, "mql_to_sql": 0.4, "sql_to_customer": 0.5,
                 "nurture_months": 1.0},
    "buy": {"cost_per_lead": 20.0, "lead_to_mql": 0.5, "mql_to_sql": 0.5, "sql_to_customer": 0.4,
            "nurture_months": 2.0},
}  # fmt: skip


def test_version_1_row_migrates_like_a_version_1_file(lib, library_url):
    lib.save(scenario(), slug="old")  # creates the tables and the scenario row
    body = tomli_w.dumps(copy.deepcopy(V1))
    sql(library_url, "UPDATE versions SET body = :b, digest = :d, schema_version = 1, name = 'old file' "
        "WHERE slug = 'old'", b=body, d=hashlib.sha256(body.encode()).hexdigest())  # fmt: skip
    got = lib.get("old", 1)
    scn = got.scenario
    assert scn.schema_version == 2 and list(scn.channel) == ["generate", "buy"]
    assert (scn.channel["generate"].share, scn.channel["buy"].share) == (0.7, 0.3)  # 1 - buy_share, buy_share
    assert (scn.channel["generate"].kind, scn.channel["buy"].cost_per_lead) == ("generate", 20.0)


# ---- the database ------------------------------------------------------------------------------------------


def test_first_use_creates_the_default_file_with_wal(tmp_path, monkeypatch):
    home = tmp_path / "not" / "yet"
    monkeypatch.delenv("ACQLAB_DATABASE_URL", raising=False)
    monkeypatch.setenv("ACQLAB_DATA_DIR", str(home))
    assert default_url() == f"sqlite:///{home}/library.sqlite3"
    assert database_label(default_url()) == f"{home}/library.sqlite3"
    lib = Library()
    assert not home.exists()  # nothing happens until the first call
    lib.save(scenario())
    lib.dispose()
    with sqlite3.connect(home / "library.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
    monkeypatch.setenv("ACQLAB_DATABASE_URL", "postgresql+psycopg://u:pw@db.example:5433/acq")
    assert default_url() == "postgresql+psycopg://u:pw@db.example:5433/acq"
    assert database_label(default_url()) == "db.example:5433/acq"
    monkeypatch.delenv("ACQLAB_DATA_DIR")
    monkeypatch.delenv("ACQLAB_DATABASE_URL")
    assert default_url() == f"sqlite:///{Path.home()}/.local/share/acquisition-lab/library.sqlite3"


def test_open_library_keeps_one_library_per_url(tmp_path):
    a = open_library(f"sqlite:///{tmp_path}/a.sqlite3")
    assert open_library(f"sqlite:///{tmp_path}/a.sqlite3") is a
    assert open_library(f"sqlite:///{tmp_path}/b.sqlite3") is not a


def test_models_match_the_migrations(lib, library_url):
    lib.list()  # migrates
    engine = create_engine(library_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def test_postgres_that_is_down_names_the_host_not_the_password():
    lib = Library("postgresql+psycopg://ann:s3cret@127.0.0.1:1/acq")
    for call in (lib.list, lambda: lib.save(scenario()), lambda: lib.get("x")):
        with pytest.raises(LibraryUnavailable) as info:
            call()
        msg = str(info.value)
        assert msg.startswith("the scenario library at 127.0.0.1:1/acq is unavailable (")
        assert msg.endswith("; the app keeps working on links")
        assert "s3cret" not in msg and "\n" not in msg


def test_sqlite_file_that_cannot_be_opened_then_recovers(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    path = blocker / "library.sqlite3"
    lib = Library(f"sqlite:///{path}")
    with pytest.raises(LibraryUnavailable, match=f"^the scenario library at {path} is unavailable"):
        lib.list()
    blocker.unlink()
    assert lib.list() == []  # the next call tries again
    lib.dispose()
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LibraryUnavailable, match=f"^the scenario library at {garbage} is unavailable .*not a database"):
        Library(f"sqlite:///{garbage}").list()


def test_a_url_that_is_not_a_url():
    with pytest.raises(LibraryUnavailable, match="not a URL"):
        Library("nonsense").list()


# ---- concurrency -------------------------------------------------------------------------------------------

N = 20


@pytest.mark.parametrize("shared", [True, False], ids=["one-library", "library-per-thread"])
def test_20_threads_save_the_same_slug_on_a_new_database(library_url, shared):
    libraries = [Library(library_url)] * N if shared else [Library(library_url) for _ in range(N)]
    start = threading.Barrier(N)
    results: dict[int, Saved] = {}
    errors: list[BaseException] = []

    def save(i: int) -> None:
        try:
            start.wait()
            results[i] = libraries[i].save(scenario(**{"budget.monthly": 1000.0 + i}), slug="race", author=f"t{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(s.version for s in results.values()) == list(range(1, N + 1))
    check = libraries[0]
    assert [v.version for v in check.versions("race")] == list(range(1, N + 1))
    for i, s in results.items():  # each version holds exactly what its saver saved
        got = check.get("race", s.version)
        assert (budget(got), got.author) == (1000.0 + i, f"t{i}")
    for library in set(libraries):
        library.dispose()


def test_20_processes_save_the_same_slug_on_a_new_database(library_url):
    """20 spawned processes released at once on a database nobody has used: the first use (creating and
    migrating it) and the saves race; versions are 1..20, each holding what its process saved."""
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(N), ctx.Queue()
    bodies = [tomli_w.dumps(scenario_dict(scenario(**{"budget.monthly": 2000.0 + i}))) for i in range(N)]
    procs = [
        ctx.Process(target=save_in_process, args=(library_url, "race", i, bodies[i], start, results)) for i in range(N)
    ]
    for p in procs:
        p.start()
    got = [results.get(timeout=180) for _ in range(N)]
    for p in procs:
        p.join(60)
    assert [e for *_, e in got if e is not None] == []
    versions = {i: v for i, v, _, _ in got}
    assert sorted(versions.values()) == list(range(1, N + 1))
    lib = Library(library_url)
    assert [v.version for v in lib.versions("race")] == list(range(1, N + 1))
    for i, n in versions.items():
        saved = lib.get("race", n)
        assert (budget(saved), saved.author) == (2000.0 + i, f"p{i}")
    lib.dispose()
