"""Pages to browse and filter the audit trail (read-only) and to verify its hash chain.

Administrators and discipline officers read the trail. A user limited to some sites sees the events
about records of those sites (sites, windows, staff, assignments, leave, and whatever feature
packages declare with `register_audit_scope`) plus the events they caused themselves.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, ValidationError
from wtforms.validators import Length, Optional

from .access import roles_required, scope_ids
from .audit import verify_chain
from .db import db
from .models import Assignment, AuditEvent, Leave, Site, StaffMember, User, Window
from .timeutil import local_day_bounds_utc

logger = logging.getLogger(__name__)

bp = Blueprint("audit", __name__, url_prefix="/audit")

PER_PAGE = 50

#: entity_type -> function(site_ids) returning a SELECT of the entity ids (as strings) in scope.
_SCOPED_ENTITIES: dict[str, Callable[[set[int]], sa.Select]] = {}


def register_audit_scope(entity_type: str, ids_in_sites: Callable[[set[int]], sa.Select]) -> None:
    """Declare how to tell which `entity_type` events a site-scoped reader may see.

    `ids_in_sites(site_ids)` returns a SELECT of one string column: the ids of the records of that
    type that belong to those sites.
    """
    _SCOPED_ENTITIES[entity_type] = ids_in_sites


def _ids_where(model, site_column) -> Callable[[set[int]], sa.Select]:
    return lambda site_ids: sa.select(sa.cast(model.id, sa.String)).where(site_column.in_(site_ids))


register_audit_scope("Site", _ids_where(Site, Site.id))
register_audit_scope("Window", _ids_where(Window, Window.site_id))
register_audit_scope("StaffMember", _ids_where(StaffMember, StaffMember.site_id))
register_audit_scope("Assignment", _ids_where(Assignment, Assignment.site_id))
register_audit_scope(
    "Leave",
    lambda site_ids: (
        sa.select(sa.cast(Leave.id, sa.String))
        .join(StaffMember, StaffMember.id == Leave.staff_member_id)
        .where(StaffMember.site_id.in_(site_ids))
    ),
)


def site_events_clause(site_ids: set[int]) -> sa.ColumnElement[bool]:
    """Events about records that belong to the given sites."""
    if not site_ids:
        return sa.false()
    return sa.or_(
        *(
            sa.and_(
                AuditEvent.entity_type == entity_type,
                AuditEvent.entity_id.in_(ids_in_sites(site_ids)),
            )
            for entity_type, ids_in_sites in _SCOPED_ENTITIES.items()
        )
    )


def scope_clause(user: User | None) -> sa.ColumnElement[bool]:
    """Which audit events `user` may read (None: a system export, everything)."""
    site_ids = scope_ids(user) if user is not None else None
    if site_ids is None:
        return sa.true()
    return sa.or_(AuditEvent.actor_id == user.id, site_events_clause(site_ids))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField(_l("Actor (username)"), validators=[Optional(), Length(max=64)])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    entity_type = StringField(_l("Record type"), validators=[Optional(), Length(max=64)])
    entity_id = StringField(_l("Record id"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


@dataclass
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def events_query(filters: AuditFilters, user: User) -> sa.Select:
    """Audit events matching the filters that `user` may read, newest first.

    `action` matches a whole action ("user.create") or a prefix ending with a dot ("user.").
    """
    stmt = sa.select(AuditEvent).where(scope_clause(user)).order_by(AuditEvent.id.desc())
    if filters.actor:
        # Filter on the indexed actor_id; "system" is the name of events without a user.
        name = filters.actor.strip()
        if name == "system":
            stmt = stmt.where(AuditEvent.actor_id.is_(None))
        else:
            actor_id = db.session.scalar(sa.select(User.id).where(User.username == name))
            stmt = stmt.where(AuditEvent.actor_id == actor_id if actor_id else sa.false())
    if filters.action:
        action = filters.action.strip()
        if action.endswith("."):
            stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == action)
    if filters.entity_type:
        stmt = stmt.where(AuditEvent.entity_type == filters.entity_type.strip())
    if filters.entity_id:
        stmt = stmt.where(AuditEvent.entity_id == filters.entity_id.strip())
    if filters.date_from:
        stmt = stmt.where(AuditEvent.at >= local_day_bounds_utc(filters.date_from)[0])
    if filters.date_to:
        stmt = stmt.where(AuditEvent.at < local_day_bounds_utc(filters.date_to)[1])
    return stmt


def _display(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def diff_rows(before: dict | None, after: dict | None) -> list[dict]:
    """One row per field of before/after: its old and new value and whether it changed."""
    before = before or {}
    after = after or {}
    rows = []
    for key in sorted(set(before) | set(after)):
        old = before.get(key)
        new = after.get(key)
        rows.append(
            {
                "field": key,
                "before": _display(old) if key in before else "",
                "after": _display(new) if key in after else "",
                "changed": key not in before or key not in after or old != new,
            }
        )
    return rows


@bp.route("")
@roles_required("admin", "discipline")
def events():
    form = AuditFilterForm(request.args)
    valid = form.validate()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows: list[AuditEvent] = []
    has_next = False
    if valid:
        filters = AuditFilters(
            actor=form.actor.data or None,
            action=form.action.data or None,
            entity_type=form.entity_type.data or None,
            entity_id=form.entity_id.data or None,
            date_from=form.date_from.data,
            date_to=form.date_to.data,
        )
        # No COUNT(*) over a table of millions of rows: fetch one extra row to know if more follow.
        rows = list(
            db.session.scalars(
                events_query(filters, current_user)
                .offset((page - 1) * PER_PAGE)
                .limit(PER_PAGE + 1)
            )
        )
        has_next = len(rows) > PER_PAGE
        rows = rows[:PER_PAGE]
    args = {k: v for k, v in request.args.items() if k != "page"}
    last_check = last_nightly_check() if current_user.has_role("admin") else None
    return render_template(
        "audit/events.html",
        form=form,
        events=rows,
        page=page,
        has_next=has_next,
        args=args,
        last_check=last_check,
    ), (200 if valid else 400)


def last_nightly_check():
    """The latest finished run of the nightly chain check, if any."""
    from .scheduler.models import JobRun

    return db.session.scalar(
        sa.select(JobRun)
        .where(JobRun.job == "audit.verify_chain", JobRun.outcome.in_(("success", "failed")))
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .limit(1)
    )


@bp.route("/<int:event_id>")
@roles_required("admin", "discipline")
def event(event_id: int):
    row = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.id == event_id, scope_clause(current_user))
    )
    if row is None:
        abort(404)
    return render_template("audit/event.html", event=row, rows=diff_rows(row.before, row.after))


PROBLEM_LABELS = {
    "link to previous event is broken": _l(
        "the link to the previous event is broken (an event was removed or inserted)"
    ),
    "content does not match its hash": _l(
        "the content does not match its hash (the event was changed)"
    ),
}


@bp.route("/verify", methods=["POST"])
@roles_required("admin")
def verify():
    result = verify_chain(db.session)
    logger.info(
        "audit chain verified by %s: ok=%s checked=%s broken=%s",
        current_user.id,
        result.ok,
        result.checked,
        result.broken_id,
    )
    problem = PROBLEM_LABELS.get(result.problem or "", result.problem)
    return render_template("audit/verify.html", result=result, problem_label=problem)


def _changes(before: dict | None, after: dict | None) -> str:
    """The changed fields of an event as one line: "field: old → new; ..."."""
    if before is None:
        return ""
    return "; ".join(
        f"{row['field']}: {row['before']} → {row['after']}"
        for row in diff_rows(before, after)
        if row["changed"]
    )


def _ledger_stmt(session, user, filters) -> sa.Select:
    start = local_day_bounds_utc(filters["date_from"])[0]
    end = local_day_bounds_utc(filters["date_to"])[1]
    stmt = sa.select(
        AuditEvent.at,
        AuditEvent.actor_name,
        AuditEvent.action,
        AuditEvent.entity_type,
        AuditEvent.entity_id,
        AuditEvent.reason,
        AuditEvent.before,
        AuditEvent.after,
        AuditEvent.hash,
        AuditEvent.id.label("k1"),
    ).where(AuditEvent.at >= start, AuditEvent.at < end, scope_clause(user))
    if filters.get("site_ids") is not None:
        stmt = stmt.where(site_events_clause(filters["site_ids"]))
    return stmt


def _ledger_rows(session, user, filters):
    from .ledgers import keyset_stream

    stmt = _ledger_stmt(session, user, filters)
    for row in keyset_stream(session, stmt, (stmt.selected_columns.k1,)):
        at, actor, action, entity_type, entity_id, reason, before, after, digest, event_id = row
        yield (
            event_id,
            at,
            actor,
            action,
            entity_type,
            entity_id,
            _changes(before, after),
            reason,
            digest,
        )


def _ledger_count(session, user, filters) -> int:
    from .ledgers import count_of

    return count_of(session, _ledger_stmt(session, user, filters))


def register_audit_ledger(app) -> None:
    """The audit trail as an Excel ledger for discipline officers and administrators."""
    from .ledgers import Column, Ledger, register_ledger

    register_ledger(
        app,
        Ledger(
            code="audit_trail",
            title=_l("Audit trail ledger"),
            description=_l(
                "Every recorded change in the period: who, what, which record, old and new values."
            ),
            roles=frozenset({"admin", "discipline"}),
            columns=[
                Column("event", _l("Event"), "int", 9),
                Column("at", _l("Time"), "datetime", 17),
                Column("actor", _l("Actor"), "text", 14),
                Column("action", _l("Action"), "text", 24),
                Column("entity_type", _l("Record type"), "text", 16),
                Column("entity_id", _l("Record id"), "text", 10),
                Column("changes", _l("Changes"), "user_text", 60),
                Column("reason", _l("Reason"), "user_text", 30),
                Column("hash", _l("Hash"), "text", 20),
            ],
            rows=_ledger_rows,
            count=_ledger_count,
            date_label=_l("Events recorded in the period"),
            order=190,
        ),
    )


def verify_chain_job(app, run_on: date) -> dict:
    """Nightly check of the hash chain. When it is broken, every active administrator is notified
    once per broken event (the dedupe key names it), however often the job runs."""
    from flask_babel import force_locale, gettext

    from .models import UserRole
    from .notifications import notify

    with app.app_context():
        result = verify_chain(db.session)
        notified = 0
        if not result.ok:
            logger.error("audit chain broken at event %s: %s", result.broken_id, result.problem)
            admins = db.session.scalars(
                sa.select(User)
                .join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == "admin", User.active.is_(True))
            ).all()
            for admin in admins:
                with force_locale(admin.locale or app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
                    title = gettext(
                        "The audit trail has been altered at event %(id)s", id=result.broken_id
                    )
                    body = gettext(
                        "Open the audit trail and verify the chain; report this to "
                        "the discipline officer."
                    )
                notified += len(
                    notify(
                        db.session,
                        admin,
                        "audit.chain_broken",
                        title,
                        body=body,
                        link=f"/audit/{result.broken_id}",
                        dedupe_key=f"audit-chain-broken:{result.broken_id}",
                    )
                )
        db.session.commit()
        return {
            "events_checked": result.checked,
            "broken_event": result.broken_id or 0,
            "admins_notified": notified,
        }


def init_app(app) -> None:
    """Register the audit trail pages and the nightly chain check."""
    from .scheduler import register_job
    from .ui import register_nav

    app.register_blueprint(bp)
    register_nav(app, "audit.events", _l("Audit trail"), roles=("admin", "discipline"), order=950)
    register_audit_ledger(app)
    register_job(
        app,
        "audit.verify_chain",
        verify_chain_job,
        _l("Recompute the audit trail's hash chain; tell administrators if it is broken"),
        hour=2,
        minute=15,
    )
