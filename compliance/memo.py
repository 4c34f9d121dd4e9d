"""Aggregates over history, computed once per process until the data changes.

The dashboard's year-to-date figures, its twelve-month charts, the year in review and the month's
live assessment count every finding, round and rectification of their period: tens of
milliseconds each at district scale, the same answer on every view until somebody changes
something. Every write to a supervised record appends an audit event in the same transaction
(`compliance.audit.record`), so the id of the newest audit event is a version number of
everything these figures count. `remember(key, compute)` keeps the value computed for `key`
together with that head and returns it again while the head is unchanged; the first read after
any audited write computes afresh. So a figure is never older than the data it counts — the
reader who just decided an appeal sees the new score at once.

Entries also expire after `FIGURE_MEMO_SECONDS` (default 60) whatever the head, because a few
figures depend on the clock within a day (a session that has started by now) and a write made
outside the app (a database restored, rows edited by hand) leaves no audit event; `0` turns the
memo off. Callers put into the key everything else the value depends on: the period, the sites of
the reader's scope, and the reader's language and roles when the value holds labels or links.
Values must be plain data (no ORM objects: they would outlive their session) that callers do
not modify.

Only GET and HEAD requests (and code outside a request) read through the memo: a writing
request may see its own uncommitted audit events, whose ids SQLite reuses after a rollback.
The memo is per process (each web worker has its own), bounded to `MAX_ENTRIES` keys, least
recently used first out.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request

from .db import db
from .models import AuditEvent

T = TypeVar("T")

MAX_ENTRIES = 256
DEFAULT_SECONDS = 60


class Memo:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[int | None, float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, head: int | None, max_age: float) -> tuple[bool, Any]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != head or time.monotonic() - entry[1] > max_age:
                self.misses += 1
                return False, None
            self._entries.move_to_end(key)
            self.hits += 1
            return True, entry[2]

    def put(self, key: Hashable, head: int | None, value: Any) -> None:
        with self._lock:
            self._entries[key] = (head, time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _memo() -> Memo:
    return current_app.extensions.setdefault("compliance_memo", Memo())


def audit_head(session=None) -> int | None:
    """The id of the newest audit event (read once per request)."""
    if has_request_context() and "_audit_head" in g:
        return g._audit_head
    head = (session or db.session).scalar(sa.select(sa.func.max(AuditEvent.id)))
    if has_request_context():
        g._audit_head = head
    return head


def _enabled() -> bool:
    if current_app.config.get("FIGURE_MEMO_SECONDS", DEFAULT_SECONDS) <= 0:
        return False
    return not has_request_context() or request.method in ("GET", "HEAD")


def remember(key: Hashable, compute: Callable[[], T], session=None) -> T:
    """`compute()`, or the value it gave for `key` when no audited write happened since."""
    if not _enabled():
        return compute()
    memo = _memo()
    head = audit_head(session)
    max_age = current_app.config.get("FIGURE_MEMO_SECONDS", DEFAULT_SECONDS)
    found, value = memo.get(key, head, max_age)
    if found:
        return value
    value = compute()
    memo.put(key, head, value)
    return value


def period_key(period) -> Hashable:
    """A `compliance.periods.Period` as a key: its days and sites."""
    return (period.start, period.end, scope_key(period.site_ids))


def scope_key(site_ids) -> Hashable:
    """A hashable form of a scope (None = every site)."""
    return None if site_ids is None else tuple(sorted(site_ids))


def reader_key(user) -> Hashable:
    """What labels and links of a value depend on: the reader's language and roles."""
    from flask_babel import get_locale

    return (str(get_locale() or ""), tuple(sorted(user.roles)))
