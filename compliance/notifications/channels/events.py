"""The events an administrator may send to a group, and what may never go there."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Public names: feature packages pass these to `enqueue_group_notice`.
RECTIFICATION_OVERDUE = "rectification.overdue"
RECTIFICATION_ESCALATED = "rectification.escalated"
DAILY_SUMMARY = "rectification.daily_summary"
PATROL_MISSING = "patrol.missing"
DRAW_PUBLISHED = "draw.published"
BULLETIN_PUBLISHED = "bulletin.published"
TEST = "channel.test"  # the administrator's test message; not a subscribable event

EVENTS = {
    RECTIFICATION_OVERDUE: _l("Overdue rectifications (one message per site and day)"),
    RECTIFICATION_ESCALATED: _l("Rectifications escalated to the discipline office"),
    DAILY_SUMMARY: _l("Daily summary of the site's open rectifications"),
    PATROL_MISSING: _l("Missing patrol rounds"),
    DRAW_PUBLISHED: _l("Published spot-check draws (一公开)"),
    BULLETIN_PUBLISHED: _l("Published bulletins (通报)"),
}
DEFAULT_EVENTS = (RECTIFICATION_ESCALATED, DAILY_SUMMARY, PATROL_MISSING, DRAW_PUBLISHED)

# Integrity leads (问题线索) are handled in confidence by the discipline office: nothing about them
# goes to a group, whatever a caller passes.
CONFIDENTIAL_EVENT_PREFIXES = ("integrity.",)
CONFIDENTIAL_ENTITY_PREFIXES = ("Integrity",)
_confidential_types: set[str] = set()


def mark_confidential(entity_type: str) -> None:
    """Declare a model (by class name) whose records never reach a group channel."""
    _confidential_types.add(entity_type)


def is_confidential(event: str, entity_type: str | None, entity=None) -> bool:
    if event.startswith(CONFIDENTIAL_EVENT_PREFIXES):
        return True
    if entity is not None and (
        getattr(entity, "is_confidential", False) is True
        or getattr(type(entity), "__confidential__", False)
    ):
        return True
    if entity_type and (
        entity_type in _confidential_types or entity_type.startswith(CONFIDENTIAL_ENTITY_PREFIXES)
    ):
        return True
    return False
