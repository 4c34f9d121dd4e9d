"""The loop: finding -> rectification with a severity deadline -> response -> verification or
rejection; on-the-spot fixes; who is responsible; every transition audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.domain import ConflictError, DomainError, ForbiddenError, InvalidError, StaleError
from compliance.models import AuditEvent
from compliance.settings import set_setting
from inspections.rectification import services as svc
from inspections.rectification.models import AreaKeeper, Holiday, RectificationEvent, WindowKeeper
from tests.inspections.rect_factories import MONDAY, make_finding, rect_for


@pytest.fixture(autouse=True)
def _request_context(app):
    # Service messages are lazy translations; reading one needs a locale (a request).
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def people(make_site, make_window, make_staff, make_user):
    site = make_site()
    window = make_window(site=site)
    member = make_staff(site=site, window=window)
    staff_user = make_user(roles=("staff",), sites=[site], staff_member=member)
    inspector = make_user(roles=("inspector",), sites=[site])
    inspector2 = make_user(roles=("inspector",), sites=[site])
    return {
        "site": site,
        "window": window,
        "member": member,
        "staff_user": staff_user,
        "inspector": inspector,
        "inspector2": inspector2,
    }


@pytest.mark.parametrize(
    "severity,expected",
    [
        ("critical", MONDAY),  # same day
        ("major", MONDAY + timedelta(days=3)),  # Thursday
        ("minor", MONDAY + timedelta(days=9)),  # 7 working days: Wednesday next week
    ],
)
def test_failed_item_opens_rectification_with_severity_deadline(app, people, severity, expected):
    finding = make_finding(
        site=people["site"],
        staff=people["member"],
        severity=severity,
        found_on=MONDAY,
        found_by=people["inspector"],
    )
    rect = rect_for(finding)
    assert rect.status == "open"
    assert rect.responsible_staff_id == people["member"].id
    assert rect.opened_on == MONDAY
    assert rect.deadline_on == expected
    assert [e.kind for e in rect.events] == ["opened"]


def test_deadline_counts_working_days_without_holidays_and_with_adjusted_days(app, people):
    # Tuesday is a holiday; Saturday is an adjusted working day (调休).
    db.session.add(Holiday(day=MONDAY + timedelta(days=1), kind="holiday", name="假日"))
    db.session.add(Holiday(day=MONDAY + timedelta(days=5), kind="workday", name="调休"))
    db.session.commit()
    # major = 3 working days from Monday: Wed, Thu, Fri -> Friday
    assert svc.deadline_for(db.session, "major", MONDAY) == MONDAY + timedelta(days=4)
    # minor = 7: Wed Thu Fri Sat(adjusted) Mon Tue Wed -> next Wednesday
    assert svc.deadline_for(db.session, "minor", MONDAY) == MONDAY + timedelta(days=9)
    # critical found on a Sunday falls due on Monday
    assert svc.deadline_for(db.session, "critical", MONDAY - timedelta(days=1)) == MONDAY


def test_deadline_settings_per_severity_are_used(app, people, make_user):
    admin = make_user(roles=("admin",))
    set_setting(db.session, admin, svc.DEADLINE_KEY, {"critical": 1, "major": 5, "minor": 10})
    db.session.commit()
    finding = make_finding(
        site=people["site"], staff=people["member"], severity="major", found_on=MONDAY
    )
    assert rect_for(finding).deadline_on == MONDAY + timedelta(days=7)


def test_response_then_verification_closes_and_records_on_time(app, people):
    finding = make_finding(
        site=people["site"], staff=people["member"], severity="major", found_on=MONDAY
    )
    rect = rect_for(finding)
    svc.respond(db.session, people["staff_user"], rect, "已整改", expected_version=rect.version)
    db.session.commit()
    assert rect.status == "responded"
    svc.verify(
        db.session,
        people["inspector"],
        rect,
        "ok",
        expected_version=rect.version,
        today=MONDAY + timedelta(days=2),
    )
    db.session.commit()
    rect = rect_for(finding)
    assert rect.status == "verified"
    assert rect.closed_on == MONDAY + timedelta(days=2)
    assert rect.days_to_close == 2
    assert rect.closed_on_time is True
    assert [e.kind for e in rect.events] == ["opened", "responded", "verified"]


def test_late_closure_is_recorded_as_not_on_time(app, people):
    finding = make_finding(
        site=people["site"], staff=people["member"], severity="critical", found_on=MONDAY
    )
    rect = rect_for(finding)
    svc.respond(db.session, people["staff_user"], rect, "已整改")
    svc.verify(db.session, people["inspector"], rect, today=MONDAY + timedelta(days=4))
    db.session.commit()
    assert rect_for(finding).closed_on_time is False
    assert rect_for(finding).days_to_close == 4


def test_rejection_reopens_with_new_deadline_and_counts(app, people):
    finding = make_finding(
        site=people["site"], staff=people["member"], severity="major", found_on=MONDAY
    )
    rect = rect_for(finding)
    svc.respond(db.session, people["staff_user"], rect, "已整改")
    wednesday = MONDAY + timedelta(days=2)
    svc.reject(db.session, people["inspector"], rect, "照片不清楚", today=wednesday)
    db.session.commit()
    rect = rect_for(finding)
    assert rect.status == "rejected" and rect.is_open
    assert rect.rejection_count == 1
    assert rect.deadline_on == wednesday + timedelta(days=5)  # Wed + 3 working days = Mon
    assert rect.first_deadline_on == MONDAY + timedelta(days=3)
    rejected = rect.events[-1]
    assert rejected.kind == "rejected" and rejected.text == "照片不清楚"
    # The responsible person can respond again; a second rejection counts again.
    svc.respond(db.session, people["staff_user"], rect, "重新整改")
    svc.reject(db.session, people["inspector2"], rect, "仍不合格", today=wednesday)
    db.session.commit()
    assert rect_for(finding).rejection_count == 2


def test_rejection_needs_a_reason(app, people):
    rect = rect_for(make_finding(site=people["site"], staff=people["member"]))
    svc.respond(db.session, people["staff_user"], rect, "已整改")
    with pytest.raises(InvalidError, match="reason"):
        svc.reject(db.session, people["inspector"], rect, "  ")


def test_person_who_responded_can_never_verify(app, people, make_staff, make_user):
    # A user who is both an inspector and the responsible staff member.
    member = make_staff(site=people["site"])
    dual = make_user(roles=("staff", "inspector"), sites=[people["site"]], staff_member=member)
    rect = rect_for(make_finding(site=people["site"], staff=member))
    svc.respond(db.session, dual, rect, "我已整改")
    db.session.commit()
    with pytest.raises(ForbiddenError, match="another inspector"):
        svc.verify(db.session, dual, rect)
    with pytest.raises(ForbiddenError):
        svc.reject(db.session, dual, rect, "no")
    assert rect_for(rect.finding_id).status == "responded"
    # Another inspector may.
    svc.verify(db.session, people["inspector"], rect)
    assert rect.status == "verified"


def test_only_the_responsible_staff_member_can_respond(app, people, make_staff, make_user):
    other = make_staff(site=people["site"])
    other_user = make_user(roles=("staff",), sites=[people["site"]], staff_member=other)
    rect = rect_for(make_finding(site=people["site"], staff=people["member"]))
    with pytest.raises(ForbiddenError):
        svc.respond(db.session, other_user, rect, "not mine")
    with pytest.raises(ForbiddenError):
        svc.respond(db.session, people["inspector"], rect, "not mine")


def test_verification_needs_a_response_first(app, people):
    rect = rect_for(make_finding(site=people["site"], staff=people["member"]))
    with pytest.raises(ConflictError):
        svc.verify(db.session, people["inspector"], rect)


def test_stale_version_is_refused(app, people):
    rect = rect_for(make_finding(site=people["site"], staff=people["member"]))
    seen = rect.version
    svc.respond(db.session, people["staff_user"], rect, "已整改", expected_version=seen)
    db.session.commit()
    with pytest.raises(StaleError, match="changed"):
        svc.verify(db.session, people["inspector"], rect, expected_version=seen)


def test_window_finding_goes_to_keeper_else_current_assignee(app, people, make_staff):
    window = people["window"]
    rect = rect_for(make_finding(site=people["site"], window=window))
    assert rect.responsible_staff_id == people["member"].id  # the assignee
    keeper = make_staff(site=people["site"])
    supervisor = make_staff(site=people["site"])
    db.session.add(
        WindowKeeper(
            window_id=window.id, keeper_staff_id=keeper.id, supervisor_staff_id=supervisor.id
        )
    )
    db.session.commit()
    rect = rect_for(make_finding(site=people["site"], window=window))
    assert rect.responsible_staff_id == keeper.id
    assert rect.supervisor_staff_id == supervisor.id


def test_area_finding_goes_to_area_keeper(app, people, make_staff):
    keeper = make_staff(site=people["site"])
    db.session.add(AreaKeeper(site_id=people["site"].id, keeper_staff_id=keeper.id))
    db.session.commit()
    rect = rect_for(make_finding(site=people["site"], target="area", category="hygiene"))
    assert rect.responsible_staff_id == keeper.id


def test_fix_on_spot_is_rectified_and_verified_at_once(app, people):
    from inspections.photos import store_photo
    from tests.inspections.rect_factories import png_bytes

    finding = make_finding(site=people["site"], staff=people["member"], found_on=MONDAY)
    rect = rect_for(finding)
    with pytest.raises(DomainError, match="photo"):
        svc.fix_on_spot(db.session, people["inspector"], rect, "fixed", [])
    photo = store_photo(
        db.session,
        people["inspector"],
        png_bytes(),
        upload_folder=app.config["UPLOAD_FOLDER"],
        finding_id=finding.id,
    )
    svc.fix_on_spot(
        db.session, people["inspector"], rect, "当场整改", [photo], witness="值班长", today=MONDAY
    )
    db.session.commit()
    rect = rect_for(finding)
    assert rect.status == "verified" and rect.fixed_on_spot
    assert rect.verified_by_id == people["inspector"].id
    assert rect.days_to_close == 0 and rect.closed_on_time
    event = rect.events[-1]
    assert event.kind == "fixed_on_spot" and event.data["witness"] == "值班长"
    assert [p.id for p in event.photos] == [photo.id]


def test_every_transition_is_an_audit_event_and_nothing_is_deleted(app, people):
    rect = rect_for(make_finding(site=people["site"], staff=people["member"]))
    svc.respond(db.session, people["staff_user"], rect, "a")
    svc.reject(db.session, people["inspector"], rect, "b")
    svc.respond(db.session, people["staff_user"], rect, "c")
    svc.verify(db.session, people["inspector"], rect)
    db.session.commit()
    actions = list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.entity_type == "Rectification", AuditEvent.entity_id == str(rect.id))
            .order_by(AuditEvent.id)
        )
    )
    assert actions == [
        "rectification.opened",
        "rectification.responded",
        "rectification.rejected",
        "rectification.responded",
        "rectification.verified",
    ]
    events = db.session.scalars(
        sa.select(RectificationEvent.kind)
        .where(RectificationEvent.rectification_id == rect.id)
        .order_by(RectificationEvent.id)
    ).all()
    assert events == ["opened", "responded", "rejected", "responded", "verified"]


def test_opening_twice_for_the_same_finding_returns_the_same_rectification(app, people):
    finding = make_finding(site=people["site"], staff=people["member"])
    again = svc.open_for_finding(db.session, None, finding)
    assert again.id == rect_for(finding).id


def test_responsible_person_is_notified_when_opened(app, people):
    from compliance.notifications.models import Notification

    make_finding(site=people["site"], staff=people["member"])
    kinds = db.session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == people["staff_user"].id)
    ).all()
    assert "rectification.opened" in kinds


def test_patrol_can_record_a_new_finding_as_fixed_on_the_spot(app, people):
    from inspections.models import Finding
    from inspections.photos import store_photo
    from tests.inspections.rect_factories import at_local, png_bytes

    finding = Finding(
        category="hygiene",
        target="window",
        site_id=people["site"].id,
        window_id=people["window"].id,
        severity="minor",
        description="台面杂物",
        found_by_id=people["inspector"].id,
        found_at=at_local(MONDAY),
    )
    db.session.add(finding)
    db.session.flush()
    photo = store_photo(
        db.session,
        people["inspector"],
        png_bytes(),
        upload_folder=app.config["UPLOAD_FOLDER"],
        finding_id=finding.id,
    )
    rect = svc.fix_finding_on_spot(db.session, people["inspector"], finding, "已清理", [photo])
    db.session.commit()
    rect = rect_for(finding)
    assert rect.status == "verified" and rect.fixed_on_spot and rect.closed_on == MONDAY
    assert rect.events[-1].data["witness"] == people["inspector"].display_name


def test_window_assignees_in_one_query(app, people, make_window):
    empty = make_window(site=people["site"])
    assert svc.window_assignees(db.session, [people["window"].id, empty.id]) == {
        people["window"].id: people["member"].id
    }


@pytest.mark.parametrize("how", ["reassigned", "relinked"])
def test_responder_later_made_an_inspector_still_cannot_verify_own_response(
    app, people, make_staff, make_user, login, how
):
    """Once the staff member has responded, their account is made an inspector, and either the
    rectification is given to someone else (reassigned) or the account is linked to another
    staff record (relinked): they are no longer the responsible person, yet whoever responded
    never verifies that response."""
    from compliance.accounts import update_user

    site, responder = people["site"], people["staff_user"]
    rect = rect_for(make_finding(site=site, staff=people["member"]))
    svc.respond(db.session, responder, rect, "已整改")
    db.session.commit()
    admin = make_user(roles=("admin",))
    update_user(
        db.session,
        admin,
        responder,
        display_name=responder.display_name,
        email=None,
        roles=["staff", "inspector"],
        site_ids=[site.id],
        all_sites=False,
        staff_member_id=(
            make_staff(site=site).id if how == "relinked" else responder.staff_member_id
        ),
        active=True,
    )
    if how == "reassigned":
        svc.reassign(db.session, admin, rect, make_staff(site=site).id, None, "岗位调整")
    db.session.commit()
    rect = rect_for(rect.finding_id)
    assert responder.has_role("inspector") and rect.status == "responded"
    assert rect.responded_by_id == responder.id
    assert responder.staff_member_id != rect.responsible_staff_id

    with pytest.raises(ForbiddenError) as refused:
        svc.verify(db.session, responder, rect, expected_version=rect.version)
    assert refused.value.code == "rectification.own_response"
    with pytest.raises(ForbiddenError):
        svc.reject(db.session, responder, rect, "不合格", expected_version=rect.version)

    # The pages say the same: no verify button, the reason instead, and a POST is refused.
    page = login(app.test_client(), responder)
    html = page.get(f"/rectifications/{rect.id}", headers={"Accept-Language": "en"})
    assert "another inspector must verify" in html.get_data(as_text=True)
    posted = page.post(f"/rectifications/{rect.id}/verify", data={"version": rect.version})
    assert posted.status_code == 403
    rect = rect_for(rect.finding_id)
    assert rect.status == "responded" and rect.verified_by_id is None

    # Another inspector may.
    svc.verify(db.session, people["inspector"], rect, expected_version=rect.version)
    assert rect.status == "verified"
