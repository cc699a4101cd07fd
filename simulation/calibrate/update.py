"""Apply a calibration to a scenario: fitted values and their P10/P90 ranges into the channels."""

from __future__ import annotations

import math
from typing import Any

from ..schema import Scenario, scenario_dict, validate_with_warnings
from ..schema.io import channel_dict
from .errors import CalibrationError
from .estimate import RATES, Calibration, _template

RATE_DIGITS = 4  # rates are written to 4 decimals (0.2512), nurture months to 2
MONTH_DIGITS = 2
TEMPLATE_RESET = {"share": 0.0, "starting_pipeline": 0.0}  # a template's plan and history are not the new channel's


def _down(x: float, digits: int) -> float:
    f = 10.0**digits
    return math.floor(x * f + 1e-9) / f


def _up(x: float, digits: int) -> float:
    f = 10.0**digits
    return math.ceil(x * f - 1e-9) / f


def rate_range(value: float, p10: float, p90: float) -> tuple[float, tuple[float, float]]:
    """A rate's written value and range: rounded outwards, containing the value, inside (0, 1)."""
    v = round(min(max(value, 0.0), 1.0), RATE_DIGITS)
    lo = _down(min(p10, v), RATE_DIGITS)
    hi = _up(max(p90, v), RATE_DIGITS)
    if lo <= 0:
        lo = min(p10, v) if 0 < min(p10, v) else 0.0
    if hi >= 1:
        hi = max(p90, v) if max(p90, v) < 1 else 1.0
    if lo <= 0 or hi >= 1:  # a Beta range needs 0 < low and high < 1: fall back to a fixed value
        return v, (v, v)
    return v, (lo, hi)


def months_range(value: float, p10: float, p90: float, hi_bound: float = 36.0) -> tuple[float, tuple[float, float]]:
    """Nurture months' written value and range: rounded outwards, containing the value, low above 0."""
    v = round(value, MONTH_DIGITS)
    lo = _down(min(p10, v), MONTH_DIGITS)
    hi = min(_up(max(p90, v), MONTH_DIGITS), hi_bound)
    if lo <= 0:
        lo = min(p10, v)
    if lo <= 0:  # a gamma range needs low > 0: fall back to a fixed value
        return v, (v, v)
    return v, (lo, hi)


def apply(base: Scenario, calibration: Calibration) -> tuple[Scenario, list[str]]:
    """A new scenario: the base's channels with the fitted ones updated, new channels for mapped sources
    (the default preset's first channel of their kind as template, share 0), and for every fitted rate and
    nurture time a range from its P10/P90. Also the warnings (the calibration's and the scenario's)."""
    data = scenario_dict(base)
    had_uncertainty = "uncertainty" in data
    unc = data.setdefault("uncertainty", {})
    unc.setdefault("ranges", {})
    ranges: dict[str, Any] = unc["ranges"]
    warnings = list(calibration.all_warnings())
    new_ids = []
    for cid, cf in calibration.channels.items():
        if cid in data["channel"]:
            ch = data["channel"][cid]
        else:
            ch = channel_dict(_template(cf.kind))
            ch.update(TEMPLATE_RESET)
            if cf.kind == "generate":
                ch["starting_leads_per_month"] = 0.0
            ch["label"] = cf.label
            data["channel"][cid] = ch
            new_ids.append(cid)
        for name in RATES:
            r = cf.rates[name]
            if not r.fitted:
                continue
            value, rng = rate_range(r.value, r.p10, r.p90)
            ch[name] = value
            ranges[f"channel.{cid}.{name}"] = list(rng)
        if cf.nurture is not None:
            value, rng = months_range(cf.nurture.value, cf.nurture.p10, cf.nurture.p90)
            ch["nurture_months"] = value
            ranges[f"channel.{cid}.nurture_months"] = list(rng)
        if cf.cpl is not None and cf.cpl > 0:
            ch["cost_per_lead"] = round(cf.cpl, 2) or cf.cpl
            if cf.kind == "generate" and ch.get("elasticity", 1.0) < 1 and cf.spend and cf.spend_months:
                ch["reference_spend"] = round(cf.spend / cf.spend_months, 2)  # the CPL holds at the mean spend
    if new_ids:
        warnings.append(
            f"new channels {', '.join(new_ids)}: share 0 and the default preset's other figures (cost per lead, "
            "fixed cost, ramp-up …); set their share and costs"
        )
    for key in list(unc.get("correlations", {})):
        fixed = [k for k in key.split("|") if k in ranges and ranges[k][0] == ranges[k][1]]
        if fixed:
            del unc["correlations"][key]
            warnings.append(f"uncertainty.correlations.{key}: dropped; {fixed[0]} has no spread left after the fit")
    if not ranges:
        unc.pop("ranges")
    if not unc and not had_uncertainty:
        data.pop("uncertainty")
    try:
        scn, more = validate_with_warnings(data)
    except Exception as exc:  # ScenarioError: the fitted scenario breaks a rule of the schema
        problems = getattr(exc, "problems", [str(exc)])
        raise CalibrationError([f"the calibrated scenario is not valid: {p}" for p in problems]) from None
    return scn, warnings + more
