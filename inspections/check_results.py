"""Check results as the ledgers and pages read them: the stored rows (every result but a pass)
and the passes derived from each submitted inspection's roster (`InspectionRoster`).

A submitted inspection lists, in this order (the order the rows had when every pass was a row):
its failures in the order they were marked, then every target of the roster in checking order
with every item version that applied to its kind — a stored row (excused, ...) where there is
one, nothing where the pair failed, a pass otherwise. An inspection without a roster (submitted
before rosters, with rows a roster cannot reproduce) lists its stored rows in id order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from .models import CheckItem, CheckItemVersion, CheckResult, InspectionRoster

# The columns of a stored row the listing reads, in this order.
STORED_COLUMNS = (
    CheckResult.id,
    CheckResult.inspection_id,
    CheckResult.window_id,
    CheckResult.staff_member_id,
    CheckResult.item_version_id,
    CheckResult.result,
    CheckResult.severity,
    CheckResult.reason,
    CheckResult.note,
)


@dataclass(frozen=True, slots=True)
class Listed:
    """One result of an inspection: stored (`result_id` set) or a derived pass."""

    window_id: int | None
    staff_member_id: int | None
    item_version_id: int
    result: str
    severity: str | None
    reason: str | None = None
    note: str | None = None
    result_id: int | None = None


def kind_of(window_id: int | None, staff_member_id: int | None) -> str:
    if staff_member_id is not None:
        return "staff"
    return "window" if window_id is not None else "area"


def target_key(window_id: int | None, staff_member_id: int | None) -> tuple:
    """Who a result is about, as a submitted round matched failures to targets: a staff member
    whatever their window, a window, or the area."""
    if staff_member_id is not None:
        return ("s", staff_member_id)
    return ("w", window_id) if window_id is not None else ("a",)


def expand(
    targets: Iterable, versions: dict, stored: list, item_of: dict, severity_of: dict
) -> Iterator[Listed]:
    """Every result of one inspection in listing order. `stored`: its `Listed` rows in id
    order; `item_of` / `severity_of`: item id and default severity of each version id."""
    leading, slotted, failed = [], {}, set()
    for row in stored:
        key = (*target_key(row.window_id, row.staff_member_id), item_of[row.item_version_id])
        if row.result == "fail":
            leading.append(row)
            failed.add(key)
        else:
            slotted.setdefault(key, []).append(row)
    yield from leading
    for window_id, staff_id in targets:
        who = target_key(window_id, staff_id)
        for version_id in versions.get(kind_of(window_id, staff_id), ()):
            key = (*who, item_of[version_id])
            rows = slotted.get(key)
            if rows:
                yield rows.pop(0)
            elif key not in failed:
                yield Listed(window_id, staff_id, version_id, "pass", severity_of[version_id])
    rest = [row for rows in slotted.values() for row in rows]
    yield from sorted(rest, key=lambda row: row.result_id)


def roster_for(
    inspection_id: int, targets: Iterable[tuple], items: Iterable[tuple], failed: set
) -> tuple[dict, list[dict]]:
    """What submitting a round stores: its `InspectionRoster` row and its excused rows (a staff
    member on approved leave is excused every item). `targets`: (window id, staff id, on leave)
    in checking order; `items`: (item id, item target, version id, severity) in checklist
    order; `failed`: the failed pairs as `(*target_key(...), item id)`. Every other pair passes
    and is no row (the roster's `pass_count` says how many)."""
    versions: dict[str, list[tuple]] = {}
    for item_id, kind, version_id, severity in items:
        versions.setdefault(kind, []).append((item_id, version_id, severity))
    rows, checked, passes = [], [], 0
    for window_id, staff_id, on_leave in targets:
        checked.append([window_id, staff_id])
        who = target_key(window_id, staff_id)
        for item_id, version_id, severity in versions.get(kind_of(window_id, staff_id), ()):
            if (*who, item_id) in failed:
                continue
            if not on_leave:
                passes += 1
                continue
            rows.append(
                {
                    "inspection_id": inspection_id,
                    "item_version_id": version_id,
                    "window_id": window_id,
                    "staff_member_id": staff_id,
                    "result": "excused",
                    "severity": severity,
                }
            )
    roster = {
        "inspection_id": inspection_id,
        "targets": checked,
        "versions": {kind: [v for _i, v, _s in entries] for kind, entries in versions.items()},
        "pass_count": passes,
    }
    return roster, rows


def version_facts(session, version_ids: Iterable[int]) -> dict[int, tuple]:
    """{version id: (item id, severity, category, text_zh, text_en, item target)}."""
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    rows = session.execute(
        sa.select(
            CheckItemVersion.id,
            CheckItemVersion.item_id,
            CheckItemVersion.severity,
            CheckItem.category,
            CheckItemVersion.text_zh,
            CheckItemVersion.text_en,
            CheckItem.target,
        )
        .join(CheckItem, CheckItem.id == CheckItemVersion.item_id)
        .where(CheckItemVersion.id.in_(ids))
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def results_of(session, inspection_ids: list[int]) -> tuple[dict[int, list[Listed]], dict]:
    """Every result of each inspection in listing order, and the facts of every version they
    name (`version_facts`). Three statements whatever the number of inspections."""
    if not inspection_ids:
        return {}, {}
    stored: dict[int, list[Listed]] = {i: [] for i in inspection_ids}
    for (
        rid,
        inspection_id,
        window_id,
        staff_id,
        version_id,
        result,
        sev,
        reason,
        note,
    ) in session.execute(
        sa.select(*STORED_COLUMNS)
        .where(CheckResult.inspection_id.in_(inspection_ids))
        .order_by(CheckResult.id)
    ):
        stored[inspection_id].append(
            Listed(window_id, staff_id, version_id, result, sev, reason, note, rid)
        )
    rosters = {
        r.inspection_id: (r.targets, r.versions)
        for r in session.execute(
            sa.select(
                InspectionRoster.inspection_id, InspectionRoster.targets, InspectionRoster.versions
            ).where(InspectionRoster.inspection_id.in_(inspection_ids))
        )
    }
    version_ids = {row.item_version_id for rows in stored.values() for row in rows}
    for _targets, versions in rosters.values():
        version_ids.update(v for ids in versions.values() for v in ids)
    facts = version_facts(session, version_ids)
    item_of = {v: f[0] for v, f in facts.items()}
    severity_of = {v: f[1] for v, f in facts.items()}
    out = {}
    for inspection_id in inspection_ids:
        roster = rosters.get(inspection_id)
        if roster is None:
            out[inspection_id] = stored[inspection_id]
        else:
            out[inspection_id] = list(
                expand(roster[0], roster[1], stored[inspection_id], item_of, severity_of)
            )
    return out, facts


def result_counts(session, inspection_id: int) -> dict[str, int]:
    """How many results of each kind an inspection has ({"pass": n, "fail": m, ...}): the
    stored rows grouped by result, plus the passes its roster stands for. Two statements."""
    counts = dict(
        session.execute(
            sa.select(CheckResult.result, sa.func.count(CheckResult.id))
            .where(CheckResult.inspection_id == inspection_id)
            .group_by(CheckResult.result)
        ).all()
    )
    derived = session.scalar(
        sa.select(InspectionRoster.pass_count).where(
            InspectionRoster.inspection_id == inspection_id
        )
    )
    if derived:
        counts["pass"] = counts.get("pass", 0) + derived
    return counts


def derived_pass_count(session, inspection_ids_stmt) -> int:
    """The passes the rosters of the inspections selected by `inspection_ids_stmt` stand for."""
    return (
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(InspectionRoster.pass_count), 0)).where(
                InspectionRoster.inspection_id.in_(inspection_ids_stmt)
            )
        )
        or 0
    )
