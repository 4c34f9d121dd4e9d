"""Scores of a month (live while open, frozen once closed), one subject's itemised score, and
the ranking over a month, quarter or year."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import defer

from compliance.access import in_scope, roles_required, scope_filter, sites_in_scope
from compliance.db import db
from compliance.models import Post
from compliance.periods import month_start
from compliance.timeutil import local_today

from .. import services as svc
from ..models import MonthClose, ScoreSnapshot
from .common import (
    ALL_ROLES,
    CARD_LABELS,
    ITEM_LABELS,
    KIND_LABELS,
    READERS,
    bp,
    int_arg,
    month_arg,
    month_scores,
)

PER_PAGE = 100
ITEM_LINKS = {
    "finding": ("inspections.finding_detail", "finding_id"),
    "rectification": ("rectification.timeline", "rect_id"),
    "complaint": ("complaints.detail", "record_id"),
    "commendation": ("complaints.detail", "record_id"),
    "integrity_case": ("integrity.case_detail", "case_id"),
}
CASE_READERS = ("discipline", "admin")


def item_link(item: dict) -> str | None:
    endpoint, arg = ITEM_LINKS.get(item["ref_kind"], (None, None))
    if endpoint is None:
        return None
    if item["ref_kind"] == "integrity_case" and not current_user.has_role(*CASE_READERS):
        return None  # the case stays confidential to the discipline office
    return url_for(endpoint, **{arg: item["ref_id"]})


def _kind() -> str:
    kind = request.args.get("kind", "staff")
    if kind not in KIND_LABELS:
        abort(400, description="kind")
    return kind


def _filtered(rows, site_id, post_id):
    if site_id is not None:
        rows = [r for r in rows if r.site_id == site_id]
    if post_id is not None:
        rows = [r for r in rows if r.post_id == post_id]
    return rows


@bp.route("/scores")
@roles_required(*ALL_ROLES)
def scores():
    month = month_arg()
    if not current_user.has_role(*READERS):
        return _own_page(month)
    kind = _kind()
    site_id, post_id = int_arg("site"), int_arg("post")
    close, live = month_scores(current_user, month)
    if close is not None:
        query = sa.select(ScoreSnapshot).where(
            ScoreSnapshot.close_id == close.id,
            ScoreSnapshot.subject_kind == kind,
            scope_filter(current_user, ScoreSnapshot.site_id),
        )
        rows = list(
            db.session.scalars(
                query.options(defer(ScoreSnapshot.detail)).order_by(
                    ScoreSnapshot.rank, ScoreSnapshot.name
                )
            )
        )
    elif live is not None:
        rows = live.ranked(kind)
    else:
        rows = []
    rows = _filtered(rows, site_id, post_id)
    page = int_arg("page") or 1
    pages = max(1, -(-len(rows) // PER_PAGE))
    if page > pages:
        abort(404)
    return render_template(
        "evaluation/scores.html",
        month=month,
        kind=kind,
        rows=rows[(page - 1) * PER_PAGE : page * PER_PAGE],
        total=len(rows),
        page=page,
        pages=pages,
        close=close,
        live=live,
        sites=sites_in_scope(current_user),
        posts=db.session.scalars(sa.select(Post).order_by(Post.code)).all(),
        site_id=site_id,
        post_id=post_id,
        kind_labels=KIND_LABELS,
        card_labels=CARD_LABELS,
    )


@bp.route("/scores/<kind>/<int:subject_id>")
@roles_required(*ALL_ROLES)
def score_detail(kind: str, subject_id: int):
    if kind not in KIND_LABELS:
        abort(404)
    return _detail(kind, subject_id, month_arg())


def _own_page(month: date):
    """A staff member's own score (a page saying there is none without a staff record)."""
    if current_user.staff_member_id is None:
        return render_template("evaluation/my.html")
    return _detail("staff", current_user.staff_member_id, month)


def _detail(kind: str, subject_id: int, month: date):
    own = kind == "staff" and subject_id == current_user.staff_member_id
    if not own and not current_user.has_role(*READERS):
        abort(404)
    close, live = month_scores(current_user, month) if not own else _own_scores(month)
    if close is not None:
        row = db.session.scalar(
            sa.select(ScoreSnapshot).where(
                ScoreSnapshot.close_id == close.id,
                ScoreSnapshot.subject_kind == kind,
                ScoreSnapshot.subject_id == subject_id,
            )
        )
    elif live is not None:
        row = live.of(kind).get(subject_id)
    else:
        row = None
    if row is None and own:
        return render_template("evaluation/my.html", linked=True, month=month)
    if row is None or not (own or in_scope(current_user, row.site_id)):
        abort(404)
    return render_template(
        "evaluation/score_detail.html",
        month=month,
        row=row,
        kind=kind,
        close=close,
        items=row.detail,
        own=own,
        item_link=item_link,
        item_labels=ITEM_LABELS,
        card_labels=CARD_LABELS,
        kind_labels=KIND_LABELS,
    )


