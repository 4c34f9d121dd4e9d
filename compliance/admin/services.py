"""Queries and token services behind the administration pages. No Flask imports.

Account changes themselves go through `compliance.accounts` (create_user, update_user, set_active,
reset_password), which audit every change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..audit import record
from ..auth.security import create_api_token, locked_until
from ..db import utcnow
from ..domain import N_, ConflictError, InvalidError
from ..models import ROLES, ApiToken, LoginAttempt, StaffMember, User, UserRole

logger = logging.getLogger(__name__)


@dataclass
class UserFilters:
    role: str | None = None
    active: bool | None = None
    q: str | None = None


def users_query(filters: UserFilters) -> sa.Select:
    """Users matching the filters, ordered by username (roles and sites load in one query each)."""
    stmt = sa.select(User).order_by(User.username)
    if filters.role in ROLES:
        stmt = stmt.where(
            sa.exists().where(UserRole.user_id == User.id, UserRole.role == filters.role)
        )
    if filters.active is not None:
        stmt = stmt.where(User.active.is_(filters.active))
    if filters.q:
        pattern = f"%{filters.q.strip().lower()}%"
        stmt = stmt.outerjoin(StaffMember, StaffMember.id == User.staff_member_id).where(
            sa.or_(
                sa.func.lower(User.username).like(pattern),
                sa.func.lower(User.display_name).like(pattern),
                sa.func.lower(User.email).like(pattern),
                sa.func.lower(StaffMember.staff_no).like(pattern),
            )
        )
    return stmt


def linked_user_id(session: Session, staff_member_id: int) -> int | None:
    """The id of the user already linked to a staff member, if any."""
    return session.scalar(sa.select(User.id).where(User.staff_member_id == staff_member_id))


def role_counts(session: Session) -> dict[str, int]:
    """Active users per role (a user with two roles counts in both)."""
    rows = session.execute(
        sa.select(UserRole.role, sa.func.count())
        .join(User, User.id == UserRole.user_id)
        .where(User.active.is_(True))
        .group_by(UserRole.role)
    ).all()
    counts = dict.fromkeys(ROLES, 0)
    counts.update({role: n for role, n in rows})
    return counts


def locked_accounts(
    session: Session, config: dict, now: datetime | None = None
) -> list[tuple[User, datetime]]:
    """Accounts locked right now by failed sign-ins, with the time each lock ends."""
    now = now or utcnow()
    since = now - timedelta(minutes=config["LOGIN_WINDOW_MINUTES"] + config["LOGIN_LOCK_MINUTES"])
    candidate_ids = session.scalars(
        sa.select(LoginAttempt.user_id)
        .where(
            LoginAttempt.outcome == "bad_password",
            LoginAttempt.at > since,
            LoginAttempt.user_id.is_not(None),
        )
        .group_by(LoginAttempt.user_id)
        .having(sa.func.count() >= config["LOGIN_MAX_FAILURES"])
    ).all()
    if not candidate_ids:
        return []
    result = []
    for user in session.scalars(
        sa.select(User).where(User.id.in_(candidate_ids)).order_by(User.username)
    ):
        until = locked_until(session, user, config, now)
        if until is not None:
            result.append((user, until))
    return result


def recent_failed_sign_ins(
    session: Session, hours: int = 24, limit: int = 10
) -> list[LoginAttempt]:
    """The latest refused sign-in attempts (wrong password, unknown name, locked, inactive)."""
    since = utcnow() - timedelta(hours=hours)
    return list(
        session.scalars(
            sa.select(LoginAttempt)
            .where(LoginAttempt.outcome != "success", LoginAttempt.at > since)
            .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
            .limit(limit)
        )
    )


def failed_sign_in_count(session: Session, hours: int = 24) -> int:
    since = utcnow() - timedelta(hours=hours)
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.outcome != "success", LoginAttempt.at > since)
        )
        or 0
    )


def tokens_query(user_id: int | None = None, include_revoked: bool = False) -> sa.Select:
    stmt = (
        sa.select(ApiToken)
        .options(sa.orm.joinedload(ApiToken.user))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    if not include_revoked:
        stmt = stmt.where(ApiToken.revoked_at.is_(None))
    return stmt


def issue_token(session: Session, actor: User, user: User, name: str) -> str:
    """Create a personal API token for `user` and audit it; returns the token (shown once).

    Raises InvalidError ("tokens.name") when the name is empty or too long.
    """
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise InvalidError(
            "tokens.name", N_("Give the token a name of at most 64 characters."), field="name"
        )
    token = create_api_token(session, user, name)
    record(
        session,
        actor,
        "api_token.create",
        entity_type="User",
        entity_id=user.id,
        after={"name": name},
    )
    logger.info("api token created for user %s by %s", user.id, actor.id)
    return token


def revoke_token(session: Session, actor: User, token: ApiToken) -> None:
    """Revoke one API token at once and audit it. Raises ConflictError ("tokens.revoked") when
    it is already revoked."""
    if token.revoked_at is not None:
        raise ConflictError("tokens.revoked", N_("This token is already revoked."))
    token.revoked_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "api_token.revoke",
        entity_type="ApiToken",
        entity_id=token.id,
        after={"user_id": token.user_id, "name": token.name},
    )
    logger.info("api token %s revoked by %s", token.id, actor.id)
