"""The Calibrate view in the app (AppTest): the sample export's fits on screen are calibrate.fit's, Apply puts them
in the link and the Overview's numbers, an upload through the file input with a mapping file gives the same fits,
and bad files show their problem lines (never a traceback)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import app, expected_table, link_of, table, unescape
from test_views import arr, figures

from dashboard.charts.theme import channel_colors
from dashboard.views.calibrate import D, K
from simulation import calibrate, load_preset
from simulation.calibrate import fit, parse_mapping, rate_range, read_export, read_spend
from simulation.metrics import money

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "samples" / "crm_export.csv"
MAPPING = ROOT / "data" / "samples" / "crm_mapping.toml"
BAD = ROOT / "tests" / "fixtures" / "crm_bad"
DEFAULT = load_preset("default")  # the scenario on screen when the app opens: the default preset with its ranges


def sample_fit(spend: bytes | None = None):
    export = read_export(SAMPLE.read_bytes(), SAMPLE.name)
    return fit(export, parse_mapping(MAPPING.read_text()), DEFAULT,
               read_spend(spend, "spend.csv") if spend else None)  # fmt: skip


def frames(at) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sample sizes and the fitted values tables."""
    assert len(at.dataframe) == 2
    return at.dataframe[0].value, at.dataframe[1].value


def cell(rates: pd.DataFrame, channel: str, value: str, column: str) -> str:
    row = rates[(rates["Channel"] == channel) & (rates["Value"] == value)]
    assert len(row) == 1, (channel, value)
    return row.iloc[0][column]


def errors(at) -> list[str]:
    return [unescape(e.value) for e in at.error]


