"""One gate for what a request may carry, before any of it reaches a query.

- Ids in URLs are bounded by the database's integer range: `/findings/99999999999999999999` is
  simply not a route (404), never a database error.
- Text in the query string, a form or a JSON body must be storable: NUL and the other control
  characters that PostgreSQL or a ledger's XML cannot hold (everything below U+0020 except tab,
  line feed and carriage return) and lone surrogates are refused with 400, naming the field.
- A JSON body is checked for nesting depth before it is parsed (400 past `MAX_JSON_DEPTH`).

Everything else (lengths, ranges of integer fields) is the business of each form and schema,
with `compliance.validation` providing the shared limits.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from .domain import N_, DomainError, InvalidError

MAX_INT = 2**31 - 1  # PostgreSQL `integer`: the type of every id column
MAX_JSON_DEPTH = 32
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in a URL: a positive id the database can hold (else no match: 404)."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


CONTROL_CHARACTER = N_(
    "The field %(name)s contains a control character (such as NUL) that cannot be stored."
)
LONE_SURROGATE = N_("The field %(name)s contains an invalid character (a lone surrogate).")


def text_problem(value: str) -> str | None:
    """Why a text cannot be stored as typed (a message id with %(name)s), or None when it can."""
    if _BAD_TEXT.search(value):
        return CONTROL_CHARACTER
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return LONE_SURROGATE
    return None


def json_depth_exceeds(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when brackets nest deeper than `limit` (strings are skipped), without parsing."""
    depth = 0
    in_string = False
    escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _walk(value: Any, path: str):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            yield name, str(key)
            yield from _walk(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def _refuse(field: str, problem: str) -> None:
    raise InvalidError("input.bad_text", problem, field=field, name=field)


def check_request() -> None:
    """Refuse a request whose text cannot be stored or whose JSON nests too deep (400/422)."""
    for source in (request.args, request.form if request.method != "GET" else None):
        if not source:
            continue
        for key, value in source.items(multi=True):
            for text in (key, value):
                problem = text_problem(text)
                if problem:
                    _refuse(key if text is value else "?", problem)
    for key, upload in request.files.items(multi=True):
        problem = text_problem(upload.filename or "")
        if problem:
            _refuse(key, problem)
    if request.is_json and request.method not in ("GET", "HEAD", "OPTIONS"):
        raw = request.get_data(cache=True)
        if json_depth_exceeds(raw):
            # A body that cannot be read at all is a bad request (400), like malformed JSON.
            raise DomainError(
                "input.too_deep",
                N_("The JSON body nests deeper than %(limit)s levels."),
                limit=MAX_JSON_DEPTH,
            )
        body = request.get_json(silent=True)
        for path, text in _walk(body, ""):
            problem = text_problem(text)
            if problem:
                _refuse(path or "body", problem)


def init_app(app: Flask) -> None:
    app.before_request(check_request)
