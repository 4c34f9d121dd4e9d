"""Applying a stored plan in batches: bulk inserts and updates through SQLAlchemy Core, one audit
event per batch naming its rows (ids and changed fields).

The plan was computed by `planning.build_plan` with the same rules as the single-record services
(`create_staff`, `update_staff`, `assign`, `update_assignment`, `end_assignment`): unique staff
numbers, known sites/posts/windows in the uploader's scope, valid phone and status, no overlapping
assignments, one current assignment, the home site following the current assignment, "left" ending
the current assignment. The caller has checked that the data is unchanged since (state digest),
so here the plan is executed as it stands; the database's unique indexes still guard against a
writer that slipped in between (an IntegrityError, turned into a conflict by the caller).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...audit import record
from ...db import utcnow
from ...models import Assignment, StaffMember, User
from .planning import IMPORT_NOTE

BATCH = 500

STAFF = StaffMember.__table__
ASSIGNMENT = Assignment.__table__


@dataclass
class Applied:
    created: int = 0
    changed: int = 0
    batches: int = 0


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _create_batch(session: Session, actor: User | None, import_id: int, batch: list[dict]) -> None:
    now = utcnow()
    inserted = session.execute(
        sa.insert(STAFF).returning(STAFF.c.id, STAFF.c.staff_no),
        [
            {
                "staff_no": c["staff_no"],
                "name": c["name"],
                "phone": c["phone"],
                "hired_on": _day(c["hired_on"]),
                "status": c["status"],
                "site_id": c["site_id"],
                "created_at": now,
            }
            for c in batch
        ],
    ).all()
    ids = {no: sid for sid, no in inserted}
    new_assignments = [
        {
            "staff_member_id": ids[c["staff_no"]],
            "post_id": c["assignment"]["post_id"],
            "site_id": c["assignment"]["site_id"],
            "window_id": c["assignment"]["window_id"],
            "started_on": _day(c["assignment"]["started_on"]),
            "ended_on": None,
            "note": IMPORT_NOTE,
            "created_at": now,
        }
        for c in batch
        if c["assignment"] is not None
    ]
    assignment_ids: list[int] = []
    if new_assignments:
        assignment_ids = list(
            session.scalars(sa.insert(ASSIGNMENT).returning(ASSIGNMENT.c.id), new_assignments)
        )
    record(
        session,
        actor,
        "roster.create_batch",
        entity_type="RosterImport",
        entity_id=import_id,
        after={
            "rows": len(batch),
            "staff": [[ids[c["staff_no"]], c["staff_no"], c["name"]] for c in batch],
            "assignments": sorted(assignment_ids),
        },
    )


def _change_batch(session: Session, actor: User | None, import_id: int, batch: list[dict]) -> None:
    now = utcnow()
    # Staff fields: one UPDATE ... executemany per set of changed columns.
    by_columns: dict[tuple[str, ...], list[dict]] = {}
    for c in batch:
        if c["set"]:
            values = {k: _day(v) if k == "hired_on" else v for k, v in c["set"].items()}
            by_columns.setdefault(tuple(sorted(values)), []).append(
                {"_id": c["staff_id"], **{f"v_{k}": v for k, v in values.items()}}
            )
    for columns, params in by_columns.items():
        session.execute(
            sa.update(STAFF)
            .where(STAFF.c.id == sa.bindparam("_id"))
            .values({k: sa.bindparam(f"v_{k}") for k in columns}),
            params,
        )
    ends = [{"_id": c["end"][0], "_ended": _day(c["end"][1])} for c in batch if c["end"]]
    if ends:
        session.execute(
            sa.update(ASSIGNMENT)
            .where(ASSIGNMENT.c.id == sa.bindparam("_id"))
            .values(ended_on=sa.bindparam("_ended")),
            ends,
        )
    moves = [
        {"_id": u[0], "_post": u[1], "_site": u[2], "_window": u[3]}
        for u in (c["update"] for c in batch)
        if u
    ]
    if moves:
        session.execute(
            sa.update(ASSIGNMENT)
            .where(ASSIGNMENT.c.id == sa.bindparam("_id"))
            .values(
                post_id=sa.bindparam("_post"),
                site_id=sa.bindparam("_site"),
                window_id=sa.bindparam("_window"),
            ),
            moves,
        )
    starts = [
        {
            "staff_member_id": c["staff_id"],
            "post_id": c["new"]["post_id"],
            "site_id": c["new"]["site_id"],
            "window_id": c["new"]["window_id"],
            "started_on": _day(c["new"]["started_on"]),
            "ended_on": None,
            "note": IMPORT_NOTE,
            "created_at": now,
        }
        for c in batch
        if c["new"]
    ]
    started: list[int] = []
    if starts:
        started = list(session.scalars(sa.insert(ASSIGNMENT).returning(ASSIGNMENT.c.id), starts))
    record(
        session,
        actor,
        "roster.update_batch",
        entity_type="RosterImport",
        entity_id=import_id,
        after={
            "rows": len(batch),
            "staff": [
                {"id": c["staff_id"], "staff_no": c["staff_no"], "changed": c["fields"]}
                for c in batch
            ],
            "assignments": {
                "ended": [e["_id"] for e in ends],
                "moved": [m["_id"] for m in moves],
                "started": sorted(started),
            },
        },
    )


def apply_plan(
    session: Session,
    actor: User | None,
    import_id: int,
    plan: dict,
    progress: Callable[[int], None] | None = None,
) -> Applied:
    """Write a plan's creations and changes in batches of `BATCH` rows; `progress(done)` is
    called after each batch. Flushes pending ORM changes first and expires the session's objects
    afterwards (the rows changed under them)."""
    session.flush()
    applied = Applied()
    done = 0
    for start in range(0, len(plan["create"]), BATCH):
        batch = plan["create"][start : start + BATCH]
        _create_batch(session, actor, import_id, batch)
        applied.created += len(batch)
        applied.batches += 1
        done += len(batch)
        if progress:
            progress(done)
    for start in range(0, len(plan["change"]), BATCH):
        batch = plan["change"][start : start + BATCH]
        _change_batch(session, actor, import_id, batch)
        applied.changed += len(batch)
        applied.batches += 1
        done += len(batch)
        if progress:
            progress(done)
    session.expire_all()
    return applied
