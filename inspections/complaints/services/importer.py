"""The 好差评 import: 差评 from the platform's export become complaints.

1. `upload` reads the file (nothing is stored when it cannot be read) and keeps it with the
   source's profile (its saved column mapping; a new source gets the mapping guessed from the
   column titles);
2. `plan` (in `rating_plan`) tells, row by row, what applying would do: create a complaint, skip the row (not a bad
   rating, or its evaluation number is already imported) or refuse it with the reason;
3. `apply_import` creates the planned complaints in the caller's transaction. The platform's
   evaluation number is unique per source, so importing the same file twice creates nothing the
   second time.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.access import scope_ids
from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, InvalidError, NotFoundError
from compliance.models import Site, User
from compliance.timeutil import local_today

from ...rectification.services.common import notify_people
from ..models import ConductRecord, RatingImport, RatingImportProfile
from .access import RECORD_ROLES, require_role
from .common import officers_for, verify_due
from .intake import record_conduct
from .rating_file import (
    DEFAULT_BAD_RATINGS,
    FIELDS,
    REQUIRED_FIELDS,
    RatingFileError,
    file_format,
    guess_mapping,
    read_table,
)
from .rating_plan import SOURCE, ImportPlan, PlannedRow, RowNote, plan

logger = logging.getLogger(__name__)


def _import_actor(actor: User) -> None:
    require_role(
        actor, RECORD_ROLES, "complaints.import_forbidden", N_("You may not import complaints.")
    )


def can_see_import(user: User, imp: RatingImport) -> bool:
    return user.has_role("admin") or imp.uploaded_by_id == user.id


def require_import(user: User, imp: RatingImport | None) -> RatingImport:
    if imp is None or not user.has_role(*RECORD_ROLES) or not can_see_import(user, imp):
        raise NotFoundError("complaints.import_not_found", N_("No such import."))
    return imp


# --- profiles -------------------------------------------------------------------------------


def mapping_gaps(profile: RatingImportProfile, headers: list[str]) -> list[str]:
    """The fields the profile's mapping leaves unusable for a file with these headers: required
    fields unmapped or mapped to a missing column, and the site when there is no default site."""
    mapping = profile.mapping or {}
    needed = list(REQUIRED_FIELDS) + ([] if profile.default_site_id else ["site"])
    gaps = [f for f in needed if mapping.get(f) not in headers]
    gaps += [f for f, h in mapping.items() if h and h not in headers and f not in gaps]
    return gaps


def save_profile(
    session: Session,
    actor: User,
    profile: RatingImportProfile | None,
    *,
    name: str | None = None,
    mapping: dict[str, str | None],
    bad_ratings: list[str] | str | None,
    default_site_id: int | None,
) -> RatingImportProfile:
    """Create or change a source's profile: its column mapping, the ratings that count as 差评
    and the default site. Raises ForbiddenError, InvalidError (name missing or taken, unknown
    field or site, a column used twice, no bad rating)."""
    _import_actor(actor)
    clean: dict[str, str] = {}
    used: dict[str, str] = {}
    for key, header in (mapping or {}).items():
        if key not in FIELDS:
            raise InvalidError("complaints.mapping_field", N_("Unknown field."), field=key)
        header = (header or "").strip()
        if not header:
            continue
        if header in used:
            raise InvalidError(
                "complaints.mapping_twice",
                N_("The column %(title)s is chosen for two fields."),
                field=key,
                title=header,
            )
        used[header] = key
        clean[key] = header[:100]
    if isinstance(bad_ratings, str):
        bad_ratings = [b for b in bad_ratings.replace("，", ",").replace("、", ",").split(",")]
    bad = [b.strip()[:32] for b in (bad_ratings or []) if b and b.strip()]
    if not bad:
        raise InvalidError(
            "complaints.bad_ratings",
            N_("Name at least one rating that counts as 差评."),
            field="bad_ratings",
        )
    if default_site_id:
        ids = scope_ids(actor, session)
        if session.get(Site, default_site_id) is None or (
            ids is not None and default_site_id not in ids
        ):
            raise InvalidError(
                "complaints.unknown_site", N_("Unknown site."), field="default_site_id"
            )
    before = snapshot(profile) if profile is not None else None
    if profile is None:
        name = (name or "").strip()[:64]
        if not name:
            raise InvalidError(
                "complaints.profile_name", N_("Name the source of the file."), field="profile_name"
            )
        if session.scalar(
            sa.select(RatingImportProfile.id).where(RatingImportProfile.name == name)
        ):
            raise InvalidError(
                "complaints.profile_taken",
                N_("A source called %(name)s already exists; choose it instead."),
                field="profile_name",
                name=name,
            )
        profile = RatingImportProfile(name=name)
        session.add(profile)
    profile.mapping = clean
    profile.bad_ratings = bad
    profile.default_site_id = default_site_id or None
    profile.updated_by_id = actor.id
    session.flush()
    record(
        session,
        actor,
        "rating_profile.update" if before else "rating_profile.create",
        profile,
        before=before,
    )
    return profile


# --- upload and plan ------------------------------------------------------------------------


def upload(
    session: Session,
    actor: User,
    *,
    filename: str,
    data: bytes,
    profile: RatingImportProfile | None = None,
    new_profile_name: str | None = None,
) -> RatingImport:
    """Read the file and keep it for the preview. A new source gets a profile whose mapping is
    guessed from the column titles. Raises RatingFileError (the file cannot be read: nothing is
    stored), ForbiddenError, InvalidError (no source)."""
    _import_actor(actor)
    fmt = file_format(filename)
    headers, rows = read_table(data, fmt)
    if profile is None:
        guessed = guess_mapping(headers)
        profile = save_profile(
            session,
            actor,
            None,
            name=new_profile_name,
            mapping=guessed,
            bad_ratings=DEFAULT_BAD_RATINGS,
            default_site_id=None,
        )
    imp = RatingImport(
        profile_id=profile.id,
        filename=(filename or "")[-200:],
        file_format=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        content=data,
        headers=headers,
        row_count=len(rows),
        status="preview",
        uploaded_by_id=actor.id,
    )
    session.add(imp)
    session.flush()
    record(
        session,
        actor,
        "rating_import.upload",
        entity_type="RatingImport",
        entity_id=imp.id,
        after={
            "profile": profile.name,
            "filename": imp.filename,
            "sha256": imp.sha256,
            "rows": imp.row_count,
        },
    )
    logger.info("rating import %s uploaded by %s (%s rows)", imp.id, actor.id, imp.row_count)
    return imp


def preview(session: Session, actor: User, imp: RatingImport) -> ImportPlan:
    """The plan of a kept file, read again (a GET: nothing is written). Raises NotFoundError,
    RatingFileError (the stored file no longer reads)."""
    require_import(actor, imp)
    headers, rows = read_table(imp.content, imp.file_format)
    return plan(session, actor, imp.profile, headers, rows)


def _notes(notes: list[RowNote]) -> list[list]:
    return [[n.row, n.message, n.params, n.external_no] for n in notes]


def stored_notes(imp: RatingImport, key: str) -> list[RowNote]:
    """The skipped rows or the refused rows of an applied import."""
    return [RowNote(r, m, p or {}, x) for r, m, p, x in (imp.result or {}).get(key, [])]


def apply_import(
    session: Session, actor: User, imp: RatingImport, today: date | None = None
) -> ImportPlan:
    """Create the planned complaints (each being verified, with its deadline), skip and list the
    rest, and tell each site's discipline officers once. Raises NotFoundError, ConflictError
    (applied already, the mapping lacks a required column, or another import created the same
    evaluation numbers at the same moment), RatingFileError."""
    require_import(actor, imp)
    _import_actor(actor)
    if imp.status != "preview":
        raise ConflictError("complaints.import_applied", N_("This file has already been imported."))
    gaps = mapping_gaps(imp.profile, imp.headers)
    if gaps:
        raise ConflictError(
            "complaints.mapping_incomplete",
            N_("Choose the columns for: %(fields)s."),
            fields="、".join(str(FIELDS[g][0]) for g in gaps if g in FIELDS),
        )
    today = today or local_today()
    headers, rows = read_table(imp.content, imp.file_format)
    result = plan(session, actor, imp.profile, headers, rows, today)
    by_site: dict[int, int] = {}
    created: list[ConductRecord] = []
    due = verify_due(session, today)
    try:
        for row in result.create:
            created.append(
                record_conduct(
                    session,
                    actor,
                    kind="complaint",
                    source=SOURCE,
                    subject=row.subject,
                    staff_member_id=row.staff_member_id,
                    window_id=row.window_id,
                    site_id=row.site_id,
                    received_on=row.received_on,
                    text=row.text,
                    external_no=row.external_no,
                    complainant_name=row.complainant_name,
                    complainant_phone=row.complainant_phone,
                    import_id=imp.id,
                    today=today,
                    quiet=True,
                    verify_due_on=due,
                )
            )
            by_site[row.site_id] = by_site.get(row.site_id, 0) + 1
    except sa.exc.IntegrityError as exc:
        raise ConflictError(
            "complaints.import_race",
            N_("Another import created some of these complaints at the same time; try again."),
        ) from exc
    before = snapshot(imp)
    before.pop("content", None)
    imp.status = "applied"
    imp.applied_by_id = actor.id
    imp.applied_at = utcnow()
    imp.created_count = len(result.create)
    imp.skipped_count = len(result.skipped)
    imp.error_count = len(result.errors)
    imp.result = {"skipped": _notes(result.skipped), "errors": _notes(result.errors)}
    session.flush()
    record(
        session,
        actor,
        "rating_import.apply",
        entity_type="RatingImport",
        entity_id=imp.id,
        after={
            "created": imp.created_count,
            "skipped": imp.skipped_count,
            "errors": imp.error_count,
            "complaint_ids": [c.id for c in created],
        },
    )
    cache: dict = {}
    for site_id, n in by_site.items():
        first = next(c for c in created if c.site_id == site_id)
        site = session.get(Site, site_id)
        notify_people(
            session,
            [u for u in officers_for(session, first, cache) if u.id != actor.id],
            "complaint.imported",
            N_("%(n)s bad ratings (差评) imported for %(site)s; verify them by %(due)s"),
            link=f"/complaints?import_id={imp.id}",
            entity=imp,
            n=n,
            site=site.name,
            due=due.isoformat(),
        )
    logger.info(
        "rating import %s applied by %s: %s created, %s skipped, %s refused",
        imp.id,
        actor.id,
        imp.created_count,
        imp.skipped_count,
        imp.error_count,
    )
    return result


__all__ = [
    "ImportPlan",
    "PlannedRow",
    "RatingFileError",
    "RowNote",
    "apply_import",
    "can_see_import",
    "mapping_gaps",
    "plan",
    "preview",
    "require_import",
    "save_profile",
    "stored_notes",
    "upload",
]
