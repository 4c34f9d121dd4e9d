"""The tenure-due chart panel (HR and centre heads) and the year-in-review section of key-post
rotation (关键岗位轮岗交流): posts rotated and people rotated."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from compliance.access import scope_ids
from compliance.charts import Chart, Series, chart_panel
from compliance.db import db
from compliance.memo import remember, scope_key
from compliance.models import User
from compliance.review import Figure, ReviewContext, Section
from compliance.timeutil import local_today

from ..services import stats

PANEL_ROLES = ("hr", "leader")
OVERDUE_COLOUR = "#b3261e"
SOON_COLOUR = "#8a6d00"


def tenure_panel(user: User):
    """Key-post holders due for rotation: overdue, and due within 30, 60 and 90 days."""
    site_ids, today = scope_ids(user), local_today()
    # the whole tenure board of the scope, counted: remembered until the next audited write
    due = remember(
        ("tenure_due", scope_key(site_ids), today),
        lambda: _due_summary(stats.tenure_due(db.session, site_ids, today)),
    )
    buckets = due["buckets"]
    if not sum(buckets):
        return None
    limits = stats.DUE_LIMITS
    categories = [_("Overdue")] + [
        _("within %(days)s days", days=limits[0]),
        *(
            _("%(low)s–%(high)s days", low=low + 1, high=high)
            for low, high in zip(limits, limits[1:], strict=False)
        ),
    ]
    chart = Chart(
        key="tenure-due",
        title=_("Key-post holders due for rotation"),
        kind="stacked",
        categories=categories,
        series=[
            Series(_("Overdue"), [buckets[0]] + [0] * len(limits), colour=OVERDUE_COLOUR),
            Series(_("Due soon"), [0, *buckets[1:]], colour=SOON_COLOUR),
        ],
        show_total=False,
        links=[url_for("rotation.board", status="overdue")]
        + [url_for("rotation.board", status="due_soon")] * len(limits),
        category_header=_("Due"),
    )
    extra = Markup(render_template("rotation/_tenure_list.html", rows=due["rows"]))
    return chart_panel(
        "tenure-due",
        _("Key-post holders due for rotation"),
        url_for("rotation.board"),
        chart,
        sub=_(
            "%(overdue)s overdue, %(soon)s due within 90 days; %(exempt)s postponed",
            overdue=buckets[0],
            soon=sum(buckets[1:]),
            exempt=due["exempt"],
        ),
        extra=extra,
    )


def _due_summary(due: dict, shown: int = 5) -> dict:
    """The panel's figures as plain data (no ORM objects: they are remembered past the
    request): the buckets, the postponed count and the first `shown` holders."""
    return {
        "buckets": due["buckets"],
        "exempt": due["exempt"],
        "rows": [
            {
                "name": r.staff.name,
                "post": r.post.name,
                "status": r.status,
                "due_on": r.due_on,
                "postponed": r.exemption is not None,
            }
            for r in due["rows"][:shown]
        ],
    }


def review_rotation(ctx: ReviewContext) -> Section:
    """Key posts rotated (posts, and people)."""
    counts = stats.rotations(ctx.session, ctx.period)
    moves_url = ctx.link("rotation.plans")
    figures = [
        Figure(
            "key_posts_rotated", _("Key posts rotated"), counts["posts"], moves_url, headline=True
        ),
        Figure("people_rotated", _("People rotated"), counts["people"], moves_url),
        Figure("rotation_moves", _("Moves executed"), counts["moves"], moves_url),
    ]
    return Section(
        "rotation",
        _("Key-post rotation"),
        figures,
        sentence=_(
            "%(posts)s key posts rotated (%(people)s people)",
            posts=counts["posts"],
            people=counts["people"],
        ),
        url=ctx.link("rotation.board"),
    )
