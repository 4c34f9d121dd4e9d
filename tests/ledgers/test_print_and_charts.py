"""What a discipline officer sees on paper: every ledger printed by LibreOffice (headless) to PDF
has its header row at the top of every page and all its columns on the page; the inspection
ledger of the demo with hostile notes prints on a handful of pages; the summary's charts each
show a data point on the first page, over no filled cell, for a year with data in one month and
for the monthly file written on the 1st."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from compliance.db import db
from compliance.scheduler import run_job

from .conftest import data_rows
from .pdf import colour_pixels, label_in, needs_soffice, pages, render, squeeze, to_pdf
from .scene import build_scene

DEMO_DAY = date(2026, 6, 15)
LONG_NOTE = "巡查发现窗口人员长时间离岗，" * 358  # 5,012 characters
HOSTILE_NOTES = [
    LONG_NOTE,
    LONG_NOTE + "（第二条）",
    "x" * 40_000,  # longer than an Excel cell holds
    '=HYPERLINK("http://x","y")',
    "\tcmd /c calc",
    "\u202eevil.exe\u202c 右至左覆盖",
    "控制\x0b字符\x07",
]


@pytest.fixture
def scene(make_site, make_window, make_staff, make_user):
    return build_scene(make_site, make_window, make_staff, make_user)


# --- the summary's charts ---------------------------------------------------------------------


def _chart_parts(data: bytes) -> tuple[list[str], str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        charts = [
            zf.read(n).decode() for n in sorted(zf.namelist()) if n.startswith("xl/charts/chart")
        ]
        drawing = zf.read("xl/drawings/drawing1.xml").decode()
    return charts, drawing


def _covered_cells(drawing: str) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column), 1-based, of each chart's anchor."""
    assert "oneCellAnchor" not in drawing and "absoluteAnchor" not in drawing
    boxes = []
    for anchor in re.findall(r"<(?:\w+:)?twoCellAnchor.*?</(?:\w+:)?twoCellAnchor>", drawing, re.S):
        marks = []
        for part in ("from", "to"):
            block = re.search(rf"<(?:\w+:)?{part}>(.*?)</(?:\w+:)?{part}>", anchor, re.S).group(1)
            marks.append(
                {
                    key: int(re.search(rf"<(?:\w+:)?{key}>(\d+)<", block).group(1))
                    for key in ("col", "colOff", "row", "rowOff")
                }
            )
        start, end = marks
        boxes.append(
            (
                start["row"] + 1,
                start["col"] + 1,
                end["row"] + (1 if end["rowOff"] else 0),
                end["col"] + (1 if end["colOff"] else 0),
            )
        )
    return boxes


def _series_values(ws, chart_xml: str) -> list:
    """The values a chart draws, read from the cells its series refers to."""
    ref = re.search(r"<(?:\w+:)?val>.*?<(?:\w+:)?f>(.*?)</", chart_xml, re.S).group(1)
    cells = ref.split("!")[1].replace("$", "")
    return [c.value for row in ws[cells] for c in row]


def assert_charts_carry_the_data(data: bytes, tmp_path, n_charts: int = 3) -> None:
    from compliance.ledgers.summary_charts import COLOURS

    charts, drawing = _chart_parts(data)
    assert len(charts) == n_charts
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    for xml in charts:
        # Every chart draws at least one value, and a line has markers (one month shows).
        values = _series_values(ws, xml)
        assert any(isinstance(v, int | float) and v > 0 for v in values), values
        if "<lineChart>" in xml:
            assert '<symbol val="circle"/>' in xml and '<symbol val="none"/>' not in xml
    # No chart covers a filled cell.
    boxes = _covered_cells(drawing)
    assert len(boxes) == n_charts
    filled = [
        (cell.row, cell.column)
        for row in ws.iter_rows()
        for cell in row
        if cell.value not in (None, "")
    ]
    for top, left, bottom, right in boxes:
        inside = [(r, c) for r, c in filled if top <= r <= bottom and left <= c <= right]
        assert not inside, f"a chart covers the filled cells {inside}"
    # Printed: each chart's colour shows on the first page (bars, the rate's marker).
    pdf = to_pdf({"summary": data}, tmp_path)["summary"]
    first_page = render(pdf, 0)
    for kind, colour in COLOURS.items():
        if any(f"<{'lineChart' if kind == 'line' else 'barChart'}>" in x for x in charts):
            assert colour_pixels(first_page, colour) > 60, f"no {kind} chart drawn on page 1"


def _close_on_time(scene) -> None:
    """The other site's rectification closed on time in March: the month's rate is 50%."""
    rect = scene["made"]["OTHER"]["rect"]
    rect.status = "verified"
    rect.verified_by_id = scene["verifier"].id
    rect.responded_at = datetime(2026, 3, 12, 2)
    rect.closed_at = datetime(2026, 3, 12, 3)
    rect.closed_on = date(2026, 3, 12)
    rect.closed_on_time = True
    db.session.commit()


