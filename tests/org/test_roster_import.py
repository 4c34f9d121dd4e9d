"""Roster import: upload -> preview (nothing written) -> confirm applies exactly the preview."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from compliance.db import db
from compliance.models import Assignment, StaffMember
from compliance.org import importer
from compliance.org.importer import reading
from compliance.org.models import RosterImport
from compliance.org.services import update_staff

from .roster_files import (
    HEADERS,
    confirm,
    preview_token,
    roster_events,
    staff_count,
    staff_snapshot,
    upload,
    workbook,
)


def _current(member_id: int) -> Assignment:
    return db.session.scalar(
        sa.select(Assignment).where(
            Assignment.staff_member_id == member_id, Assignment.ended_on.is_(None)
        )
    )


def test_preview_lists_creates_and_changes_then_confirm_applies_them(client_for, org, make_staff):
    existing = make_staff(site=org.centre, post=org.post, window=org.w1, name="旧名字")
    hr = client_for("hr")
    data = workbook(
        [
            ["R001", "赵一", "13800000001", date(2025, 5, 1), org.centre.code, org.post.code, "A01", "在岗"],
            ["R002", "钱二", None, "2025-06-01", org.hall.code, org.key_post.code, "B01", None],
            [existing.staff_no, "新名字", "13800000003", existing.hired_on, org.centre.code, org.key_post.code, "A02", "在岗"],
            [None, None, None, None, None, None, None, None],  # blank rows are skipped
        ]
    )  # fmt: skip
    before = staff_snapshot()
    token = preview_token(upload(hr, data))
    assert staff_snapshot() == before  # the preview wrote nothing to the staff tables
    assert roster_events(hr.user.id) == []

    page = hr.get(f"/org/import/{token}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-row="2"' in text and "R001" in text and "钱二" in text  # to create
    assert 'data-row="4" data-field="name"' in text and "旧名字" in text and "新名字" in text
    assert (
        'data-field="post"' in text
        and 'data-field="window"' in text
        and 'data-field="phone"' in text
    )
    assert text.count('class="table-wrap"') == 2  # each table scrolls inside itself on a phone

    response = confirm(hr, token)
    assert response.status_code == 302
    first = db.session.scalar(sa.select(StaffMember).where(StaffMember.staff_no == "R001"))
    second = db.session.scalar(sa.select(StaffMember).where(StaffMember.staff_no == "R002"))
    assert (first.name, first.site_id, first.hired_on) == ("赵一", org.centre.id, date(2025, 5, 1))
    assert second.site_id == org.hall.id and second.phone is None
    current = _current(first.id)
    assert (current.post_id, current.window_id, current.started_on) == (
        org.post.id,
        org.w1.id,
        date(2025, 5, 1),
    )
    updated = db.session.get(StaffMember, existing.id)
    assert (updated.name, updated.phone) == ("新名字", "13800000003")
    moved = _current(existing.id)
    assert (moved.post_id, moved.window_id) == (org.key_post.id, org.w2.id)

    actions = [e.action for e in roster_events(hr.user.id)]
    assert actions == ["roster.create_batch", "roster.update_batch", "roster.import"]
    created, changed, summary = roster_events(hr.user.id)
    assert sorted(s[1] for s in created.after["staff"]) == ["R001", "R002"]
    assert changed.after["staff"][0]["id"] == existing.id
    assert changed.after["staff"][0]["changed"]["name"] == ["旧名字", "新名字"]
    assert summary.after["created"] == 2 and summary.after["updated"] == 1
    assert db.session.scalar(sa.select(RosterImport.status)) == "applied"
    done = hr.get(f"/org/import/{token}").get_data(as_text=True)
    assert "导入完成" in done and "Confirm" not in done and "确认导入" not in done


def test_one_changed_phone_previews_exactly_that_change_and_applies_only_it(
    client_for, org, make_staff
):
    people = [make_staff(site=org.centre, post=org.post, window=org.w1) for _ in range(3)]
    for person in people:
        person.phone = "13900000000"
    db.session.commit()
    hr = client_for("hr")

    def row(m, phone):
        return [
            m.staff_no,
            m.name,
            phone,
            m.hired_on,
            org.centre.code,
            org.post.code,
            "A01",
            "在岗",
        ]

    data = workbook(
        [row(people[0], "13900000000"), row(people[1], "13911112222"), row(people[2], None)]
    )
    before = staff_snapshot()
    token = preview_token(upload(hr, data))
    imp = db.session.scalar(sa.select(RosterImport).where(RosterImport.token == token))
    assert (imp.to_create, imp.to_change, imp.unchanged) == (0, 1, 2)
    assert [(c["staff_no"], c["fields"]) for c in imp.plan["change"]] == [
        (people[1].staff_no, {"phone": ["13900000000", "13911112222"]})
    ]
    text = hr.get(f"/org/import/{token}").get_data(as_text=True)
    assert text.count("data-field=") == 1 and 'data-field="phone"' in text
    assert confirm(hr, token).status_code == 302
    after = staff_snapshot()
    expected = dict(before["people"])
    name, _phone, hired, status, site = expected[people[1].staff_no]
    expected[people[1].staff_no] = (name, "13911112222", hired, status, site)
    assert after["people"] == expected
    assert after["assignments"] == before["assignments"]


def test_template_has_notes_and_an_example_row_that_changes_nobody(client_for, org, make_staff):
    make_staff(site=org.centre)
    hr = client_for("hr")
    response = hr.get("/org/import/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    data_rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if any(r)]
    assert data_rows and all(str(r[0]).startswith("示例") for r in data_rows)
    notes = book["说明"]
    explained = {r[0] for r in notes.iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert set(HEADERS) <= explained

    before = staff_snapshot()
    token = preview_token(upload(hr, response.data))
    text = hr.get(f"/org/import/{token}").get_data(as_text=True)
    assert 'data-skipped="2"' in text and "示例-0001" in text
    assert "没有需要导入的内容" in text and "roster_confirm" not in text and "/confirm" not in text
    refused = confirm(hr, token)
    assert refused.status_code == 400
    assert staff_snapshot() == before
    assert client_for("inspector").get("/org/import/template.xlsx").status_code == 403


def test_wrong_rows_are_listed_with_row_and_column_and_nothing_is_stored(client_for, org):
    hr = client_for("hr")
    before = staff_count()
    data = workbook(
        [
            ["R101", "孙三", None, "2025-01-01", org.centre.code, org.post.code, "A01", "在岗"],
            ["R102", "李四", None, "not a date", org.centre.code, org.post.code, None, None],
            ["R103", "周五", None, "2025-01-01", "NOPE", org.post.code, None, None],
            ["R101", "吴六", None, "2025-01-01", org.centre.code, org.post.code, None, None],
        ]
    )
    response = upload(hr, data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'data-row="3"' in text and 'data-row="4"' in text and 'data-row="5"' in text
    assert 'data-row="2"' not in text
    assert "NOPE" in text and "not a date" in text and "入职日期" in text and "场所编码" in text
    assert "R101" in text  # the duplicate on row 5 names its staff number and first row
    assert staff_count() == before
    assert db.session.scalar(sa.select(sa.func.count(RosterImport.id))) == 0
    assert roster_events(hr.user.id) == []


def test_every_kind_of_row_problem_is_reported_with_its_row_and_column(app, org, make_staff):
    outsider = make_staff(site=org.other)
    rows = [
        (2, {"staff_no": "", "name": "", "hired_on": None, "site": "", "post": ""}),
        (3, {"staff_no": "D1", "name": "甲", "hired_on": "2025-01-01", "site": org.centre.code,
             "post": "NOPOST", "window": "Z99", "status": "休假", "phone": "bad phone!"}),
        (4, {"staff_no": "D1", "name": "乙", "hired_on": "2025-01-01", "site": org.centre.code,
             "post": org.post.code}),
        (5, {"staff_no": outsider.staff_no, "name": "丙", "hired_on": "2025-01-01",
             "site": org.other.code, "post": org.post.code}),
        (6, {"staff_no": "D2", "name": "丁\x00", "hired_on": "2025-01-01", "site": org.centre.code,
             "post": org.post.code}),
        (7, {"staff_no": "D3", "name": "戊" * 5000, "hired_on": "2025-01-01",
             "site": org.centre.code, "post": org.post.code}),
    ]  # fmt: skip
    plan = importer.build_plan(
        db.session, rows, scope={org.centre.id, org.hall.id}, today=date(2026, 1, 1)
    )
    assert plan.create == [] and plan.change == []
    by_row: dict[int, list[tuple[str, str]]] = {}
    for error in plan.errors:
        by_row.setdefault(error.row, []).append((error.column, error.message))
    assert sorted(c for c, _m in by_row[2]) == ["hired_on", "name", "post", "site", "staff_no"]
    assert sorted(c for c, _m in by_row[3]) == ["phone", "post", "status", "window"]
    assert any("appears again" in m for _c, m in by_row[4])
    assert any("Unknown site" in m for _c, m in by_row[5])
    assert any("outside your sites" in m for _c, m in by_row[5])
    assert [c for c, _m in by_row[6]] == ["name"]
    assert "control character" in by_row[6][0][1]
    assert by_row[7][0][0] == "name" and "too long" in by_row[7][0][1]


def _zip_without_workbook() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "payload, filename, words",
    [
        (b"PK\x03\x04 this is not really a zip file", "roster.xlsx", "xlsx"),
        (b"staff_no,name\n1,a\n", "roster.xlsx", "xlsx"),
        (b"staff_no,name\n1,a\n", "roster.csv", "xlsx"),
        (b"\x00" * 64, "roster.xlsx", "xlsx"),
        (_zip_without_workbook(), "roster.xlsx", "xlsx"),
        (workbook([["X", "Y"]])[:-200], "roster.xlsx", "xlsx"),  # truncated
        (workbook([["X1", "甲"]], headers=["工号", "姓名"]), "roster.xlsx", "入职日期"),
        (workbook([["a", "b"]], headers=["foo", "bar"]), "roster.xlsx", "工号"),
        (workbook([]), "roster.xlsx", "没有数据行"),
    ],
)
def test_bad_files_are_refused_with_a_message(client_for, org, payload, filename, words):
    hr = client_for("hr")
    before = staff_count()
    response = upload(hr, payload, filename)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'class="error"' in text and words in text
    assert staff_count() == before
    assert db.session.scalar(sa.select(sa.func.count(RosterImport.id))) == 0


def test_oversize_file_is_refused(client_for, monkeypatch):
    monkeypatch.setattr(reading, "MAX_BYTES", 1000)
    hr = client_for("hr")
    response = upload(hr, b"x" * 2000)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    with pytest.raises(importer.RosterFileError, match="too large"):
        importer.read_rows(b"x" * 2000)


def test_huge_cells_and_control_characters_in_a_real_file(client_for, org):
    hr = client_for("hr")
    data = workbook(
        [
            ["R301", "名" * 70, None, "2025-01-01", org.centre.code, org.post.code, None, None],
            ["R302", "甲", "1" * 300, "2025-01-01", org.centre.code, org.post.code, None, None],
            ["9" * 40, "乙", None, "2025-01-01", org.centre.code, org.post.code, None, None],
        ]
    )
    response = upload(hr, data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert all(f'data-row="{n}"' in text for n in (2, 3, 4))


def test_english_headers_and_numeric_cells_are_accepted(app, org, make_user):
    hr = make_user(roles=("hr",))
    data = workbook(
        [[1001, "Ann", 13800000009, date(2024, 1, 2), org.centre.code, org.post.code, "A01", "active"]],
        headers=["Staff number", "Name", "Phone", "Hire date", "Site code", "Post code", "Window code", "Status"],
    )  # fmt: skip
    imp, plan = importer.preview(db.session, hr, data, today=date(2026, 1, 1))
    assert plan.errors == [] and imp.to_create == 1
    assert importer.confirm(db.session, hr, imp, sha256=imp.sha256, today=date(2026, 1, 1)) == (
        "applied"
    )
    member = db.session.scalar(sa.select(StaffMember).where(StaffMember.staff_no == "1001"))
    assert member.phone == "13800000009"


def test_reimporting_the_same_file_changes_nothing(app, org, make_user):
    hr = make_user(roles=("hr",))
    data = workbook(
        [["R201", "郑七", None, "2025-01-01", org.centre.code, org.post.code, "A01", None]]
    )
    imp, _plan = importer.preview(db.session, hr, data, today=date(2026, 1, 1))
    importer.confirm(db.session, hr, imp, sha256=imp.sha256, today=date(2026, 1, 1))
    again, _plan = importer.preview(db.session, hr, data, today=date(2026, 1, 1))
    assert (again.to_create, again.to_change, again.unchanged) == (0, 0, 1)


def test_leaving_ends_the_current_assignment_and_a_move_starts_a_new_one(
    app, org, make_staff, make_user
):
    hr = make_user(roles=("hr",))
    leaver = make_staff(site=org.centre, post=org.post, window=org.w1, hired_on=date(2020, 1, 1))
    mover = make_staff(site=org.centre, post=org.post, window=org.w1, hired_on=date(2020, 1, 1))
    data = workbook(
        [
            [leaver.staff_no, leaver.name, None, date(2020, 1, 1), org.centre.code, org.post.code, "A01", "离职"],
            [mover.staff_no, mover.name, None, date(2020, 1, 1), org.hall.code, org.post.code, "B01", None],
        ]
    )  # fmt: skip
    today = date(2026, 1, 10)
    imp, plan = importer.preview(db.session, hr, data, today=today)
    assert plan.errors == []
    assert importer.confirm(db.session, hr, imp, sha256=imp.sha256, today=today) == "applied"
    assert _current(leaver.id) is None
    assert db.session.get(StaffMember, leaver.id).status == "left"
    ended = db.session.scalars(
        sa.select(Assignment).where(Assignment.staff_member_id == mover.id).order_by(Assignment.id)
    ).all()
    assert [(a.site_id, a.started_on, a.ended_on) for a in ended] == [
        (org.centre.id, date(2020, 1, 1), date(2026, 1, 9)),
        (org.hall.id, today, None),
    ]
    assert db.session.get(StaffMember, mover.id).site_id == org.hall.id


def test_an_import_after_a_later_change_of_the_person_is_refused(app, org, make_staff, make_user):
    """The plan is stale when the person changed between preview and confirm."""
    hr = make_user(roles=("hr",))
    member = make_staff(site=org.centre, post=org.post, window=org.w1)
    data = workbook(
        [
            [
                member.staff_no,
                "改名",
                None,
                member.hired_on,
                org.centre.code,
                org.post.code,
                "A01",
                None,
            ]
        ]
    )
    imp, _plan = importer.preview(db.session, hr, data, today=date(2026, 1, 1))
    update_staff(db.session, hr, member, phone="13700000000")
    with pytest.raises(importer.service.StaleError):
        importer.confirm(db.session, hr, imp, sha256=imp.sha256, today=date(2026, 1, 1))
