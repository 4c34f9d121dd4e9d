"""Domain rules of complaints and commendations, by concern:

- `access`: who reads and acts on conduct records (integrity complaints: discipline officers and
  administrators only);
- `intake`: recording a complaint about a staff member, a window or a site, or a commendation;
- `verification`: who verifies by when, what was found, the conclusion (upheld opens a
  rectification or an integrity case);
- `callback`: the callback to the citizen (回访) and closing;
- `reminders`: the daily reminders and overdue notices of verification;
- `categories`: the complaint categories (mapped to check items, integrity or not);
- `counts`: complaints and patrol findings of the same check item counted together;
- `rating_file` (reading the file), `rating_plan` (what each row becomes), `importer` (upload,
  preview, apply): the 好差评 import.

Plain functions over a session: they flush and never commit, and raise DomainError kinds with
codes "conduct.*" / "complaints.*".
"""

from __future__ import annotations

from .access import (
    CALLBACK_ROLES,
    DECIDE_ROLES,
    INTEGRITY_ROLES,
    READ_ROLES,
    RECORD_ROLES,
    can_view,
    require_view,
    visible_clause,
)
from .callback import close_complaint, close_refusal, record_callback
from .categories import (
    active_categories,
    create_category,
    load_standard_categories,
    update_category,
)
from .common import (
    CALLBACK_ATTEMPTS_KEY,
    VERIFY_DAYS_KEY,
    callback_attempts,
    complaint_link,
    verify_days,
)
from .counts import COUNT_ROLES, ItemCount, item_counts
from .intake import handler_choices, record_conduct
from .reminders import remind
from .verification import assign_handler, conclude, decide_complaint, save_verification

__all__ = [
    "CALLBACK_ATTEMPTS_KEY",
    "CALLBACK_ROLES",
    "COUNT_ROLES",
    "DECIDE_ROLES",
    "INTEGRITY_ROLES",
    "READ_ROLES",
    "RECORD_ROLES",
    "VERIFY_DAYS_KEY",
    "ItemCount",
    "active_categories",
    "assign_handler",
    "callback_attempts",
    "can_view",
    "close_complaint",
    "close_refusal",
    "complaint_link",
    "conclude",
    "create_category",
    "decide_complaint",
    "handler_choices",
    "item_counts",
    "load_standard_categories",
    "record_callback",
    "record_conduct",
    "remind",
    "require_view",
    "save_verification",
    "update_category",
    "verify_days",
    "visible_clause",
]
