"""Pages of the rectification loop, by concern: lists (my rectifications, the verification queue,
the board, the flagged staff), one rectification's timeline and its actions, and the
administrator's calendar, deadline and keeper settings. One blueprint, `rectification`."""

from __future__ import annotations

from . import admin, lists, timeline  # noqa: F401  (routes register on the blueprint)
from .common import bp

__all__ = ["bp"]
