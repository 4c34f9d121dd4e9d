"""Domain rules of the rectification loop, by concern:

- `calendar`: working days, holidays and adjusted working days, deadlines;
- `responsibility`: who is responsible and who supervises (keepers, assignees), their users;
- `permissions`: who may see a rectification, respond, verify (never one's own response);
- `workflow`: open, respond, verify, reject, fix on the spot, comment, reassign;
- `ladder`: repeat offences and the staff flagged for a formal talk;
- `escalation`: the daily reminders, overdue notices and escalation;
- `queries`: list filters, counts, the verification queue.

Plain functions over a session: they flush and never commit (the page, API, job or test that
calls them owns the transaction) and raise `compliance.domain.DomainError` kinds with codes
"rectification.*". Everything is importable from here, as before the split.
"""

from __future__ import annotations

from .calendar import (
    DEADLINE_KEY,
    add_working_days,
    calendar_overrides,
    deadline_days,
    deadline_for,
    is_working_day,
    remove_holiday,
    save_holiday,
)
from .common import notify_people, rect_link
from .escalation import ESCALATE_KEY, escalate
from .ladder import (
    THRESHOLDS_KEY,
    WINDOW_KEY,
    FlaggedRow,
    apply_ladder,
    flagged_count,
    flagged_preview,
    flagged_staff,
    ladder_thresholds,
    level_for,
    offence_counts,
)
from .permissions import (
    SUPERVISING_ROLES,
    VERIFYING_ROLES,
    can_view,
    respond_refusal,
    verify_refusal,
)
from .queries import (
    Filters,
    counts_for,
    filtered_query,
    severity_choices,
    verification_queue,
    with_people,
)
from .responsibility import (
    responsible_for,
    set_area_keeper,
    set_window_keeper,
    users_for_staff,
    users_with_role_for_site,
    window_assignee_id,
    window_assignees,
)
from .steps import MAX_TEXT, changed
from .workflow import (
    add_comment,
    fix_finding_on_spot,
    fix_on_spot,
    open_for_complaint,
    open_for_finding,
    reassign,
    reject,
    respond,
    verify,
)

__all__ = [
    "DEADLINE_KEY",
    "ESCALATE_KEY",
    "MAX_TEXT",
    "SUPERVISING_ROLES",
    "THRESHOLDS_KEY",
    "VERIFYING_ROLES",
    "WINDOW_KEY",
    "Filters",
    "FlaggedRow",
    "add_comment",
    "add_working_days",
    "apply_ladder",
    "calendar_overrides",
    "can_view",
    "changed",
    "counts_for",
    "deadline_days",
    "deadline_for",
    "escalate",
    "filtered_query",
    "fix_finding_on_spot",
    "fix_on_spot",
    "flagged_count",
    "flagged_preview",
    "flagged_staff",
    "is_working_day",
    "ladder_thresholds",
    "level_for",
    "notify_people",
    "offence_counts",
    "open_for_complaint",
    "open_for_finding",
    "reassign",
    "rect_link",
    "reject",
    "remove_holiday",
    "respond",
    "respond_refusal",
    "responsible_for",
    "save_holiday",
    "set_area_keeper",
    "set_window_keeper",
    "severity_choices",
    "users_for_staff",
    "users_with_role_for_site",
    "verification_queue",
    "verify",
    "verify_refusal",
    "window_assignee_id",
    "window_assignees",
    "with_people",
]
