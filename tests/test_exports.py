"""Exports: the XLSX workbook read back with openpyxl, the monthly CSV, the one-page report (HTML, PDF), chart
images and file names."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from conftest import scenario

from simulation import SUMMARY, load_preset
from simulation.analyses.montecarlo import monte_carlo
from simulation.cli import main as cli_main
from simulation.exports import (
    ExportUnavailable,
    browser_path,
    chart_image,
    export,
    file_name,
    monthly_csv,
    report_charts,
    report_html,
    report_pdf,
    workbook,
)
from simulation.metrics import CHANNEL_METRICS, METRICS
from simulation.results import MONTHLY_SERIES, run

DEFAULT = Path(__file__).resolve().parents[1] / "data" / "presets" / "default.toml"
DAY = date(2026, 11, 26)
HOSTILE = "<img src=x onerror=alert(1)> **bold** :red[x]"
needs_browser = pytest.mark.skipif(browser_path() is None, reason="no headless browser (apt-get install chromium)")


@pytest.fixture(scope="module")
def default_run():
    scn = load_preset("default")
    return run(scn), monte_carlo(scn, monthly=False)


@pytest.fixture(scope="module")
def cli_json(tmp_path_factory) -> dict:
    """What `python -m simulation run data/presets/default.toml --format json` prints, parsed."""
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli_main(["run", str(DEFAULT), "--format", "json"]) == 0
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def book(default_run) -> openpyxl.Workbook:
    result, mc = default_run
    return openpyxl.load_workbook(io.BytesIO(workbook(result, mc)))


@pytest.fixture
def no_browser(monkeypatch):
    monkeypatch.setenv("ACQLAB_CHROMIUM", "/nonexistent/chromium")
    assert browser_path() is None


# ---- file names -------------------------------------------------------------------------------------


def test_file_name_keeps_the_name_readable_and_safe():
    assert file_name("Q3 plan: EU", DAY, "xlsx") == "Q3-plan-EU-2026-11-26.xlsx"
    assert file_name("Mid-market B2B services (illustrative)", DAY, "pdf") == (
        "Mid-market-B2B-services-illustrative-2026-11-26.pdf"
    )
    assert file_name("Über plan v1.2", DAY, "csv") == "Über-plan-v1.2-2026-11-26.csv"
    assert file_name("../../etc/passwd", DAY, "html") == "etc-passwd-2026-11-26.html"
    assert file_name("a\x00b\nc\td/e\\f", DAY, "xlsx") == "a-b-c-d-e-f-2026-11-26.xlsx"
    assert file_name("", DAY, "xlsx") == file_name("///", DAY, "xlsx") == "scenario-2026-11-26.xlsx"
    assert file_name(".hidden", DAY, "csv") == "hidden-2026-11-26.csv"
    long = file_name("x" * 200, DAY, "pdf")
    assert long == "x" * 80 + "-2026-11-26.pdf"
    assert file_name("Plan", None, "csv").endswith(f"-{date.today().isoformat()}.csv")


# ---- the workbook -----------------------------------------------------------------------------------


def test_workbook_sheets_frozen_headers_and_formats(book):
    assert book.sheetnames == [
        "Inputs", "Headline", "Monthly Generate", "Monthly Buy", "Monthly Blend", "Channels", "Risk",
    ]  # fmt: skip
    assert {ws.title: ws.freeze_panes for ws in book} == {
        "Inputs": "B2", "Headline": "B2", "Monthly Generate": "B2", "Monthly Buy": "B2", "Monthly Blend": "B2",
        "Channels": "B2", "Risk": "B3",
    }  # fmt: skip
    head = book["Headline"]
    rows = {head.cell(r, 1).value: r for r in range(2, head.max_row + 1)}
    assert [head.cell(1, c).value for c in range(1, 6)] == ["Metric", "Generate", "Buy", "Blend", "What it means"]
    # labels from the registry, not snake_case
    assert METRICS["total_cost"].label in rows and "total_cost" not in rows
    assert head.cell(rows["Total acquisition cost"], 2).number_format == '"$"#,##0'  # money
    assert head.cell(rows["CAC"], 2).number_format == '"$"#,##0.00'  # money per customer
    assert head.cell(rows["ROI (horizon)"], 2).number_format == "0.0%"  # percent
    assert head.cell(rows["Customers won"], 2).number_format == "#,##0"  # count
    assert head.cell(rows["LTV : CAC"], 2).number_format == '0.00"×"'
    monthly = book["Monthly Blend"]
    headers = [monthly.cell(1, c).value for c in range(1, monthly.max_column + 1)]
    assert headers[:3] == ["Month", "Spend ($)", "Spend on generate channels ($)"]
    assert "Customers won" in headers and not any("_" in h for h in headers)
    inputs = book["Inputs"]
    labels = {inputs.cell(r, 1).value: r for r in range(1, inputs.max_row + 1)}
    assert inputs.cell(labels["Monthly budget"], 2).value == 40000
    assert inputs.cell(labels["Monthly budget"], 2).number_format == '"$"#,##0'
    assert inputs.cell(labels["Gross margin"], 2).number_format == "0.0##%"
    assert inputs.cell(labels["Lead → MQL"], 2).value == 0.4  # paid search, the first channel


def test_workbook_numbers_equal_the_cli_json(book, cli_json):
    """Every headline, channel and risk number is the CLI's JSON value, exactly; undefined is an empty cell."""
    head = book["Headline"]
    strategies = ["generate", "buy", "blend"]
    checked = 0
    for i, m in enumerate(SUMMARY, start=2):
        assert head.cell(i, 1).value == METRICS[m].label
        for j, s in enumerate(strategies, start=2):
            assert head.cell(i, j).value == cli_json["summary"][s][m], (s, m)
            checked += 1
    assert checked == 3 * len(SUMMARY)

    chans = book["Channels"]
    plan = cli_json["channels"]["blend"]
    for i, cid in enumerate(plan, start=2):
        for j, m in enumerate(CHANNEL_METRICS, start=4):
            assert chans.cell(1, j).value == METRICS[m].label
            assert chans.cell(i, j).value == plan[cid][m], (cid, m)

    risk = book["Risk"]
    assert [risk.cell(2, c).value for c in range(2, 5)] == ["P10", "P50", "P90"]
    for i, m in enumerate(SUMMARY, start=3):
        for j, s in enumerate(strategies):
            for k, q in enumerate(("p10", "p50", "p90")):
                assert risk.cell(i, 2 + 3 * j + k).value == cli_json["quantiles"][s][m][q], (s, m, q)
    shares = {risk.cell(r, 1).value: risk.cell(r, 2).value for r in range(1, risk.max_row + 1)}
    assert shares["Generate has the most lifetime value"] == cli_json["probabilities"]["best_npv"]["generate"]
    assert shares["Buying has the lower CAC"] == cli_json["probabilities"]["buy_beats_generate_cac"]

    for s in strategies:  # the monthly sheets: every month of every series
        ws = book[f"Monthly {s.capitalize()}"]
        for t, row in enumerate(cli_json["monthly"][s], start=2):
            assert ws.cell(t, 1).value == row["month"]
            for j, k in enumerate(MONTHLY_SERIES, start=2):
                assert ws.cell(t, j).value == row[k], (s, t, k)


