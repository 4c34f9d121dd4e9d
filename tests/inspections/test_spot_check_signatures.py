"""Two-inspector spot checks (双随机): a target drawn with two inspectors is done only when both
have signed the same check; the second sees what the first recorded and may add to it, never
change it; lists, the draw page and the ledger credit exactly who took part."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.domain import DomainError
from compliance.models import AuditEvent
from compliance.notifications.models import Notification
from compliance.timeutil import local_today
from inspections.draws import create_draw
from inspections.models import Draw, Finding, Inspection
from inspections.services import (
    Target,
    open_spot_check,
    record_failure,
    remove_failure,
    sign_spot_check,
    submit_round,
)
from inspections.views.common import my_open_rounds

PHONE = "Mozilla/5.0 (Linux; Android 14; V2309A) Chrome/124.0 Mobile Safari/537.36 wxwork/4.1"


@pytest.fixture
def team_check(app, catalogue, make_hall, make_user):
    """One window drawn with two inspectors (a third inspector was not drawn for it)."""
    site, windows, staff = make_hall(windows=1, per_window=1)
    first, second = (
        make_user(roles=("inspector",), sites=[site], display_name=name)
        for name in ("督查甲", "督查乙")
    )
    outsider = make_user(roles=("inspector",), sites=[site], display_name="督查丙")
    draw = create_draw(
        db.session,
        None,
        title="双随机",
        target_kind="window",
        site_ids=[site.id],
        post_ids=None,
        inspector_ids=[first.id, second.id],
        target_count=1,
        inspectors_per_target=2,
        day=local_today(),
    )
    db.session.commit()
    check = db.session.scalars(sa.select(Inspection).where(Inspection.draw_id == draw.id)).one()
    lead, other = (
        first if check.team[0].user_id == first.id else second,
        second if check.team[0].user_id == first.id else first,
    )
    return SimpleNamespace(
        site=site,
        window=windows[0],
        staff=staff[0],
        draw=draw,
        check=check,
        first=lead,
        second=other,
        outsider=outsider,
    )


def test_a_two_inspector_target_is_not_done_after_one_inspector_and_is_after_both(team_check):
    t = team_check
    open_spot_check(db.session, t.first, t.check)
    record_failure(
        db.session, t.first, t.check, target=Target("window", t.window.id), item_code="A05"
    )
    signature, findings = sign_spot_check(db.session, t.first, t.check, user_agent=PHONE)
    db.session.commit()
    assert findings is None and signature.signed_at is not None
    assert t.check.status == "draft" and db.session.get(Draw, t.draw.id).status == "drawn"
    assert db.session.scalar(sa.select(sa.func.count(Finding.id))) == 0
    with pytest.raises(DomainError) as refused:
        submit_round(db.session, t.first, t.check)  # no way around the missing signature
    assert refused.value.code == "inspections.signatures_missing"
    _signature, findings = sign_spot_check(db.session, t.second, t.check, user_agent=PHONE)
    db.session.commit()
    assert len(findings) == 1 and findings[0].found_by_id == t.first.id  # who recorded it
    assert t.check.status == "submitted" and db.session.get(Draw, t.draw.id).status == "done"
    assert sorted(t.check.credited_ids) == sorted([t.first.id, t.second.id])


def test_one_submission_from_the_round_page_does_not_complete_the_check(
    app, team_check, login, client_for
):
    t = team_check
    first = login(app.test_client(), t.first)
    assert first.post(f"/spot-checks/{t.check.uuid}/open").status_code == 302
    response = first.post(
        f"/rounds/{t.check.uuid}/submit",
        data={"device_time": "2026-05-04T02:10:00Z", "note": "一起检查"},
        headers={"User-Agent": PHONE},
    )
    assert response.headers["Location"].endswith(f"/spot-checks/{t.check.uuid}")
    db.session.expire_all()
    check = db.session.get(Inspection, t.check.id)
    assert check.status == "draft" and check.note == "一起检查"
    # The list does not count it as done, nor credit anybody with it yet.
    officer = client_for("discipline")
    listed = officer.get(f"/inspections?inspector={t.second.id}").get_data(as_text=True)
    assert f"/inspections/{check.id}" not in listed
    page = officer.get(f"/draws/{t.draw.id}").get_data(as_text=True)
    assert "等待其他督查员签名" in page
    # The signed inspector is no longer offered the check; the other one is, with a notice.
    assert check.id not in [i.id for i in my_open_rounds(t.first)]
    assert check.id in [i.id for i in my_open_rounds(t.second)]
    notice = db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == t.second.id, Notification.kind == "spot_check_signature"
        )
    ).one()
    assert notice.link == f"/spot-checks/{check.uuid}"
    dashboard = login(app.test_client(), t.second).get("/dashboard").get_data(as_text=True)
    assert '<span class="tag">待您签名</span>' in dashboard
    assert first.get(f"/rounds/{check.uuid}").status_code == 302  # to the check's page
    second = login(app.test_client(), t.second)
    assert (
        second.post(f"/spot-checks/{check.uuid}/sign", data={"remark": "确认"}).status_code == 302
    )
    db.session.expire_all()
    check = db.session.get(Inspection, t.check.id)
    assert check.status == "submitted"
    for user in (t.first, t.second):
        listed = officer.get(f"/inspections?inspector={user.id}").get_data(as_text=True)
        assert f"/inspections/{check.id}" in listed
    listed = officer.get(f"/inspections?inspector={t.outsider.id}").get_data(as_text=True)
    assert f"/inspections/{check.id}" not in listed
    row = officer.get("/inspections?kind=spot_check").get_data(as_text=True)
    assert "督查甲" in row and "督查乙" in row
    detail = officer.get(f"/inspections/{check.id}").get_data(as_text=True)
    assert "Android" in detail and "企业微信" in detail and "确认" in detail


def test_the_second_inspector_sees_what_the_first_recorded_and_adds_without_changing_it(
    app, team_check, login, jpeg
):
    t = team_check
    open_spot_check(db.session, t.first, t.check)
    mine = record_failure(
        db.session,
        t.first,
        t.check,
        target=Target("window", t.window.id),
        item_code="A05",
        reason="叫号屏不亮",
    )
    sign_spot_check(db.session, t.first, t.check)
    db.session.commit()
    second = login(app.test_client(), t.second)
    page = second.get(f"/spot-checks/{t.check.uuid}").get_data(as_text=True)
    assert "叫号屏不亮" in page and "督查甲" in page
    assert f"/spot-checks/{t.check.uuid}/sign" in page  # confirm as it is
    assert f"/spot-checks/{t.check.uuid}/open" in page  # or add findings from the visit
    with pytest.raises(DomainError) as changed:
        remove_failure(db.session, t.second, t.check, mine)
    assert changed.value.code == "inspections.failure_signed"
    with pytest.raises(DomainError) as rewritten:
        record_failure(
            db.session,
            t.second,
            t.check,
            target=Target("window", t.window.id),
            item_code="A05",
            reason="改写",
        )
    assert rewritten.value.code == "inspections.failure_signed"
    db.session.rollback()
    with pytest.raises(DomainError) as late:
        record_failure(
            db.session, t.first, t.check, target=Target("staff", t.staff.id), item_code="A01"
        )
    assert late.value.code == "inspections.already_signed"
    db.session.rollback()
    with pytest.raises(DomainError) as outsider:
        record_failure(
            db.session, t.outsider, t.check, target=Target("staff", t.staff.id), item_code="A01"
        )
    assert outsider.value.code == "inspections.not_in_team"
    db.session.rollback()
    # The second adds a photographed failure from the same visit, then signs.
    assert second.post(f"/spot-checks/{t.check.uuid}/open").status_code == 302
    added = second.post(
        f"/rounds/{t.check.uuid}/fail?target=w{t.window.id}",
        data={"item": "C01", "reason": "台面杂乱", "photos": [(io.BytesIO(jpeg), "a.jpg")]},
        content_type="multipart/form-data",
    )
    assert added.status_code == 302, added.get_data(as_text=True)[:500]
    assert second.post(f"/spot-checks/{t.check.uuid}/sign").status_code == 302
    db.session.expire_all()
    findings = db.session.scalars(
        sa.select(Finding).where(Finding.inspection_id == t.check.id).order_by(Finding.id)
    ).all()
    assert [(f.description[:3], f.found_by_id) for f in findings] == [
        ("A05", t.first.id),
        ("C01", t.second.id),
    ]
    check = db.session.get(Inspection, t.check.id)
    by_user = {m.user_id: m for m in check.team}
    assert by_user[t.first.id].signed_result_ids == [mine.id]
    assert len(by_user[t.second.id].signed_result_ids) == 2


def test_each_signature_keeps_its_time_and_device_and_is_audited(team_check):
    t = team_check
    open_spot_check(db.session, t.first, t.check, device_time="2026-05-04T10:00:00+08:00")
    sign_spot_check(
        db.session,
        t.first,
        t.check,
        device_time="2026-05-04T10:20:00+08:00",
        user_agent=PHONE,
        remark="无异常",
    )
    with pytest.raises(DomainError) as twice:
        sign_spot_check(db.session, t.first, t.check)
    assert twice.value.code == "inspections.already_signed"
    sign_spot_check(db.session, t.second, t.check, device_time="2026-05-04T02:22:00Z")
    member = {m.user_id: m for m in t.check.team}
    assert member[t.first.id].device_signed_at.isoformat() == "2026-05-04T02:20:00"
    assert member[t.second.id].device_signed_at.isoformat() == "2026-05-04T02:22:00"
    assert member[t.first.id].user_agent == PHONE and member[t.first.id].signature_note == "无异常"
    assert t.check.device_started_at.isoformat() == "2026-05-04T02:00:00"
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.entity_type == "Inspection", AuditEvent.entity_id == str(t.check.id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions.count("inspection.sign") == 2 and actions.count("inspection.submit") == 1
    assert actions.index("inspection.open") < actions.index("inspection.sign")


def test_a_photo_required_failure_without_photo_cannot_be_signed(team_check):
    t = team_check
    record_failure(
        db.session, t.first, t.check, target=Target("window", t.window.id), item_code="C01"
    )
    with pytest.raises(DomainError) as refused:
        sign_spot_check(db.session, t.first, t.check)
    assert refused.value.code == "inspections.photo_required"
    assert all(m.signed_at is None for m in t.check.team)


def test_the_ledger_names_both_inspectors_of_a_signed_spot_check(team_check, client_for):
    from openpyxl import load_workbook

    t = team_check
    record_failure(
        db.session, t.second, t.check, target=Target("window", t.window.id), item_code="A05"
    )
    sign_spot_check(db.session, t.second, t.check)
    sign_spot_check(db.session, t.first, t.check)
    db.session.commit()
    officer = client_for("discipline")
    today = local_today().isoformat()
    for unit in ("findings", "results"):
        response = officer.post(
            "/reports/inspections/export", data={"from": today, "to": today, "unit": unit}
        )
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
        rows = list(sheet.iter_rows(min_row=3, values_only=True))  # below the title and header
        assert rows
        for row in rows:
            names = set(row[4].split("、"))
            assert names == {"督查甲", "督查乙"}, row
            assert "督查甲" in row[-1] and "督查乙" in row[-1]  # the signatures with their times


def test_two_inspectors_signing_at_the_same_moment_complete_the_check(fresh_app, backend):
    """The later signature waits for the earlier one's lock, then sees it and submits the check
    (without the lock both would see the other unsigned and the check would stay open)."""
    import threading

    from sqlalchemy.orm import Session

    from compliance.accounts import create_user
    from compliance.models import Site, User, Window

    if backend == "sqlite":
        pytest.skip("SQLite serialises writing transactions: only PostgreSQL runs them at once")
    app = fresh_app()
    with app.app_context(), app.test_request_context():
        site = Site(code="SIG", name="签名中心")
        db.session.add(site)
        db.session.flush()
        db.session.add(Window(site_id=site.id, code="A01", name="窗口"))
        users = [
            create_user(
                db.session,
                None,
                username=f"sig{n}",
                display_name=f"督查{n}",
                roles=["inspector"],
                password="correct-horse-42",
                hash_method=app.config["PASSWORD_HASH_METHOD"],
                all_sites=True,
            )
            for n in range(2)
        ]
        draw = create_draw(
            db.session,
            None,
            title="并发签名",
            target_kind="window",
            site_ids=[site.id],
            post_ids=None,
            inspector_ids=[u.id for u in users],
            target_count=1,
            inspectors_per_target=2,
            day=local_today(),
        )
        db.session.commit()
        check_id = db.session.scalars(
            sa.select(Inspection.id).where(Inspection.draw_id == draw.id)
        ).one()
        user_ids = [u.id for u in users]
        sessions = [Session(db.engine), Session(db.engine)]
        loaded = [
            (s, s.get(User, uid), s.get(Inspection, check_id))
            for s, uid in zip(sessions, user_ids, strict=True)
        ]
        for _s, _u, check in loaded:
            assert [m.signed_at for m in check.team] == [None, None]
        outcome: dict = {}

        def second():
            s, user, check = loaded[1]
            try:
                with app.app_context(), app.test_request_context():
                    outcome["findings"] = sign_spot_check(s, user, check)[1]
                    s.commit()
            except Exception as exc:  # recorded so the test fails with the reason
                s.rollback()
                outcome["findings"] = f"error:{type(exc).__name__}:{exc}"

        try:
            s1, u1, c1 = loaded[0]
            assert sign_spot_check(s1, u1, c1)[1] is None  # holds the check's row lock
            thread = threading.Thread(target=second)
            thread.start()
            thread.join(timeout=1)
            assert thread.is_alive()  # waiting on the lock
            s1.commit()
            thread.join(timeout=30)
            assert not thread.is_alive()
        finally:
            for s in sessions:
                s.close()
        assert outcome["findings"] == [], outcome
        db.session.expire_all()
        check = db.session.get(Inspection, check_id)
        assert check.status == "submitted"
        assert all(m.signed_at is not None for m in check.team)


def test_an_inspector_who_cannot_take_part_is_replaced_by_drawing_another(
    app, team_check, make_user, client_for
):
    t = team_check
    t.draw.inspector_pool = sorted([*t.draw.inspector_pool, t.outsider.id])
    db.session.commit()
    sign_spot_check(db.session, t.first, t.check)
    with pytest.raises(DomainError) as signed:
        from inspections.services import redraw_inspector

        redraw_inspector(db.session, None, t.check, t.first.id, reason="请假")
    assert signed.value.code == "inspections.redraw_signed"
    db.session.commit()
    officer = client_for("discipline")
    url = f"/draws/{t.draw.id}/checks/{t.check.id}/redraw"
    no_reason = officer.post(url, data={"user_id": t.second.id, "reason": " "})
    assert no_reason.status_code == 302
    db.session.expire_all()
    assert {m.user_id for m in db.session.get(Inspection, t.check.id).team} == {
        t.first.id,
        t.second.id,
    }
    assert officer.post(url, data={"user_id": t.second.id, "reason": "病假"}).status_code == 302
    db.session.expire_all()
    check = db.session.get(Inspection, t.check.id)
    assert {m.user_id for m in check.team} == {t.first.id, t.outsider.id}
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "inspection.redraw")
    ).one()
    assert event.reason == "病假" and event.after["eligible"] == [t.outsider.id]
    assert db.session.get(Draw, t.draw.id).result[0]["inspectors"] != [
        m.user_id for m in check.team
    ]  # the draw is kept as drawn
    assert "督查丙" in officer.get(f"/draws/{t.draw.id}").get_data(as_text=True)
    # Nobody else is eligible now: the officer is told so.
    with pytest.raises(DomainError) as nobody:
        redraw_inspector(db.session, None, check, t.outsider.id, reason="出差")
    assert nobody.value.code == "inspections.redraw_nobody"
    db.session.rollback()
    sign_spot_check(db.session, t.outsider, db.session.get(Inspection, t.check.id))
    db.session.commit()
    assert db.session.get(Inspection, t.check.id).status == "submitted"
    assert db.session.get(Draw, t.draw.id).status == "done"
