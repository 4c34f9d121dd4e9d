"""Benchmark: the monthly assessment at district scale (issue 13: closing a month under 5 s;
the live score page with a constant number of statements, under 100 ms server time).

Builds a throw-away database (SQLite by default, or --db URL for PostgreSQL: a database is
created and dropped) with --sites sites (10 windows each), --staff staff members (each with an
account, so the close notifies every one), a year of findings (--findings per month) with their
rectifications (some overdue), upheld complaints and commendations, keepers and pairings. Times:
  1. the baseline: a naive per-person computation of the month (a few queries per person);
  2. closing December (compute, snapshot, notify each staff member), in one transaction;
  3. the live score page of the open November... as the admin sees it (every staff member),
     with its statement count, and the same page for one site (the count must not change);
  4. the dashboard (with the scores panel) after the close.

Usage: .venv/bin/python bench/evaluation.py [--sites 50] [--staff 2000] [--findings 2500]
       [--db postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

YEAR = 2025
PASSWORD = "Bench-password-1"


def make_app(url: str, workdir: str):
    from compliance import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "AUDIT_KEY": "bench-audit-key",
            "AUDIT_CHECKPOINT_DIR": "",
            "INSTANCE_PATH": workdir,
            "UPLOAD_FOLDER": os.path.join(workdir, "uploads"),
            "PASSWORD_HASH_METHOD": "argon2id:256:1:1",
            "WTF_CSRF_ENABLED": False,
            "TESTING": False,
        }
    )


def populate(args) -> dict:
    """Bulk inserts (Core), a seeded generator: the same district every run."""
    import sqlalchemy as sa

    from compliance.db import db
    from compliance.models import Assignment, Post, Site, StaffMember, User, UserRole, Window
    from inspections.models import CheckItem, CheckItemVersion, Finding
    from inspections.rectification.models import ConductRecord, Rectification, WindowKeeper
    from training.models import MentorPairing

    rng = random.Random(13)
    conn = db.session.connection()

    def insert(model, rows):
        for start in range(0, len(rows), 5000):
            conn.execute(sa.insert(model), rows[start : start + 5000])

    insert(
        Site,
        [
            {"id": s, "code": f"S{s:03d}", "name": f"便民服务中心{s:03d}"}
            for s in range(1, args.sites + 1)
        ],
    )
    windows = []
    for s in range(1, args.sites + 1):
        for w in range(10):
            windows.append(
                {"id": len(windows) + 1, "site_id": s, "code": f"W{w:02d}", "name": f"窗口{w}"}
            )
    insert(Window, windows)
    insert(Post, [{"id": p, "code": f"P{p}", "name": f"岗位{p}"} for p in range(1, 5)])
    staff, assignments, users = [], [], []
    per_site = args.staff // args.sites
    for n in range(args.staff):
        site = n // per_site % args.sites + 1
        window = (site - 1) * 10 + (n % 10) + 1
        staff.append(
            {
                "id": n + 1,
                "staff_no": f"N{n:05d}",
                "name": f"员工{n:05d}",
                "site_id": site,
                "hired_on": date(2020, 1, 1),
            }
        )
        assignments.append(
            {
                "staff_member_id": n + 1,
                "post_id": n % 4 + 1,
                "site_id": site,
                "window_id": window,
                "started_on": date(2020, 1, 1),
            }
        )
        users.append(
            {
                "id": n + 2,
                "username": f"u{n:05d}",
                "display_name": f"员工{n:05d}",
                "password_hash": "x",
                "staff_member_id": n + 1,
            }
        )
    insert(StaffMember, staff)
    insert(Assignment, assignments)
    insert(User, users)
    insert(UserRole, [{"user_id": u["id"], "role": "staff"} for u in users])
    insert(
        WindowKeeper,
        [
            {"window_id": w["id"], "keeper_staff_id": (w["site_id"] - 1) * per_site + 1}
            for w in windows
        ],
    )
    insert(
        MentorPairing,
        [
            {
                "mentor_id": m,
                "mentee_id": m + 1,
                "starts_on": date(YEAR, 1, 1),
                "ends_on": date(YEAR + 1, 6, 30),
                "status": "active",
                "kind": "onboarding",
            }
            for m in range(1, min(args.staff, 400), 4)
        ],
    )
    items = []
    for i in range(1, 21):
        items.append(
            {
                "id": i,
                "code": f"C{i:02d}",
                "category": ("attendance", "attire", "hygiene", "conduct")[i % 4],
                "target": ("staff", "staff", "window", "area")[i % 4],
            }
        )
    insert(CheckItem, items)
    insert(
        CheckItemVersion,
        [
            {
                "id": i["id"],
                "item_id": i["id"],
                "version": 1,
                "text_zh": i["code"],
                "text_en": i["code"],
                "severity": ("minor", "minor", "major", "critical")[
                    i["id"] % 4 if i["id"] % 7 else 0
                ],
                "points": 1 + i["id"] % 5,
            }
            for i in items
        ],
    )
    findings, rects, conduct = [], [], []
    for month in range(1, 13):
        first = date(YEAR, month, 1)
        days = ((date(YEAR, month + 1, 1) if month < 12 else date(YEAR + 1, 1, 1)) - first).days
        for _ in range(args.findings):
            item = items[rng.randrange(20)]
            staff_no = rng.randrange(args.staff) + 1
            member = staff[staff_no - 1]
            window = assignments[staff_no - 1]["window_id"]
            day = first + timedelta(days=rng.randrange(days))
            fid = len(findings) + 1
            severity = ("minor", "minor", "major", "critical")[
                item["id"] % 4 if item["id"] % 7 else 0
            ]
            findings.append(
                {
                    "id": fid,
                    "item_version_id": item["id"],
                    "category": item["category"],
                    "target": item["target"],
                    "site_id": member["site_id"],
                    "window_id": window if item["target"] != "area" else None,
                    "staff_member_id": staff_no if item["target"] == "staff" else None,
                    "severity": severity,
                    "description": f"{item['code']} {day}",
                    "found_at": datetime(day.year, day.month, day.day, 2, rng.randrange(60)),
                }
            )
            deadline = day + timedelta(days=3)
            late = rng.random() < 0.15
            closed = (
                None
                if late and rng.random() < 0.5
                else deadline + timedelta(days=rng.randrange(8) if late else -1)
            )
            rects.append(
                {
                    "id": fid,
                    "source": "finding",
                    "finding_id": fid,
                    "site_id": member["site_id"],
                    "window_id": window,
                    "category": item["category"],
                    "severity": severity,
                    "title": f"整改 {fid}",
                    "responsible_staff_id": staff_no,
                    "status": "open" if closed is None else "verified",
                    "opened_at": datetime(day.year, day.month, day.day, 3),
                    "opened_on": day,
                    "first_deadline_on": deadline,
                    "deadline_on": deadline,
                    "closed_on": closed,
                    "closed_at": None
                    if closed is None
                    else datetime(closed.year, closed.month, closed.day, 3),
                }
            )
        for n in range(args.findings // 10):
            staff_no = rng.randrange(args.staff) + 1
            kind = "complaint" if n % 2 else "commendation"
            conduct.append(
                {
                    "kind": kind,
                    "source": "letter",
                    "subject": "staff",
                    "staff_member_id": staff_no,
                    "site_id": staff[staff_no - 1]["site_id"],
                    "received_on": first + timedelta(days=rng.randrange(days)),
                    "text": f"{kind} {n}",
                    "severity": "minor",
                    "outcome": "upheld" if kind == "complaint" else None,
                }
            )
    insert(Finding, findings)
    insert(Rectification, rects)
    insert(ConductRecord, conduct)
    return {"findings": len(findings), "conduct": len(conduct)}


@contextlib.contextmanager
def counting(engine):
    import sqlalchemy as sa

    box = {"n": 0}

    def before(conn, cursor, statement, parameters, context, executemany):
        box["n"] += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield box
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def naive_month(session, scheme, month: date) -> dict[int, float]:
    """The baseline: what a first version would do, a few queries per person."""
    import sqlalchemy as sa

    from compliance.models import StaffMember
    from compliance.periods import next_month
    from compliance.timeutil import local_day_bounds_utc
    from inspections.models import CheckItemVersion, Finding
    from inspections.rectification.models import ConductRecord

    start = local_day_bounds_utc(month)[0]
    end = local_day_bounds_utc(next_month(month))[0]
    scores = {}
    for member in session.scalars(sa.select(StaffMember)):
        total = scheme.base_score
        for finding in session.scalars(
            sa.select(Finding).where(
                Finding.staff_member_id == member.id,
                Finding.found_at >= start,
                Finding.found_at < end,
            )
        ):
            version = session.get(CheckItemVersion, finding.item_version_id)
            total -= version.points * scheme.multiplier(finding.severity)
        for record in session.scalars(
            sa.select(ConductRecord).where(
                ConductRecord.staff_member_id == member.id,
                ConductRecord.received_on >= month,
                ConductRecord.received_on < next_month(month),
            )
        ):
            total += (
                scheme.commendation_points
                if record.kind == "commendation"
                else -scheme.complaint_points
            )
        scores[member.id] = total
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--staff", type=int, default=2000)
    parser.add_argument("--findings", type=int, default=2500, help="findings per month")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure")
    parser.add_argument("--db", help="PostgreSQL URL of a server to create a throw-away db on")
    args = parser.parse_args()

    import sqlalchemy as sa

    workdir = tempfile.mkdtemp(prefix="bench-evaluation-")
    drop = None
    if args.db:
        base = sa.make_url(args.db)
        name = f"bench_eval_{uuid.uuid4().hex[:8]}"
        admin_engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = base.set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin_engine.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    else:
        url = f"sqlite:///{workdir}/bench.db"
    app = make_app(url, workdir)
    try:
        from compliance.accounts import create_user
        from compliance.db import db
        from compliance.uow import unit_of_work
        from evaluation.services import close_month, compute_month, create_scheme, scheme_for

        with app.app_context():
            db.create_all()
            t0 = time.perf_counter()
            with unit_of_work():
                built = populate(args)
                admin = create_user(
                    db.session,
                    None,
                    username="bench_admin",
                    display_name="管理员",
                    roles=["admin", "discipline"],
                    password=PASSWORD,
                    hash_method=app.config["PASSWORD_HASH_METHOD"],
                    all_sites=True,
                )
                create_scheme(db.session, admin, date(YEAR, 1, 1), {})
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
            print(
                f"database: {db.engine.dialect.name}; {args.sites} sites, {args.staff:,} staff, "
                f"{built['findings']:,} findings (a year), {built['conduct']:,} complaints and "
                f"commendations; built in {time.perf_counter() - t0:.1f} s"
            )
            december = date(YEAR, 12, 1)
            scheme = scheme_for(db.session, december)

            t0 = time.perf_counter()
            with counting(db.engine) as naive_count:
                naive = naive_month(db.session, scheme, december)
            naive_s = time.perf_counter() - t0
            db.session.rollback()
            print(
                f"baseline, naive per-person month: {len(naive):,} people in {naive_s:.2f} s, "
                f"{naive_count['n']:,} statements"
            )

            runs = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                with counting(db.engine) as compute_count:
                    scores = compute_month(db.session, scheme, december)
                runs.append(time.perf_counter() - t0)
                db.session.rollback()
            compute_s = statistics.median(runs)
            print(
                f"month scores (staff, windows, sites with itemised lines): {len(scores.staff):,} "
                f"people in {compute_s:.3f} s (median of {args.repeat}), "
                f"{compute_count['n']} statements; ratio to the naive baseline "
                f"{compute_s / naive_s:.3f}"
            )

            t0 = time.perf_counter()
            with counting(db.engine) as close_count:
                with unit_of_work():
                    actor = db.session.get(type(admin), admin.id)
                    close = close_month(db.session, actor, december, today=date(YEAR + 1, 1, 10))
                    closed_staff = close.staff_count
            close_s = time.perf_counter() - t0
            print(
                f"close December (compute, {closed_staff:,} staff + windows + sites snapshot, "
                f"notify {closed_staff:,} people, commit): {close_s:.2f} s, "
                f"{close_count['n']:,} statements  [target < 5 s]"
            )
            print(f"ratio close / naive baseline: {close_s / naive_s:.3f}")

        client = app.test_client()
        response = client.post("/login", data={"username": "bench_admin", "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        with mock.patch("evaluation.views.common.local_today", return_value=date(YEAR, 11, 20)):
            for label, query in (
                ("every site", "/evaluation/scores?month=2025-11"),
                ("one site", "/evaluation/scores?month=2025-11&site=1"),
                ("closed month", "/evaluation/scores?month=2025-12"),
                ("dashboard", "/dashboard"),
            ):
                client.get(query)  # warm
                took = []
                with app.app_context():
                    engine = db.engine
                for _ in range(args.repeat):
                    with counting(engine) as count:
                        t0 = time.perf_counter()
                        page = client.get(query)
                        took.append(time.perf_counter() - t0)
                    assert page.status_code == 200, (query, page.status_code)
                print(
                    f"page {query} ({label}): {statistics.median(took) * 1000:.0f} ms server "
                    f"time (median of {args.repeat}; best {min(took) * 1000:.0f} ms), "
                    f"{count['n']} statements"
                )
    finally:
        with app.app_context():
            db.engine.dispose()
        if drop:
            drop()


if __name__ == "__main__":
    main()
