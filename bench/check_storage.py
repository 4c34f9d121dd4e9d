"""Benchmark: bytes of check data per patrol round, one row per result (the old storage) against a
roster per round plus rows for failures and excused items (the storage since the roster), and
the per-result ledger's listing time in each.

Target (issue 17): a district-year (24,700 rounds of sites averaging 20 windows and 2.2 staff
per window; 19.6 million results the old way) under 300 MB of check data on PostgreSQL.

Builds on a throw-away database (a temporary SQLite file by default, or the URL given; the
database is emptied) one site of --windows windows with --per-window staff each and the standard
checklist, then --rounds submitted rounds. Each checked target (the area, a window, a person)
fails one of its items with probability --fail-rate, a person is on leave with probability
--leave-rate (every item excused). The same rounds are written both ways in the same run:

  old  every result a row, in the table `bench_old_check_result` (the columns, keys and
       index of `check_result`): the failures, then every target/item pass or excused, as
       `submit_round` wrote them before rosters;
  new  `inspection_roster` (one row per round, built by `check_results.roster_for`, the
       function `submit_round` uses) and `check_result` (failures and excused items only).

Bytes: SQLite `dbstat` (pages of the tables and their indexes), PostgreSQL
`pg_total_relation_size` (table, indexes and TOAST). The listing time is the per-result
ledger's row source for the first --ledger-rounds rounds, 20 rounds a batch as the export walks
them: the old statement (joined and sorted in SQL) against `inspections.ledgers._results_of`
(stored rows plus the passes the roster stands for); both listings are compared row by row.

Usage: .venv/bin/python bench/check_storage.py [URL] [--rounds 2000] [--windows 20]
       [--per-window 2] [--fail-rate 0.05] [--leave-rate 0.01] [--ledger-rounds 200]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DISTRICT_ROUNDS = 24_700
OLD_TABLE = "bench_old_check_result"


def build_site(session, windows: int, per_window: int):
    """A site with its windows and staff on duty; returns (site, [(window id, [staff ids])])."""
    from compliance.models import Assignment, Post, Site, StaffMember, Window

    site = Site(code="CS", name="存储基准中心")
    post = Post(code="CSP", name="综合")
    session.add_all([site, post])
    session.flush()
    layout = []
    for n in range(windows):
        window = Window(site=site, code=f"A{n + 1:02d}", name=f"窗口{n + 1}")
        session.add(window)
        session.flush()
        ids = []
        for k in range(per_window):
            member = StaffMember(
                staff_no=f"CS{n:02d}{k}", name=f"员工{n}-{k}", hired_on=date(2020, 1, 1), site=site
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
            ids.append(member.id)
        layout.append((window.id, ids))
    session.flush()
    return site, layout


def old_rows(inspection_id, targets, items, failures) -> list[dict]:
    """Every result of a round as the old `submit_round` stored it: the failures (marked before
    submitting), then every target/item of its kind that did not fail, pass or excused."""
    from inspections.check_results import kind_of, target_key

    failed = {(*target_key(f["window_id"], f["staff_member_id"]), f["item_id"]) for f in failures}
    rows = [{k: v for k, v in f.items() if k != "item_id"} for f in failures]
    for window_id, staff_id, on_leave in targets:
        who = target_key(window_id, staff_id)
        for item_id, kind, version_id, severity in items:
            if kind != kind_of(window_id, staff_id) or (*who, item_id) in failed:
                continue
            rows.append(
                {
                    "inspection_id": inspection_id,
                    "item_version_id": version_id,
                    "window_id": window_id,
                    "staff_member_id": staff_id,
                    "result": "excused" if on_leave else "pass",
                    "severity": severity,
                    "reason": None,
                    "note": None,
                    "recorded_by_id": None,
                }
            )
    return rows


def new_rows(inspection_id, targets, items, failures) -> tuple[dict, list[dict]]:
    """The round as `submit_round` stores it now: its roster and its stored rows."""
    from inspections.check_results import roster_for, target_key

    failed = {(*target_key(f["window_id"], f["staff_member_id"]), f["item_id"]) for f in failures}
    roster, excused = roster_for(inspection_id, targets, items, failed)
    stored = [{k: v for k, v in f.items() if k != "item_id"} for f in failures]
    for row in excused:
        stored.append({**row, "reason": None, "note": None, "recorded_by_id": None})
    return roster, stored


def make_round(rng, inspection_id, layout, items, user_id, fail_rate, leave_rate):
    targets = [(None, None, False)]
    for window_id, staff_ids in layout:
        targets.append((window_id, None, False))
        targets += [(window_id, s, rng.random() < leave_rate) for s in staff_ids]
    from inspections.check_results import kind_of

    failures = []
    for window_id, staff_id, on_leave in targets:
        if on_leave or rng.random() >= fail_rate:
            continue
        kind = kind_of(window_id, staff_id)
        item_id, _kind, version_id, severity = rng.choice([i for i in items if i[1] == kind])
        failures.append(
            {
                "inspection_id": inspection_id,
                "item_version_id": version_id,
                "item_id": item_id,
                "window_id": window_id,
                "staff_member_id": staff_id,
                "result": "fail",
                "severity": severity,
                "reason": "基准",
                "note": "巡查发现",
                "recorded_by_id": user_id,
            }
        )
    return targets, failures


def sizes(session, tables: list[str]) -> dict[str, int]:
    """Bytes of each table with its indexes (and TOAST on PostgreSQL)."""
    import sqlalchemy as sa

    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("ANALYZE"))
        return {
            t: session.scalar(sa.text("SELECT pg_total_relation_size(:t)"), {"t": t})
            for t in tables
        }
    owner = dict(session.execute(sa.text("SELECT name, tbl_name FROM sqlite_master")).all())
    out = dict.fromkeys(tables, 0)
    for name, size in session.execute(
        sa.text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
    ).all():
        table = owner.get(name)
        if table in out:
            out[table] += size
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--windows", type=int, default=20)
    parser.add_argument("--per-window", type=int, default=2)
    parser.add_argument("--fail-rate", type=float, default=0.05)
    parser.add_argument("--leave-rate", type=float, default=0.01)
    parser.add_argument("--ledger-rounds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()

    import sqlalchemy as sa
    from sqlalchemy.orm import aliased

    from compliance import create_app
    from compliance.accounts import create_user
    from compliance.db import db
    from compliance.models import Site, StaffMember, Window
    from inspections.catalogue import load_standard_catalogue
    from inspections.ledgers import _results_of
    from inspections.models import (
        CheckItem,
        CheckItemVersion,
        CheckResult,
        Inspection,
        InspectionRoster,
    )
    from inspections.services.catalogue import active_items

    tmp = tempfile.mkdtemp(prefix="check-storage-")
    url = args.url or f"sqlite:///{tmp}/bench.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": tmp,
            "SECRET_KEY": "bench",
            "UPLOAD_FOLDER": f"{tmp}/uploads",
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    # The old storage: the same columns, keys and index as `check_result`.
    old = sa.Table(
        OLD_TABLE,
        db.metadata,
        *(
            sa.Column(
                c.name,
                c.type,
                *(sa.ForeignKey(fk.target_fullname) for fk in c.foreign_keys),
                primary_key=c.primary_key,
                nullable=c.nullable,
            )
            for c in CheckResult.__table__.c
        ),
        sa.Index(f"ix_{OLD_TABLE}_inspection_id", "inspection_id"),
    )
    rng = random.Random(args.seed)
    with app.app_context():
        db.drop_all()
        db.create_all()
        session = db.session
        backend = session.get_bind().dialect.name
        load_standard_catalogue(session, None)
        site, layout = build_site(session, args.windows, args.per_window)
        user = create_user(
            session,
            None,
            username="bench",
            display_name="督查",
            roles=["inspector"],
            password="correct-horse-42",
            hash_method="scrypt:1024:8:1",
            all_sites=True,
        )
        items = [(i.id, i.target, v.id, v.severity) for i, v in active_items(session)]
        session.commit()

        t0 = time.perf_counter()
        start = datetime(2026, 1, 1, 1, 0)
        counts = {"old rows": 0, "new rows": 0, "failures": 0}
        for first in range(0, args.rounds, 200):
            heads = [
                {
                    "uuid": f"00000000-0000-4000-8000-{n:012d}",
                    "kind": "patrol",
                    "status": "submitted",
                    "site_id": site.id,
                    "inspector_id": user.id,
                    "started_at": start + timedelta(hours=3 * n),
                    "submitted_at": start + timedelta(hours=3 * n, minutes=25),
                    "created_at": start + timedelta(hours=3 * n),
                    "failure_count": 0,
                }
                for n in range(first, min(args.rounds, first + 200))
            ]
            session.execute(sa.insert(Inspection), heads)
            ids = session.scalars(
                sa.select(Inspection.id)
                .where(Inspection.uuid.in_([h["uuid"] for h in heads]))
                .order_by(Inspection.id)
            ).all()
            olds, rosters, stored = [], [], []
            for inspection_id in ids:
                targets, failures = make_round(
                    rng, inspection_id, layout, items, user.id, args.fail_rate, args.leave_rate
                )
                olds += old_rows(inspection_id, targets, items, failures)
                roster, rows = new_rows(inspection_id, targets, items, failures)
                rosters.append(roster)
                stored += rows
                counts["failures"] += len(failures)
            for chunk in range(0, len(olds), 10_000):
                session.execute(sa.insert(old), olds[chunk : chunk + 10_000])
            session.execute(sa.insert(InspectionRoster), rosters)
            if stored:
                session.execute(sa.insert(CheckResult), stored)
            counts["old rows"] += len(olds)
            counts["new rows"] += len(stored)
            session.commit()
        print(
            f"{backend}: built {args.rounds} rounds of {args.windows} windows x {args.per_window} "
            f"staff in both storages in {time.perf_counter() - t0:.0f} s: "
            f"{counts['old rows']:,} result rows the old way, {counts['new rows']:,} rows "
            f"({counts['failures']:,} failures) + {args.rounds:,} rosters the new way"
        )

        size = sizes(session, [OLD_TABLE, "check_result", "inspection_roster"])
        old_bytes = size[OLD_TABLE]
        new_bytes = size["check_result"] + size["inspection_roster"]
        print("\nbytes of check data (tables with their indexes):")
        print(f"  {'storage':<44}{'total':>12}{'per round':>11}{'district-year':>15}")
        for label, total in (
            (f"old: {OLD_TABLE}", old_bytes),
            ("new: check_result + inspection_roster", new_bytes),
            ("    of which check_result", size["check_result"]),
            ("    of which inspection_roster", size["inspection_roster"]),
        ):
            per = total / args.rounds
            print(
                f"  {label:<44}{total / 1e6:>10.1f}MB{per:>10,.0f}B"
                f"{per * DISTRICT_ROUNDS / 1e6:>12,.1f} MB"
            )
        print(f"  ratio new/old: {new_bytes / old_bytes:.3f}")

        sample = session.scalars(
            sa.select(Inspection.id)
            .order_by(Inspection.submitted_at, Inspection.id)
            .limit(args.ledger_rounds)
        ).all()
        batches = [sample[i : i + 20] for i in range(0, len(sample), 20)]
        window, staff = aliased(Window), aliased(StaffMember)

        def old_listing(batch):
            return session.execute(
                sa.select(
                    Inspection.submitted_at,
                    Site.name,
                    Inspection.kind,
                    Inspection.inspector_id,
                    window.code + " " + window.name,
                    staff.name,
                    CheckItem.category,
                    CheckItemVersion.text_zh,
                    CheckItemVersion.text_en,
                    old.c.result,
                    old.c.severity,
                    old.c.reason,
                    old.c.note,
                    Inspection.id,
                    Inspection.submitted_at.label("k1"),
                    old.c.id.label("k2"),
                )
                .select_from(old)
                .join(Inspection, Inspection.id == old.c.inspection_id)
                .join(Site, Site.id == Inspection.site_id)
                .join(CheckItemVersion, CheckItemVersion.id == old.c.item_version_id)
                .join(CheckItem, CheckItem.id == CheckItemVersion.item_id)
                .outerjoin(window, window.id == old.c.window_id)
                .outerjoin(staff, staff.id == old.c.staff_member_id)
                .where(old.c.inspection_id.in_(batch))
                .order_by(Inspection.submitted_at, Inspection.id, old.c.id)
            ).all()

        def new_listing(batch):
            return _results_of(session, {}, batch)

        timings: dict[str, list[float]] = {"old": [], "new": []}
        listed: dict[str, list] = {}
        for _ in range(args.repeat):
            for name, listing in (("old", old_listing), ("new", new_listing)):
                session.expire_all()
                t = time.perf_counter()
                rows = [tuple(r)[:15] for batch in batches for r in listing(batch)]
                timings[name].append(time.perf_counter() - t)
                listed[name] = rows
        same = listed["old"] == listed["new"]
        old_s, new_s = statistics.median(timings["old"]), statistics.median(timings["new"])
        print(
            f"\nper-result ledger listing of {len(sample)} rounds ({len(listed['old']):,} rows, "
            f"median of {args.repeat}): old {old_s * 1000:.0f} ms, new {new_s * 1000:.0f} ms, "
            f"ratio new/old {new_s / old_s:.2f}; rows identical: {same}"
        )
        if not same:
            raise SystemExit("the two storages list different rows")
        db.session.remove()
        old.drop(db.engine)
    db.metadata.remove(old)


if __name__ == "__main__":
    main()
