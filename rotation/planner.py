"""The rotation planner: rules on facts and an optimal assignment solver. No database, no Flask.

Model. The people who may move are the must-movers (key-post holders due at the planning date)
and the candidates HR marks. Each of them holds a seat (their current assignment: post, site,
window). The seats of these people are the only places they can go: a mover takes a seat vacated
by another mover (chains and cycles among key seats), or swaps into a candidate's seat (a non-key
candidate then takes the key seat, and the mover goes to the candidate's former post: the "pool").
Every person gets exactly one seat of that set, so every key seat stays filled and nobody holds
two posts. A candidate may keep their own seat (no move, cost 0); a must-mover may not.

Cost of a move, lexicographic: a move weighs more than any number of site changes, a site change
more than any number of "not trained" marks. The problem is a min-cost perfect matching
(`scipy.optimize.linear_sum_assignment`). Recorded conflicts between two movable people couple
two assignments (they may not end in the same window or in posts that check each other); the
matching without them is a relaxation, so when its optimum breaks no conflict it is optimal, and
otherwise the exact problem is solved as a 0/1 program with `scipy.optimize.milp` (HiGHS).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy.optimize import LinearConstraint, linear_sum_assignment, milp
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching


def _(message: str) -> str:
    """Mark a message for extraction; views translate it."""
    return message


# Rule names (stable identifiers used in API answers and tests).
RULE_MUST_MOVE = "tenure"
RULE_SAME_POST = "same_post"
RULE_QUALIFICATION = "qualification"
RULE_COOLING_OFF = "cooling_off"
RULE_INTERVAL = "interval"
RULE_EXEMPTION = "exemption"
RULE_INACTIVE = "inactive"
RULE_CONFLICT = "conflict"
RULE_STAFFED = "staffed"
RULE_ONE_POST = "one_post"
RULE_DATE = "date"
ALL_RULES = (
    RULE_MUST_MOVE,
    RULE_SAME_POST,
    RULE_QUALIFICATION,
    RULE_COOLING_OFF,
    RULE_INTERVAL,
    RULE_EXEMPTION,
    RULE_INACTIVE,
    RULE_CONFLICT,
    RULE_STAFFED,
    RULE_ONE_POST,
    RULE_DATE,
)


@dataclass(frozen=True)
class Seat:
    """A place a person can hold: the current assignment of its holder at planning time."""

    id: int  # the holder's current assignment id
    holder_id: int
    post_id: int
    site_id: int
    window_id: int | None
    is_key: bool
    label: str = ""


@dataclass
class Person:
    id: int
    name: str
    seat: Seat
    must_move: bool = False
    # A rule that keeps the person where they are: (rule, msgid, params) or None.
    block: tuple[str, str, dict] | None = None
    completed: frozenset[int] = frozenset()
    # post id -> first day the person may hold that post again (cooling-off).
    cooling_until: dict[int, date] = field(default_factory=dict)
    reason: str = ""  # why they are in the problem (shown with the move)
    reason_params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PostInfo:
    id: int
    name: str
    is_key: bool
    required: frozenset[int] = frozenset()
    recommended: frozenset[int] = frozenset()


@dataclass
class Instance:
    planning_on: date
    people: list[Person]
    posts: dict[int, PostInfo]
    check_pairs: set[frozenset[int]] = field(default_factory=set)
    conflicts: dict[int, set[int]] = field(default_factory=dict)
    # Conflicted people who do not move in this plan: where they sit (window and post).
    fixed_seats: dict[int, Seat] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    course_names: dict[int, str] = field(default_factory=dict)

    def name(self, staff_id: int) -> str:
        return self.names.get(staff_id) or next(
            (p.name for p in self.people if p.id == staff_id), f"#{staff_id}"
        )


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str  # English msgid with %(name)s placeholders
    params: dict

    def text(self, translate=None) -> str:
        """The message with its parameters; a list of violations as a parameter (a detail) is
        rendered too, each translated."""
        message = translate(self.message) if translate else self.message
        if not self.params:
            return message
        params = {
            k: ("; ".join(v.text(translate) for v in value) if isinstance(value, list) else value)
            for k, value in self.params.items()
        }
        return message % params


@dataclass
class Move:
    person: Person
    seat: Seat  # the seat taken
    site_change: bool
    untrained: bool


@dataclass
class Solution:
    moves: list[Move]
    cost: float
    solver: str  # "assignment" or "milp"


@dataclass
class Infeasible:
    violations: list[Violation]


# --- rules ---------------------------------------------------------------------------------


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


def solve(inst: Instance, method: str = "auto", node_limit: int = 2000) -> Solution | Infeasible:
    """The optimal set of moves, or the rules that make every plan impossible.

    `method`: "auto" (assignment; when its optimum breaks a recorded conflict, branch and bound
    over assignments, falling back to the 0/1 program past `node_limit` nodes), "bnb" or "milp"
    (force that exact method when conflicts couple two movable people; for tests and benches).
    """
    n = len(inst.people)
    if n == 0:
        return Solution([], 0.0, "assignment")
    cost, seats, w_site, w_move = cost_matrix(inst)
    pairs = _coupled_pairs(inst)
    try:
        rows, cols = linear_sum_assignment(cost)
    except ValueError:
        return Infeasible(diagnose(inst, cost, seats))
    assignment = dict(zip(rows.tolist(), cols.tolist(), strict=True))
    broken = [
        (i, j) for i, j in pairs if not _pair_ok(inst, seats, i, j, assignment[i], assignment[j])
    ]
    solver = "assignment"
    if pairs and (broken or method != "auto"):
        result = None
        if method in ("auto", "bnb"):
            solver = "branch-and-bound"
            result = _branch_and_bound(inst, cost, seats, pairs, assignment, node_limit)
        if method == "milp" or result == "limit":
            solver = "milp"
            result = _solve_milp(inst, cost, seats, pairs)
        if result is None:
            return Infeasible(_diagnose_conflicts(inst, broken or pairs))
        assignment = result
    moves = []
    total = 0.0
    for i, person in enumerate(inst.people):
        j = assignment[i]
        total += cost[i, j]
        if j != i:
            _c, site_change, untrained = _seat_cost(inst, person, seats[j], w_site, w_move)
            moves.append(Move(person, seats[j], site_change, untrained))
    return Solution(moves, float(total), solver)


def _branch_and_bound(
    inst: Instance,
    cost: np.ndarray,
    seats: list[Seat],
    pairs: list[tuple[int, int]],
    root: dict[int, int],
    node_limit: int,
):
    """Best-first branch and bound whose bound is the assignment optimum of each node.

    A node whose assignment breaks a conflict (i on seat s, j on seat t) splits into two disjoint
    children: "i not on s" and "i on s, j not on t". The first node popped that breaks nothing
    is optimal (every open node's bound is at least its cost). Returns the assignment, None when
    no assignment satisfies the conflicts, or "limit" past `node_limit` nodes.
    """
    import heapq

    def bound(forbid: tuple, force: tuple):
        c = cost.copy()
        for r, col in forbid:
            c[r, col] = np.inf
        for r, col in force:
            keep = c[r, col]
            c[r, :] = np.inf
            c[:, col] = np.inf
            c[r, col] = keep
        try:
            rows, cols = linear_sum_assignment(c)
        except ValueError:
            return None
        total = float(c[rows, cols].sum())
        if not math.isfinite(total):
            return None
        return total, dict(zip(rows.tolist(), cols.tolist(), strict=True))

    counter = 0
    root_cost = float(sum(cost[i, j] for i, j in root.items()))
    heap = [(root_cost, counter, (), (), root)]
    nodes = 0
    while heap:
        _total, _tie, forbid, force, assignment = heapq.heappop(heap)
        violated = next(
            (
                (i, j)
                for i, j in pairs
                if not _pair_ok(inst, seats, i, j, assignment[i], assignment[j])
            ),
            None,
        )
        if violated is None:
            return assignment
        nodes += 1
        if nodes > node_limit:
            return "limit"
        i, j = violated
        si, sj = assignment[i], assignment[j]
        for child_forbid, child_force in (
            ((*forbid, (i, si)), force),
            ((*forbid, (j, sj)), (*force, (i, si))),
        ):
            result = bound(child_forbid, child_force)
            if result is not None:
                counter += 1
                heapq.heappush(heap, (result[0], counter, child_forbid, child_force, result[1]))
    return None


def _solve_milp(
    inst: Instance, cost: np.ndarray, seats: list[Seat], pairs: list[tuple[int, int]]
) -> dict[int, int] | None:
    n = len(seats)
    arc_rows, arc_cols = np.nonzero(np.isfinite(cost))
    m = len(arc_rows)
    arc_index = {
        (int(r), int(c)): k for k, (r, c) in enumerate(zip(arc_rows, arc_cols, strict=True))
    }
    c = cost[arc_rows, arc_cols]
    # Each person one seat, each seat one person.
    data = np.ones(2 * m)
    row_idx = np.concatenate([arc_rows, n + arc_cols])
    col_idx = np.concatenate([np.arange(m), np.arange(m)])
    constraints = [
        LinearConstraint(csr_matrix(coo_matrix((data, (row_idx, col_idx)), shape=(2 * n, m))), 1, 1)
    ]
    # Conflicts: for each pair (i, j) and each seat s of i, x[i,s] + sum of x[j,t] over seats t
    # clashing with s <= 1 (j takes exactly one seat, so this is the tightest linear form).
    r_list, c_list, count = [], [], 0
    for i, j in pairs:
        seats_j = [t for t in range(n) if (j, t) in arc_index]
        for s in range(n):
            k = arc_index.get((i, s))
            if k is None:
                continue
            bad = [
                arc_index[(j, t)]
                for t in seats_j
                if t != s and not _pair_ok(inst, seats, i, j, s, t)
            ]
            if not bad:
                continue
            r_list.extend([count] * (1 + len(bad)))
            c_list.extend([k, *bad])
            count += 1
    if count:
        a = csr_matrix(coo_matrix((np.ones(len(r_list)), (r_list, c_list)), shape=(count, m)))
        constraints.append(LinearConstraint(a, -np.inf, 1))
    result = milp(c, constraints=constraints, integrality=np.ones(m), bounds=(0, 1))
    if result.status != 0 or result.x is None:
        return None
    chosen = np.nonzero(result.x > 0.5)[0]
    return {int(arc_rows[k]): int(arc_cols[k]) for k in chosen}


# --- diagnosis -----------------------------------------------------------------------------


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


def brute_force(inst: Instance) -> float | None:
    """Reference optimum by enumerating every permutation (tests only; n <= 8)."""
    import itertools

    # Built from arc_violations (the slow, explained rule path), independent of cost_matrix.
    seats = [p.seat for p in inst.people]
    n = len(seats)
    w_site, w_move = float(n + 1), float((n + 1) * (n + 1))
    cost = np.full((n, n), np.inf)
    for i, person in enumerate(inst.people):
        for j, seat in enumerate(seats):
            if not arc_violations(inst, person, seat):
                cost[i, j] = _seat_cost(inst, person, seat, w_site, w_move)[0]
    pairs = _coupled_pairs(inst)
    best = math.inf
    for perm in itertools.permutations(range(n)):
        total = 0.0
        for i, j in enumerate(perm):
            total += cost[i, j]
            if total >= best:
                break
        if total >= best or not math.isfinite(total):
            continue
        if all(_pair_ok(inst, seats, i, j, perm[i], perm[j]) for i, j in pairs):
            best = total
    return None if math.isinf(best) else best


def chains(moves: list[Move]) -> list[list[Move]]:
    """Group moves into cycles and chains (who takes whose seat), for display."""
    by_holder = {m.seat.holder_id: m for m in moves}
    by_person = {m.person.id: m for m in moves}
    done: set[int] = set()
    groups = []
    for m in moves:
        if m.person.id in done:
            continue
        # Walk back to the start of a chain (or around a cycle).
        start = m
        seen = {start.person.id}
        while start.person.id in by_holder and by_holder[start.person.id].person.id not in seen:
            start = by_holder[start.person.id]
            seen.add(start.person.id)
        group = []
        cur = start
        while cur is not None and cur.person.id not in done:
            group.append(cur)
            done.add(cur.person.id)
            cur = by_person.get(cur.seat.holder_id)
        groups.append(group)
    return groups


def group_counts(violations: list[Violation]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for v in violations:
        counts[v.rule] += 1
    return dict(counts)
