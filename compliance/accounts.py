"""User account services: create, change roles and scope, deactivate, reset password.

Services flush and never commit; every change writes an audit event. A refused change raises a
`compliance.domain` error with a code "accounts.*" (a weak password: "auth.password_*").
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .audit import record, snapshot
from .auth.passwords import verify_password
from .auth.security import end_all_sessions, set_password
from .domain import N_, ConflictError, DomainError, InvalidError
from .models import ROLES, Site, StaffMember, User, UserRole, UserSite

logger = logging.getLogger(__name__)


def _user_state(user: User) -> dict:
    data = snapshot(user)
    data["roles"] = sorted(user.roles)
    data["sites"] = sorted(user.scope_site_ids)
    return data


def _check_roles(roles: list[str]) -> None:
    bad = set(roles) - set(ROLES)
    if bad or not roles:
        raise InvalidError(
            "accounts.unknown_role",
            N_("Unknown or missing role: %(roles)s"),
            field="roles",
            roles=", ".join(sorted(bad)) or "-",
        )


def _own_account() -> DomainError:
    return DomainError(
        "accounts.own_account",
        N_("You cannot deactivate your own account."),
        field="active",
    )


def _sites_by_code(session: Session, codes: list[str]) -> list[Site]:
    sites = list(session.scalars(sa.select(Site).where(Site.code.in_(codes))))
    missing = sorted(set(codes) - {s.code for s in sites})
    if missing:
        raise InvalidError(
            "accounts.unknown_site",
            N_("Unknown site code(s): %(codes)s"),
            field="sites",
            codes=", ".join(missing),
        )
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
    """Create a user. Raises InvalidError (empty name, unknown role/site/staff member, weak
    password) or ConflictError (the username is taken)."""
    username = username.strip()
    if not username:
        raise InvalidError(
            "accounts.username_empty", N_("The username is empty."), field="username"
        )
    if session.scalar(sa.select(User.id).where(User.username == username)):
        raise ConflictError(
            "accounts.username_taken",
            N_("A user named %(username)s already exists."),
            field="username",
            username=username,
        )
    _check_roles(roles)
    if staff_member_id is not None and session.get(StaffMember, staff_member_id) is None:
        raise InvalidError(
            "accounts.staff_member_unknown",
            N_("The linked staff member does not exist."),
            field="staff_no",
        )
    user = User(
        username=username,
        display_name=display_name,
        email=email or None,
        all_sites=all_sites,
        staff_member_id=staff_member_id,
        locale=locale,
        password_hash="!",
    )
    set_password(user, password, hash_method)
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
    """Change a user's details, roles and scope. Raises InvalidError (unknown role) or
    DomainError (deactivating yourself, removing your own administrator role)."""
    _check_roles(roles)
    if actor.id == user.id and not active:
        raise _own_account()
    if actor.id == user.id and "admin" not in roles:
        raise DomainError(
            "accounts.own_admin_role",
            N_("You cannot remove your own administrator role."),
            field="roles",
        )
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


OWN_SETTINGS = ("display_name", "email", "locale", "email_opt_out")


def update_own_settings(session: Session, user: User, **values) -> User:
    """A user changes their own display name, e-mail, language or e-mail opt-out (audited as
    "user.update_self" with the values before the change)."""
    unknown = set(values) - set(OWN_SETTINGS)
    if unknown:
        raise InvalidError(
            "accounts.unknown_setting",
            N_("Unknown field: %(name)s"),
            field=sorted(unknown)[0],
            name=sorted(unknown)[0],
        )
    before = {key: getattr(user, key) for key in values}
    for key, value in values.items():
        setattr(user, key, value)
    session.flush()
    record(session, user, "user.update_self", user, before=before)
    return user


def change_own_password(
    session: Session, user: User, current_password: str, new_password: str, hash_method: str
) -> None:
    """A user changes their own password: every session of theirs ends (the caller starts a
    fresh one for this device). Raises InvalidError: "auth.current_password_wrong" (field
    "current_password") or a weak new password ("auth.password_*", field "password")."""
    if not verify_password(user.password_hash, current_password):
        raise InvalidError(
            "auth.current_password_wrong",
            N_("The current password is wrong."),
            field="current_password",
        )
    set_password(user, new_password, hash_method)
    end_all_sessions(session, user)
    session.flush()
    record(session, user, "user.change_password", user, after={"password": "changed"})


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Deactivate (ending every session at once) or reactivate a user. Raises DomainError when
    the actor deactivates their own account."""
    if actor.id == user.id and not active:
        raise _own_account()
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
    """Set a new password for a user and end their sessions. Raises InvalidError (weak
    password, "auth.password_*")."""
    set_password(user, password, hash_method)
    end_all_sessions(session, user)
    session.flush()
    record(session, actor, "user.reset_password", user, after={"password": "reset"})
