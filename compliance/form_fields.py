"""WTForms fields for numbers the database must hold, shared by every page.

- `VersionField`: the hidden optimistic-lock version of an action form. A missing or malformed
  version (`abc`, `1e3`, `NaN`, `-1`) makes the form invalid (the page answers 400 with the
  message), so a stale form can never skip the "someone changed this" check.
- `BoundedIntegerField`: an integer input within the column's range (a form error past it).
- `IdSelectField`: a select of ids whose submitted value must be a valid id (never an overflow).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField
from wtforms.validators import StopValidation, ValidationError

from .integers import ID_MAX, ID_MIN, INT32_MAX, INT32_MIN, VERSION_INVALID, parse_int


class VersionField(HiddenField):
    """The version of the record the user saw; required, a positive whole number."""

    def pre_validate(self, form) -> None:
        if parse_int(self.data if self.data is not None else "", 1, INT32_MAX) is None:
            raise StopValidation(_l(VERSION_INVALID))

    @property
    def version(self) -> int:
        """The parsed version (call after validation)."""
        number = parse_int(self.data or "", 1, INT32_MAX)
        assert number is not None, "validate the form first"
        return number


class BoundedIntegerField(IntegerField):
    """An IntegerField that refuses numbers the database cannot hold (a form error)."""

    def __init__(self, *args, minimum: int = INT32_MIN, maximum: int = INT32_MAX, **kwargs):
        super().__init__(*args, **kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def process_formdata(self, valuelist) -> None:
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        number = parse_int(valuelist[0], INT32_MIN * 2**32, INT32_MAX * 2**32)
        if number is None:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        self.data = number

    def pre_validate(self, form) -> None:
        if self.data is not None and not (self.minimum <= self.data <= self.maximum):
            raise ValidationError(
                _l(
                    "Must be a whole number from %(minimum)s to %(maximum)s.",
                    minimum=self.minimum,
                    maximum=self.maximum,
                )
            )


def coerce_id(value) -> int | None:
    """`coerce` for selects and hidden inputs carrying an id: a valid id, else ValueError."""
    if value in (None, ""):
        return None
    number = parse_int(value, ID_MIN, ID_MAX)
    if number is None:
        raise ValueError(_l("Not a valid choice."))
    return number


class IdSelectField(SelectField):
    """A SelectField of ids (coerce_id): a submitted id out of range is a form error."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", coerce_id)
        super().__init__(*args, **kwargs)
