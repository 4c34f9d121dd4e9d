"""The seat lookup behind the plan page's seat inputs (search-as-you-type): the editors' roles,
scope, matching by holder name and seat number, a bounded answer in the order of the seat list,
422 naming the field; and the plan page listing the plan's own seats only, while a seat number
typed by hand is still checked against every key seat in scope."""

from __future__ import annotations

import re

import pytest
from rotation_helpers import ring_plan

from compliance.db import db
from compliance.lookups import MAX_LIMIT
from compliance.models import Assignment, Site
from rotation import services

URL = "/rotation/seats/lookup"


@pytest.fixture
def world(app, make_site, make_post, make_window, make_staff):
    """A draft ring plan of 3 moves; 30 key seats at `here` (held by 王小n), 3 at `there`
    (王大n, outside the HR user's scope) and a non-key seat at `here` (王非)."""
    plan = ring_plan(make_site, make_post, make_window, make_staff, 3)
    here, there = make_site(), make_site()
    key = make_post(is_key=True)
    mine = [
        make_staff(site=here, post=key, window=make_window(site=here), name=f"王小{n}")
        for n in range(30)
    ]
    theirs = [
        make_staff(site=there, post=key, window=make_window(site=there), name=f"王大{n}")
        for n in range(3)
    ]
    make_staff(site=here, post=make_post(), window=make_window(site=here), name="王非")
    db.session.commit()
    seat = {
        a.staff_member_id: a
        for a in db.session.scalars(
            db.select(Assignment).where(
                Assignment.staff_member_id.in_([s.id for s in mine + theirs])
            )
        )
    }
    plan_sites = [db.session.get(Site, m.to_site_id) for m in plan.moves]
    return {
        "plan": plan,
        "here": here,
        "scope": plan_sites + [here],
        "mine": [seat[s.id] for s in mine],
        "theirs": [seat[s.id] for s in theirs],
    }


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [r["id"] for r in response.get_json()["results"]]


@pytest.mark.parametrize("role", ["discipline", "leader", "inspector", "staff"])
def test_readers_without_edit_rights_get_403(client_for, world, role):
    assert client_for(role).get(f"{URL}?q=王").status_code == 403


def test_lookup_is_scoped_bounded_and_in_seat_list_order(client_for, world):
    hr = client_for("hr", sites=world["scope"])
    found = _ids(hr.get(f"{URL}?q=王"))
    assert len(found) == MAX_LIMIT
    in_scope = {s.id for s in world["scope"]}
    expected = [o.id for o in services.seat_options(db.session, in_scope) if "王" in o.label]
    assert found == expected[:MAX_LIMIT]
    assert len(_ids(hr.get(f"{URL}?q=王&limit=5"))) == 5
    # Outside the user's sites: never returned; by someone of every site: found.
    assert _ids(hr.get(f"{URL}?q=王大")) == []
    assert world["theirs"][0].id not in _ids(hr.get(f"{URL}?q={world['theirs'][0].id}"))
    assert set(_ids(client_for("admin").get(f"{URL}?q=王大"))) == {a.id for a in world["theirs"]}
    # A non-key seat is not a seat a move may target.
    assert _ids(hr.get(f"{URL}?q=王非")) == []
    # Nothing typed, nothing suggested; wildcards are literal.
    assert _ids(hr.get(URL)) == [] and _ids(hr.get(f"{URL}?q=%25")) == []


def test_lookup_by_holder_name_and_by_seat_number(client_for, world):
    hr = client_for("hr", sites=world["scope"])
    seat = world["mine"][7]
    answer = hr.get(f"{URL}?q=王小7").get_json()["results"]
    assert answer == [
        {
            "id": seat.id,
            "label": f"{seat.post.name} · {seat.site.name} {seat.window.code} (王小7)",
        }
    ]
    # The seat number first, even when other seats' codes or names contain the digits.
    assert _ids(hr.get(f"{URL}?q={seat.id}"))[0] == seat.id
    # By window code, case-insensitively.
    assert seat.id in _ids(hr.get(f"{URL}?q={seat.window.code.lower()}"))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("q=" + "x" * 41, "q"),
        ("q=a&limit=0", "limit"),
        ("q=a&limit=21", "limit"),
        ("q=a&limit=-1", "limit"),
        ("q=a&limit=x", "limit"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client_for, query, field):
    response = client_for("hr").get(f"{URL}?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_control_characters_are_refused(client_for):
    response = client_for("hr").get(f"{URL}?q=a%00b")
    assert 400 <= response.status_code < 500


def _datalist(html: str) -> str:
    return re.search(r'<datalist id="seat-options"[^>]*>(.*?)</datalist>', html, re.S).group(1)


def test_plan_page_lists_the_plans_seats_only_and_a_typed_seat_is_still_checked(client_for, world):
    plan = world["plan"]
    hr = client_for("hr", sites=world["scope"])
    html = hr.get(f"/rotation/plans/{plan.id}").get_data(as_text=True)
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', _datalist(html))}
    assert offered == {m.seat_assignment_id for m in plan.moves}  # not the 30 key seats here
    assert "王小" not in html and 'data-seat-search="/rotation/seats/lookup"' in html
    move = plan.moves[0]
    # A key seat in scope typed by hand is offered (the ring's rules then refuse the change),
    refused = "不在可选席位中"
    typed = {f"seat_{move.id}": str(world["mine"][0].id)}
    page = hr.post(f"/rotation/plans/{plan.id}/edit", data=typed, follow_redirects=True)
    assert page.status_code == 200 and refused not in page.get_data(as_text=True)
    # a seat outside the user's sites is not.
    typed = {f"seat_{move.id}": str(world["theirs"][0].id)}
    page = hr.post(f"/rotation/plans/{plan.id}/edit", data=typed, follow_redirects=True)
    assert refused in page.get_data(as_text=True)
    # The plan is unchanged.
    db.session.expire_all()
    assert (
        db.session.get(type(plan), plan.id).moves[0].seat_assignment_id == move.seat_assignment_id
    )
