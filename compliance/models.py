"""Core models: organisation (sites, windows, posts, staff, assignments, leave), accounts, audit."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, enum_check, utcnow

SITE_KINDS = ("centre", "hall", "station")
STAFF_STATUSES = ("active", "suspended", "left")
ROLES = ("admin", "inspector", "hr", "discipline", "leader", "staff")


class Site(Base):
    __tablename__ = "site"
    __table_args__ = (
        enum_check("kind", SITE_KINDS),
        sa.CheckConstraint(
            "(latitude IS NULL AND longitude IS NULL) OR (latitude IS NOT NULL AND longitude "
            "IS NOT NULL AND latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180)",
            name="coordinates_valid",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(16), default="centre")
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site.id"), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(200))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai")
    # Where the building is (WGS-84 degrees, as a phone reports them); both or neither.
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Site | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Site]] = relationship(back_populates="parent", order_by="Site.code")
    windows: Mapped[list[Window]] = relationship(back_populates="site", order_by="Window.code")

    def __repr__(self) -> str:
        return f"<Site {self.code}>"


class Window(Base):
    __tablename__ = "window"
    __table_args__ = (sa.UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(120))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    site: Mapped[Site] = relationship(back_populates="windows")

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


class Post(Base):
    __tablename__ = "post"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    is_key: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffMember(Base):
    __tablename__ = "staff_member"
    __table_args__ = (enum_check("status", STAFF_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    hired_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="active", index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    site: Mapped[Site] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="staff_member", order_by="Assignment.started_on"
    )

    @property
    def current_assignment(self) -> Assignment | None:
        for a in self.assignments:
            if a.ended_on is None:
                return a
        return None


class Assignment(Base):
    """A staff member holding a post (and usually a window) from a date, until `ended_on`."""

    __tablename__ = "assignment"
    __table_args__ = (
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates_ordered"),
        sa.Index(
            "uq_assignment_current",
            "staff_member_id",
            unique=True,
            sqlite_where=sa.text("ended_on IS NULL"),
            postgresql_where=sa.text("ended_on IS NULL"),
        ),
        sa.Index("ix_assignment_post_current", "post_id", "ended_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"), index=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), index=True)
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("window.id"), index=True)
    started_on: Mapped[date] = mapped_column(sa.Date)
    ended_on: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff_member: Mapped[StaffMember] = relationship(back_populates="assignments")
    post: Mapped[Post] = relationship()
    site: Mapped[Site] = relationship()
    window: Mapped[Window | None] = relationship()


class Leave(Base):
    """Approved absence: a staff member absent on leave is excused, not a finding."""

    __tablename__ = "leave"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        sa.Index("ix_leave_staff_dates", "staff_member_id", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(200))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff_member: Mapped[StaffMember] = relationship()


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(64))
    email: Mapped[str | None] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column("is_active", default=True)
    all_sites: Mapped[bool] = mapped_column(default=False)
    email_opt_out: Mapped[bool] = mapped_column(default=False)
    staff_member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_member.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    site_rows: Mapped[list[UserSite]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    staff_member: Mapped[StaffMember | None] = relationship()

    # Flask-Login protocol; the id handed to Flask-Login is the server-side session token
    # (set on the instance when a session is loaded or started; not a column).
    session_token = None

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def scope_site_ids(self) -> set[int]:
        return {s.site_id for s in self.site_rows}

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (enum_check("role", ROLES),)

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(sa.String(16), primary_key=True)


class UserSite(Base):
    __tablename__ = "user_site"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), primary_key=True)


class UserSession(Base):
    """A server-side sign-in session; the cookie only carries its random token."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    # (at): the admin panel and lock checks read the recent window only (a range, not a scan).
    __table_args__ = (
        sa.Index("ix_login_attempt_user_at", "user_id", "at"),
        sa.Index("ix_login_attempt_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(
        sa.String(16)
    )  # success, bad_password, unknown, locked, inactive
    ip: Mapped[str | None] = mapped_column(sa.String(64))


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class Setting(Base):
    """Administrator-tuned settings (deadlines, tenure limits...); defaults live in code."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[dict | list | int | str | float | bool | None] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """Append-only, hash-chained record of every change to a supervised record."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_entity", "entity_type", "entity_id"),
        sa.Index("ix_audit_event_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    actor_name: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    entity_type: Mapped[str] = mapped_column(sa.String(64))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


AUDIT_APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
]
AUDIT_APPEND_ONLY_POSTGRES = [
    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event",
    "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
]


def install_audit_guards(connection) -> None:
    """Make the database itself refuse UPDATE and DELETE on audit_event."""
    statements = (
        AUDIT_APPEND_ONLY_POSTGRES
        if connection.dialect.name == "postgresql"
        else AUDIT_APPEND_ONLY_SQLITE
    )
    for statement in statements:
        connection.exec_driver_sql(statement)


@sa.event.listens_for(AuditEvent.__table__, "after_create")
def _audit_guards_after_create(target, connection, **kw):
    install_audit_guards(connection)


class Conflict(Base):
    """A recorded conflict of interest (回避) between two staff members, e.g. relatives.

    Used by spot-check draws (an inspector is never drawn for a conflicted target) and by the
    rotation planner (conflicted people may not hold the same window or posts that check each other).
    The pair is stored with the lower id first.
    """

    __tablename__ = "conflict"
    __table_args__ = (
        sa.UniqueConstraint("staff_a_id", "staff_b_id"),
        sa.CheckConstraint("staff_a_id < staff_b_id", name="ordered_pair"),
        enum_check("kind", ("relative", "interest", "other")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_a_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"), index=True)
    staff_b_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="relative")
    reason: Mapped[str] = mapped_column(sa.String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff_a: Mapped[StaffMember] = relationship(foreign_keys=[staff_a_id])
    staff_b: Mapped[StaffMember] = relationship(foreign_keys=[staff_b_id])


def conflicted_staff_ids(session, staff_member_id: int) -> set[int]:
    """Ids of staff members with a recorded conflict with the given one."""
    rows = session.execute(
        sa.select(Conflict.staff_a_id, Conflict.staff_b_id).where(
            sa.or_(Conflict.staff_a_id == staff_member_id, Conflict.staff_b_id == staff_member_id)
        )
    ).all()
    return {a if b == staff_member_id else b for a, b in rows}
