"""The reference optimum of a planner instance by enumerating every permutation (tests only;
n <= 8). Built from `arc_violations` (the slow, explained rule path), independent of
`cost_matrix`, so it checks the solver rather than repeating it."""

from __future__ import annotations

import itertools
import math

import numpy as np

from rotation.planner import Instance, _coupled_pairs, _pair_ok, _seat_cost, arc_violations


def brute_force(inst: Instance) -> float | None:
    """Reference optimum: the least total cost over every assignment of seats to people."""
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
