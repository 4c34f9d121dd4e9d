"""The planner's facts: rule names, seats, people, posts, the instance, violations and results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


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
