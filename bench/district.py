"""Build a district-scale database for the page bench (issue 17), on SQLite or PostgreSQL.

The district: 50 sites (10 centres with 40 windows, 20 halls with 20, 20 stations with 10),
1,000 windows with two people each, 2,200 staff (300 on key posts), one user account per staff
member plus inspectors and centre heads, and a year of history: two patrol rounds per site and
working day (~24,700 rounds) with their check results stored as the app stores them (a roster
per round and a row per failure or excused item; the per-result ledger lists ~19.8 million
results), ~1.8 failures per round becoming
findings and rectifications (~44,000) with their events, monthly training sessions with
attendance, onboarding plans and mentor pairings, quarterly rotation plans with executed swaps,
notifications (~290,000, escalations to the discipline office left unread), sign-in attempts
(~110,000) and a valid audit chain (~230,000 events, hashed with the app's own `event_hash`).

The demo data (`compliance seed-demo`: the 大面 centre, its checklist, the demo accounts with the
password `demo-pass-2026`) is loaded first through the app, so every demo role can sign in; the
district is then bulk-inserted with SQLAlchemy core (explicit ids, batches; PostgreSQL COPY for
the check results and rosters). `--scale` shortens the history (0.1 = 36 days); the
organisation is always full size. The audit key is fixed
(`AUDIT_KEY=bench-district-audit-key`), so

    AUDIT_KEY=bench-district-audit-key DATABASE_URL=<url> .venv/bin/compliance audit verify

verifies the chain (the generator runs the same verification at the end and prints it).

Usage:
    .venv/bin/python bench/district.py /tmp/district.db [--scale 0.2]
    .venv/bin/python bench/district.py postgresql+psycopg://postgres@127.0.0.1/bench_district \
        [--scale 0.2] --reset
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

BENCH_AUDIT_KEY = "bench-district-audit-key"
BENCH_SECRET_KEY = "bench-district-secret"
BATCH = 20_000
WINDOWS_BY_KIND = {"centre": 40, "hall": 20, "station": 10}
BACK_OFFICE_STAFF = 200  # staff without a window (2,000 on windows + 200 = 2,200)
ROUNDS_PER_DAY = 2
FAILURES_PER_ROUND = (0, 0, 1, 1, 2, 2, 3, 3, 4, 2)  # mean 1.8
DEADLINE_DAYS = {"minor": 7, "major": 3, "critical": 1}
UTC_OFFSET = timedelta(hours=8)  # Asia/Shanghai


def log(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:7.1f} s] {message}", flush=True)


def make_app(target: str):
    """The app on the target database (a SQLite file path or a SQLAlchemy URL)."""
    from compliance import create_app

    url = target if "://" in target else f"sqlite:///{Path(target).resolve()}"
    instance = Path("/tmp") / f"bench-district-{abs(hash(url)) % 10**8}"
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": BENCH_SECRET_KEY,
            "AUDIT_KEY": BENCH_AUDIT_KEY,
            "AUDIT_CHECKPOINT_DIR": "",
            "UPLOAD_FOLDER": str(instance / "uploads"),
            "WTF_CSRF_ENABLED": False,
        }
    )


def reset_database(app, target: str, reset: bool) -> None:
    from compliance.db import db

    if "://" not in target:
        path = Path(target)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    with app.app_context():
        tables = sa.inspect(db.engine).get_table_names()
        if tables and not reset:
            raise SystemExit(f"{target} already has tables; pass --reset to rebuild it")
        if tables:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")
        db.engine.dispose()


# --------------------------------------------------------------------------- id counters


class Ids:
    """Explicit primary keys (max + 1 per table), so rows can refer to each other without reading
    them back. PostgreSQL sequences are moved past them at the end."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.next: dict[str, int] = {}

    def take(self, table: str) -> int:
        if table not in self.next:
            self.next[table] = (
                self.conn.exec_driver_sql(f'SELECT coalesce(max(id), 0) FROM "{table}"').scalar()
                + 1
            )
        value = self.next[table]
        self.next[table] = value + 1
        return value


class Writer:
    """Batched core inserts; check results through COPY on PostgreSQL."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.pending: dict[str, list] = {}
        self.counts: dict[str, int] = {}
        self.tables = {t.name: t for t in _metadata().sorted_tables}
        self.after_inspection = None  # flushes the check results (they refer to inspections)

    def add(self, table: str, row: dict) -> None:
        rows = self.pending.setdefault(table, [])
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush()  # every table, parents (added first) before children

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.pending):
            rows = self.pending.get(name)
            if rows:
                self.conn.execute(self.tables[name].insert(), rows)
                self.counts[name] = self.counts.get(name, 0) + len(rows)
                rows.clear()
            if name == "inspection" and table is None and self.after_inspection:
                self.after_inspection()

    def copy_rows(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Many plain rows at once: COPY on PostgreSQL, executemany on SQLite."""
        if not rows:
            return
        if self.pg:
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            if any(isinstance(v, datetime) for v in rows[0]):  # stored as SQLAlchemy does
                rows = [
                    tuple(
                        v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
                        for v in row
                    )
                    for row in rows
                ]
            marks = ", ".join("?" for _ in columns)
            self.conn.exec_driver_sql(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )
        self.counts[table] = self.counts.get(table, 0) + len(rows)


