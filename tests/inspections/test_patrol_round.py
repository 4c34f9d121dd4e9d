"""Patrol rounds: everything passes by default, failures become findings on submit, leave is
excused, the round can be resumed, and submitting happens once, in one transaction."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.domain import DomainError
from compliance.models import Leave
from compliance.timeutil import local_today
from inspections import hooks
from inspections.check_results import result_counts, results_of
from inspections.models import CheckResult, Finding, Inspection, Photo
from inspections.services import (
    Target,
    record_failure,
    site_roster,
    start_round,
    submit_round,
)


@pytest.fixture
def finding_spy():
    seen = []

    def handler(session, actor, finding):
        seen.append(finding.id)

    hooks.finding_created.append(handler)
    yield seen
    hooks.finding_created.remove(handler)


def test_roster_shows_who_is_on_duty_and_flags_approved_leave(app, make_hall):
    site, windows, staff = make_hall(windows=2, per_window=2)
    db.session.add(
        Leave(
            staff_member_id=staff[1].id,
            starts_on=local_today() - timedelta(days=1),
            ends_on=local_today() + timedelta(days=1),
            reason="年休假",
        )
    )
    db.session.commit()
    roster = site_roster(db.session, site, local_today())
    assert [w.id for w in roster.windows] == [w.id for w in windows]
    assert {e.staff.id for e in roster.duty[windows[0].id]} == {staff[0].id, staff[1].id}
    assert roster.entry_for(staff[1].id).on_leave and not roster.entry_for(staff[0].id).on_leave


def test_submit_turns_each_failure_into_a_finding_and_everything_else_passes(
    app, catalogue, make_hall, make_user, finding_spy
):
    site, windows, staff = make_hall(windows=2, per_window=1)
    db.session.add(
        Leave(
            staff_member_id=staff[1].id,
            starts_on=local_today(),
            ends_on=local_today(),
            reason="病假",
        )
    )
    inspector = make_user(roles=("inspector",), sites=[site])
    db.session.commit()
    inspection = start_round(db.session, inspector, site)
    record_failure(
        db.session,
        inspector,
        inspection,
        target=Target("staff", staff[0].id),
        item_code="D06",
        reason="闲聊",
        severity="major",
    )
    record_failure(db.session, inspector, inspection, target=Target("area"), item_code="C05")
    with pytest.raises(DomainError):  # on approved leave: excused, never a finding
        record_failure(
            db.session, inspector, inspection, target=Target("staff", staff[1].id), item_code="A04"
        )
    with pytest.raises(DomainError):  # severity can be raised, not lowered
        record_failure(
            db.session,
            inspector,
            inspection,
            target=Target("staff", staff[0].id),
            item_code="A04",
            severity="minor",
        )
    findings = submit_round(db.session, inspector, inspection, require_photos=False)
    db.session.commit()
    assert sorted(finding_spy) == sorted(f.id for f in findings) and len(findings) == 2
    chat = next(f for f in findings if f.staff_member_id == staff[0].id)
    assert chat.severity == "major" and chat.reason == "闲聊" and chat.window_id == windows[0].id
    assert chat.description.startswith("D06") and chat.found_by_id == inspector.id
    counts = result_counts(db.session, inspection.id)
    staff_items, window_items, area_items = 17, 6, 3
    assert counts["fail"] == 2
    assert counts["excused"] == staff_items  # the one on leave
    assert counts["pass"] == (staff_items - 1) + 2 * window_items + (area_items - 1)
    # the passes are not rows: only the failures and the excused items are stored
    stored = dict(
        db.session.execute(
            sa.select(CheckResult.result, sa.func.count())
            .where(CheckResult.inspection_id == inspection.id)
            .group_by(CheckResult.result)
        ).all()
    )
    assert stored == {"fail": 2, "excused": staff_items}
    listed, _facts = results_of(db.session, [inspection.id])
    tally = {}
    for row in listed[inspection.id]:
        tally[row.result] = tally.get(row.result, 0) + 1
    assert tally == counts
    assert inspection.status == "submitted" and inspection.failure_count == 2
    with pytest.raises(DomainError):
        submit_round(db.session, inspector, inspection)


def test_items_requiring_a_photo_cannot_be_submitted_without_one(
    app, catalogue, make_hall, make_user
):
    site, windows, staff = make_hall(windows=1, per_window=1)
    inspector = make_user(roles=("inspector",), sites=[site])
    inspection = start_round(db.session, inspector, site)
    record_failure(
        db.session, inspector, inspection, target=Target("staff", staff[0].id), item_code="B02"
    )
    with pytest.raises(DomainError, match="B02"):
        submit_round(db.session, inspector, inspection)


def _files(app) -> set:
    from pathlib import Path

    folder = Path(app.config["UPLOAD_FOLDER"]) / "photos"
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def _fail_links(html: str) -> list[str]:
    return re.findall(r'href="([^"]*/fail\?target=[^"]+)"', html)


def test_round_on_the_web_marks_failures_with_photos_and_submits_once(
    app, client_for, catalogue, make_hall, jpeg, png, webp, finding_spy
):
    site, windows, staff = make_hall(windows=3, per_window=2)
    client = client_for("inspector", sites=[site])
    response = client.post(
        "/patrols/start",
        data={
            "site_id": site.id,
            "device_time": "2026-11-26T02:00:00.000Z",
            "latitude": "30.6",
            "longitude": "104.2",
        },
    )
    assert response.status_code == 302
    round_url = response.headers["Location"]
    page = client.get(round_url).get_data(as_text=True)
    links = _fail_links(page)
    assert len(links) == 1 + 3 + 6  # area, windows, staff
    staff_link = next(link for link in links if link.endswith(f"target=s{staff[2].id}"))
    assert client.get(staff_link).status_code == 200
    r = client.post(
        staff_link,
        data={
            "item": "B02",
            "reason": "未佩戴工牌",
            "photos": [
                (__import__("io").BytesIO(jpeg), "a.jpg"),
                (__import__("io").BytesIO(png), "b.png"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    window_link = next(link for link in links if link.endswith(f"target=w{windows[0].id}"))
    r = client.post(
        window_link,
        data={"item": "C01", "note": "杂物", "photos": [(__import__("io").BytesIO(webp), "c.jpg")]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    # resume: the round page lists what was marked
    page = client.get(round_url).get_data(as_text=True)
    assert "B02" in page and "C01" in page
    r = client.post(round_url + "/submit", data={"device_time": "2026-11-26T02:10:00Z"})
    assert r.status_code == 302
    detail = client.get(r.headers["Location"]).get_data(as_text=True)
    inspection = db.session.scalars(sa.select(Inspection)).one()
    assert inspection.status == "submitted" and inspection.latitude == pytest.approx(30.6)
    assert inspection.device_started_at is not None and inspection.device_submitted_at is not None
    findings = db.session.scalars(sa.select(Finding).order_by(Finding.id)).all()
    assert len(findings) == 2 and len(finding_spy) == 2
    photos = db.session.scalars(sa.select(Photo).order_by(Photo.id)).all()
    assert [p.finding_id for p in photos] == [findings[0].id, findings[0].id, findings[1].id]
    assert detail.count("/photos/") >= 6  # thumbnails linking to display copies
    # submitting again changes nothing
    again = client.post(round_url + "/submit", data={})
    assert again.status_code in (302, 303)
    assert db.session.scalar(sa.select(sa.func.count(Finding.id))) == 2


@pytest.mark.parametrize("bad", ["text", "bomb", "oversized"])
def test_a_refused_photo_saves_nothing_and_says_why(
    app, client_for, catalogue, make_hall, bomb, bad, make_image
):
    import io

    site, windows, staff = make_hall(windows=1, per_window=1)
    client = client_for("inspector", sites=[site])
    round_url = client.post("/patrols/start", data={"site_id": site.id}).headers["Location"]
    data = {
        "text": b"%PDF-1.4 not an image" * 20,
        "bomb": bomb,
        "oversized": make_image("JPEG", size=(4000, 4000)),
    }[bad]
    app.config["PHOTO_MAX_BYTES"] = 20_000 if bad == "oversized" else 12 * 1024 * 1024
    before = _files(app)
    try:
        r = client.post(
            f"{round_url}/fail?target=s{staff[0].id}",
            data={"item": "B01", "photos": [(io.BytesIO(data), "evidence.jpg")]},
            content_type="multipart/form-data",
        )
    finally:
        app.config.pop("PHOTO_MAX_BYTES", None)
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert 'role="alert"' in text
    assert db.session.scalar(sa.select(sa.func.count(CheckResult.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Photo.id))) == 0
    assert _files(app) == before


def test_window_qr_entry_opens_the_round_at_that_window(app, client_for, catalogue, make_hall):
    site, windows, staff = make_hall(windows=2, per_window=1)
    client = client_for("inspector", sites=[site])
    # Scanning shows a button that starts the round (reading the page starts nothing)
    page = client.get(f"/patrols/window/{windows[1].id}")
    assert page.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Inspection.id))) == 0
    assert f'name="window_id" value="{windows[1].id}"' in page.get_data(as_text=True)
    r = client.post("/patrols/start", data={"site_id": site.id, "window_id": windows[1].id})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"#w{windows[1].id}")
    # the same inspector scanning another window resumes the same round
    r2 = client.get(f"/patrols/window/{windows[0].id}")
    assert r2.headers["Location"].split("#")[0] == r.headers["Location"].split("#")[0]
    qr = client.get(f"/windows/qr?site={site.id}").get_data(as_text=True)
    assert qr.count('<figure class="qr">') == 2 and "A01" in qr and "A02" in qr


def test_patrol_page_issues_a_fixed_number_of_statements(
    app, client_for, catalogue, make_hall, make_user, count_queries
):
    counts = []
    for windows in (5, 40):
        site, _w, staff = make_hall(windows=windows, per_window=2)
        client = client_for("inspector", sites=[site])
        # a past round with findings at the site, and a failure in the open round
        past = start_round(db.session, client.user, site)
        record_failure(
            db.session, client.user, past, target=Target("staff", staff[0].id), item_code="D06"
        )
        submit_round(db.session, client.user, past)
        db.session.commit()
        url = client.post("/patrols/start", data={"site_id": site.id}).headers["Location"]
        client.post(f"{url}/fail?target=s{staff[1].id}", data={"item": "A01"})
        client.get(url)  # warm caches (translations, templates)
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200
        # a ✗ per person, and the Edit link of the failure marked
        assert response.get_data(as_text=True).count("/fail?target=s") == windows * 2 + 1
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 15


def test_submitting_a_40_window_round_with_5_failures_is_one_transaction(fresh_app):
    from datetime import date

    from compliance.accounts import create_user
    from compliance.models import Assignment, Post, Site, StaffMember, Window
    from inspections.catalogue import load_standard_catalogue

    fresh = fresh_app()
    with fresh.app_context():
        site, post = Site(code="T40", name="四十窗口"), Post(code="TP", name="岗位")
        db.session.add_all([site, post])
        db.session.flush()
        staff_ids = []
        for n in range(40):
            window = Window(site=site, code=f"A{n:02d}", name=f"窗口{n}")
            member = StaffMember(
                staff_no=f"T{n:03d}", name=f"员工{n}", site=site, hired_on=date(2020, 1, 1)
            )
            db.session.add_all([window, member])
            db.session.flush()
            db.session.add(
                Assignment(
                    staff_member=member,
                    post=post,
                    site=site,
                    window=window,
                    started_on=date(2020, 1, 1),
                )
            )
            staff_ids.append(member.id)
        load_standard_catalogue(db.session, None)
        create_user(
            db.session,
            None,
            username="t40",
            display_name="督查",
            roles=["inspector"],
            password="correct-horse-42",
            hash_method="scrypt:1024:8:1",
            all_sites=True,
        )
        db.session.commit()
        site_id = site.id
        client = fresh.test_client()
        client.post("/login", data={"username": "t40", "password": "correct-horse-42"})
        url = client.post("/patrols/start", data={"site_id": site_id}).headers["Location"]
        for n in range(5):
            client.post(f"{url}/fail", data={"target": f"s{staff_ids[n * 8]}", "item": "D06"})
        events = []
        listeners = {
            "commit": lambda conn: events.append("commit"),
            "rollback": lambda conn: events.append("rollback"),
        }
        for name, fn in listeners.items():
            sa.event.listen(db.engine, name, fn)
        try:
            assert client.post(f"{url}/submit").status_code == 302
        finally:
            for name, fn in listeners.items():
                sa.event.remove(db.engine, name, fn)
        assert events.count("commit") == 1, events
        db.session.rollback()  # end this session's old snapshot to see the request's commit
        inspection = db.session.scalars(sa.select(Inspection)).one()
        assert inspection.status == "submitted"
        assert db.session.scalar(sa.select(sa.func.count(Finding.id))) == 5
        # only the five failures are rows; the roster stands for the passes
        assert db.session.scalar(sa.select(sa.func.count(CheckResult.id))) == 5
        assert result_counts(db.session, inspection.id) == {
            "fail": 5,
            "pass": 3 + 40 * 6 + 40 * 17 - 5,
        }


def test_others_cannot_work_on_my_round(app, client_for, catalogue, make_hall):
    site, windows, staff = make_hall(windows=1, per_window=1)
    mine = client_for("inspector", sites=[site])
    url = mine.post("/patrols/start", data={"site_id": site.id}).headers["Location"]
    other = client_for("inspector", sites=[site])
    assert other.get(url).status_code == 403
    assert other.post(url + "/submit").status_code == 403
    elsewhere = client_for("inspector", sites=[make_hall(windows=1)[0]])
    assert elsewhere.get(url).status_code == 404
