"""Benchmark: the 好差评 import of one month's platform export.

No target is set by the issue; this prints what an administrator waits for. A throw-away SQLite
database gets a hall of 20 windows and 40 staff; an export of --rows ratings (--bad of them 差评,
each naming a staff member, a window or nobody) is written as .xlsx, then:
  1. baseline: openpyxl reads the file's rows (read-only mode), nothing else;
  2. upload: reading and keeping the file (what the upload page does);
  3. preview: the plan of every row (a GET: reading, matching, nothing written);
  4. apply: creating the 差评 as complaints, each with its audit event, in one transaction;
  5. apply again (the same file a second time): every row skipped, nothing created.

Usage: .venv/bin/python bench/rating_import.py [--rows 5000] [--bad 500]
The machine may be shared (2 cores, ~8 workers): compare the figures with the baseline of the
same run, not across runs.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADERS = [
    "评价编号",
    "评价时间",
    "评价等级",
    "评价内容",
    "办理机构",
    "办理窗口",
    "工作人员",
    "事项名称",
]


def make_file(rows: int, bad: int, site_code: str, windows, staff, today) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["好差评数据导出"])
    ws.append(HEADERS)
    step = max(1, rows // max(1, bad))
    for n in range(rows):
        is_bad = n % step == 0 and n // step < bad
        day = today - timedelta(days=1 + n % 28)
        window = windows[n % len(windows)] if n % 3 else ""
        person = staff[n % len(staff)] if n % 3 == 1 else ""
        ws.append(
            [
                f"PJ{n:07d}",
                f"{day.isoformat()} 10:{n % 60:02d}:00",
                "不满意" if is_bad else "满意",
                "等待时间太长" if is_bad else "",
                site_code,
                window,
                person,
                "社保卡补换",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--bad", type=int, default=500)
    args = parser.parse_args()

    from compliance import create_app
    from compliance.accounts import create_user
    from compliance.db import db
    from compliance.models import Assignment, Post, Site, StaffMember, Window
    from compliance.timeutil import local_today
    from inspections.complaints.models import ConductRecord
    from inspections.complaints.services import importer
    from inspections.complaints.services.rating_file import read_table

    workdir = tempfile.mkdtemp(prefix="bench-import-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(workdir, 'b.db')}",
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": workdir,
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    with app.app_context(), app.test_request_context():
        db.create_all()
        today = local_today()
        site = Site(code="BM", name="基准中心", kind="centre")
        post = Post(code="ZH", name="综合受理")
        db.session.add_all([site, post])
        db.session.flush()
        windows, staff = [], []
        for w in range(20):
            window = Window(site_id=site.id, code=f"A{w + 1:02d}", name=f"窗口{w + 1}")
            db.session.add(window)
            db.session.flush()
            windows.append(window.code)
            for s in range(2):
                member = StaffMember(
                    staff_no=f"BM{w:02d}{s}",
                    name=f"员工{w}{s}",
                    site_id=site.id,
                    hired_on=today - timedelta(days=400),
                    status="active",
                )
                db.session.add(member)
                db.session.flush()
                db.session.add(
                    Assignment(
                        staff_member_id=member.id,
                        post_id=post.id,
                        site_id=site.id,
                        window_id=window.id,
                        started_on=member.hired_on,
                    )
                )
                staff.append(member.staff_no)
        user = create_user(
            db.session,
            None,
            username="bench",
            display_name="基准",
            roles=["discipline"],
            password="Qx7-import-run-2026",
            hash_method="scrypt:1024:8:1",
            all_sites=True,
        )
        db.session.commit()
        data = make_file(args.rows, args.bad, site.code, windows, staff, today)

        start = time.perf_counter()
        headers, rows = read_table(data, "xlsx")
        baseline = time.perf_counter() - start

        start = time.perf_counter()
        imp = importer.upload(
            db.session, user, filename="bench.xlsx", data=data, new_profile_name="基准平台"
        )
        db.session.commit()
        upload = time.perf_counter() - start

        start = time.perf_counter()
        plan = importer.preview(db.session, user, imp)
        db.session.rollback()
        preview = time.perf_counter() - start

        start = time.perf_counter()
        applied = importer.apply_import(db.session, user, imp)
        db.session.commit()
        apply = time.perf_counter() - start

        again = importer.upload(
            db.session, user, filename="bench.xlsx", data=data, profile=imp.profile
        )
        db.session.commit()
        start = time.perf_counter()
        second = importer.apply_import(db.session, user, again)
        db.session.commit()
        apply_again = time.perf_counter() - start
        created = db.session.query(ConductRecord).count()

    print(f"file: {args.rows} ratings, {args.bad} 差评, {len(data) / 1024:.0f} KiB xlsx")
    print(f"baseline (openpyxl reads the rows):    {baseline:6.2f} s")
    print(f"upload (read and keep the file):       {upload:6.2f} s")
    print(
        f"preview (plan of every row):           {preview:6.2f} s  "
        f"({len(plan.create)} to create, {len(plan.skipped)} skipped, {len(plan.errors)} refused)"
    )
    print(
        f"apply (create the 差评 with audit):     {apply:6.2f} s  "
        f"({len(applied.create) / apply:,.0f} complaints/s)"
    )
    print(
        f"apply the same file again:             {apply_again:6.2f} s  "
        f"({len(second.create)} created, {len(second.skipped)} skipped)"
    )
    print(f"complaints in the database: {created}")


if __name__ == "__main__":
    main()
