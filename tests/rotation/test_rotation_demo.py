"""On the demo centre: the tenure board shows who is due, the proposal moves exactly them, and
the approved plan executes once with handover pairings."""

from __future__ import annotations

import sqlalchemy as sa
from rotation_brute_force import brute_force

from compliance.db import db
from compliance.demo import load_demo
from compliance.models import User
from compliance.scheduler import run_job
from compliance.timeutil import local_today
from rotation import planner, services


def test_demo_proposal_moves_exactly_the_due_holders_and_executes_once(app):
    with app.test_request_context():
        summary = load_demo(app, db.session)
        db.session.commit()
    assert summary["rotation_policies"] == 3
    today = local_today()
    board = services.tenure_board(db.session, today)
    due = {r.staff.id for r in board if r.status == "overdue" and r.exemption is None}
    assert due, "the demo has long-serving key-post holders"
    assert any(r.exemption is not None for r in board)
    proposal = services.propose(db.session, today)
    assert proposal.ok, [v.text() for v in proposal.result.violations]
    assert {m.person.id for m in proposal.result.moves} == due
    for m in proposal.result.moves:
        assert not planner.arc_violations(proposal.context.instance, m.person, m.seat)
    # Small enough to check optimality against every permutation.
    assert len(proposal.context.instance.people) <= 8
    assert proposal.result.cost == brute_force(proposal.context.instance)

    hr = db.session.scalar(sa.select(User).where(User.username == "hr"))
    discipline = db.session.scalar(sa.select(User).where(User.username == "discipline"))
    plan = services.create_plan_from_proposal(db.session, hr, today)
    services.submit_plan(db.session, hr, plan)
    services.approve_plan(db.session, discipline, plan)
    db.session.commit()
    first = run_job(app, "rotation.execute_moves", today)
    assert first.outcome == "success", first.error
    assert first.counts["executed"] == len(due)
    assert first.counts["pairings"] + sum(1 for m in plan.moves if m.note) >= len(due)
    second = run_job(app, "rotation.execute_moves", today)
    assert second.counts["executed"] == 0
    after = {r.staff.id: r for r in services.tenure_board(db.session, today)}
    assert all(after[staff_id].status == "ok" for staff_id in due)
