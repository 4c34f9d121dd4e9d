"""Organisation API under /api/v1: lists with filters and pages, reads, writes through the
services, and errors that name the field or give the reason."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.models import Assignment, AuditEvent, StaffMember


def test_staff_list_is_paginated_and_filtered(client_for, org, make_staff):
    for _ in range(12):
        make_staff(site=org.centre, post=org.post)
    key_holder = make_staff(site=org.hall, post=org.key_post, name="关键岗")
    make_staff(site=org.other, post=org.post)
    make_staff(site=org.centre, status="suspended", assign=False, name="停职者")
    client = client_for("inspector", sites=[org.centre])
    first = client.get("/api/v1/staff?page_size=5")
    assert first.status_code == 200
    assert len(first.json) == 5
    pagination = json.loads(first.headers["X-Pagination"])
    assert pagination["total"] == 14 and pagination["total_pages"] == 3
    last = client.get("/api/v1/staff?page_size=5&page=3").json
    assert len(last) == 4
    by_post = client.get(f"/api/v1/staff?post={org.key_post.id}").json
    assert [m["id"] for m in by_post] == [key_holder.id]
    assert by_post[0]["current_assignment"]["post_id"] == org.key_post.id
    by_site = client.get(f"/api/v1/staff?site={org.hall.id}").json
    assert [m["id"] for m in by_site] == [key_holder.id]
    suspended = client.get("/api/v1/staff?status=suspended").json
    assert [m["name"] for m in suspended] == ["停职者"]
    assert client.get("/api/v1/staff?q=关键").json[0]["id"] == key_holder.id


def test_reads_respect_role_and_scope(client_for, org, make_staff):
    outsider = make_staff(site=org.other)
    insider = make_staff(site=org.centre)
    scoped = client_for("discipline", sites=[org.centre])
    assert scoped.get(f"/api/v1/staff/{insider.id}").status_code == 200
    response = scoped.get(f"/api/v1/staff/{outsider.id}")
    assert response.status_code == 404 and response.json["status"] == 404
    assert scoped.get(f"/api/v1/windows/{org.ow.id}").status_code == 404
    assert [s["id"] for s in scoped.get("/api/v1/sites").json] == sorted(
        [org.centre.id, org.hall.id], key=lambda i: db.session.get(type(org.centre), i).code
    )
    staff_user = client_for("staff")
    for url in (
        "/api/v1/staff",
        "/api/v1/sites",
        "/api/v1/windows",
        "/api/v1/posts",
        "/api/v1/assignments",
        "/api/v1/leave",
        f"/api/v1/staff/{insider.id}",
    ):
        assert staff_user.get(url).status_code == 403, url


def test_signed_out_api_call_is_401(client):
    assert client.get("/api/v1/staff").status_code == 401


def test_hr_creates_staff_and_inspector_may_not(client_for, org):
    body = {
        "staff_no": "API1",
        "name": "接口新人",
        "hired_on": "2026-01-05",
        "site_id": org.centre.id,
        "phone": "13800001111",
    }
    assert client_for("inspector").post("/api/v1/staff", json=body).status_code == 403
    hr = client_for("hr")
    response = hr.post("/api/v1/staff", json=body)
    assert response.status_code == 201, response.json
    assert response.json["staff_no"] == "API1" and response.json["current_assignment"] is None
    member = db.session.get(StaffMember, response.json["id"])
    assert member.name == "接口新人"
    assert (
        db.session.scalar(
            sa.select(AuditEvent.action).where(
                AuditEvent.entity_type == "StaffMember", AuditEvent.entity_id == str(member.id)
            )
        )
        == "staff.create"
    )
    duplicate = hr.post("/api/v1/staff", json=body)
    assert duplicate.status_code == 409
    assert "API1" in duplicate.json["reason"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "缺工号", "hired_on": "2026-01-05"}, "staff_no"),
        ({"staff_no": "V1", "name": "坏日期", "hired_on": "05/01/2026"}, "hired_on"),
        (
            {"staff_no": "V2", "name": "坏状态", "hired_on": "2026-01-05", "status": "gone"},
            "status",
        ),
    ],
)
def test_validation_errors_name_the_field(client_for, org, body, field):
    response = client_for("hr").post("/api/v1/staff", json=dict(body, site_id=org.centre.id))
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]
    assert field in response.json["reason"]


def test_site_outside_scope_is_a_field_error(client_for, org):
    hr = client_for("hr", sites=[org.centre])
    response = hr.post(
        "/api/v1/staff",
        json={"staff_no": "V3", "name": "越权", "hired_on": "2026-01-05", "site_id": org.other.id},
    )
    assert response.status_code == 422 and "site_id" in response.json["errors"]["json"]


def test_assignment_via_api_ends_the_previous_one(client_for, org, make_staff):
    from datetime import date

    member = make_staff(site=org.centre, post=org.post, window=org.w1, started_on=date(2026, 1, 1))
    hr = client_for("hr")
    response = hr.post(
        "/api/v1/assignments",
        json={
            "staff_member_id": member.id,
            "post_id": org.key_post.id,
            "site_id": org.centre.id,
            "window_id": org.w2.id,
            "started_on": "2026-03-01",
        },
    )
    assert response.status_code == 201, response.json
    rows = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.staff_member_id == member.id)
        .order_by(Assignment.started_on)
    ).all()
    assert [str(a.ended_on) for a in rows] == ["2026-02-28", "None"]
    clash = hr.post(
        "/api/v1/assignments",
        json={
            "staff_member_id": member.id,
            "post_id": org.post.id,
            "site_id": org.centre.id,
            "started_on": "2026-02-01",
        },
    )
    assert clash.status_code == 409 and clash.json["reason"]
    listing = hr.get(f"/api/v1/assignments?staff={member.id}&current=true").json
    assert [a["window_id"] for a in listing] == [org.w2.id]
    on_day = hr.get(f"/api/v1/assignments?staff={member.id}&on=2026-02-15").json
    assert [a["window_id"] for a in on_day] == [org.w1.id]


def test_leave_via_api_refuses_overlap_and_bad_order(client_for, org, make_staff):
    member = make_staff(site=org.centre)
    hr = client_for("hr")
    first = hr.post(
        "/api/v1/leave",
        json={
            "staff_member_id": member.id,
            "starts_on": "2026-04-01",
            "ends_on": "2026-04-03",
            "reason": "年休假",
        },
    )
    assert first.status_code == 201 and first.json["approved_by_id"] == hr.user.id
    overlap = hr.post(
        "/api/v1/leave",
        json={
            "staff_member_id": member.id,
            "starts_on": "2026-04-03",
            "ends_on": "2026-04-05",
            "reason": "病假",
        },
    )
    assert overlap.status_code == 409
    backwards = hr.post(
        "/api/v1/leave",
        json={
            "staff_member_id": member.id,
            "starts_on": "2026-05-03",
            "ends_on": "2026-05-01",
            "reason": "病假",
        },
    )
    assert backwards.status_code == 400 and "ends_on" in backwards.json["errors"]["json"]
    on_day = hr.get("/api/v1/leave?on=2026-04-02").json
    assert [leave["id"] for leave in on_day] == [first.json["id"]]
    assert hr.get("/api/v1/leave?on=2026-04-04").json == []


def test_sites_windows_posts_are_written_by_admins_only(client_for, org):
    hr = client_for("hr")
    assert hr.post("/api/v1/posts", json={"code": "HRX", "name": "不行"}).status_code == 403
    admin = client_for("admin")
    post = admin.post("/api/v1/posts", json={"code": "NEWP", "name": "新岗位", "is_key": True})
    assert post.status_code == 201 and post.json["is_key"] is True
    assert admin.get("/api/v1/posts?key=true").json[0]["is_key"] is True
    window = admin.post(
        "/api/v1/windows", json={"site_id": org.centre.id, "code": "A77", "name": "新窗口"}
    )
    assert window.status_code == 201
    dup = admin.post("/api/v1/windows", json={"site_id": org.centre.id, "code": "A77", "name": "x"})
    assert dup.status_code == 409
    cycle = admin.patch(f"/api/v1/sites/{org.centre.id}", json={"parent_id": org.hall.id})
    assert cycle.status_code == 400 and cycle.json["reason"]
    renamed = admin.patch(f"/api/v1/windows/{window.json['id']}", json={"name": "改名"})
    assert renamed.status_code == 200 and renamed.json["name"] == "改名"


def test_openapi_document_lists_the_org_paths(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in (
        "/api/v1/staff",
        "/api/v1/sites/{site_id}",
        "/api/v1/leave",
        "/api/v1/assignments",
    ):
        assert path in spec["paths"], path


@pytest.mark.parametrize(
    "role, expected",
    [
        ("admin", {"sites": 201, "windows": 201, "posts": 201, "staff": 201, "leave": 201}),
        ("hr", {"sites": 403, "windows": 403, "posts": 403, "staff": 201, "leave": 201}),
        ("discipline", {"sites": 403, "windows": 403, "posts": 403, "staff": 403, "leave": 403}),
        ("inspector", {"sites": 403, "windows": 403, "posts": 403, "staff": 403, "leave": 403}),
        ("staff", {"sites": 403, "windows": 403, "posts": 403, "staff": 403, "leave": 403}),
    ],
)
def test_write_access_matrix(client_for, org, make_staff, role, expected):
    member = make_staff(site=org.centre)
    bodies = {
        "sites": {"code": "M1", "name": "新驿站", "kind": "station", "parent_id": org.centre.id},
        "windows": {"site_id": org.centre.id, "code": "M01", "name": "新窗口"},
        "posts": {"code": "MP", "name": "新岗位"},
        "staff": {
            "staff_no": "M0001",
            "name": "新人",
            "hired_on": "2026-01-01",
            "site_id": org.centre.id,
        },
        "leave": {
            "staff_member_id": member.id,
            "starts_on": "2026-01-02",
            "ends_on": "2026-01-02",
            "reason": "事假",
        },
    }
    client = client_for(role)
    for resource, body in bodies.items():
        response = client.post(f"/api/v1/{resource}", json=body)
        assert response.status_code == expected[resource], (resource, response.json)
