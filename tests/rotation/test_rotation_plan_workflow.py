"""Plans: drafted from a proposal, edited with every rule re-checked, submitted, approved or
returned by someone else, executed once on the effective date with handover pairings."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from rotation_helpers import TODAY, current

from compliance.db import db
from compliance.domain import DomainError
from compliance.models import AuditEvent
from compliance.notifications.models import Notification
from compliance.scheduler import run_job
from rotation import services
from rotation.models import RotationMove, RotationPlan
from rotation.services import MoveSpec, RulesBroken


def _draft(scenario, hr, candidates=()):
    plan = services.create_plan_from_proposal(db.session, hr, TODAY, list(candidates))
    db.session.commit()
    return plan


def test_draft_from_proposal_has_the_due_moves_and_is_audited(scenario, hr):
    plan = _draft(scenario, hr)
    assert plan.status == "draft"
    assert {m.staff_member_id for m in plan.moves} == {scenario.a.id, scenario.b.id}
    assert all(m.reason.startswith("due:") for m in plan.moves)
    actions = set(
        db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.entity_type == "RotationPlan", AuditEvent.entity_id == str(plan.id)
            )
        )
    )
    assert "rotation_plan.create" in actions


def test_edit_that_leaves_a_seat_empty_or_drops_a_due_person_is_refused(scenario, hr):
    plan = _draft(scenario, hr, [scenario.d.id])
    moves = {m.staff_member_id: m for m in plan.moves}
    # Drop B: A would take a seat still held, and B is due.
    with pytest.raises(RulesBroken) as info:
        services.update_plan_moves(
            db.session,
            hr,
            plan,
            [MoveSpec(scenario.a.id, moves[scenario.a.id].seat_assignment_id, TODAY)],
        )
    rules = {v.rule for v in info.value.violations}
    assert "tenure" in rules and "one_post" in rules
    db.session.rollback()
    # Different dates inside one swap would leave a seat empty or doubly held.
    with pytest.raises(RulesBroken) as info:
        services.update_plan_moves(
            db.session,
            hr,
            plan,
            [
                MoveSpec(scenario.a.id, moves[scenario.a.id].seat_assignment_id, TODAY),
                MoveSpec(
                    scenario.b.id,
                    moves[scenario.b.id].seat_assignment_id,
                    TODAY + timedelta(days=7),
                ),
            ],
        )
    assert "staffed" in {v.rule for v in info.value.violations}


def test_valid_edit_is_saved_with_a_rule_check(scenario, hr):
    plan = _draft(scenario, hr, [scenario.d.id])
    moves = {m.staff_member_id: m for m in plan.moves}
    new_day = TODAY + timedelta(days=14)
    services.update_plan_moves(
        db.session,
        hr,
        plan,
        [
            MoveSpec(scenario.a.id, moves[scenario.a.id].seat_assignment_id, new_day),
            MoveSpec(scenario.b.id, moves[scenario.b.id].seat_assignment_id, new_day),
        ],
    )
    db.session.commit()
    plan = db.session.get(RotationPlan, plan.id)
    assert {m.effective_on for m in plan.moves} == {new_day}


def test_author_cannot_approve_and_approver_must_be_discipline_or_admin(
    scenario, hr, discipline, make_user
):
    plan = _draft(scenario, hr)
    services.submit_plan(db.session, hr, plan)
    with pytest.raises(DomainError):
        services.approve_plan(db.session, hr, plan)
    hr_admin = make_user(roles=("hr",))
    with pytest.raises(DomainError):
        services.approve_plan(db.session, hr_admin, plan)
    services.approve_plan(db.session, discipline, plan)
    assert plan.status == "approved"
    with pytest.raises(DomainError):
        services.update_plan_moves(db.session, hr, plan, services.plan_specs(plan))


def test_returned_plan_goes_back_to_draft_and_can_be_resubmitted(scenario, hr, discipline):
    plan = _draft(scenario, hr)
    services.submit_plan(db.session, hr, plan)
    with pytest.raises(DomainError):
        services.return_plan(db.session, discipline, plan, "")
    services.return_plan(db.session, discipline, plan, "请补充说明")
    assert plan.status == "returned"
    services.submit_plan(db.session, hr, plan)
    assert plan.status == "submitted"


def test_approved_plan_executes_on_its_date_once_with_handover_pairings(
    app, scenario, hr, discipline
):
    from training.models import MentorPairing

    plan = _draft(scenario, hr)
    services.submit_plan(db.session, hr, plan)
    services.approve_plan(db.session, discipline, plan)
    db.session.commit()
    plan_id = plan.id
    old_a = current(scenario.a.id)

    before = run_job(app, "rotation.execute_moves", TODAY - timedelta(days=1))
    assert before.outcome == "success" and before.counts["executed"] == 0
    assert current(scenario.a.id).id == old_a.id

    run = run_job(app, "rotation.execute_moves", TODAY)
    assert run.outcome == "success", run.error
    assert run.counts == {"executed": 2, "blocked": 0, "pairings": 2}
    new_a, new_b = current(scenario.a.id), current(scenario.b.id)
    assert (new_a.post_id, new_a.window_id) == (scenario.k2.id, scenario.w2.id)
    assert (new_b.post_id, new_b.window_id) == (scenario.k1.id, scenario.w1.id)
    assert new_a.started_on == TODAY
    assert db.session.get(type(old_a), old_a.id).ended_on == TODAY - timedelta(days=1)
    pairings = list(
        db.session.scalars(sa.select(MentorPairing).where(MentorPairing.kind == "handover"))
    )
    assert {(p.mentor_id, p.mentee_id) for p in pairings} == {
        (scenario.b.id, scenario.a.id),
        (scenario.a.id, scenario.b.id),
    }
    assert all(p.ends_on == TODAY + timedelta(days=13) for p in pairings)
    plan = db.session.get(RotationPlan, plan_id)
    assert plan.status == "executed"
    assert not plan.is_editable

    again = run_job(app, "rotation.execute_moves", TODAY + timedelta(days=1))
    assert again.counts["executed"] == 0
    assert db.session.scalar(sa.select(sa.func.count(MentorPairing.id))) == 2
    actions = list(
        db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.action.in_(
                    ("rotation_move.execute", "assignment.create", "assignment.end")
                )
            )
        )
    )
    assert sorted(actions).count("rotation_move.execute") == 2


def test_execution_blocks_a_group_whose_people_changed_assignment(app, scenario, hr, discipline):
    plan = _draft(scenario, hr)
    services.submit_plan(db.session, hr, plan)
    services.approve_plan(db.session, discipline, plan)
    a_now = current(scenario.a.id)
    a_now.ended_on = TODAY - timedelta(days=3)
    db.session.commit()
    run = run_job(app, "rotation.execute_moves", TODAY)
    assert run.counts["blocked"] == 2 and run.counts["executed"] == 0
    statuses = set(
        db.session.scalars(sa.select(RotationMove.status).where(RotationMove.plan_id == plan.id))
    )
    assert statuses == {"blocked"}


def test_due_alerts_reach_hr_at_90_and_30_days_once(app, scenario, hr, make_user):
    other_scope_hr = make_user(roles=("hr",), sites=[scenario.wx])
    row = next(r for r in services.tenure_board(db.session, TODAY) if r.staff.id == scenario.c.id)
    due = row.due_on
    run = run_job(app, "rotation.due_alerts", due - timedelta(days=120))
    keys = set(
        db.session.scalars(sa.select(Notification.dedupe_key).where(Notification.user_id == hr.id))
    )
    assert not any(k.startswith(f"rotation-due90:{row.assignment.id}") for k in keys)
    run = run_job(app, "rotation.due_alerts", due - timedelta(days=90))
    assert run.outcome == "success", run.error
    keys = set(
        db.session.scalars(sa.select(Notification.dedupe_key).where(Notification.user_id == hr.id))
    )
    assert f"rotation-due90:{row.assignment.id}:{due}" in keys
    # C works at WX, in the scope of the WX HR user too.
    wx_keys = set(
        db.session.scalars(
            sa.select(Notification.dedupe_key).where(Notification.user_id == other_scope_hr.id)
        )
    )
    assert f"rotation-due90:{row.assignment.id}:{due}" in wx_keys
    count = db.session.scalar(sa.select(sa.func.count(Notification.id)))
    again = run_job(app, "rotation.due_alerts", due - timedelta(days=90))
    assert again.counts["notified"] == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == count
    run_job(app, "rotation.due_alerts", due - timedelta(days=30))
    keys = set(
        db.session.scalars(sa.select(Notification.dedupe_key).where(Notification.user_id == hr.id))
    )
    assert f"rotation-due30:{row.assignment.id}:{due}" in keys
    # The WX HR user hears nothing about DM holders.
    wx_keys = set(
        db.session.scalars(
            sa.select(Notification.dedupe_key).where(Notification.user_id == other_scope_hr.id)
        )
    )
    assert all(f":{current(scenario.a.id).id}:" not in k for k in wx_keys)


def test_a_person_is_not_planned_twice(scenario, hr, discipline):
    first = _draft(scenario, hr)
    services.submit_plan(db.session, hr, first)
    services.approve_plan(db.session, discipline, first)
    db.session.commit()
    # A new proposal leaves out the people the approved plan already moves.
    proposal = services.propose(db.session, TODAY)
    assert proposal.ok and proposal.result.moves == []
    assert any(f"#{first.id}" in w.text() for w in proposal.context.warnings)
    # A second draft with the same people cannot be submitted.
    second = RotationPlan(title="dup", planning_on=TODAY, status="draft", author_id=hr.id)
    db.session.add(second)
    db.session.flush()
    for m in first.moves:
        second.moves.append(
            RotationMove(
                staff_member_id=m.staff_member_id,
                from_assignment_id=m.from_assignment_id,
                seat_assignment_id=m.seat_assignment_id,
                predecessor_id=m.predecessor_id,
                to_post_id=m.to_post_id,
                to_site_id=m.to_site_id,
                to_window_id=m.to_window_id,
                effective_on=m.effective_on,
                reason=m.reason,
            )
        )
    db.session.flush()
    with pytest.raises(RulesBroken) as info:
        services.submit_plan(db.session, hr, second)
    assert any(f"plan #{first.id}" in v.text() for v in info.value.violations)


def test_executed_plan_is_reversed_by_a_new_approved_plan(
    app, scenario, hr, discipline, client_for
):
    plan = _draft(scenario, hr)
    services.submit_plan(db.session, hr, plan)
    services.approve_plan(db.session, discipline, plan)
    db.session.commit()
    run_job(app, "rotation.execute_moves", TODAY)
    plan = db.session.get(RotationPlan, plan.id)
    back_on = TODAY + timedelta(days=20)
    reversal = services.create_reversal_plan(db.session, hr, plan, back_on)
    db.session.commit()
    assert reversal.status == "draft" and reversal.id != plan.id
    assert {(m.staff_member_id, m.to_post_id) for m in reversal.moves} == {
        (scenario.a.id, scenario.k1.id),
        (scenario.b.id, scenario.k2.id),
    }
    # Going back is not held against the interval or the cooling-off.
    assert services.plan_violations(db.session, reversal) == []
    services.submit_plan(db.session, hr, reversal)
    services.approve_plan(db.session, discipline, reversal)
    db.session.commit()
    run = run_job(app, "rotation.execute_moves", back_on)
    assert run.counts["executed"] == 2
    assert current(scenario.a.id).post_id == scenario.k1.id
    # Only an executed plan can be reversed.
    with pytest.raises(DomainError):
        services.create_reversal_plan(
            db.session, hr, RotationPlan(title="x", planning_on=TODAY, status="approved"), back_on
        )


def test_due_alerts_are_written_in_each_recipients_language(app, scenario, hr, make_user):
    english_hr = make_user(roles=("hr",))
    english_hr.locale = "en"
    hr.locale = None  # no choice: the configured default language
    db.session.commit()
    row = next(r for r in services.tenure_board(db.session, TODAY) if r.staff.id == scenario.c.id)
    run = run_job(app, "rotation.due_alerts", row.due_on - timedelta(days=90))
    assert run.outcome == "success", run.error
    key = f"rotation-due90:{row.assignment.id}:{row.due_on}"

    def alert(user):
        return db.session.scalar(
            sa.select(Notification).where(
                Notification.user_id == user.id, Notification.dedupe_key == key
            )
        )

    english, default = alert(english_hr), alert(hr)
    assert english.title.startswith("Rotation due: ") and "months in post" in english.body
    assert default.title.startswith("轮岗提醒") and "已任职" in default.body
    assert row.staff.name in english.title and row.staff.name in default.title
