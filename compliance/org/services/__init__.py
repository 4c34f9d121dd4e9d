"""Organisation rules: sites, windows, posts, staff members, assignments, leave and conflicts.

Plain functions taking `(session, actor, ...)`; they flush and never commit, and every write is
audited in the caller's transaction. A refused change raises `DomainError` (`ConflictError` when it
clashes with existing records) whose message is an English msgid, translated where it is shown.
Split by concern: `structure` (sites, windows, posts), `people` (staff, assignments), `absence`
(leave, conflicts, who is on duty).
"""

from .absence import create_conflict, create_leave, on_duty, update_conflict, update_leave
from .common import CODE_RE, CONFLICT_KINDS, PHONE_RE, SITE_RANK
from .people import (
    assign,
    create_staff,
    current_assignment,
    end_assignment,
    staff_by_no,
    update_assignment,
    update_staff,
)
from .structure import (
    create_post,
    create_site,
    create_window,
    update_post,
    update_site,
    update_window,
)

__all__ = [
    "CODE_RE",
    "CONFLICT_KINDS",
    "PHONE_RE",
    "SITE_RANK",
    "assign",
    "create_conflict",
    "create_leave",
    "create_post",
    "create_site",
    "create_staff",
    "create_window",
    "current_assignment",
    "end_assignment",
    "on_duty",
    "staff_by_no",
    "update_assignment",
    "update_conflict",
    "update_leave",
    "update_post",
    "update_site",
    "update_staff",
    "update_window",
]
