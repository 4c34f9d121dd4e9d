"""The administrator's bulletin settings page: defaults of a new draft and who approves."""

from __future__ import annotations

import sqlalchemy as sa

from compliance.db import db
from compliance.models import AuditEvent
from compliance.settings import get_setting

URL = "/evaluation/bulletins/settings"


def test_admin_changes_the_settings_and_each_change_is_audited(client_for):
    admin = client_for("admin")
    page = admin.get(URL)
    assert page.status_code == 200 and "通报设置" in page.get_data(as_text=True)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    response = admin.post(
        URL,
        data={
            "organ": "大面街道纪工委",
            "addressees": "各窗口",
            "cc": "",
            "leader_approves": "y",
        },
    )
    assert response.status_code == 302
    assert get_setting(db.session, "evaluation.bulletin_organ") == "大面街道纪工委"
    assert get_setting(db.session, "evaluation.bulletin_addressees") == "各窗口"
    assert get_setting(db.session, "evaluation.bulletin_leader_approves") is True
    assert get_setting(db.session, "evaluation.bulletin_names_people") is False
    after = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert after - before == 4  # organ, addressees, names_people, leader_approves (cc unchanged)


def test_too_long_organ_is_refused_naming_the_field(client_for):
    admin = client_for("admin")
    response = admin.post(URL, data={"organ": "机" * 201})
    assert response.status_code == 400
    assert get_setting(db.session, "evaluation.bulletin_organ") == ""


def test_only_administrators_open_the_settings(client_for):
    for role in ("discipline", "leader", "hr", "inspector", "staff"):
        assert client_for(role).get(URL).status_code == 403, role
