"""The bulletin's workflow: draft (the system, from closed months) -> approved (a discipline
officer, or the centre head when `evaluation.bulletin_leader_approves` is on) -> published (a
discipline officer or an administrator: every signed-in user of its scope is notified, and the
groups that take "bulletin.published"). Each step is version-checked and audited.

Who sees what: a published bulletin is read by every signed-in user whose scope meets the
bulletin's sites (a bulletin of the whole centre, by everyone); drafts and approved ones by
discipline officers, administrators and the centre head within their scope.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from compliance.access import scope_ids, site_tree_ids
from compliance.audit import record
from compliance.db import utcnow
from compliance.domain import (
    N_,
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    StaleError,
)
from compliance.models import Site, User, UserSite
from compliance.notifications import notify_each
from compliance.notifications.channels import BULLETIN_PUBLISHED, enqueue_group_notice, group_text
from compliance.settings import declare, get_setting
from compliance.timeutil import local_today

from . import drafting
from .content import TEXT_PARTS, BulletinContent
from .models import Bulletin

declare("evaluation.bulletin_organ", "")  # 发文机关; empty: the name of the top site
declare("evaluation.bulletin_names_people", True)  # criticism names staff (else their window)
declare("evaluation.bulletin_leader_approves", False)  # the centre head approves, not discipline
declare("evaluation.bulletin_addressees", "各便民服务中心")
declare("evaluation.bulletin_cc", "")

EDITOR_ROLES = ("discipline",)
READER_ROLES = ("discipline", "admin", "leader")  # see drafts too
PUBLISHER_ROLES = ("discipline", "admin")
MAX_TITLE = 200
MAX_TEXT = 4000
MAX_LINE = 200

STATUS_LABELS = {
    "draft": _l("Draft"),
    "approved": _l("Approved"),
    "published": _l("Published"),
}


# --------------------------------------------------------------------------- reading


def bulletin_sites(session: Session, bulletin: Bulletin) -> set[int] | None:
    """The sites a bulletin covers (its site and those below), None for the whole centre."""
    return None if bulletin.site_id is None else site_tree_ids(session, [bulletin.site_id])


def sees_drafts(user: User) -> bool:
    return user.has_role(*READER_ROLES)


def can_read(session: Session, user: User, bulletin: Bulletin) -> bool:
    mine = scope_ids(user, session)
    if bulletin.status != "published":
        # Drafts: only readers whose scope holds the bulletin's own site (all sites: the centre).
        if not sees_drafts(user):
            return False
        return mine is None or (bulletin.site_id is not None and bulletin.site_id in mine)
    covered = bulletin_sites(session, bulletin)
    return mine is None or covered is None or bool(mine & covered)


def visible(session: Session, user: User) -> list[Bulletin]:
    """The bulletins `user` may read, newest period first."""
    stmt = sa.select(Bulletin).order_by(Bulletin.period_start.desc(), Bulletin.id.desc())
    if not sees_drafts(user):
        stmt = stmt.where(Bulletin.status == "published")
    return [b for b in session.scalars(stmt) if can_read(session, user, b)]


def get_readable(session: Session, user: User, bulletin_id: int) -> Bulletin:
    """Raises NotFoundError for a bulletin that does not exist or that `user` may not read."""
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None or not can_read(session, user, bulletin):
        raise NotFoundError("bulletin.not_found", N_("No such bulletin."))
    return bulletin


def content_of(bulletin: Bulletin) -> BulletinContent:
    return BulletinContent.from_dict(bulletin.content)


def approver_roles(session: Session) -> tuple[str, ...]:
    return (
        ("leader",)
        if get_setting(session, "evaluation.bulletin_leader_approves")
        else ("discipline",)
    )


def may(session: Session, user: User, bulletin: Bulletin, action: str) -> bool:
    """Whether the buttons of `action` ("edit", "approve", "return", "publish") show."""
    if not can_read(session, user, bulletin):
        return False
    if action == "edit":
        return bulletin.status == "draft" and user.has_role(*EDITOR_ROLES)
    if action == "approve":
        return bulletin.status == "draft" and user.has_role(*approver_roles(session))
    if action == "return":
        return bulletin.status == "approved" and user.has_role(
            *EDITOR_ROLES, *approver_roles(session)
        )
    if action == "publish":
        return bulletin.status == "approved" and user.has_role(*PUBLISHER_ROLES)
    return False


# --------------------------------------------------------------------------- writing


def _audit_view(bulletin: Bulletin) -> dict:
    return {
        "number": bulletin.number,
        "period": f"{bulletin.period_start.isoformat()}..{bulletin.period_end.isoformat()}",
        "site_id": bulletin.site_id,
        "status": bulletin.status,
        "title": bulletin.title,
        "texts": dict(bulletin.content.get("texts") or {}),
    }


def _check_version(bulletin: Bulletin, version: int | None) -> None:
    if version is None or version != bulletin.version:
        raise StaleError("bulletin.stale")


def _require(user: User, roles: tuple[str, ...]) -> None:
    if not user.has_role(*roles):
        raise ForbiddenError("bulletin.forbidden", N_("You may not do this to a bulletin."))


def _organ(session: Session) -> str:
    organ = (get_setting(session, "evaluation.bulletin_organ") or "").strip()
    if organ:
        return organ
    top = session.scalar(sa.select(Site.name).where(Site.parent_id.is_(None)).order_by(Site.id))
    return top or ""


def _next_seq(session: Session, year: int) -> int:
    last = session.scalar(sa.select(sa.func.max(Bulletin.seq)).where(Bulletin.year == year))
    return (last or 0) + 1


def draft_bulletin(
    session: Session,
    actor: User,
    *,
    kind: str,
    year: int,
    index: int,
    site_id: int | None,
    today: date | None = None,
) -> Bulletin:
    """Draft a bulletin of a closed month or quarter for a site (and those below it) or, with
    `site_id` None, the whole centre (only for a reader of every site). Raises InvalidError for a
    wrong period, ConflictError when a month of it is not closed or a bulletin of the same
    period and scope is not yet published, ForbiddenError outside the actor's role or scope."""
    _require(actor, EDITOR_ROLES)
    period = drafting.period_of(kind, year, index)
    mine = scope_ids(actor, session)
    if site_id is None and mine is not None:
        raise ForbiddenError(
            "bulletin.scope",
            N_("Only an officer of every site drafts a centre bulletin."),
            field="site",
        )
    if site_id is not None and (
        session.get(Site, site_id) is None or (mine is not None and site_id not in mine)
    ):
        raise InvalidError("bulletin.site", N_("Choose a site in your scope."), field="site")
    close_ids = drafting.require_closed(session, period)
    pending = session.scalar(
        sa.select(Bulletin.id).where(
            Bulletin.period_start == period.start,
            Bulletin.period_end == period.end,
            Bulletin.site_id.is_(None) if site_id is None else Bulletin.site_id == site_id,
            Bulletin.status != "published",
        )
    )
    if pending is not None:
        raise ConflictError(
            "bulletin.pending",
            N_("A bulletin of this period and scope is already being prepared."),
            field="index",
        )
    today = today or local_today()
    seq = _next_seq(session, today.year)
    sites = None if site_id is None else site_tree_ids(session, [site_id])
    content = drafting.draft(
        session,
        period=period,
        close_ids=close_ids,
        site_ids=sites,
        organ=_organ(session),
        number=f"〔{today.year}〕第{seq}期",
        issued_on=today,
        addressees=get_setting(session, "evaluation.bulletin_addressees") or "",
        name_people=bool(get_setting(session, "evaluation.bulletin_names_people")),
        today=today,
    )
    content.cc = get_setting(session, "evaluation.bulletin_cc") or ""
    bulletin = Bulletin(
        year=today.year,
        seq=seq,
        period_kind=period.kind,
        period_start=period.start,
        period_end=period.end,
        site_id=site_id,
        title=content.title[:MAX_TITLE],
        status="draft",
        content=content.to_dict(),
        close_ids=close_ids,
        drafted_by_id=actor.id,
    )
    session.add(bulletin)
    session.flush()
    record(session, actor, "bulletin.create", bulletin, after=_audit_view(bulletin))
    return bulletin


