"""The audit trail as an Excel ledger for discipline officers and administrators.

Written for a reader, not a machine: the action and the record type in words
(`compliance.audit_labels`), the record and the people by name where the record still exists
(with its id), every time in local time, and what happened: for a change, only the fields whose
value changed (old → new); for a creation, the values it was created with; for an export, the
ledger, period, sites, filters, row count, route and file name.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp
from flask_babel import pgettext

from .audit_labels import (
    ROUTE_LABELS,
    action_label,
    field_kind,
    field_label,
    names_for,
    record_label,
)
from .audit_scope import scope_clause, site_events_clause
from .ledgers import Column, Ledger, count_of, get_ledger, keyset_stream, register_ledger
from .models import AuditEvent
from .timeutil import local_day_bounds_utc, to_local

# Bookkeeping columns that say nothing to a reader of the trail.
SKIPPED_FIELDS = {"id", "version", "password_hash", "hash", "prev_hash", "updated_at"}
MAX_VALUE_CHARS = 500  # one value in the changes column; the full text is on the audit page


def _moment(text: str) -> str | None:
    """An ISO timestamp as stored in a snapshot (naive UTC) in local time, or None."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return to_local(value.astimezone(UTC).replace(tzinfo=None)).strftime("%Y-%m-%d %H:%M:%S")


class _Words:
    """Formats the values of one page of events, with the names looked up for that page."""

    def __init__(self, names: dict):
        self.names = names
        self.yes = pgettext("yes or no", "Yes")
        self.no = pgettext("yes or no", "No")

    def value(self, field: str, value) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, bool):
            return self.yes if value else self.no
        kind = field_kind(field) or ("Site" if field == "sites" else None)
        if kind and isinstance(value, int):
            return self.names.get((kind, value), f"#{value}")
        if kind and isinstance(value, list):
            return "、".join(
                self.names.get((kind, v), f"#{v}") if isinstance(v, int) else str(v) for v in value
            )
        if isinstance(value, str):
            if field.endswith("_at") and len(value) >= 16:
                value = _moment(value) or value
            text = value
        elif isinstance(value, list):
            text = "、".join(str(v) for v in value)
        else:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        if len(text) > MAX_VALUE_CHARS:
            text = text[: MAX_VALUE_CHARS - 1] + "…"
        return text

    def line(self, field: str, text: str) -> str:
        return pgettext("audit change", "%(field)s: %(value)s") % {
            "field": field_label(field),
            "value": text,
        }

    def changed(self, field: str, old, new) -> str:
        return pgettext("audit change", "%(field)s: %(old)s → %(new)s") % {
            "field": field_label(field),
            "old": self.value(field, old),
            "new": self.value(field, new),
        }


def changed_fields(before: dict, after: dict | None) -> list[tuple[str, object, object]]:
    """(field, old, new) of the fields whose value changed. `before` may hold only the fields
    the action touched (e.g. a user's own settings): then only those are compared; a field
    only in `after` counts when `before` is a whole record (it has an id)."""
    after = after or {}
    whole = "id" in before
    out = []
    for field in sorted(set(before) | (set(after) if whole else set())):
        if field in SKIPPED_FIELDS:
            continue
        old, new = before.get(field), after.get(field)
        if field in after and old != new:
            out.append((field, old, new))
        elif field not in after and whole and old is not None:
            out.append((field, old, None))
    return out


def _export_lines(words: _Words, after: dict) -> list[str]:
    ledger = get_ledger(str(after.get("ledger")))
    filters = dict(after.get("filters") or {})
    lines = []
    if ledger is not None:
        lines.append(words.line("ledger", str(ledger.title)))
    start, end = filters.pop("from", None), filters.pop("to", None)
    if start or end:
        lines.append(
            pgettext("audit change", "Period: %(start)s to %(end)s")
            % {"start": start or "—", "end": end or "—"}
        )
    sites = filters.pop("sites", None)
    lines.append(
        words.line(
            "sites",
            "、".join(sites) if sites else pgettext("audit change", "every site in scope"),
        )
    )
    specs = {f.key: f for f in ledger.filters} if ledger is not None else {}
    for key, value in filters.items():
        spec = specs.get(key)
        values = value if isinstance(value, list) else [value]
        if spec is not None and spec.choices:
            values = [str(spec.choices.get(v, v)) for v in values]
        elif spec is not None and spec.kind == "bool":
            values = [words.yes if value else words.no]
        label = str(spec.label) if spec is not None else key
        lines.append(
            pgettext("audit change", "%(field)s: %(value)s")
            % {"field": label, "value": "、".join(map(str, values))}
        )
    if "rows" in after:
        lines.append(words.line("rows", str(after["rows"])))
    if after.get("route"):
        route = after["route"]
        lines.append(words.line("route", str(ROUTE_LABELS.get(route, route))))
    if after.get("file"):
        lines.append(words.line("file", words.value("file", after["file"])))
    return lines


