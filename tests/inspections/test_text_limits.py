"""One length limit per text, the same on the patrol page, in the API and in the services; a text
over it is refused with the limit said (never cut silently); a text is kept as typed."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from compliance import limits
from compliance.db import db
from compliance.domain import InvalidError
from inspections.models import CheckResult


def _round(client, site):
    return client.post("/patrols/start", data={"site_id": site.id}).headers["Location"]


def test_patrol_page_refuses_an_overlong_reason_or_note_and_says_the_limit(
    app, client_for, catalogue, make_hall
):
    site, _windows, staff = make_hall(windows=1, per_window=1)
    client = client_for("inspector", sites=[site])
    url = f"{_round(client, site)}/fail?target=s{staff[0].id}"
    page = client.get(url).get_data(as_text=True)
    assert f'maxlength="{limits.PATROL_REASON}"' in page
    assert f'maxlength="{limits.PATROL_NOTE}"' in page
    assert f"最多 {limits.PATROL_REASON} 个字符" in page
    for field, text in (
        ("reason", "长" * (limits.PATROL_REASON + 1)),
        ("note", "长" * 40_000),
    ):
        response = client.post(url, data={"item": "B03", field: text})
        assert response.status_code == 422, field
        body = response.get_data(as_text=True)
        assert f"该内容有 {len(text)} 个字符，最多允许" in body, field
        assert text in body  # what was typed is kept on the page
        assert db.session.scalar(sa.select(sa.func.count(CheckResult.id))) == 0
    # Within the limits and as typed: a leading tab and spaces stay.
    reason, note = "\t未佩戴工牌", "  第一行\n\t第二行"
    assert client.post(url, data={"item": "B03", "reason": reason, "note": note}).status_code == 302
    result = db.session.scalars(sa.select(CheckResult)).one()
    assert result.reason == reason and result.note == note


def test_api_takes_the_same_limits_as_the_page(app, client_for, catalogue, make_hall):
    site, _windows, staff = make_hall(windows=1, per_window=1)
    client = client_for("inspector", sites=[site])
    failure = {"target": f"s{staff[0].id}", "item_code": "B02"}
    for field, length, limit in (
        ("reason", limits.PATROL_REASON + 1, limits.PATROL_REASON),
        ("note", limits.PATROL_NOTE + 1, limits.PATROL_NOTE),
    ):
        body = {
            "uuid": str(uuid.uuid4()),
            "site_id": site.id,
            "failures": [dict(failure, **{field: "x" * length})],
        }
        response = client.post("/api/v1/inspections", json=body)
        assert response.status_code == 422, response.get_json()
        assert str(limit) in str(response.get_json()["errors"])


def test_rectification_and_conduct_texts_are_refused_over_the_limit_and_kept_as_typed(
    app, make_site, make_staff, make_user
):
    from inspections.complaints.services import intake as conduct

    site = make_site()
    staff = make_staff(site=site)
    officer = make_user(roles=("discipline",), sites=[site])
    common = dict(kind="commendation", source="letter", staff_member_id=staff.id)
    with pytest.raises(InvalidError) as too_long:
        conduct.record_conduct(
            db.session,
            officer,
            received_on=date(2026, 3, 1),
            text="表" * (limits.CONDUCT_TEXT + 1),
            **common,
        )
    assert too_long.value.field == "text"
    assert too_long.value.params == {
        "length": limits.CONDUCT_TEXT + 1,
        "limit": limits.CONDUCT_TEXT,
    }
    with pytest.raises(InvalidError) as reference:
        conduct.record_conduct(
            db.session,
            officer,
            received_on=date(2026, 3, 1),
            text="表扬",
            reference="R" * (limits.CONDUCT_REFERENCE + 1),
            **common,
        )
    assert reference.value.field == "reference"
    row = conduct.record_conduct(
        db.session, officer, received_on=date(2026, 3, 1), text="\t群众来信表扬", **common
    )
    assert row.text == "\t群众来信表扬"


def test_rectification_text_limit_is_one_constant(app):
    from inspections.rectification.services.steps import clean_text

    assert clean_text("\t已整改") == "\t已整改"
    assert clean_text("   ") is None
    with pytest.raises(InvalidError) as refused:
        clean_text("x" * (limits.RECTIFICATION_TEXT + 1), field="note")
    assert refused.value.code == "rectification.text_too_long" and refused.value.field == "note"
