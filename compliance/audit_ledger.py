"""The audit trail as an Excel ledger for discipline officers and administrators."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .audit_scope import diff_rows, scope_clause, site_events_clause
from .ledgers import Column, Ledger, count_of, keyset_stream, register_ledger
from .models import AuditEvent
from .timeutil import local_day_bounds_utc


def _changes(before: dict | None, after: dict | None) -> str:
    """The changed fields of an event as one line: "field: old → new; ..."."""
    if before is None:
        return ""
    return "; ".join(
        f"{row['field']}: {row['before']} → {row['after']}"
        for row in diff_rows(before, after)
        if row["changed"]
    )


def _ledger_stmt(session, user, filters) -> sa.Select:
    start = local_day_bounds_utc(filters["date_from"])[0]
    end = local_day_bounds_utc(filters["date_to"])[1]
    stmt = sa.select(
        AuditEvent.at,
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
    for row in keyset_stream(session, stmt, (stmt.selected_columns.k1,)):
        at, actor, action, entity_type, entity_id, reason, before, after, digest, event_id = row
        yield (
            event_id,
            at,
            actor,
            action,
            entity_type,
            entity_id,
            _changes(before, after),
            reason,
            digest,
        )


def _ledger_count(session, user, filters) -> int:
    return count_of(session, _ledger_stmt(session, user, filters))


def register_audit_ledger(app) -> None:
    """Register the audit trail ledger (every recorded change in a period)."""
    register_ledger(
        app,
        Ledger(
            code="audit_trail",
            title=_l("Audit trail ledger"),
            description=_l(
                "Every recorded change in the period: who, what, which record, old and new values."
            ),
            roles=frozenset({"admin", "discipline"}),
            columns=[
                Column("event", _l("Event"), "int", 9),
                Column("at", _l("Time"), "datetime", 17),
                Column("actor", _l("Actor"), "text", 14),
                Column("action", _l("Action"), "text", 24),
                Column("entity_type", _l("Record type"), "text", 16),
                Column("entity_id", _l("Record id"), "text", 10),
                Column("changes", _l("Changes"), "user_text", 60),
                Column("reason", _l("Reason"), "user_text", 30),
                Column("hash", _l("Hash"), "text", 20),
            ],
            rows=_ledger_rows,
            count=_ledger_count,
            date_label=_l("Events recorded in the period"),
            order=190,
        ),
    )