def upload(at, key: str, name: str, data: bytes):
    at.file_uploader(key=key).set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def test_the_sample_shows_calibrate_fits_and_apply_puts_them_in_the_link_and_the_numbers():
    at = app({"view": "Calibrate"})
    assert not at.dataframe  # nothing loaded: no fit
    at.button(key=K + "sample").click().run()
    assert not at.exception and not at.error
    cal = sample_fit()
    samples, rates = frames(at)
    # sample sizes as the fit counts them; closed = won + lost, leads = open + closed
    content = cal.channels["content"]
    assert samples.to_dict("records")[1] == {"Channel": "SEO & content", "Kind": "generate",
                                             "Sources": "Organic Search", "Leads": content.leads,
                                             "Still open": content.open, "Closed": content.closed,
                                             "Won": content.won}  # fmt: skip
    assert content.leads == content.open + content.won + content.lost
    # SQL → customer = won ÷ closed leads that reached SQL (167 of 591 in the committed sample), to 4 decimals
    r = content.rates["sql_to_customer"]
    assert (r.k, r.n) == (167, 591)
    assert cell(rates, "SEO & content", "SQL → customer", "Fitted") == "28.26 %"
    assert cell(rates, "SEO & content", "SQL → customer", "From") == "167 of 591 closed SQLs"
    assert cell(rates, "SEO & content", "SQL → customer", "Now") == "25.00 %"  # the default preset's
    for cid, cf in cal.channels.items():
        label = DEFAULT.channel[cid].label
        for name, shown in (("lead_to_mql", "Lead → MQL"), ("mql_to_sql", "MQL → SQL"),
                            ("sql_to_customer", "SQL → customer")):  # fmt: skip
            rf = cf.rates[name]
            v, (lo, hi) = rate_range(rf.value, rf.p10, rf.p90)
            assert cell(rates, label, shown, "Fitted") == f"{100 * rf.k / rf.n:.2f} %" == f"{100 * v:.2f} %"
            assert cell(rates, label, shown, "P10–P90") == f"{100 * lo:.2f}–{100 * hi:.2f} %"
        v, (lo, hi) = calibrate.months_range(cf.nurture.value, cf.nurture.p10, cf.nurture.p90)
        assert cell(rates, label, "Nurture time", "Fitted") == f"{cf.nurture.value:.2f} months"
        assert cell(rates, label, "Nurture time", "P10–P90") == f"{lo:.2f}–{hi:.2f} months"
    # the dropped rows are reported with their counts
    warned = " ".join(unescape(w.value) for w in at.warning)
    assert "56 rows with an id seen before dropped" in warned and "'Offline Sources' 300" in warned

    # the curves: a line per channel in its colour everywhere, the Kaplan–Meier share and the model's, in percent
    colors = channel_colors(DEFAULT.channel)
    km, volume = figures(at)
    assert km["layout"]["title"]["text"] == "Leads still open, by months since they arrived"
    assert km["layout"]["xaxis"]["title"]["text"] == "Months since the lead arrived"
    assert km["layout"]["yaxis"]["title"]["text"] == "Share of leads still open (%)"
    data, model = km["data"][2], km["data"][3]  # SEO & content: the second channel
    assert data["name"] == "SEO &amp; content" and data["line"]["color"] == model["line"]["color"] == colors["content"]
    assert np.allclose(arr(data["y"]), 100 * np.array(content.nurture.km[: len(arr(data["y"]))]))
    assert arr(data["y"])[0] <= 100 and model["line"]["dash"] == "dash"
    assert volume["layout"]["title"]["text"] == "Leads a month, by channel"
    assert [t["line"]["color"] for t in volume["data"]] == [colors[c] for c in ("paid_search", "content",
                                                                                "vendor_exclusive")]  # fmt: skip
    assert arr(volume["data"][1]["y"]).sum() == content.leads  # every lead in one month

    before = expected_table(DEFAULT)
    at.button(key=K + "apply").click().run()
    assert not at.exception
    success = unescape(at.success[0].value)
    assert success.startswith("Applied to the scenario: 12 values changed in 3 channels (Paid search, SEO & content, "
                              "Vendor: exclusive leads); 12 uncertainty ranges set from the fit.")  # fmt: skip
    link = link_of(at)
    assert link["channel.content.sql_to_customer"] == "0.2826"  # 167 / 591 = 0.28257…, to 4 decimals
    assert link["channel.paid_search.lead_to_mql"] == repr(round(1864 / 4136, 4))
    lo, hi = rate_range(r.value, r.p10, r.p90)[1]
    assert f"channel.content.sql_to_customer:{lo!r}:{hi!r}" in link["ranges"]
    assert at.button(key=K + "apply").disabled  # the scenario holds the fits now
    samples, rates = frames(at)  # the export and its mapping outlive Apply (Offline Sources still ignored)
    assert list(samples["Channel"]) == ["Paid search", "SEO & content", "Vendor: exclusive leads"]
    assert cell(rates, "SEO & content", "SQL → customer", "Now") == "28.26 %"
    # the whole scenario is calibrate.apply's: the Overview opened on the link shows the model's numbers for it (the
    # link carries the fitted values and ranges, never the export)
    applied, _ = calibrate.apply(DEFAULT, cal)
    overview = app({**link, "view": "Overview"})
    assert table(overview) == expected_table(applied) != before
    assert overview.query_params["ranges"] == link["ranges"]


def test_an_upload_gets_a_proposed_mapping_and_a_mapping_file_gives_the_samples_fits():
    at = app({"view": "Calibrate"})
    upload(at, D + "file.0", "crm_export.csv", SAMPLE.read_bytes())
    assert not at.error
    # proposed from the names: HubSpot's columns, each source a channel, a bought-looking one as buy
    assert at.selectbox(key=K + "col.created").value == "Create Date"
    assert at.selectbox(key=K + "col.outcome").value == "Deal Stage"
    assert at.multiselect(key=K + "won").value == ["Closed Won"]
    sources = {unescape(s.label).split(" (")[0]: s.value for s in at.selectbox if s.key.startswith(K + "src.")}
    assert sources == {"LeadCo list": "leadco_list", "Organic Search": "organic_search",
                       "Paid Search": "paid_search", "Offline Sources": "offline_sources"}  # fmt: skip
    kinds = [s.value for s in at.selectbox if s.key.startswith((K + "kind.", K + "fixed."))]
    assert kinds == ["buy", "generate", "generate", "generate"]
    samples, rates = frames(at)
    assert list(samples["Kind"]) == ["generate", "buy (new)", "generate (new)", "generate (new)"]
    assert cell(rates, "LeadCo list", "Lead → MQL", "Now") == "— (new)"
    # the sample's mapping file: the same fits as the sample button's
    upload(at, D + "mapping.1", "crm_mapping.toml", MAPPING.read_bytes())
    assert not at.error
    assert at.selectbox(key=K + "col.closed").value == "Close Date"
    samples, rates = frames(at)
    want = sample_fit()
    assert list(samples["Leads"]) == [cf.leads for cf in want.channels.values()]
    assert cell(rates, "Vendor: exclusive leads", "MQL → SQL", "Fitted") == f"{100 * 957 / 2368:.2f} %"
    assert at.date_input(key=K + "date").value.isoformat() == "2026-10-31"
    # changing a source's channel by hand changes the fit: Offline Sources into paid search
    src = next(s for s in at.selectbox if s.key.startswith(K + "src.") and "Offline" in s.label)
    src.set_value("paid_search").run()
    assert frames(at)[0]["Leads"].iloc[0] == want.channels["paid_search"].leads + 300


