"""Integrity cases (问题线索): a patrol failure on D07 (吃拿卡要) is a confidential lead for the
discipline office, not a rectification. Only the site's discipline officers and administrators
see it (everyone else gets 404, on pages and the API), the inspector sees "已移交纪检", nobody
closes it on the spot, and the accused sees nothing until the conclusion is told to them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.audit_scope import scope_clause
from compliance.db import db
from compliance.domain import ConflictError, ForbiddenError, NotFoundError
from compliance.ledgers.registry import ledgers_for, parse_filters
from compliance.models import AuditEvent, UserRole
from compliance.notifications.models import Notification
from compliance.timeutil import local_today
from inspections import public
from inspections.integrity import services as cases
from inspections.integrity.models import IntegrityCase
from inspections.models import CheckItem, Finding
from inspections.rectification.models import Rectification
from inspections.rectification.services import fix_finding_on_spot
from inspections.services import Target, record_failure, start_round, submit_round
from tests.inspections.integrity_scene import build_scene, case_for, patrol_d07


@pytest.fixture
def scene(app, catalogue, make_site, make_window, make_staff, make_user):
    return build_scene(make_site, make_window, make_staff, make_user)


def _notices(user) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def test_a_d07_failure_opens_a_case_for_the_sites_discipline_officers_and_no_rectification(
    app, scene
):
    finding = patrol_d07(app, scene)
    assert finding.is_integrity
    assert db.session.scalar(sa.select(sa.func.count(Rectification.id))) == 0
    case = case_for(finding)
    assert case.status == "registered" and case.accused_staff_id == scene.accused.id
    assert case.officer_id is None  # the accused is never the one responsible
    # The site's discipline officers are told at once, in the app, with an "integrity." kind.
    for name in ("officer", "officer2"):
        notices = _notices(scene.users[name])
        assert [n.kind for n in notices] == ["integrity.registered"]
        assert notices[0].link == f"/integrity/cases/{case.id}"
        # In the app only: no e-mail copy, even for an officer who has an address.
        assert notices[0].email_status == "skipped"
    # Nobody else: not the accused, the inspector, HR, the centre head, another site's officer.
    for name in ("accused", "inspector", "hr", "leader", "other_officer"):
        assert _notices(scene.users[name]) == [], name


@pytest.mark.parametrize("who", ["inspector", "hr", "accused", "leader", "other_officer"])
def test_everyone_but_the_sites_discipline_officers_and_admins_gets_404_for_the_case(
    app, scene, who
):
    case = case_for(patrol_d07(app, scene))
    client = scene.client(app, who)
    for url in (
        f"/integrity/cases/{case.id}",
        f"/api/v1/integrity/cases/{case.id}",
    ):
        response = client.get(url)
        assert response.status_code == 404, (who, url, response.status_code)
        assert case.title not in response.get_data(as_text=True)
    for url, data in (
        (f"/integrity/cases/{case.id}/close", {"version": case.version}),
        (f"/integrity/cases/{case.id}/assign", {"version": case.version}),
    ):
        assert client.post(url, data=data).status_code == 404, (who, url)
    assert (
        client.post(f"/api/v1/integrity/cases/{case.id}/close", json={"version": 1}).status_code
        == 404
    )
    # The case list is for discipline officers and administrators only.
    assert client.get("/integrity/cases").status_code in (403, 200)
    if client.get("/integrity/cases").status_code == 200:  # another site's officer
        assert case.title not in client.get("/integrity/cases").get_data(as_text=True)
    listed = client.get("/api/v1/integrity/cases")
    assert listed.status_code == 403 or case.id not in [c["id"] for c in listed.json]


@pytest.mark.parametrize("who", ["officer", "officer2", "admin"])
def test_the_sites_discipline_officers_and_admins_see_the_case(app, scene, who):
    case = case_for(patrol_d07(app, scene))
    client = scene.client(app, who)
    page = client.get(f"/integrity/cases/{case.id}")
    assert page.status_code == 200 and "收受办事群众购物卡" in page.get_data(as_text=True)
    assert client.get(f"/api/v1/integrity/cases/{case.id}").json["number"] == case.number
    assert case.number in client.get("/integrity/cases").get_data(as_text=True)


def test_the_inspector_sees_it_went_to_the_discipline_office_and_cannot_close_it_on_the_spot(
    app, scene
):
    finding = patrol_d07(app, scene)
    inspector = scene.client(app, "inspector")
    page = inspector.get(f"/findings/{finding.id}").get_data(as_text=True)
    assert "已移交纪检" in page
    assert "/integrity/cases/" not in page  # no way into the case
    assert "fix-on-spot" not in page
    # There is no rectification to fix on the spot, and the service refuses to make one.
    assert inspector.get(f"/rectifications/finding/{finding.id}").status_code == 404
    with pytest.raises(ConflictError) as refused:
        fix_finding_on_spot(db.session, scene.users["inspector"], finding, "已退还礼品", [])
    assert refused.value.code == "rectification.integrity_finding"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Rectification.id))) == 0
    # Nor can the inspector close the case itself.
    case = case_for(finding)
    with pytest.raises(NotFoundError):
        cases.close(db.session, scene.users["inspector"], case, "已退还礼品")
    db.session.rollback()
    assert db.session.get(IntegrityCase, case.id).status == "registered"


def test_the_accused_sees_nothing_of_the_finding(app, scene):
    finding = patrol_d07(app, scene)
    accused = scene.client(app, "accused")
    assert accused.get(f"/findings/{finding.id}").status_code == 404
    assert finding.description not in accused.get("/findings").get_data(as_text=True)
    assert accused.get(f"/api/v1/findings/{finding.id}").status_code == 404
    assert accused.get("/api/v1/findings").json == []
    assert finding.description not in accused.get("/dashboard").get_data(as_text=True)
    assert _notices(scene.users["accused"]) == []
    # Nor is it a step of the repeat-offence ladder.
    assert "findings about you" not in accused.get("/rectifications/mine").get_data(as_text=True)


def test_the_case_goes_from_registered_to_closed_with_a_second_approver(app, scene):
    case = case_for(patrol_d07(app, scene))
    officer = scene.client(app, "officer")
    officer2 = scene.client(app, "officer2")

    def post(client, action, **data):
        current = db.session.get(IntegrityCase, case.id)
        return client.post(
            f"/integrity/cases/{case.id}/{action}", data={"version": current.version, **data}
        )

    r = post(officer, "assign", officer=scene.users["officer"].id, working_days=5, note="")
    assert r.status_code == 302
    assigned = db.session.get(IntegrityCase, case.id)
    assert assigned.status == "assigned" and assigned.deadline_on > local_today()
    # Work is recorded by the assigned officer: an interview and a note.
    held = (local_today() - timedelta(days=0)).isoformat()
    r = post(
        officer,
        "entries",
        kind="interview",
        text="当事人承认收下购物卡",
        interviewee="钱七",
        held_on=held,
    )
    assert r.status_code == 302
    assert post(officer, "entries", kind="interview", text="缺谈话对象").status_code == 422
    assert post(officer2, "entries", kind="note", text="不是承办人").status_code == 403
    assert post(officer, "verify", summary="查明收受购物卡一张，价值500元").status_code == 302
    assert (
        post(officer, "conclusion", conclusion="substantiated", reason="收受财物属实").status_code
        == 302
    )
    # The proposer cannot approve their own conclusion; the accused is still told nothing.
    r = post(officer, "approve", decision="approve", note="")
    assert r.status_code == 403
    assert db.session.get(IntegrityCase, case.id).status == "verified"
    assert _notices(scene.users["accused"]) == []
    assert post(officer2, "approve", decision="approve", note="同意").status_code == 302
    concluded = db.session.get(IntegrityCase, case.id)
    assert (
        concluded.status == "concluded" and concluded.approved_by_id == scene.users["officer2"].id
    )
    # Closing before the measure is refused.
    assert post(officer, "close", note="").status_code == 409
    r = post(
        officer, "handling", measure="admonishment", measure_on=local_today().isoformat(), note=""
    )
    assert r.status_code == 302
    accused = scene.client(app, "accused")
    assert accused.get(f"/integrity/notices/{case.id}").status_code == 404  # not told yet
    assert post(officer, "notify").status_code == 302
    notice = [n for n in _notices(scene.users["accused"]) if n.kind == "integrity.conclusion"]
    assert len(notice) == 1 and notice[0].link == f"/integrity/notices/{case.id}"
    page = accused.get(f"/integrity/notices/{case.id}").get_data(as_text=True)
    assert "属实" in page and "诫勉谈话" in page
    assert "购物卡" not in page  # the conclusion, never the evidence
    assert accused.get(f"/integrity/cases/{case.id}").status_code == 404
    assert post(officer, "close", note="归档").status_code == 302
    closed = db.session.get(IntegrityCase, case.id)
    assert closed.status == "closed" and closed.closed_by_id == scene.users["officer"].id
    kinds = [e.kind for e in closed.events]
    assert kinds == [
        "registered",
        "assigned",
        "interview",
        "verified",
        "conclusion_proposed",
        "conclusion_approved",
        "handled",
        "accused_notified",
        "closed",
    ]
    # Every notice a case sent stays in the app with an "integrity." kind.
    kinds = set(db.session.scalars(sa.select(Notification.kind)))
    assert kinds and all(k.startswith("integrity.") for k in kinds)
    # The assessment reads the substantiated conclusion.
    rows = public.integrity_conclusions(db.session, local_today(), local_today())
    assert [(r.case_id, r.staff_member_id, r.conclusion, r.check_item_code) for r in rows] == [
        (case.id, scene.accused.id, "substantiated", "D07")
    ]
    assert rows[0].points == 5 and rows[0].measure == "admonishment"


def test_an_unsubstantiated_case_closes_without_a_measure_and_is_not_read_by_the_assessment(
    app, scene
):
    case = case_for(patrol_d07(app, scene))
    officer, admin = scene.users["officer"], scene.users["admin"]
    cases.assign(db.session, officer, case, officer.id, 3)
    cases.record_verification(db.session, officer, case, "经查，系群众误会")
    cases.propose_conclusion(db.session, officer, case, "unsubstantiated", "无证据")
    cases.approve_conclusion(db.session, admin, case)
    with pytest.raises(ConflictError):
        cases.record_handling(db.session, officer, case, "criticism", local_today())
    cases.close(db.session, officer, case, "澄清")
    assert case.status == "closed"
    assert public.integrity_conclusions(db.session, local_today(), local_today()) == []


def test_a_returned_conclusion_can_be_proposed_again(app, scene):
    case = case_for(patrol_d07(app, scene))
    officer, officer2 = scene.users["officer"], scene.users["officer2"]
    cases.assign(db.session, officer, case, officer.id, 3)
    cases.record_verification(db.session, officer, case, "初核完成")
    cases.propose_conclusion(db.session, officer, case, "partly_substantiated", "部分属实")
    with pytest.raises(ForbiddenError):
        cases.approve_conclusion(db.session, officer, case)
    cases.return_conclusion(db.session, officer2, case, "证据不足，请补充")
    assert case.status == "verified" and case.conclusion is None
    returned = [n for n in _notices(officer) if n.kind == "integrity.conclusion_returned"]
    assert len(returned) == 1
    cases.propose_conclusion(db.session, officer, case, "substantiated", "补充证据后属实")
    cases.approve_conclusion(db.session, officer2, case)
    assert case.status == "concluded" and case.conclusion == "substantiated"


def test_a_discipline_officer_named_in_a_lead_does_not_see_it(
    app, catalogue, make_site, make_window, make_staff, make_user
):
    scene = build_scene(make_site, make_window, make_staff, make_user)
    # The accused is also a discipline officer of the site.
    db.session.add(UserRole(user_id=scene.users["accused"].id, role="discipline"))
    db.session.commit()
    db.session.expire_all()
    case = case_for(patrol_d07(app, scene))
    client = scene.client(app, "accused")
    assert client.get(f"/integrity/cases/{case.id}").status_code == 404
    assert case.number not in client.get("/integrity/cases").get_data(as_text=True)
    assert [n.kind for n in _notices(scene.users["accused"])] == []


def test_integrity_audit_events_are_read_only_by_discipline_officers_and_admins(app, scene):
    case = case_for(patrol_d07(app, scene))
    officer = scene.users["officer"]
    cases.assign(db.session, officer, case, officer.id, 3)
    db.session.commit()

    def visible(user) -> int:
        return db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.entity_type == "IntegrityCase", scope_clause(user)
            )
        )

    assert visible(officer) == 2  # registered, assigned
    assert visible(scene.users["admin"]) == 2
    assert visible(scene.users["other_officer"]) == 0  # another site
    # The inspector caused the registration, yet never reads it; nor does anyone else.
    for name in ("inspector", "hr", "leader", "accused"):
        assert visible(scene.users[name]) == 0, name
    assert visible(None) == 2  # a system export
    # The trail's pages follow the same rule.
    client = scene.client(app, "other_officer")
    event_id = db.session.scalar(
        sa.select(AuditEvent.id).where(AuditEvent.entity_type == "IntegrityCase").limit(1)
    )
    assert client.get(f"/audit/{event_id}").status_code == 404
    assert scene.client(app, "officer").get(f"/audit/{event_id}").status_code == 200


def test_the_case_ledger_is_for_discipline_officers_and_admins_only(app, scene):
    case = case_for(patrol_d07(app, scene))
    ledger = next(x for x in ledgers_for(scene.users["officer"]) if x.code == "integrity_cases")
    for name in ("inspector", "hr", "leader", "accused"):
        assert "integrity_cases" not in [x.code for x in ledgers_for(scene.users[name])], name
    today = local_today().isoformat()
    filters = parse_filters(
        db.session, scene.users["officer"], ledger, {"from": today, "to": today}
    )
    rows = list(ledger.rows(db.session, scene.users["officer"], filters))
    assert [r[1] for r in rows] == [case.number] and rows[0][6].startswith("钱七")
    other = parse_filters(
        db.session, scene.users["other_officer"], ledger, {"from": today, "to": today}
    )
    assert list(ledger.rows(db.session, scene.users["other_officer"], other)) == []
    # Exported from the reports page by an officer (a workbook); refused to the inspector.
    officer = scene.client(app, "officer")
    response = officer.post("/reports/integrity_cases/export", data={"from": today, "to": today})
    assert response.status_code == 200 and response.data[:2] == b"PK"
    inspector = scene.client(app, "inspector")
    refused = inspector.post("/reports/integrity_cases/export", data={"from": today, "to": today})
    assert refused.status_code == 403


def test_overdue_cases_are_reminded_and_escalated_once_per_date(app, scene):
    case = case_for(patrol_d07(app, scene))
    officer = scene.users["officer"]
    monday = local_today() - timedelta(days=local_today().weekday())  # this week's Monday
    cases.assign(db.session, officer, case, officer.id, 1, today=monday - timedelta(days=7))
    deadline = case.deadline_on
    # The day before the deadline: a reminder to the officer.
    counts = cases.escalate(db.session, deadline - timedelta(days=1))
    assert counts["reminded"] == 1
    # Four days late: an overdue notice, and escalation to the site's administrators.
    late = deadline + timedelta(days=4)
    first = cases.escalate(db.session, late)
    assert first["overdue"] == 1 and first["escalated"] == 1
    assert [n.kind for n in _notices(scene.users["admin"])] == ["integrity.escalated"]
    again = cases.escalate(db.session, late)
    assert again == {"unassigned": 0, "reminded": 0, "overdue": 0, "escalated": 0, "notices": 0}
    kinds = [n.kind for n in _notices(officer)]
    assert kinds.count("integrity.overdue") == 1 and kinds.count("integrity.reminder") == 1
    assert all(n.kind.startswith("integrity.") for n in db.session.scalars(sa.select(Notification)))


def test_an_unassigned_lead_is_brought_to_the_officers_every_working_day(app, scene):
    case = case_for(patrol_d07(app, scene))
    day = case.registered_on + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    assert cases.escalate(db.session, day)["unassigned"] == 1
    assert cases.escalate(db.session, day)["unassigned"] == 0
    kinds = [n.kind for n in _notices(scene.users["officer"])]
    assert kinds == ["integrity.registered", "integrity.unassigned"]


def test_an_admin_marks_a_check_item_as_integrity_in_the_catalogue(app, scene):
    admin = scene.client(app, "admin")
    item = db.session.scalars(sa.select(CheckItem).where(CheckItem.code == "D05")).one()
    version = item.current_version
    r = admin.post(
        f"/catalogue/{item.id}/edit",
        data={
            "code": item.code,
            "category": item.category,
            "target": item.target,
            "text_zh": version.text_zh,
            "text_en": version.text_en,
            "severity": version.severity,
            "points": version.points,
            "photo_required": "",
            "is_integrity": "y",
            "sort_order": item.sort_order,
            "is_active": "y",
        },
    )
    assert r.status_code == 302
    assert db.session.get(CheckItem, item.id).is_integrity
    assert "廉政事项" in admin.get("/catalogue").get_data(as_text=True)
    inspection = start_round(db.session, scene.users["inspector"], scene.site)
    record_failure(
        db.session,
        scene.users["inspector"],
        inspection,
        target=Target("staff", scene.colleague.id),
        item_code="D05",
        reason="收受好处",
    )
    findings = submit_round(db.session, scene.users["inspector"], inspection, require_photos=False)
    assert [f.is_integrity for f in findings] == [True]
    assert db.session.scalar(sa.select(sa.func.count(Rectification.id))) == 0
    assert case_for(findings[0]).accused_staff_id == scene.colleague.id
    assert db.session.scalar(sa.select(sa.func.count(Finding.id))) == 1
