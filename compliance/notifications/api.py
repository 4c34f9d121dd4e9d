"""Notifications over JSON, so a phone can poll the inbox. Every signed-in user has an inbox, so
every method is open to every role (the methods only ever touch the caller's own notifications)."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from marshmallow import Schema, fields

from compliance.api.fields import Id, Int, UtcDateTime

from ..access import roles_required
from ..api import ApiBlueprint
from ..db import db
from ..models import ROLES
from .services import inbox_page, inbox_total, mark_all_read, mark_read, unread_count

blp = ApiBlueprint(
    "notifications_api",
    __name__,
    url_prefix="/notifications",
    description="The signed-in user's notifications",
)

ANY_ROLE = ROLES  # every signed-in user has an inbox


class NotificationSchema(Schema):
    id = Id(dump_only=True)
    kind = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    body = fields.String(dump_only=True, allow_none=True)
    link = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Path of the record concerned, in this app"},
    )
    entity_type = fields.String(dump_only=True, allow_none=True)
    entity_id = fields.String(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)
    read_at = UtcDateTime(dump_only=True, allow_none=True)
    is_read = fields.Method("_is_read", dump_only=True)

    def _is_read(self, obj) -> bool:
        return obj.read_at is not None


class InboxQuerySchema(Schema):
    unread = fields.Boolean(
        load_default=False, metadata={"description": "Only unread notifications"}
    )


class UnreadCountSchema(Schema):
    unread = Int()


class MarkedSchema(Schema):
    marked = Int(metadata={"description": "How many notifications became read"})
    unread = Int()


@blp.route("")
class Inbox(MethodView):
    @roles_required(*ANY_ROLE)
    @blp.arguments(InboxQuerySchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List my notifications, unread first, newest first."""
        unread = unread_count(db.session, current_user)
        pagination_parameters.item_count = (
            unread if args["unread"] else inbox_total(db.session, current_user)
        )
        return inbox_page(
            db.session,
            current_user,
            page=pagination_parameters.page,
            per_page=pagination_parameters.page_size,
            unread_only=args["unread"],
            unread=unread,
        ).items


@blp.route("/unread-count")
class UnreadCount(MethodView):
    @roles_required(*ANY_ROLE)
    @blp.response(200, UnreadCountSchema)
    def get(self):
        """How many of my notifications are unread (cheap enough to poll)."""
        return {"unread": unread_count(db.session, current_user)}


@blp.route("/<int:notification_id>/read")
class Read(MethodView):
    @roles_required(*ANY_ROLE)
    @blp.response(200, NotificationSchema)
    def post(self, notification_id: int):
        """Mark one of my notifications read (404 for one that is not in my inbox)."""
        return mark_read(db.session, current_user, notification_id)


@blp.route("/read-all")
class ReadAll(MethodView):
    @roles_required(*ANY_ROLE)
    @blp.response(200, MarkedSchema)
    def post(self):
        """Mark all my notifications read."""
        n = mark_all_read(db.session, current_user)
        return {"marked": n, "unread": 0}
