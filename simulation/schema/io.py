"""Reading and writing scenarios: TOML files, dotted names, version 1 migration, one line per problem."""

from __future__ import annotations

import copy
import math
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from .fields import CHANNEL_FIELDS, SCALAR_FIELDS, channel_field_names, spec_of
from .scenario import PROBLEM_SEP, Channel, Scenario, _clip, did_you_mean

MAX_FILE_BYTES = 1_000_000


class ScenarioError(ValueError):
    """Invalid scenario input; ``problems`` holds one human sentence per problem."""

    def __init__(self, problems: list[str]):
        self.problems = [_clip(p, 400) for p in problems]
        super().__init__("\n".join(self.problems))


# ---- names ------------------------------------------------------------------------------------

_TOP = ["schema_version", "name", "currency", "horizon_months", "budget", "economics", "sales", "channel",
        "uncertainty", "optimize"]  # fmt: skip
_SECTIONS = {
    "budget": ["monthly"],
    "economics": [k.split(".")[1] for k in SCALAR_FIELDS if k.startswith("economics.")],
    "sales": [k.split(".")[1] for k in SCALAR_FIELDS if k.startswith("sales.")],
    "uncertainty": ["draws", "seed", "ranges", "correlations"],
    "optimize": ["bounds"],
}


def _siblings(loc: tuple, data: Any) -> list[str]:
    """Names that could have been meant at an unknown location."""
    if len(loc) == 1:
        return _TOP
    if loc[0] == "channel" and len(loc) == 3:
        kind = None
        try:
            kind = data["channel"][loc[1]].get("kind")
        except (KeyError, TypeError, AttributeError):
            pass
        leaves = channel_field_names(kind) if kind in ("generate", "buy") else list(CHANNEL_FIELDS)
        return [f"channel.{loc[1]}.{x}" for x in ["label", "kind", *leaves]]
    if len(loc) == 2 and loc[0] in _SECTIONS:
        return [f"{loc[0]}.{x}" for x in _SECTIONS[loc[0]]]
    return []


def _value_text(v: Any) -> str:
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, str):
        return repr(_clip(v, 80))
    return _clip(repr(v), 80)


def _describe(err: dict[str, Any], data: Any) -> list[str]:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and (p.startswith("function-") or p == "tuple")))
    name = ".".join(_clip(str(p), 60) for p in loc)
    etype = err["type"]
    value = err.get("input")
    if etype == "value_error":
        msg = err["msg"].removeprefix("Value error, ")
        lines = msg.split(PROBLEM_SEP)
        if loc and loc[0] == "channel" and len(loc) == 2:  # a channel's own rule: 'field: …'
            return [f"channel.{loc[1]}.{line}" for line in lines]
        if loc and not lines[0].startswith(loc[0]):
            return [f"{name}: {line}" for line in lines]
        return lines
    if etype == "extra_forbidden":
        return [f"{name}: unknown field{did_you_mean(name, _siblings(loc, data))}"]
    spec = spec_of(name) if name else None
    allowed = f"; allowed {spec.range_text()}" if spec else ""
    if etype == "missing":
        return [f"{name}: required field is missing{allowed}"]
    if loc[:2] in (("uncertainty", "ranges"), ("optimize", "bounds")) and len(loc) >= 3:
        where = ".".join(str(p) for p in loc[:3])
        return [f"{where}: expected a pair [low, high] of finite numbers, got {_value_text(value)}"]
    if etype == "literal_error" and loc == ("kind",) or (len(loc) == 3 and loc[2] == "kind"):
        return [f"{name}: {_value_text(value)} is not allowed; allowed 'generate' or 'buy'"]
    if etype == "literal_error" and loc == ("schema_version",):
        return [f"schema_version: {_value_text(value)} is not allowed; allowed 1 or 2"]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{name}: {_value_text(value)} is not a finite number{allowed}"]
    if etype in ("float_type", "int_type", "string_type", "dict_type", "bool_type"):
        want = {"float_type": "a number", "int_type": "a whole number", "string_type": "text",
                "dict_type": "a table", "bool_type": "true or false"}[etype]  # fmt: skip
        return [f"{name}: {_value_text(value)} is not {want}{allowed}"]
    if etype == "int_from_float":
        return [f"{name}: {_value_text(value)} is not a whole number{allowed}"]
    if etype == "string_too_long":
        return [f"{name}: {len(value)} characters; allowed at most {err['ctx']['max_length']}"]
    return [f"{name}: {_value_text(value)} is not allowed{allowed} ({err['msg'].lower()})"]


# ---- version 1 migration ------------------------------------------------------------------------