def test_an_xlsx_export_and_spend_give_the_cost_per_lead():
    rows = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    buf = io.BytesIO()
    rows.to_excel(buf, index=False)
    spend = b"source,month,spend\nPaid Search,2026-01,10000\n"
    at = app({"view": "Calibrate"})
    at.button(key=K + "sample").click().run()
    upload(at, D + "spend.1", "spend.csv", spend)
    cal = sample_fit(spend)
    ps = cal.channels["paid_search"]
    jan = ps.volume[ps.months.index("2026-01")]
    assert ps.cpl == 10000 / jan
    rates = frames(at)[1]
    assert cell(rates, "Paid search", "Cost per lead", "Fitted") == money(10000 / jan, "USD", 2)
    assert cell(rates, "Paid search", "Cost per lead", "Now") == "$75.00"
    at.button(key=K + "apply").click().run()
    assert link_of(at)["channel.paid_search.cost_per_lead"] == repr(round(10000 / jan, 2))
    # the same leads as a workbook: the same sample sizes
    xlsx = app({"view": "Calibrate"})
    xlsx.file_uploader(key=D + "file.0").set_value(("crm_export.xlsx", buf.getvalue(), "application/octet-stream"))
    xlsx.run()
    assert not xlsx.exception and not xlsx.error
    upload(xlsx, D + "mapping.1", "crm_mapping.toml", MAPPING.read_bytes())
    assert list(frames(xlsx)[0]["Leads"]) == [cf.leads for cf in cal.channels.values()]


def _api_lines(name: str) -> list[str]:
    """The problem lines the API gives for a bad fixture (what the command line prints after 'error: ')."""
    try:
        export = read_export((BAD / name).read_bytes(), name)
        from simulation.calibrate import propose_mapping

        fit(export, propose_mapping(export, DEFAULT), DEFAULT)
    except calibrate.CalibrationError as exc:
        return exc.problems
    raise AssertionError(f"{name} was read and fitted")


@pytest.mark.parametrize("name", ["wrong_encoding.csv", "binary.csv", "zero_rows.csv", "ragged.csv",
                                  "unparseable_dates.csv", "future_dates.csv", "close_before_create.csv",
                                  "missing_column.csv"])  # fmt: skip
def test_a_bad_file_shows_its_problem_lines_and_no_exception(name):
    at = upload(app({"view": "Calibrate"}), D + "file.0", name, (BAD / name).read_bytes())
    shown = errors(at)
    lines = _api_lines(name)
    assert len(shown) == 1 and all(f"- {line}" in shown[0].splitlines() for line in lines), shown
    assert "Traceback" not in shown[0]
    if name == "wrong_encoding.csv":
        assert shown[0] == ("wrong_encoding.csv cannot be used:\n\n- 'Original Source': 2 rows are not UTF-8 text "
                            "(first: row 6); save the export as 'CSV UTF-8'")  # fmt: skip
    if name == "close_before_create.csv":  # read, then refused by the fit: the mapping stays editable
        assert shown[0].startswith("The export cannot be fitted with this mapping:")
        assert at.selectbox(key=K + "col.closed").value == "Close Date"


