"""Roster import in two steps: `preview` stores what the file would do (nothing else is written);
`confirm` applies exactly that plan, or refuses when the staff data changed since. A large plan
is applied by the background job `org.roster_import` (progress on its run)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import date

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from ...audit import record
from ...db import db, utcnow
from ...domain import N_ as _
from ...domain import ConflictError, DomainError, InvalidError, NotFoundError, StaleError
from ...models import User
from ...scheduler.registry import current_run_id, queue_run, report_progress
from ..models import RosterImport
from .applying import Applied, apply_plan
from .planning import Plan, References, build_plan, load_people, plan_staff_numbers, state_digest
from .reading import read_rows

logger = logging.getLogger(__name__)

JOB = "org.roster_import"
BACKGROUND_ROWS = 200  # more rows to write than this: applied by the background job


STALE = _(
    "The staff data changed after this preview was made; upload the file again to see a fresh "
    "preview."
)


def preview(
    session: Session,
    actor: User,
    data: bytes,
    *,
    filename: str = "",
    scope: set[int] | None = None,
    today: date,
) -> tuple[RosterImport | None, Plan]:
    """Read and check the file and store its plan under a new token. Returns (stored preview,
    plan); when rows have errors nothing is stored and the plan carries them. Raises
    RosterFileError for an unusable file."""
    rows = read_rows(data)
    refs = References.load(session)
    plan = build_plan(session, rows, scope, today, refs=refs)
    if plan.errors:
        return None, plan
    numbers = plan_staff_numbers(plan.as_json())
    digest = state_digest(load_people(session, numbers), numbers, refs)
    imp = RosterImport(
        token=secrets.token_urlsafe(24),
        sha256=hashlib.sha256(data).hexdigest(),
        filename=(filename or "roster.xlsx")[:200],
        uploaded_by_id=actor.id,
        made_on=today,
        scope=sorted(scope) if scope is not None else None,
        state_digest=digest,
        status="preview",
        rows=plan.rows,
        to_create=len(plan.create),
        to_change=len(plan.change),
        unchanged=len(plan.unchanged),
        skipped=len(plan.skipped),
        plan=plan.as_json(),
    )
    session.add(imp)
    session.flush()
    logger.info(
        "roster preview %s: %s to create, %s to change, %s unchanged",
        imp.id,
        imp.to_create,
        imp.to_change,
        imp.unchanged,
    )
    return imp, plan


def get_preview(session: Session, actor: User, token: str) -> RosterImport:
    """The uploader's own preview with this token. Raises NotFoundError otherwise."""
    imp = session.scalar(
        sa.select(RosterImport)
        .options(undefer(RosterImport.plan))
        .where(RosterImport.token == (token or "")[:64])
    )
    if imp is None or imp.uploaded_by_id != actor.id:
        raise NotFoundError("org.roster_preview_unknown", _("No such roster preview."))
    return imp


def _still_fresh(session: Session, imp: RosterImport) -> bool:
    numbers = plan_staff_numbers(imp.plan)
    people = load_people(session, numbers, lock=True)
    return state_digest(people, numbers, References.load(session)) == imp.state_digest


