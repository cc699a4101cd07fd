"""The Library and Compare views in the app (AppTest): save, open by link, versions frozen, hostile names, a
database that is down."""

from __future__ import annotations

import pytest
from apptest_helpers import app, expected_table, table, unescape

from simulation import load_preset, with_values

K = "_views.library."
DOWN = "postgresql+psycopg://acqlab:x@127.0.0.1:9/acqlab"  # the discard port: nothing listens


@pytest.fixture(autouse=True)
def library(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'library.sqlite3'}"
    monkeypatch.setenv("ACQLAB_DATABASE_URL", url)
    return url


def save(at, name: str, notes: str = "", author: str = "Ana"):
    at.text_input(key=K + "name").input(name)
    at.text_area(key=K + "notes").input(notes)
    at.text_input(key=K + "author").input(author)
    at.button(key=K + "save").click().run()
    assert not at.exception, at.exception
    return at


def test_saved_then_opened_by_its_link_shows_the_same_numbers():
    at = save(app({"budget.monthly": "55000", "view": "Library"}), "Q3 plan")
    assert [unescape(s.value) for s in at.success][0].startswith("Saved “Q3 plan” as version 1 of q3-plan.")
    # the address bar now opens the saved version: nothing else differs from it
    assert dict(at.query_params) == {"v": "2", "scenario": "q3-plan@1", "view": "Library"}
    want = with_values(load_preset("default"), {"budget.monthly": 55000.0, "name": "Q3 plan"})
    opened = app({"scenario": "q3-plan@1"})
    assert unescape(opened.title[0].value) == "Q3 plan"
    assert table(opened) == expected_table(want)
    assert not opened.warning


def test_a_version_stays_frozen_after_a_later_save_and_the_slug_opens_the_latest():
    save(app({"budget.monthly": "55000", "view": "Library"}), "Q3 plan")
    at = app({"scenario": "q3-plan@1", "budget.monthly": "61000", "view": "Library"})
    assert at.radio(key=K + "target").value == "version"  # opened from q3-plan: a new version of it
    save(at, "Q3 plan")
    assert at.query_params["scenario"] == "q3-plan@2"
    base = load_preset("default")
    assert table(app({"scenario": "q3-plan@1"})) == expected_table(
        with_values(base, {"budget.monthly": 55000.0, "name": "Q3 plan"})
    )
    latest = app({"scenario": "q3-plan"})
    assert table(latest) == expected_table(with_values(base, {"budget.monthly": 61000.0, "name": "Q3 plan"}))
    assert latest.query_params["scenario"] == "q3-plan"  # nothing edited: the link stays as given (the latest)


def test_edits_to_a_saved_scenario_are_measured_against_it_and_pin_its_version():
    save(app({"budget.monthly": "55000", "view": "Library"}), "Q3 plan")
    at = app({"scenario": "q3-plan", "economics.monthly_churn": "0.03"})
    assert at.query_params["scenario"] == "q3-plan@1"
    assert at.query_params["economics.monthly_churn"] == "0.03"
    assert "budget.monthly" not in at.query_params  # 55,000 is the saved version's own value


def test_an_unknown_slug_warns_and_opens_the_default_preset():
    at = app({"scenario": "no-such-plan"})
    text = " ".join(unescape(w.value) for w in at.warning)
    assert "scenario='no-such-plan'" in text and "default preset" in text
    assert table(at) == expected_table(load_preset("default"))


def test_names_with_html_or_markdown_show_literally():
    name = "<img src=x onerror=alert(1)> **bold** :red[x]"
    at = save(app({"view": "Library"}), name)
    assert unescape(at.title[0].value) == name
    assert at.query_params["scenario"] == "img-src-x-onerror-alert-1-bold-red-x@1"
    assert name in unescape(at.success[0].value)


def test_notes_take_2000_characters_and_no_more(library):
    from simulation.library import open_library

    at = app({"view": "Library"})
    assert at.text_area(key=K + "notes").max_chars == 2000  # the browser stops typing there
    notes = "📈" * 2000  # 2,000 code points (8,000 bytes in UTF-8)
    save(at, "Long notes", notes=notes)
    assert open_library(library).get("long-notes", 1).notes == notes
    # more than that never reaches the database: the library refuses it (tests/test_library.py), and says why
    from simulation.library import LibraryError

    with pytest.raises(LibraryError, match="2,000"):
        open_library(library).save(load_preset("default"), name="x", notes="x" * 2001)


