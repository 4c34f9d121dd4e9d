"""The scheduler lease: a `scheduler_lock` row with an owner and an expiry, taken and renewed with
single atomic UPDATE/INSERT statements, so it works the same on SQLite and PostgreSQL and across
hosts. Each call uses its own short transaction on the engine (never the caller's session)."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..db import utcnow
from .models import SchedulerLock

LOCK_NAME = "scheduler"
_table = SchedulerLock.__table__


def make_owner_id() -> str:
    """A lease owner id naming the host and process (for the log line of a refused scheduler)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class LockHolder:
    owner: str
    acquired_at: datetime
    heartbeat_at: datetime
    expires_at: datetime

    @property
    def alive(self) -> bool:
        return self.expires_at > utcnow()


def try_acquire(
    engine: Engine, owner: str, ttl: float, name: str = LOCK_NAME, now: datetime | None = None
) -> bool:
    """Take (or renew) the lease for `owner`; False while another owner's lease is unexpired."""
    now = now or utcnow()
    expires = now + timedelta(seconds=ttl)
    with engine.begin() as conn:
        taken = conn.execute(
            sa.update(_table)
            .where(
                _table.c.name == name, sa.or_(_table.c.owner == owner, _table.c.expires_at < now)
            )
            .values(
                acquired_at=sa.case((_table.c.owner == owner, _table.c.acquired_at), else_=now),
                owner=owner,
                heartbeat_at=now,
                expires_at=expires,
            )
        ).rowcount
    if taken == 1:
        return True
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(_table).values(
                    name=name, owner=owner, acquired_at=now, heartbeat_at=now, expires_at=expires
                )
            )
    except sa.exc.IntegrityError:
        return False  # the row exists and is held by someone else
    return True


def heartbeat(engine: Engine, owner: str, ttl: float, name: str = LOCK_NAME) -> bool:
    """Renew the lease; False when `owner` no longer holds it (another process took it over)."""
    now = utcnow()
    with engine.begin() as conn:
        renewed = conn.execute(
            sa.update(_table)
            .where(_table.c.name == name, _table.c.owner == owner)
            .values(heartbeat_at=now, expires_at=now + timedelta(seconds=ttl))
        ).rowcount
    return renewed == 1


def release(engine: Engine, owner: str, name: str = LOCK_NAME) -> None:
    """Give the lease up at once (clean shutdown), so a standby can take over without waiting."""
    with engine.begin() as conn:
        conn.execute(sa.delete(_table).where(_table.c.name == name, _table.c.owner == owner))


def current_holder(connectable, name: str = LOCK_NAME) -> LockHolder | None:
    """Who holds (or last held) the lease; `connectable` is an engine or a session."""
    stmt = sa.select(
        _table.c.owner, _table.c.acquired_at, _table.c.heartbeat_at, _table.c.expires_at
    ).where(_table.c.name == name)
    if isinstance(connectable, Engine):
        with connectable.connect() as conn:
            row = conn.execute(stmt).first()
    else:
        row = connectable.execute(stmt).first()
    return LockHolder(*row) if row is not None else None
