"""Time every menu page of every demo role at demo size and at district size, side by side.

For each demo account (admin, inspector, hr, discipline, leader, staff) the bench signs in
through `POST /login` and requests, in-process with the Flask test client:
  * the dashboard;
  * every menu entry the role sees, read from the app's nav registry (`register_nav`);
  * typical detail pages with a real id in the role's scope (the newest inspection, finding and
    rectification of the 大面 centre, a staff member, a training session and plan, a rotation plan,
    the patrol round page of the 大面 centre); a page the role may not open is left out.
Each page is requested once to warm up, then `--runs` times: p50 and p95 in ms, SQL statements
(an SQLAlchemy `before_cursor_execute` listener, on the first timed run) and response bytes.
Marks per page against the issue-17 targets at district size: p50 < 50 ms, p95 < 100 ms, the
same statement count as at demo size. Baseline measured in the same run: `GET /healthz`.

Databases: paths of SQLite files or PostgreSQL URLs. The demo database is made with
`compliance init-db && compliance seed-demo`, the district one with `bench/district.py`; both
are opened with `AUDIT_KEY=bench-district-audit-key`.

Usage:
    .venv/bin/python bench/pages.py DEMO_DB DISTRICT_DB [--runs 10] [--out pages.md|pages.csv]
        [--only ENDPOINT_OR_PATH_PART ...] [--role ROLE ...] [--cold] [--busy]

The start-up heap is frozen as `compliance.wsgi` freezes it in a serving process (otherwise a
full garbage collection stalls one request in a few dozen by 130–220 ms and lands in p95).
Aggregates over a period (dashboard figures and charts, the year in review, live monthly scores)
are remembered until the next audited write (compliance/memo.py), so the timed views of those
pages read them from memory as every view does while nobody writes; `--cold` turns the memo off
and times the computation itself, as the first view after a write pays it; `--busy` makes
somebody else write before every timed view (remembered values are then reused for
FIGURE_STALE_SECONDS only, and the reader's own writes are always seen).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

ROLES = ("admin", "inspector", "hr", "discipline", "leader", "staff")
P50_TARGET_MS = 50
P95_TARGET_MS = 100


def make_app(target: str, cold: bool = False):
    from bench.district import BENCH_AUDIT_KEY, BENCH_SECRET_KEY
    from compliance import create_app

    url = target if "://" in target else f"sqlite:///{Path(target).resolve()}"
    instance = Path("/tmp") / f"bench-pages-{abs(hash(url)) % 10**8}"
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": BENCH_SECRET_KEY,
            "AUDIT_KEY": BENCH_AUDIT_KEY,
            "AUDIT_CHECKPOINT_DIR": "",
            "WTF_CSRF_ENABLED": False,
            # --cold: recompute remembered aggregates on every view (compliance/memo.py)
            **({"FIGURE_MEMO_SECONDS": 0} if cold else {}),
        }
    )


def somebody_writes(app) -> None:
    """--busy: another person's audited write just before the view (a hall in opening hours),
    appended through the app's own audit trail (the chain stays valid)."""
    from compliance import audit
    from compliance.db import db
    from compliance.uow import unit_of_work

    with app.app_context(), unit_of_work():
        audit.record(db.session, None, "bench.write", entity_type="Bench", entity_id=0)


def ensure_rotation_plan(app) -> None:
    """The demo has no rotation plan: draft one as HR with the app's own planner (today's
    proposal), so the plan page is timed, and its statements compared, at both sizes."""
    from datetime import timedelta

    from compliance.db import db
    from compliance.domain import DomainError
    from compliance.models import User
    from compliance.timeutil import local_today
    from compliance.uow import unit_of_work
    from rotation.services.proposals import create_plan_from_proposal

    with app.app_context():
        if db.session.scalar(sa.text("SELECT count(*) FROM rotation_plan")):
            db.session.rollback()
            return
        db.session.rollback()
        for days in (0, 90, 180, 365):
            try:
                with unit_of_work():
                    hr = db.session.scalar(sa.select(User).where(User.username == "hr"))
                    on = local_today() + timedelta(days=days)
                    plan = create_plan_from_proposal(db.session, hr, on, title="bench")
                    print(f"  drafted rotation plan {plan.id} for {on} ({len(plan.moves)} moves)")
                return
            except DomainError:
                continue


