"""Checking a plan reads about the plan's people only: the rule check of a plan (on its page, on
submission) loads no assignment of a staff member the plan does not touch, and the plan's page
sends the same statements whether 5 or 50 unrelated key-post holders (most of them overdue)
work in the same centres."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import sqlalchemy as sa
from rotation_helpers import TODAY, count_statements, ring_plan

from compliance.db import db
from compliance.models import Assignment
from rotation import services
from rotation.models import RotationPlan


@contextlib.contextmanager
def assignments_loaded():
    """The staff ids of every assignment the ORM loads (or refreshes) inside the block."""
    seen: set[int] = set()

    def loaded(target, *args):
        seen.add(target.staff_member_id)

    sa.event.listen(Assignment, "load", loaded)
    sa.event.listen(Assignment, "refresh", loaded)
    try:
        yield seen
    finally:
        sa.event.remove(Assignment, "load", loaded)
        sa.event.remove(Assignment, "refresh", loaded)


def _plan_people(plan: RotationPlan) -> set[int]:
    return {m.staff_member_id for m in plan.moves} | {m.predecessor_id for m in plan.moves}


def _add_unrelated(make_staff, make_post, plan_id: int, n: int) -> None:
    """`n` staff on the plan's sites who are not in it: key-post holders, most of them overdue
    (they are what a whole tenure board would read), and a few on a non-key post."""
    key_post = make_post(is_key=True)
    other_post = make_post()
    plan = db.session.get(RotationPlan, plan_id)
    sites = sorted({m.to_site for m in plan.moves}, key=lambda s: s.id)
    for i in range(n):
        make_staff(
            site=sites[i % len(sites)],
            post=other_post if i % 5 == 4 else key_post,
            started_on=TODAY - timedelta(days=(5 if i % 3 else 1) * 365),
        )


def test_the_rule_check_reads_only_the_plan_people(
    app, make_site, make_post, make_window, make_staff
):
    plan = ring_plan(make_site, make_post, make_window, make_staff, 4)
    _add_unrelated(make_staff, make_post, plan.id, 30)
    people = _plan_people(plan)
    db.session.expunge_all()
    plan = db.session.get(RotationPlan, plan.id)
    with assignments_loaded() as seen:
        violations = services.plan_violations(db.session, plan)
    assert violations == []
    assert seen and seen <= people


def test_plan_page_reads_only_the_plan_people_and_does_not_grow_with_unrelated_staff(
    app, client_for, make_site, make_post, make_window, make_staff
):
    plan = ring_plan(make_site, make_post, make_window, make_staff, 4)
    plan_id, people = plan.id, _plan_people(plan)
    url = f"/rotation/plans/{plan_id}"
    reader, editor = client_for("discipline"), client_for("hr")

    def measure(client):
        client.get(url)
        db.session.expunge_all()
        with assignments_loaded() as seen, count_statements() as counter:
            response = client.get(url)
        assert response.status_code == 200
        assert 'class="violations"' not in response.get_data(as_text=True)
        return counter["n"], seen

    _add_unrelated(make_staff, make_post, plan_id, 5)
    few_reader, seen_few = measure(reader)
    few_editor, _ = measure(editor)
    _add_unrelated(make_staff, make_post, plan_id, 45)
    many_reader, seen_many = measure(reader)
    many_editor, _ = measure(editor)
    # A reader's page (no seat suggestions) loads the assignments of the plan's people only.
    assert seen_few and seen_few <= people and seen_many <= people
    assert many_reader == few_reader
    # The editor's page offers every key seat in scope, in the same statements.
    assert many_editor == few_editor
