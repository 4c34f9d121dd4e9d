"""Benchmark: the dashboards' chart panels and the year in review at district scale.

Target (issue 13): chart panels with a constant number of SQL statements (aggregation in SQL),
under 100 ms server time at district scale (50 sites, 2,000 staff, a year of findings) on
SQLite and PostgreSQL.

Builds on a throw-away database (SQLite file by default, or DATABASE_URL) a district of 50 sites
with 40 staff each, a year of daily patrols (one round per site and working day, two findings
per round on average, each with its rectification, most of them closed), spot checks,
commendations and complaints, monthly training sessions and meetings, onboarding plans and
executed rotation moves; then, signed in through the real app:
  * times each chart panel (server time: the function that renders it, in a request) and counts
    its SQL statements, for a reader of all 50 sites and for a centre head of 5 sites;
  * times GET /year-review and GET /dashboard (whole requests through the test client);
  * measures, in the same run, a baseline: GET /healthz (one `SELECT 1`) and a bare
    `SELECT count(*) FROM finding`.

Usage: .venv/bin/python bench/dashboard_panels.py [--sites 50] [--staff 40] [--repeat 7]
The machine is shared (2 cores, ~8 workers): read the figures against the baseline.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PANELS = [
    ("findings per month", "inspections.views.dashboards", "findings_month_panel"),
    ("frequent items", "inspections.views.dashboards", "frequent_items_panel"),
    ("on-time rate", "inspections.rectification.dashboards", "on_time_panel"),
    ("open by age", "inspections.rectification.dashboards", "open_age_panel"),
    ("onboarding progress", "training.views.dashboards", "onboarding_panel"),
    ("tenure due", "rotation.views.dashboards", "tenure_panel"),
    ("headline (year so far)", "compliance.review.views", "headline_panel"),
    ("inspector's week", "inspections.views.dashboards", "my_week_panel"),
]


def build(session, sites_n: int, staff_n: int, seed: int = 1) -> dict:
    import sqlalchemy as sa

    from compliance.models import Assignment, Post, Site, StaffMember, Window
    from compliance.timeutil import local_today
    from inspections.catalogue import load_standard_catalogue
    from inspections.models import CheckItemVersion, Finding, Inspection
    from inspections.rectification.models import ConductRecord, Rectification
    from rotation.models import RotationMove, RotationPlan
    from training.models import (
        Course,
        MentorPairing,
        OnboardingPlan,
        OnboardingPlanItem,
        SessionAttendee,
        TrainingSession,
    )

    rng = random.Random(seed)
    today = local_today()
    start = today - timedelta(days=365)
    load_standard_catalogue(session, None)
    versions = session.execute(
        sa.select(CheckItemVersion.id, CheckItemVersion.item_id, CheckItemVersion.text_zh)
    ).all()
    from inspections.models import CheckItem

    category = dict(session.execute(sa.select(CheckItem.id, CheckItem.category)).all())
    posts = [Post(code=f"P{i}", name=f"岗位{i}", is_key=i < 3) for i in range(8)]
    session.add_all(posts)
    root = Site(code="D", name="区")
    session.add(root)
    session.flush()
    sites = []
    for i in range(sites_n):
        site = Site(code=f"S{i:02d}", name=f"中心{i}", parent_id=root.id if i % 5 else None)
        sites.append(site)
    session.add_all(sites)
    session.flush()
    # Every fifth site heads the four after it (a centre head of one centre sees five sites).
    for i, site in enumerate(sites):
        if i % 5:
            site.parent_id = sites[i - i % 5].id
    staff_rows, assignment_rows, window_rows = [], [], []
    for site in sites:
        for w in range(staff_n // 2):
            window_rows.append({"site_id": site.id, "code": f"A{w:02d}", "name": f"窗口{w}"})
    session.execute(sa.insert(Window), window_rows)
    windows = {}
    for wid, sid in session.execute(sa.select(Window.id, Window.site_id)):
        windows.setdefault(sid, []).append(wid)
    n = 0
    for site in sites:
        for _k in range(staff_n):
            n += 1
            hired = today - timedelta(days=rng.randrange(30, 3650))
            staff_rows.append(
                {
                    "staff_no": f"B{n:05d}",
                    "name": f"员工{n}",
                    "hired_on": hired,
                    "site_id": site.id,
                    "status": "active",
                }
            )
    session.execute(sa.insert(StaffMember), staff_rows)
    staff = session.execute(
        sa.select(StaffMember.id, StaffMember.site_id, StaffMember.hired_on)
    ).all()
    by_site: dict[int, list[int]] = {}
    for sid, site_id, hired in staff:
        by_site.setdefault(site_id, []).append(sid)
        assignment_rows.append(
            {
                "staff_member_id": sid,
                "post_id": posts[rng.randrange(len(posts))].id,
                "site_id": site_id,
                "window_id": rng.choice(windows[site_id]),
                "started_on": hired,
            }
        )
    session.execute(sa.insert(Assignment), assignment_rows)
    assignments = dict(session.execute(sa.select(Assignment.staff_member_id, Assignment.id)).all())

    from compliance.accounts import create_user

    inspector = create_user(
        session,
        None,
        username="bench-inspector",
        display_name="督查",
        roles=["inspector"],
        password="correct-horse-42",
        hash_method="scrypt:1024:8:1",
        all_sites=True,
    )
    session.flush()
    inspections, findings = [], []
    day = start
    while day <= today:
        if day.weekday() < 5:
            for site in sites:
                at = datetime(day.year, day.month, day.day, 1 + rng.randrange(8))
                inspections.append(
                    {
                        "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                        "kind": "spot_check" if rng.random() < 0.1 else "patrol",
                        "status": "submitted",
                        "site_id": site.id,
                        "inspector_id": inspector.id,
                        "started_at": at,
                        "submitted_at": at + timedelta(minutes=25),
                    }
                )
        day += timedelta(days=1)
    session.execute(sa.insert(Inspection), inspections)
    rows = session.execute(
        sa.select(Inspection.id, Inspection.site_id, Inspection.submitted_at)
    ).all()
    for iid, site_id, at in rows:
        for _f in range(rng.choice((0, 1, 2, 3, 4))):
            vid, item_id, text = rng.choice(versions)
            findings.append(
                {
                    "inspection_id": iid,
                    "item_version_id": vid,
                    "category": category[item_id],
                    "target": "staff",
                    "site_id": site_id,
                    "staff_member_id": rng.choice(by_site[site_id]),
                    "severity": "minor",
                    "description": text,
                    "found_by_id": inspector.id,
                    "found_at": at,
                }
            )
    session.execute(sa.insert(Finding), findings)
    rects = []
    for fid, site_id, cat, at, staff_id in session.execute(
        sa.select(
            Finding.id, Finding.site_id, Finding.category, Finding.found_at, Finding.staff_member_id
        )
    ):
        opened = at.date()
        deadline = opened + timedelta(days=7)
        closed = opened + timedelta(days=rng.randrange(0, 14))
        done = closed <= today and rng.random() < 0.9
        rects.append(
            {
                "source": "finding",
                "finding_id": fid,
                "site_id": site_id,
                "category": cat,
                "severity": "minor",
                "title": "问题",
                "responsible_staff_id": staff_id,
                "status": "verified" if done else "open",
                "opened_at": at,
                "opened_on": opened,
                "first_deadline_on": deadline,
                "deadline_on": deadline,
                "closed_on": closed if done else None,
                "closed_at": datetime(closed.year, closed.month, closed.day, 3) if done else None,
                "closed_on_time": (closed <= deadline) if done else None,
                "days_to_close": (closed - opened).days if done else None,
                "version": 1,
            }
        )
    session.execute(sa.insert(Rectification), rects)
    session.execute(
        sa.insert(ConductRecord),
        [
            {
                "kind": rng.choice(("complaint", "commendation")),
                "source": "letter",
                "staff_member_id": rng.choice(by_site[site.id]),
                "site_id": site.id,
                "received_on": start + timedelta(days=rng.randrange(365)),
                "text": "来信",
                "severity": "minor",
            }
            for site in sites
            for _c in range(20)
        ],
    )
    courses = [
        Course(code="TM", title="专题会议", kind="thematic_meeting"),
        Course(code="PJ", title="岗前培训", kind="pre_job"),
    ]
    session.add_all(courses)
    session.flush()
    sessions = []
    for site in sites:
        for month in range(12):
            at = datetime.combine(start + timedelta(days=30 * month + 3), datetime.min.time())
            for course in courses:
                sessions.append(
                    {
                        "course_id": course.id,
                        "site_id": site.id,
                        "place": "会议室",
                        "starts_at": at + timedelta(hours=7),
                        "ends_at": at + timedelta(hours=8),
                        "trainer": "讲师",
                        "status": "scheduled",
                    }
                )
    session.execute(sa.insert(TrainingSession), sessions)
    session_ids = session.execute(sa.select(TrainingSession.id, TrainingSession.site_id)).all()
    session.execute(
        sa.insert(SessionAttendee),
        [
            {"session_id": tid, "staff_member_id": sid, "status": "present"}
            for tid, site_id in session_ids
            for sid in by_site[site_id][:10]
        ],
    )
    plans = []
    for site in sites:
        for sid in by_site[site.id][-4:]:
            hired = today - timedelta(days=rng.randrange(10, 200))
            plans.append(
                OnboardingPlan(
                    staff_member_id=sid,
                    starts_on=hired,
                    pairing_due_on=hired + timedelta(days=14),
                    sign_off_due_on=hired + timedelta(days=98),
                    status="active",
                    items=[
                        OnboardingPlanItem(
                            course_id=courses[1].id, due_on=hired + timedelta(days=30)
                        )
                    ],
                )
            )
            session.add(
                MentorPairing(
                    mentor_id=by_site[site.id][0],
                    mentee_id=sid,
                    starts_on=hired,
                    ends_on=hired + timedelta(days=84),
                    status=rng.choice(("active", "signed_off")),
                    signed_off_on=hired + timedelta(days=84),
                )
            )
    session.add_all(plans)
    plan = RotationPlan(title="轮岗", planning_on=start, status="executed")
    session.add(plan)
    session.flush()
    session.execute(
        sa.insert(RotationMove),
        [
            {
                "plan_id": plan.id,
                "staff_member_id": by_site[site.id][k],
                "from_assignment_id": assignments[by_site[site.id][k]],
                "seat_assignment_id": assignments[by_site[site.id][k + 1]],
                "predecessor_id": by_site[site.id][k + 1],
                "to_post_id": posts[k % 3].id,
                "to_site_id": site.id,
                "effective_on": start + timedelta(days=rng.randrange(365)),
                "status": "executed",
            }
            for site in sites
            for k in range(2)
        ],
    )
    session.flush()
    return {
        "sites": sites,
        "inspections": len(inspections),
        "findings": len(findings),
        "staff": len(staff),
        "inspector": inspector,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--staff", type=int, default=40, help="staff per site")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    import sqlalchemy as sa

    from compliance import create_app
    from compliance.accounts import create_user
    from compliance.db import db

    tmp = tempfile.mkdtemp(prefix="dashboard-bench-")
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
    t0 = time.perf_counter()
    with app.app_context():
        db.drop_all()
        db.create_all()
        built = build(db.session, args.sites, args.staff)
        users = {}
        for name, roles, sites in (
            ("bench-admin", ["admin", "hr"], None),
            ("bench-leader", ["leader"], [built["sites"][0]]),
        ):
            users[name] = create_user(
                db.session,
                None,
                username=name,
                display_name=name,
                roles=roles,
                password="correct-horse-42",
                hash_method="scrypt:1024:8:1",
                all_sites=sites is None,
                site_ids=[s.id for s in sites] if sites else [],
            )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
        user_ids = {name: u.id for name, u in users.items()}
        user_ids["bench-inspector"] = built["inspector"].id
    print(
        f"built {args.sites} sites, {built['staff']} staff, {built['inspections']} rounds and "
        f"{built['findings']} findings (a year) on {url.split(':')[0]} "
        f"in {time.perf_counter() - t0:.0f} s"
    )

    statements: list[str] = []

    def count(conn, cursor, statement, *rest):
        statements.append(statement)

    def timed(fn, repeat):
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times)

    from compliance.models import User

    print("\nchart panels (server time of the render function, median of", args.repeat, "runs):")
    print(f"{'panel':<24} {'reader':<26} {'statements':>10} {'median ms':>10}")
    for label, module, name in PANELS:
        panel = getattr(importlib.import_module(module), name)
        readers = (
            ["bench-inspector"] if name == "my_week_panel" else ["bench-admin", "bench-leader"]
        )
        for reader in readers:
            with app.app_context():
                user = db.session.get(User, user_ids[reader])
                with app.test_request_context():
                    panel(user)  # warm up (the reader's scope is read once per request)
                    sa.event.listen(db.engine, "before_cursor_execute", count)
                    statements.clear()
                    panel(user)
                    sa.event.remove(db.engine, "before_cursor_execute", count)
                    n_statements = len(statements)
                    median = timed(lambda p=panel, u=user: p(u), args.repeat)
                scope = (
                    "all sites"
                    if reader == "bench-admin"
                    else ("5 sites" if reader == "bench-leader" else "own rounds")
                )
            print(
                f"{label:<24} {reader + ' (' + scope + ')':<26} {n_statements:>10} {median:>10.1f}"
            )

    client = app.test_client()
    client.post("/login", data={"username": "bench-admin", "password": "correct-horse-42"})
    print("\nwhole requests (admin of all sites, median ms):")
    for path in ("/healthz", "/year-review", "/dashboard"):
        client.get(path)
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", count)
        statements.clear()
        response = client.get(path)
        with app.app_context():
            sa.event.remove(db.engine, "before_cursor_execute", count)
        median = timed(lambda p=path: client.get(p), args.repeat)
        print(
            f"  GET {path:<14} {response.status_code}  {len(statements):>3} statements  {median:>8.1f} ms"
        )
    with app.app_context():
        median = timed(
            lambda: db.session.execute(sa.text("SELECT count(*) FROM finding")).scalar(),
            args.repeat,
        )
    print(f"\nbaseline: SELECT count(*) FROM finding  {median:.1f} ms")
    print("(2 shared cores, ~8 concurrent workers on this machine: compare with the baseline)")


if __name__ == "__main__":
    main()
