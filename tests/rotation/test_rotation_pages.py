"""Rotation pages: who may see and do what, the board's colours, the planner and the plan
workflow through the browser."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from rotation_helpers import TODAY

from compliance.db import db
from rotation import services
from rotation.models import PostCheckPair, RotationExemption, RotationPlan, RotationPolicy

PAGES = [
    "/rotation/",
    "/rotation/policies",
    "/rotation/plans",
    "/rotation/exemptions",
    "/rotation/check-pairs",
]


@pytest.mark.parametrize(
    "role,expected",
    [("hr", 200), ("discipline", 200), ("admin", 200), ("inspector", 403), ("staff", 403)],
)
@pytest.mark.parametrize("path", PAGES)
def test_read_pages_access(client_for, scenario, role, expected, path):
    assert client_for(role).get(path).status_code == expected


@pytest.mark.parametrize(
    "role,expected",
    [("hr", 200), ("admin", 200), ("discipline", 403), ("inspector", 403), ("staff", 403)],
)
def test_planner_page_access(client_for, scenario, role, expected):
    assert client_for(role).get("/rotation/planner").status_code == expected


def test_signed_out_user_is_sent_to_login(client, scenario):
    response = client.get("/rotation/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_board_shows_overdue_in_red_and_due_soon_in_amber(client_for, scenario):
    c = client_for("hr")
    due_c = next(
        r.due_on for r in services.tenure_board(db.session, TODAY) if r.staff.id == scenario.c.id
    )
    html = c.get(f"/rotation/?on={(due_c - timedelta(days=30)).isoformat()}").get_data(as_text=True)
    assert 'data-status="overdue"' in html and 'class="red"' in html
    assert 'data-status="due_soon"' in html and 'class="amber"' in html
    assert "王伟" in html and "张敏" in html


def test_board_respects_site_scope(client_for, scenario):
    html = client_for("hr", sites=[scenario.wx]).get("/rotation/").get_data(as_text=True)
    assert "张敏" in html and "王伟" not in html


def test_only_admin_edits_policies(client_for, scenario):
    assert client_for("hr").get(f"/rotation/policies/{scenario.k1.id}").status_code == 403
    admin = client_for("admin")
    page = admin.get(f"/rotation/policies/{scenario.k1.id}")
    assert page.status_code == 200
    response = admin.post(
        f"/rotation/policies/{scenario.k1.id}",
        data={"max_tenure_months": "48", "min_interval_months": "12", "cooling_off_months": "24"},
    )
    assert response.status_code == 302
    row = db.session.scalar(
        sa.select(RotationPolicy).where(RotationPolicy.post_id == scenario.k1.id)
    )
    assert row.max_tenure_months == 48 and row.cooling_off_months == 24
    bad = admin.post(
        f"/rotation/policies/{scenario.k1.id}",
        data={"max_tenure_months": "0", "min_interval_months": "12", "cooling_off_months": "24"},
    )
    assert bad.status_code == 200 and 'class="error"' in bad.get_data(as_text=True)
    assert admin.get(f"/rotation/policies/{scenario.n1.id}").status_code == 404


def test_hr_records_check_pair_and_exemption(client_for, make_user, scenario):
    hr = client_for("hr")
    approver = make_user(roles=("discipline",))
    r = hr.post(
        "/rotation/check-pairs",
        data={"post_a": scenario.k1.id, "post_b": scenario.k2.id, "reason": "相互制约"},
    )
    assert r.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(PostCheckPair.id))) == 1
    dup = hr.post(
        "/rotation/check-pairs", data={"post_a": scenario.k2.id, "post_b": scenario.k1.id}
    )
    assert dup.status_code == 200 and 'class="error"' in dup.get_data(as_text=True)
    assert (
        client_for("discipline")
        .post("/rotation/check-pairs", data={"post_a": scenario.k1.id, "post_b": scenario.n1.id})
        .status_code
        == 403
    )
    r = hr.post(
        "/rotation/exemptions",
        data={
            "staff": scenario.a.id,
            "reason": "临近退休",
            "approver": approver.id,
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + timedelta(days=90)).isoformat(),
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    exemption = db.session.scalar(sa.select(RotationExemption))
    assert exemption.approved_by_id == approver.id
    missing = hr.post(
        "/rotation/exemptions",
        data={
            "staff": scenario.a.id,
            "reason": "",
            "approver": approver.id,
            "starts_on": TODAY.isoformat(),
            "ends_on": TODAY.isoformat(),
        },
    )
    assert missing.status_code == 200 and 'class="error"' in missing.get_data(as_text=True)


def test_planner_proposes_and_saves_a_draft(client_for, scenario):
    hr = client_for("hr")
    page = hr.post(
        "/rotation/planner",
        data={"planning_on": TODAY.isoformat(), "candidates": "", "action": "propose"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="proposal"' in html
    assert "王伟" in html and "李娜" in html
    unknown = hr.post(
        "/rotation/planner",
        data={"planning_on": TODAY.isoformat(), "candidates": "NOPE-1", "action": "propose"},
    )
    assert "NOPE-1" in unknown.get_data(as_text=True)
    saved = hr.post(
        "/rotation/planner",
        data={
            "planning_on": TODAY.isoformat(),
            "candidates": scenario.d.staff_no,
            "action": "save",
            "title": "六月轮岗",
        },
    )
    assert saved.status_code == 302
    plan = db.session.scalar(sa.select(RotationPlan))
    assert plan.title == "六月轮岗" and len(plan.moves) == 2


def test_planner_shows_the_blocking_rule_when_infeasible(client_for, scenario, hr, discipline):
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
    page = client_for("hr").post(
        "/rotation/planner", data={"planning_on": TODAY.isoformat(), "action": "propose"}
    )
    html = page.get_data(as_text=True)
    assert "王伟" in html and 'class="violations"' in html


def test_plan_pages_submit_approve_by_another_user(client_for, scenario, login, app):
    hr = client_for("hr")
    hr.post("/rotation/planner", data={"planning_on": TODAY.isoformat(), "action": "save"})
    plan = db.session.scalar(sa.select(RotationPlan))
    detail = hr.get(f"/rotation/plans/{plan.id}")
    assert detail.status_code == 200 and "seat_" in detail.get_data(as_text=True)
    # An edit that breaks the rules is refused and the plan is unchanged.
    move = plan.moves[0]
    r = hr.post(f"/rotation/plans/{plan.id}/edit", data={f"remove_{move.id}": "1"})
    assert r.status_code == 302
    assert len(db.session.get(RotationPlan, plan.id).moves) == 2
    assert hr.post(f"/rotation/plans/{plan.id}/submit").status_code == 302
    assert db.session.get(RotationPlan, plan.id).status == "submitted"
    # HR cannot decide; an inspector gets 403; discipline approves.
    assert hr.post(f"/rotation/plans/{plan.id}/approve", data={"note": ""}).status_code == 403
    assert client_for("inspector").get(f"/rotation/plans/{plan.id}").status_code == 403
    d = client_for("discipline")
    assert f"/rotation/plans/{plan.id}/approve" in d.get(f"/rotation/plans/{plan.id}").get_data(
        as_text=True
    )
    assert f"/rotation/plans/{plan.id}/approve" not in hr.get(
        f"/rotation/plans/{plan.id}"
    ).get_data(as_text=True)
    assert d.post(f"/rotation/plans/{plan.id}/approve", data={"note": "同意"}).status_code == 302
    plan = db.session.get(RotationPlan, plan.id)
    assert plan.status == "approved" and plan.decision_note == "同意"


def test_admin_who_authored_a_plan_cannot_approve_it(client_for, scenario):
    admin = client_for("admin", "hr")
    admin.post("/rotation/planner", data={"planning_on": TODAY.isoformat(), "action": "save"})
    plan = db.session.scalar(sa.select(RotationPlan))
    admin.post(f"/rotation/plans/{plan.id}/submit")
    admin.post(f"/rotation/plans/{plan.id}/approve", data={"note": ""})
    assert db.session.get(RotationPlan, plan.id).status == "submitted"


def test_plan_outside_scope_is_404(client_for, scenario, hr, make_site):
    plan = services.create_plan_from_proposal(db.session, hr, TODAY)
    db.session.commit()
    other = make_site(code="ROTHER")
    assert (
        client_for("discipline", sites=[other]).get(f"/rotation/plans/{plan.id}").status_code == 404
    )


def test_dashboard_panels(client_for, scenario, hr):
    html = client_for("hr").get("/dashboard").get_data(as_text=True)
    assert "王伟" in html
    plan = services.create_plan_from_proposal(db.session, hr, TODAY)
    services.submit_plan(db.session, hr, plan)
    db.session.commit()
    html = client_for("discipline").get("/dashboard").get_data(as_text=True)
    assert f"/rotation/plans/{plan.id}" in html


def test_executed_plan_page_offers_reversal_not_edit(app, client_for, scenario, hr, discipline):
    from compliance.scheduler import run_job

    plan = services.create_plan_from_proposal(db.session, hr, TODAY)
    services.submit_plan(db.session, hr, plan)
    services.approve_plan(db.session, discipline, plan)
    db.session.commit()
    run_job(app, "rotation.execute_moves", TODAY)
    c = client_for("hr")
    html = c.get(f"/rotation/plans/{plan.id}").get_data(as_text=True)
    assert "seat_" not in html and f"/rotation/plans/{plan.id}/reverse" in html
    assert c.post(f"/rotation/plans/{plan.id}/edit", data={}).status_code == 302
    assert db.session.get(RotationPlan, plan.id).status == "executed"
    r = c.post(f"/rotation/plans/{plan.id}/reverse", data={"effective_on": TODAY.isoformat()})
    assert r.status_code == 302
    reversal = db.session.scalar(sa.select(RotationPlan).where(RotationPlan.id != plan.id))
    assert reversal.status == "draft" and len(reversal.moves) == 2


def test_a_plan_cannot_start_in_the_past(client_for, scenario):
    hr = client_for("hr")
    past = (TODAY - timedelta(days=1)).isoformat()
    page = hr.post("/rotation/planner", data={"planning_on": past, "action": "save"})
    assert page.status_code == 200 and 'class="error"' in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(RotationPlan.id))) == 0
    api = hr.post("/api/v1/rotation/plans", json={"planning_on": past})
    assert api.status_code == 422
