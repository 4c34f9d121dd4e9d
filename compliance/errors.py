"""Error pages for browsers and JSON errors for the API."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .db import db

logger = logging.getLogger(__name__)

REASONS = {
    400: "Bad request",
    401: "Sign-in required",
    403: "You do not have permission for this",
    404: "Not found",
    405: "Method not allowed",
    409: "The record has changed or already exists",
    413: "The upload is too large",
    422: "The data is not valid",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, reason: str, errors=None):
    body = {"status": status, "code": code, "reason": reason}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    return response


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        if wants_json():
            return json_error(400, "csrf", error.description)
        return (
            render_template(
                "errors/error.html",
                status=400,
                title=_("The form has expired"),
                message=_("Please go back, reload the page and try again."),
            ),
            400,
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        if wants_json():
            errors = None
            reason = None
            data = getattr(error, "data", None)
            if isinstance(data, dict):
                errors = data.get("messages") or data.get("errors")
                reason = data.get("message") or data.get("reason")
            if not reason:
                reason = REASONS.get(status, error.name)
                if errors:
                    fields = []
                    for location in errors.values() if isinstance(errors, dict) else []:
                        if isinstance(location, dict):
                            fields.extend(location)
                    if fields:
                        reason = f"Invalid value for: {', '.join(sorted(map(str, fields)))}"
                elif error.description and not error.description.startswith(
                    ("The server", "The requested", "The browser", "You don't", "The method")
                ):
                    reason = error.description
            code = (data or {}).get("code") if isinstance(data, dict) else None
            return json_error(status, code or error.name.lower().replace(" ", "_"), reason, errors)
        template = {403: "errors/403.html", 404: "errors/404.html"}.get(status, "errors/error.html")
        return (
            render_template(template, status=status, title=error.name, message=error.description),
            status,
        )

    @app.errorhandler(Exception)
    def _unhandled(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        if isinstance(error, sa.exc.OperationalError) and "locked" in str(error.orig):
            # SQLite busy beyond the busy timeout: nothing was saved; ask for a retry.
            db.session.rollback()
            logger.warning("database busy on %s", request.path)
            if wants_json():
                return json_error(503, "busy", "The database is busy; nothing was saved. Retry.")
            return (
                render_template(
                    "errors/error.html",
                    status=503,
                    title=_("The system is busy"),
                    message=_("Nothing was saved. Please wait a moment and submit again."),
                ),
                503,
            )
        logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
        if wants_json():
            return json_error(500, "internal_error", "An internal error occurred")
        return render_template("errors/500.html", status=500), 500
