"""Scheduled work: executing approved moves on their date, and due-date alerts to HR."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.access import site_tree_ids
from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.domain import N_, DomainError
from compliance.models import Assignment, User, UserRole
from compliance.notifications import notify_each
from compliance.settings import get_setting
from training import public as training_public

from ..models import (
    RotationMove,
    RotationPlan,
)
from .tenure import tenure_board

logger = logging.getLogger(__name__)

# --- execution -----------------------------------------------------------------------------


def execute_due_moves(session: Session, run_on: date, actor: User | None = None) -> dict:
    """Execute every planned move of approved plans dated on or before `run_on`.

    Moves of one plan and one date execute together (a cycle must switch at once): old
    assignments end the day before, new ones start on the date, the previous holder of each seat
    mentors the successor (a handover pairing in training). A move executes once; a group whose
    people changed assignment since approval is blocked, not half-done.
    """
    query = (
        sa.select(RotationMove)
        .join(RotationPlan)
        .where(
            RotationPlan.status == "approved",
            RotationMove.status == "planned",
            RotationMove.effective_on <= run_on,
        )
        .order_by(RotationMove.plan_id, RotationMove.effective_on, RotationMove.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=RotationMove, skip_locked=True)
    moves = list(session.scalars(query))
    groups: dict[tuple[int, date], list[RotationMove]] = defaultdict(list)
    for m in moves:
        groups[(m.plan_id, m.effective_on)].append(m)
    weeks = int(get_setting(session, "rotation.handover_weeks"))
    counts = {"executed": 0, "blocked": 0, "pairings": 0}

    touched_plans = set()
    for (plan_id, effective_on), group in groups.items():
        touched_plans.add(plan_id)
        stale = [
            m
            for m in group
            if m.from_assignment.ended_on is not None
            or m.from_assignment.staff_member_id != m.staff_member_id
        ]
        if stale:
            for m in group:
                m.status = "blocked"
                m.note = "assignment changed since approval"
                record(session, actor, "rotation_move.block", m, reason=m.note)
            counts["blocked"] += len(group)
            continue
        for m in group:
            old = m.from_assignment
            before = snapshot(old)
            old.ended_on = max(old.started_on, effective_on - timedelta(days=1))
            record(session, actor, "assignment.end", old, before=before)
        session.flush()
        for m in group:
            new = Assignment(
                staff_member_id=m.staff_member_id,
                post_id=m.to_post_id,
                site_id=m.to_site_id,
                window_id=m.to_window_id,
                started_on=effective_on,
                note=f"rotation plan #{plan_id}",
            )
            session.add(new)
            session.flush()
            record(session, actor, "assignment.create", new)
            member = m.staff_member
            if member.site_id != m.to_site_id:
                before = snapshot(member)
                member.site_id = m.to_site_id
                session.flush()
                record(session, actor, "staff_member.update", member, before=before)
            m.new_assignment_id = new.id
            m.status = "executed"
            m.executed_at = utcnow()
            try:
                with session.begin_nested():
                    pairing = training_public.create_handover_pairing(
                        session,
                        actor,
                        mentor=m.predecessor,
                        mentee=member,
                        starts_on=effective_on,
                        weeks=weeks,
                        post=m.to_post,
                    )
                m.handover_pairing_id = pairing.id
                counts["pairings"] += 1
            except DomainError as exc:
                m.note = f"handover pairing not created: {exc}"[:500]
            session.flush()
            record(session, actor, "rotation_move.execute", m)
            counts["executed"] += 1
    for plan_id in touched_plans:
        plan = session.get(RotationPlan, plan_id)
        if all(m.status != "planned" for m in plan.moves):
            before = snapshot(plan)
            plan.status = "executed"
            plan.executed_at = utcnow()
            session.flush()
            record(session, actor, "rotation_plan.execute", plan, before=before)
    session.flush()
    return counts


# --- alerts --------------------------------------------------------------------------------


def send_due_alerts(session: Session, run_on: date) -> dict:
    """Notify HR 90 and 30 days before each key holder's due date (once per threshold), each
    in their own language."""
    rows = [r for r in tenure_board(session, run_on) if r.exemption is None and r.days_left <= 90]
    if not rows:
        return {"notified": 0}
    hr_users = list(
        session.scalars(
            sa.select(User).join(UserRole).where(UserRole.role == "hr", User.active).distinct()
        )
    )
    scopes = {
        u.id: None if u.all_sites else site_tree_ids(session, u.scope_site_ids) for u in hr_users
    }
    created = 0
    for r in rows:
        threshold = 30 if r.days_left <= 30 else 90
        users = [u for u in hr_users if scopes[u.id] is None or r.site.id in scopes[u.id]]
        title = (
            N_("Rotation due: %(name)s (%(post)s) reaches the tenure limit on %(due)s")
            if r.days_left > 0
            else N_("Rotation overdue: %(name)s (%(post)s) reached the tenure limit on %(due)s")
        )
        created += notify_each(
            session,
            users,
            "rotation.due",
            title,
            body_msgid=N_("%(site)s, %(months)s months in post"),
            link="/rotation/",
            entity=r.assignment,
            dedupe_key=f"rotation-due{threshold}:{r.assignment.id}:{r.due_on}",
            name=r.staff.name,
            post=r.post.name,
            due=r.due_on.isoformat(),
            site=r.site.name,
            months=r.months,
        )
    return {"notified": created}
