"""Benchmark: the patrol page of a site with 40 windows, and submitting a 40-window round.

Targets (issue 4): the patrol page issues a fixed number of SQL statements whatever the number of
windows or past inspections, and weighs under 60 KB of HTML+CSS+JS; submitting a 40-window round
with 5 failures takes one transaction.

Builds sites on a throw-away database (SQLite file by default, or DATABASE_URL), with past rounds,
then, through the real app and a signed-in test client:
  * counts the SQL statements of the round page for sites of 5, 20 and 40 windows (with past
    inspections piling up at the 40-window site),
  * measures the page's HTML and the CSS and JS it loads (bytes, uncompressed),
  * times submitting a 40-window round with 5 failures and counts BEGIN/COMMIT (transactions)
    and statements.

Usage: .venv/bin/python bench/patrol_page.py [--past 30] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build_site(session, code: str, windows: int):
    from compliance.models import Assignment, Post, Site, StaffMember, Window

    site = Site(code=code, name=f"基准场所{code}")
    post = session.query(Post).filter_by(code="BP").one_or_none() or Post(code="BP", name="综合")
    session.add_all([site, post])
    session.flush()
    staff = []
    for n in range(windows):
        window = Window(site=site, code=f"A{n + 1:02d}", name=f"窗口{n + 1}")
        session.add(window)
        for letter in "AB":
            member = StaffMember(
                staff_no=f"{code}{n:02d}{letter}",
                name=f"员工{n}{letter}",
                hired_on=date(2020, 1, 1),
                site=site,
            )
            session.add(member)
            session.flush()
            session.add(
                Assignment(
                    staff_member=member,
                    post=post,
                    site=site,
                    window=window,
                    started_on=date(2020, 1, 1),
                )
            )
            staff.append(member)
    session.flush()
    return site, staff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--past", type=int, default=30, help="past rounds at the 40-window site")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import sqlalchemy as sa

    from compliance import create_app
    from compliance.accounts import create_user
    from compliance.db import db
    from inspections.catalogue import load_standard_catalogue
    from inspections.services import Target, record_failure, start_round, submit_round

    tmp = tempfile.mkdtemp(prefix="patrol-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": tmp,
            "SECRET_KEY": "bench",
            "UPLOAD_FOLDER": f"{tmp}/uploads",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_standard_catalogue(db.session, None)
        sites = {n: build_site(db.session, f"W{n}", n) for n in (5, 20, 40)}
        user = create_user(
            db.session,
            None,
            username="bench",
            display_name="督查",
            roles=["inspector"],
            password="correct-horse-42",
            hash_method="scrypt:1024:8:1",
            all_sites=True,
        )
        db.session.commit()
        site40, staff40 = sites[40]
        t0 = time.perf_counter()
        for n in range(args.past):
            past = start_round(db.session, user, site40)
            record_failure(
                db.session, user, past, target=Target("staff", staff40[n % 80].id), item_code="D06"
            )
            submit_round(db.session, user, past)
        db.session.commit()
        print(
            f"built {args.past} past rounds at the 40-window site in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        site_ids = {n: s.id for n, (s, _st) in sites.items()}
        staff_ids = [m.id for m in staff40]

    statements: list[str] = []

    def count(conn, cursor, statement, *rest):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": "correct-horse-42"})
    print("\nround page (GET /rounds/<uuid>, signed in):")
    print(f"{'windows':>8} {'statements':>11} {'html bytes':>11} {'median ms':>10}")
    page_urls = {}
    for n, site_id in site_ids.items():
        location = client.post("/patrols/start", data={"site_id": site_id}).headers["Location"]
        page_urls[n] = location
        client.get(location)
        sa.event.listen(engine, "before_cursor_execute", count)
        statements.clear()
        response = client.get(location)
        sa.event.remove(engine, "before_cursor_execute", count)
        n_statements = len(statements)
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            client.get(location)
            times.append((time.perf_counter() - t) * 1000)
        html = response.get_data()
        print(f"{n:>8} {n_statements:>11} {len(html):>11} {statistics.median(times):>10.1f}")

    html = client.get(page_urls[40]).get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    asset_bytes = {a: len(client.get(a).get_data()) for a in assets}
    total = len(html.encode()) + sum(asset_bytes.values())
    print("\n40-window page weight (uncompressed):")
    print(f"  HTML {len(html.encode())} bytes")
    for name, size in asset_bytes.items():
        print(f"  {name} {size} bytes")
    print(f"  total {total} bytes = {total / 1024:.1f} KB (target < 60 KB)")

    # Submitting a 40-window round with 5 failures.
    uuid = page_urls[40].rsplit("/", 1)[-1]
    for n in range(5):
        client.post(
            f"/rounds/{uuid}/fail",
            data={"target": f"s{staff_ids[n * 7]}", "item": "D06", "reason": f"bench {n}"},
        )
    transactions: list[str] = []

    def tx(conn, cursor, statement, *rest):
        upper = statement.lstrip().upper()
        if upper.startswith(("BEGIN", "COMMIT")):
            transactions.append(upper.split()[0])

    def begin(conn):
        transactions.append("BEGIN")

    def commit(conn):
        transactions.append("COMMIT")

    sa.event.listen(engine, "before_cursor_execute", count)
    sa.event.listen(engine, "begin", begin)
    sa.event.listen(engine, "commit", commit)
    statements.clear()
    t = time.perf_counter()
    response = client.post(f"/rounds/{uuid}/submit", data={})
    elapsed = (time.perf_counter() - t) * 1000
    for name, fn in (("before_cursor_execute", count), ("begin", begin), ("commit", commit)):
        sa.event.remove(engine, name, fn)
    with app.app_context():
        from inspections.check_results import result_counts
        from inspections.models import CheckResult, Finding, Inspection

        inspection = db.session.scalars(sa.select(Inspection).where(Inspection.uuid == uuid)).one()
        rows = db.session.scalar(
            sa.select(sa.func.count(CheckResult.id)).where(
                CheckResult.inspection_id == inspection.id
            )
        )
        results = sum(result_counts(db.session, inspection.id).values())
        findings = db.session.scalar(
            sa.select(sa.func.count(Finding.id)).where(Finding.inspection_id == inspection.id)
        )
    print("\nsubmit a 40-window round with 5 failures (POST /rounds/<uuid>/submit):")
    print(
        f"  status {response.status_code}, {elapsed:.0f} ms, {len(statements)} statements, "
        f"transactions: {transactions.count('BEGIN')} begun, {transactions.count('COMMIT')} "
        f"committed; {results} check results ({rows} stored as rows, the passes by the "
        f"round's roster) and {findings} findings written"
    )


if __name__ == "__main__":
    main()
