"""The monthly assessment's rules: scheme versions, scores, appeals, month close."""

from __future__ import annotations

from .appeals import (  # noqa: F401
    appeal_deadline,
    appeals_query,
    decide_appeal,
    file_appeal,
    get_appeal,
    may_appeal,
)
from .closing import (  # noqa: F401
    close_day,
    close_month,
    open_appeals,
    remind_close,
    reopen_month,
    snapshot_rows,
)
from .common import MONTH_CLOSE_ROLES, READ_ROLES, closed_month  # noqa: F401
from .schemes import create_scheme, current_scheme, scheme_for, scheme_values  # noqa: F401
from .scoring import MonthScores, Score, compute_month, live_scores  # noqa: F401
