"""The inspections list and an inspection's detail page run the same number of SQL statements
whatever their rows hold: patrols or spot checks with a drawn team, flagged or not, findings with
photos or none, one's own round or someone else's (issue 17: the demo and the district database
differed by two to four statements)."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest

from compliance.db import db, utcnow
from inspections.models import Finding, Inspection, InspectionFlag, InspectionInspector, Photo
from tests.inspections.test_inspections_bounded_lists import statements, table_rows

_n = itertools.count(1)


def make_round(site, inspector, *, team=(), flagged=False, findings=0, photos=0, hours=1):
    """A submitted round: a patrol by `inspector`, or a spot check drawn for `team` (all signed);
    with a plausibility flag, `findings` findings and `photos` photos on each finding."""
    now = utcnow()
    inspection = Inspection(
        uuid=str(uuid.uuid4()),
        kind="spot_check" if team else "patrol",
        site_id=site.id,
        inspector_id=(team[0] if team else inspector).id,
        status="submitted",
        started_at=now - timedelta(hours=hours),
        submitted_at=now - timedelta(hours=hours) + timedelta(minutes=20),
        failure_count=findings,
    )
    db.session.add(inspection)
    db.session.flush()
    for position, member in enumerate(team):
        db.session.add(
            InspectionInspector(
                inspection_id=inspection.id,
                user_id=member.id,
                position=position,
                opened_at=inspection.started_at,
                signed_at=inspection.submitted_at,
            )
        )
    if flagged:
        db.session.add(
            InspectionFlag(
                inspection_id=inspection.id,
                code="too_fast",
                detail={"seconds": 30, "windows": 4, "minimum": 240, "per_window": 60},
            )
        )
    for _ in range(findings):
        finding = Finding(
            inspection_id=inspection.id,
            category="attire",
            target="area",
            site_id=site.id,
            severity="minor",
            description="未按规定着装",
            found_by_id=inspection.inspector_id,
            found_at=inspection.submitted_at,
        )
        db.session.add(finding)
        db.session.flush()
        for _ in range(photos):
            k = next(_n)
            db.session.add(
                Photo(
                    sha256=f"{k:064x}",
                    storage_key=f"stmt-{k}-{uuid.uuid4().hex}",
                    original_format="JPEG",
                    width=64,
                    height=48,
                    size_bytes=1000,
                    finding_id=finding.id,
                    uploaded_by_id=inspection.inspector_id,
                )
            )
    db.session.commit()
    return inspection


@pytest.mark.parametrize("role", ["admin", "discipline", "leader"])
def test_inspections_list_runs_the_same_statements_with_one_and_many_kinds_of_rows(
    app, client_for, make_site, make_user, role
):
    site = make_site()
    reader = client_for(role, sites=None if role != "leader" else [site])
    lone = make_user(roles=("inspector",), sites=[site])
    make_round(site, lone)
    one, html_one = statements(reader, "/inspections")
    assert table_rows(html_one) == 1
    # Patrols by many inspectors, spot checks whose teams are and are not among them, flagged
    # rounds, findings with photos: the same statements.
    people = [make_user(roles=("inspector",), sites=[site]) for _ in range(6)]
    for i, who in enumerate(people):
        make_round(site, who, flagged=i % 2 == 0, findings=i % 3, photos=1, hours=i + 2)
    make_round(site, None, team=people[:2], flagged=True, hours=10)
    others = [make_user(roles=("inspector",), sites=[site]) for _ in range(3)]
    make_round(site, None, team=others, findings=2, photos=2, hours=11)
    make_round(site, None, team=[reader.user, lone], hours=12)
    many, html_many = statements(reader, "/inspections")
    assert table_rows(html_many) == 10
    assert many == one
    for member in others:
        assert member.display_name in html_many


@pytest.mark.parametrize("role", ["inspector", "admin", "discipline", "leader"])
def test_inspection_detail_runs_the_same_statements_whatever_the_round_holds(
    app, client_for, make_site, make_user, role
):
    site = make_site()
    reader = client_for(role, sites=[site])
    colleague = make_user(roles=("inspector",), sites=[site], display_name="督查乙")
    team = [colleague, *(make_user(roles=("inspector",), sites=[site]) for _ in range(2))]
    own = make_round(site, reader.user)
    found = make_round(site, colleague, findings=3, photos=2, flagged=True)
    drawn = make_round(site, None, team=team, flagged=True, findings=1, photos=1)
    signed = make_round(site, None, team=[reader.user, colleague])
    counts = {}
    for inspection in (own, found, drawn, signed):
        counts[inspection.id], html = statements(reader, f"/inspections/{inspection.id}")
        assert all(m.user.display_name in html for m in inspection.team)
    assert len(set(counts.values())) == 1, counts
    assert reader.get(f"/inspections/{found.id}").get_data(as_text=True).count('class="thumb"') == 6
    assert reader.get(f"/inspections/{drawn.id}").get_data(as_text=True).count('class="thumb"') == 1