def is_v1(data: dict[str, Any]) -> bool:
    """Whether a mapping is a version 1 scenario (no schema_version, or 1)."""
    v = data.get("schema_version", 1)
    return v == 1 and not isinstance(v, bool)


def migrate_v1(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A version 1 mapping as version 2: channels ``generate`` and ``buy``; warnings for what changed."""
    d = copy.deepcopy(data)
    d.pop("schema_version", None)
    warnings: list[str] = []
    out: dict[str, Any] = {"schema_version": 2}
    budget = d.pop("budget", None)
    share = 0.5
    if isinstance(budget, dict):
        share = budget.pop("buy_share", 0.5)
    for key in ("name", "horizon_months"):
        if key in d:
            out[key] = d.pop(key)
    if budget is not None:
        out["budget"] = budget
    if "economics" in d:
        out["economics"] = d.pop("economics")
    channels: dict[str, Any] = {}
    gen, buy = d.pop("generate", None), d.pop("buy", None)
    ok_share = isinstance(share, int | float) and not isinstance(share, bool)
    if gen is not None:
        channels["generate"] = {"label": "Generate", "kind": "generate", **(gen if isinstance(gen, dict) else {})}
        if ok_share:
            channels["generate"]["share"] = 1.0 - share
    if buy is not None:
        channels["buy"] = {"label": "Buy", "kind": "buy", **(buy if isinstance(buy, dict) else {})}
        if ok_share:
            channels["buy"]["share"] = float(share)
    if not ok_share:
        channels.setdefault("buy", {})["share"] = share  # let validation name the bad value
    out["channel"] = channels
    unc = d.pop("uncertainty", None)
    if isinstance(unc, dict):
        ranges = unc.get("ranges")
        if isinstance(ranges, dict):
            new = {}
            for key, pair in ranges.items():
                if key == "budget.buy_share":
                    warnings.append(
                        "uncertainty.ranges.budget.buy_share: the Blend share is a plan, not an uncertain input; "
                        "its range is left out"
                    )
                    continue
                head = key.split(".", 1)[0]
                new[f"channel.{key}" if head in ("generate", "buy") else key] = pair
            unc["ranges"] = new
        out["uncertainty"] = unc
    elif unc is not None:
        out["uncertainty"] = unc
    out.update(d)  # anything left is unknown: validation names it
    return out, warnings


# ---- validation ---------------------------------------------------------------------------------


MAX_DEPTH = 4  # uncertainty.ranges."channel.x.y" = [low, high] is the deepest a scenario goes


def _too_deep(data: dict[str, Any]) -> str | None:
    """The dotted name of the first value nested deeper than a scenario can be, or None (no recursion)."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return ".".join(_clip(p, 40) for p in path[:3]) + ("…" if len(path) > 3 else "")
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            if isinstance(value, dict | list):
                stack.append((value, (*path, str(key))))
    return None


def validate_with_warnings(data: Any) -> tuple[Scenario, list[str]]:
    """Validate a nested scenario mapping (version 1 is migrated first).

    Returns the scenario and warnings (what a version 1 file allowed but version 2 changes);
    raises ScenarioError with one line per problem."""
    if not isinstance(data, dict):
        raise ScenarioError(["scenario: expected a table of fields"])
    deep = _too_deep(data)
    if deep is not None:
        raise ScenarioError(
            [f"{deep}: nested too deeply; a scenario has at most {MAX_DEPTH} levels of tables and lists"]
        )
    warnings: list[str] = []
    v1 = is_v1(data)
    if v1:
        data, warnings = migrate_v1(data)
    elif data.get("schema_version") != 2 or isinstance(data.get("schema_version"), bool):
        raise ScenarioError(
            [f"schema_version: {_value_text(data.get('schema_version'))} is not allowed; allowed 1 or 2"]
        )
    context: dict[str, Any] = {"lenient_ranges": v1, "warnings": warnings}
    try:
        scn = Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        lines: list[str] = []
        for e in exc.errors(include_url=False):
            for line in _describe(e, data):
                if line not in lines:
                    lines.append(line)
        raise ScenarioError(lines) from None
    except RecursionError:
        raise ScenarioError(["scenario: nested too deeply"]) from None
    return scn, context["warnings"]


def validate_scenario(data: Any) -> Scenario:
    """Validate a nested scenario mapping, raising ScenarioError with one line per problem."""
    return validate_with_warnings(data)[0]


def parse_toml(text: str, source: str = "scenario") -> dict[str, Any]:
    """TOML text as a mapping, or ScenarioError with one line."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError([f"{_clip(source)}: larger than 1 MB; a scenario file is a few kilobytes"])
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{_clip(source)}: malformed TOML: {_clip(str(exc), 120)}"]) from None
    except (RecursionError, MemoryError):
        raise ScenarioError([f"{_clip(source)}: nested too deeply to be a scenario"]) from None


def read_bytes(path: str | Path, limit: int, what: str, error: type[ScenarioError] = ScenarioError) -> bytes:
    """A file's bytes, at most `limit` of them, read without loading more; `error` with one line naming the file when
    it is missing, a folder, unreadable or larger ('… larger than the limit': the caller words that)."""
    p = Path(path)
    name = _clip(str(p))
    try:
        with open(p, "rb") as fh:
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise error([f"{name}: no such file"]) from None
    except IsADirectoryError:
        raise error([f"{name}: is a folder, not a {what} file"]) from None
    except OSError as exc:
        raise error([f"{name}: cannot read ({exc.__class__.__name__})"]) from None
    return raw


def read_text(path: str | Path) -> str:
    """A scenario file's text: at most 1 MB, UTF-8, or ScenarioError with one line."""
    name = _clip(str(path))
    raw = read_bytes(path, MAX_FILE_BYTES, "scenario")
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([f"{name}: larger than 1 MB; a scenario file is a few kilobytes"])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([f"{name}: not a UTF-8 text file"]) from None


def load_with_warnings(path: str | Path) -> tuple[Scenario, list[str]]:
    """Read and validate a scenario TOML file; also the migration warnings."""
    data = parse_toml(read_text(path), source=str(path))
    return validate_with_warnings(data)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    return load_with_warnings(path)[0]


def loads_scenario(text: str, source: str = "scenario") -> Scenario:
    """Parse and validate scenario TOML text."""
    return validate_scenario(parse_toml(text, source))


# ---- writing and dotted names -------------------------------------------------------------------


def channel_dict(ch: Channel) -> dict[str, Any]:
    """A channel's fields as a file holds them: only the fields of its kind."""
    out: dict[str, Any] = {"label": ch.label, "kind": ch.kind}
    for name in channel_field_names(ch.kind):
        v = getattr(ch, name)
        if v is not None:
            out[name] = v
    return out


def scenario_dict(scn: Scenario) -> dict[str, Any]:
    """The scenario as a nested mapping that validates back to an equal scenario."""
    d: dict[str, Any] = {
        "schema_version": 2,
        "name": scn.name,
        "currency": scn.currency,
        "horizon_months": scn.horizon_months,
        "budget": scn.budget.model_dump(),
        "economics": scn.economics.model_dump(),
        "sales": scn.sales.model_dump(),
        "channel": {cid: channel_dict(ch) for cid, ch in scn.channel.items()},
    }
    if scn.uncertainty is not None:
        d["uncertainty"] = {k: v for k, v in scn.uncertainty.model_dump().items() if v != {}}
        d["uncertainty"]["ranges"] = {k: list(v) for k, v in scn.uncertainty.ranges.items()}
    if scn.optimize is not None and scn.optimize.bounds:
        d["optimize"] = {"bounds": {k: list(v) for k, v in scn.optimize.bounds.items()}}
    return d


def dumps_scenario(scn: Scenario) -> str:
    """Serialise a scenario to TOML text that loads back to an equal scenario (floats bit for bit)."""
    return tomli_w.dumps(scenario_dict(scn))


def save_scenario(scn: Scenario, path: str | Path) -> None:
    """Write a scenario as TOML."""
    Path(path).write_text(dumps_scenario(scn), encoding="utf-8")


def flatten(scn: Scenario) -> dict[str, Any]:
    """Dotted name → value of every field a link can carry (not uncertainty, not bounds)."""
    out: dict[str, Any] = {"name": scn.name, "currency": scn.currency}
    for key in SCALAR_FIELDS:
        section, _, leaf = key.partition(".")
        out[key] = getattr(getattr(scn, section), leaf) if leaf else getattr(scn, key)
    for cid, ch in scn.channel.items():
        for k, v in channel_dict(ch).items():
            out[f"channel.{cid}.{k}"] = v
    return out


def with_values(scn: Scenario, values: dict[str, Any]) -> Scenario:
    """A copy of the scenario with some dotted fields replaced (a new channel by its fields), validated."""
    data = scenario_dict(scn)
    for key, v in values.items():
        parts = key.split(".")
        if parts[0] == "channel" and len(parts) == 3:
            data["channel"].setdefault(parts[1], {})[parts[2]] = v
            continue
        if key not in ("name", "currency") and key not in SCALAR_FIELDS:
            raise ScenarioError([f"{_clip(key)}: unknown field{did_you_mean(key, [*SCALAR_FIELDS, 'name'])}"])
        node = data
        *parents, leaf = parts
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = v
    return validate_scenario(data)