def _clean(value: str | None, limit: int, field: str, required: bool = False) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if required and not value:
        raise InvalidError("bulletin.required", N_("This field is required."), field=field)
    if len(value) > limit:
        raise InvalidError(
            "bulletin.too_long", N_("At most %(n)s characters."), field=field, n=limit
        )
    return value


def update_bulletin(
    session: Session,
    actor: User,
    bulletin: Bulletin,
    *,
    version: int | None,
    title: str,
    organ: str,
    addressees: str,
    cc: str,
    texts: dict[str, str],
) -> Bulletin:
    """Edit the words of a draft (figures and tables stay as drafted). Raises StaleError when it
    changed since `version` was read, ConflictError when it is no longer a draft, InvalidError
    for a missing title or a text over its limit."""
    _require(actor, EDITOR_ROLES)
    _check_version(bulletin, version)
    if bulletin.status != "draft":
        raise ConflictError("bulletin.not_draft", N_("Only a draft can be edited."))
    before = _audit_view(bulletin)
    content = content_of(bulletin)
    content.title = _clean(title, MAX_TITLE, "title", required=True)
    content.organ = _clean(organ, MAX_LINE, "organ", required=True)
    content.addressees = _clean(addressees, MAX_LINE, "addressees")
    content.cc = _clean(cc, MAX_LINE, "cc")
    content.texts = {part: _clean(texts.get(part), MAX_TEXT, part) for part in TEXT_PARTS}
    bulletin.title = content.title
    bulletin.content = content.to_dict()
    bulletin.updated_by_id = actor.id
    bulletin.updated_at = utcnow()
    session.flush()
    record(session, actor, "bulletin.update", bulletin, before=before, after=_audit_view(bulletin))
    return bulletin


