"""Organisation pages: who may see and change what, scope, forms, filters and the HR panel."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.models import Assignment, AuditEvent, Leave, Site, StaffMember
from tests.core.db_state import changed_tables, table_rows

LISTS = [
    "/org/sites",
    "/org/windows",
    "/org/posts",
    "/org/staff",
    "/org/assignments",
    "/org/leave",
    "/org/conflicts",
]
HR_FORMS = [
    "/org/staff/new",
    "/org/assignments/new",
    "/org/leave/new",
    "/org/conflicts/new",
    "/org/import",
]
ADMIN_FORMS = ["/org/sites/new", "/org/windows/new", "/org/posts/new"]


@pytest.mark.parametrize(
    "role, lists, hr_forms, admin_forms",
    [
        ("admin", 200, 200, 200),
        ("hr", 200, 200, 403),
        ("discipline", 200, 403, 403),
        ("inspector", 200, 403, 403),
        ("staff", 403, 403, 403),
    ],
)
def test_access_matrix(client_for, role, lists, hr_forms, admin_forms):
    client = client_for(role)
    for url in LISTS:
        assert client.get(url).status_code == lists, url
    for url in HR_FORMS:
        assert client.get(url).status_code == hr_forms, url
    for url in ADMIN_FORMS:
        assert client.get(url).status_code == admin_forms, url


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/org/staff")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_hr_creates_a_staff_member_with_a_first_assignment(client_for, org):
    hr = client_for("hr")
    response = hr.post(
        "/org/staff/new",
        data={
            "staff_no": "N0001",
            "name": "新同事",
            "phone": "13911112222",
            "hired_on": "2026-02-02",
            "status": "active",
            "site_id": org.centre.id,
            "post_id": org.post.id,
            "window_id": org.w1.id,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    member = db.session.scalar(sa.select(StaffMember).where(StaffMember.staff_no == "N0001"))
    assert member.name == "新同事"
    current = db.session.scalar(
        sa.select(Assignment).where(Assignment.staff_member_id == member.id)
    )
    assert (current.window_id, current.started_on, current.ended_on) == (
        org.w1.id,
        date(2026, 2, 2),
        None,
    )
    assert response.headers["Location"].endswith(f"/org/staff/{member.id}")
    detail = hr.get(f"/org/staff/{member.id}").get_data(as_text=True)
    assert "新同事" in detail and org.w1.code in detail
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.actor_id == hr.user.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["staff.create", "assignment.create"]


def test_duplicate_staff_number_is_shown_on_the_form(client_for, org, make_staff):
    existing = make_staff(site=org.centre)
    hr = client_for("hr")
    response = hr.post(
        "/org/staff/new",
        data={
            "staff_no": existing.staff_no,
            "name": "重复",
            "hired_on": "2026-02-02",
            "status": "active",
            "site_id": org.centre.id,
            "post_id": 0,
            "window_id": 0,
        },
    )
    assert response.status_code == 200
    assert existing.staff_no in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(StaffMember.id)).where(StaffMember.name == "重复")
        )
        == 0
    )


def test_inspector_cannot_create_staff(client_for, org):
    inspector = client_for("inspector")
    response = inspector.post(
        "/org/staff/new",
        data={
            "staff_no": "N0002",
            "name": "不应创建",
            "hired_on": "2026-02-02",
            "status": "active",
            "site_id": org.centre.id,
            "post_id": 0,
            "window_id": 0,
        },
    )
    assert response.status_code == 403
    assert (
        db.session.scalar(sa.select(StaffMember.id).where(StaffMember.staff_no == "N0002")) is None
    )


def test_out_of_scope_staff_is_not_found(client_for, org, make_staff):
    outsider = make_staff(site=org.other)
    insider = make_staff(site=org.hall)
    hr = client_for("hr", sites=[org.centre])
    assert hr.get(f"/org/staff/{insider.id}").status_code == 200  # the hall is below the centre
    assert hr.get(f"/org/staff/{outsider.id}").status_code == 404
    assert hr.get(f"/org/staff/{outsider.id}/edit").status_code == 404
    assert hr.get(f"/org/leave/new?staff_id={outsider.id}").status_code == 404
    listing = hr.get("/org/staff").get_data(as_text=True)
    assert insider.staff_no in listing and outsider.staff_no not in listing
    # Naming an out-of-scope person by staff number is refused like an unknown number.
    response = hr.post(
        "/org/leave/new",
        data={
            "staff_no": outsider.staff_no,
            "starts_on": "2026-03-01",
            "ends_on": "2026-03-02",
            "reason": "年休假",
        },
    )
    assert response.status_code == 200
    assert (
        db.session.scalar(sa.select(Leave.id).where(Leave.staff_member_id == outsider.id)) is None
    )


def test_admin_scoped_to_a_centre_cannot_edit_another_centre(client_for, org):
    admin = client_for("admin", sites=[org.centre])
    assert admin.get(f"/org/sites/{org.hall.id}/edit").status_code == 200
    assert admin.get(f"/org/sites/{org.other.id}/edit").status_code == 404
    assert admin.get(f"/org/windows/{org.ow.id}/edit").status_code == 404

    def site_edit(site, name):
        return {
            "code": site.code,
            "name": name,
            "kind": site.kind,
            "parent_id": site.parent_id or 0,
            "address": "",
            "is_active": "y",
        }

    # The same edit is accepted inside the admin's scope, so the refusals below are the scope's.
    inside = admin.post(f"/org/sites/{org.hall.id}/edit", data=site_edit(org.hall, "改名大厅"))
    assert inside.status_code == 302
    assert db.session.get(Site, org.hall.id).name == "改名大厅"

    before = table_rows()
    other_name = org.other.name
    response = admin.post(f"/org/sites/{org.other.id}/edit", data=site_edit(org.other, "越权改名"))
    assert response.status_code == 404
    response = admin.post(
        f"/org/windows/{org.ow.id}/edit",
        data={"site_id": org.other.id, "code": "Z99", "name": "越权窗口", "is_active": "y"},
    )
    assert response.status_code == 404
    assert changed_tables(before, table_rows()) == []
    assert db.session.get(Site, org.other.id).name == other_name


def test_staff_list_filters_and_pages(client_for, org, make_staff):
    for _ in range(27):
        make_staff(site=org.centre, post=org.post)
    key_holder = make_staff(site=org.hall, post=org.key_post, name="关键岗人员")
    make_staff(site=org.centre, name="离职人员", status="left", assign=False)
    reader = client_for("discipline")
    first = reader.get(f"/org/staff?site={org.centre.id}").get_data(as_text=True)
    second = reader.get(f"/org/staff?site={org.centre.id}&page=2").get_data(as_text=True)
    # 27 + the key holder in the hall below + the one who left = 29: 25 on page 1, 4 on page 2.
    assert len(re.findall(r'href="/org/staff/\d+"', first)) == 25
    assert len(re.findall(r'href="/org/staff/\d+"', second)) == 4
    assert f"site={org.centre.id}" in first and "page=2" in first
    by_post = reader.get(f"/org/staff?post={org.key_post.id}").get_data(as_text=True)
    assert key_holder.staff_no in by_post and "离职人员" not in by_post
    left = reader.get("/org/staff?status=left").get_data(as_text=True)
    assert "离职人员" in left and key_holder.staff_no not in left
    by_name = reader.get("/org/staff?q=关键岗").get_data(as_text=True)
    assert key_holder.staff_no in by_name


def test_admin_site_form_refuses_a_cycle(client_for, org):
    admin = client_for("admin")
    response = admin.post(
        f"/org/sites/{org.centre.id}/edit",
        data={
            "code": org.centre.code,
            "name": org.centre.name,
            "kind": "centre",
            "parent_id": org.hall.id,
            "address": "",
            "is_active": "y",
        },
    )
    assert response.status_code == 200
    assert db.session.get(Site, org.centre.id).parent_id is None


def test_hr_records_leave_and_overlap_is_refused(client_for, org, make_staff):
    member = make_staff(site=org.centre)
    hr = client_for("hr")
    data = {
        "staff_no": member.staff_no,
        "starts_on": "2026-03-01",
        "ends_on": "2026-03-03",
        "reason": "年休假",
    }
    assert hr.post("/org/leave/new", data=data).status_code == 302
    again = hr.post("/org/leave/new", data=dict(data, starts_on="2026-03-03", ends_on="2026-03-04"))
    assert again.status_code == 200
    assert "2026-03-01" in again.get_data(as_text=True)  # the clashing leave is named
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Leave.id)).where(Leave.staff_member_id == member.id)
        )
        == 1
    )


def test_hr_moves_a_staff_member_to_another_window(client_for, org, make_staff):
    member = make_staff(site=org.centre, post=org.post, window=org.w1, started_on=date(2026, 1, 1))
    hr = client_for("hr")
    response = hr.post(
        "/org/assignments/new",
        data={
            "staff_no": member.staff_no,
            "post_id": org.key_post.id,
            "site_id": org.centre.id,
            "window_id": org.w2.id,
            "started_on": "2026-02-01",
            "ended_on": "",
            "note": "轮岗",
        },
    )
    assert response.status_code == 302
    rows = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.staff_member_id == member.id)
        .order_by(Assignment.started_on)
    ).all()
    assert [(a.window_id, a.ended_on) for a in rows] == [
        (org.w1.id, date(2026, 1, 31)),
        (org.w2.id, None),
    ]


def test_hr_records_a_conflict_between_two_people(client_for, org, make_staff):
    a = make_staff(site=org.centre)
    b = make_staff(site=org.centre)
    hr = client_for("hr")
    response = hr.post(
        "/org/conflicts/new",
        data={"staff_a": b.staff_no, "staff_b": a.staff_no, "kind": "relative", "reason": "夫妻"},
    )
    assert response.status_code == 302
    page = hr.get(f"/org/staff/{a.id}").get_data(as_text=True)
    assert b.name in page and "夫妻" in page


def test_hr_dashboard_panel_lists_leave_new_staff_and_unassigned(client_for, org, make_staff):
    from compliance.timeutil import local_today

    today = local_today()
    on_leave = make_staff(site=org.centre, name="今天请假")
    db.session.add(
        Leave(staff_member_id=on_leave.id, starts_on=today, ends_on=today, reason="事假")
    )
    newcomer = make_staff(site=org.centre, name="新入职", hired_on=today - timedelta(days=10))
    idle = make_staff(site=org.centre, name="待分配", assign=False)
    make_staff(site=org.other, name="别处待分配", assign=False)
    db.session.commit()
    hr = client_for("hr", sites=[org.centre])
    page = hr.get("/dashboard").get_data(as_text=True)
    for person in (on_leave, newcomer, idle):
        assert person.name in page
    assert "别处待分配" not in page
    assert client_for("inspector").get("/dashboard").get_data(as_text=True).count("待分配") == 0
    listing = hr.get("/org/staff?flag=unassigned").get_data(as_text=True)
    assert "待分配" in listing and "新入职" not in listing


def test_scoped_admin_edits_their_centre_but_cannot_add_a_top_level_site(client_for, org):
    admin = client_for("admin", sites=[org.centre])
    renamed = admin.post(
        f"/org/sites/{org.centre.id}/edit",
        data={
            "code": org.centre.code,
            "name": "改名中心",
            "kind": "centre",
            "parent_id": 0,
            "address": "",
            "is_active": "y",
        },
    )
    assert renamed.status_code == 302
    assert db.session.get(Site, org.centre.id).name == "改名中心"
    lifted = admin.post(
        f"/org/sites/{org.hall.id}/edit",
        data={
            "code": org.hall.code,
            "name": org.hall.name,
            "kind": "hall",
            "parent_id": 0,
            "address": "",
            "is_active": "y",
        },
    )
    assert lifted.status_code == 200
    assert db.session.get(Site, org.hall.id).parent_id == org.centre.id
    top = admin.post(
        "/org/sites/new",
        data={"code": "TOP9", "name": "顶级", "kind": "centre", "parent_id": 0, "address": ""},
    )
    assert top.status_code == 200
    assert db.session.scalar(sa.select(Site.id).where(Site.code == "TOP9")) is None
    below = admin.post(
        "/org/sites/new",
        data={
            "code": "ST9",
            "name": "新驿站",
            "kind": "station",
            "parent_id": org.hall.id,
            "address": "",
        },
    )
    assert below.status_code == 302


def test_hr_dashboard_panel_counts_everyone_and_lists_the_first_eight(client_for, org, make_staff):
    import re

    for n in range(11):
        make_staff(site=org.centre, name=f"待分配{n:02d}", assign=False)
    db.session.commit()
    page = client_for("hr", sites=[org.centre]).get("/dashboard").get_data(as_text=True)
    count = re.search(r'data-count="unassigned">(\d+)<', page)
    assert count is not None and int(count.group(1)) == 11
    assert sum(f"待分配{n:02d}" in page for n in range(11)) == 8
    assert "另有 3 人" in page
