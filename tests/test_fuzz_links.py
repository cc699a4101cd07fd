"""Hostile links, fuzzed (hypothesis) and known-bad (tests/fixtures/bad_links): the link is read without an
exception, one warning names every parameter whose value cannot be used, no "nan", "inf" or "None" shows anywhere
on the page, and text from the link shows only escaped (never as Markdown or HTML).

Each generated link mixes parameters the app knows (scenario fields, channel fields, settings) with values that
are usable by construction (inside the field's range, a known view…) or unusable by construction (NaN, infinities,
huge numbers, text, 10 MB strings, Markdown and HTML, control characters); a parameter may repeat. Most cases go
through `state.read_link` alone (pure, fast); `AppTest` cases open the whole page (about 0.2 s each)."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import pytest
from apptest_helpers import APP, unescape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.contract import VIEW_NAMES
from simulation import load_preset, preset_names
from simulation.analyses.optimize import OBJECTIVES
from simulation.schema import flatten, spec_of

DEFAULT = load_preset("default")
FLAT = flatten(DEFAULT)
CHANNELS = list(DEFAULT.channel)
NUMERIC = [k for k, v in FLAT.items() if spec_of(k) is not None and not k.endswith(".kind")]
TEXT_FIELDS = ["name", "currency", *(f"channel.{c}.label" for c in CHANNELS)]
BAD_LINKS = Path(__file__).resolve().parent / "fixtures" / "bad_links"

# cases per test (FUZZ_SCALE=0.1 for a quick local try; CI runs them all)
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
READ_CASES = max(1, int(3000 * SCALE))  # links through state.read_link
PAGE_CASES = max(1, int(1200 * SCALE))  # hostile links through AppTest
CALM_CASES = max(1, int(300 * SCALE))  # usable links through AppTest (no warning at all)

# Long values are drawn as tokens (so that a failing case prints short) and expanded before use.
HUGE, LONG = "<10 MB>", "<100 kB>"
EXPAND = {HUGE: "9" * 10_000_000, LONG: "x" * 100_000}
MARKUP = [
    "<img src=x onerror=alert(1)>",
    ":red[x]",
    "**b**",
    "[click](http://evil.example)",
    ":material/warning:",
    ":streamlit:",
    "$x^2$",
    "# heading",
    "`code`",
    "<script>alert(1)</script>",
    "~~gone~~",
    "| a | b |",
]
CONTROL = ["a\x00b", "\x1b[31mred\x1b[0m", "bell\x07", "line\nbreak", "tab\tx", "\u202eevil", "\ufeffbom"]
UNICODE = ["😀" * 30, "Ünïcödé £€", "中文名字", "\u0645\u0631\u062d\u0628\u0627"]
NOT_NUMBERS = ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999", "-1e999", "", " ", "true", "None", "null",
               "0x10", "lots", "1,5", "4O000"]  # fmt: skip
HOSTILE = [*NOT_NUMBERS, *MARKUP, *CONTROL, *UNICODE, LONG, HUGE]


# ---- values usable or unusable by construction --------------------------------------------------------------


def _num_text(x: float) -> str:
    return repr(float(x)) if not float(x).is_integer() else str(int(x))


@st.composite
def field_value(draw: st.DrawFn, key: str) -> tuple[str, bool]:
    """(text, usable on its own) for a numeric scenario field."""
    spec = spec_of(key)
    assert spec is not None
    if draw(st.booleans()):
        if spec.kind == "integer":
            return str(draw(st.integers(int(spec.lo), int(spec.hi)))), True
        x = draw(st.floats(spec.lo, spec.hi, allow_nan=False, allow_infinity=False))
        return (_num_text(x), True) if spec.contains(x) else (_num_text(spec.hi), True)
    choice = draw(st.sampled_from(["hostile", "above", "below", "fraction"]))
    if choice == "above":
        return _num_text(spec.hi * draw(st.sampled_from([2, 10, 1e6, 1e300])) + 1), False
    if choice == "below":
        return _num_text(spec.lo - draw(st.sampled_from([1e-3, 1, 1e300]))), False
    if choice == "fraction" and spec.kind == "integer":
        return _num_text(draw(st.integers(int(spec.lo), int(spec.hi) - 1)) + 0.5), False
    value = draw(st.sampled_from(HOSTILE))
    return value, value == "" and key.endswith(".reference_spend")  # empty: the optional spend is unset


def text_value(key: str) -> st.SearchStrategy[tuple[str, bool]]:
    """(text, usable) for a name, label or currency: Markdown, HTML and unicode are text like any other."""
    most = 80 if key == "name" else 40
    if key == "currency":
        return st.one_of(
            st.sampled_from([("EUR", True), ("GBP", True)]), st.sampled_from(HOSTILE).map(lambda v: (v, False))
        )
    return st.one_of(
        st.sampled_from([*MARKUP, *UNICODE[1:], "None", "nan", "inf"]).map(lambda v: (v, True)),
        st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=most)
        .filter(str.strip)
        .map(lambda v: (v, True)),
        st.sampled_from(["x" * (most + 1), LONG, HUGE]).map(lambda v: (v, False)),
    )


def _settings_values() -> dict[str, tuple[list[Any], list[Any]]]:
    """Per setting: (usable values, unusable values)."""
    rangeable = "channel.content.cost_per_lead"
    return {
        "view": (list(VIEW_NAMES[:7]), ["Nowhere", "overview", *MARKUP[:3], HUGE]),
        "draws": (["100", "2000", "100000"], ["99", "100001", "-5", "2.5", "1e3", *NOT_NUMBERS[:8], HUGE]),
        "seed": (["0", "7", str(2**32 - 1)], ["-1", str(2**32), "1.5", "nan", "inf", HUGE]),
        "objective": (list(OBJECTIVES), ["fastest", "NPV", *MARKUP[:2], HUGE]),
        "min_customers": (["0", "120", "1e3"], ["-1", "nan", "inf", "-inf", "lots", HUGE]),
        "by_month": (["1", "12"], ["0", "121", "1.5", "nan", HUGE]),
        "present": (["0", "1", "true"], ["yes please", "2", *MARKUP[:2], HUGE]),
        "ranges": (
            ["none", f"{rangeable}:40:70", "budget.monthly:30000:50000"],
            [
                f"{rangeable}:70:40",
                f"{rangeable}:nan:inf",
                "budget.monthly:1",
                "nope:1:2",
                f"{rangeable}:x:y",
                *MARKUP[:3],
                HUGE,
            ],
        ),  # fmt: skip
        "channels": (
            ["content,paid_search,vendor_shared,vendor_exclusive", "vendor_shared,content"],
            ["content,content", "Vendor A", "content,ghost", ",".join(f"c{i}" for i in range(9)), *MARKUP[:2], HUGE],
        ),
        "preset": (preset_names(), ["nope", *MARKUP[:2], HUGE]),
        "v": (["2"], ["3", "0", *MARKUP[:1], HUGE]),
        "scenario": ([], ["no-such-scenario", "UPPER CASE", "a@b@c", "x@0", *MARKUP[:3], HUGE]),
        "compare": (["current"], ["Not A Slug!", "a@b@c", *MARKUP[:2], HUGE]),
    }


SETTINGS_VALUES = _settings_values()
IGNORED = ["utm_source", "fbclid", "ref"]  # not the app's: ignored quietly
MISSPELT = ["budget.montly", "economics.churn", "channel.content.cost", "channel.ghost.cost_per_lead"]


@st.composite
def link(draw: st.DrawFn, calm: bool = False) -> tuple[list[tuple[str, str]], dict[str, bool]]:
    """Query parameters as pairs (a name may repeat) and, per name, whether its last value is usable on its own."""
    pairs: list[tuple[str, str]] = []
    usable: dict[str, bool] = {}
    kinds = ["numeric", "text", "setting"] if calm else ["numeric", "text", "setting", "ignored", "misspelt"]
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(kinds))
        if kind == "numeric":
            name = draw(st.sampled_from(CALM_FIELDS if calm else NUMERIC))
            value, ok = draw(field_value(name).filter(lambda p: p[1]) if calm else field_value(name))
        elif kind == "text":
            name = draw(st.sampled_from(TEXT_FIELDS))
            value, ok = draw(text_value(name).filter(lambda p: p[1]) if calm else text_value(name))
        elif kind == "setting":
            name = draw(st.sampled_from(CALM_SETTINGS if calm else list(SETTINGS_VALUES)))
            good, bad = SETTINGS_VALUES[name]
            ok = calm or not bad or (bool(good) and draw(st.booleans()))
            value = draw(st.sampled_from(good if ok else bad))
        elif kind == "ignored":
            name, value, ok = draw(st.sampled_from(IGNORED)), draw(st.sampled_from(HOSTILE)), True
        else:
            name, value, ok = draw(st.sampled_from(MISSPELT)), "1", False
        if calm and name in usable:
            continue  # a repeated parameter warns
        pairs.append((name, value))
        usable[name] = ok
    if not calm and pairs and draw(st.integers(0, 9)) == 0:  # a hostile parameter name
        name = draw(st.sampled_from(["budget." + LONG, "channel.content." + MARKUP[0], f"channel.{HUGE}.x"]))
        pairs.append((name, "1"))
        usable[pairs[-1][0]] = False
    return pairs, usable


# Fields and settings whose usable values stay usable together (no shares to sum, no ramp against starting leads,
# no month against the horizon): a link of them opens without a warning.
CALM_FIELDS = ["budget.monthly", "economics.revenue_per_customer_month", "economics.gross_margin",
               "economics.monthly_churn", *(f"channel.{c}.{f}" for c in CHANNELS
               for f in ("cost_per_lead", "lead_to_mql", "mql_to_sql", "fixed_monthly_cost"))]  # fmt: skip
CALM_SETTINGS = ["view", "seed", "objective", "present", "min_customers"]


# ---- the properties -----------------------------------------------------------------------------------------


def expand(text: str) -> str:
    for token, value in EXPAND.items():
        text = text.replace(token, value)
    return text


def real(case: tuple[list[tuple[str, str]], dict[str, bool]]) -> tuple[list[tuple[str, str]], dict[str, bool]]:
    """A generated case with its long values expanded."""
    pairs, usable = case
    return [(expand(k), expand(v)) for k, v in pairs], {expand(k): ok for k, ok in usable.items()}


def given_dict(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def names_in(text: str, name: str) -> bool:
    """Whether a problem text names a parameter (as the link spells it, or its first 40 characters); a channel's
    field is named when the channel list's problem names its channel as left out."""
    short = name[:40]
    if len(name) > 40 and short in text:
        return True
    if re.search(r"(^|[\s;,(])" + re.escape(short) + r"(?=$|[\s:=,.'…])", text):
        return True
    parts = name.split(".")
    if len(parts) != 3 or parts[0] != "channel":
        return False
    cid = parts[1]  # the channel list's problem quotes the id (its first 40 characters, '…' when cut)
    return f"channels: {cid!r}" in text or (len(cid) > 40 and f"channels: {cid[:40]!r}…" in text)


