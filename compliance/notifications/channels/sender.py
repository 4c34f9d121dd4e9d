"""Delivering queued group notices, in the scheduler process (job `notifications.send_group`).

Each run claims due sends (one conditional UPDATE each, committed), makes the HTTP calls with
no database transaction open (a slow robot never holds a lock), then records every outcome.
A failure is retried with a growing delay up to `MAX_ATTEMPTS`; every attempt is kept in the
send's record. Nothing here touches in-app notifications.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote_plus

import sqlalchemy as sa
from flask import Flask

from ...db import db, utcnow
from ...uow import commit_batch
from . import crypto
from .events import is_confidential
from .models import GroupChannel, GroupSend

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = (60, 120, 300, 900)  # seconds before attempts 2, 3, 4, 5
BATCH = 60
PER_CHANNEL_PER_MINUTE = 18  # both robots accept 20 messages a minute; keep a margin
STALE_CLAIM = timedelta(minutes=10)  # a claim older than this was lost by a dead process
WECOM_MAX_BYTES = 4096  # WeCom's markdown limit; DingTalk's is larger, the same cut serves both


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A robot answers itself; a redirect (to wherever) is an error, never followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass
class Outcome:
    ok: bool
    http_status: int | None = None
    errcode: int | None = None
    error: str | None = None
    ms: int = 0
    unreachable: bool = False  # no answer at all: leave the channel's other sends for later


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return quote_plus(base64.b64encode(digest))


def _cut(text: str, limit: int = WECOM_MAX_BYTES) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 4].decode(errors="ignore") + "…"


def build_request(kind: str, url: str, secret: str | None, title: str, text: str, now_ms=None):
    """(address, JSON body) for one markdown message."""
    text = _cut(text)
    if kind == "wecom":
        return url, {"msgtype": "markdown", "markdown": {"content": text}}
    if secret:
        ts = now_ms if now_ms is not None else int(time.time() * 1000)
        url = f"{url}&timestamp={ts}&sign={dingtalk_sign(secret, ts)}"
    return url, {"msgtype": "markdown", "markdown": {"title": title[:64], "text": text}}


def deliver(kind: str, url: str, secret: str | None, title: str, text: str, timeout: float):
    """POST one message and read the robot's answer ({"errcode": 0} is success)."""
    address, body = build_request(kind, url, secret, title, text)
    request = urllib.request.Request(
        address,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        with _opener.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        return Outcome(False, exc.code, None, f"HTTP {exc.code} {exc.reason}", elapsed())
    except TimeoutError:
        return Outcome(False, None, None, f"no answer within {timeout:g} s", elapsed(), True)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        unreachable = not isinstance(reason, str)
        if isinstance(reason, TimeoutError):
            return Outcome(False, None, None, f"no answer within {timeout:g} s", elapsed(), True)
        return Outcome(False, None, None, f"cannot connect: {reason}", elapsed(), unreachable)
    try:
        answer = json.loads(raw.decode("utf-8"))
        errcode = int(answer.get("errcode"))
    except (ValueError, TypeError, AttributeError):
        return Outcome(False, status, None, "unexpected answer (not the robot's JSON)", elapsed())
    if errcode != 0:
        errmsg = str(answer.get("errmsg") or "")[:200]
        return Outcome(False, status, errcode, f"errcode {errcode}: {errmsg}", elapsed())
    return Outcome(True, status, 0, None, elapsed())


def _housekeeping(session, now, max_age: timedelta) -> dict:
    """Return lost claims to the queue, drop stale news and sends of switched-off channels."""
    session.execute(
        sa.update(GroupSend)
        .where(GroupSend.status == "sending", GroupSend.claimed_at < now - STALE_CLAIM)
        .values(status="pending", claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    expired = session.execute(
        sa.update(GroupSend)
        .where(GroupSend.status == "pending", GroupSend.next_attempt_at < now - max_age)
        .values(status="expired", error="too old to send when its turn came")
        .execution_options(synchronize_session=False)
    ).rowcount
    off = sa.select(GroupChannel.id).where(GroupChannel.is_active.is_(False))
    skipped = session.execute(
        sa.update(GroupSend)
        .where(GroupSend.status == "pending", GroupSend.channel_id.in_(off))
        .values(status="skipped", error="the channel is switched off")
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"expired": expired, "skipped": skipped}


def _claim(session, now) -> list[dict]:
    """Claim due sends (respecting each robot's rate limit) and return what the HTTP calls need,
    decrypted; the claims are committed before any call is made."""
    recent = dict(
        session.execute(
            sa.select(GroupSend.channel_id, sa.func.count(GroupSend.id))
            .where(GroupSend.last_attempt_at >= now - timedelta(minutes=1))
            .group_by(GroupSend.channel_id)
        ).all()
    )
    rows = session.execute(
        sa.select(GroupSend, GroupChannel)
        .join(GroupChannel, GroupChannel.id == GroupSend.channel_id)
        .where(GroupSend.status == "pending", GroupSend.next_attempt_at <= now)
        .order_by(GroupSend.id)
        .limit(BATCH)
    ).all()
    work = []
    for send, channel in rows:
        if recent.get(channel.id, 0) >= PER_CHANNEL_PER_MINUTE:
            continue
        taken = session.execute(
            sa.update(GroupSend)
            .where(GroupSend.id == send.id, GroupSend.status == "pending")
            .values(status="sending", claimed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            continue
        recent[channel.id] = recent.get(channel.id, 0) + 1
        item = {"id": send.id, "channel_id": channel.id, "kind": channel.kind}
        item.update(title=send.title, text=send.text, attempts=send.attempts)
        if is_confidential(send.event, send.entity_type):
            item["refused"] = "confidential record: never sent to a group"
        else:
            try:
                item["url"] = crypto.decrypt(channel.webhook_enc)
                item["secret"] = crypto.decrypt(channel.secret_enc)
            except crypto.SecretUnreadable:
                item["refused"] = "the stored webhook cannot be read (key changed?): re-enter it"
        work.append(item)
    commit_batch(session)
    return work


def _record(session, item: dict, outcome: Outcome, now) -> str:
    send = session.get(GroupSend, item["id"])
    attempts = item["attempts"] + 1
    entry = {
        "at": now.isoformat(timespec="seconds"),
        "http_status": outcome.http_status,
        "errcode": outcome.errcode,
        "error": outcome.error,
        "ms": outcome.ms,
    }
    send.attempt_log = [*(send.attempt_log or [])[-(MAX_ATTEMPTS * 2 - 1) :], entry]
    send.attempts = attempts
    send.last_attempt_at = now
    send.http_status, send.errcode = outcome.http_status, outcome.errcode
    send.error = outcome.error[:300] if outcome.error else None
    send.claimed_at = None
    if outcome.ok:
        send.status, send.sent_at = "sent", now
    elif attempts >= MAX_ATTEMPTS or item.get("refused"):
        send.status = "failed"
    else:
        send.status = "pending"
        send.next_attempt_at = now + timedelta(seconds=BACKOFF[min(attempts, len(BACKOFF)) - 1])
    return send.status


def send_pending_group_notices(app: Flask, run_on: date) -> dict:
    """Send due group notices (job `notifications.send_group`, every minute). At most `BATCH`
    per run and `PER_CHANNEL_PER_MINUTE` per robot; stops starting new calls after
    GROUP_SEND_BUDGET_SECONDS (what is left waits for the next minute, no attempt counted).
    Returns {"sent", "retrying", "failed", "expired", "skipped"}."""
    session = db.session
    config = app.config
    timeout = float(config.get("GROUP_SEND_TIMEOUT", 5))
    budget = float(config.get("GROUP_SEND_BUDGET_SECONDS", 30))
    max_age = timedelta(hours=float(config.get("GROUP_NOTICE_MAX_AGE_HOURS", 24)))
    now = utcnow()
    waiting = sa.select(GroupSend.id).where(GroupSend.status.in_(("pending", "sending"))).limit(1)
    if session.scalar(waiting) is None:
        return {}  # the usual minute: nothing queued, nothing written
    counts = _housekeeping(session, now, max_age)
    counts.update(sent=0, retrying=0, failed=0)
    work = _claim(session, now)
    started = time.monotonic()
    results, unreachable, put_back = [], set(), []
    for item in work:
        if item["channel_id"] in unreachable or time.monotonic() - started > budget:
            put_back.append(item["id"])
            continue
        if item.get("refused"):
            outcome = Outcome(False, error=item["refused"])
        else:
            outcome = deliver(
                item["kind"], item["url"], item["secret"], item["title"], item["text"], timeout
            )
            if outcome.error:
                outcome.error = crypto.scrub(outcome.error, item["url"], item["secret"])
            if outcome.unreachable:
                unreachable.add(item["channel_id"])
        results.append((item, outcome))
    done = utcnow()
    if put_back:
        session.execute(
            sa.update(GroupSend)
            .where(GroupSend.id.in_(put_back), GroupSend.status == "sending")
            .values(status="pending", claimed_at=None)
            .execution_options(synchronize_session=False)
        )
    for item, outcome in results:
        status = _record(session, item, outcome, done)
        key = {"sent": "sent", "pending": "retrying"}.get(status, "failed")
        counts[key] += 1
        if not outcome.ok:
            logger.warning(
                "group notice %s to channel %s failed (attempt %s): %s",
                item["id"],
                item["channel_id"],
                item["attempts"] + 1,
                outcome.error,
            )
    session.flush()
    return counts
