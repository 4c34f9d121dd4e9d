"""The audit trail: written in the caller's transaction, append-only in the database, and
tamper-evident through its hash chain (`compliance audit verify`) and its pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape

from compliance.audit import record, verify_chain
from compliance.cli import main as cli
from compliance.db import db
from compliance.models import AuditEvent, User

TEST_PASSWORD = "correct-horse-42"


def _count_events() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def test_event_is_written_in_the_same_transaction(app, make_user):
    from compliance.accounts import create_user

    admin = make_user(roles=("admin",))
    before = _count_events()
    user = create_user(
        db.session,
        admin,
        username="rolled_back",
        display_name="x",
        roles=["staff"],
        password="correct-horse-42",
        all_sites=True,
        hash_method=app.config["PASSWORD_HASH_METHOD"],
    )
    assert _count_events() == before + 1
    db.session.rollback()
    assert _count_events() == before
    assert db.session.scalar(sa.select(User).where(User.username == "rolled_back")) is None
    del user


def test_rollback_removes_the_event_on_a_real_database(fresh_app):
    app = fresh_app()
    with app.app_context():
        record(db.session, None, "thing.create", entity_type="Thing", entity_id=1, after={"a": 1})
        db.session.commit()
        record(db.session, None, "thing.update", entity_type="Thing", entity_id=1, after={"a": 2})
        db.session.rollback()
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
        assert actions == ["thing.create"]
        # The chain continues from the committed event, not the rolled-back one.
        record(db.session, None, "thing.update", entity_type="Thing", entity_id=1, after={"a": 3})
        db.session.commit()
        assert verify_chain(db.session).ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'forged'",
        "DELETE FROM audit_event",
    ],
)
def test_database_refuses_update_and_delete(app, statement):
    record(db.session, None, "thing.create", entity_type="Thing", entity_id=1, after={"a": 1})
    db.session.commit()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(sa.text(statement))
    assert (
        db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.entity_type == "Thing"))
        == "thing.create"
    )


def _tamper(app, event_id: int) -> None:
    """Change one event's `after` behind the guard trigger's back, then restore the guard."""
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change")
            conn.execute(
                sa.update(AuditEvent)
                .where(AuditEvent.id == event_id)
                .values(after={"display_name": "forged"})
            )
            conn.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_event_no_update")
            conn.execute(
                sa.update(AuditEvent)
                .where(AuditEvent.id == event_id)
                .values(after={"display_name": "forged"})
            )
            from compliance.models import install_audit_guards

            install_audit_guards(conn)


def _fill(app) -> list[int]:
    with app.app_context():
        ids = []
        for n in range(5):
            event = record(
                db.session,
                None,
                "thing.update",
                entity_type="Thing",
                entity_id=n,
                before={"n": n},
                after={"n": n + 1},
            )
            ids.append(event.id)
        db.session.commit()
        return ids


def test_audit_verify_passes_on_an_intact_chain_and_names_a_tampered_event(fresh_app):
    app = fresh_app()
    ids = _fill(app)
    runner = app.test_cli_runner()
    intact = runner.invoke(cli, ["audit", "verify", "--lang", "en"])
    assert intact.exit_code == 0, intact.output
    assert "5 events verified" in intact.output
    _tamper(app, ids[2])
    # The guard is back in place after the tampering.
    with app.app_context():
        with pytest.raises(sa.exc.DatabaseError), db.engine.begin() as conn:
            conn.execute(sa.update(AuditEvent).values(action="again"))
    broken = runner.invoke(cli, ["audit", "verify", "--lang", "en"])
    assert broken.exit_code != 0
    assert f"Event {ids[2]} does not match its hash" in broken.output


def test_verify_button_queues_a_check_whose_page_shows_progress_and_result(fresh_app):
    """The chain is never recomputed inside a web request: the button queues a run for the
    scheduler, and the run's page (refreshing itself until done) shows the outcome."""
    from compliance.scheduler.registry import claim_queued, run_claimed

    app = fresh_app()
    ids = _fill(app)
    from compliance.accounts import create_user

    with app.app_context():
        create_user(
            db.session,
            None,
            username="root",
            display_name="root",
            roles=["admin"],
            password=TEST_PASSWORD,
            all_sites=True,
            hash_method=app.config["PASSWORD_HASH_METHOD"],
        )
        db.session.commit()
    client = app.test_client()

    def check() -> str:
        queued = client.post("/audit/verify")
        assert queued.status_code == 302
        status_url = queued.headers["Location"]
        waiting = client.get(status_url).get_data(as_text=True)
        assert 'http-equiv="refresh"' in waiting and "排队" in waiting
        for run_id in claim_queued(db.session):
            run_claimed(app, run_id)
        page = client.get(status_url).get_data(as_text=True)
        assert 'http-equiv="refresh"' not in page
        return page

    with app.app_context():  # the test client expires the test session after each request
        response = client.post("/login", data={"username": "root", "password": TEST_PASSWORD})
        assert response.status_code == 302
        assert "审计日志完整" in check()
        _tamper(app, ids[1])
        broken = check()
        assert "审计日志已被篡改" in broken
        assert f"/audit/{ids[1]}" in broken and f"事件 {ids[1]}" in broken


