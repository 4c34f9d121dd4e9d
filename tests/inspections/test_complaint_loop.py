"""The complaint loop: a complaint about a staff member, a window or a site is verified by a
deadline in working days (with reminders), concluded (upheld opens a rectification, or an
integrity case for an integrity category), and closes only after a callback to the citizen."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db, utcnow
from compliance.domain import ConflictError, DomainError, InvalidError
from compliance.models import AuditEvent
from compliance.notifications.models import Notification
from compliance.timeutil import local_today
from inspections import public
from inspections.complaints import services as svc
from inspections.complaints.models import ComplaintCategory, ConductRecord
from inspections.integrity.models import IntegrityCase
from inspections.integrity.services import default_working_days
from inspections.rectification.models import AreaKeeper, Rectification
from inspections.rectification.services import add_working_days, offence_counts
from inspections.services import Target, record_failure, start_round, submit_round

FRIDAY = date(2026, 11, 27)


@pytest.fixture
def hall(app, catalogue, make_site, make_window, make_staff, make_user):
    site = make_site()
    window = make_window(site=site, code="A03", name="社保")
    clerk = make_staff(site=site, window=window, name="李四")
    keeper = make_staff(site=site, name="王五")
    svc.load_standard_categories(db.session, None)
    db.session.commit()
    return {
        "site": site,
        "window": window,
        "clerk": clerk,
        "keeper": keeper,
        "hr": make_user(roles=("hr",), sites=[site]),
        "officer": make_user(roles=("discipline",), sites=[site]),
        "admin": make_user(roles=("admin",), sites=[site]),
        "clerk_user": make_user(roles=("staff",), sites=[site], staff_member=clerk),
    }


def _category(code: str) -> ComplaintCategory:
    return db.session.scalars(
        sa.select(ComplaintCategory).where(ComplaintCategory.code == code)
    ).one()


def _client(app, login, user):
    return login(app.test_client(), user)


def _version(row) -> int:
    return db.session.get(ConductRecord, row.id).version


def test_a_complaint_about_a_window_goes_from_intake_to_closed(app, hall, login):
    hr = _client(app, login, hall["hr"])
    r = hr.post(
        "/complaints/new",
        data={
            "kind": "complaint",
            "source": "rating",
            "subject": "window",
            "window": hall["window"].id,
            "received_on": local_today().isoformat(),
            "text": "差评：社保窗口中午无人",
            "severity": "major",
            "complainant_name": "张先生",
            "complainant_phone": "13900005678",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    row = db.session.scalars(sa.select(ConductRecord)).one()
    assert (row.subject, row.staff_member_id, row.window_id) == ("window", None, hall["window"].id)
    assert row.status == "verifying"
    assert row.verify_due_on == add_working_days(db.session, local_today(), 5)
    # The site's discipline officer hears of it.
    assert db.session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == hall["officer"].id)
    ).all() == ["complaint.received"]

    officer = _client(app, login, hall["officer"])
    base = f"/complaints/{row.id}"
    r = officer.post(
        f"{base}/handler", data={"handler": hall["officer"].id, "version": _version(row)}
    )
    assert r.status_code == 302
    item_id = _category("LG").check_item_id
    r = officer.post(
        f"{base}/verification",
        data={
            "note": "调取排班表：当日午间 A 角休假，B 角未到岗",
            "category": _category("LG").id,
            "check_item": 0,
            "version": _version(row),
        },
    )
    assert r.status_code == 302
    assert db.session.get(ConductRecord, row.id).check_item_id == item_id
    # Not concluded yet: closing is refused.
    r = officer.post(f"{base}/close", data={"note": "", "version": _version(row)})
    assert r.status_code == 409
    r = officer.post(
        f"{base}/conclusion",
        data={
            "outcome": "upheld",
            "severity": "major",
            "reason": "排班表与录像证实午间空岗",
            "version": _version(row),
        },
    )
    assert r.status_code == 302
    rect = db.session.scalars(
        sa.select(Rectification).where(Rectification.complaint_id == row.id)
    ).one()
    # The window's current assignee answers for the window.
    assert rect.window_id == hall["window"].id and rect.responsible_staff_id == hall["clerk"].id
    assert rect.category == "attendance"  # the check item's category
    # Upheld, but the citizen has not been called back: closing is refused, with the reason.
    r = officer.post(f"{base}/close", data={"note": "", "version": _version(row)})
    assert r.status_code == 400
    assert "回访" in r.get_data(as_text=True)
    assert db.session.get(ConductRecord, row.id).status == "concluded"
    called = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    r = hr.post(
        f"{base}/callbacks",
        data={"called_at": called, "method": "phone", "reached": "yes", "satisfied": "yes"},
    )
    assert r.status_code == 302
    r = officer.post(f"{base}/close", data={"note": "回访满意", "version": _version(row)})
    assert r.status_code == 302
    closed = db.session.get(ConductRecord, row.id)
    assert closed.status == "closed" and closed.closed_by_id == hall["officer"].id
    assert "满意" in officer.get(base).get_data(as_text=True)
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.entity_type == "ConductRecord", AuditEvent.entity_id == str(row.id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "conduct.complaint.create",
        "conduct.complaint.assign",
        "conduct.complaint.verify",
        "conduct.complaint.decide",
        "conduct.complaint.callback",
        "conduct.complaint.close",
    ]


def _concluded(hall, **kw) -> ConductRecord:
    row = svc.record_conduct(
        db.session,
        hall["officer"],
        kind="complaint",
        source="hotline",
        staff_member_id=hall["clerk"].id,
        received_on=local_today(),
        text="12345：未一次性告知",
        **kw,
    )
    svc.conclude(db.session, hall["officer"], row, upheld=False, reason="经核实不属实")
    return row


def test_a_complaint_cannot_close_without_a_callback(app, hall, login):
    row = _concluded(hall)
    with pytest.raises(DomainError) as refused:
        svc.close_complaint(db.session, hall["officer"], row)
    assert refused.value.code == "conduct.callback_required"
    db.session.commit()
    api = _client(app, login, hall["officer"])
    r = api.post(f"/api/v1/complaints/{row.id}/close", json={"version": row.version})
    assert r.status_code == 400 and r.json["code"] == "conduct.callback_required"
    assert db.session.get(ConductRecord, row.id).status == "concluded"


def test_an_unreachable_citizen_lets_it_close_after_the_configured_attempts(app, hall):
    row = _concluded(hall)
    now = utcnow() - timedelta(minutes=5)
    for _attempt in range(2):
        svc.record_callback(
            db.session,
            hall["hr"],
            row,
            called_at=now,
            method="phone",
            reached=False,
            satisfied=None,
        )
        with pytest.raises(DomainError):
            svc.close_complaint(db.session, hall["officer"], row)
    svc.record_callback(
        db.session, hall["hr"], row, called_at=now, method="sms", reached=False, satisfied=None
    )
    svc.close_complaint(db.session, hall["officer"], row, "三次联系未果，按无法联系办结")
    assert row.status == "closed"


def test_a_callback_comes_after_the_conclusion_and_says_whether_the_citizen_is_satisfied(app, hall):
    row = svc.record_conduct(
        db.session,
        hall["hr"],
        kind="complaint",
        source="letter",
        subject="site",
        site_id=hall["site"].id,
        received_on=local_today(),
        text="来信：大厅太吵",
    )
    now = utcnow() - timedelta(minutes=1)
    with pytest.raises(ConflictError):
        svc.record_callback(
            db.session, hall["hr"], row, called_at=now, method="phone", reached=True, satisfied=True
        )
    svc.conclude(db.session, hall["officer"], row, upheld=False, reason="未发现")
    with pytest.raises(InvalidError) as missing:
        svc.record_callback(
            db.session, hall["hr"], row, called_at=now, method="phone", reached=True, satisfied=None
        )
    assert missing.value.field == "satisfied"
    with pytest.raises(InvalidError):
        svc.record_callback(
            db.session,
            hall["hr"],
            row,
            called_at=utcnow() + timedelta(days=1),
            method="phone",
            reached=False,
            satisfied=None,
        )


def test_verification_has_a_deadline_in_working_days_and_reminders_once_per_date(app, hall):
    row = svc.record_conduct(
        db.session,
        hall["hr"],
        kind="complaint",
        source="hotline",
        staff_member_id=hall["clerk"].id,
        received_on=FRIDAY,
        text="12345：办理超时",
        handler_id=hall["officer"].id,
        today=FRIDAY,
    )
    assert row.verify_due_on == date(2026, 12, 4)  # five working days after a Friday
    assert svc.remind(db.session, date(2026, 12, 3))["reminded"] == 1
    assert svc.remind(db.session, date(2026, 12, 3))["reminded"] == 0
    late = svc.remind(db.session, date(2026, 12, 7))
    assert late["overdue"] == 1
    assert svc.remind(db.session, date(2026, 12, 7))["overdue"] == 0
    kinds = db.session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == hall["officer"].id)
    ).all()
    assert kinds == ["complaint.received", "complaint.reminder", "complaint.overdue"]
    svc.conclude(db.session, hall["officer"], row, upheld=False, reason="不属实")
    assert svc.remind(db.session, date(2026, 12, 8))["overdue"] == 0


def test_an_upheld_integrity_complaint_becomes_a_case_and_is_the_discipline_offices(
    app, hall, login
):
    hr = _client(app, login, hall["hr"])
    r = hr.post(
        "/complaints/new",
        data={
            "kind": "complaint",
            "source": "letter",
            "subject": "staff",
            "staff_member": hall["clerk"].id,
            "category": _category("SZSF").id,
            "received_on": local_today().isoformat(),
            "text": "来信：被额外收取加急费200元",
            "severity": "critical",
        },
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("/complaints")
    row = db.session.scalars(sa.select(ConductRecord)).one()
    assert row.is_integrity and row.check_item_id == _category("SZSF").check_item_id
    # HR recorded it, but it is confidential now; the accused never sees complaints.
    assert hr.get(f"/complaints/{row.id}").status_code == 404
    assert "加急费" not in hr.get("/complaints").get_data(as_text=True)
    assert hr.get(f"/api/v1/complaints/{row.id}").status_code == 404
    officer = _client(app, login, hall["officer"])
    assert "加急费" in officer.get(f"/complaints/{row.id}").get_data(as_text=True)
    r = officer.post(
        f"/complaints/{row.id}/conclusion",
        data={
            "outcome": "upheld",
            "severity": "critical",
            "reason": "初核属实",
            "version": row.version,
        },
    )
    assert r.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Rectification.id))) == 0
    case = db.session.scalars(sa.select(IntegrityCase)).one()
    assert case.source == "complaint" and case.accused_staff_id == hall["clerk"].id
    assert case.check_item.code == "D08"
    assert f"/integrity/cases/{case.id}" in officer.get(f"/complaints/{row.id}").get_data(
        as_text=True
    )
    kinds = set(db.session.scalars(sa.select(Notification.kind)))
    assert kinds and all(k.startswith("integrity.") for k in kinds)
    assert not db.session.scalars(
        sa.select(Notification).where(Notification.user_id == hall["clerk_user"].id)
    ).all()
    # Not counted as an upheld complaint for the assessment (it is read as a case).
    assert public.upheld_complaints(db.session, local_today(), local_today()) == []


def test_a_complaint_about_the_site_goes_to_its_area_keeper(app, hall):
    db.session.add(AreaKeeper(site_id=hall["site"].id, keeper_staff_id=hall["keeper"].id))
    db.session.commit()
    row = svc.record_conduct(
        db.session,
        hall["hr"],
        kind="complaint",
        source="walk_in",
        subject="site",
        site_id=hall["site"].id,
        received_on=local_today(),
        text="卫生间无纸巾",
        category_id=_category("HJWS").id,
    )
    rect = svc.conclude(db.session, hall["officer"], row, upheld=True, reason="现场查看属实")
    assert rect.responsible_staff_id == hall["keeper"].id and rect.window_id is None
    assert rect.category == "hygiene"


def test_complaints_count_with_patrol_findings_of_the_same_check_item(app, hall, login):
    inspection = start_round(db.session, hall["officer"], hall["site"])
    record_failure(
        db.session,
        hall["officer"],
        inspection,
        target=Target("staff", hall["clerk"].id),
        item_code="D02",
        reason="未一次性告知",
    )
    submit_round(db.session, hall["officer"], inspection, require_photos=False)
    row = svc.record_conduct(
        db.session,
        hall["hr"],
        kind="complaint",
        source="hotline",
        staff_member_id=hall["clerk"].id,
        received_on=local_today(),
        text="12345：材料没讲清，跑了三趟",
        category_id=_category("YCXGZ").id,
    )
    svc.conclude(db.session, hall["officer"], row, upheld=True, reason="属实")
    db.session.commit()
    today = local_today()
    counts = {
        c.code: (c.findings, c.complaints, c.total)
        for c in svc.item_counts(db.session, hall["officer"], today, today)
    }
    assert counts == {"D02": (1, 1, 2)}
    # The repeat-offence ladder counts both.
    assert offence_counts(db.session, today, [hall["clerk"].id]) == {hall["clerk"].id: 2}
    # The page and the ledger show them together.
    page = _client(app, login, hall["officer"]).get("/complaints/by-item").get_data(as_text=True)
    assert 'data-item="D02"' in page
    from compliance.ledgers.registry import get_ledger, parse_filters

    ledger = get_ledger("problems_by_item", app)
    filters = parse_filters(
        db.session, hall["officer"], ledger, {"from": today.isoformat(), "to": today.isoformat()}
    )
    rows = list(ledger.rows(db.session, hall["officer"], filters))
    assert [(r[0], r[3], r[4], r[5]) for r in rows] == [("D02", 1, 1, 2)]
    # The complaint list filters by the same item.
    listing = _client(app, login, hall["officer"]).get(
        f"/complaints?item={_category('YCXGZ').check_item_id}"
    )
    assert "跑了三趟" in listing.get_data(as_text=True)


def test_upheld_complaints_are_read_per_staff_member_window_and_site(app, hall):
    made = []
    for subject, kw in (
        ("staff", {"staff_member_id": hall["clerk"].id}),
        ("window", {"window_id": hall["window"].id}),
        ("site", {"site_id": hall["site"].id}),
    ):
        row = svc.record_conduct(
            db.session,
            hall["hr"],
            kind="complaint",
            source="rating",
            subject=subject,
            received_on=local_today(),
            text=f"差评 {subject}",
            **kw,
        )
        svc.conclude(db.session, hall["officer"], row, upheld=True, reason="属实")
        made.append(row)
    rows = public.upheld_complaints(db.session, local_today(), local_today(), [hall["site"].id])
    assert [(r.subject, r.staff_member_id, r.window_id, r.site_id) for r in rows] == [
        ("staff", hall["clerk"].id, None, hall["site"].id),
        ("window", None, hall["window"].id, hall["site"].id),
        ("site", None, None, hall["site"].id),
    ]
    assert all(r.decided_on == local_today() for r in rows)


def test_the_api_runs_the_same_loop(app, hall, login):
    api = _client(app, login, hall["officer"])
    r = api.post(
        "/api/v1/complaints",
        json={
            "kind": "complaint",
            "source": "hotline",
            "subject": "window",
            "window_id": hall["window"].id,
            "received_on": local_today().isoformat(),
            "text": "12345：窗口无人",
        },
    )
    assert r.status_code == 201, r.json
    cid, version = r.json["id"], r.json["version"]
    r = api.post(
        f"/api/v1/complaints/{cid}/conclusion",
        json={"upheld": True, "reason": "属实", "version": version},
    )
    assert r.status_code == 200 and r.json["rectification_id"]
    r = api.post(
        f"/api/v1/complaints/{cid}/callbacks",
        json={
            "called_at": (datetime.now() - timedelta(hours=2)).isoformat(timespec="minutes"),
            "method": "phone",
            "reached": True,
            "satisfied": False,
            "note": "群众仍不满意",
        },
    )
    assert r.status_code == 201 and r.json["callbacks"][0]["satisfied"] is False
    r = api.post(f"/api/v1/complaints/{cid}/close", json={"version": r.json["version"]})
    assert r.status_code == 200 and r.json["status"] == "closed"
    assert (
        api.post(f"/api/v1/complaints/{cid}/close", json={"version": r.json["version"]}).status_code
        == 409
    )


def test_an_administrator_sets_the_callback_attempts_and_the_deadlines(app, hall, login):
    admin = _client(app, login, hall["admin"])
    assert _client(app, login, hall["officer"]).get("/complaints/settings").status_code == 403
    r = admin.post("/complaints/settings", data={"verify_days": 3, "callback_attempts": 1})
    assert r.status_code == 302
    assert (
        admin.post(
            "/complaints/settings", data={"verify_days": 0, "callback_attempts": 1}
        ).status_code
        == 400
    )
    r = admin.post("/integrity/settings", data={"working_days": 7, "escalate_after": 2})
    assert r.status_code == 302
    assert (svc.verify_days(db.session), svc.callback_attempts(db.session)) == (3, 1)
    assert default_working_days(db.session) == 7
    row = _concluded(hall)
    svc.record_callback(
        db.session,
        hall["hr"],
        row,
        called_at=utcnow() - timedelta(minutes=3),
        method="phone",
        reached=False,
        satisfied=None,
    )
    svc.close_complaint(db.session, hall["officer"], row)
    assert row.status == "closed"
