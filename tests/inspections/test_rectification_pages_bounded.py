"""Detail and list pages of findings and rectifications run the same statements whatever their
rows refer to: a finding with or without a person, window and author; my rectifications with
none or many on many sites; the verification queue with one response or many, with or without
supervisors. (They differed between demo and district data: lazy and selectin loads that fire
only for some rows.)"""

from __future__ import annotations

from compliance.db import db, utcnow
from tests.inspections.rect_factories import make_finding, rect_for
from tests.inspections.test_inspections_bounded_lists import statements


def test_finding_page_runs_the_same_statements_bare_or_full(
    app, client_for, make_site, make_staff, make_window, make_user
):
    officer = client_for("discipline")
    bare_site, full_site = make_site(), make_site()
    bare = make_finding(site=bare_site)
    person = make_staff(site=full_site)
    full = make_finding(
        site=full_site,
        staff=person,
        window=make_window(site=full_site),
        found_by=make_user(roles=("inspector",), sites=[full_site]),
    )
    n_bare, _html = statements(officer, f"/findings/{bare.id}")
    n_full, html = statements(officer, f"/findings/{full.id}")
    assert n_bare == n_full
    assert person.name in html


def test_my_rectifications_run_the_same_statements_for_none_or_many(
    app, client_for, make_site, make_staff, make_window, make_user
):
    person = make_staff()
    me = client_for("staff", staff_member=person)
    none, _html = statements(me, "/rectifications/mine")
    for _ in range(4):
        site = make_site()
        make_finding(site=site, staff=person, window=make_window(site=site))
    closed = rect_for(make_finding(site=make_site(), staff=person))
    closed.status, closed.closed_at = "verified", utcnow()
    db.session.commit()
    many, html = statements(me, "/rectifications/mine")
    assert many == none
    assert html.count(f"/rectifications/{closed.id}") >= 1


def test_verification_queue_runs_the_same_statements_for_one_or_many(
    app, client_for, make_site, make_staff, make_window
):
    inspector = client_for("inspector")

    def responded(site, staff=None, supervisor=None, window=None):
        rect = rect_for(make_finding(site=site, staff=staff, window=window))
        rect.status, rect.responded_at = "responded", utcnow()
        rect.supervisor_staff_id = supervisor.id if supervisor is not None else None
        db.session.commit()
        return rect

    responded(make_site())
    one, _html = statements(inspector, "/rectifications/queue")
    for _ in range(5):
        site = make_site()
        responded(
            site,
            staff=make_staff(site=site),
            supervisor=make_staff(site=site),
            window=make_window(site=site),
        )
    many, html = statements(inspector, "/rectifications/queue")
    assert many == one
    assert html.count("/rectifications/") >= 6


def test_finding_page_of_ones_own_finding_runs_the_same_statements(
    app, client_for, make_site, make_staff
):
    site = make_site()
    inspector = client_for("inspector", sites=[site])
    other = make_finding(site=site)
    own = make_finding(site=site, staff=make_staff(site=site), found_by=inspector.user)
    n_other, _html = statements(inspector, f"/findings/{other.id}")
    n_own, html = statements(inspector, f"/findings/{own.id}")
    assert n_own == n_other
    assert inspector.user.display_name in html
