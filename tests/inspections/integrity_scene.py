"""A hall with the standard catalogue and people in every role around an integrity case: the
accused (a staff member with an account), an inspector, HR, a centre head, two discipline officers
and an administrator of the site, and a discipline officer of another site. `patrol_d07` makes the
inspector fail the accused on D07 (吃拿卡要) through the patrol pages."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from compliance.db import db
from compliance.models import User
from inspections.integrity.models import IntegrityCase
from inspections.models import Finding

TEST_PASSWORD = "correct-horse-42"  # as tests/conftest.py gives every made user


@dataclass
class Scene:
    site: object
    other_site: object
    window: object
    accused: object  # StaffMember
    colleague: object  # StaffMember at the same window
    users: dict[str, User]

    def client(self, app, name: str):
        client = app.test_client()
        response = client.post(
            "/login", data={"username": self.users[name].username, "password": TEST_PASSWORD}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        client.user = self.users[name]
        return client


def build_scene(make_site, make_window, make_staff, make_user) -> Scene:
    site, other_site = make_site(), make_site()
    window = make_window(site=site, code="A08", name="收费")
    accused = make_staff(site=site, window=window, name="钱七")
    colleague = make_staff(site=site, window=window, name="孙八")
    users = {
        "accused": make_user(roles=("staff",), sites=[site], staff_member=accused),
        "inspector": make_user(roles=("inspector",), sites=[site]),
        "hr": make_user(roles=("hr",), sites=[site]),
        "leader": make_user(roles=("leader",), sites=[site]),
        "officer": make_user(roles=("discipline",), sites=[site], email="jijian@example.cn"),
        "officer2": make_user(roles=("discipline",), sites=[site]),
        "admin": make_user(roles=("admin",), sites=[site]),
        "other_officer": make_user(roles=("discipline",), sites=[other_site]),
    }
    return Scene(site, other_site, window, accused, colleague, users)


def patrol_d07(app, scene: Scene, reason: str = "收受办事群众购物卡") -> Finding:
    """The inspector fails the accused on D07 in a patrol round (pages) and submits it."""
    inspector = scene.client(app, "inspector")
    start = inspector.post("/patrols/start", data={"site_id": scene.site.id})
    assert start.status_code == 302, start.status_code
    url = start.headers["Location"]
    failed = inspector.post(
        f"{url}/fail", data={"target": f"s{scene.accused.id}", "item": "D07", "reason": reason}
    )
    assert failed.status_code == 302, failed.get_data(as_text=True)[:500]
    assert inspector.post(f"{url}/submit").status_code == 302
    return db.session.scalars(
        sa.select(Finding).where(Finding.staff_member_id == scene.accused.id)
    ).one()


def case_for(finding: Finding) -> IntegrityCase:
    return db.session.scalars(
        sa.select(IntegrityCase).where(IntegrityCase.finding_id == finding.id)
    ).one()
