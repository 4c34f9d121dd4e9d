"""The JSON API under /api/v1: flask-smorest generates the OpenAPI document from the same
marshmallow schemas that validate requests."""

from __future__ import annotations

import marshmallow as ma
from flask import g, request
from flask_login import current_user
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint  # noqa: F401  (re-exported for packages)
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from ..errors import json_error


class ErrorSchema(ma.Schema):
    """Every error the API sends (documented once, used by every operation)."""

    status = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    code = ma.fields.String(
        required=True,
        metadata={"description": "Stable machine-readable code, e.g. rectification.changed"},
    )
    reason = ma.fields.String(
        required=True, metadata={"description": "What went wrong, in the reader's language"}
    )
    errors = ma.fields.Dict(
        metadata={
            "description": "Per-location, per-field messages, e.g. {json: {site_id: [...]}}, "
            "and `details` lines"
        }
    )


class _Api(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # compliance.errors renders every error: JSON under /api/, HTML pages elsewhere.
        return None


api = _Api()

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def register(app, blueprint) -> None:
    """Register an API blueprint under /api/v1 with the shared auth and CSRF rules."""
    from ..auth import csrf

    csrf.exempt(blueprint)
    api.register_blueprint(blueprint, url_prefix="/api/v1" + (blueprint.url_prefix or ""))


def _api_guard():
    if not request.path.startswith("/api/v1") or request.path.endswith("/openapi.json"):
        return None
    if not current_user.is_authenticated:
        return json_error(401, "unauthorized", "Sign in or send `Authorization: Bearer <token>`")
    if request.method in UNSAFE and not g.get("auth_via_token"):
        token = request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token")
        try:
            validate_csrf(token)
        except (ValidationError, CSRFError):
            return json_error(
                400, "csrf", "A session-authenticated write needs the X-CSRFToken header"
            )
    return None


def init_app(app) -> None:
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "cookie": {"type": "apiKey", "in": "cookie", "name": "compliance_session"},
                }
            },
            "security": [{"bearer": []}, {"cookie": []}],
            "info": {
                "description": "Window-supervision compliance API. Errors are JSON: "
                "{status, code, reason, errors?}."
            },
        },
    )
    api.init_app(app)
    app.before_request(_api_guard)
