"""Group notices to 企业微信 (WeCom) and 钉钉 (DingTalk) group robots, per site.

Public for feature packages (import at module level):

- `enqueue_group_notice(session, site_id=..., event=..., title=..., body=..., link=...,
  entity=..., dedupe_key=...)`: queue a notice for the site's groups that take `event`; call it
  after the in-app notifications of the same event. Events: see `events.EVENTS`
  (e.g. "bulletin.published" for the evaluation package's 通报).
- `group_text(msgid, **params)`: a text in the default language, for titles and bodies;
  `record_url(path)`: the absolute address of a page, for links inside a body.
- `register_daily_summary(app, provider)`: add lines to each group's daily summary.
- `mark_confidential("ModelName")`: records of that model never reach a group.
"""

from __future__ import annotations

from . import models  # noqa: F401  (tables must be known to the metadata)
from .events import (  # noqa: F401
    BULLETIN_PUBLISHED,
    DAILY_SUMMARY,
    DRAW_PUBLISHED,
    EVENTS,
    PATROL_MISSING,
    RECTIFICATION_ESCALATED,
    RECTIFICATION_OVERDUE,
    mark_confidential,
)
from .services import enqueue_group_notice, group_text, record_url  # noqa: F401
from .summary import SummaryPart, register_daily_summary  # noqa: F401


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from ...scheduler import register_job
    from ...ui import register_nav
    from .sender import send_pending_group_notices
    from .summary import send_daily_summaries
    from .views import bp

    app.register_blueprint(bp)
    register_nav(app, "channels.channels", _l("Group notices"), roles=("admin",), order=905)
    register_job(
        app,
        "notifications.send_group",
        send_pending_group_notices,
        _l("Send queued notices to WeCom and DingTalk groups (with retries)"),
        quiet=True,
        minute="*",
    )
    register_job(
        app,
        "notifications.group_summary",
        send_daily_summaries,
        _l("Queue each group's daily summary of open rectifications"),
        hour=int(app.config.get("GROUP_SUMMARY_HOUR", 8)),
        minute=30,
    )
