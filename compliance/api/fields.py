"""Marshmallow fields every API schema uses for numbers and times.

- `Int`: a whole number within the column's range (PostgreSQL `integer` unless told otherwise).
  A JSON number must be an integer (`1.7` and `1.0` are refused, never rounded; `true` is not a
  number); a string of decimal digits is accepted because query strings and forms carry only
  strings. The bounds are documented as numbers (`minimum`/`maximum`).
- `Id`: a positive id (1 .. 2**31-1). `Version`: the optimistic-lock version, required.
- `Number`: a finite decimal number with numeric bounds.
- `UtcDateTime`: sent with its offset (stored naive UTC, dumped as `...+00:00`); on input the
  offset is required (a naive date-time is ambiguous) and the value is stored as naive UTC.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import marshmallow as ma
from marshmallow import validate

from ..integers import ID_MAX, ID_MIN, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, parse_int
from ..timeutil import local_to_utc

__all__ = ["INT64_MAX", "INT64_MIN", "Id", "Int", "Number", "UtcDateTime", "Version"]


def _validators(given: Any) -> list:
    if given is None:
        return []
    return [given] if callable(given) else list(given)


class Int(ma.fields.Integer):
    """A bounded whole number (see the module's docstring)."""

    default_error_messages = {
        "invalid": "Not a whole number.",
        "range": "Must be a whole number from {minimum} to {maximum}.",
    }

    def __init__(self, *, minimum: int = INT32_MIN, maximum: int = INT32_MAX, **kwargs: Any):
        self.minimum = minimum
        self.maximum = maximum
        validators = _validators(kwargs.pop("validate", None))
        # The range is documented (apispec reads Range); the check itself is in _deserialize.
        if not any(isinstance(v, validate.Range) for v in validators):
            validators.insert(0, validate.Range(minimum, maximum))
        super().__init__(strict=True, validate=validators, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.make_error("invalid")
        if isinstance(value, str) and parse_int(value, INT64_MIN * 10, INT64_MAX * 10) is None:
            raise self.make_error("invalid")
        number = parse_int(value, self.minimum, self.maximum)
        if number is None:
            raise self.make_error("range", minimum=self.minimum, maximum=self.maximum)
        return number


class Id(Int):
    """A positive id the database can hold."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("minimum", ID_MIN)
        kwargs.setdefault("maximum", ID_MAX)
        super().__init__(**kwargs)


class Version(Int):
    """The version of the record the client last saw (optimistic lock): required; a different
    current version is refused with 409."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", True)
        kwargs.setdefault("minimum", 1)
        kwargs.setdefault("maximum", INT32_MAX)
        metadata = dict(kwargs.pop("metadata", None) or {})
        metadata.setdefault(
            "description",
            "The record's version as last read; a different current version gives 409",
        )
        super().__init__(metadata=metadata, **kwargs)


class Number(ma.fields.Float):
    """A finite number; `minimum`/`maximum` are documented as numbers."""

    def __init__(self, *, minimum: float | None = None, maximum: float | None = None, **kwargs):
        validators = _validators(kwargs.pop("validate", None))
        if minimum is not None or maximum is not None:
            validators.insert(
                0,
                validate.Range(
                    None if minimum is None else float(minimum),
                    None if maximum is None else float(maximum),
                ),
            )
        kwargs.setdefault("allow_nan", False)
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> float:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class UtcDateTime(ma.fields.AwareDateTime):
    """An ISO 8601 date-time with its offset (see the module's docstring)."""

    def __init__(self, *, naive_is_local: bool = False, **kwargs: Any):
        self.naive_is_local = naive_is_local
        metadata = dict(kwargs.pop("metadata", None) or {})
        note = "ISO 8601 with its offset, e.g. 2026-03-01T08:30:00+08:00"
        if naive_is_local:
            note += "; without an offset it is local time in the configured time zone"
        given = metadata.get("description")
        metadata["description"] = f"{given} ({note})" if given else note
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if self.naive_is_local:
            parsed = ma.fields.DateTime._deserialize(self, value, attr, data, **kwargs)
            return local_to_utc(parsed)  # an aware value keeps its offset
        aware = super()._deserialize(value, attr, data, **kwargs)
        return aware.astimezone(UTC).replace(tzinfo=None)
