"""The audit trail's keyed hash chain, its checkpoints outside the database, and its verification.

Each event's hash is an HMAC-SHA256, keyed by `AUDIT_KEY`, over the event's content and the hash
of the event before it. The key is not stored in the database, so someone who can write to the
database (with the append-only triggers dropped) can delete or edit events but cannot re-hash the
chain to hide it.

Deleting the newest events leaves a shorter chain that is still consistent, so the head is also
remembered outside the database, in `AUDIT_CHECKPOINT_DIR`:

- `head.json`: the newest event (id and hash) after every commit that appended events;
- `checkpoints.jsonl`: one line per verification run: the head, the number of events up to it and
  when it was verified. The nightly check continues from the newest of these (incremental).

Both are signed with the same key. `verify()` recomputes the chain and then checks that every
checkpoint still matches the database: an event a checkpoint names that is gone means the chain
was cut. Operators copy the checkpoints where the database's administrator cannot rewrite them
(see the README).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from .db import utcnow
from .domain import N_
from .models import AuditEvent

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
HEAD_FILE = "head.json"
CHECKPOINTS_FILE = "checkpoints.jsonl"

CHAIN_FIELDS = (
    "prev_hash",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "reason",
)

# Problems `verify` can report: code -> English message id with its parameters.
PROBLEMS = {
    "link": N_(
        "Event %(id)s does not link to the event before it: an event was removed or inserted."
    ),
    "hash": N_("Event %(id)s does not match its hash: the event was changed or re-hashed."),
    "cut": N_(
        "Event %(id)s, recorded as the chain's head on %(at)s, is missing: the newest events "
        "were removed (the database ends at event %(last)s)."
    ),
    "checkpoint_hash": N_(
        "Event %(id)s differs from the checkpoint of %(at)s: the chain was rewritten."
    ),
    "count": N_(
        "%(expected)s events were recorded up to event %(id)s on %(at)s, but %(found)s remain: "
        "events were removed."
    ),
    "checkpoint_signature": N_(
        "The checkpoint file has a line that is not signed with this installation's key "
        "(line %(line)s): it was edited."
    ),
}


def canonical(event: Any) -> bytes:
    """The hashed form of an event (an AuditEvent or a row with the same attributes)."""
    payload = {
        "prev": event.prev_hash,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def audit_key(app=None) -> bytes:
    app = app or current_app
    return str(app.config["AUDIT_KEY"]).encode()


def event_hash(key: bytes, event: Any) -> str:
    return hmac.new(key, canonical(event), hashlib.sha256).hexdigest()


def _sign(key: bytes, payload: dict) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, b"checkpoint:" + body, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- checkpoints


@dataclass
class Checkpoint:
    event_id: int
    hash: str
    at: str  # ISO time (UTC) it was taken
    count: int | None = None  # events with id <= event_id (verification checkpoints only)
    kind: str = "verify"  # "verify" (a verification run) or "head" (after a commit)

    def payload(self) -> dict:
        return {k: v for k, v in asdict(self).items()}


def checkpoint_dir(app=None) -> Path | None:
    app = app or current_app
    folder = app.config.get("AUDIT_CHECKPOINT_DIR")
    return Path(folder) if folder else None


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_head(app=None) -> tuple[Checkpoint | None, bool]:
    """The remembered head and whether its signature is valid (None when there is none)."""
    folder = checkpoint_dir(app)
    if folder is None or not (folder / HEAD_FILE).exists():
        return None, True
    try:
        data = json.loads((folder / HEAD_FILE).read_text(encoding="utf-8"))
        sig = data.pop("sig")
        checkpoint = Checkpoint(**data)
    except (ValueError, TypeError, KeyError):
        return None, False
    return checkpoint, hmac.compare_digest(sig, _sign(audit_key(app), checkpoint.payload()))


def remember_head(event_id: int, event_hash_: str, app=None) -> None:
    """Write the head after a commit (only ever forward: a slower process with an older head
    does not move it back). Best effort: a failure is logged, never raised."""
    app = app or current_app
    folder = checkpoint_dir(app)
    if folder is None:
        return
    try:
        current, valid = read_head(app)
        if current is not None and valid and current.event_id >= event_id:
            return
        checkpoint = Checkpoint(event_id, event_hash_, utcnow().isoformat(), kind="head")
        data = checkpoint.payload() | {"sig": _sign(audit_key(app), checkpoint.payload())}
        _write_atomic(folder / HEAD_FILE, json.dumps(data))
    except OSError:
        logger.warning("could not write the audit head checkpoint in %s", folder)


def append_checkpoint(checkpoint: Checkpoint, app=None) -> None:
    app = app or current_app
    folder = checkpoint_dir(app)
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    data = checkpoint.payload() | {"sig": _sign(audit_key(app), checkpoint.payload())}
    with open(folder / CHECKPOINTS_FILE, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(data) + "\n")
    # Also in the log, which operators ship off this machine.
    logger.info(
        "audit checkpoint: event %s hash %s count %s",
        checkpoint.event_id,
        checkpoint.hash,
        checkpoint.count,
    )


def read_checkpoints(app=None) -> tuple[list[Checkpoint], list[int]]:
    """Verification checkpoints in file order, and the line numbers whose signature is wrong."""
    app = app or current_app
    folder = checkpoint_dir(app)
    if folder is None or not (folder / CHECKPOINTS_FILE).exists():
        return [], []
    key = audit_key(app)
    good, bad = [], []
    lines = (folder / CHECKPOINTS_FILE).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            sig = data.pop("sig")
            checkpoint = Checkpoint(**data)
        except (ValueError, TypeError, KeyError):
            bad.append(number)
            continue
        if hmac.compare_digest(sig, _sign(key, checkpoint.payload())):
            good.append(checkpoint)
        else:
            bad.append(number)
    return good, bad


# --------------------------------------------------------------------------- after commit


def note_appended(session: Session, event: AuditEvent) -> None:
    """Called by `audit.record`: remember the newest event of this transaction."""
    session.info["audit_head"] = (event.id, event.hash)


@sa.event.listens_for(Session, "after_commit")
def _head_after_commit(session: Session) -> None:
    head = session.info.pop("audit_head", None)
    if head is not None and has_app_context():
        remember_head(*head)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_head(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop("audit_head", None)


# --------------------------------------------------------------------------- verification


@dataclass
class VerifyResult:
    ok: bool
    checked: int = 0  # events whose hash was recomputed in this run
    broken_id: int | None = None
    problem: str | None = None  # a key of PROBLEMS
    params: dict = field(default_factory=dict)
    last_id: int = 0
    last_hash: str = GENESIS
    count: int = 0  # events up to last_id
    incremental_from: int | None = None

    @property
    def message(self) -> str | None:
        return PROBLEMS[self.problem] if self.problem else None


def _walk(
    session: Session,
    key: bytes,
    start: Checkpoint | None,
    batch: int,
    progress: Callable[[int], None] | None,
) -> VerifyResult:
    columns = [AuditEvent.id, AuditEvent.hash] + [getattr(AuditEvent, f) for f in CHAIN_FIELDS]
    prev = start.hash if start else GENESIS
    last_id = start.event_id if start else 0
    count = start.count or 0 if start else 0
    result = VerifyResult(True, incremental_from=start.event_id if start else None)
    while True:
        rows = session.execute(
            sa.select(*columns).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            result.checked += 1
            if row.prev_hash != prev:
                return _broken(result, "link", row.id)
            if not hmac.compare_digest(event_hash(key, row), row.hash):
                return _broken(result, "hash", row.id)
            prev = row.hash
            last_id = row.id
            count += 1
        if progress is not None:
            progress(result.checked)
    result.last_id, result.last_hash, result.count = last_id, prev, count
    return result


def _broken(result: VerifyResult, problem: str, event_id: int, **params: Any) -> VerifyResult:
    result.ok = False
    result.broken_id = event_id
    result.problem = problem
    result.params = {"id": event_id, **params}
    return result


def _check_checkpoints(
    session: Session, result: VerifyResult, checkpoints: list[Checkpoint]
) -> VerifyResult:
    if not checkpoints:
        return result
    ids = sorted({c.event_id for c in checkpoints})
    stored = dict(
        session.execute(
            sa.select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id.in_(ids))
        ).all()
    )
    last = session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    for checkpoint in sorted(checkpoints, key=lambda c: c.event_id):
        if checkpoint.event_id not in stored:
            return _broken(result, "cut", checkpoint.event_id, at=checkpoint.at[:19], last=last)
        if stored[checkpoint.event_id] != checkpoint.hash:
            return _broken(result, "checkpoint_hash", checkpoint.event_id, at=checkpoint.at[:19])
    counted = [c for c in checkpoints if c.count is not None]
    if counted:
        newest = max(counted, key=lambda c: c.event_id)
        found = session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.id <= newest.event_id)
        )
        if found != newest.count:
            return _broken(
                result,
                "count",
                newest.event_id,
                at=newest.at[:19],
                expected=newest.count,
                found=found,
            )
    return result


def verify(
    session: Session,
    *,
    incremental: bool = False,
    app=None,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
    record_checkpoint: bool = True,
) -> VerifyResult:
    """Verify the chain (fully, or from the newest verification checkpoint) and compare it with
    every checkpoint kept outside the database. On success a new checkpoint is appended."""
    app = app or current_app
    key = audit_key(app)
    checkpoints, bad_lines = read_checkpoints(app)
    if bad_lines:
        return VerifyResult(False, problem="checkpoint_signature", params={"line": bad_lines[0]})
    head, head_valid = read_head(app)
    if not head_valid:
        return VerifyResult(False, problem="checkpoint_signature", params={"line": HEAD_FILE})
    start = None
    if incremental and checkpoints:
        start = max(checkpoints, key=lambda c: c.event_id)
    result = _walk(session, key, start, batch, progress)
    if result.ok:
        result = _check_checkpoints(session, result, checkpoints + ([head] if head else []))
    if result.ok and record_checkpoint and result.last_id:
        append_checkpoint(
            Checkpoint(result.last_id, result.last_hash, utcnow().isoformat(), result.count), app
        )
    return result


def rehash_all(connection, key: bytes) -> int:
    """Re-hash every event with `key` (the upgrade from the unkeyed chain). The caller drops and
    reinstalls the append-only guards around it. Returns how many events were re-hashed."""
    table = AuditEvent.__table__
    columns = [table.c.id] + [table.c[f] for f in CHAIN_FIELDS]
    rows = connection.execute(sa.select(*columns).order_by(table.c.id)).all()
    prev = GENESIS
    for row in rows:
        values = dict(row._mapping)
        values["prev_hash"] = prev
        new_hash = event_hash(key, _Row(values))
        connection.execute(
            table.update().where(table.c.id == row.id).values(prev_hash=prev, hash=new_hash)
        )
        prev = new_hash
    return len(rows)


class _Row:
    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)
