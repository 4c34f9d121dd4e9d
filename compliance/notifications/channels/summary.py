"""The daily summary for each group that takes it: feature packages register a provider that
describes a set of sites in a few markdown lines (the core does not know what a rectification
is); the job puts them together, one message per channel and day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import Flask

from ...access import site_tree_ids
from ...db import db
from ...domain import N_
from .events import DAILY_SUMMARY
from .models import GroupChannel
from .services import compose, group_text, queue_send


@dataclass
class SummaryPart:
    """A provider's contribution: markdown lines and the page they summarise (a path)."""

    lines: list[str] = field(default_factory=list)
    link: str | None = None


# provider(session, site_ids: set[int], run_on: date) -> SummaryPart | None (None: nothing to say)
Provider = Callable


def register_daily_summary(app: Flask, provider: Provider) -> None:
    app.extensions.setdefault("group_daily_summary", []).append(provider)


def send_daily_summaries(app: Flask, run_on: date) -> dict:
    """Queue today's summary for every active channel that takes it (job
    `notifications.group_summary`). A channel whose sites have nothing to report gets nothing.
    Idempotent per date (dedupe key per channel and date)."""
    session = db.session
    providers = app.extensions.get("group_daily_summary", [])
    channels = [
        c
        for c in session.scalars(
            sa.select(GroupChannel)
            .where(GroupChannel.is_active.is_(True))
            .order_by(GroupChannel.id)
        )
        if DAILY_SUMMARY in (c.events or [])
    ]
    queued = 0
    for channel in channels:
        site_ids = (
            site_tree_ids(session, [channel.site_id])
            if channel.include_children
            else {channel.site_id}
        )
        lines: list[str] = []
        link = None
        for provider in providers:
            part = provider(session, site_ids, run_on)
            if part:
                lines.extend(part.lines)
                link = link or part.link
        if not lines:
            continue
        title = group_text(
            N_("%(site)s: open rectifications on %(day)s"),
            site=channel.site.name,
            day=run_on.isoformat(),
        )
        send = queue_send(
            session,
            channel,
            event=DAILY_SUMMARY,
            title=title,
            text=compose(title, "\n".join(lines), link),
            dedupe_key=f"daily-summary:{run_on.isoformat()}",
            site_id=channel.site_id,
        )
        queued += send is not None
    return {"queued": queued}
