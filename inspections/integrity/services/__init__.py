"""Domain rules of integrity cases (问题线索), by concern:

- `access`: who may see a case and act on it (discipline officers and administrators in scope,
  never the accused; 404 for everyone else), and the accused's conclusion notice;
- `intake`: registering a case from an integrity finding or an upheld integrity complaint, and
  telling the site's discipline officers at once;
- `workflow`: assign, record the verification (notes, interviews, evidence), propose and approve
  a conclusion, record the measure, tell the accused, close;
- `escalation`: the daily reminders, overdue notices and escalation;
- `queries`: list filters, counts, and the concluded cases the assessment reads.

Plain functions over a session: they flush and never commit, and raise
`compliance.domain.DomainError` kinds with codes "integrity.*". Every notification they send has
a kind starting with "integrity." and stays in the app's inbox (never a group channel).
"""

from __future__ import annotations

from .access import (
    CASE_ROLES,
    approval_refusal,
    can_read_notice,
    can_view_case,
    can_work,
    require_view,
    require_work,
)
from .escalation import ESCALATE_KEY, escalate
from .intake import officer_choices, open_for_complaint, open_for_finding
from .queries import (
    CaseFilters,
    Conclusion,
    conclusions_between,
    counts_for,
    filtered_query,
    visible_clause,
    with_people,
)
from .steps import MAX_TEXT, NOTICE_PREFIX, case_link
from .workflow import (
    DEADLINE_KEY,
    add_entry,
    approve_conclusion,
    assign,
    close,
    default_working_days,
    notify_accused,
    propose_conclusion,
    record_handling,
    record_verification,
    return_conclusion,
)

__all__ = [
    "CASE_ROLES",
    "DEADLINE_KEY",
    "ESCALATE_KEY",
    "MAX_TEXT",
    "NOTICE_PREFIX",
    "CaseFilters",
    "Conclusion",
    "add_entry",
    "approval_refusal",
    "approve_conclusion",
    "assign",
    "can_read_notice",
    "can_view_case",
    "can_work",
    "case_link",
    "close",
    "conclusions_between",
    "counts_for",
    "default_working_days",
    "escalate",
    "filtered_query",
    "notify_accused",
    "officer_choices",
    "open_for_complaint",
    "open_for_finding",
    "propose_conclusion",
    "record_handling",
    "record_verification",
    "require_view",
    "require_work",
    "return_conclusion",
    "visible_clause",
    "with_people",
]