def _own_scores(month: date):
    """A staff member's own month: the snapshot, or live scores of their site."""
    close = svc.closed_month(db.session, month.year, month.month)
    if close is not None:
        return close, None
    scheme = svc.scheme_for(db.session, month)
    if scheme is None:
        return None, None
    staff = current_user.staff_member
    today = local_today()
    return None, svc.live_scores(
        db.session,
        scheme,
        month,
        as_of=today if month_start(today) == month else None,
        site_ids={staff.site_id},
    )


@bp.route("/my")
@roles_required(*ALL_ROLES)
def my_score():
    return _own_page(month_arg())


PERIODS = ("month", "quarter", "year")


@bp.route("/ranking")
@roles_required(*READERS)
def ranking():
    """Closed months only: the average score over the period's closed months, ranked."""
    today = local_today()
    period = request.args.get("period", "month")
    if period not in PERIODS:
        abort(400, description="period")
    year = int_arg("year") or today.year
    if not 2000 <= year <= 2100:
        abort(400, description="year")
    if period == "month":
        month = month_arg()
        months = [month]
        year = month.year
        label = month.strftime("%Y-%m")
    elif period == "quarter":
        quarter = int_arg("quarter") or (today.month - 1) // 3 + 1
        if not 1 <= quarter <= 4:
            abort(400, description="quarter")
        months = [date(year, 3 * (quarter - 1) + m, 1) for m in (1, 2, 3)]
        label = f"{year} Q{quarter}"
    else:
        months = [date(year, m, 1) for m in range(1, 13)]
        label = str(year)
    kind = _kind()
    site_id, post_id = int_arg("site"), int_arg("post")
    query = (
        sa.select(
            ScoreSnapshot.subject_id,
            sa.func.max(ScoreSnapshot.name),
            sa.func.max(ScoreSnapshot.site_id),
            sa.func.avg(ScoreSnapshot.score),
            sa.func.count(ScoreSnapshot.id),
            sa.func.sum(sa.case((ScoreSnapshot.card == "red", 1), else_=0)),
            sa.func.sum(sa.case((ScoreSnapshot.card == "yellow", 1), else_=0)),
            sa.func.sum(ScoreSnapshot.deductions),
            sa.func.sum(ScoreSnapshot.bonuses),
        )
        .join(MonthClose, MonthClose.id == ScoreSnapshot.close_id)
        .where(
            MonthClose.status == "closed",
            MonthClose.month.in_(months),
            ScoreSnapshot.subject_kind == kind,
            scope_filter(current_user, ScoreSnapshot.site_id),
        )
        .group_by(ScoreSnapshot.subject_id)
        .order_by(sa.func.avg(ScoreSnapshot.score).desc(), sa.func.max(ScoreSnapshot.name))
    )
    if site_id is not None:
        query = query.where(ScoreSnapshot.site_id == site_id)
    if post_id is not None:
        query = query.where(ScoreSnapshot.post_id == post_id)
    rows = []
    previous = None
    for position, r in enumerate(db.session.execute(query), start=1):
        average = round(float(r[3]), 2)
        rank = previous[1] if previous and previous[0] == average else position
        previous = (average, rank)
        rows.append(
            {
                "id": r[0],
                "name": r[1],
                "site_id": r[2],
                "score": average,
                "months": r[4],
                "red": r[5],
                "yellow": r[6],
                "deductions": round(float(r[7] or 0), 2),
                "bonuses": round(float(r[8] or 0), 2),
                "rank": rank,
            }
        )
    closed = db.session.scalar(
        sa.select(sa.func.count(MonthClose.id)).where(
            MonthClose.status == "closed", MonthClose.month.in_(months)
        )
    )
    return render_template(
        "evaluation/ranking.html",
        rows=rows,
        period=period,
        label=label,
        year=year,
        months=months,
        closed=closed,
        kind=kind,
        site_id=site_id,
        post_id=post_id,
        quarter=request.args.get("quarter", ""),
        month_value=months[0].strftime("%Y-%m"),
        sites=sites_in_scope(current_user),
        posts=db.session.scalars(sa.select(Post).order_by(Post.code)).all(),
        kind_labels=KIND_LABELS,
    )
