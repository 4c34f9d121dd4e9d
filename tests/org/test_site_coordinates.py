"""A site's coordinates (where the building is): both or neither, in range, from the form, the
API and the service alike, and audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.domain import DomainError
from compliance.models import AuditEvent, Site
from compliance.org import services


def test_coordinates_are_both_or_neither_and_in_range(actor):
    site = services.create_site(
        db.session, actor, code="GEO1", name="中心", latitude="30.5835", longitude=104.1712
    )
    assert (site.latitude, site.longitude) == (30.5835, 104.1712)
    for lat, lon, field in (
        (30.5, None, "longitude"),
        (None, 104.1, "latitude"),
        (91, 104.1, "latitude"),
        (30.5, 181, "longitude"),
        ("north", 104.1, "latitude"),
    ):
        with pytest.raises(DomainError) as err:
            services.update_site(db.session, actor, site, latitude=lat, longitude=lon)
        assert err.value.field == field, (lat, lon)
    assert (site.latitude, site.longitude) == (30.5835, 104.1712)
    services.update_site(db.session, actor, site, latitude=None, longitude=None)
    assert site.latitude is None and site.longitude is None
    changes = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "site.update", AuditEvent.entity_id == str(site.id)
        )
    ).all()
    assert changes and changes[-1].before["latitude"] == 30.5835


def test_the_database_refuses_a_single_coordinate(actor):
    site = services.create_site(db.session, actor, code="GEO2", name="中心")
    site.latitude = 30.0
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_admin_sets_coordinates_on_the_site_form_and_the_api(client_for, org):
    admin = client_for("admin")
    form = {
        "code": org.centre.code,
        "name": org.centre.name,
        "kind": "centre",
        "parent_id": 0,
        "address": "",
        "is_active": "y",
    }
    page = admin.get(f"/org/sites/{org.centre.id}/edit").get_data(as_text=True)
    assert 'name="latitude"' in page and 'name="longitude"' in page
    half = admin.post(f"/org/sites/{org.centre.id}/edit", data=dict(form, latitude="30.58"))
    assert half.status_code == 200 and db.session.get(Site, org.centre.id).latitude is None
    saved = admin.post(
        f"/org/sites/{org.centre.id}/edit", data=dict(form, latitude="30.58", longitude="104.17")
    )
    assert saved.status_code == 302
    assert (db.session.get(Site, org.centre.id).latitude, org.centre.longitude) == (30.58, 104.17)
    api = admin.patch(f"/api/v1/sites/{org.centre.id}", json={"latitude": 95, "longitude": 104})
    assert api.status_code == 422
    api = admin.patch(f"/api/v1/sites/{org.centre.id}", json={"longitude": None})
    assert api.status_code == 400 and api.json["errors"]
    api = admin.patch(f"/api/v1/sites/{org.centre.id}", json={"latitude": 31.0, "longitude": 104.0})
    assert api.status_code == 200 and api.json["latitude"] == 31.0
