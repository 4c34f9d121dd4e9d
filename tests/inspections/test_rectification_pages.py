"""Pages: access matrix, the timeline with photos before and after, my rectifications, the
verification queue (oldest first), the board's filters and counts, admin settings."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from inspections.models import Photo
from inspections.rectification import services as svc
from inspections.rectification.models import AreaKeeper, Holiday, Rectification, WindowKeeper
from tests.inspections.rect_factories import MONDAY, make_finding, png_bytes, rect_for


@pytest.fixture
def scene(make_site, make_window, make_staff, make_user):
    site = make_site()
    window = make_window(site=site)
    member = make_staff(site=site, window=window, name="李四")
    return {
        "site": site,
        "window": window,
        "member": member,
        "staff_user": make_user(roles=("staff",), sites=[site], staff_member=member),
        "inspector": make_user(roles=("inspector",), sites=[site]),
        "inspector2": make_user(roles=("inspector",), sites=[site]),
    }


PAGES = [
    "/rectifications/mine",
    "/rectifications/queue",
    "/rectifications",
    "/rectifications/flagged",
    "/rectifications/settings",
    "/rectifications/keepers",
    "/complaints",
    "/complaints/new",
]
ALLOWED = {
    "/rectifications/mine": {"admin", "inspector", "hr", "discipline", "staff"},
    "/rectifications/queue": {"admin", "inspector"},
    "/rectifications": {"admin", "discipline"},
    "/rectifications/flagged": {"admin", "discipline"},
    "/rectifications/settings": {"admin"},
    "/rectifications/keepers": {"admin"},
    "/complaints": {"admin", "hr", "discipline"},
    "/complaints/new": {"admin", "hr", "discipline"},
}


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ["admin", "inspector", "hr", "discipline", "staff"])
def test_access_matrix(app, client_for, scene, path, role):
    make_finding(site=scene["site"], staff=scene["member"])
    c = client_for(role, sites=[scene["site"]])
    expected = 200 if role in ALLOWED[path] else 403
    assert c.get(path).status_code == expected


def test_signed_out_users_are_sent_to_sign_in(client):
    response = client.get("/rectifications/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_rectification_outside_scope_or_someone_elses_is_404(
    app, scene, client_for, make_site, make_staff, make_user, login
):
    rect = rect_for(make_finding(site=scene["site"], staff=scene["member"]))
    elsewhere = client_for("inspector", sites=[make_site()])
    assert elsewhere.get(f"/rectifications/{rect.id}").status_code == 404
    other = make_staff(site=scene["site"])
    other_user = make_user(roles=("staff",), sites=[scene["site"]], staff_member=other)
    c = app.test_client()
    login(c, other_user)
    assert c.get(f"/rectifications/{rect.id}").status_code == 404
    assert (
        c.post(
            f"/rectifications/{rect.id}/respond", data={"text": "x", "version": rect.version}
        ).status_code
        == 404
    )
    mine = app.test_client()
    login(mine, scene["staff_user"])
    assert mine.get(f"/rectifications/{rect.id}").status_code == 200


def test_full_loop_through_the_pages_with_photos_on_the_timeline(app, scene, login):
    finding = make_finding(
        site=scene["site"], staff=scene["member"], severity="major", found_by=scene["inspector"]
    )
    from inspections.photos import store_photo

    before = store_photo(
        db.session,
        scene["inspector"],
        png_bytes((200, 0, 0)),
        upload_folder=app.config["UPLOAD_FOLDER"],
        finding_id=finding.id,
    )
    db.session.commit()
    rect = rect_for(finding)
    staff = login(app.test_client(), scene["staff_user"])
    insp = login(app.test_client(), scene["inspector"])

    # The finding's own timeline address leads to the rectification.
    r = staff.get(f"/rectifications/finding/{finding.id}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/rectifications/{rect.id}")

    r = staff.post(
        f"/rectifications/{rect.id}/respond",
        data={
            "text": "已重新着装",
            "version": str(rect.version),
            "photos": [(io.BytesIO(png_bytes((0, 200, 0))), "after.png")],
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    rect = rect_for(finding)
    assert rect.status == "responded"

    # The responder cannot verify (they are not an inspector); an inspector rejects.
    assert (
        staff.post(f"/rectifications/{rect.id}/verify", data={"version": rect.version}).status_code
        == 403
    )
    r = insp.post(f"/rectifications/{rect.id}/reject", data={"reason": "", "version": rect.version})
    assert r.status_code == 400  # a reason is required
    r = insp.post(
        f"/rectifications/{rect.id}/reject",
        data={"reason": "工牌仍未佩戴", "version": rect.version},
    )
    assert r.status_code == 302
    rect = rect_for(finding)
    assert rect.status == "rejected" and rect.rejection_count == 1
    r = staff.post(
        f"/rectifications/{rect.id}/respond",
        data={"text": "已佩戴工牌", "version": rect.version},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    rect = rect_for(finding)
    r = insp.post(
        f"/rectifications/{rect.id}/verify", data={"note": "合格", "version": rect.version}
    )
    assert r.status_code == 302
    rect = rect_for(finding)
    assert rect.status == "verified"

    html = insp.get(f"/rectifications/{rect.id}").get_data(as_text=True)
    for kind in ("opened", "responded", "rejected", "verified"):
        assert f'data-kind="{kind}"' in html
    assert "工牌仍未佩戴" in html and "已重新着装" in html
    after = db.session.scalars(
        sa.select(Photo).where(Photo.finding_id == finding.id, Photo.id != before.id)
    ).one()
    for photo in (before, after):
        assert f"/rectifications/photos/{photo.id}/thumb" in html
        for client in (staff, insp):
            served = client.get(f"/rectifications/photos/{photo.id}/display")
            assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert staff.get(f"/rectifications/photos/{after.id}/nonsense").status_code == 404


def test_bad_photo_is_refused_with_a_message(app, scene, login):
    rect = rect_for(make_finding(site=scene["site"], staff=scene["member"]))
    staff = login(app.test_client(), scene["staff_user"])
    r = staff.post(
        f"/rectifications/{rect.id}/respond",
        data={
            "text": "done",
            "version": rect.version,
            "photos": [(io.BytesIO(b"not an image"), "x.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    assert rect_for(rect.finding_id).status == "open"


def test_fix_on_spot_through_the_page(app, scene, login):
    rect = rect_for(make_finding(site=scene["site"], staff=scene["member"]))
    insp = login(app.test_client(), scene["inspector"])
    r = insp.post(
        f"/rectifications/{rect.id}/fix-on-spot",
        data={"text": "当场整改", "version": rect.version},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400  # no photo
    r = insp.post(
        f"/rectifications/{rect.id}/fix-on-spot",
        data={
            "text": "当场整改",
            "witness": "值班长",
            "version": rect.version,
            "photos": [(io.BytesIO(png_bytes()), "fix.png")],
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    rect = rect_for(rect.finding_id)
    assert rect.status == "verified" and rect.fixed_on_spot


def test_my_rectifications_lists_what_to_do_by_when(app, scene, login):
    f1 = make_finding(
        site=scene["site"],
        staff=scene["member"],
        severity="minor",
        description="桌面杂乱",
        found_on=MONDAY,
    )
    make_finding(
        site=scene["site"],
        staff=scene["member"],
        severity="critical",
        description="离岗",
        found_on=MONDAY,
    )
    c = login(app.test_client(), scene["staff_user"])
    html = c.get("/rectifications/mine").get_data(as_text=True)
    assert html.index("离岗") < html.index("桌面杂乱")  # earliest deadline first
    assert rect_for(f1).deadline_on.isoformat() in html or "2026" in html
    dash = c.get("/dashboard").get_data(as_text=True)
    assert 'id="panel-my-rectifications"' in dash and "离岗" in dash


def test_verification_queue_is_oldest_first(app, scene, login, make_staff, make_user):
    rects = []
    for i in range(3):
        member = make_staff(site=scene["site"])
        user = make_user(roles=("staff",), sites=[scene["site"]], staff_member=member)
        rect = rect_for(make_finding(site=scene["site"], staff=member, description=f"问题{i}"))
        with app.test_request_context():
            svc.respond(db.session, user, rect, "done")
        rect.responded_at = rect.responded_at - timedelta(hours=10 * (3 - i))  # 0 is oldest
        db.session.commit()
        rects.append(rect)
    c = login(app.test_client(), scene["inspector"])
    html = c.get("/rectifications/queue").get_data(as_text=True)
    positions = [html.index(f"问题{i}") for i in range(3)]
    assert positions == sorted(positions)
    assert 'data-count="queue">3<' in c.get("/dashboard").get_data(as_text=True)


def test_board_filters_and_counts(app, scene, client_for, make_site, make_staff):
    other_site = make_site()
    other = make_staff(site=other_site)
    make_finding(
        site=scene["site"],
        staff=scene["member"],
        severity="critical",
        category="attendance",
        found_on=MONDAY - timedelta(days=30),
    )
    make_finding(site=scene["site"], staff=scene["member"], severity="minor", category="attire")
    make_finding(site=other_site, staff=other, severity="minor", category="hygiene")
    c = client_for("discipline", sites=None)

    def count(query, key="total"):
        html = c.get("/rectifications" + query).get_data(as_text=True)
        marker = f'data-count="{key}">'
        return int(html.split(marker, 1)[1].split("<", 1)[0])

    assert count("") == 3
    assert count("?severity=minor") == 2
    assert count(f"?site={other_site.id}") == 1
    assert count("?category=attendance") == 1
    assert count(f"?responsible={scene['member'].id}") == 2
    assert count("?overdue=1") == 1  # the critical one from 30 days ago
    assert count("", "overdue") == 1
    assert (
        count(
            f"?from={(MONDAY - timedelta(days=31)).isoformat()}&to={(MONDAY - timedelta(days=29)).isoformat()}"
        )
        == 1
    )
    assert count("?status=verified") == 0
    # Bad filter values are ignored, never a 500.
    assert c.get("/rectifications?site=abc&from=notadate&status=zzz&page=-3").status_code == 200
    scoped = client_for("discipline", sites=[other_site])
    html = scoped.get("/rectifications").get_data(as_text=True)
    assert 'data-count="total">1<' in html


def test_admin_keeps_the_holiday_calendar_and_deadlines(app, client_for):
    c = client_for("admin")
    day = MONDAY + timedelta(days=1)
    r = c.post(
        "/rectifications/settings",
        data={"which": "holiday", "h-day": day.isoformat(), "h-kind": "holiday", "h-name": "假日"},
    )
    assert r.status_code == 302
    assert db.session.get(Holiday, day).kind == "holiday"
    r = c.post(
        "/rectifications/settings",
        data={
            "which": "settings",
            "critical": 1,
            "major": 4,
            "minor": 8,
            "reminder": 1,
            "written_notice": 2,
            "talk": 3,
            "window_days": 90,
            "escalate_after": 3,
        },
    )
    assert r.status_code == 302
    assert svc.deadline_days(db.session, "major") == 4
    r = c.post(
        "/rectifications/settings",
        data={
            "which": "settings",
            "critical": 1,
            "major": 4,
            "minor": 8,
            "reminder": 3,
            "written_notice": 2,
            "talk": 1,
            "window_days": 90,
            "escalate_after": 3,
        },
    )
    assert r.status_code == 400
    r = c.post("/rectifications/settings", data={"which": "remove", "day": day.isoformat()})
    assert r.status_code == 302 and db.session.get(Holiday, day) is None


def test_admin_names_window_and_area_keepers(app, scene, client_for, make_staff):
    keeper = make_staff(site=scene["site"], name="王五")
    c = client_for("admin")
    r = c.post(
        f"/rectifications/keepers?site={scene['site'].id}",
        data={"target": f"w{scene['window'].id}", "keeper": keeper.id, "supervisor": 0},
    )
    assert r.status_code == 302
    assert db.session.get(WindowKeeper, scene["window"].id).keeper_staff_id == keeper.id
    r = c.post(
        f"/rectifications/keepers?site={scene['site'].id}",
        data={
            "target": f"s{scene['site'].id}",
            "keeper": keeper.id,
            "supervisor": scene["member"].id,
        },
    )
    assert r.status_code == 302
    assert db.session.get(AreaKeeper, scene["site"].id).supervisor_staff_id == scene["member"].id
    page = c.get(f"/rectifications/keepers?site={scene['site'].id}")
    assert page.status_code == 200 and "王五" in page.get_data(as_text=True)


def test_admin_reassigns_with_a_reason_as_a_new_event(app, scene, client_for, make_staff):
    rect = rect_for(make_finding(site=scene["site"], window=scene["window"]))
    new = make_staff(site=scene["site"])
    c = client_for("admin")
    r = c.post(
        f"/rectifications/{rect.id}/reassign",
        data={
            "responsible": new.id,
            "supervisor": 0,
            "reason": "窗口已换人",
            "version": rect.version,
        },
    )
    assert r.status_code == 302
    rect = db.session.get(Rectification, rect.id)
    assert rect.responsible_staff_id == new.id
    assert [e.kind for e in rect.events][-1] == "reassigned"


def test_corrections_are_new_timeline_entries(app, scene, login, client_for):
    rect = rect_for(make_finding(site=scene["site"], staff=scene["member"]))
    insp = login(app.test_client(), scene["inspector"])
    assert insp.post(f"/rectifications/{rect.id}/comment", data={"text": ""}).status_code == 400
    r = insp.post(f"/rectifications/{rect.id}/comment", data={"text": "更正：问题发生在 A02 窗口"})
    assert r.status_code == 302
    rect = db.session.get(Rectification, rect.id)
    assert [e.kind for e in rect.events] == ["opened", "comment"]
    assert rect.events[-1].text == "更正：问题发生在 A02 窗口"
    assert rect.status == "open"


def test_board_shows_average_days_to_close(app, scene, client_for):
    rect = rect_for(make_finding(site=scene["site"], staff=scene["member"], found_on=MONDAY))
    with app.test_request_context():
        svc.respond(db.session, scene["staff_user"], rect, "done")
        svc.verify(db.session, scene["inspector"], rect, today=MONDAY + timedelta(days=3))
    db.session.commit()
    html = client_for("discipline").get("/rectifications").get_data(as_text=True)
    assert 'data-count="avg_days">3.0<' in html
    assert 'data-count="on_time">1 (100%)<' in html


def test_finding_page_shows_its_rectification_and_links_to_the_timeline(app, scene, client_for):
    """A finding's page tells where its rectification stands and leads to its timeline."""
    finding = make_finding(site=scene["site"], staff=scene["member"])
    rect = rect_for(finding)
    page = client_for("admin").get(f"/findings/{finding.id}")
    assert page.status_code == 200
    assert f"/rectifications/{rect.id}" in page.get_data(as_text=True)
