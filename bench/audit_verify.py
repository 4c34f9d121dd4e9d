"""Benchmark: verifying the audit trail's keyed hash chain (issue 17: never in a web request;
the nightly incremental check under 2 s).

Builds a throw-away database (SQLite by default, or --db URL for PostgreSQL: a database is
created and dropped) with --events audit events chained with the real keyed hash, then times:
  1. the full verification (the weekly job and the administrator's button), as the baseline;
  2. a day's worth of new events (--day events) appended through `audit.record`;
  3. the nightly incremental verification from the newest checkpoint.

Usage: .venv/bin/python bench/audit_verify.py [--events 250000] [--day 700] [--db URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_app(url: str, workdir: str):
    from compliance import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "AUDIT_KEY": "bench-audit-key",
            "AUDIT_CHECKPOINT_DIR": os.path.join(workdir, "audit"),
            "INSTANCE_PATH": workdir,
            "TESTING": False,
        }
    )


def populate(app, events: int) -> None:
    """Bulk-insert a valid keyed chain (what a year or two of a district leaves behind)."""
    import sqlalchemy as sa

    from compliance.audit_chain import GENESIS, audit_key, event_hash
    from compliance.db import db
    from compliance.models import AuditEvent

    key = audit_key(app)
    table = AuditEvent.__table__
    prev = GENESIS
    start = datetime(2025, 1, 1, 8, 0)
    batch = []
    with db.engine.begin() as conn:
        for n in range(events):
            row = {
                "at": start + timedelta(seconds=n * 97),
                "actor_id": None,
                "actor_name": f"user{n % 300}",
                "action": ("finding.create", "rectification.respond", "rectification.verify")[
                    n % 3
                ],
                "entity_type": "Rectification",
                "entity_id": str(n // 3),
                "before": {"status": "open"} if n % 3 else None,
                "after": {"status": "responded", "note": "已整改，已上传照片", "n": n},
                "reason": None,
                "prev_hash": prev,
            }
            row["hash"] = event_hash(key, type("Row", (), row))
            prev = row["hash"]
            batch.append(row)
            if len(batch) == 5000:
                conn.execute(sa.insert(table), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(table), batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=250_000)
    parser.add_argument("--day", type=int, default=700)
    parser.add_argument("--db", help="PostgreSQL URL of a server to create a throw-away db on")
    args = parser.parse_args()

    import sqlalchemy as sa

    workdir = tempfile.mkdtemp(prefix="bench-audit-")
    drop = None
    if args.db:
        base = sa.make_url(args.db)
        name = f"bench_audit_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = base.set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    else:
        url = f"sqlite:///{workdir}/bench.db"
    app = make_app(url, workdir)
    try:
        from compliance.audit import record, verify_chain
        from compliance.db import db
        from compliance.uow import unit_of_work

        with app.app_context():
            db.create_all()
            t0 = time.perf_counter()
            populate(app, args.events)
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE audit_event")
            print(
                f"database: {db.engine.dialect.name}; built {args.events:,} events in "
                f"{time.perf_counter() - t0:.1f} s"
            )

            t0, c0 = time.perf_counter(), time.process_time()
            full = verify_chain(db.session)
            full_wall, full_cpu = time.perf_counter() - t0, time.process_time() - c0
            db.session.rollback()
            assert full.ok, full
            print(
                f"full verification (baseline): {full.checked:,} events in {full_wall:.2f} s "
                f"wall, {full_cpu:.2f} s CPU ({full_wall / full.checked * 1e6:.0f} µs/event)"
            )

            with unit_of_work():
                for n in range(args.day):
                    record(
                        db.session,
                        None,
                        "bench.day",
                        entity_type="Bench",
                        entity_id=n,
                        after={"n": n},
                    )
            t0, c0 = time.perf_counter(), time.process_time()
            step = verify_chain(db.session, incremental=True)
            step_wall, step_cpu = time.perf_counter() - t0, time.process_time() - c0
            db.session.rollback()
            assert step.ok and step.checked == args.day, step
            print(
                f"nightly incremental verification: {step.checked:,} new events (from event "
                f"{step.incremental_from:,}; {step.count:,} in all) in {step_wall:.3f} s wall, "
                f"{step_cpu:.3f} s CPU  [target < 2 s]"
            )
            print(f"ratio incremental / full: {step_wall / full_wall:.4f}")
    finally:
        with app.app_context():
            db.engine.dispose()
        if drop:
            drop()


if __name__ == "__main__":
    main()