def test_workbook_headline_cross_checks_by_hand(book):
    """Customers won = the sum of the monthly customers; total cost = the Total row; spend = 24 × $40,000."""
    head = book["Headline"]
    rows = {head.cell(r, 1).value: r for r in range(2, head.max_row + 1)}
    for j, s in enumerate(("Generate", "Buy", "Blend"), start=2):
        ws = book[f"Monthly {s}"]
        col = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
        months = [ws.cell(r, col["Customers won"]).value for r in range(2, 26)]
        assert ws.cell(26, 1).value == "Total"
        assert math.fsum(months) == pytest.approx(head.cell(rows["Customers won"], j).value, rel=1e-12)
        assert ws.cell(26, col["Customers won"]).value == pytest.approx(math.fsum(months), rel=1e-12)
        cost = ws.cell(26, col["Total acquisition cost ($)"]).value
        assert cost == pytest.approx(head.cell(rows["Total acquisition cost"], j).value, rel=1e-12)
        assert ws.cell(25, col["Customers won to date"]).value == pytest.approx(math.fsum(months), rel=1e-12)
        assert ws.cell(26, col["Customers won to date"]).value is None  # a running total has no total
        assert head.cell(rows["Spend"], j).value == 24 * 40_000
        assert ws.cell(2, col["Customers won"]).number_format == "#,##0.0"


