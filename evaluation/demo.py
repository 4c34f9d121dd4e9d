"""Demo data: the assessment scheme from a year back, and the month before last closed (its
close day has always passed), so the ranking, the ledger and the dashboard panel have data."""

from __future__ import annotations

from datetime import timedelta

from compliance.periods import month_start

from .services import close_month, create_scheme


def load_demo(app, session, demo) -> dict:
    today = demo["today"]
    admin = demo["users"]["admin"]
    start = month_start(month_start(today) - timedelta(days=330))
    create_scheme(session, admin, start, {}, note="演示：百分制考评办法")
    before_last = month_start(
        month_start(month_start(today) - timedelta(days=1)) - timedelta(days=1)
    )
    close = close_month(session, admin, before_last, today=today)
    return {"assessment_closed_staff": close.staff_count}
