"""Library: save this scenario as a new version, export it for a CFO, and the team's saved scenarios (open a version,
see its notes, rename, duplicate, delete and restore, add to the comparison). Names and notes show literally."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from .. import api, auth, state
from ..contract import ViewContext
from ..text import plain
from . import parts

K = state.VIEW_PREFIX + "library."  # this view's widget keys
K_MSG = K + "message"
NOTES_MAX = 2000
AUTHOR_MAX = auth.AUTHOR_MAX
PAPERS = ("A4", "Letter")
CHARTS = {  # chart builders of dashboard/charts/strategies.py offered as images
    "customers_to_date": "Customers won to date",
    "cac_to_date": "CAC to date",
    "cash_curve": "Cash: the J-curve",
    "pipeline_by_stage": "Pipeline by stage",
    "leads_and_capacity": "Leads and sales capacity",
    "funnel": "The funnel",
}


def _errors() -> tuple[type[Exception], type[Exception]]:
    from simulation.library import LibraryError, LibraryUnavailable

    return LibraryError, LibraryUnavailable


def _say(kind: str, text: str) -> None:
    st.session_state[K_MSG] = (kind, text)


def _message() -> None:
    said = st.session_state.pop(K_MSG, None)
    if said:
        kind, text = said
        (st.success if kind == "ok" else st.error)(plain(text))


# ---- callbacks (they run before the page is drawn again) -----------------------------------------------------


def _on_save(scn: Any) -> None:
    LibraryError, LibraryUnavailable = _errors()
    name = st.session_state.get(K + "name", "").strip() or scn.name
    notes = st.session_state.get(K + "notes", "")
    author = auth.author() or st.session_state.get(K + "author", "").strip()
    target = st.session_state.get(K + "target", "new")
    slug = None
    base = state.base_ref()
    if target == "version" and base is not None:
        slug = base[0]
    elif st.session_state.get(K + "slug", "").strip():
        slug = st.session_state[K + "slug"].strip()
    try:
        got = api.library().save(scn, slug=slug, name=name, notes=notes, author=author)
    except (LibraryError, LibraryUnavailable) as exc:
        _say("error", f"Not saved: {exc}")
        return
    state.open_saved(got.slug, got.version)
    _say("ok", f"Saved “{got.name}” as version {got.version} of {got.slug}. The address bar now opens it: "
               f"{state.saved_link(got.slug, got.version)}")  # fmt: skip


def _act(what: str, slug: str, version: int) -> None:
    LibraryError, LibraryUnavailable = _errors()
    lib = api.library()
    author = auth.author() or st.session_state.get(K + "author", "").strip()
    try:
        if what == "open":
            state.open_saved(slug, version)
            _say("ok", f"Opened {slug} version {version}.")
        elif what == "rename":
            new = st.session_state.get(K + "rename", "").strip()
            if not new:
                _say("error", "Type the new name first.")
                return
            got = lib.rename(slug, new, author=author)
            _say("ok", f"Renamed: version {got.version} of {got.slug} is called “{got.name}”.")
        elif what == "duplicate":
            new = st.session_state.get(K + "copy", "").strip()
            got = lib.duplicate(slug, new or f"Copy of {lib.get(slug).name}", author=author)
            _say("ok", f"Duplicated as {got.slug} (version 1).")
        elif what == "delete":
            lib.delete(slug)
            _say("ok", f"Deleted {slug}. It stays listed as deleted; Restore brings it back.")
        elif what == "restore":
            lib.restore(slug)
            _say("ok", f"Restored {slug}.")
        elif what == "compare":
            chosen = list(state.compared()) or [state.CURRENT]
            ref = f"{slug}@{version}"
            if ref not in chosen:
                chosen.append(ref)
            state.set_compared(chosen)
            _say("ok", f"Added {ref} to the Compare view ({len(state.compared())} of {state.MAX_COMPARE}).")
    except (LibraryError, LibraryUnavailable) as exc:
        _say("error", str(exc))


# ---- the view ---------------------------------------------------------------------------------------------------


def _save_form(ctx: ViewContext, down: str | None) -> None:
    parts.section("Save this scenario")
    scn = ctx.scenario
    base = state.base_ref()
    with st.form(K + "form", border=True):
        st.text_input("Name", value=scn.name, max_chars=80, key=K + "name")
        if base is not None:
            st.radio("Save as", ["version", "new"], key=K + "target", horizontal=True,
                     format_func=lambda t: f"a new version of {base[0]}" if t == "version" else "a new scenario")  # fmt: skip
        st.text_input("Short name in the link (optional)", key=K + "slug", max_chars=60, placeholder="made from the name",
                      help="1–60 lowercase letters, digits and dashes. Saving under an existing one adds a version.")  # fmt: skip
        st.text_area("Notes", key=K + "notes", max_chars=NOTES_MAX, height=90,
                     help="What changed and why (at most 2,000 characters). Shown as typed.")  # fmt: skip
        who = auth.author()
        if who:
            st.caption(plain(f"Saved as {who} (signed in)."))
        else:
            st.text_input("Your name", key=K + "author", max_chars=AUTHOR_MAX,
                          help="Recorded with the version. With sign-in configured, the signed-in name is used.")  # fmt: skip
        st.form_submit_button("Save version", key=K + "save", icon=":material/save:", on_click=_on_save, args=(scn,),
                              disabled=down is not None, type="primary")  # fmt: skip
    st.caption("Every save is a new version: earlier versions never change, and their links keep opening them.")


def _exports(ctx: ViewContext) -> None:
    from simulation import exports

    parts.section("Export")
    scn = ctx.scenario
    today = date.today()
    link = state.share_link()
    xlsx, csv = st.columns(2)
    html, pdf = st.columns(2)
    xlsx.download_button("Workbook (XLSX)", lambda: api.export(scn, "xlsx", link, today), icon=":material/table:",
                         file_name=exports.file_name(scn.name, today, "xlsx"), on_click="ignore", key=K + "xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         help="Inputs, headline per strategy, monthly per strategy, channels, risk quantiles.")  # fmt: skip
    csv.download_button("Monthly (CSV)", lambda: api.export(scn, "csv", link, today), icon=":material/csv:",
                        file_name=exports.file_name(scn.name, today, "csv"), mime="text/csv", on_click="ignore",
                        key=K + "csv", help="Month by month, every strategy, readable headers.")  # fmt: skip
    paper = st.segmented_control("Report paper", PAPERS, default=PAPERS[0], key=K + "paper") or PAPERS[0]
    html.download_button("Report (HTML)", lambda: api.export(scn, "html", link, today, paper),
                         icon=":material/description:", file_name=exports.file_name(scn.name, today, "html"),
                         mime="text/html", on_click="ignore", key=K + "html",
                         help="One printable page: name, date, link, assumptions, verdict, comparison, two charts.")  # fmt: skip
    has_browser = exports.browser_path() is not None
    pdf.download_button("Report (PDF)", lambda: api.export(scn, "pdf", link, today, paper),
                        icon=":material/picture_as_pdf:", file_name=exports.file_name(scn.name, today, "pdf"),
                        mime="application/pdf", on_click="ignore", key=K + "pdf", disabled=not has_browser,
                        help="The report as a PDF, printed by the server's headless Chromium.")  # fmt: skip
    if not has_browser:
        st.caption("PDF reports and chart images need Chromium on the server (apt-get install chromium); the HTML "
                   "report prints to PDF from any browser.")  # fmt: skip
    pick = st.selectbox("A chart as an image", list(CHARTS), format_func=CHARTS.get, key=K + "chart")
    png, svg = st.columns(2)
    for col, fmt in ((png, "png"), (svg, "svg")):
        col.download_button(f"Chart ({fmt.upper()})", lambda fmt=fmt: api.chart_image(scn, pick, fmt), on_click="ignore",
                            file_name=exports.file_name(f"{scn.name} {CHARTS[pick]}", today, fmt), key=K + fmt,
                            mime="image/png" if fmt == "png" else "image/svg+xml", disabled=not has_browser)  # fmt: skip


def _saved(entries: list[Any] | None) -> None:
    parts.section("Saved scenarios")
    if entries is None:
        st.caption("Not available while the library cannot be reached.")
        return
    LibraryError, LibraryUnavailable = _errors()
    search = st.session_state.get(K + "search", "")
    st.text_input("Search", key=K + "search", placeholder="Search by name, short name or author",
                  label_visibility="collapsed")  # fmt: skip
    if not entries:
        st.caption("Nothing saved yet." if not search else "No saved scenario matches.")
        return
    frame = pd.DataFrame([{"Name": e.name, "Short name": e.slug, "Latest version": e.version, "Author": e.author or "—",
                           "Saved (UTC)": e.saved_at.strftime("%Y-%m-%d %H:%M"),
                           "Status": "deleted" if e.deleted else ""} for e in entries])  # fmt: skip
    st.dataframe(frame, hide_index=True, width="stretch", height=min(38 + 35 * len(frame), 250))
    slugs = [e.slug for e in entries]
    by = {e.slug: e for e in entries}
    slug = st.selectbox("Scenario", slugs, key=K + "pick",
                        format_func=lambda s: f"{by[s].name} · {s} · v{by[s].version}")  # fmt: skip
    entry = by[slug]
    try:
        versions = api.library().versions(slug)
    except (LibraryError, LibraryUnavailable) as exc:
        st.warning(plain(str(exc)))
        return
    nums = [v.version for v in versions][::-1]
    version = st.selectbox("Version", nums, key=K + f"version.{slug}",
                           format_func=lambda n: f"v{n}" + (" (latest)" if n == nums[0] else ""))  # fmt: skip
    info = next(v for v in versions if v.version == version)
    st.caption(plain(f"Version {version} · {info.saved_at:%Y-%m-%d %H:%M} UTC · {info.author or 'no author'} · "
                     f"named “{info.name}”"))  # fmt: skip
    if info.notes:
        st.text(info.notes)
    st.code(state.saved_link(slug, version), language=None, wrap_lines=True)
    a, b, c, d = st.columns(4)
    a.button("Open", key=K + "open", on_click=_act, args=("open", slug, version), icon=":material/open_in_browser:",
             type="primary")  # fmt: skip
    b.button("Add to Compare", key=K + "compare", on_click=_act, args=("compare", slug, version),
             icon=":material/compare_arrows:")  # fmt: skip
    if entry.deleted:
        c.button(
            "Restore", key=K + "restore", on_click=_act, args=("restore", slug, version), icon=":material/restore:"
        )
    else:
        c.button("Delete", key=K + "delete", on_click=_act, args=("delete", slug, version), icon=":material/delete:")
    with d.popover("Rename or copy", icon=":material/edit:"):
        st.text_input("New name", key=K + "rename", max_chars=80)
        st.button("Rename (a new version)", key=K + "do_rename", on_click=_act, args=("rename", slug, version))
        st.text_input("Name of the copy", key=K + "copy", max_chars=80, placeholder=f"Copy of {entry.name}"[:80])
        st.button("Duplicate", key=K + "do_copy", on_click=_act, args=("duplicate", slug, version))


def render(ctx: ViewContext) -> None:
    _message()
    LibraryError, LibraryUnavailable = _errors()
    down, entries = None, None
    try:  # the saved scenarios, the search box's filter applied: also tells whether the database is there
        entries = api.library().list(search=st.session_state.get(K + "search", "") or None)
    except LibraryUnavailable as exc:
        down = str(exc)
        st.warning(plain(f"{down}. Saving and opening saved scenarios work again once it is back."))
    left, right = st.columns([1, 1], gap="large")
    with left:
        _save_form(ctx, down)
    with right:
        _exports(ctx)
    _saved(entries)
