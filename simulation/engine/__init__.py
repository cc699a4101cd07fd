"""The engine: scenario → arrays with draw and channel axes → monthly figures → metrics."""

from .funnel import Monthly, discounted_ltv, lag_pmf, lag_survival, ltv, simulate
from .params import Params, params_of
from .summary import channel_metrics, cohort_cac, cumulative, div, summarize

__all__ = [
    "Monthly", "Params", "channel_metrics", "cohort_cac", "cumulative", "discounted_ltv", "div", "lag_pmf",
    "lag_survival", "ltv", "params_of", "simulate", "summarize",
]  # fmt: skip