MAX_LINE = 400  # a problem quotes at most 80 characters of a value (and of a name)


def check_problems(problems: tuple[str, ...] | list[str], usable: dict[str, bool], given: dict[str, list[str]]) -> None:
    text = "\n".join(problems)
    for line in problems:
        assert line and len(line) <= MAX_LINE, f"a problem line of {len(line):,} characters: {line[:100]!r}…"
    for name, ok in usable.items():
        if not ok or (len(given[name]) > 1 and name not in IGNORED):  # a repeated parameter of the app's warns
            assert names_in(text, name), f"{name[:60]!r}={given[name][-1][:60]!r} is not named in {text[:400]!r}"


@settings(max_examples=READ_CASES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(link())
def test_reading_a_hostile_link_names_every_unusable_parameter(case):
    pairs, usable = real(case)
    given = given_dict(pairs)
    opened = state.read_link(given)
    check_problems(opened.notices.problems, usable, given)
    for key, value in opened.values.items():  # what opens is a valid scenario: no NaN or infinity gets through
        assert not (isinstance(value, float) and not math.isfinite(value)), (key, value)


# ---- the page ----------------------------------------------------------------------------------------------

_BIDI: list[Any] = []  # Streamlit's component registry, scanned once (AppTest scans the installed packages per app)


def open_page(pairs: list[tuple[str, str]]) -> AppTest:
    """The app opened on a link (pairs: a name may repeat), after its first run."""
    at = AppTest.from_file(APP, default_timeout=60)
    if _BIDI:
        at._bidi_component_manager = _BIDI[0]
    for k, vs in given_dict(pairs).items():
        at.query_params[k] = vs if len(vs) > 1 else vs[0]
    at.run()
    if not _BIDI and getattr(at, "_bidi_component_manager", None) is not None:
        _BIDI.append(at._bidi_component_manager)
    return at


_MARKDOWN_KINDS = {"markdown", "title", "header", "subheader", "caption", "warning", "info", "error", "success",
                   "latex", "tab", "expander", "metric", "button", "toggle", "checkbox", "radio", "selectbox",
                   "multiselect", "number_input", "text_input", "text_area", "slider", "select_slider", "segmented_control",
                   "pills", "download_button", "link_button"}  # fmt: skip
_FIELDS = ("value", "label", "body", "help", "placeholder", "options", "delta")


def page_texts(at: AppTest) -> list[tuple[str, bool, str]]:
    """Every text on the page: (element type, whether it is Markdown source, the text)."""
    out: list[tuple[str, bool, str]] = []
    stack: list[Any] = [at._tree]
    while stack:
        node = stack.pop()
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
        kind = getattr(node, "type", "")
        for attr in _FIELDS:
            if attr == "body" and isinstance(getattr(node, "value", None), str):
                continue  # an alert's value is its body
            try:
                v = getattr(node, attr)
            except Exception:  # an element without it (or whose value needs a widget state)
                continue
            markdown = (
                kind in _MARKDOWN_KINDS
                and attr in ("value", "label", "body", "help")
                and not (
                    attr == "value"
                    and kind
                    not in (
                        "markdown",
                        "title",
                        "header",
                        "subheader",
                        "caption",
                        "warning",
                        "info",
                        "error",
                        "success",
                        "latex",
                    )  # fmt: skip
                )
            )
            if isinstance(v, str):
                out.append((kind, markdown, v))
            elif isinstance(v, list | tuple):
                out.extend((kind, False, str(x)) for x in v if isinstance(x, str | int | float) or x is None)
            elif hasattr(v, "to_string") and attr == "value":  # a data frame: every cell as it would show
                out.append((kind, False, v.astype(object).where(v.notna(), "None").to_string()))
            elif isinstance(v, float) and not math.isfinite(v):
                out.append((kind, False, str(v)))
    return out


BAD_WORDS = re.compile(r"(?<![A-Za-z])(nan|NaN|inf|-inf|Infinity|None|null|undefined)(?![A-Za-z])")


def echoed(values: set[str]) -> list[str]:
    """How a page may quote the link's own text: its first 20, 40, 60, 80 characters, escaped or not, its parts
    (a range's low and high) and the number a text reads as ('1e999' is inf)."""
    out: set[str] = set()
    for v in values:
        for part in {v, *re.split(r"[:,]", v[:200])}:
            for n in (20, 40, 60, 80, 1000):
                out |= {part[:n], repr(part[:n])[1:-1]}
            try:
                out.add(str(float(part[:1000].strip())))
            except ValueError:
                pass
    return sorted((x for x in out if x), key=len, reverse=True)


def reaches_the_app(pairs: list[tuple[str, str]]) -> bool:
    """Whether Streamlit passes a link's query string to the app at all: it drops one over 512 Ki characters or 1,000
    parameters as a whole, before the app runs (the page then opens the default scenario, as if no link was given)."""
    from urllib.parse import urlencode

    from streamlit.runtime.state.query_params import (
        CLIENT_STATE_QUERY_STRING_MAX_FIELDS,
        CLIENT_STATE_QUERY_STRING_MAX_LENGTH,
    )

    query = urlencode(pairs)
    return len(query) <= CLIENT_STATE_QUERY_STRING_MAX_LENGTH and len(pairs) <= CLIENT_STATE_QUERY_STRING_MAX_FIELDS


def check_page(at: AppTest, pairs: list[tuple[str, str]], usable: dict[str, bool]) -> None:
    assert not at.exception, [e.value for e in at.exception]
    if not reaches_the_app(pairs):
        pairs, usable = [], {}
    given = given_dict(pairs)
    texts = page_texts(at)
    link_warning = [unescape(t).replace("\u2060", "")  # plain() keeps ":streamlit:" text with a word joiner
                    for k, md, t in texts if k == "warning" and "in the link could not be used" in t]  # fmt: skip
    assert len(link_warning) <= 1
    expected = state.read_link(given).notices.problems  # the same link read on its own: the page says all of it
    if any(not ok for ok in usable.values()):
        assert link_warning, f"no warning for {[(k[:40], v[:40]) for k, v in pairs]}"
    if link_warning:
        for line in expected:
            assert line in link_warning[0]
        check_problems(expected, usable, given)
    values = {v for _, v in pairs} | {k for k, _ in pairs}
    echoes = echoed(values)
    for kind, markdown, text in texts:
        shown = unescape(text) if markdown else text
        for v in echoes:  # the link's own text may say anything (and a warning quotes it); the app may not
            shown = shown.replace(v, " ")
        bad = BAD_WORDS.search(shown)
        assert bad is None, f"{kind} shows {bad.group()!r}: {shown[max(0, bad.start() - 80) : bad.end() + 80]!r}"
        if markdown:
            bare = re.sub(r"\\.", "\x00", text)  # the source without its escaped characters
            for v in values:  # text from the link only ever shows escaped
                for m in MARKUP:
                    assert not (m in v and m in bare), f"{kind} renders {m!r} from the link as Markdown: {text[:200]!r}"


@settings(max_examples=PAGE_CASES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(link())
def test_a_hostile_link_opens_the_page_with_one_warning_naming_each_unusable_parameter(case):
    pairs, usable = real(case)
    check_page(open_page(pairs), pairs, usable)


@settings(max_examples=CALM_CASES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(link(calm=True))
def test_a_link_of_usable_values_opens_without_a_warning(case):
    pairs, usable = real(case)
    at = open_page(pairs)
    check_page(at, pairs, usable)
    assert not [w.value for w in at.warning if "in the link could not be used" in w.value], pairs


# ---- known-bad links, one fixture file each ---------------------------------------------------------------


def bad_links() -> list[Path]:
    return sorted(BAD_LINKS.glob("*.txt"))


def read_fixture(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """A fixture's query string (with {HUGE} for a 10 MB value, {LONG} for 100,000 characters) and the parameters
    it must name (its `# names:` line)."""
    from urllib.parse import parse_qsl

    lines = path.read_text(encoding="utf-8").splitlines()
    names = next(line.split(":", 1)[1].split() for line in lines if line.startswith("# names:"))
    query = next(line for line in lines if line and not line.startswith("#"))

    def real_text(text: str) -> str:
        return text.replace("{HUGE}", EXPAND[HUGE]).replace("{LONG}", EXPAND[LONG])

    return parse_qsl(real_text(query), keep_blank_values=True), [real_text(n) for n in names]


def test_there_are_known_bad_links():
    assert len(bad_links()) >= 10


@pytest.mark.parametrize("path", bad_links(), ids=lambda p: p.stem)
def test_known_bad_link(path):
    pairs, names = read_fixture(path)
    given = given_dict(pairs)
    usable = {k: k not in names for k in given}
    check_problems(state.read_link(given).notices.problems, usable, given)
    check_page(open_page(pairs), pairs, usable)
