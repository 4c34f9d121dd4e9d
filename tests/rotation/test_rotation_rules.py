"""Tenure, policies and the planner's rules on real records."""

from __future__ import annotations

from datetime import date, timedelta

from rotation_helpers import TODAY

from compliance.db import db
from compliance.domain import DomainError
from compliance.models import Assignment, Conflict
from rotation import planner, services
from rotation.services import add_months, months_between


def test_add_months_clamps_to_month_end():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2023, 6, 1), 36) == date(2026, 6, 1)
    assert months_between(date(2023, 6, 2), date(2026, 6, 1)) == 35


def test_tenure_board_marks_overdue_and_due_soon(scenario):
    rows = {r.staff.id: r for r in services.tenure_board(db.session, TODAY)}
    assert rows[scenario.a.id].status == "overdue"
    assert rows[scenario.b.id].status == "overdue"
    assert rows[scenario.c.id].status == "ok"
    assert scenario.d.id not in rows  # non-key post
    # 90 days before C's due date C is amber.
    due_c = rows[scenario.c.id].due_on
    rows_later = {
        r.staff.id: r for r in services.tenure_board(db.session, due_c - timedelta(days=90))
    }
    assert rows_later[scenario.c.id].status == "due_soon"
    assert rows_later[scenario.c.id].days_left == 90


def test_consecutive_assignments_on_the_same_post_count_together(scenario, make_staff):
    c_assignment = db.session.get(Assignment, scenario.c.assignments[0].id)
    started = c_assignment.started_on
    earlier = Assignment(
        staff_member_id=scenario.c.id,
        post_id=scenario.k1.id,
        site_id=scenario.dm.id,
        window_id=scenario.w1.id,
        started_on=started - timedelta(days=800),
        ended_on=started - timedelta(days=1),
    )
    db.session.add(earlier)
    db.session.commit()
    row = next(r for r in services.tenure_board(db.session, TODAY) if r.staff.id == scenario.c.id)
    assert row.tenure_start == earlier.started_on
    assert row.status == "overdue"


def test_policy_row_overrides_default(scenario, make_user):
    admin = make_user(roles=("admin",))
    services.update_policy(
        db.session,
        admin,
        scenario.k2,
        max_tenure_months=60,
        min_interval_months=12,
        cooling_off_months=24,
    )
    rows = {r.staff.id: r for r in services.tenure_board(db.session, TODAY)}
    assert rows[scenario.b.id].status == "ok"
    assert rows[scenario.a.id].status == "overdue"


def test_proposal_moves_exactly_the_due_people(scenario):
    proposal = services.propose(db.session, TODAY, candidate_ids=[scenario.d.id])
    assert proposal.ok
    moves = {m.person.id: m.seat for m in proposal.result.moves}
    # The two overdue holders swap (2 moves); the candidate and the fresh holder stay.
    assert set(moves) == {scenario.a.id, scenario.b.id}
    assert moves[scenario.a.id].post_id == scenario.k2.id
    assert moves[scenario.b.id].post_id == scenario.k1.id


def test_exempted_holder_is_not_due_and_not_moved(scenario, hr, discipline):
    services.create_exemption(
        db.session,
        hr,
        scenario.b,
        reason="临近退休",
        approver=discipline,
        starts_on=TODAY - timedelta(days=1),
        ends_on=TODAY + timedelta(days=200),
    )
    proposal = services.propose(db.session, TODAY, candidate_ids=[scenario.d.id])
    assert proposal.ok
    moved = {m.person.id for m in proposal.result.moves}
    assert scenario.b.id not in moved
    # A must move; the non-key candidate takes K1 and A takes the candidate's post.
    assert moved == {scenario.a.id, scenario.d.id}


def test_exemption_needs_an_approver_other_than_the_recorder(scenario, hr):
    import pytest

    with pytest.raises(DomainError):
        services.create_exemption(
            db.session, hr, scenario.b, reason="x", approver=hr, starts_on=TODAY, ends_on=TODAY
        )


def test_only_one_due_person_and_no_candidate_is_infeasible_and_says_why(scenario, hr, discipline):
    services.create_exemption(
        db.session,
        hr,
        scenario.b,
        reason="病休",
        approver=discipline,
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=30),
    )
    proposal = services.propose(db.session, TODAY)
    assert not proposal.ok
    texts = [v.text() for v in proposal.result.violations]
    assert any("王伟" in t for t in texts), texts


def test_cooling_off_blocks_a_return_to_a_former_post(scenario, make_user):
    # B held K1 before K2; with a 60-month cooling-off on K1, B may not go back to it yet.
    b_now = db.session.get(Assignment, scenario.b.assignments[0].id)
    db.session.add(
        Assignment(
            staff_member_id=scenario.b.id,
            post_id=scenario.k1.id,
            site_id=scenario.dm.id,
            started_on=b_now.started_on - timedelta(days=900),
            ended_on=b_now.started_on - timedelta(days=1),
        )
    )
    db.session.commit()
    services.update_policy(
        db.session,
        make_user(roles=("admin",)),
        scenario.k1,
        max_tenure_months=36,
        min_interval_months=12,
        cooling_off_months=60,
    )
    proposal = services.propose(db.session, TODAY)
    assert not proposal.ok
    texts = [v.text() for v in proposal.result.violations]
    assert proposal.result.violations[0].rule == planner.RULE_COOLING_OFF, texts
    until = add_months(b_now.started_on, 60).isoformat()
    assert any("李娜" in t and until in t for t in texts), texts


def test_qualification_blocks_unqualified_person(scenario, make_user):
    from training.models import Course

    course = Course(code="RFIN", title="收费业务培训", kind="business_skills")
    db.session.add(course)
    db.session.commit()
    admin = make_user(roles=("admin",))
    services.update_policy(
        db.session,
        admin,
        scenario.k1,
        max_tenure_months=36,
        min_interval_months=12,
        cooling_off_months=36,
        required_course_ids=[course.id],
    )
    proposal = services.propose(db.session, TODAY)
    assert not proposal.ok
    v = proposal.result.violations[0]
    assert v.rule == planner.RULE_QUALIFICATION
    assert "李娜" in v.text() and "收费业务培训" in v.text()


def test_conflict_with_someone_in_a_checking_post_forbids_the_seat(scenario, make_staff, make_user):
    # E, a relative of A, sits at window A07's neighbour post that checks K2.
    checker = make_staff(
        site=scenario.dm, post=scenario.n1, name="赵强", started_on=TODAY - timedelta(days=100)
    )
    admin = make_user(roles=("admin",))
    services.add_check_pair(db.session, admin, scenario.k2, scenario.n1, "相互制约")
    low, high = sorted((scenario.a.id, checker.id))
    db.session.add(Conflict(staff_a_id=low, staff_b_id=high, kind="relative", reason="夫妻"))
    db.session.commit()
    proposal = services.propose(db.session, TODAY)
    assert not proposal.ok
    assert any(
        v.rule == planner.RULE_CONFLICT or "赵强" in v.text() for v in proposal.result.violations
    )


def test_interval_blocks_a_candidate_who_moved_recently(scenario, make_staff):
    newcomer = make_staff(
        site=scenario.dm, post=scenario.n1, name="新人", started_on=TODAY - timedelta(days=100)
    )
    ctx = services.build_instance(db.session, TODAY, candidate_ids=[newcomer.id])
    person = next(p for p in ctx.instance.people if p.id == newcomer.id)
    assert person.block is not None and person.block[0] == planner.RULE_INTERVAL
