"""Pure figure builders for the views: results in, Plotly figures out (no Streamlit)."""

from . import channels, strategies, theme, uncertainty

__all__ = ["channels", "strategies", "theme", "uncertainty"]
