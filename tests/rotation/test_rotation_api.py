"""The rotation JSON API: posts with tenure, proposals, plans and their workflow."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rotation_helpers import TODAY

from compliance.db import db
from rotation.models import RotationPlan


def test_posts_list_tenure_and_due_dates(client_for, scenario):
    data = client_for("discipline").get(f"/api/v1/rotation/posts?on={TODAY.isoformat()}").get_json()
    by_staff = {row["staff_member_id"]: row for row in data}
    assert by_staff[scenario.a.id]["status"] == "overdue"
    assert by_staff[scenario.c.id]["status"] == "ok"
    assert by_staff[scenario.a.id]["tenure_months"] >= 47
    assert by_staff[scenario.a.id]["due_on"]
    overdue = client_for("hr").get(f"/api/v1/rotation/posts?on={TODAY}&status=overdue").get_json()
    assert {r["staff_member_id"] for r in overdue} == {scenario.a.id, scenario.b.id}


@pytest.mark.parametrize("role,expected", [("inspector", 403), ("staff", 403), ("hr", 200)])
def test_posts_access(client_for, scenario, role, expected):
    assert client_for(role).get("/api/v1/rotation/posts").status_code == expected


def test_proposal_and_plan_workflow(client_for, scenario):
    hr = client_for("hr")
    r = hr.post(
        "/api/v1/rotation/proposals",
        json={"planning_on": TODAY.isoformat(), "candidate_ids": [scenario.d.id]},
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["feasible"] is True and body["plan_id"] is None
    assert {m["staff_member_id"] for m in body["moves"]} == {scenario.a.id, scenario.b.id}
    r = hr.post(
        "/api/v1/rotation/proposals", json={"planning_on": TODAY.isoformat(), "create_plan": True}
    )
    plan_id = r.get_json()["plan_id"]
    assert plan_id
    plan = hr.get(f"/api/v1/rotation/plans/{plan_id}").get_json()
    assert plan["status"] == "draft" and len(plan["moves"]) == 2
    # An edit that drops a due person is refused with the rule.
    first = plan["moves"][0]
    r = hr.put(
        f"/api/v1/rotation/plans/{plan_id}/moves",
        json={
            "moves": [
                {
                    "staff_member_id": first["staff_member_id"],
                    "seat_assignment_id": first["seat_assignment_id"],
                    "effective_on": TODAY.isoformat(),
                }
            ]
        },
    )
    assert r.status_code == 409
    assert {v["rule"] for v in r.get_json()["errors"]["violations"]} >= {"tenure"}
    assert hr.post(f"/api/v1/rotation/plans/{plan_id}/submit").status_code == 200
    assert hr.post(f"/api/v1/rotation/plans/{plan_id}/approve", json={}).status_code == 403
    d = client_for("discipline")
    r = d.post(f"/api/v1/rotation/plans/{plan_id}/approve", json={"note": "同意"})
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    r = d.post(f"/api/v1/rotation/plans/{plan_id}/approve", json={})
    assert r.status_code == 409 and r.get_json()["reason"]
    listed = d.get("/api/v1/rotation/plans?status=approved").get_json()
    assert [p["id"] for p in listed] == [plan_id]


def test_infeasible_proposal_names_person_and_rule(client_for, scenario, hr, discipline):
    from datetime import timedelta

    from rotation import services

    services.create_exemption(
        db.session,
        hr,
        scenario.b,
        reason="病休",
        approver=discipline,
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=30),
    )
    db.session.commit()
    body = (
        client_for("hr")
        .post("/api/v1/rotation/proposals", json={"planning_on": TODAY.isoformat()})
        .get_json()
    )
    assert body["feasible"] is False
    assert any("王伟" in v["message"] for v in body["violations"])
    assert all(v["rule"] for v in body["violations"])


def test_bad_input_is_422_not_500(client_for, scenario):
    hr = client_for("hr")
    assert hr.post("/api/v1/rotation/proposals", json={"planning_on": "nope"}).status_code == 422
    assert (
        hr.post(
            "/api/v1/rotation/proposals",
            json={"planning_on": TODAY.isoformat(), "candidate_ids": [999999]},
        ).status_code
        == 422
    )
    assert hr.get("/api/v1/rotation/plans/999999").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(RotationPlan.id))) == 0


def test_discipline_cannot_request_a_proposal(client_for, scenario):
    r = client_for("discipline").post(
        "/api/v1/rotation/proposals", json={"planning_on": TODAY.isoformat()}
    )
    assert r.status_code == 403


def test_create_plan_and_reversal_through_the_api(app, client_for, scenario):
    from compliance.scheduler import run_job

    hr = client_for("hr")
    r = hr.post("/api/v1/rotation/plans", json={"planning_on": TODAY.isoformat(), "title": "API"})
    assert r.status_code == 201, r.get_json()
    plan_id = r.get_json()["id"]
    assert (
        hr.post(
            f"/api/v1/rotation/plans/{plan_id}/reversal", json={"effective_on": TODAY.isoformat()}
        ).status_code
        == 409
    )
    hr.post(f"/api/v1/rotation/plans/{plan_id}/submit")
    client_for("discipline").post(f"/api/v1/rotation/plans/{plan_id}/approve", json={})
    run_job(app, "rotation.execute_moves", TODAY)
    r = hr.post(
        f"/api/v1/rotation/plans/{plan_id}/reversal", json={"effective_on": TODAY.isoformat()}
    )
    assert r.status_code == 201 and r.get_json()["status"] == "draft"
    assert {m["reason"] for m in r.get_json()["moves"]} == {f"reversal:{plan_id}"}


def test_openapi_documents_the_rotation_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = set(spec["paths"])
    assert {
        "/api/v1/rotation/posts",
        "/api/v1/rotation/proposals",
        "/api/v1/rotation/plans",
        "/api/v1/rotation/plans/{plan_id}/submit",
        "/api/v1/rotation/plans/{plan_id}/approve",
    } <= paths
    assert "RotationPlan" in spec["components"]["schemas"]


def test_refused_plan_actions_answer_with_a_stable_code(client_for, scenario):
    hr = client_for("hr")
    r = hr.post("/api/v1/rotation/plans", json={"planning_on": TODAY.isoformat()})
    plan = r.get_json()
    first = plan["moves"][0]
    r = hr.put(
        f"/api/v1/rotation/plans/{plan['id']}/moves",
        json={
            "moves": [
                {
                    "staff_member_id": first["staff_member_id"],
                    "seat_assignment_id": first["seat_assignment_id"],
                    "effective_on": TODAY.isoformat(),
                }
            ]
        },
    )
    body = r.get_json()
    assert r.status_code == 409 and body["status"] == 409
    assert body["code"] == "rotation.rules_broken" and body["reason"]
    assert all(v["rule"] and v["message"] for v in body["errors"]["violations"])
    # The refused edit changed nothing.
    assert len(hr.get(f"/api/v1/rotation/plans/{plan['id']}").get_json()["moves"]) == 2
    r = hr.post(
        f"/api/v1/rotation/plans/{plan['id']}/reversal", json={"effective_on": TODAY.isoformat()}
    )
    assert r.status_code == 409 and r.get_json()["code"] == "rotation.plan_not_executed"
