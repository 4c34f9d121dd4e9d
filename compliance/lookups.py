"""What the search-as-you-type endpoints share (`/org/staff/lookup`, `/rotation/seats/lookup`):
reading what was typed (`q`, up to `MAX_QUERY` printable characters) and how many suggestions
are wanted (`limit`, 1 to `MAX_LIMIT`), and the 422 JSON answer naming the field otherwise."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

MAX_LIMIT = 20
MAX_QUERY = 40


def invalid(field: str, message: str):
    """A 422 JSON answer naming the field, as the API's errors do."""
    return jsonify(status=422, code="invalid", reason=message, errors={field: [message]}), 422


def lookup_args(*, empty_ok: bool = False):
    """(q, limit, None) from the query string, or (None, None, a 422 answer). An empty `q` is
    refused unless `empty_ok` (then it asks for nothing)."""
    q = (request.args.get("q") or "").strip()
    if (not q and not empty_ok) or len(q) > MAX_QUERY or not q.isprintable():
        return None, None, invalid("q", _("Type 1 to %(n)s characters.", n=MAX_QUERY))
    raw_limit = request.args.get("limit", str(MAX_LIMIT))
    if not (raw_limit.isascii() and raw_limit.isdigit()) or not 1 <= int(raw_limit) <= MAX_LIMIT:
        return None, None, invalid("limit", _("A number from 1 to %(n)s.", n=MAX_LIMIT))
    return q, int(raw_limit), None
