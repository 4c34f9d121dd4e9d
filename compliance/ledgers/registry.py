"""Ledger declarations: each package declares its ledgers once (name, columns, filters, query) and
the writer, the reports page, the API and the command line all read that one declaration."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..access import scope_filter, scope_ids, site_tree_ids
from ..domain import N_, InvalidError
from ..models import Site, StaffMember, User
from ..timeutil import tz
from .writer import Column

# Who may open the reports page and ask for exports (each ledger narrows it with its own roles).
REPORT_ROLES = ("discipline", "admin", "hr", "inspector", "leader")


class LedgerError(InvalidError):
    """The export request is not valid: `errors` maps each bad field to a message, already in
    the reader's language (the page shows each under its field, the API returns the mapping)."""

    def __init__(self, errors: dict[str, str] | str):
        if isinstance(errors, str):
            errors = {"_": errors}
        self.errors = errors
        super().__init__("ledger.invalid_request", N_("The export request is not valid."))

    def english(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in self.errors.items())

    def extra_errors(self) -> dict:
        # The API's `errors` object is the field -> message map itself.
        return dict(self.errors)


@dataclass
class FilterField:
    """A ledger's own filter. kind: "choice" (several of `choices`), "one" (one of `choices`),
    "staff" (staff numbers), "bool"."""

    key: str
    label: Any
    kind: str = "choice"
    choices: dict[str, Any] = field(default_factory=dict)  # value -> lazy label
    default: Any = None
    help: Any = None


@dataclass
class Ledger:
    """One ledger. `rows(session, user, filters)` yields value tuples in column order (streaming,
    scoped to what `user` may see; user None = a system export of every site) and
    `count(session, user, filters)` tells how many rows it will yield. A ledger with `render` instead
    writes its own workbook (the period summary)."""

    code: str
    title: Any
    roles: frozenset[str]
    columns: list[Column]
    rows: Callable[..., Iterator[Sequence[Any]]] | None = None
    count: Callable[..., int] | None = None
    filters: list[FilterField] = field(default_factory=list)
    date_label: Any = None  # what the date range applies to
    render: Callable | None = None
    order: int = 100
    description: Any = None

    def allowed(self, user: User | None) -> bool:
        return user is None or user.has_role(*self.roles)


def register_ledger(app: Flask, ledger: Ledger) -> Ledger:
    """Declare a ledger (called from a package's `ledgers.init_app`)."""
    app.extensions.setdefault("compliance_ledgers", {})[ledger.code] = ledger
    return ledger


def all_ledgers(app: Flask | None = None) -> list[Ledger]:
    app = app or current_app
    return sorted(app.extensions.get("compliance_ledgers", {}).values(), key=lambda x: x.order)


def get_ledger(code: str, app: Flask | None = None) -> Ledger | None:
    app = app or current_app
    return app.extensions.get("compliance_ledgers", {}).get(code)


def ledgers_for(user: User, app: Flask | None = None) -> list[Ledger]:
    return [ledger for ledger in all_ledgers(app) if ledger.allowed(user)]


# -- filters ---------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{1,2})|[Qq]([1-4])))?$")


