"""The domain exception of training services (no Flask here)."""

from __future__ import annotations


def _(message: str) -> str:
    """Mark a message for extraction; views translate it (services stay free of Flask)."""
    return message


class TrainingError(ValueError):
    """A user-facing reason a training action was refused: an English msgid plus its parameters.

    `details` carries structured lines (e.g. one per refused person) as (msgid, params) pairs.
    """

    def __init__(
        self, message: str, details: list[tuple[str, dict]] | None = None, **params
    ) -> None:
        self.message = message
        self.params = params
        self.details = details or []
        super().__init__(message % params if params else message)


class SchedulingConflict(TrainingError):
    """Some invited people cannot attend: on leave or already in an overlapping session."""


class CoverageGap(TrainingError):
    """The session would leave windows with nobody on duty; needs an explicit confirmation."""