def _metadata():
    from compliance.db import db

    return db.metadata


# --------------------------------------------------------------------------- check results


CHECK_RESULT_COLUMNS = (
    "id",
    "inspection_id",
    "item_version_id",
    "window_id",
    "staff_member_id",
    "result",
    "severity",
    "reason",
    "recorded_by_id",
)


@dataclass
class RoundFailure:
    item: SimpleNamespace  # the check item: id, target, category, code, version_id, severity, text
    target: str  # area | window | staff
    window_id: int | None
    staff_id: int | None
    reason: str
    check_result_id: int | None = None  # set by write_check_results


ROSTER_COLUMNS = ("inspection_id", "targets", "versions", "pass_count")


@dataclass
class CheckResultStore:
    """Where check results go; one place to change when the app changes how it stores them."""

    writer: Writer
    ids: Ids
    rows: list[tuple] = field(default_factory=list)
    rosters: list[tuple] = field(default_factory=list)

    def flush(self) -> None:
        self.writer.copy_rows("inspection_roster", ROSTER_COLUMNS, self.rosters)
        self.writer.copy_rows("check_result", CHECK_RESULT_COLUMNS, self.rows)
        self.rosters.clear()
        self.rows.clear()


def write_check_results(
    store: CheckResultStore,
    inspection_id: int,
    inspector_id: int,
    items: dict[str, list[SimpleNamespace]],
    windows: list[tuple[int, list[tuple[int, bool]]]],
    failures: list[RoundFailure],
) -> None:
    """Store one submitted patrol round's check results exactly as the app does
    (`inspections.services.findings.submit_round` after `rounds.record_failure`): one `fail` row
    per failure (recorded while the round was open, so with the lower ids), then the round's
    roster (`inspections.check_results.roster_for`, the function `submit_round` uses): the
    targets in checking order (the site's area, each window, each person on duty at that window)
    and the item versions of each kind; every target/item not failed passes and is no row, but a
    person on leave is `excused`, one row per item. Sets each failure's `check_result_id` (the
    finding points to it).

    `windows` is [(window id, [(staff id, on leave)])]. This is the only function that knows the
    storage of check results."""
    from inspections.check_results import roster_for, target_key

    rows = store.rows
    failed = set()
    for f in failures:
        f.check_result_id = store.ids.take("check_result")
        failed.add((*target_key(f.window_id, f.staff_id), f.item.id))
        rows.append(
            (
                f.check_result_id,
                inspection_id,
                f.item.version_id,
                f.window_id,
                f.staff_id,
                "fail",
                f.item.severity,
                f.reason,
                inspector_id,
            )
        )
    targets = [(None, None, False)]
    for window_id, duty in windows:
        targets.append((window_id, None, False))
        targets += [(window_id, staff_id, on_leave) for staff_id, on_leave in duty]
    checklist = [
        (item.id, kind, item.version_id, item.severity)
        for kind in ("area", "window", "staff")
        for item in items[kind]
    ]
    roster, excused = roster_for(inspection_id, targets, checklist, failed)
    store.rosters.append(
        (
            inspection_id,
            json.dumps(roster["targets"]),
            json.dumps(roster["versions"]),
            roster["pass_count"],
        )
    )
    for row in excused:
        rows.append(
            (
                store.ids.take("check_result"),
                inspection_id,
                row["item_version_id"],
                row["window_id"],
                row["staff_member_id"],
                "excused",
                row["severity"],
                None,
                None,
            )
        )


# --------------------------------------------------------------------------- the district


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚婷欣怡浩然子涵建华志强雪梅晓东"


