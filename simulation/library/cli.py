"""``python -m simulation library save|list|show|versions|delete|restore|export``: the library from a shell.

JSON goes to stdout. A person's mistake (unknown slug or version, notes too long, a bad file) exits 2 with one
line; a database that cannot be reached exits 1 with one line naming the host or file. The database is
``ACQLAB_DATABASE_URL``, else the embedded SQLite file (``simulation.library.db``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any

EXPORT_FORMATS = ("xlsx", "csv", "html", "pdf")


def _say(message: str, kind: str = "error") -> None:
    from ..cli import printable

    print(printable(f"{kind}: {message}").replace("\n", " "), file=sys.stderr)


def _dump(doc: Any) -> str:
    return json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False)


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Library errors as one line: exit 2 for a person's mistake, 1 for a database that cannot be reached."""

    @wraps(func)
    def run(args: argparse.Namespace) -> int:
        from . import LibraryError, LibraryUnavailable

        try:
            return func(args)
        except LibraryUnavailable as exc:
            _say(str(exc))
            return 1
        except LibraryError as exc:
            _say(str(exc))
            return 2

    return run


def _library() -> Any:
    from . import open_library

    return open_library()


@_guarded
def cmd_save(args: argparse.Namespace) -> int:
    from ..cli import _load

    scn = _load(args.file)
    saved = _library().save(scn, slug=args.slug, name=args.name, notes=args.notes or "", author=args.author or "")
    print(_dump({"slug": saved.slug, "version": saved.version}))
    return 0


@_guarded
def cmd_list(args: argparse.Namespace) -> int:
    entries = _library().list(search=args.search, include_deleted=not args.hide_deleted)
    print(_dump([e.to_json() for e in entries]))
    return 0


@_guarded
def cmd_show(args: argparse.Namespace) -> int:
    from ..schema import dumps_scenario

    saved = _library().get_ref(args.ref)
    for w in saved.warnings:
        _say(w, "warning")
    sys.stdout.write(dumps_scenario(saved.scenario))
    return 0


@_guarded
def cmd_versions(args: argparse.Namespace) -> int:
    print(_dump([v.to_json() for v in _library().versions(args.slug)]))
    return 0


def _mark(deleted: bool) -> Callable[[argparse.Namespace], int]:
    @_guarded
    def command(args: argparse.Namespace) -> int:
        lib = _library()
        (lib.delete if deleted else lib.restore)(args.slug)
        print(_dump({"slug": args.slug, "deleted": deleted}))
        return 0

    return command


cmd_delete, cmd_restore = _mark(True), _mark(False)


@_guarded
def cmd_export(args: argparse.Namespace) -> int:
    saved = _library().get_ref(args.ref)
    try:
        from .. import exports
    except ImportError:
        _say("exports are not part of this installation")
        return 2
    today = date.today()
    try:
        data = exports.export(saved.scenario, args.format, link="", when=today)
    except exports.ExportUnavailable as exc:
        _say(str(exc))
        return 2
    name = exports.file_name(saved.scenario.name, today, args.format)
    out = Path(args.output) if args.output else Path.cwd() / name
    if out.is_dir():
        out = out / name
    try:
        out.write_bytes(data)
    except OSError as exc:
        _say(f"cannot write {str(out)[:80]} ({exc.strerror or exc.__class__.__name__})")
        return 2
    print(_dump({"file": str(out), "bytes": len(data)}))
    return 0


def add_library_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Register ``library`` and its commands on the main parser's subparsers (``sub``)."""
    lib = sub.add_parser("library", help="the team's scenario library: save, list, show, versions, export")
    cmds = lib.add_subparsers(dest="library_command", required=True, parser_class=parser_class)
    s = cmds.add_parser("save", help="save a scenario file as a new version; prints {slug, version}")
    s.add_argument("file", help="scenario TOML file")
    s.add_argument("--slug", help="1–60 of a-z, 0-9 and - (default: made from the name)")
    s.add_argument("--name", help="replaces the scenario's name in the saved version")
    s.add_argument("--notes", help="at most 2,000 characters")
    s.add_argument("--author", help="who saves it (at most 120 characters)")
    s.set_defaults(func=cmd_save)
    ls = cmds.add_parser("list", help="the latest version of every scenario, deleted ones included (JSON)")
    ls.add_argument("--search", help="only scenarios whose slug, name, author or notes contain this")
    ls.add_argument("--hide-deleted", action="store_true", help="leave deleted scenarios out")
    ls.set_defaults(func=cmd_list)
    for name, dest, metavar, func, text in (
        ("show", "ref", "S[@n]", cmd_show, "a version as scenario TOML (S is the latest, S@n version n)"),
        ("versions", "slug", "S", cmd_versions, "every version of a scenario (JSON)"),
        ("delete", "slug", "S", cmd_delete, "delete a scenario (restorable; its versions still open)"),
        ("restore", "slug", "S", cmd_restore, "restore a deleted scenario"),
    ):
        one = cmds.add_parser(name, help=text)
        one.add_argument(dest, metavar=metavar)
        one.set_defaults(func=func)
    e = cmds.add_parser("export", help="write a version as XLSX, CSV, HTML report or PDF report")
    e.add_argument("ref", metavar="S[@n]")
    e.add_argument("--format", choices=EXPORT_FORMATS, required=True)
    e.add_argument("-o", "--output", metavar="OUT", help="file or folder (default: <name>-<YYYY-MM-DD>.<ext> here)")
    e.set_defaults(func=cmd_export)