def test_workbook_without_ranges_undefined_cells_currency_and_formula_text():
    """No ranges: no Risk sheet. Nothing spent: undefined metrics are empty cells, never '—' or NaN. The euro
    symbol in formats; a name that looks like a formula stays text."""
    scn = scenario(**{"budget.monthly": 0.0, "currency": "EUR", "name": '=HYPERLINK("http://x")'})
    book = openpyxl.load_workbook(io.BytesIO(workbook(run(scn))))
    assert "Risk" not in book.sheetnames
    head = book["Headline"]
    rows = {head.cell(r, 1).value: r for r in range(2, head.max_row + 1)}
    assert head.cell(rows["CAC"], 2).value is None
    assert head.cell(rows["Payback month"], 2).value is None
    assert head.cell(rows["Spend"], 2).value == 0
    assert head.cell(rows["Spend"], 2).number_format == '"€"#,##0'
    for ws in book:
        for row in ws.iter_rows():
            for c in row:
                assert c.value not in ("—", "nan", "NaN", "inf") and not (isinstance(c.value, float) and
                                                                         not math.isfinite(c.value))  # fmt: skip
    name = book["Inputs"]["B2"]
    assert name.value == '=HYPERLINK("http://x")' and name.data_type == "s"


# ---- the CSV ----------------------------------------------------------------------------------------


def test_monthly_csv_readable_headers_and_exact_numbers(default_run):
    result, _ = default_run
    rows = list(csv.reader(io.StringIO(monthly_csv(result))))
    head = rows[0]
    assert head[:4] == ["Month", "Strategy", "Spend ($)", "Spend on generate channels ($)"]
    assert "Customers won" in head and "CAC to date ($)" in head and not any("_" in h for h in head)
    frame = result.monthly
    assert len(rows) == 1 + len(frame) == 1 + 3 * 24
    assert [r[1] for r in rows[1::24]] == ["Generate", "Buy", "Blend"]
    for r, (_, f) in zip(rows[1:], frame.iterrows(), strict=True):
        assert int(r[0]) == f["month"]
        for cell, k in zip(r[2:], MONTHLY_SERIES, strict=True):
            assert float(cell) == f[k], k  # bit for bit


def test_monthly_csv_undefined_is_empty_and_export_has_a_bom():
    scn = scenario(**{"budget.monthly": 0.0})
    text = monthly_csv(run(scn))
    assert "nan" not in text.lower() and "inf" not in text.lower()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["CAC to date ($)"] == "" and rows[0]["Spend ($)"] == "0.0"
    data = export(scn, "csv")
    assert data.startswith(b"\xef\xbb\xbf") and data.decode("utf-8-sig") == text


# ---- the report -------------------------------------------------------------------------------------


def _resources(page: str) -> list[str]:
    """Anything that would load from elsewhere: src/href/url()/@import pointing off the page."""
    found = re.findall(r"""(?:src|href|xlink:href)\s*=\s*["']?\s*((?:https?:|//)[^"'\s>]*)""", page, re.I)
    found += re.findall(r"url\(\s*['\"]?\s*((?:https?:|//)[^)'\"]*)", page, re.I)
    found += re.findall(r"@import[^;]*", page, re.I)
    return found


