"""Check results stored as exceptions: a submitted inspection keeps a roster (the targets it
checked, in order, and the item versions that applied to each kind of target) and rows only for
results that are not passes; its passes are derived from the roster when listed.

Upgrade: for each submitted inspection with pass rows, the roster is rebuilt from its rows and
the listing it gives (failures in id order, then each target with each applicable version: the
stored row, nothing where the pair failed, a pass otherwise) is compared with the rows in id
order. Only when they are identical (same targets, versions, results, severities, texts, and no
pass carries a reason, note, photo or finding) is the roster written and the pass rows deleted;
any other inspection keeps its rows as they are (and is listed from them, in id order).

Downgrade: the pass rows are written back from each roster, in listing order (the other stored
rows but failures are written again after them in that order, so that listing by id gives the
same order as before), and the roster table is dropped.

Revision ID: d1612726648e
Revises: cfbdda0fc37f
"""

from __future__ import annotations

import heapq

import sqlalchemy as sa
from alembic import op

revision = "d1612726648e"
down_revision = "cfbdda0fc37f"
branch_labels = None
depends_on = None

BATCH = 100

check_result = sa.table(
    "check_result",
    sa.column("id", sa.Integer),
    sa.column("inspection_id", sa.Integer),
    sa.column("item_version_id", sa.Integer),
    sa.column("window_id", sa.Integer),
    sa.column("staff_member_id", sa.Integer),
    sa.column("result", sa.String),
    sa.column("severity", sa.String),
    sa.column("reason", sa.String),
    sa.column("note", sa.Text),
    sa.column("photo_sha256", sa.JSON(none_as_null=True)),
    sa.column("recorded_by_id", sa.Integer),
)
roster_table = sa.table(
    "inspection_roster",
    sa.column("inspection_id", sa.Integer),
    sa.column("targets", sa.JSON),
    sa.column("versions", sa.JSON),
    sa.column("pass_count", sa.Integer),
)
inspection = sa.table("inspection", sa.column("id", sa.Integer), sa.column("status", sa.String))
version_table = sa.table(
    "check_item_version",
    sa.column("id", sa.Integer),
    sa.column("item_id", sa.Integer),
    sa.column("severity", sa.String),
)
photo = sa.table("photo", sa.column("check_result_id", sa.Integer))
finding = sa.table("finding", sa.column("check_result_id", sa.Integer))
ROW_COLUMNS = [c.name for c in check_result.c if c.name != "id"]


def _kind(window_id, staff_id) -> str:
    if staff_id is not None:
        return "staff"
    return "window" if window_id is not None else "area"


def _who(window_id, staff_id) -> tuple:
    if staff_id is not None:
        return ("s", staff_id)
    return ("w", window_id) if window_id is not None else ("a",)


def _expand(targets, versions, stored, item_of):
    """The listing of one inspection (a copy of `inspections.check_results.expand` as of this
    revision): stored rows (dicts) as they are, derived passes as (window, staff, version)."""
    leading, slotted, failed = [], {}, set()
    for row in stored:
        key = (*_who(row["window_id"], row["staff_member_id"]), item_of[row["item_version_id"]])
        if row["result"] == "fail":
            leading.append(row)
            failed.add(key)
        else:
            slotted.setdefault(key, []).append(row)
    yield from leading
    for window_id, staff_id in targets:
        who = _who(window_id, staff_id)
        for version_id in versions.get(_kind(window_id, staff_id), ()):
            key = (*who, item_of[version_id])
            rows = slotted.get(key)
            if rows:
                yield rows.pop(0)
            elif key not in failed:
                yield (window_id, staff_id, version_id)
    yield from sorted((r for rows in slotted.values() for r in rows), key=lambda r: r["id"])


