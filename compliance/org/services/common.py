"""Shared helpers of the organisation rules: cleaning input, codes, inserts that may clash."""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...audit import snapshot
from ...domain import N_ as _
from ...domain import ConflictError, DomainError
from ...models import (
    SITE_KINDS,
)

logger = logging.getLogger(__name__)

CONFLICT_KINDS = ("relative", "interest", "other")
SITE_RANK = {kind: rank for rank, kind in enumerate(SITE_KINDS)}  # centre < hall < station
PHONE_RE = re.compile(r"^[0-9+\-() ]{5,32}$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")


# --------------------------------------------------------------------------- helpers


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _optional(value: str | None) -> str | None:
    value = _clean(value)
    return value or None


def _require(value: str | None, field: str, message: str) -> str:
    value = _clean(value)
    if not value:
        raise DomainError("org.required", message, field=field)
    return value


def _check_code(code: str, field: str = "code") -> str:
    if not CODE_RE.match(code):
        raise DomainError(
            "org.code_format",
            _("A code may only contain letters, digits, '-', '_' and '.' (at most 32)."),
            field=field,
        )
    return code


def _insert(
    session: Session, obj: Any, message: str, field: str | None = None, **params: Any
) -> None:
    """Add and flush `obj` in a savepoint. The checks above catch clashes in the normal case; a
    concurrent transaction that slipped past them trips a unique index instead, which becomes the
    same user-facing refusal (409) rather than an internal error."""
    try:
        with session.begin_nested():
            session.add(obj)
            session.flush()
    except IntegrityError as exc:
        logger.info(
            "insert of %s refused by the database: %s", type(obj).__name__, type(exc.orig).__name__
        )
        raise ConflictError("org.duplicate", message, field=field, **params) from exc


def _changed(obj: Any, values: dict) -> dict:
    """Apply `values` to `obj`; return the previous snapshot when something changed, else {}."""
    before = snapshot(obj)
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return before if changed else {}
