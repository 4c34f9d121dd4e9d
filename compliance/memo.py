"""Aggregates over history, computed once per process and reused while they are still right.

The dashboard's year-to-date figures, its twelve-month charts, the year in review and the month's
live assessment count every finding, round and rectification of their period: tens of
milliseconds each at district scale, the same answer on every view until somebody changes
something. Every write to a supervised record appends an audit event in the same transaction
(`compliance.audit.record`), so the id of the newest audit event is a version number of
everything these figures count. `remember(key, compute)` keeps the value computed for `key`
with that head and reuses it:

- while the head is unchanged (nobody wrote), for up to `FIGURE_MEMO_SECONDS` [300] — a few
  figures depend on the clock within a day (a session that has started by now), and a change
  made outside the app (a restored database) leaves no audit event;
- after other people's writes, for up to `FIGURE_STALE_SECONDS` [30]: in a busy hall somebody
  writes every few seconds, and a year-to-date figure half a minute behind is still the
  figure a reader needs — without this, every dashboard view in opening hours would recompute;
- never after the reader's own write: `audit.record` notes the newest event a signed-in reader
  appended in their session cookie (`note_write`), so whoever just decided an appeal or closed
  a rectification sees the new figure on the next page.

`FIGURE_MEMO_SECONDS = 0` turns the memo off. Callers put into the key everything else the
value depends on: the period, the sites of the reader's scope, and the reader's language and
roles when the value holds labels or links. Values must be plain data (no ORM objects: they
would outlive their session) that callers do not modify.

Only GET and HEAD requests (and code outside a request, which reuses a value only while the head
is unchanged) read through the memo: a writing request may see its own uncommitted audit events,
whose ids SQLite reuses after a rollback. The memo is per process (each web worker has its own),
bounded to `MAX_ENTRIES` keys, least recently used first out.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from flask import session as cookie_session
from flask_babel import get_locale

from .db import db
from .models import AuditEvent

T = TypeVar("T")

MAX_ENTRIES = 256
DEFAULT_SECONDS = 300
DEFAULT_STALE_SECONDS = 30
WROTE_KEY = "wrote"  # the session cookie's note of the reader's newest audit event


class Memo:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[int | None, float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(
        self, key: Hashable, head: int | None, max_age: float, stale_age: float = 0, wrote=None
    ) -> tuple[bool, Any]:
        """(found, value): the entry for `key` when computed at `head` no more than `max_age`
        seconds ago, or at an older head no more than `stale_age` seconds ago provided the
        reader's own newest write (`wrote`, None: unknown) is not newer than that head."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                at_head, computed, value = entry
                age = time.monotonic() - computed
                fresh = at_head == head and age <= max_age
                others_only = (
                    wrote is not None
                    and age <= stale_age
                    and (at_head or 0) >= wrote
                    and (head or 0) >= (at_head or 0)
                )
                if fresh or others_only:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return True, value
            self.misses += 1
            return False, None

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
    """`compute()`, or the value it gave for `key` while that is still right (see above)."""
    config = current_app.config
    if not _enabled():
        return compute()
    memo = _memo()
    head = audit_head(session)
    found, value = memo.get(
        key,
        head,
        config.get("FIGURE_MEMO_SECONDS", DEFAULT_SECONDS),
        config.get("FIGURE_STALE_SECONDS", DEFAULT_STALE_SECONDS),
        _reader_wrote(),
    )
    if found:
        return value
    value = compute()
    memo.put(key, head, value)
    return value


def _reader_wrote() -> int | None:
    """The newest audit event the reader appended (0: none), or None when unknown (outside a
    request or without a session cookie: then only an unchanged head reuses a value)."""
    if not has_request_context() or not request.cookies:
        return None
    return int(cookie_session.get(WROTE_KEY, 0) or 0)


def note_write(event_id: int) -> None:
    """Called for every appended audit event: remember in the signed-in reader's session that
    they wrote, so their next page does not reuse figures computed before it."""
    if has_request_context() and request.cookies:
        cookie_session[WROTE_KEY] = max(int(cookie_session.get(WROTE_KEY, 0) or 0), event_id)


def period_key(period) -> Hashable:
    """A `compliance.periods.Period` as a key: its days and sites."""
    return (period.start, period.end, scope_key(period.site_ids))


def scope_key(site_ids) -> Hashable:
    """A hashable form of a scope (None = every site)."""
    return None if site_ids is None else tuple(sorted(site_ids))


def reader_key(user) -> Hashable:
    """What labels and links of a value depend on: the reader's language and roles."""
    return (str(get_locale() or ""), tuple(sorted(user.roles)))
