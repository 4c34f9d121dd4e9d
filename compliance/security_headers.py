"""Security headers on every response."""

from __future__ import annotations

from flask import request
from flask_login import current_user

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def _private(response) -> bool:
    """Signed-in pages and every API answer are never stored by the browser or a proxy."""
    if request.endpoint == "static" or request.path.endswith("/openapi.json"):
        return False
    if request.path.startswith("/api/"):
        return True
    return bool(current_user and current_user.is_authenticated) or "Set-Cookie" in response.headers


def init_app(app) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if _private(response):
            # A shared computer's back button must not show a signed-in page after sign-out.
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        if app.config.get("HTTPS"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response
