"""Words for the audit trail ledger: what each action code, record type and field is called, and
how a record's id becomes its name.

The core declares its own here; each feature package declares its actions, record types and
namers with `register_audit_labels` from its `ledgers.py` (the core never imports a feature
package). An action without a label of its own is named from its record type and its verb
("rotation_plan.approve" -> "轮岗计划：批准"), so a new action still reads as words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import lazy_pgettext as _lp
from flask_babel import pgettext

from .models import Assignment, Post, Site, StaffMember, User, Window

# (session, ids) -> {id: name}; ids are the integer ids still to be named.
Namer = Callable[[Any, set[int]], dict[int, str]]

VERB_LABELS = {
    "create": _lp("audit verb", "created"),
    "update": _lp("audit verb", "changed"),
    "delete": _lp("audit verb", "deleted"),
    "end": _lp("audit verb", "ended"),
    "submit": _lp("audit verb", "submitted"),
    "approve": _lp("audit verb", "approved"),
    "return": _lp("audit verb", "returned"),
    "execute": _lp("audit verb", "executed"),
    "revoke": _lp("audit verb", "revoked"),
    "cancel": _lp("audit verb", "cancelled"),
    "confirm": _lp("audit verb", "confirmed"),
    "publish": _lp("audit verb", "published"),
    "export": _lp("audit verb", "exported"),
    "import": _lp("audit verb", "imported"),
}

CORE_ACTIONS = {
    "user.create": _lp("audit action", "User account created"),
    "user.update": _lp("audit action", "User account changed"),
    "user.update_self": _lp("audit action", "Own account settings changed"),
    "user.change_password": _lp("audit action", "Own password changed"),
    "user.reset_password": _lp("audit action", "Password reset by an administrator"),
    "user.activate": _lp("audit action", "User account reactivated"),
    "user.deactivate": _lp("audit action", "User account deactivated"),
    "api_token.create": _lp("audit action", "API token issued"),
    "api_token.revoke": _lp("audit action", "API tokens revoked"),
    "site.create": _lp("audit action", "Site created"),
    "site.update": _lp("audit action", "Site changed"),
    "window.create": _lp("audit action", "Window created"),
    "window.update": _lp("audit action", "Window changed"),
    "post.create": _lp("audit action", "Post created"),
    "post.update": _lp("audit action", "Post changed"),
    "staff.create": _lp("audit action", "Staff member added"),
    "staff.update": _lp("audit action", "Staff member changed"),
    "staff_member.update": _lp("audit action", "Staff member changed"),
    "assignment.create": _lp("audit action", "Assignment to a post started"),
    "assignment.update": _lp("audit action", "Assignment changed"),
    "assignment.end": _lp("audit action", "Assignment ended"),
    "leave.create": _lp("audit action", "Leave recorded"),
    "leave.update": _lp("audit action", "Leave changed"),
    "conflict.create": _lp("audit action", "Conflict of interest recorded"),
    "conflict.update": _lp("audit action", "Conflict of interest changed"),
    "roster.import": _lp("audit action", "Staff roster imported"),
    "roster.create_batch": _lp("audit action", "Staff added by a roster import (one batch)"),
    "roster.update_batch": _lp("audit action", "Staff changed by a roster import (one batch)"),
    "roster.import_queue": _lp(
        "audit action", "Large roster import confirmed (runs in the background)"
    ),
    "setting.update": _lp("audit action", "Setting changed"),
    "ledger.export": _lp("audit action", "Ledger exported"),
    "ledger.download": _lp("audit action", "Archived monthly report downloaded"),
    "job_run.request": _lp("audit action", "Scheduled job run by hand"),
    "audit.verify_request": _lp("audit action", "Check of the audit trail requested"),
    "demo.load": _lp("audit action", "Demo data loaded"),
    "group_channel.create": _lp("audit action", "Group robot added"),
    "group_channel.update": _lp("audit action", "Group robot changed"),
    "group_channel.test": _lp("audit action", "Test message sent to a group"),
    "group_send.retry": _lp("audit action", "Group message sent again"),
}

CORE_RECORDS = {
    "User": _lp("audit record", "User account"),
    "ApiToken": _lp("audit record", "API token"),
    "Site": _lp("audit record", "Site"),
    "Window": _lp("audit record", "Window"),
    "Post": _lp("audit record", "Post"),
    "StaffMember": _lp("audit record", "Staff member"),
    "Assignment": _lp("audit record", "Assignment"),
    "Leave": _lp("audit record", "Leave"),
    "Conflict": _lp("audit record", "Conflict of interest"),
    "RosterImport": _lp("audit record", "Roster import"),
    "Setting": _lp("audit record", "Setting"),
    "Ledger": _lp("audit record", "Ledger"),
    "JobRun": _lp("audit record", "Scheduled job"),
    "GroupChannel": _lp("audit record", "Group robot"),
    "GroupSend": _lp("audit record", "Group message"),
    "-": _lp("audit record", "(none)"),
}

CORE_FIELDS = {
    "display_name": _lp("audit field", "Display name"),
    "username": _lp("audit field", "User name"),
    "email": _lp("audit field", "E-mail"),
    "locale": _lp("audit field", "Language"),
    "email_opt_out": _lp("audit field", "No e-mail copies"),
    "active": _lp("audit field", "Active"),
    "roles": _lp("audit field", "Roles"),
    "sites": _lp("audit field", "Sites"),
    "all_sites": _lp("audit field", "All sites"),
    "name": _lp("audit field", "Name"),
    "code": _lp("audit field", "Code"),
    "kind": _lp("audit field", "Kind"),
    "status": _lp("audit field", "Status"),
    "note": _lp("audit field", "Note"),
    "reason": _lp("audit field", "Reason"),
    "site_id": _lp("audit field", "Site"),
    "window_id": _lp("audit field", "Window"),
    "post_id": _lp("audit field", "Post"),
    "staff_member_id": _lp("audit field", "Staff member"),
    "staff_no": _lp("audit field", "Staff number"),
    "started_on": _lp("audit field", "Starts on"),
    "ended_on": _lp("audit field", "Ended on"),
    "hired_on": _lp("audit field", "Hired on"),
    "first_day": _lp("audit field", "First day"),
    "last_day": _lp("audit field", "Last day"),
    "created_at": _lp("audit field", "Created at"),
    "ledger": _lp("audit field", "Ledger"),
    "rows": _lp("audit field", "Rows"),
    "route": _lp("audit field", "Route"),
    "file": _lp("audit field", "File"),
    "month": _lp("audit field", "Month"),
    "from": _lp("audit field", "From"),
    "to": _lp("audit field", "To"),
    "filters": _lp("audit field", "Filters"),
    "actor_id": _lp("audit field", "By"),
    "user_id": _lp("audit field", "User"),
    "author_id": _lp("audit field", "Written by"),
    "inspector_id": _lp("audit field", "Inspector"),
    "recorded_by_id": _lp("audit field", "Recorded by"),
    "decided_by_id": _lp("audit field", "Decided by"),
    "approved_by_id": _lp("audit field", "Approved by"),
    "confirmed_by_id": _lp("audit field", "Confirmed by"),
    "created_by_id": _lp("audit field", "Created by"),
    "responded_by_id": _lp("audit field", "Responded by"),
    "verified_by_id": _lp("audit field", "Verified by"),
    "found_by_id": _lp("audit field", "Found by"),
    "responsible_staff_id": _lp("audit field", "Responsible person"),
    "supervisor_staff_id": _lp("audit field", "Supervisor"),
    "keeper_staff_id": _lp("audit field", "Keeper"),
    "staff_a_id": _lp("audit field", "First person"),
    "staff_b_id": _lp("audit field", "Second person"),
    "mentor_id": _lp("audit field", "Mentor"),
    "mentee_id": _lp("audit field", "Mentee"),
    "predecessor_id": _lp("audit field", "Hands over from"),
    "parent_id": _lp("audit field", "Parent site"),
    "is_active": _lp("audit field", "In use"),
    "is_key": _lp("audit field", "Key post"),
    "sort_order": _lp("audit field", "Order"),
    "target": _lp("audit field", "Checked target"),
    "current_version_id": _lp("audit field", "Current version"),
    "address": _lp("audit field", "Address"),
    "phone": _lp("audit field", "Phone"),
    "description": _lp("audit field", "Description"),
    "value": _lp("audit field", "Value"),
}

ROUTE_LABELS = {
    "web": _lp("export route", "reports page"),
    "api": _lp("export route", "API"),
    "cli": _lp("export route", "command line"),
    "monthly": _lp("export route", "monthly job"),
    "bench": _lp("export route", "benchmark"),
}

# Fields holding the id of a user, a staff member, a site, a window or a post: shown by name.
_FIELD_KINDS = (
    (re.compile(r"^(actor_id|user_id|author_id|inspector_id|\w+_by_id)$"), "User"),
    (
        re.compile(
            r"^(staff_member_id|\w+_staff_id|staff_[ab]_id|mentor_id|mentee_id|predecessor_id"
            r"|staff_id)$"
        ),
        "StaffMember",
    ),
    (re.compile(r"^(site_id|\w+_site_id|parent_id)$"), "Site"),
    (re.compile(r"^(window_id|\w+_window_id)$"), "Window"),
    (re.compile(r"^(post_id|\w+_post_id)$"), "Post"),
)


def field_kind(field: str) -> str | None:
    """The record type a field's value is the id of (None: not an id shown by name)."""
    for pattern, kind in _FIELD_KINDS:
        if pattern.match(field):
            return kind
    return None