def test_a_mapping_file_naming_a_missing_column_is_refused_with_its_line():
    at = upload(app({"view": "Calibrate"}), D + "file.0", "misnamed_column.csv",
                (BAD / "misnamed_column.csv").read_bytes())  # fmt: skip
    upload(at, D + "mapping.1", "misnamed_column.toml", (BAD / "misnamed_column.toml").read_bytes())
    assert errors(at)[0] == ("misnamed_column.toml is not used:\n\n- columns.created: no column 'Create Date' in "
                             "misnamed_column.csv (did you mean 'Created On'?)")  # fmt: skip


def test_an_unexpected_failure_is_one_line_and_forget_clears_the_upload(monkeypatch):
    at = app({"view": "Calibrate"})
    at.button(key=K + "sample").click().run()
    assert D + "export" in at.session_state

    def boom(*args, **kwargs):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(calibrate, "read_export", boom)
    upload(at, D + "file.1", "crm_export.csv", SAMPLE.read_bytes())
    assert errors(at) == ["crm_export.csv cannot be used:\n\n- an unexpected problem (RuntimeError); check that it is "
                          "a CSV or XLSX export of leads with a header row"]  # fmt: skip
    assert at.dataframe  # the sample loaded before stays
    at.button(key=K + "forget").click().run()
    assert not at.exception and not at.dataframe
    for what in ("export", "mapping", "spend", "fit", "counts"):
        assert D + what not in at.session_state
    assert at.file_uploader(key=D + "file.3").value is None  # a fresh, empty uploader


def test_values_from_the_file_show_literally():
    hostile = "<b>Paid</b> **x** :red[y]"
    csv = "Lead ID,Source,Created Date,Close Date,Status\n" + "".join(
        f"{i},{hostile},2026-01-0{1 + i % 9},2026-02-0{1 + i % 9},{'Won' if i % 20 == 0 else 'Lost'}\n" for i in range(20)
    )  # fmt: skip
    at = upload(app({"view": "Calibrate"}), D + "file.0", "x.csv", csv.encode())
    assert not at.error and not at.exception
    src = next(s for s in at.selectbox if s.key.startswith(K + "src."))
    assert unescape(src.label) == f"{hostile} (20 rows) → channel" and src.value == "b_paid_b_x_red_y"
    samples, rates = frames(at)
    assert samples["Channel"][0] == hostile and samples["Won"][0] == 1 and samples["Closed"][0] == 20
    # no MQL / SQL dates: Lead → MQL and MQL → SQL kept from the default preset's generate channel
    assert cell(rates, hostile, "Lead → MQL", "From").startswith("kept: ")
    # under 30 closed leads: a warning to read the ranges
    warned = [unescape(w.value) for w in at.warning]
    assert any("- channel b_paid_b_x_red_y: 20 closed leads (fewer than 30)" in w for w in warned), warned


def test_many_sources_propose_channels_up_to_the_limit_and_list_the_first_thirty():
    # 40 sources, source i with 80 - i leads (most first): the default preset has 4 channels, so the 4 sources with
    # most leads become new channels (8 in all) and the rest start as "ignore"; 30 are listed for mapping
    lines = ["Lead ID,Source,Created Date,Close Date,Status"]
    n = 0
    for i in range(40):
        for j in range(80 - i):
            n += 1
            lines.append(f"{n},Source {i:02d},2026-01-{1 + j % 28:02d},2026-03-{1 + j % 28:02d},"
                         f"{'Won' if j % 25 == 0 else 'Lost'}")  # fmt: skip
    at = upload(app({"view": "Calibrate"}), D + "file.0", "many.csv", "\n".join(lines).encode())
    assert not at.error and not at.exception
    chosen = [s.value for s in at.selectbox if s.key.startswith(K + "src.")]
    assert len(chosen) == 30
    assert chosen[:5] == ["source_00", "source_01", "source_02", "source_03", ""]
    assert set(chosen[4:]) == {""}
    captions = " ".join(unescape(c.value) for c in at.caption)
    rows_rest = sum(80 - i for i in range(30, 40))
    assert (
        f"10 more source values ({rows_rest:,} rows) are not listed: 0 of them mapped by the mapping file" in captions
    )
    samples = frames(at)[0]
    assert list(samples["Leads"]) == [80, 79, 78, 77]
    assert list(samples["Won"]) == [4, 4, 4, 4]  # j = 0, 25, 50, 75 (77 leads and more)
