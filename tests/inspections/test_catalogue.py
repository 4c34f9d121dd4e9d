"""The checklist catalogue: the standard items load, and editing an item never changes past
inspections, which keep the text and severity they were checked against."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.domain import DomainError
from inspections.catalogue import STANDARD_CATALOGUE, load_standard_catalogue
from inspections.models import CATEGORIES, CheckItem, CheckItemVersion, Finding
from inspections.services import (
    Target,
    create_check_item,
    record_failure,
    start_round,
    submit_round,
    update_check_item,
)


def test_standard_catalogue_covers_four_categories_and_loads_once(app):
    assert load_standard_catalogue(db.session, None) == len(STANDARD_CATALOGUE)
    assert load_standard_catalogue(db.session, None) == 0
    categories = set(db.session.scalars(sa.select(CheckItem.category)))
    assert categories == set(CATEGORIES)
    d07 = db.session.scalars(sa.select(CheckItem).where(CheckItem.code == "D07")).one()
    assert d07.current_version.severity == "critical" and "吃拿卡要" in d07.current_version.text_zh


def test_editing_an_item_keeps_past_findings_as_checked(app, catalogue, make_hall, make_user):
    site, windows, staff = make_hall(windows=1, per_window=1)
    inspector = make_user(roles=("inspector",), sites=[site])
    admin = make_user(roles=("admin",))
    inspection = start_round(db.session, inspector, site)
    record_failure(
        db.session, inspector, inspection, target=Target("staff", staff[0].id), item_code="D06"
    )
    submit_round(db.session, inspector, inspection)
    item = db.session.scalars(sa.select(CheckItem).where(CheckItem.code == "D06")).one()
    old_version_id = item.current_version_id
    update_check_item(
        db.session,
        admin,
        item,
        text_zh="不闲聊、不大声喧哗、不扎堆",
        text_en="No chatting",
        severity="major",
        points=2,
        photo_required=False,
    )
    db.session.commit()
    assert item.current_version.version == 2 and item.current_version_id != old_version_id
    finding = db.session.scalars(sa.select(Finding)).one()
    assert finding.item_version_id == old_version_id
    assert finding.item_version.text_zh == "不闲聊、不大声喧哗" and finding.severity == "minor"
    assert "扎堆" not in finding.description
    versions = db.session.scalars(
        sa.select(CheckItemVersion).where(CheckItemVersion.item_id == item.id)
    ).all()
    assert len(versions) == 2


def test_item_rules(app, catalogue):
    with pytest.raises(DomainError):
        create_check_item(
            db.session,
            None,
            code="A01",
            category="attire",
            target="staff",
            text_zh="重复",
            text_en="dup",
            severity="minor",
            points=1,
        )
    with pytest.raises(DomainError):
        create_check_item(
            db.session,
            None,
            code="Z01",
            category="attire",
            target="staff",
            text_zh="x",
            text_en="x",
            severity="fatal",
            points=1,
        )
    with pytest.raises(DomainError):
        create_check_item(
            db.session,
            None,
            code="Z02",
            category="attire",
            target="staff",
            text_zh="x",
            text_en="",
            severity="minor",
            points=1,
        )


def test_admin_edits_the_catalogue_in_the_browser(app, client_for, catalogue):
    admin = client_for("admin")
    r = admin.post(
        "/catalogue/new",
        data={
            "code": "E01",
            "category": "conduct",
            "target": "staff",
            "text_zh": "主动引导群众",
            "text_en": "Guides visitors",
            "severity": "minor",
            "points": "1",
            "is_active": "y",
        },
    )
    assert r.status_code == 302
    item = db.session.scalars(sa.select(CheckItem).where(CheckItem.code == "E01")).one()
    r = admin.post(
        f"/catalogue/{item.id}/edit",
        data={
            "code": "E01",
            "category": "conduct",
            "target": "staff",
            "text_zh": "主动引导办事群众",
            "text_en": "Guides visitors",
            "severity": "major",
            "points": "2",
            "is_active": "y",
        },
    )
    assert r.status_code == 302
    page = admin.get("/catalogue").get_data(as_text=True)
    assert "主动引导办事群众" in page and "v2" in page
    dup = admin.post(
        "/catalogue/new",
        data={
            "code": "E01",
            "category": "conduct",
            "target": "staff",
            "text_zh": "x",
            "text_en": "x",
            "severity": "minor",
            "points": "1",
        },
    )
    assert dup.status_code == 200 and "E01" in dup.get_data(as_text=True)
    assert client_for("inspector").get("/catalogue/new").status_code == 403
