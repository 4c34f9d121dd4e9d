"""Writing one step of the loop: the version check, the rectification row written first (so two
racing writers conflict there and nowhere else), the text rule, and the timeline event with its
audit entry."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from compliance import limits
from compliance.audit import record, snapshot
from compliance.domain import N_, StaleError
from compliance.limits import checked_text
from compliance.models import User

from ...models import Photo
from ..models import Rectification, RectificationEvent

MAX_TEXT = limits.RECTIFICATION_TEXT


def changed() -> StaleError:
    """The refusal for a rectification someone else changed since it was loaded."""
    return StaleError(
        "rectification.changed",
        N_(
            "This rectification has changed in the meantime; reload the page "
            "to see its current state."
        ),
    )


def check_version(rect: Rectification, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != rect.version:
        raise changed()


def flush_change(session: Session, rect: Rectification) -> None:
    """Write the rectification row first (UPDATE ... WHERE version = :loaded): a concurrent
    change makes it match no row. Done before any other write so two racing transactions
    conflict here and nowhere else."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise changed() from exc
    except sa.exc.OperationalError as exc:
        # SQLite refuses a write from a transaction whose snapshot another writer has
        # overtaken ("database is locked"): the same race, reported the same way.
        if session.get_bind().dialect.name == "sqlite" and "locked" in str(exc.orig):
            raise changed() from exc
        raise


def clean_text(
    text: str | None, required_message: str | None = None, *, field: str = "text"
) -> str | None:
    """The text as typed (None when blank), within `limits.RECTIFICATION_TEXT`. Raises
    InvalidError ("rectification.text_required" or "rectification.text_too_long")."""
    return checked_text(
        text,
        MAX_TEXT,
        field=field,
        required=required_message,
        required_code="rectification.text_required",
        code="rectification.text_too_long",
    )


def add_event(
    session: Session,
    actor: User | None,
    rect: Rectification,
    kind: str,
    text: str | None = None,
    photos: Sequence[Photo] = (),
    data: dict | None = None,
    before: dict | None = None,
) -> RectificationEvent:
    event = RectificationEvent(
        rectification_id=rect.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        text=text,
        status_after=rect.status,
        deadline_after=rect.deadline_on,
        data=data,
    )
    event.photos = list(photos)
    session.add(event)
    session.flush()
    after = snapshot(rect)
    if photos:
        after["photo_ids"] = [p.id for p in photos]
    record(session, actor, f"rectification.{kind}", rect, before=before, after=after, reason=text)
    return event
