"""Group channels: configuring a site's robots and queueing notices for them. Services flush,
never commit; the audit trail records that a webhook or secret changed, never the value."""

from __future__ import annotations

import logging
import uuid
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from ...audit import record
from ...db import utcnow
from ...domain import N_, InvalidError, StaleError, translate_for
from ...models import Site, User
from . import crypto
from .events import EVENTS, TEST, is_confidential
from .models import CHANNEL_KINDS, GroupChannel, GroupSend

logger = logging.getLogger(__name__)

OFFICIAL_HOSTS = {"wecom": ("qyapi.weixin.qq.com",), "dingtalk": ("oapi.dingtalk.com",)}
TOKEN_PARAM = {"wecom": "key", "dingtalk": "access_token"}
MAX_TITLE = 200
# Every group message starts with the system's name: a reliable keyword for DingTalk's keyword
# security, and what tells readers where the message comes from.
HEADING = N_("[Window supervision] %(title)s")
OPEN_LINK = N_("Open in the system")


# --------------------------------------------------------------------------- checking input


def extra_hosts(config) -> set[str]:
    """`GROUP_WEBHOOK_HOSTS`: further hosts (host or host:port) robots may live on, e.g. a
    privately deployed WeCom; http is allowed there, https is required on the official hosts."""
    raw = config.get("GROUP_WEBHOOK_HOSTS") or ""
    return {h.strip().lower() for h in raw.split(",") if h.strip()}


def check_webhook(kind: str, url: str, config) -> str:
    """The webhook address, trimmed; raises InvalidError (field "webhook") when it is not a
    robot address of that kind."""
    url = (url or "").strip()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    netloc = parts.netloc.lower()
    allowed = extra_hosts(config)
    official = host in OFFICIAL_HOSTS[kind] and parts.scheme == "https" and parts.port is None
    private = parts.scheme in ("http", "https") and (netloc in allowed or host in allowed)
    if len(url) > 500 or not (official or private) or parts.username or parts.password:
        raise InvalidError(
            f"channels.{kind}_address",
            N_(
                "A WeCom robot address looks like https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
            )
            if kind == "wecom"
            else N_(
                "A DingTalk robot address looks like https://oapi.dingtalk.com/robot/send?access_token=…"
            ),
            field="webhook",
        )
    token = dict(parse_qsl(parts.query)).get(TOKEN_PARAM[kind], "")
    if len(token) < 8:
        raise InvalidError(
            "channels.webhook_token",
            N_(
                "The address has no %(param)s: copy the whole webhook address from the robot's settings."
            ),
            field="webhook",
            param=TOKEN_PARAM[kind],
        )
    return url


def check_secret(secret: str) -> str:
    secret = (secret or "").strip()
    if not secret.startswith("SEC") or len(secret) > 200 or any(c.isspace() for c in secret):
        raise InvalidError(
            "channels.dingtalk_secret",
            N_("A DingTalk signing secret starts with SEC (robot settings, 安全设置 → 加签)."),
            field="secret",
        )
    return secret


def _check_events(events) -> list[str]:
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidError(
            "channels.unknown_event",
            N_("Unknown event: %(event)s"),
            field="events",
            event=unknown[0],
        )
    return sorted(set(events))


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidError(
            "channels.name", N_("Give the group a name of at most 80 characters."), field="name"
        )
    return name


def _audit_view(channel: GroupChannel) -> dict:
    """What the audit trail keeps of a channel: never the address, token or secret."""
    return {
        "site_id": channel.site_id,
        "kind": channel.kind,
        "name": channel.name,
        "events": list(channel.events or []),
        "include_children": channel.include_children,
        "is_active": channel.is_active,
        "signed": channel.secret_enc is not None,
    }


# --------------------------------------------------------------------------- configuring


