"""`python -m simulation calibrate EXPORT [--mapping MAP.toml] [--base SCENARIO.toml] [--spend SPEND.csv]`.

Prints the calibrated version 2 scenario as TOML on stdout and warnings on stderr. Every problem is
raised as CalibrationError (a ScenarioError): the command line's ``main`` prints one line each and
exits 2."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .errors import CalibrationError, clip


def add_calibrate_parser(sub: Any, parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser) -> None:
    """Register the `calibrate` command on an argparse subparsers object."""
    c = sub.add_parser(
        "calibrate",
        help="fit the channels to a CRM export (CSV or XLSX): prints the calibrated scenario TOML",
        description="Fit stage rates, nurture time and their ranges per channel from a lead export; print a "
        "version 2 scenario (TOML) on stdout, warnings on stderr.",
    )
    c.add_argument("export", help="CRM export of leads: CSV or XLSX, at most 50 MB")
    c.add_argument("--mapping", help="mapping TOML ([columns], [outcome], [sources], [export]); default: recognise "
                   "the columns by name and map every source to a channel")  # fmt: skip
    c.add_argument(
        "--base", help="scenario TOML whose other fields and channels are kept (default: the default preset)"
    )
    c.add_argument(
        "--spend", help="optional CSV of spend per source and month (source, month, spend) for cost per lead"
    )
    c.add_argument(
        "--format",
        choices=["toml", "json"],
        default="toml",
        help="toml = the scenario (default); json = the scenario and every fit (sample sizes, curves)",
    )
    c.set_defaults(func=cmd_calibrate)


def _read_small(path: str, what: str) -> bytes:
    from ..schema.io import read_bytes

    limit = 50 * 1024**2
    raw = read_bytes(path, limit, what, CalibrationError)
    if len(raw) > limit:
        raise CalibrationError([f"{clip(Path(path).name)}: too large for a {what} file"])
    return raw


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() or ch == "\n" else "?" for ch in text)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run the calibration and print the scenario; CalibrationError / ScenarioError for every problem."""
    from ..presets import DEFAULT_PRESET, load_preset
    from ..schema import dumps_scenario, load_with_warnings, scenario_dict
    from . import apply, fit, parse_mapping, propose_mapping, read_export_file, read_spend

    warnings: list[str] = []
    if args.base:
        base, more = load_with_warnings(args.base)
        warnings += more
    else:
        base = load_preset(DEFAULT_PRESET)
    export = read_export_file(args.export)
    if args.mapping:
        raw = _read_small(args.mapping, "mapping")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CalibrationError([f"{clip(args.mapping)}: not a UTF-8 text file"]) from None
        mapping = parse_mapping(text, source=Path(args.mapping).name)
    else:
        mapping = propose_mapping(export, base)
    spend = read_spend(_read_small(args.spend, "spend"), Path(args.spend).name) if args.spend else None
    calibration = fit(export, mapping, base, spend)
    scenario, more = apply(base, calibration)
    warnings += more
    for w in warnings:
        print(_printable(f"warning: {w}"), file=sys.stderr)
    if args.format == "json":
        doc = {"scenario": scenario_dict(scenario), "calibration": calibration.to_json()}
        print(json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False, default=str))
        return 0
    n = len(calibration.channels)
    head = (
        f"# Calibrated from {clip(export.filename, 60)}: {calibration.leads:,} leads in {n} channel"
        f"{'' if n == 1 else 's'}, export date {calibration.export_date.isoformat()}\n"
    )
    sys.stdout.write(_printable(head) + dumps_scenario(scenario))
    return 0