def period_bounds(text: str) -> tuple[date, date]:
    """'2026' -> the year, '2026-03' -> March, '2026-Q1' -> the first quarter (inclusive bounds)."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValueError(text)
    year = int(match.group(1))
    if match.group(2):
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(text)
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if match.group(3):
        quarter = int(match.group(3))
        first = 3 * quarter - 2
        return date(year, first, 1), date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    return date(year, 1, 1), date(year, 12, 31)


def previous_month(day: date) -> tuple[date, date]:
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def _one(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if isinstance(value, list | tuple):
        value = next((v for v in value if v not in (None, "")), None)
    if value is None or value == "":
        return None
    return str(value).strip()


def _many(raw: Mapping[str, Any], key: str) -> list[str]:
    value = raw.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    out = []
    for v in value:
        if v is None:
            continue
        out.extend(part.strip() for part in str(v).split(",") if part.strip())
    return out


def _date(text: str) -> date:
    return date.fromisoformat(text)


MAX_RANGE_DAYS = 3700


def parse_filters(session, user: User | None, ledger: Ledger, raw: Mapping[str, Any]) -> dict:
    """Validate an export request (page form, API JSON, CLI options, all as a mapping of strings or
    lists of strings) into the filters a ledger's query takes:
    {"date_from", "date_to", "site_ids" (None = every site in scope), "site_codes", <own fields>}.

    `describe_filters` output is accepted too (a queued job is validated again when it runs,
    under the user's scope at that time). Raises LedgerError naming each bad field."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    period = _one(raw, "period")
    date_from = _one(raw, "from") or _one(raw, "date_from")
    date_to = _one(raw, "to") or _one(raw, "date_to")
    if period:
        try:
            out["date_from"], out["date_to"] = period_bounds(period)
        except ValueError:
            errors["period"] = _("Give the period as 2026, 2026-03 or 2026-Q1.")
    else:
        for key, text in (("date_from", date_from), ("date_to", date_to)):
            if text is None:
                errors[key] = _("This date is required (YYYY-MM-DD).")
                continue
            try:
                out[key] = _date(text)
            except ValueError:
                errors[key] = _("Not a date: %(value)s (use YYYY-MM-DD).", value=text)
    if "date_from" in out and "date_to" in out:
        if out["date_to"] < out["date_from"]:
            errors["date_to"] = _("The end date is before the start date.")
        elif (out["date_to"] - out["date_from"]).days > MAX_RANGE_DAYS:
            errors["date_to"] = _("The date range may span at most ten years.")

    codes = _many(raw, "sites") or _many(raw, "site")
    visible = scope_ids(user, session) if user is not None else None
    if codes:
        found = dict(
            session.execute(sa.select(Site.code, Site.id).where(Site.code.in_(codes))).all()
        )
        bad = [
            c for c in codes if c not in found or (visible is not None and found[c] not in visible)
        ]
        if bad:
            # Sites outside the user's scope are reported exactly like unknown ones.
            errors["sites"] = _("Unknown site: %(codes)s", codes=", ".join(bad))
        else:
            ids = site_tree_ids(session, found.values())
            out["site_ids"] = ids if visible is None else ids & visible
            out["site_codes"] = sorted(set(codes))
    if "site_ids" not in out:
        out["site_ids"] = None
        out["site_codes"] = []

    for spec in ledger.filters:
        if spec.kind == "choice":
            values = _many(raw, spec.key)
            bad = [v for v in values if v not in spec.choices]
            if bad:
                errors[spec.key] = _("Not a valid choice: %(values)s", values=", ".join(bad))
            out[spec.key] = values
        elif spec.kind == "one":
            value = _one(raw, spec.key) or spec.default
            if value is not None and value not in spec.choices:
                errors[spec.key] = _("Not a valid choice: %(values)s", values=value)
            out[spec.key] = value
        elif spec.kind == "bool":
            value = (_one(raw, spec.key) or "").lower()
            out[spec.key] = value in {"1", "true", "yes", "on", "y"}
        elif spec.kind == "staff":
            numbers = _many(raw, spec.key)
            if numbers:
                found = dict(
                    session.execute(
                        sa.select(StaffMember.staff_no, StaffMember.id)
                        .where(StaffMember.staff_no.in_(numbers))
                        .where(scope_clause(user, StaffMember.site_id, session))
                    ).all()
                )
                bad = [n for n in numbers if n not in found]
                if bad:
                    errors[spec.key] = _("Unknown staff number: %(values)s", values=", ".join(bad))
                out[spec.key] = sorted(found.values())
                out[spec.key + "_numbers"] = numbers
            else:
                out[spec.key] = []
    if errors:
        raise LedgerError(errors)
    return out


def scope_clause(user: User | None, column, session=None):
    """WHERE clause for a site id column: the user's scope (None = a system export, every site)."""
    if user is None:
        return sa.true()
    return scope_filter(user, column, session)


def site_clause(filters: dict, column):
    """The sites the export was narrowed to (already intersected with the scope)."""
    ids = filters.get("site_ids")
    if ids is None:
        return sa.true()
    return column.in_(ids) if ids else sa.false()


def describe_filters(ledger: Ledger, filters: dict) -> dict:
    """The filters as plain JSON for the audit trail and the job record."""
    out = {
        "from": filters["date_from"].isoformat(),
        "to": filters["date_to"].isoformat(),
        "sites": list(filters.get("site_codes") or []),
    }
    for spec in ledger.filters:
        value = filters.get(spec.key)
        if spec.kind == "staff":
            value = filters.get(spec.key + "_numbers", [])
        if value not in (None, [], False):
            out[spec.key] = value
    return out


def keyset_stream(
    session,
    stmt: sa.Select,
    keys: Sequence,
    batch_size: int = 2000,
    enrich: Callable[[list], list] | None = None,
) -> Iterator[Sequence[Any]]:
    """Run `stmt` in pages ordered by `keys` (unique together, e.g. (found_at, id)); the key values
    must be the last len(keys) columns of `stmt`. Only one page is held at a time, and no cursor
    stays open between pages. `enrich(rows) -> rows` may add per-page data (one query per page)."""
    n = len(keys)
    last = None
    ordered = stmt.order_by(*keys)
    while True:
        page_stmt = ordered
        if last is not None:
            page_stmt = page_stmt.where(sa.tuple_(*keys) > sa.tuple_(*last))
        rows = session.execute(page_stmt.limit(batch_size)).all()
        if not rows:
            return
        last = tuple(rows[-1][-n:])
        full = len(rows) == batch_size
        if enrich is not None:
            rows = enrich(rows)
        yield from rows
        if not full:
            return


def count_of(session, stmt: sa.Select) -> int:
    return (
        session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    )


def local_text(value: datetime | None, zone=None) -> str:
    """A stored naive-UTC moment as local "YYYY-MM-DD HH:MM", for text that lists events (the
    typed datetime columns are converted by the writer). `zone`: a ZoneInfo (default: the
    configured time zone; pass it when formatting many)."""
    if value is None:
        return ""
    zone = zone or tz()
    return value.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def user_names(session, user_ids) -> dict[int, str]:
    """Display names of the given user ids (one query; unknown ids are left out)."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return dict(
        session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )


COMMON_LABELS = {
    "date_from": _l("From"),
    "date_to": _l("To"),
    "sites": _l("Sites"),
    "period": _l("Period"),
}
