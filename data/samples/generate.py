"""Generate the sample CRM export in this folder from a known scenario.

    python data/samples/generate.py            # rewrites crm_export.csv (seed 7)
    python data/samples/generate.py --check    # regenerates in memory and compares with the committed file

What it writes: ``crm_export.csv``, a HubSpot-style contact export of leads from the sources
below, drawn from the channels of ``sample_scenario.toml`` (the known scenario) exactly as the
model describes them (docs/MODEL.md, equation 5):

- each source gets its leads spread evenly at random over the 12 months before the export date
  (2026-10-31, also in ``crm_mapping.toml``);
- each lead waits three geometric stages with stay probability q = n / (3 + n), n = the channel's
  ``nurture_months``: it becomes an MQL (share ``lead_to_mql``) after the first, an SQL (share
  ``mql_to_sql`` of MQLs) after the second, and closes, won (share ``sql_to_customer`` of SQLs) or
  lost, after the third; the lag L (in whole months) is negative binomial with r = 3;
- a date k months after creation lies k · 30.44 days after it, give or take up to 0.45 of a month
  (the same offset for a lead's three dates), so round(days / 30.44) gives back k;
- a lead whose close is after the export date is open: no close date, an open deal stage, and no
  MQL / SQL date that lies after the export date.

``exact=True`` (the committed sample) gives every source exactly round(rate · leads) MQLs, SQLs and
customers, chosen at random: the population's rates are the scenario's, so the sample checks the fit
on censoring and messes rather than on luck. ``exact=False`` draws each lead's fate independently
(binomial), for the statistical tests. With ``messes=True`` the file also has what real exports
have: blank created dates (0.3 % of rows), source values in mixed case or padded with spaces (10 %),
SQLs with a blank MQL date (3 %), duplicated rows (0.5 %, same Record ID), and a source the mapping
ignores ("Offline Sources").
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation.schema import Scenario, load_scenario  # noqa: E402

SCENARIO = HERE / "sample_scenario.toml"
EXPORT = HERE / "crm_export.csv"
EXPORT_DATE = dt.date(2026, 10, 31)
MONTHS = 12
SEED = 7
DAYS_PER_MONTH = 30.44
# source value → (channel of the scenario, leads)
SOURCES = {
    "Paid Search": ("paid_search", 5000),
    "Organic Search": ("content", 5000),
    "LeadCo list": ("vendor_exclusive", 5000),
}
IGNORED = {"Offline Sources": ("vendor_shared", 300)}  # in the file, not in the mapping
COLUMNS = ["Record ID", "Original Source", "Create Date", "Became a Marketing Qualified Lead Date",
           "Became a Sales Qualified Lead Date", "Close Date", "Deal Stage", "Amount"]  # fmt: skip


def _fates(rng: np.random.Generator, n: int, rates: tuple[float, float, float], exact: bool) -> tuple[np.ndarray, ...]:
    """Per lead: became MQL, became SQL, won."""
    l2m, m2s, s2c = rates
    if not exact:
        mql = rng.random(n) < l2m
        sql = mql & (rng.random(n) < m2s)
        won = sql & (rng.random(n) < s2c)
        return mql, sql, won
    mql = np.zeros(n, dtype=bool)
    mql[rng.permutation(n)[: round(l2m * n)]] = True
    sql = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(mql)
    sql[rng.permutation(idx)[: round(m2s * idx.size)]] = True
    won = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(sql)
    won[rng.permutation(idx)[: round(s2c * idx.size)]] = True
    return mql, sql, won


def leads_of(scn: Scenario, channel: str, source: str, n: int, rng: np.random.Generator, *,
             export_date: dt.date = EXPORT_DATE, months: int = MONTHS, exact: bool = True) -> pd.DataFrame:  # fmt: skip
    """n leads of one source drawn from one channel of the scenario, as export columns (dates as day numbers)."""
    ch = scn.channel[channel]
    q = ch.nurture_months / (3.0 + ch.nurture_months)
    export_day = (export_date - dt.date(1970, 1, 1)).days
    window = months * DAYS_PER_MONTH
    created = export_day - np.floor(rng.random(n) * window).astype(np.int64)
    w = rng.geometric(1.0 - q, size=(3, n)) - 1 if q > 0 else np.zeros((3, n), dtype=np.int64)
    u = rng.uniform(-0.45, 0.45, n)

    def offset(k: np.ndarray) -> np.ndarray:
        return np.maximum(0, np.rint((k + u) * DAYS_PER_MONTH)).astype(np.int64)

    mql_day = created + offset(w[0])
    sql_day = created + offset(w[0] + w[1])
    close_day = created + offset(w.sum(0))
    mql, sql, won = _fates(rng, n, (ch.lead_to_mql, ch.mql_to_sql, ch.sql_to_customer), exact)
    closed = close_day <= export_day
    stage = np.where(won, "Closed Won", np.where(mql, "Closed Lost", "Unqualified"))
    open_stage = np.where(sql & (sql_day <= export_day), "Contract Sent",
                          np.where(mql & (mql_day <= export_day), "Qualified To Buy", "Open"))  # fmt: skip
    amount = np.where(won & closed, np.round(rng.lognormal(np.log(14400.0), 0.35, n), 2), np.nan)
    return pd.DataFrame({
        "source": source,
        "created": created,
        "mql": np.where(mql & (mql_day <= export_day), mql_day, -1),
        "sql": np.where(sql & (sql_day <= export_day), sql_day, -1),
        "closed": np.where(closed, close_day, -1),
        "stage": np.where(closed, stage, open_stage),
        "amount": amount,
        "channel": channel,
        "truth_won": won,
    })  # fmt: skip


def _date_text(days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """Day numbers as HubSpot writes dates ('2026-03-14 09:32'); -1 as blank."""
    stamps = days.astype("datetime64[D]").astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    text = np.datetime_as_string(stamps, unit="m").astype(object)
    text = np.char.replace(text.astype(str), "T", " ").astype(object)
    text[days < 0] = ""
    return text


def to_export(frame: pd.DataFrame, rng: np.random.Generator, first_id: int = 1000001) -> pd.DataFrame:
    """The export's columns from generated leads (shuffled, ids in creation order)."""
    frame = frame.sort_values("created", kind="stable").reset_index(drop=True)
    n = len(frame)
    minutes = rng.integers(8 * 60, 19 * 60, n)
    out = pd.DataFrame({
        "Record ID": np.arange(first_id, first_id + n).astype(str),
        "Original Source": frame["source"].to_numpy(),
        "Create Date": _date_text(frame["created"].to_numpy(), minutes),
        "Became a Marketing Qualified Lead Date": _date_text(frame["mql"].to_numpy(), minutes),
        "Became a Sales Qualified Lead Date": _date_text(frame["sql"].to_numpy(), minutes),
        "Close Date": _date_text(frame["closed"].to_numpy(), minutes),
        "Deal Stage": frame["stage"].to_numpy(),
        "Amount": [f"{a:.2f}" if np.isfinite(a) else "" for a in frame["amount"].to_numpy()],
    })  # fmt: skip
    return out.iloc[rng.permutation(n)].reset_index(drop=True)


