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
        "subject": "staff",
        "staff_member": scene["member"].id,
        "received_on": local_today().isoformat(),
        "text": "差评：态度冷淡",
        "reference": "HCP-1",
        "severity": "major",
    }
    data.update(extra)
    return c.post("/complaints/new", data=data)


def _conclude(c, row, outcome, reason):
    current = db.session.get(ConductRecord, row.id)
    return c.post(
        f"/complaints/{row.id}/conclusion",
        data={
            "outcome": outcome,
            "reason": reason,
            "severity": current.severity,
            "version": current.version,
        },
    )


def test_upheld_complaint_opens_a_rectification(app, scene, client_for, login):
    hr = client_for("hr", sites=[scene["site"]])
    r = _record(hr, scene)
    assert r.status_code == 302
    row = db.session.scalars(sa.select(ConductRecord)).one()
    assert row.kind == "complaint" and row.outcome == "pending" and row.site_id == scene["site"].id
    assert row.status == "verifying" and row.verify_due_on >= local_today()
    # HR records but does not decide.
    assert _conclude(hr, row, "upheld", "x").status_code == 403
    officer = client_for("discipline", sites=[scene["site"]])
    assert _conclude(officer, row, "upheld", "").status_code == 400
    r = _conclude(officer, row, "upheld", "录像核实属实")
    assert r.status_code == 302
    rect = db.session.scalars(
        sa.select(Rectification).where(Rectification.complaint_id == row.id)
    ).one()
    assert rect.source == "complaint" and rect.status == "open"
    assert rect.responsible_staff_id == scene["member"].id
    assert rect.severity == "major" and rect.deadline_on >= local_today()
    assert f"/rectifications/{rect.id}" in officer.get(r.headers["Location"]).get_data(as_text=True)
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
    # Deciding twice is refused (the form is gone; the service says it is decided).
    assert _conclude(officer, row, "not_upheld", "x").status_code == 409
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity_type == "ConductRecord")
    ).all()
    assert actions == ["conduct.complaint.create", "conduct.complaint.decide"]


def test_complaint_not_upheld_opens_nothing(app, scene, client_for):
    officer = client_for("discipline", sites=[scene["site"]])
    assert _record(officer, scene).status_code == 302
    row = db.session.scalars(sa.select(ConductRecord)).one()
    assert _conclude(officer, row, "not_upheld", "不属实").status_code == 302
    row = db.session.get(ConductRecord, row.id)
    assert row.outcome == "not_upheld" and row.status == "concluded"
    assert db.session.scalar(sa.select(sa.func.count(Rectification.id))) == 0


def test_commendation_is_kept_on_the_staff_members_record(app, scene, client_for, login):
    admin = client_for("admin")
    r = _record(admin, scene, kind="commendation", source="letter", text="表扬信：耐心细致")
    assert r.status_code == 302
    row = db.session.scalars(sa.select(ConductRecord)).one()
    assert row.kind == "commendation" and row.outcome is None and row.status is None
    assert db.session.scalar(sa.select(sa.func.count(Rectification.id))) == 0
    staff = login(app.test_client(), scene["staff_user"])
    assert "表扬信：耐心细致" in staff.get("/rectifications/mine").get_data(as_text=True)
    listing = admin.get("/complaints?kind=commendation").get_data(as_text=True)
    assert "表扬信" in listing
    assert "表扬信" not in admin.get("/complaints?kind=complaint").get_data(as_text=True)


def test_bad_input_is_a_form_error(app, scene, client_for, make_site, make_staff):
    hr = client_for("hr", sites=[scene["site"]])
    assert _record(hr, scene, text="").status_code == 400
    assert _record(hr, scene, received_on="2999-01-01").status_code == 400
    assert _record(hr, scene, staff_member="abc").status_code == 400
    outsider = make_staff(site=make_site())
    assert _record(hr, scene, staff_member=outsider.id).status_code == 400
    assert _record(hr, scene, subject="window", staff_member="").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ConductRecord.id))) == 0


def test_conduct_records_outside_scope_are_404(app, scene, client_for, make_site):
    officer = client_for("discipline", sites=[scene["site"]])
    _record(officer, scene)
    row = db.session.scalars(sa.select(ConductRecord)).one()
    assert (
        client_for("discipline", sites=[make_site()]).get(f"/complaints/{row.id}").status_code
        == 404
    )
    assert (
        client_for("staff", sites=[scene["site"]]).get(f"/complaints/{row.id}").status_code == 403
    )
    # The centre head reads complaints of their sites.
    assert (
        client_for("leader", sites=[scene["site"]]).get(f"/complaints/{row.id}").status_code == 200
    )
