"""Administrator-tuned settings stored in the database, with defaults declared by each package."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from .models import Setting

DEFAULTS: dict[str, Any] = {}


def declare(key: str, default: Any) -> None:
    """Declare a setting and its default (called at import time by the owning package)."""
    DEFAULTS.setdefault(key, default)


def get_setting(session: Session, key: str) -> Any:
    row = session.get(Setting, key)
    if row is not None:
        return row.value
    if key not in DEFAULTS:
        raise KeyError(f"undeclared setting {key}")
    return DEFAULTS[key]


def set_setting(session: Session, actor, key: str, value: Any) -> None:
    """Change a setting and audit it."""
    from .audit import record

    row = session.get(Setting, key)
    before = {"value": row.value if row else DEFAULTS.get(key)}
    if row is None:
        row = Setting(key=key, value=value)
        session.add(row)
    else:
        row.value = value
    session.flush()
    record(
        session,
        actor,
        "setting.update",
        entity_type="Setting",
        entity_id=key,
        before=before,
        after={"value": value},
    )