def test_report_html_escapes_user_text_and_is_self_contained(no_browser):
    scn = scenario(**{"name": HOSTILE, "channel.gen.label": "<b>Ads</b> & **more**"})
    result = run(scn)
    page = report_html(result, link="javascript:alert(1)<script>", when=DAY, paper="Letter")
    assert "&lt;img src=x onerror=alert(1)&gt; **bold** :red[x]" in page
    assert "<img" not in page and "<script" not in page.lower() and "<b>Ads" not in page
    assert "&lt;b&gt;Ads&lt;/b&gt; &amp; **more**" in page  # the channel label, in the assumptions line
    assert "javascript:alert(1)&lt;script&gt;" in page and "<a " not in page  # a link that is not http: text only
    assert _resources(page) == []
    assert "size: Letter" in page and "26 November 2026" in page
    assert page.count("<svg") == 2 and "need Chromium" in page  # hand-drawn charts, and why
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        ET.fromstring(svg)


def test_report_html_has_every_part(default_run, no_browser):
    from simulation.narrate import assumptions_line, verdict

    result, mc = default_run
    link = "https://lab.example.com/?scenario=q3-plan@2&x=<y>"
    page = report_html(result, mc, link=link, when=DAY)
    import html as h

    assert f'<a href="{h.escape(link)}">{h.escape(link)}</a>' in page
    assert _resources(page) == [h.escape(link)]  # the link itself, nothing loaded
    assert h.escape(assumptions_line(result)) in page
    v = verdict(result, mc)
    assert h.escape(v.headline) in page and h.escape(v.sureness) in page and "94 %" in v.sureness
    assert "Lifetime value created" in page and "Customers won" in page and "Payback month" in page
    assert "Lifetime value, P10 – P90" in page  # ranges: the risk line
    assert "size: A4" in page
    assert "Lifetime value, P10 – P90" not in report_html(result, None, when=DAY)


def test_pdf_and_images_say_how_to_install_a_browser(no_browser, default_run):
    result, _ = default_run
    with pytest.raises(ExportUnavailable, match="apt-get install chromium"):
        report_pdf("<p>x</p>")
    with pytest.raises(ExportUnavailable, match="apt-get install chromium"):
        export(load_preset("default"), "pdf")
    with pytest.raises(ExportUnavailable, match="apt-get install chromium"):
        chart_image(report_charts(result)[0])
    with pytest.raises(ValueError, match="xlsx"):
        export(load_preset("default"), "docx")


# ---- with the headless browser (each Chromium start costs 1–2 s: few tests) -------------------------


def _pdf_pages(pdf: bytes) -> tuple[int, list[tuple[float, float]]]:
    text = pdf.decode("latin-1")
    pages = len(re.findall(r"/Type\s*/Page\b(?!s)", text))
    boxes = [(float(w), float(h)) for w, h in re.findall(r"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", text)]
    return pages, boxes


@needs_browser
def test_report_pdf_is_one_page_of_a4_and_of_letter(default_run):
    result, mc = default_run
    page = report_html(result, mc, link="https://lab.example.com/?scenario=q3-plan", when=DAY, paper="A4")
    assert page.count('<svg class="main-svg"') == 2 and "need Chromium" not in page  # kaleido's charts
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        ET.fromstring(svg)
    assert _resources(page) == ["https://lab.example.com/?scenario=q3-plan"]
    a4 = report_pdf(page, "A4")
    letter = report_pdf(page, "Letter")  # the same page printed on Letter: the page box follows the paper
    assert a4.startswith(b"%PDF") and letter.startswith(b"%PDF")
    pages, boxes = _pdf_pages(a4)
    assert pages == 1 and boxes == [pytest.approx((595, 842), abs=1.5)]
    pages, boxes = _pdf_pages(letter)
    assert pages == 1 and boxes == [pytest.approx((612, 792), abs=1.5)]


@needs_browser
def test_chart_images_png_and_svg(default_run):
    result, _ = default_run
    fig = report_charts(result)[1]
    png = chart_image(fig, "png", width=600, height=300)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (w, h) == (1200, 600)  # scale 2
    root = ET.fromstring(chart_image(fig, "svg", width=600, height=300))
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("width") == "600"
