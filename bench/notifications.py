"""Benchmark: the unread count on every page, and the inbox, for an officer with a backlog.

Issue 17: "a discipline officer had 4,463 unread escalation notices and the unread count costs
10.7 ms on every page". This builds a throw-away database with one officer holding ~5,000 unread
and ~100,000 read notifications among ~160,000 of other users (district size), then times, in
three index states of the same run:

  * no index serving the count (only the unique (user_id, dedupe_key) one),
  * the previous index (user_id, read_at),
  * the current indexes (user_id, read_at, created_at) and (user_id, created_at),

the exact unread count, the top bar's bounded count ("99+"), the previous inbox query (one sort of
the whole inbox by CASE(read_at), plus a count for the pager) against the current one (unread and
read slices in index order), and the pages that show them (GET /notifications/, page 1 and page
100, and GET /dashboard), through the real app with a signed-in test client.

Usage: .venv/bin/python bench/notifications.py [--unread 5000] [--read 100000] [--others 40]
       [--per-other 4000] [--repeat 30] [--database-url postgresql+psycopg://postgres@127.0.0.1/x]
A PostgreSQL URL names a server: the script creates its own database there and drops it after.
Tables are ANALYZEd but not VACUUMed: freshly written rows are not yet all-visible, so an
index-only count still visits the table (as for the unread escalations of the last few days).
Timings are medians in ms (wall clock, and CPU time of this process) on a shared machine: 2 cores
used by ~8 workers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

PASSWORD = "correct-horse-42"
OLD_INBOX = """
    SELECT * FROM notification WHERE user_id = :u
    ORDER BY CASE WHEN read_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id DESC
    LIMIT 30 OFFSET :offset
