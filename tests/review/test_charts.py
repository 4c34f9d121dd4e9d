"""The SVG chart component: accessible markup, every data point drawn (zero as a stub, a missing
value as a gap), text escaped, readable colours, round axis steps, and the horizontal bars with
reference lines that score charts (0-100 with card thresholds) will use."""

from __future__ import annotations

import lxml.html
import pytest

from compliance.charts import PALETTE, Chart, Series, _nice_max, _ticks


def _doc(chart: Chart):
    return lxml.html.fromstring(f"<div>{chart.__html__()}</div>")


def _points(chart: Chart):
    return _doc(chart).xpath("//*[contains(concat(' ', @class, ' '), ' pt ')]")


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_svg_is_an_image_with_a_title_a_description_and_a_data_table(app):
    chart = Chart(
        key="t1",
        title="每月问题",
        categories=["1月", "2月"],
        labels=["2025年1月", "2025年2月"],
        series=[Series("在岗", [3, 0]), Series("着装", [1, 2])],
        kind="stacked",
        links=["/findings?start=2025-01-01", None],
    )
    with app.test_request_context():
        doc = _doc(chart)
    svg = doc.xpath("//svg")[0]
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert doc.get_element_by_id(title_id).text == "每月问题"
    assert "2025年1月" in doc.get_element_by_id(desc_id).text  # the highest month, by name
    rows = doc.xpath("//table//tbody/tr")
    assert [r.xpath("string(th)") for r in rows] == ["2025年1月", "2025年2月"]
    assert [[td.text for td in r.xpath("td")] for r in rows] == [["3", "1", "4"], ["0", "2", "2"]]
    assert rows[0].xpath("th/a/@href") == ["/findings?start=2025-01-01"]
    assert doc.xpath("//ul[@class='chart-legend']/li")  # two series: a legend


@pytest.mark.parametrize("kind", ["bar", "stacked", "hbar"])
def test_every_value_is_drawn_and_a_zero_is_a_stub_on_the_axis(app, kind):
    chart = Chart(
        key="t2", title="x", categories=["a", "b", "c"], series=[Series("s", [5, 0, 2])], kind=kind
    )
    with app.test_request_context():
        points = _points(chart)
    assert [(p.get("data-category"), float(p.get("data-value"))) for p in points] == [
        ("a", 5.0),
        ("b", 0.0),
        ("c", 2.0),
    ]
    stub = points[1]
    assert "zero" in stub.get("class")
    size = float(stub.get("height")) if kind != "hbar" else float(stub.get("width"))
    assert size == 2


def test_a_line_has_a_marker_on_every_point_and_a_gap_where_a_value_is_missing(app):
    chart = Chart(
        key="t3",
        title="rate",
        kind="line",
        percent=True,
        categories=["1", "2", "3", "4"],
        series=[Series("r", [0.5, None, 1.0, 0.0])],
    )
    with app.test_request_context():
        doc = _doc(chart)
    markers = doc.xpath("//circle[contains(@class, 'pt')]")
    assert [m.get("data-category") for m in markers] == ["1", "3", "4"]
    lines = doc.xpath("//polyline")
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 2  # 3-4 joined, 1 alone
    assert [td.text for td in doc.xpath("//tbody/tr/td")] == ["50%", "—", "100%", "0%"]


def test_text_is_escaped(app):
    chart = Chart(
        key="t4",
        title="<b>t</b>",
        categories=["<script>alert(1)</script>"],
        series=[Series("\"'><img>", [1])],
    )
    with app.test_request_context():
        html = chart.__html__()
    assert "<script>" not in html and "<img>" not in html and "<b>" not in html


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        Chart(key="t5", title="x", categories=["a"], series=[Series("s", [1, 2])])
    with pytest.raises(ValueError):
        Chart(key="Bad Key", title="x", categories=["a"], series=[Series("s", [1])])
    with pytest.raises(ValueError):
        Chart(key="t6", title="x", categories=["a"], series=[Series("s", [1])], kind="pie")


def test_no_data_says_so_instead_of_drawing_an_empty_chart(app):
    with app.test_request_context():
        html = Chart(key="t7", title="x", categories=[], series=[]).__html__()
    assert "<svg" not in html and "chart-empty" in html


def test_palette_colours_have_at_least_4_5_to_1_contrast_on_white():
    for colour in PALETTE:
        ratio = 1.05 / (_luminance(colour) + 0.05)
        assert ratio >= 4.5, colour


@pytest.mark.parametrize(
    ("value", "top", "ticks"),
    [
        (0, 1, [0, 1]),
        (3, 5, [0, 1, 2, 3, 4, 5]),
        (8, 10, [0, 2, 4, 6, 8, 10]),
        (15, 20, [0, 5, 10, 15, 20]),
        (23, 25, [0, 5, 10, 15, 20, 25]),
        (130, 200, [0, 50, 100, 150, 200]),
    ],
)
def test_axes_step_in_round_whole_numbers(value, top, ticks):
    assert _nice_max(value) == top
    assert _ticks(0, top, False) == ticks


def test_horizontal_bars_on_a_score_axis_with_card_thresholds(app):
    """The component a 'scores by site and window' panel needs: 0-100, lines at 90 and 80."""
    chart = Chart(
        key="t8",
        title="scores",
        kind="hbar",
        categories=["A01", "A02"],
        series=[Series("score", [96.5, 78.0])],
        domain=(60, 100),
        references=[(90, "黄牌"), (80, "红牌")],
    )
    with app.test_request_context():
        doc = _doc(chart)
    bars = doc.xpath("//rect[contains(@class, 'pt')]")
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] > widths[1] > 0
    assert len(doc.xpath("//line[@stroke-dasharray]")) == 2
    assert "黄牌 90" in doc.text_content() and "96.5" in doc.text_content()