def describe_changes(words: _Words, action: str, before, after) -> str:
    """The changes column: one line per fact."""
    if action == "ledger.export" and isinstance(after, dict):
        return "\n".join(_export_lines(words, after))
    if isinstance(before, dict):
        lines = [words.changed(f, old, new) for f, old, new in changed_fields(before, after)]
    elif isinstance(after, dict):
        lines = [
            words.line(field, words.value(field, value))
            for field, value in sorted(after.items())
            if field not in SKIPPED_FIELDS | {"created_at"} and value not in (None, "", [], {})
        ]
    else:
        lines = []
    return "\n".join(lines)


def _ids_to_name(event_rows) -> dict[str, set]:
    wanted: dict[str, set] = {"User": set()}
    for row in event_rows:
        wanted["User"].add(row.actor_id)
        wanted.setdefault(row.entity_type, set()).add(row.entity_id)
        for values in (row.before, row.after):
            if not isinstance(values, dict):
                continue
            for field, value in values.items():
                kind = field_kind(field) or ("Site" if field == "sites" else None)
                if kind is None:
                    continue
                items = value if isinstance(value, list) else [value]
                wanted.setdefault(kind, set()).update(v for v in items if isinstance(v, int))
    wanted["User"].discard(None)
    return wanted


def _ledger_stmt(session, user, filters) -> sa.Select:
    start = local_day_bounds_utc(filters["date_from"])[0]
    end = local_day_bounds_utc(filters["date_to"])[1]
    stmt = sa.select(
        AuditEvent.at,
        AuditEvent.actor_id,
        AuditEvent.actor_name,
        AuditEvent.action,
        AuditEvent.entity_type,
        AuditEvent.entity_id,
        AuditEvent.reason,
        AuditEvent.before,
        AuditEvent.after,
        AuditEvent.hash,
        AuditEvent.id.label("k1"),
    ).where(AuditEvent.at >= start, AuditEvent.at < end, scope_clause(user))
    if filters.get("site_ids") is not None:
        stmt = stmt.where(site_events_clause(filters["site_ids"]))
    return stmt


def _ledger_rows(session, user, filters):
    stmt = _ledger_stmt(session, user, filters)
    system = pgettext("audit ledger", "System")

    def enrich(rows):
        names = names_for(session, _ids_to_name(rows))
        words = _Words(names)
        out = []
        for row in rows:
            if row.actor_id is None:
                actor = system if row.actor_name == "system" else row.actor_name
            else:
                actor = names.get(("User", row.actor_id), row.actor_name)
            record = None
            if row.entity_id is not None:
                if row.entity_type == "Ledger":
                    ledger = get_ledger(row.entity_id)
                    name = str(ledger.title) if ledger is not None else None
                else:
                    key = (row.entity_type, int(row.entity_id)) if row.entity_id.isdigit() else None
                    name = names.get(key)
                record = f"{name} (#{row.entity_id})" if name else f"#{row.entity_id}"
            out.append(
                (
                    row.k1,
                    row.at,
                    actor,
                    action_label(row.action) or row.action,
                    record_label(row.entity_type) or row.entity_type,
                    record,
                    describe_changes(words, row.action, row.before, row.after) or None,
                    row.reason,
                    row.hash,
                )
            )
        return out

    yield from keyset_stream(session, stmt, (stmt.selected_columns.k1,), enrich=enrich)


def _ledger_count(session, user, filters) -> int:
    return count_of(session, _ledger_stmt(session, user, filters))


def register_audit_ledger(app) -> None:
    """Register the audit trail ledger (every recorded change in a period)."""
    register_ledger(
        app,
        Ledger(
            code="audit_trail",
            title=_lp("ledger title", "Audit trail ledger"),
            description=_lp(
                "ledger description",
                "Every recorded change in the period: who, what, which record, old and new values.",
            ),
            roles=frozenset({"admin", "discipline"}),
            columns=[
                Column("event", _lp("audit ledger", "Event no."), "int", 8),
                Column("at", _lp("audit ledger", "Time"), "datetime", 16),
                Column("actor", _lp("audit ledger", "By"), "text", 16),
                Column("action", _lp("audit ledger", "Action"), "text", 18),
                Column("entity_type", _lp("audit ledger", "Record type"), "text", 12),
                Column("record", _lp("audit ledger", "Record"), "text", 18),
                Column("changes", _lp("audit ledger", "What changed"), "user_text", 50),
                Column("reason", _lp("audit ledger", "Reason given"), "user_text", 20),
                Column("hash", _lp("audit ledger", "Chain hash"), "text", 17),
            ],
            rows=_ledger_rows,
            count=_ledger_count,
            date_label=_lp("ledger dates", "Events recorded in the period"),
            order=190,
        ),
    )
