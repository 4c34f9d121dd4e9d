"""Axis arithmetic and text measures shared by the chart kinds."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from markupsafe import escape

# deficiencies.
PALETTE = ("#0072b2", "#c75000", "#007a5e", "#9c4f86", "#5d6678", "#8a6d00")
TEXT = "#1d2330"
MUTED = "#5d6678"
GRID = "#dde2ea"
KINDS = ("bar", "stacked", "line", "hbar")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")

WIDTH = 360  # viewBox units; CSS scales the SVG to the card
HEIGHT = 200
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 18, 24
ROW = 34  # a horizontal bar's row: its label, then the bar
FONT = 11


def _data(category: str, series: str, value: float) -> str:
    return (
        f"data-category='{escape(category)}' data-series='{escape(series)}' "
        f"data-value='{escape(str(value))}'"
    )


def _nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^k (also 2.5 x 10^k from 25 up) at or above `value`, at
    least 1: a round top for a count axis."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    steps = (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10)
    return float(next(step * power for step in steps if value <= step * power))


def _is_nice(step: float) -> bool:
    if step <= 0 or not float(step).is_integer():
        return False
    power = 10 ** math.floor(math.log10(step))
    return step / power in (1, 2, 2.5, 5)


def _ticks(low: float, high: float, percent: bool) -> list[float]:
    """Four or five round, whole-number steps (a tick of 2.5 findings means nothing)."""
    span = high - low
    if span <= 0:
        return [low]
    for count in (5, 4, 2, 1):
        step = span / count
        if percent or _is_nice(step):
            return [low + step * k for k in range(count + 1)]
    return [low, high]


def text_width(text: str, size: float = FONT) -> float:
    """An estimate in viewBox units: a CJK character is about 1 em, anything else 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def _fit(text: str, room: float, size: float = FONT) -> str:
    if text_width(text, size) <= room:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > room:
            break
        out += ch
    return out + "…"


def _label_step(categories: Sequence[str], slot: float) -> int:
    widest = max((text_width(c) for c in categories), default=0)
    step = 1
    while widest > slot * step - 2 and step < len(categories):
        step += 1
    return step


# -- labels and panels ---------------------------------------------------------------------
