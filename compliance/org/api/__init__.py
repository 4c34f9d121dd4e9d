"""JSON API of the organisation: sites, windows, posts, staff, assignments, leave (/api/v1).

Reads: admin, hr, discipline, inspector, limited to their sites. Writes go through the same
services as the pages: sites, windows and posts by administrators; staff, assignments and leave by
HR and administrators. Errors: 422 names the field, 409 a clash with existing records, 400 a
request the rules refuse, 403 a missing role, 404 an unknown or out-of-scope record.
"""

from __future__ import annotations

from . import people, structure  # noqa: F401  (the views register on the blueprints)
from .common import BLUEPRINTS, READ

__all__ = ["BLUEPRINTS", "READ"]