def create_channel(
    session: Session,
    actor: User,
    *,
    site: Site,
    kind: str,
    name: str,
    webhook: str,
    secret: str | None = None,
    events=(),
    include_children: bool = True,
    is_active: bool = True,
) -> GroupChannel:
    """Add a group robot to a site. Raises InvalidError for a wrong address, secret, name or
    event. The audit event says a webhook was set, without its value."""
    if kind not in CHANNEL_KINDS:
        raise InvalidError("channels.kind", N_("Choose WeCom or DingTalk."), field="kind")
    name = _check_name(name)
    url = check_webhook(kind, webhook, current_app.config)
    secret = check_secret(secret) if kind == "dingtalk" and secret else None
    channel = GroupChannel(
        site_id=site.id,
        kind=kind,
        name=name,
        webhook_enc=crypto.encrypt(url),
        webhook_hint=crypto.mask_webhook(url),
        secret_enc=crypto.encrypt(secret) if secret else None,
        events=_check_events(events),
        include_children=bool(include_children),
        is_active=bool(is_active),
        created_by_id=actor.id if actor else None,
    )
    session.add(channel)
    session.flush()
    after = _audit_view(channel) | {"webhook_changed": True, "secret_changed": bool(secret)}
    record(session, actor, "group_channel.create", channel, after=after)
    logger.info("group channel %s (%s) added to site %s", channel.id, kind, site.id)
    return channel


def update_channel(
    session: Session,
    actor: User,
    channel: GroupChannel,
    *,
    version: int | None,
    name: str,
    events,
    include_children: bool,
    is_active: bool,
    webhook: str | None = None,
    secret: str | None = None,
    clear_secret: bool = False,
) -> GroupChannel:
    """Change a channel. A blank `webhook`/`secret` keeps the stored one. Raises StaleError when
    someone saved it since `version` was read, InvalidError for wrong input."""
    if version is not None and version != channel.version:
        raise StaleError("channels.stale")
    before = _audit_view(channel)
    channel.name = _check_name(name)
    channel.events = _check_events(events)
    channel.include_children = bool(include_children)
    channel.is_active = bool(is_active)
    webhook_changed = secret_changed = False
    if webhook and webhook.strip():
        url = check_webhook(channel.kind, webhook, current_app.config)
        channel.webhook_enc = crypto.encrypt(url)
        channel.webhook_hint = crypto.mask_webhook(url)
        webhook_changed = True
    if channel.kind == "dingtalk" and secret and secret.strip():
        channel.secret_enc = crypto.encrypt(check_secret(secret))
        secret_changed = True
    elif clear_secret and channel.secret_enc is not None:
        channel.secret_enc = None
        secret_changed = True
    channel.updated_at = utcnow()
    session.flush()
    after = _audit_view(channel) | {
        "webhook_changed": webhook_changed,
        "secret_changed": secret_changed,
    }
    record(session, actor, "group_channel.update", channel, before=before, after=after)
    return channel


def webhook_readable(channel: GroupChannel) -> bool:
    """False when the stored address cannot be decrypted (the key changed): re-enter it."""
    return crypto.readable(channel.webhook_enc) and crypto.readable(channel.secret_enc)


# --------------------------------------------------------------------------- queueing


def group_text(msgid: str, **params) -> str:
    """A message text in the configured default language (groups are read by everyone)."""
    return translate_for(None, msgid, params)


def record_url(path: str) -> str:
    """The absolute address of a page of this system (BASE_URL + path), for links in a group."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def compose(title: str, body: str, link: str | None) -> str:
    """The markdown both robots render: a heading with the system's name (a reliable keyword
    for DingTalk's keyword security), the body and a link to the record."""
    parts = ["#### " + group_text(HEADING, title=title), body.strip()]
    if link:
        parts.append(f"[{group_text(OPEN_LINK)}]({record_url(link)})")
    return "\n\n".join(p for p in parts if p)


def _ancestors(session: Session, site_id: int) -> list[int]:
    """The site and every site above it, nearest first."""
    parents = dict(session.execute(sa.select(Site.id, Site.parent_id)).all())
    chain, current = [], site_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def channels_for(session: Session, site_id: int, event: str) -> list[GroupChannel]:
    """Active channels that take `event` for this site: its own, and those of sites above it
    that include their sub-sites."""
    chain = _ancestors(session, site_id)
    rows = session.scalars(
        sa.select(GroupChannel)
        .where(GroupChannel.site_id.in_(chain), GroupChannel.is_active.is_(True))
        .order_by(GroupChannel.id)
    ).all()
    return [
        c
        for c in rows
        if event in (c.events or []) and (c.site_id == site_id or c.include_children)
    ]


