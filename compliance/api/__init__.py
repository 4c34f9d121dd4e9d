"""The JSON API under /api/v1: flask-smorest generates the OpenAPI document from the same
marshmallow schemas that validate requests."""

from __future__ import annotations

import marshmallow as ma
from apispec import BasePlugin
from flask import g, request
from flask_login import current_user
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint  # noqa: F401  (re-exported for packages)
from flask_smorest import pagination as _pagination
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from ..errors import json_error
from ..integers import PAGE_MAX
from .fields import Int


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


def _bounded_pagination_schema(def_page, def_page_size, def_max_page_size):
    """flask-smorest's pagination parameters, bounded: `page` past `PAGE_MAX` is 422 naming
    `page` (never an offset the database cannot hold)."""

    class PaginationParametersSchema(ma.Schema):
        class Meta:
            unknown = ma.EXCLUDE

        page = Int(load_default=def_page, minimum=1, maximum=PAGE_MAX)
        page_size = Int(load_default=def_page_size, minimum=1, maximum=def_max_page_size)

        @ma.post_load
        def make_paginator(self, data, **kwargs):
            return _pagination.PaginationParameters(**data)

    return PaginationParametersSchema


# The pagination mixin looks the factory up in its module on every `paginate()`.
_pagination._pagination_parameters_schema_factory = _bounded_pagination_schema

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# The errors the API sends, by when they can happen (every body is the one Error schema):
# any request may be malformed (400), unauthenticated (401), refused for the role or object (403)
# or carry an invalid value (422, e.g. a control character in the query string); a path with an id
# may name nothing (404); a write may name an unknown record (404), clash with the record's state
# or a stale version (409), or find the database busy (503); an upload may be too large (413).
ALWAYS = ("BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "UNPROCESSABLE_ENTITY")
STATUS_OF = {
    "BAD_REQUEST": "400",
    "UNAUTHORIZED": "401",
    "FORBIDDEN": "403",
    "NOT_FOUND": "404",
    "CONFLICT": "409",
    "REQUEST_ENTITY_TOO_LARGE": "413",
    "UNPROCESSABLE_ENTITY": "422",
    "SERVICE_UNAVAILABLE": "503",
}


class ErrorResponsesPlugin(BasePlugin):
    """Document on every operation the error statuses it can answer, with the Error schema."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            names = list(ALWAYS)
            if "{" in (path or "") or method.upper() in UNSAFE:
                names.append("NOT_FOUND")
            if method.upper() in UNSAFE:
                names += ["CONFLICT", "SERVICE_UNAVAILABLE"]
                content = (operation.get("requestBody") or {}).get("content") or {}
                if "multipart/form-data" in content:
                    names.append("REQUEST_ENTITY_TOO_LARGE")
            responses = operation.setdefault("responses", {})
            for name in names:
                responses.setdefault(STATUS_OF[name], name)


class _Api(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # compliance.errors renders every error: JSON under /api/, HTML pages elsewhere.
        return None


api = _Api(spec_kwargs={"extra_plugins": [ErrorResponsesPlugin()]})


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
