"""Domain rules of the inspections package: the checklist catalogue, who is on duty, patrol
rounds and spot checks, findings, and inspections sent by a phone in one request.

Services are plain functions `(session, actor, ...)`: they flush and never commit, and refuse an
action by raising a `compliance.domain.DomainError` kind with a stable code ("inspections.…").

A round is an `Inspection` in status draft: failures are saved as they are marked (so a round can
be resumed), everything else passes by default. Submitting writes the full set of results against
the item versions in force and turns each failure into a `Finding`, all in the caller's single
transaction.
"""

from __future__ import annotations

from ..access import can_view_finding  # noqa: F401  (re-exported: the rectification contract)
from .catalogue import active_items, create_check_item, update_check_item
from .findings import submit_round
from .roster import DutyEntry, SiteRoster, site_roster
from .rounds import (
    Target,
    attach_photo_to_result,
    detach_photos,
    draft_failures,
    may_work_on,
    parse_device_time,
    record_failure,
    remove_failure,
    require_photo,
    round_targets,
    set_location,
    start_round,
    target_of,
)
from .sync import attach_uploaded_photo, content_hash, create_inspection, upload_inspection_photo

__all__ = [
    "DutyEntry",
    "SiteRoster",
    "Target",
    "active_items",
    "attach_photo_to_result",
    "attach_uploaded_photo",
    "content_hash",
    "create_check_item",
    "create_inspection",
    "detach_photos",
    "draft_failures",
    "may_work_on",
    "parse_device_time",
    "record_failure",
    "remove_failure",
    "require_photo",
    "round_targets",
    "set_location",
    "site_roster",
    "start_round",
    "submit_round",
    "target_of",
    "update_check_item",
    "upload_inspection_photo",
]
