"""The charts of the period summary: one chart per figure, placed side by side in bands of
reserved empty rows at the top of the summary sheet, each anchored from one cell to another
(a two-cell anchor), so whatever the reader's row heights and fonts, a chart covers only its own
block of empty cells and prints on the first page.

Every series has markers or filled bars and value labels: a month with no neighbours (a year
with data in one month, a monthly summary) still shows as a point.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.worksheet.dimensions import RowDimension

CHARTS_PER_BAND = 3
BAND_ROWS = 15  # rows of a band; the chart takes all but the last (a gap before what follows)
BAND_ROW_HEIGHT = 15.0  # points: fixed, so the band's height is the same in every reader
GAP_EMU = 60000  # about 1.7 mm between charts side by side
# One colour per kind of chart (also what a test looks for in the rendered page).
COLOURS = {"bar": "2F5597", "line": "C00000", "column": "548235"}


@dataclass
class ChartSpec:
    key: str  # what `Placement.bind` attaches data to: "breakdown:<metric>", "rate:<rate>"...
    kind: str  # "bar" (categories), "line" (a rate by month) or "column" (a count by month)
    title: str
    percent: bool = False


@dataclass
class Placement:
    """Where each chart goes (its anchor) and, once the tables are written, its data."""

    rows: int  # how many rows the bands reserve
    anchors: dict[str, TwoCellAnchor] = field(default_factory=dict)
    specs: dict[str, ChartSpec] = field(default_factory=dict)
    data: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def bind(self, key: str, head: int, count: int, column: int = 2) -> None:
        """The chart `key` draws `count` values in `column` below the header row `head`
        (categories in column A)."""
        if key in self.specs and count:
            self.data[key] = (head, count, column)

    def add_to(self, ws) -> None:
        for key, spec in self.specs.items():
            if key not in self.data:
                continue
            chart = make_chart(ws, spec, *self.data[key])
            chart.anchor = self.anchors[key]
            ws.add_chart(chart)


def _column_groups(widths, groups: int) -> list[tuple[int, int]]:
    """Split the columns into `groups` runs of about equal width: [(first, end)) 0-based."""
    total = sum(widths)
    out, start, running = [], 0, 0.0
    for index, width in enumerate(widths):
        running += width
        if running >= total * (len(out) + 1) / groups - 1e-9 and len(out) < groups - 1:
            out.append((start, index + 1))
            start = index + 1
    out.append((start, len(widths)))
    return out


def layout_charts(ws, specs: list[ChartSpec], *, first_row: int, widths) -> Placement:
    """Reserve bands of rows from `first_row` (1-based; the caller writes them empty) and give
    each chart its block. Row heights of the bands are fixed (set before the rows are written)."""
    bands = (len(specs) + CHARTS_PER_BAND - 1) // CHARTS_PER_BAND
    placement = Placement(rows=bands * BAND_ROWS)
    for index in range(placement.rows):
        row = first_row + index
        ws.row_dimensions[row] = RowDimension(ws, index=row, ht=BAND_ROW_HEIGHT, customHeight=True)
    for band in range(bands):
        members = specs[band * CHARTS_PER_BAND : (band + 1) * CHARTS_PER_BAND]
        top = first_row - 1 + band * BAND_ROWS  # 0-based row of the band's first row
        for spec, (first_col, end_col) in zip(
            members, _column_groups(widths, len(members)), strict=True
        ):
            anchor = TwoCellAnchor()
            anchor._from = AnchorMarker(col=first_col, colOff=GAP_EMU, row=top, rowOff=0)
            anchor.to = AnchorMarker(col=end_col, colOff=0, row=top + BAND_ROWS - 1, rowOff=0)
            placement.anchors[spec.key] = anchor
            placement.specs[spec.key] = spec
    return placement


def _labels(percent: bool) -> DataLabelList:
    labels = DataLabelList()
    labels.showVal = True
    for name in ("showSerName", "showCatName", "showLegendKey", "showPercent"):
        setattr(labels, name, False)
    if percent:
        labels.numFmt = "0%"
    return labels


def make_chart(ws, spec: ChartSpec, head: int, count: int, column: int):
    """A native chart over `count` values below header row `head` in `column`."""
    colour = COLOURS[spec.kind]
    data = Reference(ws, min_col=column, min_row=head, max_row=head + count)
    categories = Reference(ws, min_col=1, min_row=head + 1, max_row=head + count)
    if spec.kind == "line":
        chart = LineChart()
        chart.add_data(data, titles_from_data=True)
        series = chart.series[0]
        series.smooth = False
        series.marker.symbol = "circle"
        series.marker.size = 8
        series.marker.graphicalProperties.solidFill = colour
        series.marker.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.width = 28575  # 2.25 pt
        chart.display_blanks = "gap"
    else:
        chart = BarChart()
        chart.type = "col"
        chart.add_data(data, titles_from_data=True)
        series = chart.series[0]
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.solidFill = colour
        chart.gapWidth = 60
    series.dLbls = _labels(spec.percent)
    chart.set_categories(categories)
    chart.title = spec.title
    chart.legend = None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.scaling.min = 0
    if spec.percent:
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.max = 1
    else:
        chart.y_axis.number_format = "0"
    return chart