def _names(column_id, column_name) -> Namer:
    def namer(session, ids: set[int]) -> dict[int, str]:
        stmt = sa.select(column_id, column_name).where(column_id.in_(ids))
        return dict(session.execute(stmt).all())

    return namer


CORE_NAMERS: dict[str, Namer] = {
    "User": _names(User.id, User.display_name + " (" + User.username + ")"),
    "Site": _names(Site.id, Site.name),
    "Window": _names(Window.id, Window.code + " " + Window.name),
    "Post": _names(Post.id, Post.name),
    "StaffMember": _names(StaffMember.id, StaffMember.name + " (" + StaffMember.staff_no + ")"),
}


def _assignment_names(session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(
        sa.select(Assignment.id, StaffMember.name, Post.name)
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .join(Post, Post.id == Assignment.post_id)
        .where(Assignment.id.in_(ids))
    )
    return {i: f"{person} · {post}" for i, person, post in rows.all()}


CORE_NAMERS["Assignment"] = _assignment_names


def register_audit_labels(
    app: Flask,
    *,
    actions: dict[str, Any] | None = None,
    records: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    namers: dict[str, Namer] | None = None,
) -> None:
    """Declare the words of a package's audit events (called from its ledgers.init_app)."""
    labels = app.extensions.setdefault(
        "compliance_audit_labels",
        {"actions": {}, "records": {}, "fields": {}, "namers": {}},
    )
    labels["actions"].update(actions or {})
    labels["records"].update(records or {})
    labels["fields"].update(fields or {})
    labels["namers"].update(namers or {})


def _registered(kind: str, app: Flask | None = None) -> dict:
    app = app or current_app
    return app.extensions.get("compliance_audit_labels", {}).get(kind, {})


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def record_label(entity_type: str, app: Flask | None = None) -> str | None:
    label = _registered("records", app).get(entity_type) or CORE_RECORDS.get(entity_type)
    return str(label) if label is not None else None


def action_label(action: str, app: Flask | None = None) -> str | None:
    """The words for an action code, or None when neither the action nor its record type and
    verb are known."""
    label = _registered("actions", app).get(action) or CORE_ACTIONS.get(action)
    if label is not None:
        return str(label)
    subject, _dot, verb = action.rpartition(".")
    verb_label = VERB_LABELS.get(verb)
    by_prefix = {
        _snake(entity): label
        for entity, label in {**CORE_RECORDS, **_registered("records", app)}.items()
    }
    subject_label = by_prefix.get(subject.replace(".", "_")) or by_prefix.get(subject.split(".")[0])
    if verb_label is None or subject_label is None:
        return None
    return pgettext("audit action", "%(record)s %(verb)s") % {
        "record": subject_label,
        "verb": verb_label,
    }


def field_label(field: str, app: Flask | None = None) -> str:
    """A field's name in words ("recorded_by_id" without a label of its own: "recorded by")."""
    label = _registered("fields", app).get(field) or CORE_FIELDS.get(field)
    if label is not None:
        return str(label)
    return re.sub(r"_id$", "", field).replace("_", " ")


def names_for(session, wanted: dict[str, Iterable], app: Flask | None = None) -> dict:
    """{(record type, id): name} for the ids still in the database, one query per type."""
    namers = {**CORE_NAMERS, **_registered("namers", app)}
    out = {}
    for entity_type, ids in wanted.items():
        namer = namers.get(entity_type)
        numbers = {int(i) for i in ids if str(i).isdigit()}
        if namer is None or not numbers:
            continue
        for key, name in namer(session, numbers).items():
            out[(entity_type, int(key))] = name
    return out