def detail_pages(app) -> dict[str, str]:
    """Paths of typical detail pages with real ids (the 大面 centre's newest records)."""
    from flask import url_for

    from compliance.db import db

    q = db.session.execute
    dm = q(sa.text("SELECT id FROM site WHERE code = 'DM'")).scalar()

    def one(sql: str):
        return q(sa.text(sql), {"dm": dm}).scalar()

    ids = {
        "inspections.inspection_detail": (
            "inspection_id",
            one("SELECT max(id) FROM inspection WHERE site_id = :dm AND status = 'submitted'"),
        ),
        "inspections.finding_detail": (
            "finding_id",
            one("SELECT max(id) FROM finding WHERE site_id = :dm AND NOT is_integrity"),
        ),
        "rectification.timeline": (
            "rect_id",
            one("SELECT max(id) FROM rectification WHERE site_id = :dm"),
        ),
        "org.staff_detail": (
            "staff_id",
            one("SELECT min(staff_member_id) FROM user_account WHERE username = 'staff'"),
        ),
        "training.staff_record": (
            "staff_id",
            one("SELECT min(staff_member_id) FROM user_account WHERE username = 'staff'"),
        ),
        "training.session_detail": (
            "session_id",
            one("SELECT max(id) FROM training_session WHERE site_id = :dm"),
        ),
        "training.plan_detail": ("plan_id", one("SELECT max(id) FROM onboarding_plan")),
        "rotation.plan_detail": ("plan_id", one("SELECT max(id) FROM rotation_plan")),
        "inspections.offline_round": ("site_id", dm),
    }
    db.session.rollback()
    with app.test_request_context():
        return {
            endpoint: url_for(endpoint, **{arg: value})
            for endpoint, (arg, value) in ids.items()
            if value is not None
        }


def nav_pages(app, roles: set[str]) -> dict[str, str]:
    from flask import url_for

    from compliance.ui import _ext

    pages = {}
    with app.test_request_context():
        for item in sorted(_ext(app)["nav"]):
            if item.roles is None or item.roles & roles:
                pages[item.endpoint] = url_for(item.endpoint)
    return pages


