"""Confirming a roster preview: only the uploader, only once, only the previewed file, only while
the data it was computed from is unchanged; large imports run in the background with progress."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from compliance.audit import verify_chain
from compliance.db import db
from compliance.models import AuditEvent, StaffMember
from compliance.org import importer
from compliance.org.importer import applying
from compliance.org.models import RosterImport
from compliance.org.services import create_staff, update_staff
from compliance.scheduler.models import JobRun
from compliance.scheduler.registry import claim_queued, run_claimed

from .roster_files import (
    confirm,
    preview_token,
    roster_events,
    staff_count,
    staff_snapshot,
    upload,
    workbook,
)


def _rows(org, count: int, prefix: str = "N") -> list[list]:
    return [
        [f"{prefix}{i:05d}", f"新人{i}", None, "2025-03-01", org.centre.code, org.post.code, None, None]
        for i in range(count)
    ]  # fmt: skip


def _imp(token: str) -> RosterImport:
    db.session.expire_all()
    return db.session.scalar(sa.select(RosterImport).where(RosterImport.token == token))


def test_a_change_after_the_preview_is_refused_with_409(client_for, org, make_staff):
    member = make_staff(site=org.centre, post=org.post, window=org.w1)
    hr = client_for("hr")
    data = workbook(
        [
            [
                member.staff_no,
                "新名字",
                None,
                member.hired_on,
                org.centre.code,
                org.post.code,
                "A01",
                None,
            ]
        ]
    )
    token = preview_token(upload(hr, data))
    update_staff(db.session, None, member, phone="13700000000")
    db.session.commit()
    before = staff_snapshot()
    response = confirm(hr, token)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "重新上传" in text
    assert staff_snapshot() == before
    assert _imp(token).status == "preview"
    assert roster_events(hr.user.id) == []


def test_a_staff_number_taken_after_the_preview_is_refused(client_for, org):
    hr = client_for("hr")
    token = preview_token(upload(hr, workbook(_rows(org, 2))))
    create_staff(
        db.session,
        None,
        staff_no="N00001",
        name="抢先",
        hired_on=date(2025, 1, 1),
        site_id=org.centre.id,
    )
    db.session.commit()
    assert confirm(hr, token).status_code == 409
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(StaffMember.staff_no == "N00000")) == 0
    )


def test_confirm_once_only_by_the_uploader_with_the_previewed_file(client_for, org):
    hr = client_for("hr")
    other = client_for("hr")
    token = preview_token(upload(hr, workbook(_rows(org, 2))))
    assert other.get(f"/org/import/{token}").status_code == 404
    assert confirm(other, token).status_code == 404
    assert hr.get("/org/import/not-a-token").status_code == 404
    assert confirm(hr, token, sha256="0" * 64).status_code == 422
    assert confirm(hr, token, sha256="short").status_code == 400
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(StaffMember.staff_no == "N00000")) == 0
    )
    assert confirm(hr, token).status_code == 302
    again = confirm(hr, token)
    assert again.status_code == 409
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(StaffMember.staff_no.like("N0%"))) == 2
    )
    assert client_for("inspector").get(f"/org/import/{token}").status_code == 403


def test_a_preview_from_an_earlier_day_is_stale(app, org, make_user):
    hr = make_user(roles=("hr",))
    today = date(2026, 3, 2)
    imp, _plan = importer.preview(
        db.session, hr, workbook(_rows(org, 1)), today=today - timedelta(days=1)
    )
    try:
        importer.confirm(db.session, hr, imp, sha256=imp.sha256, today=today)
    except importer.service.StaleError as exc:
        assert exc.code == "org.roster_stale"
    else:
        raise AssertionError("a preview from yesterday was applied")


def test_batches_write_one_audit_event_each_and_the_chain_stays_valid(
    app, org, make_user, monkeypatch
):
    monkeypatch.setattr(applying, "BATCH", 40)
    hr = make_user(roles=("hr",))
    imp, plan = importer.preview(db.session, hr, workbook(_rows(org, 100)), today=date(2026, 1, 1))
    assert plan.errors == [] and imp.to_create == 100
    assert importer.confirm(db.session, hr, imp, sha256=imp.sha256, today=date(2026, 1, 1)) == (
        "applied"
    )
    events = roster_events(hr.id)
    assert [e.action for e in events] == ["roster.create_batch"] * 3 + ["roster.import"]
    assert [e.after["rows"] for e in events[:3]] == [40, 40, 20]
    ids = {s[0] for e in events[:3] for s in e.after["staff"]}
    created = set(
        db.session.scalars(sa.select(StaffMember.id).where(StaffMember.staff_no.like("N%")))
    )
    assert ids == created
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "staff.create", AuditEvent.actor_id == hr.id)) == 0  # fmt: skip
    db.session.commit()
    assert verify_chain(db.session).ok


def test_a_large_import_runs_in_the_background_with_progress_and_result(client_for, org, app):
    hr = client_for("hr")
    count = importer.BACKGROUND_ROWS + 30
    token = preview_token(upload(hr, workbook(_rows(org, count))))
    before = staff_count()
    response = confirm(hr, token)
    assert response.status_code == 302
    assert staff_count() == before  # nothing written in the request
    imp = _imp(token)
    assert imp.status == "queued" and imp.job_run_id is not None
    waiting = hr.get(f"/org/import/{token}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting and "排队" in waiting

    # While the job runs its page shows how far it got (the job reports after every batch).
    run = db.session.get(JobRun, imp.job_run_id)
    run.outcome, run.counts = "running", {"import": imp.id, "done": 120, "total": count}
    db.session.commit()
    running = hr.get(f"/org/import/{token}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in running and f"120 / {count}" in running
    run.outcome = "queued"
    db.session.commit()

    for run_id in claim_queued(db.session):
        run_claimed(app, run_id)
    done = hr.get(f"/org/import/{token}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in done and "导入完成" in done
    assert staff_count() == before + count
    run = db.session.get(JobRun, _imp(token).job_run_id)
    assert run.outcome == "success" and run.counts["created"] == count
    assert [e.action for e in roster_events(hr.user.id)][-1] == "roster.import"


def test_a_background_import_made_stale_before_it_runs_fails_and_writes_nothing(
    client_for, org, make_staff, app
):
    member = make_staff(site=org.centre, post=org.post)
    hr = client_for("hr")
    rows = _rows(org, importer.BACKGROUND_ROWS + 5)
    rows.append(
        [member.staff_no, "改名", None, member.hired_on, org.centre.code, org.post.code, None, None]
    )
    token = preview_token(upload(hr, workbook(rows)))
    assert confirm(hr, token).status_code == 302
    update_staff(db.session, None, member, phone="13600000000")
    db.session.commit()
    before = staff_count()
    for run_id in claim_queued(db.session):
        run_claimed(app, run_id)
    assert staff_count() == before
    assert _imp(token).status == "failed"
    page = hr.get(f"/org/import/{token}").get_data(as_text=True)
    assert "未写入任何数据" in page and "重新上传" in page


def test_unconfirmed_previews_of_earlier_days_are_purged(app, make_user):
    today = date(2026, 3, 10)
    user = make_user(roles=("hr",))
    rows = []
    for made_on, status in (
        (today - timedelta(days=1), "preview"),
        (today, "preview"),
        (today - timedelta(days=5), "applied"),
    ):
        rows.append(
            RosterImport(
                token=f"tok-{made_on}-{status}",
                sha256="0" * 64,
                filename="r.xlsx",
                uploaded_by_id=user.id,
                made_on=made_on,
                state_digest="0" * 64,
                status=status,
                plan={},
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    assert importer.purge_previews_job(app, today) == {"deleted": 1}
    assert importer.purge_previews_job(app, today) == {"deleted": 0}
    left = db.session.scalars(sa.select(RosterImport.token).order_by(RosterImport.id)).all()
    assert left == [rows[1].token, rows[2].token]
