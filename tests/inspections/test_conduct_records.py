"""Complaints and commendations: recorded by HR, discipline or admin; an upheld complaint opens
a rectification on the same loop; commendations stay on the staff member's record."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.models import AuditEvent
from compliance.timeutil import local_today
from inspections.rectification.models import ConductRecord, Rectification


@pytest.fixture
def scene(make_site, make_staff, make_user):
    site = make_site()
    member = make_staff(site=site, name="赵六")
    return {
        "site": site,
        "member": member,
        "staff_user": make_user(roles=("staff",), sites=[site], staff_member=member),
    }


def _record(c, scene, **extra):
    data = {
        "kind": "complaint",
        "source": "rating",
        "staff_member": scene["member"].id,
        "received_on": local_today().isoformat(),
        "text": "差评：态度冷淡",
        "reference": "HCP-1",
        "severity": "major",
    }
    data.update(extra)
    return c.post("/conduct/new", data=data)


def test_upheld_complaint_opens_a_rectification(app, scene, client_for, login):
    hr = client_for("hr", sites=[scene["site"]])
    r = _record(hr, scene)
    assert r.status_code == 302
    row = db.session.scalars(sa.select(ConductRecord)).one()
    assert row.kind == "complaint" and row.outcome == "pending" and row.site_id == scene["site"].id
    # HR records but does not decide.
    assert (
        hr.post(f"/conduct/{row.id}", data={"outcome": "upheld", "reason": "x"}).status_code == 403
    )
    officer = client_for("discipline", sites=[scene["site"]])
    assert (
        officer.post(f"/conduct/{row.id}", data={"outcome": "upheld", "reason": ""}).status_code
        == 400
    )
    r = officer.post(f"/conduct/{row.id}", data={"outcome": "upheld", "reason": "录像核实属实"})
    assert r.status_code == 302
    rect = db.session.scalars(
        sa.select(Rectification).where(Rectification.complaint_id == row.id)
    ).one()
    assert r.headers["Location"].endswith(f"/rectifications/{rect.id}")
    assert rect.source == "complaint" and rect.status == "open"
    assert rect.responsible_staff_id == scene["member"].id
    assert rect.severity == "major" and rect.deadline_on >= local_today()
    # The staff member sees it and can respond on the same loop.
    staff = login(app.test_client(), scene["staff_user"])
    assert "态度冷淡" in staff.get("/rectifications/mine").get_data(as_text=True)
    r = staff.post(
        f"/rectifications/{rect.id}/respond",
        data={"text": "已道歉并学习服务规范", "version": rect.version},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    assert db.session.get(Rectification, rect.id).status == "responded"
    # Deciding twice is refused.
    assert (
        officer.post(
            f"/conduct/{row.id}", data={"outcome": "not_upheld", "reason": "x"}
        ).status_code
        == 409
    )
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity_type == "ConductRecord")
    ).all()
    assert actions == ["conduct.complaint.create", "conduct.complaint.decide"]


def test_complaint_not_upheld_opens_nothing(app, scene, client_for):
    officer = client_for("discipline", sites=[scene["site"]])
    assert _record(officer, scene).status_code == 302
    row = db.session.scalars(sa.select(ConductRecord)).one()
    r = officer.post(f"/conduct/{row.id}", data={"outcome": "not_upheld", "reason": "不属实"})
    assert r.status_code == 302
    assert db.session.get(ConductRecord, row.id).outcome == "not_upheld"
    assert db.session.scalar(sa.select(sa.func.count(Rectification.id))) == 0


def test_commendation_is_kept_on_the_staff_members_record(app, scene, client_for, login):
    admin = client_for("admin")
    r = _record(admin, scene, kind="commendation", source="letter", text="表扬信：耐心细致")
    assert r.status_code == 302
    row = db.session.scalars(sa.select(ConductRecord)).one()
    assert row.kind == "commendation" and row.outcome is None
    assert db.session.scalar(sa.select(sa.func.count(Rectification.id))) == 0
    staff = login(app.test_client(), scene["staff_user"])
    assert "表扬信：耐心细致" in staff.get("/rectifications/mine").get_data(as_text=True)
    listing = admin.get("/conduct?kind=commendation").get_data(as_text=True)
    assert "表扬信" in listing
    assert "表扬信" not in admin.get("/conduct?kind=complaint").get_data(as_text=True)


def test_bad_input_is_a_form_error(app, scene, client_for, make_site, make_staff):
    hr = client_for("hr", sites=[scene["site"]])
    assert _record(hr, scene, text="").status_code == 400
    assert _record(hr, scene, received_on="2999-01-01").status_code == 400
    assert _record(hr, scene, staff_member="abc").status_code == 400
    outsider = make_staff(site=make_site())
    assert _record(hr, scene, staff_member=outsider.id).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ConductRecord.id))) == 0


def test_conduct_records_outside_scope_are_404(app, scene, client_for, make_site):
    officer = client_for("discipline", sites=[scene["site"]])
    _record(officer, scene)
    row = db.session.scalars(sa.select(ConductRecord)).one()
    assert (
        client_for("discipline", sites=[make_site()]).get(f"/conduct/{row.id}").status_code == 404
    )
    assert client_for("staff", sites=[scene["site"]]).get(f"/conduct/{row.id}").status_code == 403
