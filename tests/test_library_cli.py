"""`python -m simulation library …`: JSON out, TOML that parses to the saved values, one-line errors, exit codes."""

from __future__ import annotations

import json
import sys
import tomllib
import types
from datetime import date
from pathlib import Path

import pytest
import tomli_w
from conftest import scenario, scenario_dict
from library_db import ensure_library_command, library_url_fixture, run_cli  # noqa: F401 - fixtures

import simulation
from simulation import cli
from simulation.library import Library

BITS = 0.1 + 0.2


@pytest.fixture
def main(library_url, monkeypatch, capsys):
    """``main(*args) -> (exit code, stdout, stderr)`` of the CLI, in this process, on the test's database."""
    ensure_library_command()
    monkeypatch.setenv("ACQLAB_DATABASE_URL", library_url)

    def call(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return call


def write(tmp_path: Path, name: str = "s.toml", **overrides) -> Path:
    path = tmp_path / name
    path.write_text(tomli_w.dumps(scenario_dict(**overrides)))
    return path


def one_error(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_save_prints_slug_and_version(main, tmp_path):
    f = write(tmp_path, **{"budget.monthly": BITS})
    assert main("library", "save", str(f)) == (0, '{\n  "slug": "hand",\n  "version": 1\n}\n', "")
    code, out, _ = main("library", "save", str(f), "--name", "Q3 plan — EU!", "--notes", "n", "--author", "Ann")
    assert (code, json.loads(out)) == (0, {"slug": "q3-plan-eu", "version": 1})
    code, out, _ = main("library", "save", str(f), "--slug", "hand", "--name", "Renamed")
    assert json.loads(out) == {"slug": "hand", "version": 2}
    code, out, _ = main("library", "versions", "q3-plan-eu")
    doc = json.loads(out)
    assert [(v["version"], v["author"], v["notes"]) for v in doc] == [(1, "Ann", "n")]
    assert set(doc[0]) == {"version", "author", "saved_at", "notes"}


def test_show_prints_toml_that_parses_to_the_saved_values(main, tmp_path):
    f = write(tmp_path, **{"budget.monthly": BITS, "channel.gen.cost_per_lead": 1 / 3})
    main("library", "save", str(f), "--slug", "p")
    main("library", "save", str(write(tmp_path, "b.toml", **{"budget.monthly": 5.0})), "--slug", "p")
    code, out, err = main("library", "show", "p@1")
    assert (code, err) == (0, "")
    shown = tomllib.loads(out)
    assert shown["budget"]["monthly"].hex() == BITS.hex()
    assert shown["channel"]["gen"]["cost_per_lead"] == 0.3333333333333333
    original = tomllib.loads(f.read_text())
    for section in ("budget", "economics"):  # every value in the file, exactly; defaults may be added
        assert {k: shown[section][k] for k in original[section]} == original[section]
    for cid, fields in original["channel"].items():
        assert {k: shown["channel"][cid][k] for k in fields} == fields
    assert tomllib.loads(main("library", "show", "p")[1])["budget"]["monthly"] == 5.0


def test_list_includes_deleted_and_delete_restore(main, tmp_path):
    f = write(tmp_path)
    main("library", "save", str(f), "--name", "One")
    main("library", "save", str(f), "--name", "Two", "--author", "Bo")
    assert main("library", "delete", "one")[0] == 0
    code, out, _ = main("library", "list")
    doc = json.loads(out)
    assert [(e["slug"], e["name"], e["version"], e["author"], e["deleted"]) for e in doc] == [
        ("two", "Two", 1, "Bo", False),
        ("one", "One", 1, "", True),
    ]
    assert all(set(e) == {"slug", "name", "version", "author", "saved_at", "deleted"} for e in doc)
    assert tomllib.loads(main("library", "show", "one")[1])["name"] == "One"  # a deleted slug still shows
    assert json.loads(main("library", "list", "--hide-deleted")[1])[0]["slug"] == "two"
    assert len(json.loads(main("library", "list", "--hide-deleted")[1])) == 1
    assert json.loads(main("library", "list", "--search", "TW")[1])[0]["slug"] == "two"
    assert main("library", "restore", "one")[0] == 0
    assert [e["deleted"] for e in json.loads(main("library", "list")[1])] == [False, False]


def test_mistakes_exit_2_with_one_line(main, tmp_path):
    f = write(tmp_path)
    main("library", "save", str(f))
    cases = {
        ("library", "show", "nope"): "error: no scenario 'nope' in the library",
        ("library", "show", "hand@7"): "error: hand has version 1; there is no version 7",
        ("library", "versions", "nope"): "error: no scenario 'nope' in the library",
        ("library", "delete", "nope"): "error: no scenario 'nope' in the library",
        ("library", "show", "Hand"): "error: 'Hand' is not a slug; a slug is 1–60 of a-z, 0-9 and -",
        ("library", "save", str(f), "--notes", "x" * 2001): "error: notes: 2,001 characters; allowed at most 2,000",
        ("library", "save", str(f), "--slug", "a b"): "error: 'a b' is not a slug; a slug is 1–60 of a-z, 0-9 and -",
        ("library", "save", str(tmp_path / "missing.toml")): f"error: {tmp_path / 'missing.toml'}: no such file",
        ("library", "frobnicate"): None,
        ("library",): None,
    }
    for args, want in cases.items():
        code, out, err = main(*args)
        line = one_error(err)
        assert (code, out) == (2, ""), args
        if want is not None:
            assert line == want
    assert main("library", "save", str(f), "--notes", "😀" * 2000)[0] == 0  # 2,000 code points is allowed


def test_unreachable_database_exits_1_naming_the_host(tmp_path):
    proc = run_cli("library", "list", url="postgresql+psycopg://ann:s3cret@127.0.0.1:1/acq")
    assert (proc.returncode, proc.stdout) == (1, "")
    line = one_error(proc.stderr)
    assert line.startswith("error: the scenario library at 127.0.0.1:1/acq is unavailable (")
    assert "s3cret" not in line
    blocker = tmp_path / "plain-file"
    blocker.write_text("")
    proc = run_cli("library", "save", str(write(tmp_path)), url=f"sqlite:///{blocker}/library.sqlite3")
    assert proc.returncode == 1
    assert one_error(proc.stderr).startswith(f"error: the scenario library at {blocker}/library.sqlite3 is unavailable")


def test_cli_and_api_share_the_database(library_url, tmp_path):
    f = write(tmp_path, **{"budget.monthly": BITS})
    proc = run_cli("library", "save", str(f), "--author", "Cli", url=library_url)
    assert (proc.returncode, json.loads(proc.stdout)) == (0, {"slug": "hand", "version": 1}), proc.stderr
    lib = Library(library_url)
    saved = lib.get("hand")
    assert (saved.author, saved.scenario.budget.monthly) == ("Cli", BITS)
    lib.save(scenario(**{"budget.monthly": 42.0}), slug="hand")
    lib.dispose()
    proc = run_cli("library", "show", "hand@2", url=library_url)
    assert tomllib.loads(proc.stdout)["budget"]["monthly"] == 42.0


# ---- export ------------------------------------------------------------------------------------------------


@pytest.fixture
def fake_exports(monkeypatch):
    """A stand-in simulation.exports that records its calls (the CLI's wiring, not the exports themselves)."""
    calls: list[tuple] = []

    class ExportUnavailable(Exception):
        pass

    def export(scn, fmt, link="", when=None):
        calls.append((scn.name, scn.budget.monthly, fmt, link, when))
        if fmt == "pdf":
            raise ExportUnavailable("no headless browser: install one with 'sudo apt-get install -y chromium'")
        return f"{fmt}:{scn.name}".encode()

    def file_name(name, when, ext):
        return f"{name.lower()}-{when.isoformat()}.{ext}"

    mod = types.ModuleType("simulation.exports")
    mod.export, mod.file_name, mod.ExportUnavailable = export, file_name, ExportUnavailable
    monkeypatch.setitem(sys.modules, "simulation.exports", mod)
    monkeypatch.setattr(simulation, "exports", mod, raising=False)
    return calls


def test_export_writes_the_file_named_by_exports(main, tmp_path, monkeypatch, fake_exports):
    main("library", "save", str(write(tmp_path, **{"budget.monthly": 7.0})), "--name", "Plan")
    main("library", "save", str(write(tmp_path, **{"budget.monthly": 8.0})), "--name", "Plan")
    main("library", "delete", "plan")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    today = date.today()
    code, out, err = main("library", "export", "plan@1", "--format", "csv")
    assert (code, err) == (0, "")
    written = here / f"plan-{today.isoformat()}.csv"
    assert json.loads(out) == {"file": str(written), "bytes": 8}
    assert written.read_bytes() == b"csv:Plan"
    assert fake_exports == [("Plan", 7.0, "csv", "", today)]  # version 1's numbers, a deleted slug
    out_file = tmp_path / "report.html"
    assert main("library", "export", "plan", "--format", "html", "-o", str(out_file))[0] == 0
    assert out_file.read_bytes() == b"html:Plan" and fake_exports[-1][1] == 8.0
    assert main("library", "export", "plan", "--format", "xlsx", "-o", str(tmp_path))[0] == 0  # a folder
    assert (tmp_path / f"plan-{today.isoformat()}.xlsx").read_bytes() == b"xlsx:Plan"
    code, out, err = main("library", "export", "plan", "--format", "pdf")
    assert (code, out) == (2, "")
    assert one_error(err) == "error: no headless browser: install one with 'sudo apt-get install -y chromium'"
    code, _, err = main("library", "export", "plan", "--format", "docx")
    assert code == 2 and "invalid choice" in one_error(err)
    code, _, err = main("library", "export", "nope", "--format", "csv")
    assert (code, one_error(err)) == (2, "error: no scenario 'nope' in the library")


def test_export_xlsx_through_the_real_exports(main, tmp_path):
    pytest.importorskip("simulation.exports")
    main("library", "save", str(write(tmp_path)), "--name", "Real")
    out_file = tmp_path / "real.xlsx"
    code, out, err = main("library", "export", "real", "--format", "xlsx", "-o", str(out_file))
    assert (code, err) == (0, "")
    assert out_file.read_bytes()[:2] == b"PK"  # a zip: the workbook
    assert json.loads(out)["bytes"] == out_file.stat().st_size
