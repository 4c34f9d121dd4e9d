"""Error pages for browsers and JSON errors for the API."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .domain import DomainError

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


# The one table from a domain error's kind to an HTTP status.
KIND_STATUS = {
    "refused": 400,
    "invalid": 422,
    "conflict": 409,
    "forbidden": 403,
    "not_found": 404,
}


def status_of(error: DomainError) -> int:
    return KIND_STATUS.get(error.kind, 400)


def domain_error_body(error: DomainError) -> tuple[int, dict]:
    """The JSON error for a domain error: {status, code, reason, errors?}."""
    status = status_of(error)
    reason = error.translated()
    body: dict = {"status": status, "code": error.code, "reason": reason}
    errors: dict = {}
    if error.field:
        errors["json"] = {error.field: [reason]}
    details = error.translated_details()
    if details:
        errors["details"] = details
    errors.update(error.extra_errors())
    if errors:
        body["errors"] = errors
    return status, body


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
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        status, body = domain_error_body(error)
        logger.info("refused on %s: %s", request.path, error.code)
        if wants_json():
            response = jsonify(body)
            response.status_code = status
            return response
        title = {409: _("Please reload"), 403: _("Not allowed"), 404: _("Not found")}.get(
            status, _("This was not done")
        )
        return (
            render_template(
                "errors/error.html",
                status=status,
                title=title,
                message=body["reason"],
                details=error.translated_details(),
            ),
            status,
        )

    @app.errorhandler(sa.exc.DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(error):
        # The last line of defence: a number or text the database cannot hold reached a query
        # (forms and schemas bound them first). Nothing was saved.
        logger.info("value out of range on %s: %s", request.path, type(error).__name__)
        return _bad_value()

    @app.errorhandler(sa.exc.IntegrityError)
    def _integrity(error):
        # A concurrent request created the same record first (the services check for duplicates
        # before writing, so this is a race): nothing was saved.
        logger.info("integrity error on %s: %s", request.path, error.orig)
        if wants_json():
            return json_error(409, "conflict", REASONS[409])
        return (
            render_template(
                "errors/error.html",
                status=409,
                title=_("Please reload"),
                message=_(
                    "Someone saved the same record at the same moment; nothing was saved. Reload and try again."
                ),
            ),
            409,
        )

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

    def _bad_value():
        message = _("A value is out of the range the system accepts.")
        if wants_json():
            return json_error(422, "out_of_range", message)
        return (
            render_template(
                "errors/error.html",
                status=422,
                title=_("The data is not valid"),
                message=message,
            ),
            422,
        )

    @app.errorhandler(Exception)
    def _unhandled(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        if isinstance(error, sa.exc.StatementError) and isinstance(
            error.orig, OverflowError | ValueError
        ):
            # SQLite: "Python int too large to convert to SQLite INTEGER".
            return _bad_value()
        if isinstance(error, sa.exc.OperationalError) and "locked" in str(error.orig):
            # SQLite busy beyond the busy timeout: nothing was saved; ask for a retry.
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
        if wants_json():
            return json_error(500, "internal_error", "An internal error occurred")
        return render_template("errors/500.html", status=500), 500
