"""One colour per strategy everywhere, plus shared labels."""

from __future__ import annotations

from simulation.metrics import STRATEGY_LABELS  # noqa: F401  (one set of names everywhere)

# Okabe–Ito colour-blind-safe palette: bluish green, vermillion, blue.
COLORS = {"generate": "#009E73", "buy": "#D55E00", "blend": "#0072B2"}

# Stage shades per strategy (open leads → MQL → SQL), light to dark.
STAGE_SHADES = {
    "generate": ("#B3E2D5", "#4DBF9D", "#00795A"),
    "buy": ("#F2C6A6", "#E58A4D", "#A34600"),
    "blend": ("#B3D4E8", "#4D9CCB", "#005488"),
}


def rgba(hex_color: str, alpha: float) -> str:
    """A hex colour as rgba() with transparency, for bands and fills."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
