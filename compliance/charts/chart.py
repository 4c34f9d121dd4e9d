"""Charts drawn on the server as inline SVG: no script, no network, no font download.

A `Chart` renders as a `<figure>`: the SVG (sized by its viewBox, so it scales from a 360-px phone
to a desktop panel), an HTML legend when there are several series, and the same figures as a
table inside `<details>` (the text alternative; category cells may link to the list behind
them). The SVG carries `role="img"`, a `<title>` and a `<desc>` that sums the data up in words.

Every data point is drawn so that it can be seen: a bar of 0 is a 2-unit stub on the axis, a
line has a marker on each point, and each point carries the class `pt` with its category,
series and value in data attributes (the browser tests count them). Colours come from a
palette whose every colour has at least 4.5:1 contrast on white.

Kinds: `bar` (one or more series side by side), `stacked` (series stacked per category, the
total above), `line` (markers on every point; `None` leaves a gap) and `hbar` (horizontal bars
with the label above each bar, for long names; may be stacked, and may carry reference lines
such as card thresholds on a 0-100 score axis).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from markupsafe import Markup, escape

from .scale import (
    _KEY,
    BOTTOM,
    FONT,
    GRID,
    HEIGHT,
    KINDS,
    LEFT,
    MUTED,
    PALETTE,
    RIGHT,
    ROW,
    TEXT,
    TOP,
    WIDTH,
    _data,
    _fit,
    _label_step,
    _nice_max,
    _ticks,
)


@dataclass
class Series:
    name: str
    values: Sequence[float | None]
    colour: str | None = None


@dataclass
class Chart:
    """One chart. `key` makes the element ids unique on a page (lower-case letters, digits, -)."""

    key: str
    title: str
    categories: Sequence[str]
    series: Sequence[Series]
    kind: str = "bar"
    description: str = ""
    caption: str = ""
    percent: bool = False  # values are fractions shown as percentages
    domain: tuple[float, float] | None = None  # the value axis; default 0 .. a round maximum
    references: Sequence[tuple[float, str]] = ()  # (value, label) lines across the value axis
    links: Sequence[str | None] | None = None  # per category, for the table
    labels: Sequence[str] | None = None  # per category, the full name (table, point titles)
    category_header: str = ""
    value_format: Callable[[float], str] | None = None
    show_total: bool | None = None  # the table's total column (default: stacked charts)
    _summary: str = field(default="", init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}")
        if not _KEY.match(self.key):
            raise ValueError(f"chart key {self.key!r} must be lower-case letters, digits and -")
        for s in self.series:
            if len(s.values) != len(self.categories):
                raise ValueError(
                    f"series {s.name!r} has {len(s.values)} values for "
                    f"{len(self.categories)} categories"
                )

    # -- values -----------------------------------------------------------------------------

    def fmt(self, value: float | None) -> str:
        if value is None:
            return "—"
        if self.value_format is not None:
            return self.value_format(value)
        if self.percent:
            return f"{value * 100:.0f}%"
        if float(value).is_integer():
            return str(int(value))
        return f"{value:.1f}"

    def label(self, index: int) -> str:
        return self.labels[index] if self.labels else self.categories[index]

    @property
    def names(self) -> list[str]:
        return [self.label(i) for i in range(len(self.categories))]

    def colour(self, index: int) -> str:
        given = self.series[index].colour
        return given or PALETTE[index % len(PALETTE)]

    @property
    def stacked(self) -> bool:
        return self.kind == "stacked" or (self.kind == "hbar" and len(self.series) > 1)

    def totals(self) -> list[float | None]:
        out = []
        for i in range(len(self.categories)):
            values = [s.values[i] for s in self.series if s.values[i] is not None]
            out.append(sum(values) if values else None)
        return out

    def is_empty(self) -> bool:
        return not self.categories or all(v is None for s in self.series for v in s.values)

    def _domain(self) -> tuple[float, float, list[float]]:
        if self.domain is not None:
            low, high = self.domain
            return low, high, _ticks(low, high, self.percent)
        if self.percent:
            return 0.0, 1.0, [0.0, 0.25, 0.5, 0.75, 1.0]
        if self.stacked:
            values = [t for t in self.totals() if t is not None]
        else:
            values = [v for s in self.series for v in s.values if v is not None]
        values += [r for r, _label in self.references]
        high = _nice_max(max(values, default=0))
        return 0.0, high, _ticks(0.0, high, False)

    # -- text alternative ------------------------------------------------------------------

    def summary(self) -> str:
        """One or two sentences a screen reader reads instead of the picture."""
        parts = [self.description] if self.description else []
        if self.is_empty():
            parts.append(_("No data."))
            return " ".join(parts)
        if self.stacked and len(self.series) > 1:
            named = list(zip(self.names, self.totals(), strict=True))
            parts.append(self._extremes(_("Total"), named))
        for s in self.series[:4]:
            parts.append(self._extremes(s.name, list(zip(self.names, s.values, strict=True))))
        return " ".join(p for p in parts if p)

    def _extremes(self, name: str, pairs: list[tuple[str, float | None]]) -> str:
        known = [(c, v) for c, v in pairs if v is not None]
        if not known:
            return _("%(series)s: no data.", series=name)
        high = max(known, key=lambda p: p[1])
        low = min(known, key=lambda p: p[1])
        return _(
            "%(series)s: highest %(high_cat)s (%(high)s), lowest %(low_cat)s (%(low)s).",
            series=name,
            high_cat=high[0],
            high=self.fmt(high[1]),
            low_cat=low[0],
            low=self.fmt(low[1]),
        )

    def table(self) -> Markup:
        show_total = self.show_total if self.show_total is not None else self.stacked
        show_total = show_total and len(self.series) > 1
        category = self.category_header or _("Category")
        total_label = _("Total")
        head = [f"<th scope='col'>{escape(category)}</th>"]
        head += [f"<th scope='col'>{escape(s.name)}</th>" for s in self.series]
        if show_total:
            head.append(f"<th scope='col'>{escape(total_label)}</th>")
        rows = []
        totals = self.totals()
        for i in range(len(self.categories)):
            link = self.links[i] if self.links else None
            name = self.label(i)
            label = f"<a href='{escape(link)}'>{escape(name)}</a>" if link else escape(name)
            cells = [f"<th scope='row'>{label}</th>"]
            cells += [f"<td>{escape(self.fmt(s.values[i]))}</td>" for s in self.series]
            if show_total:
                cells.append(f"<td>{escape(self.fmt(totals[i]))}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return Markup(
            "<div class='table-wrap'><table class='list chart-table'>"
            f"<caption>{escape(self.title)}</caption>"
            f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(rows)}</tbody>"
            "</table></div>"
        )

    # -- drawing ---------------------------------------------------------------------------

    def svg(self) -> Markup:
        if self.kind == "hbar":
            body, height = self._hbar()
        else:
            body, height = self._vertical(), HEIGHT
        ident = f"chart-{self.key}"
        return Markup(
            f"<svg class='chart-svg chart-{self.kind}' viewBox='0 0 {WIDTH} {height}' "
            f"role='img' aria-labelledby='{ident}-t {ident}-d' "
            f"xmlns='http://www.w3.org/2000/svg' font-size='{FONT}' fill='{TEXT}'>"
            f"<title id='{ident}-t'>{escape(self.title)}</title>"
            f"<desc id='{ident}-d'>{escape(self.summary())}</desc>"
            f"{body}</svg>"
        )

    def legend(self) -> Markup:
        if len(self.series) < 2:
            return Markup("")
        items = []
        for i, s in enumerate(self.series):
            swatch = (
                "<svg class='swatch' viewBox='0 0 12 12' width='12' height='12' "
                f"aria-hidden='true' focusable='false'><rect width='12' height='12' rx='2' "
                f"fill='{self.colour(i)}'/></svg>"
            )
            items.append(f"<li>{swatch}{escape(s.name)}</li>")
        return Markup(f"<ul class='chart-legend'>{''.join(items)}</ul>")

    def __html__(self) -> str:
        caption = (
            f"<figcaption class='muted'>{escape(self.caption)}</figcaption>" if self.caption else ""
        )
        if self.is_empty():
            empty = _("No data in this period.")
            return (
                f"<figure class='chart chart-empty' id='chart-{self.key}'>"
                f"<p class='muted'>{escape(empty)}</p>{caption}</figure>"
            )
        data_table = _("Data table")
        return (
            f"<figure class='chart' id='chart-{self.key}' data-kind='{self.kind}'>"
            f"{self.svg()}{self.legend()}{caption}"
            f"<details class='chart-data'><summary>{escape(data_table)}</summary>"
            f"{self.table()}</details></figure>"
        )

    def _point_title(self, category: str, series: str, value: float | None) -> str:
        name = f"{category} · {series}" if series else category
        return f"<title>{escape(name)}: {escape(self.fmt(value))}</title>"

    def _vertical(self) -> str:
        low, high, ticks = self._domain()
        plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
        base = TOP + plot_h

        def y(value: float) -> float:
            span = (high - low) or 1
            return base - (min(max(value, low), high) - low) / span * plot_h

        out = []
        for tick in ticks:
            ty = y(tick)
            out.append(
                f"<line x1='{LEFT}' x2='{WIDTH - RIGHT}' y1='{ty:.1f}' y2='{ty:.1f}' "
                f"stroke='{GRID}' stroke-width='1'/>"
                f"<text x='{LEFT - 4}' y='{ty + 4:.1f}' text-anchor='end' fill='{MUTED}'>"
                f"{escape(self.fmt(tick))}</text>"
            )
        for value, label in self.references:
            ry = y(value)
            out.append(
                f"<line x1='{LEFT}' x2='{WIDTH - RIGHT}' y1='{ry:.1f}' y2='{ry:.1f}' "
                f"stroke='{TEXT}' stroke-dasharray='4 3'/>"
                f"<text x='{WIDTH - RIGHT}' y='{ry - 3:.1f}' text-anchor='end' font-size='10'>"
                f"{escape(label)}</text>"
            )
        n = len(self.categories)
        slot = plot_w / n
        every = _label_step(self.categories, slot)
        for i, category in enumerate(self.categories):
            cx = LEFT + slot * (i + 0.5)
            if i % every == 0:
                out.append(
                    f"<text x='{cx:.1f}' y='{HEIGHT - 8}' text-anchor='middle' fill='{MUTED}'>"
                    f"{escape(_fit(category, slot * every - 2))}</text>"
                )
        if self.kind == "line":
            out.append(self._lines(slot, y))
        elif self.kind == "stacked":
            out.append(self._stacks(slot, y, base))
        else:
            out.append(self._bars(slot, y, base))
        out.append(
            f"<line x1='{LEFT}' x2='{WIDTH - RIGHT}' y1='{base}' y2='{base}' stroke='{MUTED}'/>"
        )
        return "".join(out)

    def _bars(self, slot: float, y, base: float) -> str:
        out = []
        count = len(self.series)
        width = min(28.0, slot * 0.7)
        each = width / count
        for i, category in enumerate(self.names):
            start = LEFT + slot * (i + 0.5) - width / 2
            for j, s in enumerate(self.series):
                value = s.values[i]
                if value is None:
                    continue
                x = start + j * each
                top = y(value)
                height = base - top
                cls = "pt"
                if height < 2:
                    top, height, cls = base - 2, 2, "pt zero"
                out.append(
                    f"<rect class='{cls}' x='{x:.1f}' y='{top:.1f}' width='{each:.1f}' "
                    f"height='{height:.1f}' fill='{self.colour(j)}' "
                    f"{_data(category, s.name, value)}>"
                    f"{self._point_title(category, s.name if count > 1 else '', value)}</rect>"
                )
                if count == 1 or slot > 40:
                    out.append(
                        f"<text x='{x + each / 2:.1f}' y='{top - 3:.1f}' text-anchor='middle' "
                        f"font-size='10'>{escape(self.fmt(value))}</text>"
                    )
        return "".join(out)

    def _stacks(self, slot: float, y, base: float) -> str:
        out = []
        width = min(28.0, slot * 0.7)
        totals = self.totals()
        for i, category in enumerate(self.names):
            x = LEFT + slot * (i + 0.5) - width / 2
            running = 0.0
            total = totals[i]
            if total is None:
                continue
            if total == 0:
                out.append(
                    f"<rect class='pt zero' x='{x:.1f}' y='{base - 2:.1f}' width='{width:.1f}' "
                    f"height='2' fill='{MUTED}' {_data(category, '', 0)}>"
                    f"{self._point_title(category, '', 0)}</rect>"
                )
            for j, s in enumerate(self.series):
                value = s.values[i]
                if not value:
                    continue
                top, bottom = y(running + value), y(running)
                running += value
                out.append(
                    f"<rect class='pt' x='{x:.1f}' y='{top:.1f}' width='{width:.1f}' "
                    f"height='{max(bottom - top, 1):.1f}' fill='{self.colour(j)}' "
                    f"stroke='#fff' stroke-width='0.75' {_data(category, s.name, value)}>"
                    f"{self._point_title(category, s.name, value)}</rect>"
                )
            out.append(
                f"<text x='{x + width / 2:.1f}' y='{y(total) - 3:.1f}' text-anchor='middle' "
                f"font-size='10'>{escape(self.fmt(total))}</text>"
            )
        return "".join(out)

    def _lines(self, slot: float, y) -> str:
        out = []
        for j, s in enumerate(self.series):
            colour = self.colour(j)
            points = [
                (LEFT + slot * (i + 0.5), y(v) if v is not None else 0.0, c, v)
                for i, (c, v) in enumerate(zip(self.names, s.values, strict=True))
            ]
            # A line only joins neighbours that both have a value.
            segment: list[str] = []
            for px, py, _c, v in points + [(0, 0, "", None)]:
                if v is None:
                    if len(segment) > 1:
                        out.append(
                            f"<polyline points='{' '.join(segment)}' fill='none' "
                            f"stroke='{colour}' stroke-width='2'/>"
                        )
                    segment = []
                else:
                    segment.append(f"{px:.1f},{py:.1f}")
            for px, py, c, v in points:
                if v is None:
                    continue
                out.append(
                    f"<circle class='pt' cx='{px:.1f}' cy='{py:.1f}' r='3.5' fill='{colour}' "
                    f"stroke='#fff' stroke-width='1.5' {_data(c, s.name, v)}>"
                    f"{self._point_title(c, s.name if len(self.series) > 1 else '', v)}</circle>"
                )
                if len(self.series) == 1:
                    out.append(
                        f"<text x='{px:.1f}' y='{py - 7:.1f}' text-anchor='middle' "
                        f"font-size='10'>{escape(self.fmt(v))}</text>"
                    )
        return "".join(out)

    def _hbar(self) -> tuple[str, int]:
        low, high, _ticks_unused = self._domain()
        value_room = 40
        left, right = 4, WIDTH - value_room
        top = 16 if self.references else 4
        span = (high - low) or 1

        def x(value: float) -> float:
            return left + (min(max(value, low), high) - low) / span * (right - left)

        out = []
        totals = self.totals()
        for i, short in enumerate(self.categories):
            category = self.label(i)
            row_top = top + i * ROW
            out.append(
                f"<text x='{left}' y='{row_top + 12}' font-size='12'>"
                f"{escape(_fit(short, WIDTH - 8, 12))}</text>"
            )
            bar_y = row_top + 16
            total = totals[i]
            if total is None:
                continue
            running = 0.0
            drawn = False
            for j, s in enumerate(self.series):
                value = s.values[i]
                if not value:
                    continue
                x0, x1 = x(running), x(running + value)
                running += value
                drawn = True
                out.append(
                    f"<rect class='pt' x='{x0:.1f}' y='{bar_y}' width='{max(x1 - x0, 1):.1f}' "
                    f"height='12' rx='1' fill='{self.colour(j)}' stroke='#fff' "
                    f"stroke-width='0.75' {_data(category, s.name, value)}>"
                    f"{self._point_title(category, s.name if len(self.series) > 1 else '', value)}"
                    "</rect>"
                )
            if not drawn:
                out.append(
                    f"<rect class='pt zero' x='{left}' y='{bar_y}' width='2' height='12' "
                    f"fill='{MUTED}' {_data(category, '', 0)}>"
                    f"{self._point_title(category, '', 0)}</rect>"
                )
            end = x(total) if drawn else left + 2
            out.append(
                f"<text x='{end + 4:.1f}' y='{bar_y + 10}' font-size='11'>"
                f"{escape(self.fmt(total))}</text>"
            )
        bottom = top + len(self.categories) * ROW
        for value, label in self.references:
            rx = x(value)
            out.append(
                f"<line x1='{rx:.1f}' x2='{rx:.1f}' y1='{top - 2}' y2='{bottom}' stroke='{TEXT}' "
                f"stroke-dasharray='4 3'/>"
                f"<text x='{rx:.1f}' y='11' text-anchor='middle' font-size='10'>"
                f"{escape(label)} {escape(self.fmt(value))}</text>"
            )
        return "".join(out), bottom + 4