"""
OLD_INBOX_COUNT = "SELECT count(*) FROM (SELECT id FROM notification WHERE user_id = :u) AS x"
# PostgreSQL only: the server's own execution time (EXPLAIN ANALYZE), free of the client's wait
# for a CPU on a busy machine.
SERVER_SIDE = {
    "exact count": "SELECT count(*) FROM notification WHERE user_id = :u AND read_at IS NULL",
    "top bar 99+": "SELECT count(*) FROM (SELECT 1 FROM notification WHERE user_id = :u "
    "AND read_at IS NULL LIMIT 100) AS x",
    "old inbox": OLD_INBOX.replace(":offset", "0"),
    "old pager count": OLD_INBOX_COUNT,
    "new inbox (unread)": "SELECT * FROM notification WHERE user_id = :u AND read_at IS NULL "
    "ORDER BY created_at DESC, id DESC LIMIT 31",
    "new inbox (read, p.100)": "SELECT * FROM notification WHERE user_id = :u "
    "AND read_at IS NOT NULL ORDER BY created_at DESC, id DESC OFFSET 2970 LIMIT 31",
}
STATES = {
    "no index": [],
    "(user_id, read_at) [before]": [
        "CREATE INDEX ix_notification_user_unread ON notification (user_id, read_at)"
    ],
    "current indexes [after]": [
        "CREATE INDEX ix_notification_user_unread ON notification (user_id, read_at, created_at)",
        "CREATE INDEX ix_notification_user_created ON notification (user_id, created_at)",
    ],
}


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median wall-clock and median CPU time of this process, in ms. On a busy shared machine the
    CPU figure is the steadier one (the database's own work is in it on SQLite, not on PG)."""
    fn()  # warm up (caches, statement preparation)
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def explain_ms(session, sql: str, user_id: int, repeat: int) -> float:
    """Median server-side execution time of `sql` on PostgreSQL (EXPLAIN ANALYZE), in ms."""
    sql = sql.replace(":u", str(int(user_id)))
    times = []
    for _ in range(repeat + 1):
        plan = session.execute(sa.text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar()
        times.append(plan[0]["Execution Time"])
    return statistics.median(times[1:])


def make_database(url: str | None):
    """(url, cleanup) — a temporary SQLite file, or a new database on the given PG server."""
    if not url:
        tmp = tempfile.mkdtemp(prefix="notifications-bench-")
        return f"sqlite:///{tmp}/bench.db", lambda: None
    base = sa.make_url(url)
    name = f"bench_notifications_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def fill(engine, officer_id: int, others: list[int], args) -> None:
    """Bulk rows: the officer's interleaved read/unread history, then the other users'."""
    start = datetime(2025, 12, 1)
    total = args.unread + args.read
    every = max(1, total // max(1, args.unread))
    insert = sa.text(
        "INSERT INTO notification (user_id, kind, title, link, created_at, read_at, "
        "email_attempts) VALUES (:u, :k, :t, :l, :c, :r, 0)"
    )
    batch: list[dict] = []

    def row(user_id, n, created, unread):
        batch.append(
            {
                "u": user_id,
                "k": "rectification.escalated" if unread else "rectification.overdue",
                "t": f"升级：整改逾期 3 天：A{n % 40:02d} 窗口着装不规范",
                "l": f"/rectifications/{n}",
                "c": created,
                "r": None if unread else created + timedelta(hours=2),
            }
        )
        if len(batch) >= 20000:
            with engine.begin() as conn:
                conn.execute(insert, batch)
            batch.clear()

    unread_left = args.unread
    for n in range(total):
        unread = unread_left > 0 and (n % every == 0 or total - n <= unread_left)
        unread_left -= unread
        row(officer_id, n, start + timedelta(minutes=3 * n), unread)
    for user_id in others:
        for n in range(args.per_other):
            row(user_id, n, start + timedelta(minutes=90 * n + user_id), n % 10 == 0)
    if batch:
        with engine.begin() as conn:
            conn.execute(insert, batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--unread", type=int, default=5000)
    parser.add_argument("--read", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=40)
    parser.add_argument("--per-other", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from compliance import create_app
    from compliance.accounts import create_user
    from compliance.db import db
    from compliance.notifications.services import inbox_page, unread_badge, unread_count

    url, cleanup = make_database(args.database_url)
    tmp = tempfile.mkdtemp(prefix="notifications-bench-app-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": tmp,
            "SECRET_KEY": "bench",
            "AUDIT_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "argon2id:256:1:1",
        }
    )
    try:
        with app.app_context():
            db.create_all()
            engine = db.engine
            officer = create_user(
                db.session,
                None,
                username="officer",
                display_name="纪检监察员",
                roles=["discipline"],
                password=PASSWORD,
                hash_method=app.config["PASSWORD_HASH_METHOD"],
                all_sites=True,
            )
            others = [
                create_user(
                    db.session,
                    None,
                    username=f"user{n}",
                    display_name=f"用户{n}",
                    roles=["staff"],
                    password=PASSWORD,
                    hash_method=app.config["PASSWORD_HASH_METHOD"],
                    all_sites=True,
                ).id
                for n in range(args.others)
            ]
            db.session.commit()
            officer_id = officer.id
            t = time.perf_counter()
            fill(engine, officer_id, others, args)
            with engine.connect() as conn:
                unread = conn.scalar(
                    sa.text(
                        "SELECT count(*) FROM notification WHERE user_id = :u AND read_at IS NULL"
                    ),
                    {"u": officer_id},
                )
                rows = conn.scalar(sa.text("SELECT count(*) FROM notification"))
            print(
                f"{engine.dialect.name}: {rows:,} notifications, the officer has {unread:,} unread "
                f"and {args.read + args.unread - unread:,} read (built in "
                f"{time.perf_counter() - t:.0f} s)"
            )
        print(
            "Median wall-clock ms (median CPU ms of this process); shared machine: 2 cores used "
            "by ~8 workers.\n"
        )

        client = app.test_client()
        response = client.post("/login", data={"username": "officer", "password": PASSWORD})
        assert response.status_code == 302, "sign-in failed"

        server_side: dict[str, list[float]] = {}
        header = (
            f"{'index state':30} {'exact count':>13} {'top bar 99+':>13} {'old inbox':>13} "
            f"{'new inbox':>13} {'GET inbox':>13} {'inbox p.100':>13} {'GET dashboard':>14}"
        )
        print(header)
        print("-" * len(header))
        for state, ddl in STATES.items():
            with app.app_context():
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_notification_user_unread")
                    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_notification_user_created")
                    for statement in ddl:
                        conn.exec_driver_sql(statement)
                    conn.exec_driver_sql("ANALYZE")
                session = db.session
                user = session.get(type(officer), officer_id)

                def old_inbox(session=session):
                    session.execute(sa.text(OLD_INBOX), {"u": officer_id, "offset": 0}).all()
                    session.execute(sa.text(OLD_INBOX_COUNT), {"u": officer_id}).scalar()

                figures = [
                    timed(lambda s=session, u=user: unread_count(s, u), args.repeat),
                    timed(lambda s=session, u=user: unread_badge(s, u), args.repeat),
                    timed(old_inbox, max(5, args.repeat // 3)),
                    timed(lambda s=session, u=user: inbox_page(s, u, page=1), args.repeat),
                ]
                if db.engine.dialect.name == "postgresql":
                    server_side[state] = [
                        explain_ms(session, sql, officer_id, args.repeat)
                        for sql in SERVER_SIDE.values()
                    ]
                session.rollback()
            pages = max(5, args.repeat // 3)
            figures += [
                timed(lambda: client.get("/notifications/"), pages),
                timed(lambda: client.get("/notifications/?page=100"), pages),
                timed(lambda: client.get("/dashboard"), pages),
            ]
            cells = [f"{w:6.2f} ({c:5.2f})" for w, c in figures]
            print(f"{state:30} " + " ".join(f"{c:>13}" for c in cells))
        if server_side:
            print("\nPostgreSQL server-side execution time, median ms (EXPLAIN ANALYZE):")
            print(f"{'index state':30} " + " ".join(f"{k:>22}" for k in SERVER_SIDE))
            for state, values in server_side.items():
                print(f"{state:30} " + " ".join(f"{v:>22.3f}" for v in values))
        print(
            "\nexact count: unread_count() (inbox page, dashboard panel, API); top bar 99+: "
            "unread_badge(), on every page;\nold inbox: the previous ORDER BY CASE(read_at) query "
            "+ its pager count; new inbox: inbox_page(), unread then read slices in index order."
        )
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        cleanup()


if __name__ == "__main__":
    main()
