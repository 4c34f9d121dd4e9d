"""Rotation policies, qualifications, posts that check each other and exemptions (暂缓轮岗)."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, DomainError, InvalidError
from compliance.models import Post, StaffMember, User, UserRole
from compliance.settings import get_setting
from training.public import completed_courses  # noqa: F401  (re-exported)

from ..models import (
    PostCheckPair,
    PostQualification,
    RotationExemption,
    RotationPolicy,
)
from .common import APPROVER_ROLES

logger = logging.getLogger(__name__)

# --- policies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    post_id: int
    max_tenure_months: int
    min_interval_months: int
    cooling_off_months: int
    is_default: bool


def default_policy(session: Session, post_id: int) -> Policy:
    return Policy(
        post_id,
        int(get_setting(session, "rotation.max_tenure_months")),
        int(get_setting(session, "rotation.min_interval_months")),
        int(get_setting(session, "rotation.cooling_off_months")),
        True,
    )


def policies(session: Session) -> dict[int, Policy]:
    """The policy of every key post (stored row or the default settings)."""
    rows = {p.post_id: p for p in session.scalars(sa.select(RotationPolicy))}
    default = None
    out = {}
    for post_id in session.scalars(sa.select(Post.id).where(Post.is_key)):
        row = rows.get(post_id)
        if row is not None:
            out[post_id] = Policy(
                post_id,
                row.max_tenure_months,
                row.min_interval_months,
                row.cooling_off_months,
                False,
            )
        else:
            default = default or default_policy(session, 0)
            out[post_id] = Policy(
                post_id,
                default.max_tenure_months,
                default.min_interval_months,
                default.cooling_off_months,
                True,
            )
    return out


def qualifications(session: Session) -> dict[int, dict[str, set[int]]]:
    """post id -> {"required": course ids, "recommended": course ids}."""
    out: dict[int, dict[str, set[int]]] = defaultdict(
        lambda: {"required": set(), "recommended": set()}
    )
    for q in session.scalars(sa.select(PostQualification)):
        out[q.post_id][q.kind].add(q.course_id)
    return out


def update_policy(
    session: Session,
    actor: User,
    post: Post,
    *,
    max_tenure_months: int,
    min_interval_months: int,
    cooling_off_months: int,
    required_course_ids: list[int] | None = None,
    recommended_course_ids: list[int] | None = None,
) -> RotationPolicy:
    """Create or change the policy and qualifications of a key post (audited).

    Raises a DomainError if the post is not a key post, a number is out of range or a course
    is both required and recommended.
    """
    if not post.is_key:
        raise InvalidError(
            "rotation.not_key_post", N_("Post %(post)s is not a key post."), post=post.name
        )
    if max_tenure_months < 1 or max_tenure_months > 240:
        raise InvalidError(
            "rotation.max_tenure_range",
            N_("The maximum tenure must be between 1 and 240 months."),
            field="max_tenure_months",
        )
    for name, value in (
        ("min_interval_months", min_interval_months),
        ("cooling_off_months", cooling_off_months),
    ):
        if value < 0 or value > 240:
            raise InvalidError(
                "rotation.interval_range",
                N_("Intervals must be between 0 and 240 months."),
                field=name,
            )
    required = set(required_course_ids or [])
    recommended = set(recommended_course_ids or [])
    if required & recommended:
        raise InvalidError(
            "rotation.course_required_and_recommended",
            N_("A course cannot be both required and recommended."),
            field="recommended_course_ids",
        )
    row = session.scalar(sa.select(RotationPolicy).where(RotationPolicy.post_id == post.id))
    before = snapshot(row) if row is not None else None
    if before is not None:
        before["qualifications"] = _qualification_state(session, post.id)
    if row is None:
        row = RotationPolicy(post_id=post.id)
        session.add(row)
    row.max_tenure_months = max_tenure_months
    row.min_interval_months = min_interval_months
    row.cooling_off_months = cooling_off_months
    row.updated_by_id = actor.id if actor else None
    existing = {
        q.course_id: q
        for q in session.scalars(
            sa.select(PostQualification).where(PostQualification.post_id == post.id)
        )
    }
    wanted = {c: "required" for c in required} | {c: "recommended" for c in recommended}
    for course_id, q in existing.items():
        if course_id not in wanted:
            session.delete(q)
        else:
            q.kind = wanted[course_id]
    for course_id, kind in wanted.items():
        if course_id not in existing:
            session.add(PostQualification(post_id=post.id, course_id=course_id, kind=kind))
    session.flush()
    after = snapshot(row)
    after["qualifications"] = _qualification_state(session, post.id)
    record(session, actor, "rotation_policy.update", row, before=before, after=after)
    logger.info("rotation policy of post %s updated by %s", post.id, actor.id if actor else None)
    return row


def _qualification_state(session: Session, post_id: int) -> dict:
    rows = session.scalars(sa.select(PostQualification).where(PostQualification.post_id == post_id))
    return {str(q.course_id): q.kind for q in rows}


def add_check_pair(
    session: Session, actor: User, post_a: Post, post_b: Post, reason: str | None = None
) -> PostCheckPair:
    """Record that two posts check each other. Raises a DomainError for the same post twice or
    an existing pair."""
    if post_a.id == post_b.id:
        raise InvalidError(
            "rotation.check_pair_same_post", N_("Choose two different posts."), field="post_b"
        )
    low, high = sorted((post_a.id, post_b.id))
    exists = session.scalar(
        sa.select(PostCheckPair.id).where(
            PostCheckPair.post_a_id == low, PostCheckPair.post_b_id == high
        )
    )
    if exists:
        raise ConflictError(
            "rotation.check_pair_exists",
            N_("These posts are already recorded as checking each other."),
            field="post_b",
        )
    pair = PostCheckPair(
        post_a_id=low,
        post_b_id=high,
        reason=reason or None,
        created_by_id=actor.id if actor else None,
    )
    session.add(pair)
    session.flush()
    record(session, actor, "post_check_pair.create", pair)
    return pair


def remove_check_pair(session: Session, actor: User, pair: PostCheckPair) -> None:
    """Remove a check pair (audited with its former values)."""
    before = snapshot(pair)
    record(session, actor, "post_check_pair.delete", pair, before=before)
    session.delete(pair)
    session.flush()


def check_pairs(session: Session) -> set[frozenset[int]]:
    return {
        frozenset((a, b))
        for a, b in session.execute(sa.select(PostCheckPair.post_a_id, PostCheckPair.post_b_id))
    }


# --- exemptions ----------------------------------------------------------------------------


def approver_candidates(session: Session) -> list[User]:
    return list(
        session.scalars(
            sa.select(User)
            .join(UserRole)
            .where(UserRole.role.in_(APPROVER_ROLES), User.active)
            .distinct()
            .order_by(User.username)
        )
    )


def create_exemption(
    session: Session,
    actor: User,
    staff: StaffMember,
    *,
    reason: str,
    approver: User,
    ends_on: date,
    starts_on: date,
) -> RotationExemption:
    """暂缓轮岗: postpone one person's rotation until `ends_on`.

    Raises a DomainError without a reason, when the approver is not an active discipline
    officer or administrator, is the person recording it, or when the dates are reversed.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidError(
            "rotation.exemption_reason", N_("Give a reason for the exemption."), field="reason"
        )
    if approver is None or not approver.active or not approver.has_role(*APPROVER_ROLES):
        raise InvalidError(
            "rotation.exemption_approver",
            N_("The approver must be an active discipline officer or administrator."),
            field="approver",
        )
    if actor is not None and approver.id == actor.id:
        raise DomainError(
            "rotation.exemption_own_approval",
            N_("The approver must be someone other than you."),
            field="approver",
        )
    if ends_on < starts_on:
        raise InvalidError(
            "rotation.exemption_dates",
            N_("The end date must not be before the start date."),
            field="ends_on",
        )
    exemption = RotationExemption(
        staff_member_id=staff.id,
        reason=reason[:500],
        approved_by_id=approver.id,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by_id=actor.id if actor else None,
    )
    session.add(exemption)
    session.flush()
    record(session, actor, "rotation_exemption.create", exemption)
    return exemption


def revoke_exemption(session: Session, actor: User, exemption: RotationExemption) -> None:
    """End an exemption now. Raises a DomainError if it was already revoked."""
    if exemption.revoked_at is not None:
        raise ConflictError("rotation.exemption_revoked", N_("This exemption was already revoked."))

    before = snapshot(exemption)
    exemption.revoked_at = utcnow()
    exemption.revoked_by_id = actor.id if actor else None
    session.flush()
    record(session, actor, "rotation_exemption.revoke", exemption, before=before)


def active_exemptions(session: Session, on: date, staff_ids=None) -> dict[int, RotationExemption]:
    query = sa.select(RotationExemption).where(
        RotationExemption.revoked_at.is_(None),
        RotationExemption.starts_on <= on,
        RotationExemption.ends_on >= on,
    )
    if staff_ids is not None:
        query = query.where(RotationExemption.staff_member_id.in_(list(staff_ids)))
    out: dict[int, RotationExemption] = {}
    for e in session.scalars(query.order_by(RotationExemption.ends_on)):
        out[e.staff_member_id] = e  # the latest end wins
    return out