def confirm(session: Session, actor: User, imp: RosterImport, *, sha256: str, today: date) -> str:
    """Apply a preview as shown: "applied" when done now, "queued" when the background job will
    (more than BACKGROUND_ROWS rows to write).

    Raises ConflictError when it was already confirmed, StaleError (409) when the preview is from
    another day or the staff data changed since, InvalidError when the hash does not match the
    previewed file or there is nothing to apply.
    """
    if imp.status != "preview":
        raise ConflictError(
            "org.roster_confirmed",
            _("This preview has already been confirmed."),
        )
    if not sha256 or sha256 != imp.sha256:
        raise InvalidError(
            "org.roster_hash",
            _("The confirmation does not match the previewed file; upload it again."),
            field="sha256",
        )
    if imp.to_apply == 0:
        raise DomainError("org.roster_nothing", _("Nothing to import: every row is unchanged."))
    if imp.made_on != today or not _still_fresh(session, imp):
        raise StaleError("org.roster_stale", STALE)
    taken = session.execute(
        sa.update(RosterImport)
        .where(RosterImport.id == imp.id, RosterImport.status == "preview")
        .values(status="queued", confirmed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise ConflictError("org.roster_confirmed", _("This preview has already been confirmed."))
    session.refresh(imp)
    if imp.to_apply > BACKGROUND_ROWS:
        run, _created = queue_run(session, actor, JOB, today, audit_action="roster.import_queue")
        imp.job_run_id = run.id
        session.flush()
        return "queued"
    _apply(session, actor, imp)
    return "applied"


def _apply(session: Session, actor: User | None, imp: RosterImport, progress=None) -> Applied:
    """Write the plan and the import's summary event; raises ConflictError when the database
    refuses a row (someone else wrote the same staff number in between)."""
    import_id = imp.id
    plan = imp.plan
    try:
        with session.begin_nested():
            applied = apply_plan(session, actor, import_id, plan, progress)
    except IntegrityError as exc:
        logger.info("roster import %s refused by the database: %s", import_id, exc.orig)
        raise StaleError("org.roster_stale", STALE) from exc
    imp = session.get(RosterImport, import_id)
    imp.status, imp.applied_at, imp.done = "applied", utcnow(), applied.created + applied.changed
    record(
        session,
        actor,
        "roster.import",
        entity_type="RosterImport",
        entity_id=import_id,
        after={
            "filename": imp.filename,
            "sha256": imp.sha256,
            "rows": imp.rows,
            "created": applied.created,
            "updated": applied.changed,
            "unchanged": imp.unchanged,
            "skipped": imp.skipped,
            "batches": applied.batches,
        },
    )
    logger.info(
        "roster import %s applied: %s created, %s changed",
        import_id,
        applied.created,
        applied.changed,
    )
    return applied


def apply_queued_job(app: Flask, run_on: date) -> dict:
    """The background job: apply every confirmed import waiting for it, re-checking each against
    the current data first (a stale one fails with the reason, the others still apply)."""
    counts = {"applied": 0, "failed": 0, "created": 0, "changed": 0}
    session = db.session  # the runner's unit of work
    run_id = current_run_id.get()
    # SQLite has one writer: while this job holds the write lock a progress report (written in a
    # transaction of its own) could only wait for it, so there the page shows "queued" until the
    # import is done (about a second for 2,000 rows); PostgreSQL reports after every batch.
    reports = session.get_bind().dialect.name != "sqlite"
    while True:
        imp = session.scalar(
            sa.select(RosterImport)
            .options(undefer(RosterImport.plan))
            .where(RosterImport.status == "queued")
            .order_by(RosterImport.id)
            .limit(1)
        )
        if imp is None:
            return counts
        if run_id is not None:
            imp.job_run_id = run_id
        actor = session.get(User, imp.uploaded_by_id)
        total = imp.to_apply

        def progress(done: int, _total: int = total, _id: int = imp.id) -> None:
            report_progress(app, {"import": _id, "done": done, "total": _total, **counts})

        if not reports:
            progress = None
        else:
            progress(0)
        try:
            with session.begin_nested():
                if not _still_fresh(session, imp):
                    raise StaleError("org.roster_stale", STALE)
                applied = _apply(session, actor, imp, progress)
        except DomainError as exc:
            imp = session.get(RosterImport, imp.id)
            imp.status, imp.error = "failed", [exc.message, exc.params]
            counts["failed"] += 1
            logger.info("roster import %s failed: %s", imp.id, exc.code)
            continue
        counts["applied"] += 1
        counts["created"] += applied.created
        counts["changed"] += applied.changed


PURGE_JOB = "org.purge_roster_previews"


def purge_previews_job(app: Flask, run_on: date) -> dict:
    """Delete previews nobody confirmed before `run_on`: a confirm refuses a preview of an earlier
    day anyway, and an unconfirmed plan holds people's phone numbers for no purpose."""
    deleted = db.session.execute(
        sa.delete(RosterImport)
        .where(RosterImport.status == "preview", RosterImport.made_on < run_on)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"deleted": deleted}