def test_audit_pages_filter_paginate_and_show_the_diff(client_for, make_user, app):
    admin = client_for("admin")
    target = make_user(username="diff_target", roles=("inspector",))
    admin.post(
        f"/admin/users/{target.id}",
        data={
            "display_name": "改过的名字",
            "roles": ["inspector", "hr"],
            "all_sites": "y",
        },
    )
    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "user.update", AuditEvent.entity_id == str(target.id)
        )
    )
    listing = admin.get(
        "/audit", query_string={"action": "user.update", "actor": admin.user.username}
    )
    assert listing.status_code == 200
    assert f'/audit/{event.id}"' in listing.get_data(as_text=True)
    assert f'/audit/{event.id}"' not in admin.get(
        "/audit", query_string={"actor": "system"}
    ).get_data(as_text=True)
    assert "<code>" not in admin.get("/audit", query_string={"actor": "no-such-user"}).get_data(
        as_text=True
    )
    system_event = record(db.session, None, "thing.create", entity_type="Thing", entity_id=1)
    db.session.commit()
    assert f'/audit/{system_event.id}"' in admin.get(
        "/audit", query_string={"actor": "system"}
    ).get_data(as_text=True)
    other = admin.get("/audit", query_string={"action": "user.create"})
    assert f'/audit/{event.id}"' not in other.get_data(as_text=True)
    prefix = admin.get("/audit", query_string={"action": "user."})
    assert f'/audit/{event.id}"' in prefix.get_data(as_text=True)
    by_entity = admin.get("/audit", query_string={"entity_type": "User", "entity_id": target.id})
    assert f'/audit/{event.id}"' in by_entity.get_data(as_text=True)
    detail = admin.get(f"/audit/{event.id}")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200
    assert "<del>" in text and "改过的名字" in text
    assert f"<ins>{escape(json.dumps(['hr', 'inspector']))}</ins>" in text