@needs_soffice
def test_summary_of_a_year_with_data_in_one_month_shows_a_point_in_every_chart(
    client_for, scene, tmp_path
):
    _close_on_time(scene)
    officer = client_for("discipline")
    response = officer.post("/reports/summary/export", data={"period": "2026"})
    assert response.status_code == 200
    assert_charts_carry_the_data(response.data, tmp_path)


@needs_soffice
def test_monthly_summary_written_on_the_first_shows_the_year_before_with_a_point(
    app, scene, tmp_path, monkeypatch
):
    from pathlib import Path

    monkeypatch.setitem(app.config, "REPORTS_FOLDER", str(tmp_path / "reports"))
    _close_on_time(scene)
    run = run_job(app, "ledgers.monthly_reports", date(2026, 4, 1))
    assert run.outcome == "success", run.error
    data = (Path(app.config["REPORTS_FOLDER"]) / "monthly" / "2026-03-summary.xlsx").read_bytes()
    rows = [r for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True)]
    # The trend spans the twelve months up to March and says so.
    months = [r[0] for r in rows if isinstance(r[0], str) and re.fullmatch(r"\d{4}-\d{2}", r[0])]
    assert months[0] == "2025-04" and months[-1] == "2026-03" and len(months) == 12
    assert any(isinstance(r[0], str) and "2025-04 – 2026-03" in r[0] and "12" in r[0] for r in rows)
    assert_charts_carry_the_data(data, tmp_path)


# --- every ledger on paper ------------------------------------------------------------------


def _demo_with_hostile_notes(app) -> tuple[date, date]:
    """The demo centre, its findings topped up to 103 with hostile notes among them."""
    from compliance.demo import load_demo
    from compliance.timeutil import to_local
    from inspections.models import Finding

    load_demo(app, db.session, today=DEMO_DAY)
    db.session.commit()
    findings = db.session.scalars(sa.select(Finding).order_by(Finding.id)).all()
    model = findings[0]
    for n in range(103 - len(findings)):
        note = HOSTILE_NOTES[n] if n < len(HOSTILE_NOTES) else f"第{n}条：工牌未佩戴"
        db.session.add(
            Finding(
                inspection_id=model.inspection_id,
                item_version_id=model.item_version_id,
                category=model.category,
                target=model.target,
                site_id=model.site_id,
                window_id=model.window_id,
                staff_member_id=model.staff_member_id,
                severity=model.severity,
                description=model.description,
                reason="未按规定着装" * (1 + n % 3),
                note=note,
                found_by_id=model.found_by_id,
                found_at=model.found_at - timedelta(minutes=n),
            )
        )
    db.session.commit()
    first, last = db.session.execute(
        sa.select(sa.func.min(Finding.found_at), sa.func.max(Finding.found_at))
    ).one()
    return to_local(first).date(), to_local(last).date()


def _is_parameters_page(page: dict) -> bool:
    return squeeze("Exported by") in page["text"] and squeeze("Rows written") in page["text"]


@needs_soffice
def test_every_ledger_prints_its_header_on_each_page_within_the_page_width(
    app, client_for, tmp_path
):
    from flask_babel import force_locale

    from compliance.ledgers.registry import all_ledgers
    from compliance.models import User

    first, last = _demo_with_hostile_notes(app)
    officer = client_for("admin", "discipline", "hr", "inspector", "leader")
    user = db.session.get(User, officer.user.id)
    user.locale = "en"
    db.session.commit()
    period = {"from": (first - timedelta(days=400)).isoformat(), "to": last.isoformat()}
    tabular = [x for x in all_ledgers(app) if x.render is None]
    workbooks = {}
    for ledger in tabular:
        response = officer.post(f"/reports/{ledger.code}/export", data=period)
        assert response.status_code == 200, ledger.code
        workbooks[ledger.code] = response.data
    inspections = data_rows(workbooks["inspections"])
    assert len(inspections) == 103
    pdfs = to_pdf(workbooks, tmp_path)
    for ledger in tabular:
        with force_locale("en"):
            labels = [str(c.label) for c in ledger.columns]
        wb = load_workbook(io.BytesIO(workbooks[ledger.code]))
        ws = wb.worksheets[0]
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$2:$2"
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        wide = sum(c.width for c in ledger.columns) > 100
        printed = [p for p in pages(pdfs[ledger.code]) if not _is_parameters_page(p)]
        assert printed, ledger.code
        for number, page in enumerate(printed, 1):
            assert (page["width"] > page["height"]) == wide, (ledger.code, number)
            # The header row (its first, middle and last labels) tops every page: a page that
            # lost columns to the right, or rows without their header, fails here.
            for label in (labels[0], labels[len(labels) // 2], labels[-1]):
                assert label_in(label, page["top"]), (ledger.code, number, label)
        if ledger.code == "inspections":
            # 103 rows, notes of 5,000 and 40,000 characters among them: a handful of pages.
            assert len(printed) <= 8, len(printed)
            params = {
                r[0]: r[1]
                for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True)
                if r and r[0]
            }
            assert "32,767" in params["Texts cut"] and params["Texts cut"].startswith("1 ")
