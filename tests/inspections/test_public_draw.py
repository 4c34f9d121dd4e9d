"""The public page of a published draw (一公开): readable without signing in at a stable address,
with what was drawn, when, the seed and the result per target, and people's names masked."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.timeutil import local_today
from inspections.draws import create_draw, mask_name, publish_draw
from inspections.models import Inspection
from inspections.services import Target, record_failure, sign_spot_check


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳娜娜", "欧***"),
        ("督查员 何强", "何*"),
        ("李", "*"),
        ("", "*"),
        (None, "*"),
        ("John Smith", "S****"),
    ],
)
def test_mask_name_never_shows_a_full_name(name, masked):
    assert mask_name(name) == masked


@pytest.fixture
def published(app, catalogue, make_hall, make_user, make_staff):
    site, windows, staff = make_hall(windows=3, per_window=1)
    for member, name in zip(staff, ("王小明", "李四", "欧阳娜娜"), strict=True):
        member.name = name
    officer = make_user(roles=("discipline",))
    inspectors = [
        make_user(roles=("inspector",), sites=[site], display_name=name)
        for name in ("督查员 何强", "督查员 周敏")
    ]
    draw = create_draw(
        db.session,
        officer,
        title="五月窗口人员抽查",
        target_kind="staff",
        site_ids=[site.id],
        post_ids=None,
        inspector_ids=[u.id for u in inspectors],
        target_count=2,
        inspectors_per_target=2,
        day=local_today(),
    )
    users = {u.id: u for u in inspectors}
    checks = db.session.scalars(sa.select(Inspection).where(Inspection.draw_id == draw.id)).all()
    record_failure(
        db.session,
        users[checks[0].team[0].user_id],
        checks[0],
        target=Target("staff", checks[0].target_staff_id),
        item_code="A01",
        reason="迟到，王小明说堵车",  # free text is never published
    )
    for check in checks:
        for member in check.team:
            sign_spot_check(db.session, users[member.user_id], check)
    db.session.commit()
    return draw, staff, inspectors, officer


def test_the_public_page_answers_without_a_session_and_shows_no_full_name(app, published):
    draw, staff, inspectors, officer = published
    anonymous = app.test_client()
    assert anonymous.get(f"/public/spot-checks/{draw.id}").status_code == 404  # not published
    assert draw.title not in anonymous.get("/public/spot-checks").get_data(as_text=True)
    publish_draw(db.session, officer, draw)
    db.session.commit()
    response = anonymous.get(f"/public/spot-checks/{draw.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert draw.title in page and draw.seed in page
    assert "/login" not in response.headers.get("Location", "")
    for member in staff:
        assert member.name not in page and member.staff_no not in page
    for user in inspectors:
        assert user.display_name.split()[-1] not in page
    assert "何*" in page and "周*" in page
    drawn = {e["target"] for e in draw.result}
    for member in staff:
        if member.id in drawn:
            assert mask_name(member.name) in page
    assert "堵车" not in page  # the reason is free text: left out
    assert "A01" in page  # the item that failed is published
    listing = anonymous.get("/public/spot-checks").get_data(as_text=True)
    assert f"/public/spot-checks/{draw.id}" in listing
    assert anonymous.get("/public/spot-checks/987654").status_code == 404
    # The same page for anyone signed in, and the officers' page links to it.
    internal = app.test_client()
    from compliance.auth.security import start_session

    token = start_session(db.session, officer, "127.0.0.1", "pytest")
    db.session.commit()
    with internal.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    assert internal.get(f"/public/spot-checks/{draw.id}").status_code == 200
    officer_page = internal.get(f"/draws/{draw.id}").get_data(as_text=True)
    assert f"/public/spot-checks/{draw.id}" in officer_page


def test_the_public_page_shows_the_draw_and_the_result_per_target(app, published):
    draw, staff, inspectors, officer = published
    publish_draw(db.session, officer, draw)
    db.session.commit()
    page = app.test_client().get(f"/public/spot-checks/{draw.id}").get_data(as_text=True)
    rows = re.findall(r"<tr><td data-label[^>]*>(.*?)</td>", page)
    assert len(rows) == len(draw.result) == 2
    assert str(draw.drawn_on) in page
    assert page.count("何*") == 2 and page.count("周*") == 2  # both signed both checks
