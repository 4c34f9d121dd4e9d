"""The optimal set of moves: a min-cost perfect matching, made exact for recorded conflicts by
branch and bound (or a 0/1 program); and grouping the moves into chains for display."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict

import numpy as np
from scipy.optimize import LinearConstraint, linear_sum_assignment, milp
from scipy.sparse import coo_matrix, csr_matrix

from .diagnosis import _diagnose_conflicts, diagnose
from .model import (
    Infeasible,
    Instance,
    Move,
    Seat,
    Solution,
    Violation,
)
from .rules import _coupled_pairs, _pair_ok, _seat_cost, cost_matrix


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