def measure(
    target: str,
    runs: int,
    only: list[str] | None = None,
    roles: list[str] | None = None,
    cold: bool = False,
    busy: bool = False,
) -> tuple[dict, float]:
    """{(role, endpoint): (path, status, p50, p95, statements, bytes)} and the baseline p50.

    `only`: keep pages whose endpoint or path contains one of these strings; `roles`: keep
    these roles (the baseline is always measured)."""
    from compliance import freeze_startup_heap
    from compliance.db import db
    from compliance.demo import DEMO_PASSWORD
    from compliance.models import User

    app = make_app(target, cold)
    ensure_rotation_plan(app)
    statements: list[str] = []

    def count(conn, cursor, statement, *rest):
        statements.append(statement)

    results = {}
    with app.app_context():
        engine = db.engine
        details = detail_pages(app)
        role_of = {}
        for role in ROLES:
            user = db.session.scalar(sa.select(User).where(User.username == role))
            role_of[role] = set(user.roles) if user is not None else None
        db.session.rollback()
    # as a serving process does once the app is created (compliance.wsgi)
    freeze_startup_heap()
    baseline = None
    for role in ROLES:
        if role_of[role] is None or (roles and role not in roles):
            continue
        client = app.test_client()
        response = client.post("/login", data={"username": role, "password": DEMO_PASSWORD})
        if response.status_code != 302:
            print(f"  {role}: sign-in failed ({response.status_code}); skipped")
            continue
        pages = {"main.dashboard": "/dashboard"} | nav_pages(app, role_of[role]) | details
        if only:
            pages = {
                endpoint: path
                for endpoint, path in pages.items()
                if any(word in endpoint or word in path for word in only)
            }
        if baseline is None:
            pages = {"baseline /healthz": "/healthz"} | pages
        for endpoint, path in pages.items():
            first = client.get(path)
            if first.status_code != 200:
                if endpoint in details:
                    continue  # not this role's page
                results[(role, endpoint)] = (path, first.status_code, 0.0, 0.0, 0, 0)
                continue
            times = []
            n_statements = 0
            size = 0
            for k in range(runs):
                if busy:
                    somebody_writes(app)
                if k == 0:
                    statements.clear()
                    sa.event.listen(engine, "before_cursor_execute", count)
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                if k == 0:
                    sa.event.remove(engine, "before_cursor_execute", count)
                    n_statements = len(statements)
                    size = len(response.get_data())
            times.sort()
            p50 = statistics.median(times)
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            if endpoint.startswith("baseline"):
                baseline = p50
                continue
            results[(role, endpoint)] = (path, 200, p50, p95, n_statements, size)
        print(f"  {role}: {len(pages)} pages timed", flush=True)
    with app.app_context():
        db.engine.dispose()
    return results, baseline or 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("demo", help="demo-size database (SQLite path or PostgreSQL URL)")
    parser.add_argument("district", help="district-size database (bench/district.py)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", help="write the table here (.csv or .md)")
    parser.add_argument("--top", type=int, default=0, help="print only the N slowest pages")
    parser.add_argument(
        "--only",
        action="append",
        help="time only pages whose endpoint or path contains this (repeatable), "
        "e.g. --only main.dashboard --only /year-review",
    )
    parser.add_argument(
        "--role", action="append", choices=ROLES, help="time only this role (repeatable)"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="turn off the memo of aggregates (FIGURE_MEMO_SECONDS=0): every view computes "
        "its year-to-date figures, charts and live scores, as the first view after a write does",
    )
    parser.add_argument(
        "--busy",
        action="store_true",
        help="before every timed view somebody else makes an audited write, as in opening "
        "hours: remembered aggregates are then reused only within FIGURE_STALE_SECONDS",
    )
    args = parser.parse_args()

    print(f"demo size: {args.demo}")
    demo, demo_base = measure(args.demo, args.runs, args.only, args.role, args.cold, args.busy)
    print(f"district size: {args.district}")
    district, district_base = measure(
        args.district, args.runs, args.only, args.role, args.cold, args.busy
    )

    rows = []
    for key, (path, status, p50, p95, stmts, size) in district.items():
        d = demo.get(key)
        marks = []
        if status != 200:
            marks.append(f"HTTP {status}")
        else:
            if p50 >= P50_TARGET_MS:
                marks.append("p50")
            if p95 >= P95_TARGET_MS:
                marks.append("p95")
            if d is None or d[1] != 200:
                marks.append("no demo")
            elif stmts != d[4]:
                marks.append("stmts")
        rows.append(
            {
                "role": key[0],
                "page": path,
                "endpoint": key[1],
                "demo_p50": round(d[2], 1) if d else "",
                "demo_p95": round(d[3], 1) if d else "",
                "demo_stmts": d[4] if d else "",
                "demo_kb": round(d[5] / 1024, 1) if d else "",
                "district_p50": round(p50, 1),
                "district_p95": round(p95, 1),
                "district_stmts": stmts,
                "district_kb": round(size / 1024, 1),
                "misses": " ".join(marks) or "ok",
            }
        )
    rows.sort(key=lambda r: -r["district_p50"])
    shown = rows[: args.top] if args.top else rows
    header = (
        f"{'role':<10} {'page':<42} {'demo p50/p95 ms':>16} {'st':>4} {'KB':>6}  "
        f"{'district p50/p95 ms':>19} {'st':>4} {'KB':>6}  misses"
    )
    print("\n" + header)
    for r in shown:
        print(
            f"{r['role']:<10} {r['page'][:42]:<42} "
            f"{str(r['demo_p50']) + ' / ' + str(r['demo_p95']):>16} {r['demo_stmts']!s:>4} "
            f"{r['demo_kb']!s:>6}  "
            f"{str(r['district_p50']) + ' / ' + str(r['district_p95']):>19} "
            f"{r['district_stmts']:>4} {r['district_kb']:>6}  {r['misses']}"
        )
    missing = [r for r in rows if r["misses"] != "ok"]
    print(
        f"\n{len(rows)} pages; {len(rows) - len(missing)} meet every target, "
        f"{len(missing)} miss one or more (p50 < {P50_TARGET_MS} ms, p95 < {P95_TARGET_MS} ms, "
        "statements at district == demo)."
    )
    print(
        f"baseline GET /healthz p50: demo {demo_base:.1f} ms, district {district_base:.1f} ms "
        "(2 shared cores: read the figures against it)"
    )
    if args.out:
        out = Path(args.out)
        if out.suffix == ".csv":
            with out.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        else:
            lines = [
                "| role | page | demo p50 | demo p95 | demo stmts | demo KB | district p50 | "
                "district p95 | district stmts | district KB | misses |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            ]
            for r in rows:
                lines.append(
                    f"| {r['role']} | `{r['page']}` | {r['demo_p50']} | {r['demo_p95']} | "
                    f"{r['demo_stmts']} | {r['demo_kb']} | {r['district_p50']} | "
                    f"{r['district_p95']} | {r['district_stmts']} | {r['district_kb']} | "
                    f"{r['misses']} |"
                )
            out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"table written to {out}")


if __name__ == "__main__":
    main()
