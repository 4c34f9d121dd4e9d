"""Passwords, sign-in attempts, lock-out and server-side sessions. No Flask imports beyond config."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..domain import N_, InvalidError
from ..models import ApiToken, LoginAttempt, User, UserSession
from .gate import password_check_slot
from .passwords import hash_password, needs_rehash, verify_password

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
_DUMMY_HASH = None


@cache
def common_passwords() -> frozenset[str]:
    path = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def check_password_policy(password: str, username: str | None = None) -> None:
    """Raise InvalidError when the password is weak: code "auth.password_too_short",
    "auth.password_common" or "auth.password_username" (field "password")."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidError(
            "auth.password_too_short",
            N_("The password must have at least 10 characters."),
            field="password",
        )
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) <= 2:
        raise InvalidError(
            "auth.password_common",
            N_("This password is too common; choose another."),
            field="password",
        )
    if username and username.lower() in lowered:
        raise InvalidError(
            "auth.password_username",
            N_("The password must not contain the username."),
            field="password",
        )


def set_password(user: User, password: str, method: str) -> None:
    """Validate and set a new password; raises InvalidError ("auth.password_*") when weak."""
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password, method)
    user.password_changed_at = utcnow()


@dataclass
class SignInResult:
    user: User | None
    outcome: str  # success, bad_password, unknown, locked, inactive
    locked_until: datetime | None = None


def locked_until(session: Session, user: User, config: dict, now: datetime) -> datetime | None:
    """When the account is locked by recent failures, the time the lock ends."""
    window = now - timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    last_success = session.scalar(
        sa.select(sa.func.max(LoginAttempt.at)).where(
            LoginAttempt.user_id == user.id, LoginAttempt.outcome == "success"
        )
    )
    since = max(window, last_success) if last_success else window
    failures = session.scalars(
        sa.select(LoginAttempt.at)
        .where(
            LoginAttempt.user_id == user.id,
            LoginAttempt.outcome == "bad_password",
            LoginAttempt.at > since,
        )
        .order_by(LoginAttempt.at.desc())
    ).all()
    if len(failures) >= config["LOGIN_MAX_FAILURES"]:
        until = failures[0] + timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
        if until > now:
            return until
    return None


def authenticate(
    session: Session,
    username: str,
    password: str,
    config: dict,
    ip: str | None = None,
    begin_writing: Callable[[], None] | None = None,
) -> SignInResult:
    """Check a sign-in attempt and log it. Lock-out is per account, never per address.

    Raises SignInBusy (nothing written) when every password-check slot stays busy for
    `SIGN_IN_WAIT_SECONDS` (see `gate.py`).

    The check itself only reads; `begin_writing()` (when given) is called before the attempt is
    logged, so a web request checks the password without holding the write lock. Once writing,
    the lock is checked again: an attempt that raced a failure which started a lock is refused.
    """
    global _DUMMY_HASH
    user = session.scalar(sa.select(User).where(User.username == username.strip()))
    checked = password_ok = False
    read_until = None
    upgraded_hash = None
    if user is not None:
        read_until = locked_until(session, user, config, utcnow())
    # At most SIGN_IN_CONCURRENCY password checks at once (raises SignInBusy after a short wait);
    # the slot is taken and released before the write lock.
    with password_check_slot(config):
        if user is None:
            # Spend the same time as a real check so usernames cannot be probed by timing.
            if _DUMMY_HASH is None:
                _DUMMY_HASH = hash_password("dummy-password", config["PASSWORD_HASH_METHOD"])
            verify_password(_DUMMY_HASH, password)
        elif read_until is None:
            checked = True
            password_ok = verify_password(user.password_hash, password)
            if password_ok and needs_rehash(user.password_hash, config["PASSWORD_HASH_METHOD"]):
                # Upgraded transparently (argon2id, current parameters), before the write lock.
                upgraded_hash = hash_password(password, config["PASSWORD_HASH_METHOD"])
    user_id = user.id if user is not None else None
    if begin_writing is not None:
        begin_writing()  # loaded objects are reloaded from here on
    now = utcnow()
    user = session.get(User, user_id) if user_id is not None else None
    result: SignInResult
    if user is None:
        result = SignInResult(None, "unknown")
    else:
        until = locked_until(session, user, config, now)
        if until is not None or not checked:
            result = SignInResult(user, "locked", until or read_until)
        elif not password_ok:
            result = SignInResult(user, "bad_password")
            # Did this failure start a lock?
            session.add(
                LoginAttempt(
                    username=username[:64], user_id=user.id, at=now, outcome="bad_password", ip=ip
                )
            )
            session.flush()
            until = locked_until(session, user, config, now)
            logger.info("sign-in failed for user %s", user.id)
            if until is not None:
                result.locked_until = until
            return result
        elif not user.active:
            result = SignInResult(user, "inactive")
        else:
            result = SignInResult(user, "success")
            if upgraded_hash is not None:
                user.password_hash = upgraded_hash
                logger.info("password hash of user %s upgraded", user.id)
    session.add(
        LoginAttempt(
            username=username[:64],
            user_id=user.id if user else None,
            at=now,
            outcome=result.outcome,
            ip=ip,
        )
    )
    session.flush()
    logger.info("sign-in attempt user=%s outcome=%s", user.id if user else None, result.outcome)
    return result


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, ip: str | None, user_agent: str | None) -> str:
    """Create a server-side session and return its token (goes in the signed cookie)."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            ip=ip,
            user_agent=(user_agent or "")[:200],
        )
    )
    session.flush()
    return token


def load_session(session: Session, token: str, config: dict) -> tuple[User | None, int | None]:
    """The user of a live session token (None when ended, idle too long, too old or deactivated),
    and the id of the session row whose last-seen time is due for an update (None when recent).

    Reads only: an idle or expired session is simply not live (the purge job removes it later);
    the caller records the activity outside the request's transaction (`touch_session`)."""
    row = session.scalar(sa.select(UserSession).where(UserSession.token_hash == _token_hash(token)))
    if row is None or row.ended_at is not None:
        return None, None
    now = utcnow()
    idle = timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=config["SESSION_MAX_HOURS"])
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        return None, None
    user = row.user
    if not user.active:
        return None, None
    user.session_token = token
    due = now - row.last_seen_at > timedelta(seconds=60)
    return user, row.id if due else None


def touch_session(session: Session, session_id: int) -> None:
    """Record activity on a session (bookkeeping, outside the request's own transaction)."""
    session.execute(
        sa.update(UserSession).where(UserSession.id == session_id).values(last_seen_at=utcnow())
    )


def end_session(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.scalar(sa.select(UserSession).where(UserSession.token_hash == _token_hash(token)))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()


def end_all_sessions(session: Session, user: User) -> None:
    session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def create_api_token(session: Session, user: User, name: str = "cli") -> str:
    """A new personal API token; only its hash is stored, the token is shown once."""
    token = "cmp_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_token_hash(token)))
    session.flush()
    return token


def user_for_api_token(session: Session, token: str) -> tuple[User | None, int | None]:
    """The user of a personal API token, and the token's id when its last-used time is due for
    an update (reads only; the caller records the use with `touch_api_token`)."""
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None, None
    now = utcnow()
    due = row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5)
    return row.user, row.id if due else None


def touch_api_token(session: Session, token_id: int) -> None:
    session.execute(
        sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow())
    )
