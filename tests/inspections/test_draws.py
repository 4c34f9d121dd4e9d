"""Spot-check draws: reproducible from the stored seed and pools, conflicted inspectors never
drawn, spot checks assigned, results published to everyone."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.domain import DomainError
from compliance.models import Conflict
from compliance.scheduler import run_job
from compliance.timeutil import local_today
from inspections.draws import compute_draw, create_draw, rerun
from inspections.models import Draw, DrawSchedule, Inspection
from inspections.services import submit_round


@pytest.fixture
def hall_with_inspectors(make_hall, make_user, make_staff, make_window):
    site, windows, staff = make_hall(windows=6, per_window=2)
    inspectors = [make_user(roles=("inspector",), sites=[site]) for _ in range(4)]
    return site, windows, staff, inspectors


def test_a_stored_draw_rerun_gives_the_same_targets_and_inspectors(
    app, hall_with_inspectors, make_user
):
    site, windows, staff, inspectors = hall_with_inspectors
    officer = make_user(roles=("discipline",))
    draw = create_draw(
        db.session,
        officer,
        title="周抽查",
        target_kind="staff",
        site_ids=[site.id],
        post_ids=None,
        inspector_ids=[u.id for u in inspectors],
        target_percent=50,
        inspectors_per_target=2,
        day=local_today(),
    )
    db.session.commit()
    stored = db.session.get(Draw, draw.id)
    assert len(stored.seed) == 64 and len(stored.result) == 6
    assert rerun(stored) == stored.result
    # the same inputs with other seeds give other draws: the seed decides
    others = {
        str(
            compute_draw(
                f"{n:064x}",
                stored.target_pool,
                stored.inspector_pool,
                stored.exclusions,
                None,
                50,
                2,
            )
        )
        for n in range(1, 6)
    }
    assert len(others) > 1
    assert all(len(e["inspectors"]) == 2 and len(set(e["inspectors"])) == 2 for e in stored.result)
    checks = db.session.scalars(sa.select(Inspection).where(Inspection.draw_id == draw.id)).all()
    assert len(checks) == 6 and all(c.kind == "spot_check" and c.status == "draft" for c in checks)
    assert {c.target_staff_id for c in checks} == {e["target"] for e in stored.result}


def test_no_inspector_is_drawn_for_a_conflicted_target(app, make_hall, make_user, make_staff):
    site, windows, staff = make_hall(windows=3, per_window=1)
    # inspector 0 is the staff member of window 0; inspector 1 works at window 1;
    # inspector 2 is a relative of the staff member at window 2; inspector 3 is free.
    colleague = make_staff(site=site, window=windows[1])
    relative = make_staff(site=site, assign=False)
    inspectors = [
        make_user(roles=("inspector",), sites=[site], staff_member=staff[0]),
        make_user(roles=("inspector",), sites=[site], staff_member=colleague),
        make_user(roles=("inspector",), sites=[site], staff_member=relative),
        make_user(roles=("inspector",), sites=[site]),
    ]
    a, b = sorted((relative.id, staff[2].id))
    db.session.add(Conflict(staff_a_id=a, staff_b_id=b, kind="relative", reason="夫妻"))
    db.session.commit()
    ids = [u.id for u in inspectors]
    for kind in ("window", "staff"):
        for _ in range(15):
            draw = create_draw(
                db.session,
                None,
                title="t",
                target_kind=kind,
                site_ids=[site.id],
                post_ids=None,
                inspector_ids=ids,
                target_percent=100,
                inspectors_per_target=3,
                day=local_today(),
            )
            by_target = {e["target"]: set(e["inspectors"]) for e in draw.result}
            w = {windows[0].id: ids[0], windows[1].id: ids[1], windows[2].id: ids[2]}
            s = {
                staff[0].id: ids[0],
                staff[1].id: ids[1],
                colleague.id: ids[1],
                staff[2].id: ids[2],
            }
            for target, banned in (w if kind == "window" else s).items():
                assert banned not in by_target[target], (kind, target)
                assert by_target[target] and str(target) in draw.exclusions
            assert rerun(draw) == draw.result
    db.session.rollback()


def test_draw_rules_are_checked(app, hall_with_inspectors, make_user):
    site, windows, staff, inspectors = hall_with_inspectors
    hr = make_user(roles=("hr",))
    kw = dict(title="x", target_kind="window", site_ids=[site.id], post_ids=None, day=local_today())
    with pytest.raises(DomainError):
        create_draw(db.session, None, inspector_ids=[hr.id], target_count=1, **kw)
    with pytest.raises(DomainError):
        create_draw(
            db.session,
            None,
            inspector_ids=[inspectors[0].id],
            target_count=1,
            target_percent=10,
            **kw,
        )
    draw = create_draw(db.session, None, inspector_ids=[inspectors[0].id], target_count=99, **kw)
    assert len(draw.result) == 6  # capped by the pool


def test_spot_checks_are_done_by_the_drawn_team_then_published_for_all(
    app, catalogue, hall_with_inspectors, make_user, client_for, login
):
    site, windows, staff, inspectors = hall_with_inspectors
    officer = client_for("discipline")
    r = officer.post(
        "/draws/new",
        data={
            "title": "窗口抽查",
            "target_kind": "window",
            "sites": [site.id],
            "inspectors": [u.id for u in inspectors],
            "target_count": 2,
            "inspectors_per_target": 2,
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    draw = db.session.scalars(sa.select(Draw)).one()
    assert officer.post(f"/draws/{draw.id}/publish").status_code == 302
    assert db.session.get(Draw, draw.id).status == "drawn"  # not before the checks are done
    for entry in draw.result:
        check = db.session.scalars(
            sa.select(Inspection).where(
                Inspection.draw_id == draw.id, Inspection.target_window_id == entry["target"]
            )
        ).one()
        drawn = next(u for u in inspectors if u.id == entry["inspectors"][1])
        lead = next(u for u in inspectors if u.id == entry["inspectors"][0])
        other = next(u for u in inspectors if u.id not in entry["inspectors"])
        c = app.test_client()
        login(c, other)
        assert c.get(f"/rounds/{check.uuid}").status_code == 403
        c = app.test_client()
        login(c, drawn)
        # Not opened yet: the round page leads to the check's page; opening is a POST.
        assert (
            c.get(f"/rounds/{check.uuid}")
            .headers["Location"]
            .endswith(f"/spot-checks/{check.uuid}")
        )
        assert c.post(f"/spot-checks/{check.uuid}/open").status_code == 302
        page = c.get(f"/rounds/{check.uuid}").get_data(as_text=True)
        assert "target=a" not in page and page.count("/fail?target=") == 3  # window + 2 staff
        assert c.post(f"/rounds/{check.uuid}/submit").status_code == 302  # a signature
        assert db.session.get(Inspection, check.id).status == "draft"
        c = app.test_client()
        login(c, lead)
        assert c.post(f"/spot-checks/{check.uuid}/sign").status_code == 302
        assert db.session.get(Inspection, check.id).status == "submitted"
    assert db.session.get(Draw, draw.id).status == "done"
    assert officer.post(f"/draws/{draw.id}/publish").status_code == 302
    assert db.session.get(Draw, draw.id).status == "published"
    anyone = client_for("staff")
    assert draw.title in anyone.get("/spot-checks/published").get_data(as_text=True)
    page = anyone.get(f"/spot-checks/published/{draw.id}").get_data(as_text=True)
    assert draw.seed in page
    assert anyone.get(f"/draws/{draw.id}").status_code == 403
    assert anyone.get(f"/api/v1/draws/{draw.id}").get_json()["seed"] == draw.seed


def test_recurring_draws_run_once_per_date(app, fresh_app):
    from compliance.accounts import create_user
    from compliance.models import Assignment, Post, Site, StaffMember, Window

    fresh = fresh_app()
    monday = date(2026, 11, 23)
    with fresh.app_context():
        site = Site(code="R1", name="场所")
        post = Post(code="RP", name="岗位")
        db.session.add_all([site, post])
        db.session.flush()
        for n in range(3):
            window = Window(site=site, code=f"W{n}", name=f"窗口{n}")
            member = StaffMember(
                staff_no=f"R{n}", name=f"员工{n}", hired_on=date(2020, 1, 1), site=site
            )
            db.session.add_all([window, member])
            db.session.flush()
            db.session.add(
                Assignment(
                    staff_member=member,
                    post=post,
                    site=site,
                    window=window,
                    started_on=date(2020, 1, 1),
                )
            )
        users = [
            create_user(
                db.session,
                None,
                username=f"insp{n}",
                display_name=f"督查{n}",
                roles=["inspector"],
                password="correct-horse-42",
                hash_method="scrypt:1024:8:1",
                all_sites=True,
            )
            for n in range(2)
        ]
        db.session.add(
            DrawSchedule(
                title="每周",
                target_kind="window",
                site_ids=[site.id],
                post_ids=[],
                inspector_ids=[u.id for u in users],
                target_count=2,
                inspectors_per_target=1,
                weekday=0,
            )
        )
        db.session.commit()
    assert run_job(fresh, "inspections.recurring_draws", monday).counts["draws"] == 1
    assert run_job(fresh, "inspections.recurring_draws", monday).counts["draws"] == 0
    assert run_job(fresh, "inspections.recurring_draws", date(2026, 11, 24)).counts["draws"] == 0
    with fresh.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Draw.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Inspection.id))) == 2


def test_missing_patrol_reminder_notifies_once_per_site_and_day(app, fresh_app):
    from compliance.accounts import create_user
    from compliance.models import Site
    from compliance.notifications.models import Notification
    from inspections.models import PatrolPlan

    fresh = fresh_app()
    thursday = date(2026, 11, 26)
    with fresh.app_context():
        due, done = Site(code="D1", name="未巡查"), Site(code="D2", name="已巡查")
        db.session.add_all([due, done])
        db.session.flush()
        db.session.add_all(
            [
                PatrolPlan(site_id=due.id, rounds_per_day=1),
                PatrolPlan(site_id=done.id, rounds_per_day=0),
            ]
        )
        create_user(
            db.session,
            None,
            username="insp",
            display_name="督查",
            roles=["inspector"],
            password="correct-horse-42",
            hash_method="scrypt:1024:8:1",
            site_codes=["D1"],
        )
        create_user(
            db.session,
            None,
            username="far",
            display_name="别处",
            roles=["inspector"],
            password="correct-horse-42",
            hash_method="scrypt:1024:8:1",
            site_codes=["D2"],
        )
        db.session.commit()
    first = run_job(fresh, "inspections.patrol_missing", thursday)
    assert first.counts == {"sites_due": 1, "notified": 1}
    assert run_job(fresh, "inspections.patrol_missing", thursday).counts["notified"] == 0
    assert run_job(fresh, "inspections.patrol_missing", date(2026, 11, 28)).counts["sites_due"] == 0
    with fresh.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


def test_sites_due_today_disappear_once_the_round_is_in(app, catalogue, make_hall, client_for):
    from inspections.schedules import set_patrol_plan, sites_due
    from inspections.services import start_round

    site, windows, staff = make_hall(windows=1, per_window=1)
    client = client_for("inspector", sites=[site])
    set_patrol_plan(db.session, None, site, 1)
    db.session.commit()
    day = local_today()
    if day.weekday() >= 5:
        pytest.skip("no patrols are due at weekends")
    assert [d.site.id for d in sites_due(db.session, day, client.user)] == [site.id]
    assert site.name in client.get("/dashboard").get_data(as_text=True)
    inspection = start_round(db.session, client.user, site)
    submit_round(db.session, client.user, inspection)
    db.session.commit()
    assert sites_due(db.session, day, client.user) == []


def test_a_recurring_draw_can_be_set_up_and_paused(app, client_for, hall_with_inspectors):
    site, windows, staff, inspectors = hall_with_inspectors
    officer = client_for("discipline")
    r = officer.post(
        "/draws/schedules/new",
        data={
            "title": "每周一抽查",
            "target_kind": "staff",
            "sites": [site.id],
            "inspectors": [u.id for u in inspectors],
            "target_percent": 20,
            "inspectors_per_target": 2,
            "weekday": 0,
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:1500]
    schedule = db.session.scalars(sa.select(DrawSchedule)).one()
    assert schedule.weekday == 0 and schedule.target_percent == 20 and schedule.is_active
    assert officer.post(f"/draws/schedules/{schedule.id}/toggle").status_code == 302
    assert db.session.get(DrawSchedule, schedule.id).is_active is False
    bad = officer.post(
        "/draws/schedules/new",
        data={
            "title": "x",
            "target_kind": "staff",
            "sites": [site.id],
            "inspectors": [u.id for u in inspectors],
            "inspectors_per_target": 2,
            "weekday": 0,
        },
    )
    assert bad.status_code == 200  # neither a number nor a percentage: the form says so
    assert db.session.scalar(sa.select(sa.func.count(DrawSchedule.id))) == 1


def test_a_spot_check_covers_only_its_drawn_target(app, catalogue, hall_with_inspectors):
    site, windows, staff, inspectors = hall_with_inspectors
    draw = create_draw(
        db.session,
        None,
        title="t",
        target_kind="window",
        site_ids=[site.id],
        post_ids=None,
        inspector_ids=[u.id for u in inspectors],
        target_count=1,
        inspectors_per_target=1,
        day=local_today(),
    )
    check = db.session.scalars(sa.select(Inspection).where(Inspection.draw_id == draw.id)).one()
    lead = db.session.get(type(inspectors[0]), check.inspector_id)
    from inspections.services import Target, record_failure

    other_window = next(w for w in windows if w.id != check.target_window_id)
    for target in (Target("area"), Target("window", other_window.id)):
        with pytest.raises(DomainError):
            record_failure(
                db.session,
                lead,
                check,
                target=target,
                item_code="C01" if target.kind == "window" else "C05",
            )
    record_failure(
        db.session, lead, check, target=Target("window", check.target_window_id), item_code="C02"
    )


def test_pools_follow_the_site_and_post_filters(
    app, make_site, make_window, make_post, make_staff, make_user
):
    from inspections.draws import how_many, target_pool

    site, other = make_site(), make_site()
    key, plain = make_post(is_key=True), make_post()
    w1, w2, w3 = make_window(site=site), make_window(site=site), make_window(site=other)
    a = make_staff(site=site, post=key, window=w1)
    make_staff(site=site, post=plain, window=w2)
    make_staff(site=other, post=key, window=w3)
    make_staff(site=site, post=key, window=w1, status="left")
    today = local_today()
    assert target_pool(db.session, "staff", [site.id], [key.id], today) == [a.id]
    assert target_pool(db.session, "window", [site.id], [key.id], today) == [w1.id]
    assert target_pool(db.session, "window", [site.id], None, today) == sorted([w1.id, w2.id])
    assert how_many(7, None, 30) == 3 and how_many(7, 10, None) == 7 and how_many(0, None, 50) == 0
