"""When no plan satisfies the rules: name the people, seats and rules that make it impossible."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from .model import (
    RULE_CONFLICT,
    RULE_STAFFED,
    Instance,
    Seat,
    Violation,
    _,
)
from .rules import arc_violations


def _summarise(violations: list[Violation], limit: int = 6) -> list[Violation]:
    """Distinct violations, at most `limit` of them (plus a count of the rest)."""
    seen: dict[str, Violation] = {}
    for v in violations:
        seen.setdefault(v.text(), v)
    kept = list(seen.values())
    if len(kept) > limit:
        extra = len(kept) - limit
        kept = [
            *kept[:limit],
            Violation(kept[limit].rule, _("and %(count)s more"), {"count": extra}),
        ]
    return kept


def _main_rule(reasons: list[Violation]) -> str:
    """The rule that blocks most often among `reasons` (staffing when nothing else is named)."""
    if not reasons:
        return RULE_STAFFED
    counts: dict[str, int] = defaultdict(int)
    for v in reasons:
        counts[v.rule] += 1
    return max(counts, key=lambda rule: (counts[rule], rule == reasons[0].rule))


def diagnose(inst: Instance, cost: np.ndarray, seats: list[Seat]) -> list[Violation]:
    """Name the people and seats that make a complete plan impossible, and the rules why."""
    n = len(seats)
    allowed = np.isfinite(cost)
    found: list[Violation] = []
    # A must-mover with nowhere to go.
    for i, person in enumerate(inst.people):
        if person.must_move and not allowed[i].any():
            reasons = []
            for j, seat in enumerate(seats):
                if j != i:
                    reasons.extend(arc_violations(inst, person, seat, first_only=True))
            detail = (
                _summarise(reasons)
                if reasons
                else [
                    Violation(
                        RULE_STAFFED, _("no other seat is open in this plan; mark candidates"), {}
                    )
                ]
            )
            rule = person.block[0] if person.block is not None else _main_rule(reasons)
            found.append(
                Violation(
                    rule,
                    _("%(name)s must move but cannot take any seat: %(detail)s"),
                    {"name": person.name, "detail": detail},
                )
            )
    # A seat vacated by a must-mover that nobody else can take.
    for j, seat in enumerate(seats):
        holder = inst.people[j]
        if not holder.must_move:
            continue
        if not any(allowed[i, j] for i in range(n) if i != j):
            reasons = []
            for i, person in enumerate(inst.people):
                if i != j:
                    reasons.extend(arc_violations(inst, person, seat, first_only=True))
            detail = (
                _summarise(reasons)
                if reasons
                else [Violation(RULE_STAFFED, _("nobody else is in the plan; mark candidates"), {})]
            )
            rule = _main_rule(reasons)
            found.append(
                Violation(
                    rule,
                    _("Seat %(seat)s (vacated by %(name)s) cannot be filled: %(detail)s"),
                    {
                        "seat": seat.label or inst.posts[seat.post_id].name,
                        "name": holder.name,
                        "detail": detail,
                    },
                )
            )
    if found:
        return found
    # Otherwise a group of people competes for too few seats (Hall's condition fails).
    graph = csr_matrix(allowed.astype(np.int8))
    match_of_row = maximum_bipartite_matching(graph, perm_type="column")
    unmatched = [i for i in range(n) if match_of_row[i] < 0]
    if not unmatched:  # pragma: no cover - a perfect matching exists, so the solver would not fail
        return [Violation(RULE_STAFFED, _("No plan satisfies the rules"), {})]
    row_of_col = {int(c): r for r, c in enumerate(match_of_row) if c >= 0}
    start = unmatched[0]
    rows_seen, cols_seen, stack = {start}, set(), [start]
    while stack:
        r = stack.pop()
        for c in np.nonzero(allowed[r])[0].tolist():
            if c in cols_seen:
                continue
            cols_seen.add(c)
            r2 = row_of_col.get(c)
            if r2 is not None and r2 not in rows_seen:
                rows_seen.add(r2)
                stack.append(r2)
    names = ", ".join(inst.people[r].name for r in sorted(rows_seen))
    seat_labels = ", ".join(
        seats[c].label or inst.posts[seats[c].post_id].name for c in sorted(cols_seen)
    )
    reasons = []
    for r in sorted(rows_seen):
        for c in range(n):
            if c not in cols_seen:
                reasons.extend(arc_violations(inst, inst.people[r], seats[c], first_only=True))
    return [
        Violation(
            _main_rule(reasons),
            _("%(names)s need %(count)s seats but only %(seats)s are open to them: %(detail)s"),
            {
                "names": names,
                "count": len(rows_seen),
                "seats": seat_labels or "-",
                "detail": _summarise(reasons) or [Violation(RULE_STAFFED, "-", {})],
            },
        )
    ]


def _diagnose_conflicts(inst: Instance, pairs: list[tuple[int, int]]) -> list[Violation]:
    out = []
    for i, j in pairs:
        out.append(
            Violation(
                RULE_CONFLICT,
                _(
                    "%(name)s and %(other)s have a recorded conflict: every plan puts them "
                    "in the same window or in posts that check each other"
                ),
                {"name": inst.people[i].name, "other": inst.people[j].name},
            )
        )
    return out
