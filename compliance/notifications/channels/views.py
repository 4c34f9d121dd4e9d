"""Administrator pages: a site's group robots, a test message, and the record of every send."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ...access import in_scope, roles_required, scope_filter, sites_in_scope
from ...db import db
from ...integers import id_arg, page_arg
from ...models import Site
from ...uow import domain_errors
from . import services
from .events import DEFAULT_EVENTS, EVENTS, TEST
from .forms import KIND_LABELS, STATUS_LABELS, ChannelForm, SendFilterForm
from .models import GroupChannel, GroupSend

bp = Blueprint("channels", __name__, url_prefix="/admin/group-channels")

PER_PAGE = 50


def _channel_or_404(channel_id: int) -> GroupChannel:
    channel = db.session.get(GroupChannel, channel_id)
    if channel is None or not in_scope(current_user, channel.site_id):
        abort(404)
    return channel


def _site_choices() -> list[SelectChoice]:
    return [SelectChoice(s.id, f"{s.code} {s.name}") for s in sites_in_scope(current_user)]


def _event_labels() -> dict:
    return {**EVENTS, TEST: _("Test message")}


@bp.route("/")
@roles_required("admin")
def channels():
    rows = db.session.scalars(
        sa.select(GroupChannel)
        .where(scope_filter(current_user, GroupChannel.site_id))
        .order_by(GroupChannel.site_id, GroupChannel.id)
    ).all()
    last = {}
    if rows:
        latest = (
            sa.select(GroupSend.channel_id, sa.func.max(GroupSend.id))
            .where(GroupSend.channel_id.in_([c.id for c in rows]), GroupSend.event != TEST)
            .group_by(GroupSend.channel_id)
        )
        ids = [i for _c, i in db.session.execute(latest).all()]
        last = {
            s.channel_id: s
            for s in db.session.scalars(sa.select(GroupSend).where(GroupSend.id.in_(ids)))
        }
    return render_template(
        "notifications/channels/list.html",
        channels=rows,
        last=last,
        unreadable={c.id for c in rows if not services.webhook_readable(c)},
        kinds=KIND_LABELS,
        events=EVENTS,
        statuses=STATUS_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required("admin")
def channel_new():
    form = ChannelForm()
    del form.version  # a new group has no version yet
    form.site.choices = _site_choices()
    if request.method == "GET":
        form.events.data = list(DEFAULT_EVENTS)
        form.site.data = id_arg("site")
    if form.validate_on_submit():
        if not in_scope(current_user, form.site.data):
            abort(404)
        with domain_errors(form):
            channel = services.create_channel(
                db.session,
                current_user,
                site=db.session.get(Site, form.site.data),
                kind=form.kind.data,
                name=form.name.data,
                webhook=form.webhook.data or "",
                secret=form.secret.data or None,
                events=form.events.data or [],
                include_children=form.include_children.data,
                is_active=form.is_active.data,
            )
            flash(_("Group saved. Send a test message to check it."), "success")
            return redirect(url_for(".channel_edit", channel_id=channel.id))
    return render_template("notifications/channels/form.html", form=form, channel=None)


@bp.route("/<int:channel_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def channel_edit(channel_id: int):
    channel = _channel_or_404(channel_id)
    form = ChannelForm(obj=None if request.method == "POST" else channel)
    form.site.choices = [SelectChoice(channel.site_id, f"{channel.site.code} {channel.site.name}")]
    form.kind.choices = [SelectChoice(channel.kind, KIND_LABELS[channel.kind])]
    if request.method == "GET":
        form.site.data = channel.site_id
        form.webhook.data = ""
        form.version.data = str(channel.version)
    form.site.data = channel.site_id
    form.kind.data = channel.kind
    if form.validate_on_submit():
        with domain_errors(form):
            services.update_channel(
                db.session,
                current_user,
                channel,
                version=form.version.version,
                name=form.name.data,
                events=form.events.data or [],
                include_children=form.include_children.data,
                is_active=form.is_active.data,
                webhook=form.webhook.data or None,
                secret=form.secret.data or None,
                clear_secret=form.clear_secret.data,
            )
            flash(_("Group saved."), "success")
            return redirect(url_for(".channel_edit", channel_id=channel.id))
    recent = db.session.scalars(
        sa.select(GroupSend)
        .where(GroupSend.channel_id == channel.id)
        .order_by(GroupSend.id.desc())
        .limit(10)
    ).all()
    return render_template(
        "notifications/channels/form.html",
        form=form,
        channel=channel,
        readable=services.webhook_readable(channel),
        recent=recent,
        statuses=STATUS_LABELS,
        events=_event_labels(),
    )


@bp.route("/<int:channel_id>/test", methods=["POST"])
@roles_required("admin")
def channel_test(channel_id: int):
    channel = _channel_or_404(channel_id)
    services.queue_test(db.session, current_user, channel)
    flash(
        _(
            "Test message queued: the scheduler sends it within a minute; its outcome appears below."
        ),
        "success",
    )
    return redirect(url_for(".channel_edit", channel_id=channel.id))


@bp.route("/sends")
@roles_required("admin")
def sends():
    form = SendFilterForm(request.args)
    visible = db.session.scalars(
        sa.select(GroupChannel)
        .where(scope_filter(current_user, GroupChannel.site_id))
        .order_by(GroupChannel.id)
    ).all()
    form.channel.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(str(c.id), c.name) for c in visible
    ]
    stmt = (
        sa.select(GroupSend)
        .join(GroupChannel, GroupChannel.id == GroupSend.channel_id)
        .where(scope_filter(current_user, GroupChannel.site_id))
    )
    channel_id = id_arg("channel")
    if channel_id:
        stmt = stmt.where(GroupSend.channel_id == channel_id)
    status = request.args.get("status")
    if status in STATUS_LABELS:
        stmt = stmt.where(GroupSend.status == status)
    page = db.paginate(
        stmt.order_by(GroupSend.id.desc()),
        page=page_arg(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "notifications/channels/sends.html",
        page=page,
        form=form,
        channels={c.id: c for c in visible},
        statuses=STATUS_LABELS,
        events=_event_labels(),
    )


def _send_or_404(send_id: int) -> GroupSend:
    send = db.session.get(GroupSend, send_id)
    if send is None or not in_scope(current_user, send.channel.site_id):
        abort(404)
    return send


@bp.route("/sends/<int:send_id>")
@roles_required("admin")
def send_detail(send_id: int):
    send = _send_or_404(send_id)
    attempts = []
    for entry in reversed(send.attempt_log or []):
        try:
            at = datetime.fromisoformat(entry.get("at") or "")
        except ValueError:
            at = None
        attempts.append({**entry, "at": at})
    return render_template(
        "notifications/channels/send.html",
        send=send,
        attempts=attempts,
        statuses=STATUS_LABELS,
        events=_event_labels(),
    )


@bp.route("/sends/<int:send_id>/retry", methods=["POST"])
@roles_required("admin")
def send_retry(send_id: int):
    send = _send_or_404(send_id)
    with domain_errors():
        services.retry_send(db.session, current_user, send)
        flash(_("Queued again: the scheduler sends it within a minute."), "success")
    return redirect(url_for(".send_detail", send_id=send.id))
