"""Integers the database can hold, checked before they reach a query.

Every id column is a PostgreSQL `integer` (32-bit signed); a few counters are `bigint`. A number
from a URL, a query string, a form or a JSON body is parsed here: whole numbers only (`1.7`,
`1e3`, `NaN` and `true` are not integers), within the column's range, and positive where it is an
id, a page or a version. The API's marshmallow fields (`compliance.api.fields`) and the pages'
WTForms fields use the same bounds, so one rule serves the page, the API and the test.
"""

from __future__ import annotations

import re
from typing import Any

from flask import request

from .domain import N_, DomainError

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1  # PostgreSQL `integer`: every id, version and count column
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1  # PostgreSQL `bigint`, SQLite's INTEGER
ID_MIN = 1
ID_MAX = INT32_MAX
PAGE_MAX = 1_000_000  # a page number past any real list (an empty page, never an overflow)

_WHOLE = re.compile(r"^[+-]?[0-9]{1,20}$")

VERSION_INVALID = N_(
    "This form carries no valid version of the record (it may be damaged or out of date); "
    "reload the page and try again."
)


def parse_int(value: Any, minimum: int = INT32_MIN, maximum: int = INT32_MAX) -> int | None:
    """`value` as an int within [minimum, maximum], or None when it is not such a whole number.

    Accepts an int (not a bool) or a string of decimal digits (an optional sign, surrounding
    blanks allowed); refuses floats, exponents, NaN and anything out of range."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not _WHOLE.match(text):
            return None
        number = int(text)
    else:
        return None
    if number < minimum or number > maximum:
        return None
    return number


def parse_id(value: Any) -> int | None:
    """A positive id the database can hold, or None."""
    return parse_int(value, ID_MIN, ID_MAX)


def id_arg(name: str) -> int | None:
    """An id from the query string (`?site=3`), or None when absent or not a valid id: a list
    filter with a nonsensical id simply does not filter (never an overflow)."""
    return parse_id(request.args.get(name, ""))


def int_arg(name: str, default: int, minimum: int = 1, maximum: int = PAGE_MAX) -> int:
    """A bounded integer from the query string (`?page=2`), the default when absent or invalid."""
    value = parse_int(request.args.get(name, ""), minimum, maximum)
    return default if value is None else value


def page_arg(name: str = "page") -> int:
    """The page number of a list page: 1 when absent or invalid, at most `PAGE_MAX`."""
    return int_arg(name, 1, 1, PAGE_MAX)


def required_version(value: Any) -> int:
    """The optimistic-lock version a form or request carried; a missing or malformed one is
    refused (400): skipping the check would let a stale form through."""
    number = parse_int(value, 1, INT32_MAX)
    if number is None:
        raise DomainError("form.version", VERSION_INVALID, field="version")
    return number
