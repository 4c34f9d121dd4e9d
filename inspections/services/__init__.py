"""Domain rules of the inspections package: the checklist catalogue, who is on duty, patrol
rounds and spot checks (opened and signed by every drawn inspector), findings, the plausibility
flags of submitted rounds, and inspections sent by a phone in one request.

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
from .plausibility import flag_implausible
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
from .spot_checks import open_spot_check, redraw_inspector, sign_spot_check
from .sync import attach_uploaded_photo, content_hash, create_inspection, upload_inspection_photo
from .team import team_member, took_part, unsigned_members

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
    "flag_implausible",
    "may_work_on",
    "open_spot_check",
    "parse_device_time",
    "record_failure",
    "redraw_inspector",
    "remove_failure",
    "require_photo",
    "round_targets",
    "set_location",
    "sign_spot_check",
    "site_roster",
    "start_round",
    "submit_round",
    "target_of",
    "team_member",
    "took_part",
    "unsigned_members",
    "update_check_item",
    "upload_inspection_photo",
]
