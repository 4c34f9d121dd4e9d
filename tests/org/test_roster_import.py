"""Roster import: every row is checked first, then all rows are applied or none."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from compliance.db import db
from compliance.models import Assignment, AuditEvent, StaffMember
from compliance.org import importer

HEADERS = ["工号", "姓名", "电话", "入职日期", "场所编码", "岗位编码", "窗口编号", "状态"]


def workbook(rows, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def zip_without_workbook() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


def upload(client, data: bytes, filename: str = "roster.xlsx"):
    return client.post(
        "/org/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def staff_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(StaffMember.id)))


def test_good_file_creates_and_updates_staff_with_assignments(client_for, org, make_staff):
    existing = make_staff(site=org.centre, post=org.post, window=org.w1, name="旧名字")
    hr = client_for("hr")
    data = workbook(
        [
            [
                "R001",
                "赵一",
                "13800000001",
                date(2025, 5, 1),
                org.centre.code,
                org.post.code,
                "A01",
                "在岗",
            ],
            ["R002", "钱二", None, "2025-06-01", org.hall.code, org.key_post.code, "B01", None],
            [
                existing.staff_no,
                "新名字",
                "13800000003",
                existing.hired_on,
                org.centre.code,
                org.key_post.code,
                "A02",
                "在岗",
            ],
            [None, None, None, None, None, None, None, None],  # blank rows are skipped
        ]
    )
    response = upload(hr, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    first = db.session.scalar(sa.select(StaffMember).where(StaffMember.staff_no == "R001"))
    second = db.session.scalar(sa.select(StaffMember).where(StaffMember.staff_no == "R002"))
    assert (first.name, first.site_id, first.hired_on) == ("赵一", org.centre.id, date(2025, 5, 1))
    assert second.site_id == org.hall.id and second.phone is None
    current = db.session.scalar(
        sa.select(Assignment).where(
            Assignment.staff_member_id == first.id, Assignment.ended_on.is_(None)
        )
    )
    assert (current.post_id, current.window_id, current.started_on) == (
        org.post.id,
        org.w1.id,
        date(2025, 5, 1),
    )
    updated = db.session.get(StaffMember, existing.id)
    assert updated.name == "新名字"
    moved = db.session.scalar(
        sa.select(Assignment).where(
            Assignment.staff_member_id == existing.id, Assignment.ended_on.is_(None)
        )
    )
    assert (moved.post_id, moved.window_id) == (org.key_post.id, org.w2.id)

    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.actor_id == hr.user.id)
    ).all()
    staff_events = sorted(e.action for e in events if e.action.startswith("staff."))
    assert staff_events == ["staff.create", "staff.create", "staff.update"]
    imports = [e for e in events if e.action == "roster.import"]
    assert len(imports) == 1
    assert imports[0].after | {"filename": None} == {
        "filename": None,
        "rows": 3,
        "created": 2,
        "updated": 1,
        "unchanged": 0,
    }


def test_two_bad_rows_mean_nothing_is_applied_and_both_are_listed(client_for, org):
    hr = client_for("hr")
    before = staff_count()
    data = workbook(
        [
            ["R101", "孙三", None, "2025-01-01", org.centre.code, org.post.code, "A01", "在岗"],
            ["R102", "李四", None, "not a date", org.centre.code, org.post.code, None, None],
            ["R103", "周五", None, "2025-01-01", "NOPE", org.post.code, None, None],
            ["R104", "吴六", None, "2025-01-01", org.centre.code, org.post.code, None, None],
        ]
    )
    response = upload(hr, data)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'data-row="3"' in text and 'data-row="4"' in text
    assert 'data-row="2"' not in text and 'data-row="5"' not in text
    assert "NOPE" in text and "not a date" in text
    assert staff_count() == before
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.actor_id == hr.user.id,
                sa.or_(
                    AuditEvent.action.like("staff.%"),
                    AuditEvent.action.like("assignment.%"),
                    AuditEvent.action == "roster.import",
                ),
            )
        )
        == 0
    )


def test_every_kind_of_row_problem_is_reported_with_its_row(app, org, make_staff, make_user):
    outsider = make_staff(site=org.other)
    rows = [
        (2, {"staff_no": "", "name": "", "hired_on": None, "site": "", "post": ""}),
        (
            3,
            {
                "staff_no": "D1",
                "name": "甲",
                "hired_on": "2025-01-01",
                "site": org.centre.code,
                "post": "NOPOST",
                "window": "Z99",
                "status": "休假",
                "phone": "bad phone!",
            },
        ),
        (
            4,
            {
                "staff_no": "D1",
                "name": "乙",
                "hired_on": "2025-01-01",
                "site": org.centre.code,
                "post": org.post.code,
            },
        ),
        (
            5,
            {
                "staff_no": outsider.staff_no,
                "name": "丙",
                "hired_on": "2025-01-01",
                "site": org.other.code,
                "post": org.post.code,
            },
        ),
    ]
    plans, errors = importer.validate_rows(db.session, rows, scope={org.centre.id, org.hall.id})
    assert plans == []
    by_row: dict[int, list[str]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(error.message)
    assert len(by_row[2]) == 5  # staff number, name, hire date, site, post all missing
    assert len(by_row[3]) == 4  # phone, post, window, status
    assert any("appears again" in m for m in by_row[4])
    assert any("Unknown site" in m for m in by_row[5])
    assert any("outside your sites" in m for m in by_row[5])


@pytest.mark.parametrize(
    "payload, filename",
    [
        (b"PK\x03\x04 this is not really a zip file", "roster.xlsx"),
        (b"staff_no,name\n1,a\n", "roster.xlsx"),
        (b"staff_no,name\n1,a\n", "roster.csv"),
        (zip_without_workbook(), "roster.xlsx"),
        (workbook([["X", "Y"]])[:-200], "roster.xlsx"),  # truncated
    ],
)
def test_corrupt_or_non_xlsx_files_are_refused_with_a_message(client_for, org, payload, filename):
    hr = client_for("hr")
    before = staff_count()
    response = upload(hr, payload, filename)
    assert response.status_code == 200
    assert 'class="error"' in response.get_data(as_text=True)
    assert staff_count() == before


def test_oversize_file_is_refused(client_for, monkeypatch):
    monkeypatch.setattr(importer, "MAX_BYTES", 1000)
    hr = client_for("hr")
    response = upload(hr, b"x" * 2000)
    assert response.status_code == 200
    assert 'class="error"' in response.get_data(as_text=True)
    with pytest.raises(importer.RosterFileError, match="too large"):
        importer.read_rows(b"x" * 2000)


def test_missing_columns_are_named(org):
    with pytest.raises(importer.RosterFileError) as err:
        importer.read_rows(workbook([["X1", "甲"]], headers=["工号", "姓名"]))
    assert "入职日期" in err.value.params["columns"]


def test_english_headers_and_numeric_cells_are_accepted(app, org, make_user):
    hr = make_user(roles=("hr",))
    data = workbook(
        [
            [
                1001,
                "Ann",
                13800000009,
                date(2024, 1, 2),
                org.centre.code,
                org.post.code,
                "A01",
                "active",
            ]
        ],
        headers=[
            "Staff number",
            "Name",
            "Phone",
            "Hire date",
            "Site code",
            "Post code",
            "Window code",
            "Status",
        ],
    )
    result = importer.import_roster(db.session, hr, data, today=date(2026, 1, 1))
    assert result.created == 1
    member = db.session.scalar(sa.select(StaffMember).where(StaffMember.staff_no == "1001"))
    assert member.phone == "13800000009"


def test_reimporting_the_same_file_changes_nothing(app, org, make_user):
    hr = make_user(roles=("hr",))
    data = workbook(
        [["R201", "郑七", None, "2025-01-01", org.centre.code, org.post.code, "A01", None]]
    )
    assert importer.import_roster(db.session, hr, data, today=date(2026, 1, 1)).created == 1
    again = importer.import_roster(db.session, hr, data, today=date(2026, 1, 1))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_template_downloads_with_the_expected_headers(client_for):
    response = client_for("hr").get("/org/import/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == HEADERS
    assert client_for("inspector").get("/org/import/template.xlsx").status_code == 403
