"""Bounded lists of the inspections package: the flagged list (约谈), the findings and inspections
lists by date and the discipline panel show one page and run the same number of SQL statements
with many rows as with few; their links keep the filters."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db, utcnow
from compliance.models import Site, StaffMember
from compliance.pagination import PER_PAGE, decode_cursor, encode_cursor
from inspections.models import Finding, Inspection
from inspections.rectification.views.common import PER_PAGE as RECT_PER_PAGE
from tests.statements import count_statements

_n = itertools.count(1)


def statements(client, url) -> tuple[int, str]:
    client.get(url)  # warm: caches of settings and scope are per request, but be fair
    with count_statements() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter["n"], response.get_data(as_text=True)


def build_people(n: int, offences: int = 2, *, own_sites: bool = True, site=None):
    """`n` staff members, each on a site of their own (so a lazy `row.staff.site` would cost a
    statement per row), each with `offences` findings today. Bulk inserts."""
    now = utcnow()
    sites = []
    if own_sites:
        for _ in range(n):
            k = next(_n)
            sites.append(Site(code=f"BL{k}", name=f"场所{k}", kind="station"))
        db.session.add_all(sites)
        db.session.flush()
    people = []
    for i in range(n):
        k = next(_n)
        people.append(
            StaffMember(
                staff_no=f"BL{k:06d}",
                name=f"员工{k:06d}",
                site_id=(sites[i] if own_sites else site).id,
                hired_on=now.date() - timedelta(days=400),
            )
        )
    db.session.add_all(people)
    db.session.flush()
    db.session.add_all(
        Finding(
            category="attire",
            target="staff",
            site_id=p.site_id,
            staff_member_id=p.id,
            severity="minor",
            description="未按规定着装",
            found_at=now - timedelta(minutes=j + 1),
        )
        for p in people
        for j in range(offences)
    )
    db.session.commit()
    return people


def table_rows(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr")


# --------------------------------------------------------------------------- flagged (约谈)


def test_flagged_list_is_one_page_with_the_same_statements_for_6_and_60_people(app, client_for):
    officer = client_for("discipline")
    build_people(6)
    few, html_few = statements(officer, "/rectifications/flagged")
    assert table_rows(html_few) == 6
    build_people(54, offences=3)
    many, html_many = statements(officer, "/rectifications/flagged")
    assert many == few
    assert table_rows(html_many) == RECT_PER_PAGE
    assert 'rel="next"' in html_many
    # Most offences first: the 54 people with three come before the 6 with two.
    assert html_many.index('data-level="talk"') < html_many.index("</tbody>")
    assert 'data-level="written_notice"' not in html_many.split("</tbody>")[0]
    last, html_last = statements(officer, "/rectifications/flagged?page=2")
    assert last == few
    assert table_rows(html_last) == 60 - RECT_PER_PAGE
    assert 'rel="prev"' in html_last and 'rel="next"' not in html_last


def test_flagged_list_follows_the_scope(app, client_for, make_site):
    mine = make_site()
    build_people(3, own_sites=False, site=mine)
    build_people(4)
    officer = client_for("discipline", sites=[mine])
    _n_statements, html = statements(officer, "/rectifications/flagged")
    assert table_rows(html) == 3


def test_discipline_panel_asks_for_ten_rows_and_the_count(app, client_for):
    officer = client_for("discipline")
    build_people(4, offences=3)
    few, html_few = statements(officer, "/dashboard")
    build_people(40, offences=3)
    many, html_many = statements(officer, "/dashboard")
    assert many == few
    panel = html_many.split('id="panel-rectification-oversight"', 1)[1].split("</section>", 1)[0]
    assert panel.count("<li>") == 10
    assert "34" in panel  # "and 34 more"


def test_discipline_panel_runs_the_same_statements_with_nobody_flagged(app, client_for):
    officer = client_for("discipline")
    none, html_none = statements(officer, "/dashboard")
    assert 'id="panel-rectification-oversight"' in html_none
    build_people(15, offences=3)
    many, html_many = statements(officer, "/dashboard")
    assert many == none
    panel = html_many.split('id="panel-rectification-oversight"', 1)[1].split("</section>", 1)[0]
    assert panel.count("<li>") == 10
    assert "5" in panel.split("</ul>", 1)[1]  # "and 5 more"


# --------------------------------------------------------------------------- findings by date


def test_findings_list_pages_by_date_with_constant_statements(app, client_for, make_site):
    site = make_site()
    admin = client_for("admin")
    build_people(3, offences=2, own_sites=False, site=site)
    few, html_few = statements(admin, f"/findings?site={site.id}&severity=minor")
    assert table_rows(html_few) == 6
    build_people(40, offences=2)  # other sites: filtered out
    build_people(40, offences=2, own_sites=False, site=site)
    many, html = statements(admin, f"/findings?site={site.id}&severity=minor")
    assert many == few
    assert table_rows(html) == PER_PAGE
    # Walk every page through the "Older" links: each finding once, newest first, the filters
    # kept in every link.
    wanted = list(
        db.session.execute(
            sa.select(Finding.id)
            .where(Finding.site_id == site.id)
            .order_by(Finding.found_at.desc(), Finding.id.desc())
        ).scalars()
    )
    seen, url, pages = [], f"/findings?site={site.id}&severity=minor", 0
    while url:
        n, html = statements(admin, url)
        assert n == few
        seen += [int(x) for x in re.findall(r'href="/findings/(\d+)"', html)]
        nxt = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        if url:
            assert f"site={site.id}" in url and "severity=minor" in url and "after=" in url
        pages += 1
    assert seen == wanted and pages == 3
    # And back: "Newer" from the last page shows the page before it.
    prev = re.search(r'<a rel="prev" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    _n2, back = statements(admin, prev)
    assert [int(x) for x in re.findall(r'href="/findings/(\d+)"', back)] == wanted[30:60]


def test_a_cursor_that_does_not_parse_shows_the_first_page(app, client_for, make_site):
    site = make_site()
    build_people(2, own_sites=False, site=site)
    admin = client_for("admin")
    for bad in ("x", "2026-13-01T00:00:00_1", "2026-01-01T00:00:00+08:00_1", "_", "a_1" * 30):
        response = admin.get("/findings", query_string={"site": site.id, "after": bad})
        assert response.status_code == 200
        assert table_rows(response.get_data(as_text=True)) == 4


def test_cursor_round_trip():
    moment = utcnow()
    assert decode_cursor(encode_cursor(moment, 42)) == (moment, 42)
    assert decode_cursor(None) is None and decode_cursor("2026-01-01_x") is None


# --------------------------------------------------------------------------- inspections


def _rounds(site, inspector, n):
    now = utcnow()
    db.session.add_all(
        Inspection(
            uuid=str(uuid.uuid4()),
            site_id=site.id,
            inspector_id=inspector.id,
            status="submitted",
            started_at=now - timedelta(hours=i + 1),
            submitted_at=now - timedelta(hours=i),
        )
        for i in range(n)
    )
    db.session.commit()


@pytest.mark.parametrize("flagged", ["", "&flagged=1"])
def test_inspections_list_pages_by_date_with_constant_statements(
    app, client_for, make_site, make_user, flagged
):
    site = make_site()
    reader = client_for("discipline")
    inspectors = [make_user(roles=("inspector",)) for _ in range(3)]
    for who in inspectors:
        _rounds(site, who, 2)
    url = f"/inspections?site={site.id}{flagged}"
    few, html_few = statements(reader, url)
    for who in inspectors:
        _rounds(site, who, 20)
    many, html = statements(reader, url)
    assert many == few
    if not flagged:
        assert table_rows(html) == PER_PAGE
        nxt = re.search(r'<a rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
        assert f"site={site.id}" in nxt
        n, older = statements(reader, nxt)
        assert n == few and table_rows(older) == PER_PAGE
        last = re.search(r'<a rel="next" href="([^"]+)"', older).group(1).replace("&amp;", "&")
        n, oldest = statements(reader, last)
        assert n == few and table_rows(oldest) == 66 - 2 * PER_PAGE
        assert 'rel="next"' not in oldest


# --------------------------------------------------------------------------- rectification board


def test_board_has_no_staff_dropdown_and_filters_by_a_typed_code(app, client_for, make_site):
    from tests.inspections.rect_factories import make_finding

    site = make_site()
    officer = client_for("discipline")
    people = build_people(3, offences=0, own_sites=False, site=site)
    make_finding(site=site, staff=people[0])
    make_finding(site=site, staff=people[1])
    few, html = statements(officer, "/rectifications")
    build_people(300, offences=0, own_sites=False, site=site)
    many, html = statements(officer, "/rectifications")
    assert many == few
    assert 'name="responsible"' not in html
    assert html.count("<option") < 40  # the sites and the short lists, not 303 people
    assert 'data-staff-search="/org/staff/lookup"' in html and 'for="f-resp"' in html
    # Without JavaScript: the typed code (any case) filters, and the pager keeps it.
    code = people[0].staff_no.lower()
    filtered = officer.get(f"/rectifications?responsible_no={code}").get_data(as_text=True)
    assert 'data-count="total">1<' in filtered and people[0].name in filtered
    unknown = officer.get("/rectifications?responsible_no=NOPE").get_data(as_text=True)
    assert 'data-count="total">0<' in unknown and 'id="f-resp-error"' in unknown
    # Someone outside the officer's scope is not found by code either.
    elsewhere = client_for("discipline", sites=[make_site()])
    outside = elsewhere.get(f"/rectifications?responsible_no={code}").get_data(as_text=True)
    assert 'id="f-resp-error"' in outside
