"""The audit trail: every change to a supervised record is appended here, hash-chained."""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .audit_chain import GENESIS, VerifyResult, audit_key, event_hash, note_appended, verify
from .db import utcnow
from .memo import note_write
from .models import AuditEvent, User

logger = logging.getLogger(__name__)

_PG_AUDIT_LOCK = 7_310_001  # advisory lock key serialising chain appends on PostgreSQL


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: Any, exclude: tuple[str, ...] = ("password_hash",)) -> dict:
    """Column values of a mapped object as a JSON-ready dict (for before/after)."""
    mapper = sa.inspect(obj).mapper
    return {
        attr.key: _jsonable(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in exclude
    }


def compute_hash(event: AuditEvent) -> str:
    """The event's keyed hash (HMAC-SHA256 with AUDIT_KEY over its content and the previous hash)."""
    return event_hash(audit_key(), event)


def record(
    session: Session,
    actor: User | None,
    action: str,
    entity: Any = None,
    *,
    entity_type: str | None = None,
    entity_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction (flushes; never commits).

    `entity` is a mapped object (its class name and primary key are used) or None with explicit
    `entity_type`/`entity_id`. When `after` is omitted and `entity` is given, a snapshot is taken.
    """
    if entity is not None:
        session.flush()
        entity_type = entity_type or type(entity).__name__
        entity_id = entity_id if entity_id is not None else sa.inspect(entity).identity[0]
        if after is None and action.split(".")[-1] not in {"delete", "export", "view"}:
            after = snapshot(entity)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_AUDIT_LOCK)))
    prev = session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    at = utcnow()
    # Keep the chain's timestamps monotonic even if clocks step backwards.
    event = AuditEvent(
        at=at,
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else "system",
        action=action,
        entity_type=entity_type or "-",
        entity_id=None if entity_id is None else str(entity_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
        prev_hash=prev or GENESIS,
    )
    event.hash = compute_hash(event)
    session.add(event)
    session.flush()
    note_appended(session, event)
    note_write(event.id)
    return event


def verify_chain(session: Session, *, incremental: bool = False, **kwargs) -> VerifyResult:
    """Verify the chain and its checkpoints (see `compliance.audit_chain.verify`)."""
    return verify(session, incremental=incremental, **kwargs)
