"""A draft rotation plan's page is bounded: one page of moves (the rest a link away), the seats
offered once as suggestions instead of a select of every seat per move, and the same statements
for a plan of many moves on many sites as for a plan of a few. Editing from one page keeps the
moves of the other pages; a typed seat that is not offered is refused."""

from __future__ import annotations

import re

from rotation_helpers import count_statements, ring_plan

from compliance.db import db
from rotation.models import RotationPlan
from rotation.views.plans import MOVES_PER_PAGE


def _statements(client, url):
    client.get(url)
    with count_statements() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter["n"], response.get_data(as_text=True)


def _rows(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr>")


def test_plan_page_is_one_page_of_moves_with_the_same_statements(
    app, client_for, make_site, make_post, make_window, make_staff
):
    hr = client_for("hr")
    small = ring_plan(make_site, make_post, make_window, make_staff, 3)
    few, html_few = _statements(hr, f"/rotation/plans/{small.id}")
    big = ring_plan(make_site, make_post, make_window, make_staff, MOVES_PER_PAGE + 7)
    many, html = _statements(hr, f"/rotation/plans/{big.id}")
    assert many == few
    assert _rows(html_few) == 3 and _rows(html) == MOVES_PER_PAGE
    # Each seat is offered once (the datalist), not once per move.
    assert html.count('<datalist id="seat-options"') == 1
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
    plan = ring_plan(make_site, make_post, make_window, make_staff, MOVES_PER_PAGE + 3)
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