def local_dt(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Naive UTC of a local (Asia/Shanghai) time."""
    return datetime(day.year, day.month, day.day, hour, minute, second) - UTC_OFFSET


def build(app, scale: float, seed: int, started: float) -> dict:
    from compliance.audit_chain import GENESIS, event_hash
    from compliance.auth.passwords import hash_password
    from compliance.db import db
    from compliance.demo import DEMO_PASSWORD
    from compliance.timeutil import local_today

    rng = random.Random(seed)
    today = local_today(app.config["TIMEZONE"])
    days = max(1, round(365 * scale))
    first_day = today - timedelta(days=days)
    hashed = hash_password(DEMO_PASSWORD, app.config["PASSWORD_HASH_METHOD"])
    audit: list[tuple] = []  # (at, actor_id, actor_name, action, entity_type, entity_id, after)

    with db.engine.begin() as conn:
        ids = Ids(conn)
        w = Writer(conn)
        q = conn.exec_driver_sql

        # ---- the demo's own organisation
        sites = {
            code: (sid, kind, parent)
            for sid, code, kind, parent in q("SELECT id, code, kind, parent_id FROM site")
        }
        posts = [tuple(r) for r in q("SELECT id, is_key FROM post ORDER BY id")]
        key_posts = [pid for pid, key in posts if key]
        plain_posts = [pid for pid, key in posts if not key]
        users = {name: uid for uid, name in q("SELECT id, username FROM user_account")}
        items: dict[str, list[SimpleNamespace]] = {"area": [], "window": [], "staff": []}
        for iid, code, target, category, vid, severity, text in q(
            "SELECT i.id, i.code, i.target, i.category, v.id, v.severity, v.text_zh "
            "FROM check_item i JOIN check_item_version v ON v.id = i.current_version_id "
            "WHERE i.is_active ORDER BY i.sort_order"
        ):
            items[target].append(
                SimpleNamespace(
                    id=iid,
                    code=code,
                    target=target,
                    category=category,
                    version_id=vid,
                    severity=severity,
                    text=text,
                    integrity=code in ("D07", "D08"),
                )
            )
        failable = {k: [i for i in v if not i.integrity] for k, v in items.items()}
        courses = [r[0] for r in q("SELECT id FROM course ORDER BY id")]

        # ---- sites: the demo's 大面 family gets one more hall; nine more centres of five sites
        site_rows = []
        dm = sites["DM"][0]
        plan = [("DMH2", "大面第二片区便民服务中心", "hall", dm)]
        for c in range(2, 11):
            centre = f"C{c:02d}"
            plan.append((centre, f"第{c}街道便民服务中心", "centre", None))
            for h in (1, 2):
                plan.append((f"{centre}H{h}", f"第{c}街道第{h}片区服务中心", "hall", centre))
                plan.append((f"{centre}H{h}S", f"第{c}街道第{h}驿站", "station", f"{centre}H{h}"))
        for code, name, kind, parent in plan:
            sid = ids.take("site")
            parent_id = parent if isinstance(parent, int) or parent is None else sites[parent][0]
            sites[code] = (sid, kind, parent_id)
            site_rows.append(
                {
                    "id": sid,
                    "code": code,
                    "name": name,
                    "kind": kind,
                    "parent_id": parent_id,
                    "timezone": "Asia/Shanghai",
                    "is_active": True,
                }
            )
        w.conn.execute(w.tables["site"].insert(), site_rows)
        parent_of = {sid: parent for sid, _kind, parent in sites.values()}
        family = {}  # site id -> the centre at the top of its family
        for sid in parent_of:
            top = sid
            while parent_of.get(top) is not None:
                top = parent_of[top]
            family[sid] = top

        # ---- windows and staff: 40 / 20 / 10 windows, two people at each
        windows: dict[int, list[list]] = {}  # site -> [[window id, [(staff id, on leave)]]]
        for wid, sid in q('SELECT id, site_id FROM "window" ORDER BY id'):
            windows.setdefault(sid, []).append([wid, []])
        staff_site: dict[int, int] = {}
        staff_window: dict[int, int | None] = {}
        staff_post: dict[int, int] = {}
        current_assignment: dict[int, int] = {}
        seat_since: dict[int, date] = {}  # staff -> start of the current assignment
        for aid, sid, wid, site_id, post_id, since in q(
            "SELECT id, staff_member_id, window_id, site_id, post_id, started_on FROM assignment "
            "WHERE ended_on IS NULL"
        ):
            staff_site[sid], staff_window[sid], staff_post[sid] = site_id, wid, post_id
            current_assignment[sid] = aid
            seat_since[sid] = since if isinstance(since, date) else date.fromisoformat(since)
            for entry in windows.get(site_id, []):
                if entry[0] == wid:
                    entry[1].append((sid, False))
        n_staff = 0
        n_window = 0

        def new_staff(site_id: int, window_id: int | None, post_id: int) -> int:
            nonlocal n_staff
            n_staff += 1
            sid = ids.take("staff_member")
            hired = today - timedelta(days=rng.randrange(200, 4000))
            name = rng.choice(SURNAMES) + "".join(
                rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))
            )
            w.add(
                "staff_member",
                {
                    "id": sid,
                    "staff_no": f"D{n_staff:05d}",
                    "name": name,
                    "hired_on": hired,
                    "status": "active",
                    "site_id": site_id,
                },
            )
            aid = ids.take("assignment")
            started_on = hired + timedelta(days=rng.randrange(0, 30))
            w.add(
                "assignment",
                {
                    "id": aid,
                    "staff_member_id": sid,
                    "post_id": post_id,
                    "site_id": site_id,
                    "window_id": window_id,
                    "started_on": started_on,
                },
            )
            staff_site[sid], staff_window[sid], staff_post[sid] = site_id, window_id, post_id
            current_assignment[sid] = aid
            seat_since[sid] = started_on
            audit.append(
                (
                    local_dt(first_day, 8),
                    users["hr"],
                    "hr",
                    "staff.create",
                    "StaffMember",
                    sid,
                    {"staff_no": f"D{n_staff:05d}", "site_id": site_id},
                )
            )
            return sid

        for site_id, kind, _parent in sites.values():
            have = windows.setdefault(site_id, [])
            for _k in range(WINDOWS_BY_KIND[kind] - len(have)):
                n_window += 1
                wid = ids.take("window")
                w.add(
                    "window",
                    {
                        "id": wid,
                        "site_id": site_id,
                        "code": f"W{n_window:04d}",
                        "name": f"窗口{n_window}",
                        "is_active": True,
                    },
                )
                # 15% of windows are key posts: 150 windows x 2 = 300 staff on key posts.
                post_id = (
                    key_posts[n_window % 3]
                    if n_window % 20 in (5, 11, 17)
                    else plain_posts[n_window % len(plain_posts)]
                )
                w.flush("window")
                have.append([wid, [(new_staff(site_id, wid, post_id), False) for _ in range(2)]])
        w.flush("staff_member")
        w.flush("assignment")
        all_sites = [s for s, _k, _p in sites.values()]
        for k in range(BACK_OFFICE_STAFF):
            new_staff(all_sites[k % len(all_sites)], None, plain_posts[k % len(plain_posts)])
        w.flush()
        staff_ids = list(staff_site)
        log(
            f"organisation: {len(sites)} sites, {sum(len(v) for v in windows.values())} windows, "
            f"{len(staff_ids)} staff",
            started,
        )

        # ---- leave: 3% of staff take a week off sometime in the history
        leaves: dict[int, tuple[date, date]] = {}
        for sid in rng.sample(staff_ids, len(staff_ids) * 3 // 100):
            start = first_day + timedelta(days=rng.randrange(days + 7))
            leaves[sid] = (start, start + timedelta(days=6))
            w.add(
                "leave",
                {
                    "id": ids.take("leave"),
                    "staff_member_id": sid,
                    "starts_on": start,
                    "ends_on": start + timedelta(days=6),
                    "reason": "年休假",
                    "approved_by_id": users["hr"],
                },
            )
        w.flush()

        # ---- users: one per staff member, two inspectors and a head per new centre
        staff_user: dict[int, int] = {
            s: u
            for u, s in q(
                "SELECT id, staff_member_id FROM user_account WHERE staff_member_id IS NOT NULL"
            )
        }
        inspectors_of: dict[int, list[int]] = {dm: [users["inspector"], users["inspector2"]]}
        leader_of: dict[int, int] = {dm: users["leader"]}

        def new_user(username, roles, site_ids, staff_id=None) -> int:
            uid = ids.take("user_account")
            w.add(
                "user_account",
                {
                    "id": uid,
                    "username": username,
                    "display_name": username,
                    "password_hash": hashed,
                    "is_active": True,
                    "all_sites": not site_ids,
                    "email_opt_out": False,
                    "staff_member_id": staff_id,
                },
            )
            for role in roles:
                w.add("user_role", {"user_id": uid, "role": role})
            for site_id in site_ids:
                w.add("user_site", {"user_id": uid, "site_id": site_id})
            return uid

        for code, (site_id, kind, _p) in sites.items():
            if kind == "centre" and site_id != dm:
                inspectors_of[site_id] = [
                    new_user(f"insp-{code}-{k}", ["inspector"], [site_id]) for k in (1, 2)
                ]
                leader_of[site_id] = new_user(f"head-{code}", ["leader"], [site_id])
        for sid in staff_ids:
            if sid not in staff_user:
                staff_user[sid] = new_user(f"s{sid}", ["staff"], [staff_site[sid]], sid)
        w.flush()
        log(f"users: {w.counts.get('user_account', 0)} added", started)

        # ---- a year of patrol rounds, check results, findings and rectifications
        store = CheckResultStore(w, ids)
        w.after_inspection = store.flush
        keeper = {wid: duty[0][0] for ws in windows.values() for wid, duty in ws if duty}
        site_first_staff = {}
        for sid in staff_ids:
            site_first_staff.setdefault(staff_site[sid], sid)
        notes = []  # (user id, kind, title, link, entity type, entity id, at, read at)
        overdue_open = []
        n_rounds = n_findings = 0
        day = first_day
        month = None
        while day < today:
            if day.weekday() >= 5:
                day += timedelta(days=1)
                continue
            if month != day.month:
                month = day.month
                log(
                    f"history {day:%Y-%m}: {n_rounds} rounds, {n_findings} findings, "
                    f"{w.counts.get('check_result', 0)} check results",
                    started,
                )
            for site_id in all_sites:
                team = inspectors_of[family[site_id]]
                duty_windows = [
                    (
                        wid,
                        [
                            (s, s in leaves and leaves[s][0] <= day <= leaves[s][1])
                            for s, _l in duty
                        ],
                    )
                    for wid, duty in windows[site_id]
                ]
                for r in range(ROUNDS_PER_DAY):
                    n_rounds += 1
                    inspector = team[r % len(team)]
                    begun = local_dt(day, 9 + 5 * r, rng.randrange(60))
                    submitted = begun + timedelta(
                        seconds=20 * len(duty_windows) + rng.randrange(600)
                    )
                    iid = ids.take("inspection")
                    failures = []
                    for _f in range(rng.choice(FAILURES_PER_ROUND)):
                        kind = rng.choices(("staff", "window", "area"), (8, 2, 1))[0]
                        wid, duty = rng.choice(duty_windows)
                        present = [s for s, leave in duty if not leave]
                        if kind == "staff" and not present:
                            kind = "window"
                        item = rng.choice(failable[kind])
                        staff_id = rng.choice(present) if kind == "staff" else None
                        window_id = wid if kind != "area" else None
                        if any(
                            f.item.id == item.id
                            and f.window_id == window_id
                            and f.staff_id == staff_id
                            for f in failures
                        ):
                            continue
                        failures.append(
                            RoundFailure(
                                item,
                                kind,
                                window_id,
                                staff_id,
                                rng.choice(("现场发现", "群众反映", "复查发现")),
                            )
                        )
                    w.add(
                        "inspection",
                        {
                            "id": iid,
                            "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                            "kind": "patrol",
                            "status": "submitted",
                            "site_id": site_id,
                            "inspector_id": inspector,
                            "started_at": begun,
                            "submitted_at": submitted,
                            "created_at": begun,
                            "failure_count": len(failures),
                        },
                    )
                    write_check_results(store, iid, inspector, items, duty_windows, failures)
                    audit.append(
                        (
                            begun,
                            inspector,
                            None,
                            "inspection.start",
                            "Inspection",
                            iid,
                            {"site_id": site_id},
                        )
                    )
                    audit.append(
                        (
                            submitted,
                            inspector,
                            None,
                            "inspection.submit",
                            "Inspection",
                            iid,
                            {"site_id": site_id, "failure_count": len(failures)},
                        )
                    )
                    for f in failures:
                        n_findings += 1
                        fid = ids.take("finding")
                        w.add(
                            "finding",
                            {
                                "id": fid,
                                "inspection_id": iid,
                                "check_result_id": f.check_result_id,
                                "item_version_id": f.item.version_id,
                                "category": f.item.category,
                                "target": f.target,
                                "site_id": site_id,
                                "window_id": f.window_id,
                                "staff_member_id": f.staff_id,
                                "severity": f.item.severity,
                                "description": f"{f.item.code} {f.item.text}"[:300],
                                "reason": f.reason,
                                "found_by_id": inspector,
                                "found_at": submitted,
                                "created_at": submitted,
                                "is_integrity": False,
                            },
                        )
                        audit.append(
                            (
                                submitted,
                                inspector,
                                None,
                                "finding.create",
                                "Finding",
                                fid,
                                {"inspection_id": iid, "severity": f.item.severity},
                            )
                        )
                        rect_for(
                            w,
                            ids,
                            rng,
                            audit,
                            notes,
                            overdue_open,
                            today,
                            fid,
                            f,
                            site_id,
                            submitted,
                            inspector,
                            f.staff_id or keeper.get(f.window_id) or site_first_staff.get(site_id),
                            staff_user,
                            leader_of[family[site_id]],
                        )
            w.flush()  # inspections, their check results, findings, rectifications, events
            day += timedelta(days=1)
        log(
            f"history done: {n_rounds} rounds, {n_findings} findings, "
            f"{w.counts.get('check_result', 0)} check results",
            started,
        )

        # ---- escalations of overdue rectifications to the discipline office (left unread)
        for rid, _site_id, at in overdue_open:
            for user in (users["discipline"], users["admin"]):
                notes.append(
                    (
                        user,
                        "rectification.escalated",
                        "整改逾期已上报纪检",
                        f"/rectifications/{rid}",
                        "Rectification",
                        rid,
                        at,
                        None,
                    )
                )

        # ---- training: monthly sessions per site (two courses), every staff member invited
        staff_by_site: dict[int, list[int]] = {}
        for sid in staff_ids:
            staff_by_site.setdefault(staff_site[sid], []).append(sid)
        month_start = first_day
        while month_start < today + timedelta(days=30):
            for site_id in all_sites:
                for k, course in enumerate(courses[2:4]):
                    tid = ids.take("training_session")
                    at = local_dt(month_start + timedelta(days=3 + 7 * k), 15)
                    past = at < local_dt(today, 0)
                    w.add(
                        "training_session",
                        {
                            "id": tid,
                            "course_id": course,
                            "site_id": site_id,
                            "place": "三楼会议室",
                            "starts_at": at,
                            "ends_at": at + timedelta(hours=1),
                            "trainer": "业务科",
                            "status": "scheduled",
                            "created_by_id": users["hr"],
                            "created_at": at,
                        },
                    )
                    for sid in staff_by_site[site_id]:
                        w.add(
                            "session_attendee",
                            {
                                "id": ids.take("session_attendee"),
                                "session_id": tid,
                                "staff_member_id": sid,
                                "invited_via": "site",
                                "status": (rng.choice(("present",) * 8 + ("late", "absent")))
                                if past
                                else None,
                                "marked_at": at if past else None,
                                "marked_by_id": users["hr"] if past else None,
                                "created_at": at,
                            },
                        )
                    if past:
                        notes.extend(
                            (
                                staff_user[s],
                                "training.invited",
                                "培训通知",
                                f"/training/sessions/{tid}",
                                "TrainingSession",
                                tid,
                                at - timedelta(days=3),
                                at,
                            )
                            for s in staff_by_site[site_id]
                        )
            month_start += timedelta(days=30)
        w.flush()

        # ---- onboarding: the newest 5% of staff have a plan (three courses) and a mentor
        for sid in rng.sample(staff_ids, len(staff_ids) // 20):
            starts = today - timedelta(days=rng.randrange(5, 150))
            pid = ids.take("onboarding_plan")
            done = (today - starts).days > 98 and rng.random() < 0.6
            w.add(
                "onboarding_plan",
                {
                    "id": pid,
                    "staff_member_id": sid,
                    "starts_on": starts,
                    "mentor_weeks": 12,
                    "pairing_due_on": starts + timedelta(days=14),
                    "sign_off_due_on": starts + timedelta(days=98),
                    "status": "completed" if done else "active",
                    "completed_on": starts + timedelta(days=98) if done else None,
                    "created_by_id": users["hr"],
                },
            )
            for k, course in enumerate(courses[:3]):
                w.add(
                    "onboarding_plan_item",
                    {
                        "id": ids.take("onboarding_plan_item"),
                        "plan_id": pid,
                        "course_id": course,
                        "due_on": starts + timedelta(days=30 * (k + 1)),
                    },
                )
            mentor = next(s for s in staff_by_site[staff_site[sid]] if s != sid)
            w.add(
                "mentor_pairing",
                {
                    "id": ids.take("mentor_pairing"),
                    "kind": "onboarding",
                    "mentor_id": mentor,
                    "mentee_id": sid,
                    "post_id": staff_post[sid],
                    "plan_id": pid,
                    "starts_on": starts,
                    "ends_on": starts + timedelta(days=84),
                    "status": "signed_off" if done else "active",
                    "signed_off_on": starts + timedelta(days=84) if done else None,
                    "created_by_id": users["hr"],
                },
            )
            audit.append(
                (
                    local_dt(starts, 10),
                    users["hr"],
                    "hr",
                    "onboarding_plan.create",
                    "OnboardingPlan",
                    pid,
                    {"staff_member_id": sid},
                )
            )
        w.flush()

        # ---- rotation: quarterly executed swaps between key-post staff, and one draft plan
        key_staff = [s for s in staff_ids if staff_post[s] in key_posts and staff_window[s]]
        quarters = max(1, days // 91)
        for quarter in range(quarters + 1):
            executed = quarter < quarters
            on = first_day + timedelta(days=91 * quarter + 30) if executed else today
            plan_id = ids.take("rotation_plan")
            w.add(
                "rotation_plan",
                {
                    "id": plan_id,
                    "title": f"关键岗位轮岗 {on:%Y-%m}",
                    "planning_on": on,
                    "status": "executed" if executed else "draft",
                    "author_id": users["hr"],
                    "submitted_at": local_dt(on, 10) if executed else None,
                    "decided_by_id": users["discipline"] if executed else None,
                    "decided_at": local_dt(on, 11) if executed else None,
                    "executed_at": local_dt(on, 12) if executed else None,
                },
            )
            w.flush("rotation_plan")
            # only people seated before the swap day (the demo centre's seats start recently)
            movable = [s for s in key_staff if seat_since[s] < on]
            pool = rng.sample(movable, min(len(movable), 40))
            for a, b in zip(pool[::2], pool[1::2], strict=False):
                if executed:
                    swap(
                        w,
                        ids,
                        audit,
                        users,
                        plan_id,
                        on,
                        a,
                        b,
                        staff_site,
                        staff_window,
                        staff_post,
                        current_assignment,
                    )
                    seat_since[a] = seat_since[b] = on
                else:
                    for x, y in ((a, b), (b, a)):
                        w.add(
                            "rotation_move",
                            {
                                "id": ids.take("rotation_move"),
                                "plan_id": plan_id,
                                "staff_member_id": x,
                                "from_assignment_id": current_assignment[x],
                                "seat_assignment_id": current_assignment[y],
                                "predecessor_id": y,
                                "to_post_id": staff_post[y],
                                "to_site_id": staff_site[y],
                                "to_window_id": staff_window[y],
                                "effective_on": today + timedelta(30),
                                "status": "planned",
                            },
                        )
            w.flush()
        log("training, onboarding and rotation done", started)

        # ---- sign-in attempts: every user about once a week, 3% wrong passwords
        attempt_cols = ("id", "username", "user_id", "at", "outcome", "ip")
        attempt_rows = []
        names = dict((uid, name) for uid, name in q("SELECT id, username FROM user_account"))
        for uid, name in names.items():
            for week in range(days // 7):
                at = local_dt(
                    first_day + timedelta(days=7 * week + rng.randrange(5)),
                    8,
                    rng.randrange(60),
                    rng.randrange(60),
                )
                outcome = "bad_password" if rng.random() < 0.03 else "success"
                attempt_rows.append(
                    (
                        ids.take("login_attempt"),
                        name,
                        uid,
                        at,
                        outcome,
                        f"10.0.{uid % 250}.{week % 250}",
                    )
                )
        attempt_rows.sort(key=lambda r: r[3])
        for k in range(0, len(attempt_rows), 50_000):
            w.copy_rows("login_attempt", attempt_cols, attempt_rows[k : k + 50_000])

        # ---- notifications (older than two weeks mostly read; escalations unread)
        note_cols = (
            "id",
            "user_id",
            "kind",
            "title",
            "link",
            "entity_type",
            "entity_id",
            "created_at",
            "read_at",
            "email_attempts",
        )
        notes.sort(key=lambda n: n[6])
        note_rows = [
            (ids.take("notification"), u, kind, title, link, etype, str(eid), at, read, 0)
            for u, kind, title, link, etype, eid, at, read in notes
            if u
        ]
        for k in range(0, len(note_rows), 50_000):
            w.copy_rows("notification", note_cols, note_rows[k : k + 50_000])
        log(f"{len(attempt_rows)} sign-in attempts, {len(note_rows)} notifications", started)

        # ---- the audit chain, in time order, continuing from the demo's head
        key = BENCH_AUDIT_KEY.encode()
        prev = q("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1").scalar() or GENESIS
        audit.sort(key=lambda e: e[0])
        seen_at = set()
        for at, actor_id, actor_name, action, etype, eid, after in audit:
            while at in seen_at:  # distinct times keep the order readable
                at += timedelta(microseconds=1)
            seen_at.add(at)
            event = SimpleNamespace(
                prev_hash=prev,
                at=at,
                actor_id=actor_id,
                actor_name=actor_name or names.get(actor_id, "system"),
                action=action,
                entity_type=etype,
                entity_id=str(eid),
                before=None,
                after=after,
                reason=None,
            )
            event.hash = prev = event_hash(key, event)
            w.add("audit_event", {"id": ids.take("audit_event"), **vars(event)})
        w.flush()
        log(f"{len(audit)} audit events chained", started)

        if conn.dialect.name == "postgresql":
            for table in ids.next:
                q(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT max(id) FROM "{table}"))'
                )
    return {"days": days, "rounds": n_rounds, "findings": n_findings, **w.counts}


def rect_for(
    w,
    ids,
    rng,
    audit,
    notes,
    overdue_open,
    today,
    fid,
    f,
    site_id,
    at,
    inspector,
    responsible,
    staff_user,
    leader,
) -> None:
    """The rectification a finding opens, with its events, audit records and notifications."""
    rid = ids.take("rectification")
    opened = (at + UTC_OFFSET).date()
    deadline = opened + timedelta(days=DEADLINE_DAYS[f.item.severity])
    age = (today - opened).days
    roll = rng.random()
    if age > 30:
        status = "verified" if roll < 0.92 else "responded" if roll < 0.95 else "open"
    else:
        status = "verified" if roll < age / 40 else "responded" if roll < age / 25 else "open"
    responded_at = closed_at = None
    if status in ("responded", "verified"):
        responded_at = at + timedelta(days=rng.randrange(0, 6), hours=rng.randrange(1, 8))
    if status == "verified":
        closed_at = responded_at + timedelta(hours=rng.randrange(2, 48))
    closed_on = (closed_at + UTC_OFFSET).date() if closed_at else None
    if closed_on and closed_on > today:
        closed_at = closed_on = None
        status = "responded"
    user = staff_user.get(responsible)
    w.add(
        "rectification",
        {
            "id": rid,
            "source": "finding",
            "finding_id": fid,
            "site_id": site_id,
            "window_id": f.window_id,
            "category": f.item.category,
            "severity": f.item.severity,
            "title": f"{f.item.code} {f.item.text}"[:300],
            "responsible_staff_id": responsible,
            "status": status,
            "opened_at": at,
            "opened_on": opened,
            "first_deadline_on": deadline,
            "deadline_on": deadline,
            "rejection_count": 0,
            "responded_at": responded_at,
            "responded_by_id": user if responded_at else None,
            "verified_by_id": inspector if closed_at else None,
            "closed_at": closed_at,
            "closed_on": closed_on,
            "days_to_close": (closed_on - opened).days if closed_on else None,
            "closed_on_time": (closed_on <= deadline) if closed_on else None,
            "fixed_on_spot": False,
            "version": 1 + (responded_at is not None) + (closed_at is not None),
        },
    )
    events = [("opened", at, inspector, "open", None)]
    if responded_at:
        events.append(("responded", responded_at, user, "responded", "已整改，请复查"))
    if closed_at:
        events.append(("verified", closed_at, inspector, "verified", None))
    for kind, when, actor, status_after, text in events:
        w.add(
            "rectification_event",
            {
                "id": ids.take("rectification_event"),
                "rectification_id": rid,
                "kind": kind,
                "actor_id": actor,
                "at": when,
                "text": text,
                "status_after": status_after,
                "deadline_after": deadline,
                "data": {"finding_id": fid} if kind == "opened" else None,
            },
        )
        audit.append(
            (
                when,
                actor,
                None,
                f"rectification.{kind}",
                "Rectification",
                rid,
                {"status": status_after, "deadline_on": deadline.isoformat()},
            )
        )
    read = lambda when: when + timedelta(hours=3) if (today - when.date()).days > 14 else None  # noqa: E731
    link = f"/rectifications/{rid}"
    notes.append(
        (user, "rectification.opened", "新的整改任务", link, "Rectification", rid, at, read(at))
    )
    notes.append(
        (leader, "rectification.opened", "新的整改任务", link, "Rectification", rid, at, read(at))
    )
    if responded_at:
        notes.append(
            (
                inspector,
                "rectification.responded",
                "整改已回复，待复查",
                link,
                "Rectification",
                rid,
                responded_at,
                read(responded_at),
            )
        )
    if closed_at:
        notes.append(
            (
                user,
                "rectification.verified",
                "整改已通过复查",
                link,
                "Rectification",
                rid,
                closed_at,
                read(closed_at),
            )
        )
    if status != "verified" and (today - deadline).days > 3:
        overdue_open.append(
            (rid, site_id, datetime.combine(deadline + timedelta(days=3), datetime.min.time()))
        )


def swap(
    w,
    ids,
    audit,
    users,
    plan_id,
    on,
    a,
    b,
    staff_site,
    staff_window,
    staff_post,
    current_assignment,
) -> None:
    """An executed rotation: a and b exchange seats on `on` (old assignments ended)."""
    old = {s: current_assignment[s] for s in (a, b)}
    seat = {s: (staff_site[s], staff_window[s], staff_post[s]) for s in (a, b)}
    w.flush("assignment")
    for s in (a, b):
        w.conn.execute(
            sa.text("UPDATE assignment SET ended_on = :d WHERE id = :id"),
            {"d": on - timedelta(days=1), "id": old[s]},
        )
    for x, y in ((a, b), (b, a)):
        site_id, window_id, post_id = seat[y]
        new = ids.take("assignment")
        w.add(
            "assignment",
            {
                "id": new,
                "staff_member_id": x,
                "post_id": post_id,
                "site_id": site_id,
                "window_id": window_id,
                "started_on": on,
                "note": "轮岗",
            },
        )
        w.flush("assignment")
        w.add(
            "rotation_move",
            {
                "id": ids.take("rotation_move"),
                "plan_id": plan_id,
                "staff_member_id": x,
                "from_assignment_id": old[x],
                "seat_assignment_id": old[y],
                "predecessor_id": y,
                "to_post_id": post_id,
                "to_site_id": site_id,
                "to_window_id": window_id,
                "effective_on": on,
                "status": "executed",
                "executed_at": local_dt(on, 12),
                "new_assignment_id": new,
            },
        )
        audit.append(
            (
                local_dt(on, 12),
                users["hr"],
                "hr",
                "rotation.move.execute",
                "StaffMember",
                x,
                {"to_window_id": window_id},
            )
        )
        staff_site[x], staff_window[x], staff_post[x] = site_id, window_id, post_id
        current_assignment[x] = new
    w.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", help="SQLite file path or postgresql+psycopg:// URL")
    parser.add_argument("--scale", type=float, default=1.0, help="share of a year of history")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--reset", action="store_true", help="PostgreSQL: drop every table first")
    args = parser.parse_args()

    from compliance.audit import verify_chain
    from compliance.db import db
    from compliance.demo import load_demo
    from compliance.migrate import upgrade
    from compliance.uow import unit_of_work

    started = time.perf_counter()
    app = make_app(args.target)
    reset_database(app, args.target, args.reset)
    app = make_app(args.target)
    with app.app_context():
        upgrade()
        log("schema at the latest migration", started)
        with unit_of_work() as session:
            load_demo(app, session)
        log("demo data loaded (demo accounts, password demo-pass-2026)", started)
        built = build(app, args.scale, args.seed, started)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        else:
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        log("ANALYZE done", started)
        t = time.perf_counter()
        result = verify_chain(db.session)
        db.session.rollback()
        log(
            f"audit verify: ok={result.ok} checked={result.checked} "
            f"({time.perf_counter() - t:.1f} s)",
            started,
        )
        if not result.ok:
            raise SystemExit(f"audit chain broken: {result.message % result.params}")
        sizes = table_sizes(db.engine)
    print("\nrows:", ", ".join(f"{k}={v}" for k, v in sorted(built.items())))
    print("largest tables:", ", ".join(f"{n} {s / 2**20:.0f} MB" for n, s in sizes[:6]))
    print(
        f"built in {time.perf_counter() - started:.0f} s; "
        f"AUDIT_KEY={BENCH_AUDIT_KEY} for `compliance audit verify`"
    )


def table_sizes(engine) -> list[tuple[str, int]]:
    """Bytes per table (with its indexes), largest first."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(
                "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r'"
            ).all()
        else:
            try:
                rows = conn.exec_driver_sql(
                    "SELECT tbl_name, sum(pgsize) FROM dbstat d JOIN sqlite_master m "
                    "ON m.name = d.name GROUP BY tbl_name"
                ).all()
            except sa.exc.OperationalError:  # SQLite built without dbstat
                rows = []
    return sorted(((n, int(s)) for n, s in rows), key=lambda r: -r[1])


if __name__ == "__main__":
    main()
