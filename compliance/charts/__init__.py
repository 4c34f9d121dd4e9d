"""Charts drawn on the server as inline SVG (see `chart.py` for the component)."""

from .chart import Chart, Series
from .labels import chart_panel, day_labels, month_labels
from .scale import PALETTE, _nice_max, _ticks, text_width

__all__ = [
    "PALETTE",
    "Chart",
    "Series",
    "_nice_max",
    "_ticks",
    "chart_panel",
    "day_labels",
    "month_labels",
    "text_width",
]
