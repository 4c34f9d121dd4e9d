"""The hard rules on one move (who may take which seat, and why not) and the cost matrix of the
assignment problem built from them."""

from __future__ import annotations

import numpy as np

from .model import (
    RULE_CONFLICT,
    RULE_COOLING_OFF,
    RULE_MUST_MOVE,
    RULE_QUALIFICATION,
    RULE_SAME_POST,
    Instance,
    Person,
    Seat,
    Violation,
    _,
)


def seats_clash(inst: Instance, a: Seat, b: Seat) -> bool:
    """Two seats that conflicted people may not hold together: same window or checking posts."""
    if a.window_id is not None and a.window_id == b.window_id:
        return True
    return frozenset((a.post_id, b.post_id)) in inst.check_pairs


def arc_violations(
    inst: Instance, person: Person, seat: Seat, first_only: bool = False
) -> list[Violation]:
    """Why `person` may not take `seat` (empty when allowed). Staying put is always allowed
    except for a must-mover. Couplings between two movable people are not checked here."""
    out: list[Violation] = []
    if seat.id == person.seat.id:
        if person.must_move:
            out.append(
                Violation(RULE_MUST_MOVE, _("%(name)s must leave the post"), {"name": person.name})
            )
        return out
    if person.block is not None:
        rule, message, params = person.block
        out.append(Violation(rule, message, params))
        return out
    post = inst.posts[seat.post_id]
    if seat.post_id == person.seat.post_id:
        out.append(
            Violation(
                RULE_SAME_POST,
                _("%(name)s already holds post %(post)s"),
                {"name": person.name, "post": post.name},
            )
        )
        if first_only:
            return out
    if post.is_key:
        missing = post.required - person.completed
        if missing:
            courses = ", ".join(sorted(inst.course_names.get(c, f"#{c}") for c in missing))
            out.append(
                Violation(
                    RULE_QUALIFICATION,
                    _("%(name)s is not qualified for post %(post)s (course %(courses)s)"),
                    {"name": person.name, "post": post.name, "courses": courses},
                )
            )
            if first_only:
                return out
        until = person.cooling_until.get(seat.post_id)
        if until is not None and until > inst.planning_on:
            out.append(
                Violation(
                    RULE_COOLING_OFF,
                    _("%(name)s held post %(post)s: cooling-off until %(until)s"),
                    {"name": person.name, "post": post.name, "until": until.isoformat()},
                )
            )
            if first_only:
                return out
    for other_id in inst.conflicts.get(person.id, ()):
        other = inst.fixed_seats.get(other_id)
        if other is not None and seats_clash(inst, seat, other):
            out.append(
                Violation(
                    RULE_CONFLICT,
                    _("%(name)s has a recorded conflict with %(other)s, who holds %(where)s"),
                    {
                        "name": person.name,
                        "other": inst.name(other_id),
                        "where": other.label or inst.posts[other.post_id].name,
                    },
                )
            )
            if first_only:
                return out
    return out


def _seat_cost(
    inst: Instance, person: Person, seat: Seat, w_site: float, w_move: float
) -> tuple[float, bool, bool]:
    if seat.id == person.seat.id:
        return 0.0, False, False
    post = inst.posts[seat.post_id]
    site_change = seat.site_id != person.seat.site_id
    untrained = post.is_key and bool(post.recommended - person.completed)
    return (
        w_move + (w_site if site_change else 0.0) + (1.0 if untrained else 0.0),
        site_change,
        untrained,
    )


def cost_matrix(inst: Instance) -> tuple[np.ndarray, list[Seat], float, float]:
    """Rows = people, columns = their seats; forbidden arcs are +inf. The vectorised twin of
    `arc_violations` + `_seat_cost` (the brute-force tests check that they agree)."""
    people = inst.people
    seats = [p.seat for p in people]
    n = len(people)
    w_site = float(n + 1)
    w_move = float((n + 1) * (n + 1))
    cost = np.full((n, n), np.inf)
    post_ids = sorted({s.post_id for s in seats})
    post_index = {pid: k for k, pid in enumerate(post_ids)}
    seat_post = np.array([post_index[s.post_id] for s in seats], dtype=np.int64)
    seat_site = np.array([s.site_id for s in seats], dtype=np.int64)
    required_posts = [
        pid for pid in post_ids if inst.posts[pid].is_key and inst.posts[pid].required
    ]
    recommended_posts = [
        pid for pid in post_ids if inst.posts[pid].is_key and inst.posts[pid].recommended
    ]
    for i, person in enumerate(people):
        if not person.must_move:
            cost[i, i] = 0.0
        if person.block is not None:
            continue
        bad_posts = {person.seat.post_id}
        bad_posts.update(
            pid for pid in required_posts if not inst.posts[pid].required <= person.completed
        )
        bad_posts.update(
            pid
            for pid, until in person.cooling_until.items()
            if until > inst.planning_on and pid in inst.posts and inst.posts[pid].is_key
        )
        bad = np.zeros(len(post_ids), dtype=bool)
        bad[[post_index[pid] for pid in bad_posts if pid in post_index]] = True
        allowed = ~bad[seat_post]
        allowed[i] = False
        fixed_others = [
            inst.fixed_seats[o] for o in inst.conflicts.get(person.id, ()) if o in inst.fixed_seats
        ]
        if fixed_others:
            for j in np.nonzero(allowed)[0].tolist():
                if any(seats_clash(inst, seats[j], o) for o in fixed_others):
                    allowed[j] = False
        row = np.full(n, w_move)
        row += np.where(seat_site != person.seat.site_id, w_site, 0.0)
        untrained = [
            pid for pid in recommended_posts if not inst.posts[pid].recommended <= person.completed
        ]
        if untrained:
            mark = np.zeros(len(post_ids))
            mark[[post_index[pid] for pid in untrained]] = 1.0
            row += mark[seat_post]
        cost[i, allowed] = row[allowed]
    return cost, seats, w_site, w_move


def _coupled_pairs(inst: Instance) -> list[tuple[int, int]]:
    index = {p.id: i for i, p in enumerate(inst.people)}
    pairs = []
    for p in inst.people:
        for other in inst.conflicts.get(p.id, ()):
            j = index.get(other)
            if j is not None and index[p.id] < j:
                pairs.append((index[p.id], j))
    return pairs


def _pair_ok(inst: Instance, seats: list[Seat], i: int, j: int, si: int, sj: int) -> bool:
    """Conflicted movable people i and j on seats si and sj: fine if neither moved."""
    if si == i and sj == j:
        return True
    return not seats_clash(inst, seats[si], seats[sj])
