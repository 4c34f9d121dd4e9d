"""Bounded lists: one page of a query (by number, or by key for lists ordered by date), and the
links that keep the page's filters in the URL.

Every list page shows one page and asks the database for that page only:

- `paginate(stmt)` counts and fetches one numbered page (two statements), for lists ordered by
  name or code;
- `paginate_list(rows)` slices a list already computed in Python (boards whose rows are derived
  from a bounded set, e.g. the key seats);
- `keyset_paginate(...)` pages a list ordered by a timestamp and id, newest first, with a cursor
  (`after=` / `before=`) instead of an offset and no count: the filter and the order are served
  by an index `(…, time, id)` and the rows are loaded by id after the limit.

The `pager` macro in `templates/macros/forms.html` draws the links of any of these pages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import request, url_for
from sqlalchemy.orm import Session

from .db import db

PER_PAGE = 30
MAX_PAGE = 100_000  # a page number beyond this is a typo, not a page


def page_number(name: str = "page") -> int:
    """The page asked for in the query string: a positive integer, else 1."""
    raw = request.args.get(name, "")
    if not raw.isdigit():
        return 1
    return min(MAX_PAGE, max(1, int(raw)))


def link(endpoint: str, **changes: Any) -> str:
    """The URL of `endpoint` with the current query string (every filter, repeated keys kept)
    and `changes` applied; a change to None removes the argument."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(endpoint, **dict(request.view_args or {}, **args))


@dataclass
class Page:
    """One numbered page of a list (the attributes Flask-SQLAlchemy's pagination has, so one
    macro draws both)."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def href(self, endpoint: str, which: str) -> str:
        number = self.prev_num if which == "prev" else self.next_num
        return link(endpoint, page=number if number > 1 else None)


def paginate(
    stmt: sa.Select,
    *,
    per_page: int = PER_PAGE,
    scalars: bool = True,
    session: Session | None = None,
    page: int | None = None,
) -> Page:
    """Count `stmt`, then fetch the asked page of it (two statements). A page past the end shows
    the last page."""
    session = session or db.session
    total = (
        session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    )
    number = min(page or page_number(), max(1, math.ceil(total / per_page)))
    result = session.execute(stmt.limit(per_page).offset((number - 1) * per_page))
    items = list(result.scalars()) if scalars else list(result.all())
    return Page(items, number, per_page, total)


def paginate_list(rows: Sequence, *, per_page: int = PER_PAGE, page: int | None = None) -> Page:
    """The asked page of rows already in memory."""
    total = len(rows)
    number = min(page or page_number(), max(1, math.ceil(total / per_page)))
    start = (number - 1) * per_page
    return Page(list(rows[start : start + per_page]), number, per_page, total)


# --------------------------------------------------------------------------- by date


def encode_cursor(moment: datetime, row_id: int) -> str:
    return f"{moment.isoformat()}_{row_id}"


def decode_cursor(raw: str | None) -> tuple[datetime, int] | None:
    """(time, id) from a cursor, or None when it is missing or not one of ours."""
    if not raw or len(raw) > 64 or "_" not in raw:
        return None
    moment, _sep, row_id = raw.rpartition("_")
    if not row_id.isdigit() or len(row_id) > 18:
        return None
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return None
    if parsed.tzinfo is not None:  # timestamps are stored as naive UTC
        return None
    return parsed, int(row_id)


@dataclass
class KeysetPage:
    """One page of a list ordered newest first, with cursors to the next (older) and previous
    (newer) pages. No total: counting the whole history is what this page must not do."""

    items: list
    per_page: int
    next_cursor: str | None
    prev_cursor: str | None
    keyset = True

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_prev(self) -> bool:
        return self.prev_cursor is not None

    @property
    def is_first(self) -> bool:
        return self.prev_cursor is None

    def href(self, endpoint: str, which: str) -> str:
        if which == "first":
            return link(endpoint, after=None, before=None, page=None)
        if which == "prev":
            return link(endpoint, before=self.prev_cursor, after=None, page=None)
        return link(endpoint, after=self.next_cursor, before=None, page=None)


def keyset_paginate(
    stmt: sa.Select,
    time_col,
    id_col,
    load: Callable[[list[int]], Sequence],
    *,
    per_page: int = PER_PAGE,
    session: Session | None = None,
) -> KeysetPage:
    """A page of `stmt` (a SELECT with the list's filters, from the table of `time_col` and
    `id_col`) newest first. Only ids are selected with the limit (the index on
    `(…, time, id)` serves filter and order); `load(ids)` then loads those rows with whatever
    they show (one or two more statements), returned in the page's order.

    The cursor comes from `?after=` (older than) or `?before=` (newer than); a cursor that does
    not parse shows the first page."""
    session = session or db.session
    after = decode_cursor(request.args.get("after"))
    before = None if after else decode_cursor(request.args.get("before"))
    ids_stmt = stmt.with_only_columns(id_col, time_col).order_by(None)
    if before is not None:
        t, i = before
        # `time >= t` is implied by the OR; written out so that an index range serves it.
        query = ids_stmt.where(
            time_col >= t, sa.or_(time_col > t, sa.and_(time_col == t, id_col > i))
        ).order_by(time_col.asc(), id_col.asc())
        keys = list(session.execute(query.limit(per_page + 1)).all())
        more_newer = len(keys) > per_page
        keys = list(reversed(keys[:per_page]))
        if not keys:  # nothing newer: show the first page
            return _first_page(session, ids_stmt, time_col, id_col, load, per_page)
        prev_cursor = encode_cursor(keys[0][1], keys[0][0]) if more_newer else None
        next_cursor = encode_cursor(keys[-1][1], keys[-1][0])
    else:
        if after is None:
            return _first_page(session, ids_stmt, time_col, id_col, load, per_page)
        t, i = after
        query = ids_stmt.where(
            time_col <= t, sa.or_(time_col < t, sa.and_(time_col == t, id_col < i))
        ).order_by(time_col.desc(), id_col.desc())
        keys = list(session.execute(query.limit(per_page + 1)).all())
        more_older = len(keys) > per_page
        keys = keys[:per_page]
        next_cursor = encode_cursor(keys[-1][1], keys[-1][0]) if more_older else None
        # Came from a newer page: the way back starts at this page's first row.
        prev_cursor = encode_cursor(keys[0][1], keys[0][0]) if keys else encode_cursor(t, i)
    return KeysetPage(_load_in_order(keys, load), per_page, next_cursor, prev_cursor)


def _first_page(session, ids_stmt, time_col, id_col, load, per_page) -> KeysetPage:
    keys = list(
        session.execute(ids_stmt.order_by(time_col.desc(), id_col.desc()).limit(per_page + 1)).all()
    )
    more = len(keys) > per_page
    keys = keys[:per_page]
    next_cursor = encode_cursor(keys[-1][1], keys[-1][0]) if more else None
    return KeysetPage(_load_in_order(keys, load), per_page, next_cursor, None)


def _load_in_order(keys, load) -> list:
    ids = [k[0] for k in keys]
    if not ids:
        return []
    by_id = {row.id: row for row in load(ids)}
    return [by_id[i] for i in ids if i in by_id]
