"""Organisation pages: sites, windows, posts, staff, assignments, leave, conflicts, roster import.

Sites, windows and posts are managed by administrators; staff, assignments, leave and conflicts by
HR and administrators; discipline officers and inspectors read the lists of their sites.
"""

from __future__ import annotations

from . import absence, lookup, people, roster, structure  # noqa: F401  (routes register on the blueprint)
from .common import bp
from .panel import hr_panel

__all__ = ["bp", "hr_panel"]