def queue_send(
    session: Session,
    channel: GroupChannel,
    *,
    event: str,
    title: str,
    text: str,
    dedupe_key: str,
    site_id: int | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
) -> GroupSend | None:
    """One pending send for one channel, unless that channel already has `dedupe_key`."""
    exists = session.scalar(
        sa.select(GroupSend.id).where(
            GroupSend.channel_id == channel.id, GroupSend.dedupe_key == dedupe_key
        )
    )
    if exists:
        return None
    send = GroupSend(
        channel_id=channel.id,
        event=event,
        site_id=site_id,
        entity_type=entity_type,
        entity_id=entity_id,
        title=title[:MAX_TITLE],
        text=text,
        dedupe_key=dedupe_key[:200],
        status="pending",
        next_attempt_at=utcnow(),
    )
    session.add(send)
    session.flush()
    return send


def enqueue_group_notice(
    session: Session,
    *,
    site_id: int,
    event: str,
    title: str,
    body: str,
    link: str | None = None,
    entity=None,
    dedupe_key: str,
) -> int:
    """Queue a notice for every group channel of `site_id` (and of the sites above it that
    include sub-sites) subscribed to `event`; the scheduler sends it. Returns how many sends were
    queued (0 with no channel, or when each already has `dedupe_key`).

    Call it after the in-app notifications of the same event: it runs in a savepoint and never
    raises for a database problem, so it can never undo them. Integrity (confidential) events and
    entities are refused (0, logged). Raises ValueError for an event not in EVENTS (a bug).
    """
    entity_type = type(entity).__name__ if entity is not None else None
    if is_confidential(event, entity_type, entity):
        logger.warning("group notice refused: %s about a confidential %s", event, entity_type)
        return 0
    if event not in EVENTS:
        raise ValueError(f"unknown group event {event!r}")
    entity_id = str(sa.inspect(entity).identity[0]) if entity is not None else None
    queued = 0
    try:
        with session.begin_nested():
            text = compose(title, body, link)
            for channel in channels_for(session, site_id, event):
                if queue_send(
                    session,
                    channel,
                    event=event,
                    title=title,
                    text=text,
                    dedupe_key=dedupe_key,
                    site_id=site_id,
                    entity_type=entity_type,
                    entity_id=entity_id,
                ):
                    queued += 1
    except Exception:  # a group notice must never take the caller's work down with it
        logger.exception("group notice %s for site %s not queued", event, site_id)
        return 0
    return queued


def queue_test(session: Session, actor: User, channel: GroupChannel) -> GroupSend:
    """Queue a test message for a channel (sent by the scheduler within a minute)."""
    title = group_text(N_("Test message"))
    body = group_text(
        N_("This group will receive notices of %(site)s from the window supervision system."),
        site=channel.site.name,
    )
    send = queue_send(
        session,
        channel,
        event=TEST,
        title=title,
        text=compose(title, body, "/dashboard"),
        dedupe_key=f"test:{uuid.uuid4().hex}",
        site_id=channel.site_id,
    )
    record(
        session,
        actor,
        "group_channel.test",
        channel,
        after={"send_id": send.id},
    )
    return send


def retry_send(session: Session, actor: User, send: GroupSend) -> GroupSend:
    """Queue a failed or expired send once more. Raises InvalidError for any other status."""
    if send.status not in ("failed", "expired", "skipped"):
        raise InvalidError(
            "channels.retry_status", N_("Only a failed or expired notice can be sent again.")
        )
    send.status = "pending"
    send.next_attempt_at = utcnow()
    send.attempts = 0
    send.claimed_at = None
    session.flush()
    record(
        session,
        actor,
        "group_send.retry",
        entity_type="GroupSend",
        entity_id=send.id,
        after={"channel_id": send.channel_id, "event": send.event},
    )
    return send
