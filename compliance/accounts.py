"""User account services: create, change roles and scope, deactivate, reset password.

Services flush and never commit; every change writes an audit event.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .audit import record, snapshot
from .auth.security import PasswordPolicyError, end_all_sessions, set_password
from .models import ROLES, Site, StaffMember, User, UserRole, UserSite

logger = logging.getLogger(__name__)


class AccountError(ValueError):
    """A user-facing reason an account change was refused."""


POLICY_TEXT = {
    "too_short": "The password must have at least 10 characters.",
    "common": "This password is too common; choose another.",
    "username": "The password must not contain the username.",
}


def _user_state(user: User) -> dict:
    data = snapshot(user)
    data["roles"] = sorted(user.roles)
    data["sites"] = sorted(user.scope_site_ids)
    return data


def _sites_by_code(session: Session, codes: list[str]) -> list[Site]:
    sites = list(session.scalars(sa.select(Site).where(Site.code.in_(codes))))
    missing = sorted(set(codes) - {s.code for s in sites})
    if missing:
        raise AccountError(f"Unknown site code(s): {', '.join(missing)}")
    return sites


def create_user(
    session: Session,
    actor: User | None,
    *,
    username: str,
    display_name: str,
    roles: list[str],
    password: str,
    hash_method: str,
    site_codes: list[str] | None = None,
    site_ids: list[int] | None = None,
    all_sites: bool = False,
    email: str | None = None,
    staff_member_id: int | None = None,
    locale: str | None = None,
) -> User:
    """Create a user. Raises AccountError (duplicate name, unknown role/site, weak password)."""
    username = username.strip()
    if not username:
        raise AccountError("The username is empty.")
    if session.scalar(sa.select(User.id).where(User.username == username)):
        raise AccountError(f"A user named {username} already exists.")
    bad = set(roles) - set(ROLES)
    if bad or not roles:
        raise AccountError(f"Unknown or missing role: {', '.join(sorted(bad)) or '-'}")
    if staff_member_id is not None and session.get(StaffMember, staff_member_id) is None:
        raise AccountError("The linked staff member does not exist.")
    user = User(
        username=username,
        display_name=display_name,
        email=email or None,
        all_sites=all_sites,
        staff_member_id=staff_member_id,
        locale=locale,
        password_hash="!",
    )
    try:
        set_password(user, password, hash_method)
    except PasswordPolicyError as exc:
        raise AccountError(POLICY_TEXT[str(exc)]) from exc
    ids = set(site_ids or [])
    if site_codes:
        ids |= {s.id for s in _sites_by_code(session, site_codes)}
    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    user.site_rows = [UserSite(site_id=i) for i in sorted(ids)]
    session.add(user)
    session.flush()
    record(session, actor, "user.create", user, after=_user_state(user))
    logger.info("user %s created", user.id)
    return user


def update_user(
    session: Session,
    actor: User,
    user: User,
    *,
    display_name: str,
    email: str | None,
    roles: list[str],
    site_ids: list[int],
    all_sites: bool,
    staff_member_id: int | None,
    active: bool,
) -> User:
    """Change a user's details, roles and scope. Raises AccountError."""
    bad = set(roles) - set(ROLES)
    if bad or not roles:
        raise AccountError(f"Unknown or missing role: {', '.join(sorted(bad)) or '-'}")
    if actor.id == user.id and not active:
        raise AccountError("You cannot deactivate your own account.")
    if actor.id == user.id and "admin" not in roles:
        raise AccountError("You cannot remove your own administrator role.")
    before = _user_state(user)
    user.display_name = display_name
    user.email = email or None
    user.all_sites = all_sites
    user.staff_member_id = staff_member_id
    was_active = user.active
    user.active = active
    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    user.site_rows = [UserSite(site_id=i) for i in sorted(set(site_ids))]
    session.flush()
    if was_active and not active:
        end_all_sessions(session, user)
    record(session, actor, "user.update", user, before=before, after=_user_state(user))
    return user


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Deactivate (ending every session at once) or reactivate a user."""
    if actor.id == user.id and not active:
        raise AccountError("You cannot deactivate your own account.")
    before = _user_state(user)
    user.active = active
    if not active:
        end_all_sessions(session, user)
    session.flush()
    record(
        session,
        actor,
        "user.deactivate" if not active else "user.activate",
        user,
        before=before,
        after=_user_state(user),
    )


def reset_password(
    session: Session, actor: User, user: User, password: str, hash_method: str
) -> None:
    """Set a new password for a user and end their sessions. Raises AccountError."""
    try:
        set_password(user, password, hash_method)
    except PasswordPolicyError as exc:
        raise AccountError(POLICY_TEXT[str(exc)]) from exc
    end_all_sessions(session, user)
    session.flush()
    record(session, actor, "user.reset_password", user, after={"password": "reset"})