def _merged_order(sequences) -> list:
    """One order of versions consistent with each target's own order: every version after
    those it follows in some target (ties in order of first appearance)."""
    first: dict = {}
    after: dict = {}
    waiting: dict = {}
    for seq in sequences:
        for version_id in seq:
            if version_id not in first:
                first[version_id] = len(first)
                after[version_id], waiting[version_id] = set(), 0
        for a, b in zip(seq, seq[1:], strict=False):
            if b not in after[a]:
                after[a].add(b)
                waiting[b] += 1
    ready = [(first[v], v) for v, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _rank, version_id = heapq.heappop(ready)
        order.append(version_id)
        for nxt in after[version_id]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(ready, (first[nxt], nxt))
    # A cycle (targets disagreeing on the order): the rest by first appearance; the check of the
    # listing against the rows then keeps this inspection's rows.
    order += sorted((v for v in first if v not in set(order)), key=first.get)
    return order


def _roster_of(rows, facts, referenced):
    """(targets, versions, pass count) reproducing `rows` (one inspection, id order) exactly,
    or None when no roster can."""
    targets, per_target = [], {}
    for row in rows:
        if row["result"] == "fail":
            continue
        if row["result"] == "pass" and (
            row["id"] in referenced
            or row["severity"] != facts[row["item_version_id"]][1]
            or any(row[k] is not None for k in ("reason", "note", "photo_sha256"))
            or row["recorded_by_id"] is not None
        ):
            return None
        target = (row["window_id"], row["staff_member_id"])
        if target not in per_target:
            targets.append(target)
            per_target[target] = []
        per_target[target].append(row["item_version_id"])
    by_kind: dict[str, list] = {}
    for target in targets:
        by_kind.setdefault(_kind(*target), []).append(per_target[target])
    versions = {kind: _merged_order(seqs) for kind, seqs in by_kind.items()}
    item_of = {v: f[0] for v, f in facts.items()}
    kept = [row for row in rows if row["result"] != "pass"]
    listed = list(_expand(targets, versions, kept, item_of))
    if len(listed) != len(rows):
        return None
    for got, row in zip(listed, rows, strict=True):
        if isinstance(got, dict):
            if got["id"] != row["id"]:
                return None
        elif row["result"] != "pass" or got != (
            row["window_id"],
            row["staff_member_id"],
            row["item_version_id"],
        ):
            return None
    passes = sum(1 for row in rows if row["result"] == "pass")
    return [list(t) for t in targets], versions, passes


def _facts(conn) -> dict:
    return {
        vid: (item_id, severity)
        for vid, item_id, severity in conn.execute(
            sa.select(version_table.c.id, version_table.c.item_id, version_table.c.severity)
        )
    }


def _rows_of(conn, inspection_ids) -> dict:
    rows: dict[int, list] = {i: [] for i in inspection_ids}
    names = [c.name for c in check_result.c]
    for row in conn.execute(
        sa.select(check_result)
        .where(check_result.c.inspection_id.in_(inspection_ids))
        .order_by(check_result.c.id)
    ).fetchall():
        record = dict(zip(names, row, strict=True))
        rows[record["inspection_id"]].append(record)
    return rows


def _build_rosters(conn) -> None:
    facts = _facts(conn)
    candidates = (
        sa.select(check_result.c.inspection_id)
        .join(inspection, inspection.c.id == check_result.c.inspection_id)
        .where(inspection.c.status == "submitted", check_result.c.result == "pass")
        .distinct()
        .order_by(check_result.c.inspection_id)
    )
    ids = list(conn.scalars(candidates))
    # Rows a photo or a finding points to (failures, as a rule) are never derived passes.
    referenced = set()
    for table in (photo, finding):
        referenced.update(
            conn.scalars(
                sa.select(table.c.check_result_id).where(table.c.check_result_id.is_not(None))
            )
        )
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        rows = _rows_of(conn, batch)
        rosters, done = [], []
        for inspection_id in batch:
            built = _roster_of(rows[inspection_id], facts, referenced)
            if built is None:
                continue
            targets, versions, passes = built
            rosters.append(
                {
                    "inspection_id": inspection_id,
                    "targets": targets,
                    "versions": versions,
                    "pass_count": passes,
                }
            )
            done.append(inspection_id)
        if rosters:
            conn.execute(sa.insert(roster_table), rosters)
            conn.execute(
                sa.delete(check_result).where(
                    check_result.c.inspection_id.in_(done), check_result.c.result == "pass"
                )
            )


def upgrade() -> None:
    op.create_table(
        "inspection_roster",
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("pass_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_inspection_roster_inspection_id_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("inspection_id", name=op.f("pk_inspection_roster")),
    )
    _build_rosters(op.get_bind())


def _restore_pass_rows(conn) -> None:
    facts = _facts(conn)
    item_of = {v: f[0] for v, f in facts.items()}
    ids = list(
        conn.scalars(sa.select(roster_table.c.inspection_id).order_by(roster_table.c.inspection_id))
    )
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        rosters = {
            r.inspection_id: r
            for r in conn.execute(
                sa.select(roster_table).where(roster_table.c.inspection_id.in_(batch))
            )
        }
        rows = _rows_of(conn, batch)
        inserts, rewritten = [], []
        for inspection_id in batch:
            roster = rosters[inspection_id]
            for got in _expand(roster.targets, roster.versions, rows[inspection_id], item_of):
                if isinstance(got, dict):
                    if got["result"] != "fail":
                        rewritten.append(got["id"])
                        inserts.append({k: got[k] for k in ROW_COLUMNS})
                    continue
                window_id, staff_id, version_id = got
                inserts.append(
                    {
                        "inspection_id": inspection_id,
                        "item_version_id": version_id,
                        "window_id": window_id,
                        "staff_member_id": staff_id,
                        "result": "pass",
                        "severity": facts[version_id][1],
                        "reason": None,
                        "note": None,
                        "photo_sha256": None,
                        "recorded_by_id": None,
                    }
                )
        for chunk in range(0, len(rewritten), 5000):
            conn.execute(
                sa.delete(check_result).where(
                    check_result.c.id.in_(rewritten[chunk : chunk + 5000])
                )
            )
        for chunk in range(0, len(inserts), 5000):
            conn.execute(sa.insert(check_result), inserts[chunk : chunk + 5000])


def downgrade() -> None:
    _restore_pass_rows(op.get_bind())
    op.drop_table("inspection_roster")
