"""A draft rotation plan's page is bounded: one page of moves (the rest a link away), the seats
offered once as suggestions instead of a select of every seat per move, and the same statements
for a plan of many moves on many sites as for a plan of a few. Editing from one page keeps the
moves of the other pages; a typed seat that is not offered is refused."""

from __future__ import annotations

import contextlib
import re

import sqlalchemy as sa
from rotation_helpers import TODAY

from compliance.db import db
from compliance.models import Assignment
from rotation.models import RotationMove, RotationPlan
from rotation.views.plans import MOVES_PER_PAGE


@contextlib.contextmanager
def count_statements():
    counter = {"n": 0}

    def before(conn, cursor, statement, parameters, context, executemany):
        counter["n"] += 1

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def _statements(client, url):
    client.get(url)
    with count_statements() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter["n"], response.get_data(as_text=True)


def _ring_plan(make_site, make_post, make_window, make_staff, n: int) -> RotationPlan:
    """`n` key-post holders, each on a post, site and window of their own, moving round a ring
    (each takes the next one's seat on the same day): a valid draft plan of `n` moves."""
    people = []
    for _ in range(n):
        site = make_site()
        post = make_post(is_key=True)
        people.append(make_staff(site=site, post=post, window=make_window(site=site)))
    seats = {
        a.staff_member_id: a
        for a in db.session.scalars(
            sa.select(Assignment).where(Assignment.staff_member_id.in_([p.id for p in people]))
        )
    }
    plan = RotationPlan(title=f"轮岗{n}", planning_on=TODAY, status="draft")
    db.session.add(plan)
    db.session.flush()
    for i, person in enumerate(people):
        nxt = people[(i + 1) % n]
        seat = seats[nxt.id]
        db.session.add(
            RotationMove(
                plan_id=plan.id,
                staff_member_id=person.id,
                from_assignment_id=seats[person.id].id,
                seat_assignment_id=seat.id,
                predecessor_id=nxt.id,
                to_post_id=seat.post_id,
                to_site_id=seat.site_id,
                to_window_id=seat.window_id,
                effective_on=TODAY,
                reason="candidate",
            )
        )
    db.session.commit()
    return plan


def _rows(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr>")


def test_plan_page_is_one_page_of_moves_with_the_same_statements(
    app, client_for, make_site, make_post, make_window, make_staff
):
    hr = client_for("hr")
    small = _ring_plan(make_site, make_post, make_window, make_staff, 3)
    few, html_few = _statements(hr, f"/rotation/plans/{small.id}")
    big = _ring_plan(make_site, make_post, make_window, make_staff, MOVES_PER_PAGE + 7)
    many, html = _statements(hr, f"/rotation/plans/{big.id}")
    assert many == few
    assert _rows(html_few) == 3 and _rows(html) == MOVES_PER_PAGE
    # Each seat is offered once (the datalist), not once per move.
    assert html.count('<datalist id="seat-options">') == 1
    assert html.count('list="seat-options"') == MOVES_PER_PAGE + 1  # each move and "add"
    assert html.count("<option value=") < 2 * (MOVES_PER_PAGE + 7) + 10
    assert "<select" not in html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    # The rest of the plan is on the next page.
    nxt = re.search(r'<a rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    n, second = _statements(hr, nxt)
    assert n == few and _rows(second) == 7


def test_editing_one_page_keeps_the_other_pages_and_refuses_a_seat_not_offered(
    app, client_for, make_site, make_post, make_window, make_staff
):
    hr = client_for("hr")
    plan = _ring_plan(make_site, make_post, make_window, make_staff, MOVES_PER_PAGE + 3)
    moves = sorted(plan.moves, key=lambda m: m.id)
    before = {m.id: (m.seat_assignment_id, m.effective_on) for m in moves}
    # Save page 1 as shown (its fields only): the plan, every page, is unchanged and valid.
    page_one = {f"seat_{m.id}": str(m.seat_assignment_id) for m in moves[:MOVES_PER_PAGE]} | {
        f"date_{m.id}": m.effective_on.isoformat() for m in moves[:MOVES_PER_PAGE]
    }
    assert 'class="violations"' not in hr.get(f"/rotation/plans/{plan.id}").get_data(as_text=True)
    response = hr.post(f"/rotation/plans/{plan.id}/edit", data=page_one, follow_redirects=True)
    assert response.status_code == 200
    assert "flash-danger" not in response.get_data(as_text=True)
    assert "计划已修改" in response.get_data(as_text=True)
    db.session.expire_all()
    after = db.session.get(RotationPlan, plan.id)
    assert {m.id: (m.seat_assignment_id, m.effective_on) for m in after.moves} == before
    # A typed number that is not an offered seat is refused with a message, nothing changes.
    response = hr.post(
        f"/rotation/plans/{plan.id}/edit",
        data={f"seat_{moves[0].id}": "999999999"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "flash-danger" in html and "999999999" in html
    db.session.expire_all()
    after = db.session.get(RotationPlan, plan.id)
    assert {m.id: (m.seat_assignment_id, m.effective_on) for m in after.moves} == before