def add_messes(export: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Blank created dates, mixed-case or padded sources, SQLs without an MQL date, duplicated rows."""
    out = export.copy()
    n = len(out)
    blank = rng.random(n) < 0.003
    out.loc[blank, "Create Date"] = ""
    variant = rng.integers(0, 4, n)
    messy = rng.random(n) < 0.10
    src = out["Original Source"].to_numpy(dtype=object)
    for i in np.flatnonzero(messy):
        s = src[i]
        src[i] = (s.lower(), s.upper(), f"  {s} ", f"{s} ")[variant[i]]
    out["Original Source"] = src
    skip = (out["Became a Sales Qualified Lead Date"] != "").to_numpy() & (rng.random(n) < 0.03)
    out.loc[skip, "Became a Marketing Qualified Lead Date"] = ""
    dups = out.iloc[np.flatnonzero(rng.random(n) < 0.005)]
    out = pd.concat([out, dups], ignore_index=True)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


def generate(scn: Scenario | None = None, sources: dict[str, tuple[str, int]] | None = None, *, seed: int = SEED,
             exact: bool = True, messes: bool = True, export_date: dt.date = EXPORT_DATE,
             months: int = MONTHS) -> pd.DataFrame:  # fmt: skip
    """The export as a frame of text cells (the committed sample with the defaults)."""
    scn = scn if scn is not None else load_scenario(SCENARIO)
    rng = np.random.default_rng(seed)
    parts = []
    all_sources = dict(sources if sources is not None else SOURCES)
    if messes:
        for source, spec in IGNORED.items():
            all_sources.setdefault(source, spec)
    for source, (channel, n) in all_sources.items():
        parts.append(leads_of(scn, channel, source, n, rng, export_date=export_date, months=months, exact=exact))
    export = to_export(pd.concat(parts, ignore_index=True), rng)
    return add_messes(export, rng) if messes else export


def csv_text(export: pd.DataFrame) -> str:
    return export.to_csv(index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate data/samples/crm_export.csv from sample_scenario.toml.")
    ap.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    text = csv_text(generate(seed=args.seed))
    if args.check:
        same = EXPORT.exists() and EXPORT.read_text(encoding="utf-8") == text
        print("crm_export.csv is up to date" if same else "crm_export.csv differs from what the script generates")
        return 0 if same else 1
    EXPORT.write_text(text, encoding="utf-8")
    print(f"wrote {EXPORT} ({len(text.splitlines()) - 1:,} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
