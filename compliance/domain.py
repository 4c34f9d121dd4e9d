"""The one domain error every service raises, and the marker for its messages.

Services decide; they never know about HTTP. When a rule refuses an action, the service raises
`DomainError` (or one of the kinds below: `InvalidError`, `ConflictError`, `StaleError`,
`ForbiddenError`, `NotFoundError`) with

- a stable `code` an API client can act on (``"rectification.own_response"``),
- an English message id marked with `N_` (translated where it is shown, in the reader's language),
- the `params` that fill its ``%(name)s`` placeholders,
- optionally the `field` at fault and `details` (more lines, each a message id and its params).

`compliance.errors` maps the kind to an HTTP status in one table, and `compliance.uow` turns the
error into a form message on a page or a JSON error on the API.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated when shown, not here."""
    return message


class DomainError(Exception):
    """A rule refused the action. Kind "refused": the request is understood but not allowed now."""

    kind = "refused"

    def __init__(
        self,
        code: str,
        message: str,
        /,
        *,
        field: str | None = None,
        details: list[tuple[str, dict[str, Any]]] | None = None,
        **params: Any,
    ) -> None:
        self.code = code
        self.message = message
        self.params = params
        self.field = field
        self.details = list(details or [])
        super().__init__(self.english())

    def english(self) -> str:
        """The message in English (logs, jobs, the CLI without a request)."""
        return _fill(self.message, self.params)

    def translated(self) -> str:
        """The message in the current locale (English when no app is active)."""
        return translate(self.message, self.params)

    def translated_details(self) -> list[str]:
        return [translate(message, params) for message, params in self.details]

    def extra_errors(self) -> dict[str, Any]:
        """More structure for the API's `errors` object (a subclass's own data, e.g. the rules a
        plan breaks); merged into the JSON error by `compliance.errors`."""
        return {}


class InvalidError(DomainError):
    """The input itself is wrong (a field out of range, an unknown reference)."""

    kind = "invalid"


class ConflictError(DomainError):
    """The action clashes with the record's state or with another record (duplicate, stale)."""

    kind = "conflict"


class StaleError(ConflictError):
    """Someone changed the record since the user loaded it (optimistic lock)."""

    def __init__(self, code: str = "stale", message: str | None = None, /, **kwargs: Any) -> None:
        super().__init__(
            code,
            message
            or N_(
                "This record has changed in the meantime; reload the page to see its current state."
            ),
            **kwargs,
        )


class ForbiddenError(DomainError):
    """The user may not take this action on this object (e.g. verify their own response)."""

    kind = "forbidden"


class NotFoundError(DomainError):
    """The object does not exist, or the user may not know that it exists."""

    kind = "not_found"


def _fill(message: str, params: dict[str, Any]) -> str:
    if not params:
        return message
    try:
        return message % params
    except (KeyError, TypeError, ValueError):
        return message


def translate(message: str, params: dict[str, Any] | None = None) -> str:
    """Translate a message id in the active locale; plain English outside an application."""
    from flask import has_app_context

    if not has_app_context():
        return _fill(message, params or {})
    from flask_babel import gettext

    return gettext(message, **(params or {}))


def translate_for(locale: str | None, message: str, params: dict[str, Any] | None = None) -> str:
    """Translate a message id for a given reader (their language, else the configured default)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return _fill(message, params or {})
    from flask_babel import force_locale

    languages = current_app.config.get("LANGUAGES") or ()
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")
    with force_locale(locale if locale in languages else default):
        return translate(message, params)
