"""Organisation rules: one current assignment, no overlapping leave, a site tree without cycles,
unique staff numbers, ordered conflict pairs, who is on duty, and an audit event for every write."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.domain import DomainError
from compliance.errors import status_of
from compliance.models import Assignment, AuditEvent, Conflict
from compliance.org import services

D = date(2026, 3, 1)


def _actions(*actions: str) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.action.in_(actions))
            .order_by(AuditEvent.id)
        )
    )


def test_new_assignment_ends_the_previous_one_the_day_before(org, actor, make_staff):
    member = make_staff(site=org.centre, post=org.post, window=org.w1, started_on=D)
    new = services.assign(
        db.session,
        actor,
        member,
        post_id=org.key_post.id,
        site_id=org.centre.id,
        window_id=org.w2.id,
        started_on=D + timedelta(days=30),
    )
    db.session.commit()
    rows = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.staff_member_id == member.id)
        .order_by(Assignment.started_on)
    ).all()
    assert [(a.started_on, a.ended_on) for a in rows] == [
        (D, D + timedelta(days=29)),
        (D + timedelta(days=30), None),
    ]
    assert services.current_assignment(db.session, member.id).id == new.id
    assert _actions("assignment.end", "assignment.create") == [
        "assignment.end",
        "assignment.create",
    ]


def test_new_assignment_must_start_after_the_current_one(org, actor, make_staff):
    member = make_staff(site=org.centre, post=org.post, started_on=D)
    with pytest.raises(DomainError) as err:
        services.assign(
            db.session, actor, member, post_id=org.post.id, site_id=org.centre.id, started_on=D
        )
    assert err.value.kind == "conflict" and err.value.field == "started_on"
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Assignment.id)).where(Assignment.staff_member_id == member.id)
        )
        == 1
    )


def test_overlapping_past_assignment_is_refused(org, actor, make_staff):
    member = make_staff(site=org.centre, post=org.post, started_on=D)
    services.assign(
        db.session,
        actor,
        member,
        post_id=org.post.id,
        site_id=org.centre.id,
        started_on=D - timedelta(days=100),
        ended_on=D - timedelta(days=50),
    )
    with pytest.raises(DomainError, match="overlap"):
        services.assign(
            db.session,
            actor,
            member,
            post_id=org.post.id,
            site_id=org.centre.id,
            started_on=D - timedelta(days=60),
            ended_on=D - timedelta(days=40),
        )
    # A range between the two is fine.
    services.assign(
        db.session,
        actor,
        member,
        post_id=org.post.id,
        site_id=org.centre.id,
        started_on=D - timedelta(days=49),
        ended_on=D - timedelta(days=1),
    )


def test_reopening_an_ended_assignment_is_refused_while_another_is_current(org, actor, make_staff):
    member = make_staff(site=org.centre, post=org.post, started_on=D)
    old = services.assign(
        db.session,
        actor,
        member,
        post_id=org.post.id,
        site_id=org.centre.id,
        started_on=D - timedelta(days=100),
        ended_on=D - timedelta(days=50),
    )
    with pytest.raises(DomainError):
        services.update_assignment(db.session, actor, old, ended_on=None)


def test_window_must_belong_to_the_assignment_site(org, actor, make_staff):
    member = make_staff(site=org.centre, assign=False)
    with pytest.raises(DomainError) as err:
        services.assign(
            db.session,
            actor,
            member,
            post_id=org.post.id,
            site_id=org.centre.id,
            window_id=org.ow.id,
            started_on=D,
        )
    assert err.value.field == "window_id"


def test_assignment_at_another_site_moves_the_home_site(org, actor, make_staff):
    member = make_staff(site=org.centre, post=org.post, started_on=D)
    services.assign(
        db.session,
        actor,
        member,
        post_id=org.post.id,
        site_id=org.hall.id,
        window_id=org.hw.id,
        started_on=D + timedelta(days=1),
    )
    assert member.site_id == org.hall.id


def test_overlapping_leave_for_the_same_person_is_refused(org, actor, make_staff):
    member = make_staff(site=org.centre)
    other = make_staff(site=org.centre)
    services.create_leave(
        db.session, actor, member, starts_on=D, ends_on=D + timedelta(days=4), reason="年休假"
    )
    with pytest.raises(DomainError) as err:
        services.create_leave(
            db.session,
            actor,
            member,
            starts_on=D + timedelta(days=4),
            ends_on=D + timedelta(days=6),
            reason="病假",
        )
    assert err.value.kind == "conflict"
    # Adjacent leave and the same days for someone else are fine.
    services.create_leave(
        db.session,
        actor,
        member,
        starts_on=D + timedelta(days=5),
        ends_on=D + timedelta(days=6),
        reason="病假",
    )
    services.create_leave(db.session, actor, other, starts_on=D, ends_on=D, reason="事假")


def test_leave_must_not_end_before_it_starts(org, actor, make_staff):
    member = make_staff(site=org.centre)
    with pytest.raises(DomainError) as err:
        services.create_leave(
            db.session, actor, member, starts_on=D, ends_on=D - timedelta(days=1), reason="年休假"
        )
    assert err.value.field == "ends_on"


def test_moving_leave_onto_other_leave_is_refused(org, actor, make_staff):
    member = make_staff(site=org.centre)
    first = services.create_leave(db.session, actor, member, starts_on=D, ends_on=D, reason="a")
    services.create_leave(
        db.session,
        actor,
        member,
        starts_on=D + timedelta(days=3),
        ends_on=D + timedelta(days=3),
        reason="b",
    )
    with pytest.raises(DomainError):
        services.update_leave(db.session, actor, first, ends_on=D + timedelta(days=3))


def test_a_site_cannot_become_its_own_ancestor(make_site, actor):
    centre = services.create_site(db.session, actor, code="C1", name="中心", kind="centre")
    hall = services.create_site(
        db.session, actor, code="H1", name="片区", kind="hall", parent_id=centre.id
    )
    station = services.create_site(
        db.session, actor, code="ST1", name="驿站", kind="station", parent_id=hall.id
    )
    with pytest.raises(DomainError, match="under itself"):
        services.update_site(db.session, actor, hall, parent_id=station.id)
    with pytest.raises(DomainError, match="under itself"):
        services.update_site(db.session, actor, hall, parent_id=hall.id)
    assert hall.parent_id == centre.id


def test_site_tree_goes_centre_hall_station(actor):
    centre = services.create_site(db.session, actor, code="C2", name="中心", kind="centre")
    station = services.create_site(
        db.session, actor, code="ST2", name="驿站", kind="station", parent_id=centre.id
    )
    with pytest.raises(DomainError):
        services.create_site(
            db.session, actor, code="H2", name="片区", kind="hall", parent_id=station.id
        )
    with pytest.raises(DomainError):
        services.create_site(
            db.session, actor, code="C3", name="中心", kind="centre", parent_id=centre.id
        )
    with pytest.raises(DomainError) as err:
        services.create_site(db.session, actor, code="C2", name="重复", kind="centre")
    assert err.value.kind == "conflict"


def test_staff_number_is_unique(org, actor):
    services.create_staff(
        db.session, actor, staff_no="X001", name="张三", hired_on=D, site_id=org.centre.id
    )
    with pytest.raises(DomainError) as err:
        services.create_staff(
            db.session, actor, staff_no="X001", name="李四", hired_on=D, site_id=org.centre.id
        )
    assert err.value.field == "staff_no" and status_of(err.value) == 409
    with pytest.raises(DomainError) as err:
        services.create_staff(
            db.session,
            actor,
            staff_no="X002",
            name="李四",
            hired_on=D,
            site_id=org.centre.id,
            phone="abc",
        )
    assert err.value.field == "phone"


def test_staff_who_leave_lose_their_current_assignment(org, actor, make_staff):
    member = make_staff(site=org.centre, started_on=D)
    services.update_staff(db.session, actor, member, status="left", today=D + timedelta(days=10))
    assert services.current_assignment(db.session, member.id) is None
    ended = db.session.scalar(sa.select(Assignment).where(Assignment.staff_member_id == member.id))
    assert ended.ended_on == D + timedelta(days=10)


def test_conflict_is_stored_lower_id_first_and_only_once(org, actor, make_staff):
    a = make_staff(site=org.centre)
    b = make_staff(site=org.centre)
    conflict = services.create_conflict(
        db.session, actor, b.id, a.id, kind="relative", reason="夫妻"
    )
    assert (conflict.staff_a_id, conflict.staff_b_id) == (a.id, b.id)
    with pytest.raises(DomainError) as err:
        services.create_conflict(db.session, actor, a.id, b.id, reason="again")
    assert err.value.kind == "conflict"
    with pytest.raises(DomainError):
        services.create_conflict(db.session, actor, a.id, a.id, reason="self")
    assert db.session.scalar(sa.select(sa.func.count(Conflict.id))) == 1


def test_on_duty_lists_assigned_staff_and_flags_leave_in_one_query(org, actor, make_staff):
    today = D + timedelta(days=40)
    here = make_staff(site=org.centre, window=org.w1, started_on=D, name="在岗甲")
    away = make_staff(site=org.centre, window=org.w2, started_on=D, name="请假乙")
    make_staff(site=org.centre, window=org.w2, started_on=today + timedelta(days=1), name="未到岗")
    make_staff(site=org.centre, window=org.w1, started_on=D, name="已停职", status="suspended")
    elsewhere = make_staff(site=org.other, window=org.ow, started_on=D, name="别处")
    moved = make_staff(site=org.centre, window=org.w1, started_on=D, name="已调岗")
    services.assign(
        db.session,
        actor,
        moved,
        post_id=org.post.id,
        site_id=org.other.id,
        window_id=org.ow.id,
        started_on=today,
    )
    services.create_leave(db.session, actor, away, starts_on=today, ends_on=today, reason="病假")
    db.session.commit()

    centre_id = org.centre.id
    statements: list[str] = []
    engine = db.session.get_bind().engine

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        rows = services.on_duty(db.session, [centre_id], today)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert [(w.code, m.name, leave) for w, m, leave in rows] == [
        ("A01", "在岗甲", False),
        ("A02", "请假乙", True),
    ]
    assert services.on_duty(db.session, [], today) == []
    assert {m.id for _w, m, _l in services.on_duty(db.session, None, today)} == {
        here.id,
        away.id,
        moved.id,
        elsewhere.id,
    }


def test_every_write_is_audited_with_before_and_after(org, actor, make_staff):
    member = services.create_staff(
        db.session, actor, staff_no="A9", name="王五", hired_on=D, site_id=org.centre.id
    )
    services.update_staff(db.session, actor, member, phone="13800000000")
    services.update_staff(db.session, actor, member, phone="13800000000")  # no change, no event
    window = services.create_window(
        db.session, actor, site_id=org.centre.id, code="A99", name="新窗口"
    )
    services.update_window(db.session, actor, window, name="改名窗口")
    post = services.create_post(db.session, actor, code="NEW", name="新岗位")
    services.update_post(db.session, actor, post, is_key=True)
    leave = services.create_leave(
        db.session, actor, member, starts_on=D, ends_on=D, reason="年休假"
    )
    services.update_leave(db.session, actor, leave, reason="调休")
    other = make_staff(site=org.centre)
    conflict = services.create_conflict(db.session, actor, member.id, other.id, reason="亲属")
    services.update_conflict(db.session, actor, conflict, kind="interest", reason="利益")
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.actor_id == actor.id).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        "staff.create",
        "staff.update",
        "window.create",
        "window.update",
        "post.create",
        "post.update",
        "leave.create",
        "leave.update",
        "conflict.create",
        "conflict.update",
    ]
    update = events[1]
    assert update.before["phone"] is None and update.after["phone"] == "13800000000"


def test_a_clash_that_slips_past_the_checks_is_a_refusal_not_a_crash(org, actor):
    from compliance.models import Post

    # As if a concurrent transaction had committed the same code between check and insert.
    with pytest.raises(DomainError) as err:
        services.common._insert(
            db.session,
            Post(code=org.post.code, name="重复"),
            "A post with code %(code)s already exists.",
            "code",
            code=org.post.code,
        )
    assert status_of(err.value) == 409
    # The transaction is still usable afterwards.
    services.create_post(db.session, actor, code="AFTER", name="之后")
    db.session.commit()


def test_demo_records_two_conflicts_between_people_at_different_sites(
    app, org, make_staff, make_user
):
    from compliance.org import _demo_conflicts

    staff = [make_staff(site=org.centre if i < 20 else org.other) for i in range(40)]
    summary = _demo_conflicts(
        app, db.session, {"staff": staff, "users": {"hr": make_user(("hr",))}}
    )
    assert summary == {"conflicts": 2}
    pairs = db.session.execute(sa.select(Conflict.staff_a_id, Conflict.staff_b_id)).all()
    assert sorted(pairs) == sorted([(staff[0].id, staff[26].id), (staff[5].id, staff[37].id)])
