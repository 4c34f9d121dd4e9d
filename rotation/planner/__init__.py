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

The package is split by concern: `model` (facts and results), `rules` (one move and the cost
matrix), `solver` (the optimum) and `diagnosis` (why there is none). Everything is re-exported
here: callers use `rotation.planner.<name>`.
"""

from __future__ import annotations

from .diagnosis import diagnose
from .model import (
    ALL_RULES,
    RULE_CONFLICT,
    RULE_COOLING_OFF,
    RULE_DATE,
    RULE_EXEMPTION,
    RULE_INACTIVE,
    RULE_INTERVAL,
    RULE_MUST_MOVE,
    RULE_ONE_POST,
    RULE_QUALIFICATION,
    RULE_SAME_POST,
    RULE_STAFFED,
    Infeasible,
    Instance,
    Move,
    Person,
    PostInfo,
    Seat,
    Solution,
    Violation,
)
from .rules import _coupled_pairs, _pair_ok, _seat_cost, arc_violations, cost_matrix, seats_clash
from .solver import chains, group_counts, solve

__all__ = [
    "ALL_RULES",
    "RULE_CONFLICT",
    "RULE_COOLING_OFF",
    "RULE_DATE",
    "RULE_EXEMPTION",
    "RULE_INACTIVE",
    "RULE_INTERVAL",
    "RULE_MUST_MOVE",
    "RULE_ONE_POST",
    "RULE_QUALIFICATION",
    "RULE_SAME_POST",
    "RULE_STAFFED",
    "Infeasible",
    "Instance",
    "Move",
    "Person",
    "PostInfo",
    "Seat",
    "Solution",
    "Violation",
    "_coupled_pairs",
    "_pair_ok",
    "_seat_cost",
    "arc_violations",
    "chains",
    "cost_matrix",
    "diagnose",
    "group_counts",
    "seats_clash",
    "solve",
]
