"""A validated scenario as arrays: scalar fields (N,), channel fields (N, C); N = draws."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..schema import CHANNEL_FIELDS, SCALAR_FIELDS, Scenario

# Channel fields the engine reads, with the value standing in where a kind has no such field.
ENGINE_CHANNEL_FIELDS = {
    "cost_per_lead": None, "share": None, "fixed_monthly_cost": None, "lead_to_mql": None, "mql_to_sql": None,
    "sql_to_customer": None, "nurture_months": None, "ramp_months": 0.0, "elasticity": 1.0,
    "reference_spend": 1.0, "starting_leads_per_month": 0.0, "starting_pipeline": None,
    "max_leads_per_month": 0.0, "invalid_rate": 0.0, "return_cap": 0.0, "refund_delay_months": 0,
}  # fmt: skip


@dataclass(frozen=True)
class Params:
    """Numeric inputs of one scenario, with a leading draw axis.

    ``scalar[name]`` has shape (N,) or (1,); ``chan[field]`` has shape (N, C) or (1, C), channels
    in the scenario's order. ``is_buy`` marks buy channels; ``horizon`` is the months simulated."""

    ids: tuple[str, ...]
    is_buy: np.ndarray  # (C,) bool
    horizon: int
    scalar: dict[str, np.ndarray] = field(repr=False)
    chan: dict[str, np.ndarray] = field(repr=False)

    @property
    def n_channels(self) -> int:
        return len(self.ids)

    @property
    def n_draws(self) -> int:
        sizes = [v.shape[0] for v in self.scalar.values()] + [v.shape[0] for v in self.chan.values()]
        return max(sizes)

    def set(self, name: str, values: np.ndarray) -> Params:
        """A copy with one dotted field set to per-draw values (N,)."""
        values = np.asarray(values, float).reshape(-1)
        parts = name.split(".")
        if parts[0] == "channel":
            c = self.ids.index(parts[1])
            old = self.chan[parts[2]]
            n = max(old.shape[0], values.shape[0])
            new = np.array(np.broadcast_to(old, (n, old.shape[1])), dtype=float)
            new[:, c] = values
            return replace(self, chan={**self.chan, parts[2]: new})
        return replace(self, scalar={**self.scalar, name: values})


def params_of(scn: Scenario) -> Params:
    """The scenario's numeric fields as one-draw arrays."""
    scalar = {}
    for key in SCALAR_FIELDS:
        section, _, leaf = key.partition(".")
        v = getattr(getattr(scn, section), leaf) if leaf else getattr(scn, key)
        scalar[key] = np.array([float(v)])
    chan = {}
    for name, stand_in in ENGINE_CHANNEL_FIELDS.items():
        assert name in CHANNEL_FIELDS
        row = []
        for ch in scn.channel.values():
            v = getattr(ch, name)
            spec = CHANNEL_FIELDS[name]
            if v is None or spec.only not in (None, ch.kind):
                v = stand_in
            row.append(float(v))
        chan[name] = np.array([row])
    ids = tuple(scn.channel)
    is_buy = np.array([scn.channel[c].kind == "buy" for c in ids])
    return Params(ids, is_buy, scn.horizon_months, scalar, chan)
