"""How long a text people type may be: one limit per field, the same on the page (form
validators), in the API (schemas), in the services (which refuse, never cut) and, where the
column has a length, in the model. A text over its limit is refused with the limit in the message;
a text is stored as it was typed (a leading tab or space is the user's; only a text of nothing
but blanks counts as empty). The ledgers carry these texts whole (Excel holds 32,767 characters
in a cell; a longer text is cut there and the parameters sheet says so).
"""

from __future__ import annotations

from .domain import N_, InvalidError

PATROL_REASON = 200  # why a check item failed (a finding's reason)
PATROL_NOTE = 4000  # the inspector's note on a failed item
INSPECTION_NOTE = 4000  # the note on a whole round
RECTIFICATION_TEXT = 4000  # a response, a verification note, a rejection's reason, a comment
CONDUCT_TEXT = 4000  # a complaint's or commendation's content
CONDUCT_REFERENCE = 64  # a letter or ticket number
CONDUCT_REASON = 4000  # why a complaint was upheld or not
SHADOW_LOG_TEXT = 2000  # what was practised; the mentor's comment


def as_typed(text: str | None) -> str | None:
    """The text as typed, or None when it holds nothing but blanks."""
    if text is None or not text.strip():
        return None
    return text


def checked_text(
    text: str | None,
    limit: int,
    *,
    field: str,
    required: str | None = None,
    required_code: str = "input.text_required",
    code: str = "input.text_too_long",
) -> str | None:
    """The text as typed (None when blank), after checking it against `limit`.

    Raises InvalidError naming `field`: `required_code` with the `required` message when the
    text is blank and required, `code` when it is longer than `limit` characters."""
    text = as_typed(text)
    if text is None:
        if required:
            raise InvalidError(required_code, required, field=field)
        return None
    if len(text) > limit:
        raise InvalidError(
            code,
            N_("This text has %(length)s characters; at most %(limit)s are allowed."),
            field=field,
            length=len(text),
            limit=limit,
        )
    return text
