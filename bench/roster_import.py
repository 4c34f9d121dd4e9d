"""Benchmark: importing a roster of 2,000 new staff (targets: < 3 s on SQLite, < 5 s on
PostgreSQL), the old row-by-row import against the new preview/confirm import.

A throw-away database gets a centre with 40 windows and two posts; a 2,000-row .xlsx is written
(new staff numbers each run), then, per repeat:
  1. baseline: the first import (`compliance.org.importer.legacy.import_roster`): every row through
     `create_staff` + `assign`, a savepoint and an audit event per record, one transaction;
  2. new: `preview` (read, check, plan, store; committed), `confirm` (fresheness check; a file
     this large is queued; committed) and the background job `org.roster_import` run by
     `run_job` (bulk inserts in batches of 500, one audit event per batch; committed) - the
     whole path an HR officer waits for, minus the scheduler's pick-up delay.
The audit chain is verified at the end. Medians of the repeats are printed with the ratio.

Usage:
  .venv/bin/python bench/roster_import.py                      # SQLite (a temporary file)
  .venv/bin/python bench/roster_import.py postgresql+psycopg://postgres@127.0.0.1:5432/test_x
For PostgreSQL the URL names a server and a database to connect to; the bench creates its own
database next to it (bench_roster_<pid>) and drops it afterwards.
The machine may be shared (2 cores, ~8 workers): compare with the baseline of the same run.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADERS = ["工号", "姓名", "电话", "入职日期", "场所编码", "岗位编码", "窗口编号", "状态"]


def make_file(rows: int, prefix: str, windows: list[str]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADERS)
    for n in range(rows):
        ws.append(
            [
                f"{prefix}{n:05d}",
                f"新员工{n}",
                f"139{n:08d}",
                date(2025, 1 + n % 12, 1 + n % 28),
                "BM",
                "ZH" if n % 3 else "JD",
                windows[n % len(windows)] if n % 5 else None,
                "在岗",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def database(url: str | None) -> tuple[str, callable]:
    if not url:
        path = os.path.join(tempfile.mkdtemp(prefix="bench-roster-"), "b.db")
        return f"sqlite:///{path}", lambda: None
    base = sa.make_url(url)
    name = f"bench_roster_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?", help="PostgreSQL URL (default: SQLite in a temp dir)")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from compliance import create_app
    from compliance.accounts import create_user
    from compliance.audit import verify_chain
    from compliance.db import db
    from compliance.models import Post, Site, StaffMember, Window
    from compliance.org import importer
    from compliance.org.importer import legacy
    from compliance.org.models import RosterImport
    from compliance.scheduler.registry import run_job

    url, drop = database(args.url)
    workdir = tempfile.mkdtemp(prefix="bench-roster-app-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "AUDIT_KEY": "bench-audit-key",
            "INSTANCE_PATH": workdir,
            "REPORTS_FOLDER": os.path.join(workdir, "reports"),
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    old_times, new_times, phases = [], [], []
    try:
        with app.app_context(), app.test_request_context():
            db.create_all()
            site = Site(code="BM", name="基准中心", kind="centre")
            db.session.add_all(
                [site, Post(code="ZH", name="综合受理"), Post(code="JD", name="监督")]
            )
            db.session.flush()
            windows = [f"A{w + 1:02d}" for w in range(40)]
            db.session.add_all(Window(site_id=site.id, code=c, name=c) for c in windows)
            user = create_user(
                db.session,
                None,
                username="bench_hr",
                display_name="基准人事",
                roles=["hr"],
                password="Qx7-roster-run-2026",
                hash_method="scrypt:1024:8:1",
                all_sites=True,
            )
            db.session.commit()
            user_id = user.id
            today = date.today()
            for r in range(args.repeat):
                data = make_file(args.rows, f"L{r}-", windows)
                start = time.perf_counter()
                result = legacy.import_roster(db.session, user, data, today=today)
                db.session.commit()
                old_times.append(time.perf_counter() - start)
                assert result.created == args.rows, result

                data = make_file(args.rows, f"N{r}-", windows)
                start = time.perf_counter()
                imp, plan = importer.preview(db.session, user, data, filename="b.xlsx", today=today)
                assert imp is not None and not plan.errors, plan.errors[:3]
                db.session.commit()
                t_preview = time.perf_counter()
                how = importer.confirm(db.session, user, imp, sha256=imp.sha256, today=today)
                db.session.commit()
                t_confirm = time.perf_counter()
                if how == "queued":
                    run = run_job(app, importer.JOB, today)
                    assert run.outcome == "success", run.error
                t_apply = time.perf_counter()
                new_times.append(t_apply - start)
                phases.append((t_preview - start, t_confirm - t_preview, t_apply - t_confirm))
                imp = db.session.get(RosterImport, imp.id)
                assert imp.status == "applied", imp.status
                user = db.session.get(type(user), user_id)
            total = db.session.scalar(sa.select(sa.func.count(StaffMember.id)))
            check = verify_chain(db.session)
            db.session.rollback()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop()

    backend = "PostgreSQL" if args.url else "SQLite"
    old, new = statistics.median(old_times), statistics.median(new_times)
    pre, con, app_ = (statistics.median(p[i] for p in phases) for i in range(3))
    print(f"{backend}: {args.rows} new staff per import, {args.repeat} repeats (medians)")
    print(f"  baseline, row by row (old):   {old:6.2f} s   runs: {_fmt(old_times)}")
    print(f"  preview + confirm + job (new):{new:6.2f} s   runs: {_fmt(new_times)}")
    print(f"    preview {pre:.2f} s, confirm {con:.2f} s, background apply {app_:.2f} s")
    print(f"  speed-up: {old / new:.1f}x   ({args.rows / new:,.0f} staff/s new)")
    print(f"  staff in the database: {total}; audit chain intact: {check.ok}")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