def approve_bulletin(
    session: Session, actor: User, bulletin: Bulletin, *, version: int | None
) -> Bulletin:
    """Approve a draft. Raises StaleError, ConflictError (not a draft), ForbiddenError (not the
    approving role: discipline, or the centre head when configured)."""
    _require(actor, approver_roles(session))
    _check_version(bulletin, version)
    if bulletin.status != "draft":
        raise ConflictError("bulletin.not_draft", N_("Only a draft can be approved."))
    before = _audit_view(bulletin)
    bulletin.status = "approved"
    bulletin.approved_by_id = actor.id
    bulletin.approved_at = utcnow()
    session.flush()
    record(session, actor, "bulletin.approve", bulletin, before=before, after=_audit_view(bulletin))
    return bulletin


def return_bulletin(
    session: Session, actor: User, bulletin: Bulletin, *, version: int | None, reason: str
) -> Bulletin:
    """Send an approved bulletin back to draft (to edit it again), with a reason. Raises
    StaleError, ConflictError (not approved), InvalidError (no reason)."""
    _require(actor, (*EDITOR_ROLES, *approver_roles(session)))
    _check_version(bulletin, version)
    if bulletin.status != "approved":
        raise ConflictError(
            "bulletin.not_approved", N_("Only an approved bulletin can be returned.")
        )
    reason = _clean(reason, MAX_LINE, "reason", required=True)
    before = _audit_view(bulletin)
    bulletin.status = "draft"
    bulletin.approved_by_id = None
    bulletin.approved_at = None
    session.flush()
    record(
        session,
        actor,
        "bulletin.return",
        bulletin,
        before=before,
        after=_audit_view(bulletin),
        reason=reason,
    )
    return bulletin


def readers(session: Session, bulletin: Bulletin) -> list[User]:
    """Every active user whose scope meets the bulletin's sites: a user of every site, or one
    whose own sites lie within the bulletin's or above its site (three statements in all)."""
    users = session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.id)).all()
    if bulletin.site_id is None:
        return list(users)
    parents = dict(session.execute(sa.select(Site.id, Site.parent_id)).all())
    meeting = set(site_tree_ids(session, [bulletin.site_id]))
    current = parents.get(bulletin.site_id)
    while current is not None and current not in meeting:
        meeting.add(current)
        current = parents.get(current)
    roots: dict[int, set[int]] = {}
    for user_id, site_id in session.execute(sa.select(UserSite.user_id, UserSite.site_id)):
        roots.setdefault(user_id, set()).add(site_id)
    return [u for u in users if u.all_sites or roots.get(u.id, set()) & meeting]


PUBLISHED_TITLE = N_("Bulletin published: %(number)s %(title)s")
PUBLISHED_BODY = N_("The bulletin %(number)s on %(period)s has been published; open it to read it.")


def publish_bulletin(
    session: Session, actor: User, bulletin: Bulletin, *, version: int | None
) -> int:
    """Publish an approved bulletin: notify each reader of its scope and queue the group notice.
    Returns how many were notified. Raises StaleError, ConflictError (not approved),
    ForbiddenError (not discipline or admin)."""
    _require(actor, PUBLISHER_ROLES)
    _check_version(bulletin, version)
    if bulletin.status != "approved":
        raise ConflictError(
            "bulletin.not_approved", N_("Only an approved bulletin can be published.")
        )
    before = _audit_view(bulletin)
    bulletin.status = "published"
    bulletin.published_by_id = actor.id
    bulletin.published_at = utcnow()
    session.flush()
    record(session, actor, "bulletin.publish", bulletin, before=before, after=_audit_view(bulletin))
    link = f"/evaluation/bulletins/{bulletin.id}"
    params = {
        "number": bulletin.number,
        "title": bulletin.title,
        "period": content_of(bulletin).period_label,
    }
    notified = notify_each(
        session,
        readers(session, bulletin),
        "bulletin.published",
        PUBLISHED_TITLE,
        body_msgid=PUBLISHED_BODY,
        link=link,
        entity=bulletin,
        dedupe_key=f"bulletin:{bulletin.id}",
        **params,
    )
    for site_id in _group_sites(session, bulletin):
        enqueue_group_notice(
            session,
            site_id=site_id,
            event=BULLETIN_PUBLISHED,
            title=group_text(PUBLISHED_TITLE, **params),
            body=group_text(PUBLISHED_BODY, **params),
            link=link,
            entity=bulletin,
            dedupe_key=f"bulletin:{bulletin.id}",
        )
    return notified


def _group_sites(session: Session, bulletin: Bulletin) -> list[int]:
    """The site whose groups hear of it: its own, or each top site for a centre bulletin (the
    groups of the sites above take it when they include their sub-sites)."""
    if bulletin.site_id is not None:
        return [bulletin.site_id]
    return list(
        session.scalars(sa.select(Site.id).where(Site.parent_id.is_(None)).order_by(Site.id))
    )