def test_a_database_that_is_down_leaves_the_app_working_on_links(monkeypatch):
    monkeypatch.setenv("ACQLAB_DATABASE_URL", DOWN)
    at = app({"view": "Library", "budget.monthly": "50000"})
    text = " ".join(unescape(w.value) for w in at.warning)
    assert "unavailable" in text and "127.0.0.1" in text and "keeps working on links" in text
    assert at.button(key=K + "save").disabled
    overview = app({"budget.monthly": "50000"})
    assert table(overview) == expected_table(with_values(load_preset("default"), {"budget.monthly": 50000.0}))
    opened = app({"scenario": "q3-plan"})  # a saved link while the library is down: said, and kept in the link
    assert any("127.0.0.1" in unescape(w.value) for w in opened.warning)
    assert opened.query_params["scenario"] == "q3-plan"


def test_compare_shows_the_differences_against_the_first():
    save(app({"budget.monthly": "55000", "view": "Library"}), "Q3 plan")
    at = app({"view": "Compare", "compare": "current,q3-plan@1"})
    frames = [d.value for d in at.dataframe]
    headline, inputs = frames[0], frames[1]
    assert list(headline.columns) == ["Metric", "This scenario", "Q3 plan v1 (vs first)"]
    assert list(inputs["Input"]) == ["Name", "Monthly budget"]
    assert list(inputs.iloc[1, 1:]) == ["$40,000", "$55,000"]
    # spend over 24 months: 24 × 15,000 more
    spend = headline[headline["Metric"] == "Spend"].iloc[0]
    assert spend.iloc[2].endswith("(+$360,000)")
    assert at.query_params["compare"] == "current,q3-plan@1"


def test_sign_in_shows_only_when_a_provider_is_configured():
    from apptest_helpers import APP
    from streamlit.testing.v1 import AppTest

    plain = app({"view": "Library"})
    assert not [b for b in plain.sidebar.button if b.label == "Sign in"]
    assert plain.text_input(key=K + "author").label == "Your name"  # team-wide: the author is typed
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "id", "client_secret": "secret",
                          "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"}  # fmt: skip
    at.query_params["view"] = "Library"
    at.run()
    assert not at.exception
    assert [b.label for b in at.sidebar.button if b.label == "Sign in"] == ["Sign in"]


def test_a_tampered_stored_version_is_refused_with_its_name(library):
    import sqlalchemy as sa

    save(app({"budget.monthly": "55000", "view": "Library"}), "Q3 plan")
    engine = sa.create_engine(library)
    with engine.begin() as conn:
        body = conn.execute(sa.text("SELECT body FROM versions WHERE slug = 'q3-plan'")).scalar_one()
        conn.execute(sa.text("UPDATE versions SET body = :b WHERE slug = 'q3-plan'"),
                     {"b": body.replace("monthly = 55000.0", "monthly = 56000.0")})  # fmt: skip
    engine.dispose()
    at = app({"scenario": "q3-plan@1"})
    text = " ".join(unescape(w.value) for w in at.warning)
    assert "q3-plan@1" in text and "changed outside the app" in text and "default preset" in text
    assert table(at) == expected_table(load_preset("default"))


def test_the_search_box_filters_the_saved_scenarios(library):
    from simulation.library import open_library

    lib = open_library(library)
    lib.save(load_preset("default"), name="Q3 plan", author="Ana")
    lib.save(load_preset("default"), name="Cheaper vendor", author="Ben")
    at = app({"view": "Library"})
    assert at.selectbox(key=K + "pick").options == ["Cheaper vendor · cheaper-vendor · v1", "Q3 plan · q3-plan · v1"]
    at.text_input(key=K + "search").input("ana").run()  # the author, case ignored
    assert at.selectbox(key=K + "pick").options == ["Q3 plan · q3-plan · v1"]
    at.text_input(key=K + "search").input("nothing like it").run()
    assert [c.value for c in at.caption if "No saved scenario matches" in c.value]
