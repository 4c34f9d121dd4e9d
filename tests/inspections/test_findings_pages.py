"""Lists of inspections and findings with filters, and detail pages with photos."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa

from compliance.db import db
from compliance.timeutil import local_today
from inspections.models import Finding, Inspection
from inspections.services import Target, record_failure, start_round, submit_round


def _round(user, site, failures):
    inspection = start_round(db.session, user, site)
    for target, code, severity in failures:
        record_failure(
            db.session, user, inspection, target=target, item_code=code, severity=severity
        )
    submit_round(db.session, user, inspection, require_photos=False)
    db.session.commit()
    return inspection


def test_finding_filters_narrow_the_list(app, client_for, catalogue, make_hall):
    site, windows, staff = make_hall(windows=2, per_window=1)
    other_site, _w, other_staff = make_hall(windows=1, per_window=1)
    client = client_for("discipline")
    inspector = client_for("inspector", sites=[site, other_site]).user
    _round(
        inspector,
        site,
        [
            (Target("staff", staff[0].id), "D06", None),
            (Target("window", windows[1].id), "C02", "major"),
            (Target("area"), "C05", None),
        ],
    )
    _round(inspector, other_site, [(Target("staff", other_staff[0].id), "B01", None)])

    def rows(query: str) -> int:
        html = client.get("/findings" + query).get_data(as_text=True)
        return html.count('href="/findings/')

    assert rows("") == 4
    assert rows(f"?site={site.id}") == 3
    assert rows("?category=hygiene") == 2
    assert rows("?severity=major") == 1
    assert rows(f"?staff_no={staff[0].staff_no}") == 1
    assert rows(f"?inspector={inspector.id}&kind=patrol") == 4
    assert rows("?kind=spot_check") == 0
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    assert rows(f"?start={tomorrow}") == 0 and rows(f"?end={tomorrow}") == 4
    assert rows("?site=abc&start=not-a-date") == 4  # bad filters are ignored, not a 500
    inspections = client.get(f"/inspections?site={site.id}").get_data(as_text=True)
    assert inspections.count('href="/inspections/') == 1


def test_finding_detail_shows_photos_taken_at_the_inspection(
    app, client_for, catalogue, make_hall, jpeg
):
    site, windows, staff = make_hall(windows=1, per_window=1)
    client = client_for("inspector", sites=[site])
    url = client.post("/patrols/start", data={"site_id": site.id}).headers["Location"]
    client.post(
        f"{url}/fail?target=s{staff[0].id}",
        data={"item": "B02", "photos": [(io.BytesIO(jpeg), "x.jpg")]},
        content_type="multipart/form-data",
    )
    client.post(f"{url}/submit")
    finding = db.session.scalars(sa.select(Finding)).one()
    page = client.get(f"/findings/{finding.id}").get_data(as_text=True)
    assert page.count("/thumb") == 1 and "B02" in page
    inspection = db.session.scalars(sa.select(Inspection)).one()
    detail = client.get(f"/inspections/{inspection.id}").get_data(as_text=True)
    assert "/thumb" in detail and str(inspection.duration_seconds // 60) in detail