def test_audit_date_filter_uses_local_days(client_for, app):
    from compliance.timeutil import local_today

    admin = client_for("discipline")
    record(db.session, None, "thing.old", entity_type="Thing", entity_id=1)
    db.session.commit()
    old = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "thing.old"))
    # Events cannot be back-dated (the table is append-only), so the event of today must be found
    # by a filter on today and missed by a filter ending yesterday.
    today = local_today()
    hit = admin.get(
        "/audit", query_string={"date_from": today.isoformat(), "date_to": today.isoformat()}
    )
    assert f'/audit/{old.id}"' in hit.get_data(as_text=True)
    miss = admin.get("/audit", query_string={"date_to": (today - timedelta(days=1)).isoformat()})
    assert f'/audit/{old.id}"' not in miss.get_data(as_text=True)
    bad = admin.get(
        "/audit",
        query_string={
            "date_from": today.isoformat(),
            "date_to": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert bad.status_code == 400 and "结束日期早于开始日期" in bad.get_data(as_text=True)


def test_audit_list_paginates(client_for):
    admin = client_for("admin")
    for n in range(55):
        record(db.session, None, "bulk.create", entity_type="Bulk", entity_id=n)
    db.session.commit()
    first = admin.get("/audit", query_string={"action": "bulk.create"}).get_data(as_text=True)
    second = admin.get("/audit", query_string={"action": "bulk.create", "page": 2}).get_data(
        as_text=True
    )
    assert first.count("<code>bulk.create</code>") == 50 and "page=2" in first
    assert second.count("<code>bulk.create</code>") == 5


def test_scoped_reader_sees_only_events_of_their_sites(client_for, make_site, make_staff):
    site_a, site_b = make_site(), make_site()
    staff_a, staff_b = make_staff(site=site_a), make_staff(site=site_b)
    ev_a = record(db.session, None, "staff.update", staff_a)
    ev_b = record(db.session, None, "staff.update", staff_b)
    db.session.commit()
    scoped = client_for("discipline", sites=[site_a])
    listing = scoped.get("/audit").get_data(as_text=True)
    assert f'/audit/{ev_a.id}"' in listing and f'/audit/{ev_b.id}"' not in listing
    assert scoped.get(f"/audit/{ev_a.id}").status_code == 200
    assert scoped.get(f"/audit/{ev_b.id}").status_code == 404
    everything = client_for("discipline")
    assert everything.get(f"/audit/{ev_b.id}").status_code == 200


def test_only_admins_may_verify_and_only_admin_discipline_read(client_for):
    assert client_for("discipline").post("/audit/verify").status_code == 403
    for role in ("inspector", "hr", "staff"):
        assert client_for(role).get("/audit").status_code == 403


def test_nightly_job_notifies_admins_once_when_the_chain_is_broken(fresh_app):
    from datetime import date

    from compliance.accounts import create_user
    from compliance.notifications.models import Notification
    from compliance.scheduler import run_job

    app = fresh_app()
    with app.app_context():
        for name, roles in (("root", ["admin"]), ("auditor", ["discipline"])):
            create_user(
                db.session,
                None,
                username=name,
                display_name=name,
                roles=roles,
                password=TEST_PASSWORD,
                all_sites=True,
                hash_method=app.config["PASSWORD_HASH_METHOD"],
            )
        db.session.commit()
    ids = _fill(app)
    intact = run_job(app, "audit.verify_chain", date(2026, 5, 1))
    assert intact.outcome == "success", intact.error
    assert intact.counts["broken_event"] == 0 and intact.counts["admins_notified"] == 0
    _tamper(app, ids[3])
    broken = run_job(app, "audit.verify_chain", date(2026, 5, 2))
    assert broken.counts["broken_event"] == ids[3] and broken.counts["admins_notified"] == 1
    again = run_job(app, "audit.verify_chain", date(2026, 5, 2))
    assert again.counts["admins_notified"] == 0
    with app.app_context():
        notes = db.session.scalars(sa.select(Notification)).all()
        assert len(notes) == 1
        assert notes[0].link == f"/audit/{ids[3]}" and str(ids[3]) in notes[0].title
        assert "审计日志" in notes[0].title
    client = app.test_client()
    with app.app_context():
        client.post("/login", data={"username": "root", "password": TEST_PASSWORD})
        page = client.get("/audit").get_data(as_text=True)
        assert f"在事件 {ids[3]} 处断裂" in page


def test_audit_page_says_the_chain_is_checked_nightly(client_for):
    assert "每晚自动校验" in client_for("admin").get("/audit").get_data(as_text=True)
    assert "每晚自动校验" not in client_for("discipline").get("/audit").get_data(as_text=True)


def test_audit_ledger_exports_the_events_with_their_changes(
    client_for, make_user, make_site, make_staff
):
    import io

    from openpyxl import load_workbook

    from compliance.timeutil import local_today

    admin = client_for("admin")
    target = make_user(username="ledger_target", display_name="旧名字")
    admin.post(
        f"/admin/users/{target.id}",
        data={"display_name": "新名字", "roles": ["staff"], "all_sites": "y"},
    )
    site_a, site_b = make_site(), make_site()
    staff_a, staff_b = make_staff(site=site_a), make_staff(site=site_b)
    ev_a = record(
        db.session,
        None,
        "staff.update",
        staff_a,
        before={"name": "x"},
        after={"name": "y"},
        reason="更正",
    )
    ev_b = record(db.session, None, "staff.update", staff_b)
    db.session.commit()
    today = local_today().isoformat()
    officer = client_for("discipline")
    response = officer.post("/reports/audit_trail/export", data={"from": today, "to": today})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    rows = list(load_workbook(io.BytesIO(response.data)).worksheets[0].iter_rows(values_only=True))[
        2:
    ]
    by_id = {r[0]: r for r in rows}
    # Words, names and only what changed (the audit ledger's own tests are in tests/ledgers).
    update = next(r for r in rows if r[3] == "修改用户账号" and r[5].endswith(f"(#{target.id})"))
    assert update[2] == f"{admin.user.display_name} ({admin.user.username})"
    assert update[4] == "用户账号" and update[5].startswith("新名字 (ledger_target)")
    assert "显示名称：旧名字 → 新名字" in update[6].split("\n")
    assert by_id[ev_a.id][6] == "名称：x → y" and by_id[ev_a.id][7] == "更正"
    assert by_id[ev_a.id][8] == ev_a.hash
    # A reader limited to site A exports only the events of site A's records (and their own).
    scoped = client_for("discipline", sites=[site_a])
    rows = list(
        load_workbook(
            io.BytesIO(
                scoped.post("/reports/audit_trail/export", data={"from": today, "to": today}).data
            )
        )
        .worksheets[0]
        .iter_rows(values_only=True)
    )[2:]
    ids = {r[0] for r in rows}
    assert ev_a.id in ids and ev_b.id not in ids
    assert (
        client_for("hr")
        .post("/reports/audit_trail/export", data={"from": today, "to": today})
        .status_code
        == 403
    )


def _without_guards(app, statements):
    """Run SQL with the append-only guards dropped (what anyone with the database file can do)."""
    from compliance.models import install_audit_guards

    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_event_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
        for statement in statements:
            statement(conn)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change")
        else:
            install_audit_guards(conn)


def test_verify_names_the_gap_when_the_newest_events_are_deleted(fresh_app, tmp_path):
    app = fresh_app(AUDIT_CHECKPOINT_DIR=str(tmp_path / "audit"))
    ids = _fill(app)
    runner = app.test_cli_runner()
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    # The head remembered after each commit names the newest event even without a new check.
    ids += _fill(app)
    _without_guards(
        app, [lambda conn: conn.execute(sa.delete(AuditEvent).where(AuditEvent.id.in_(ids[-3:])))]
    )
    broken = runner.invoke(cli, ["audit", "verify", "--lang", "en"])
    assert broken.exit_code != 0
    assert f"Event {ids[-1]}" in broken.output and "is missing" in broken.output
    assert f"the database ends at event {ids[-4]}" in broken.output


def test_verify_notices_deleted_events_that_a_checkpoint_counted(fresh_app, tmp_path):
    app = fresh_app(AUDIT_CHECKPOINT_DIR=str(tmp_path / "audit"))
    ids = _fill(app)
    runner = app.test_cli_runner()
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    # Remove the first two events and re-link the rest: the count no longer matches.
    _without_guards(
        app, [lambda conn: conn.execute(sa.delete(AuditEvent).where(AuditEvent.id.in_(ids[:2])))]
    )
    broken = runner.invoke(cli, ["audit", "verify", "--incremental", "--lang", "en"])
    assert broken.exit_code != 0
    assert "events were removed" in broken.output


def test_a_chain_rehashed_without_the_key_is_caught(fresh_app, tmp_path):
    """Edit one event and re-hash it and every later event with the application's own function
    but another key (the attacker does not have AUDIT_KEY): verify names the edited event."""
    from compliance.audit_chain import GENESIS, event_hash

    app = fresh_app(AUDIT_CHECKPOINT_DIR="")
    ids = _fill(app)

    def rehash(conn):
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == ids[1]).values(after={"n": 99}))
        prev = GENESIS
        for row in conn.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).all():
            forged = event_hash(b"guessed-key", type("R", (), {**row._mapping, "prev_hash": prev}))
            conn.execute(
                sa.update(AuditEvent)
                .where(AuditEvent.id == row.id)
                .values(prev_hash=prev, hash=forged)
            )
            prev = forged

    _without_guards(app, [rehash])
    broken = app.test_cli_runner().invoke(cli, ["audit", "verify", "--lang", "en"])
    assert broken.exit_code != 0
    assert f"Event {ids[0]} does not match its hash" in broken.output


def test_an_edited_checkpoint_file_is_reported(fresh_app, tmp_path):
    folder = tmp_path / "audit"
    app = fresh_app(AUDIT_CHECKPOINT_DIR=str(folder))
    _fill(app)
    runner = app.test_cli_runner()
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    lines = (folder / "checkpoints.jsonl").read_text().splitlines()
    import json

    data = json.loads(lines[0])
    data["count"] = 1
    (folder / "checkpoints.jsonl").write_text(json.dumps(data) + "\n")
    broken = runner.invoke(cli, ["audit", "verify", "--lang", "en"])
    assert broken.exit_code != 0 and "not signed" in broken.output


def test_incremental_verification_starts_at_the_newest_checkpoint(fresh_app, tmp_path):
    from compliance.audit import verify_chain

    app = fresh_app(AUDIT_CHECKPOINT_DIR=str(tmp_path / "audit"))
    _fill(app)
    with app.app_context():
        full = verify_chain(db.session)
        assert full.ok and full.checked == 5 and full.count == 5
    _fill(app)
    with app.app_context():
        step = verify_chain(db.session, incremental=True)
        assert step.ok and step.checked == 5 and step.count == 10
        assert step.incremental_from == full.last_id
