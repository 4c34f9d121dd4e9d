"""What other packages may ask of the monthly assessment (the bulletin reads closed months):

- `closed_month(session, year, month, site_ids=None)`: the `MonthClose` in force, or None;
- `snapshot_rows(session, close, kind, site_ids=None)`: its `ScoreSnapshot` rows of a kind
  ("staff", "window", "site") by rank;
- `compute_month` / `scheme_for`: live scores of an open month.
"""

from __future__ import annotations

from .models import MonthClose, Scheme, ScoreSnapshot  # noqa: F401
from .services import closed_month, compute_month, scheme_for, snapshot_rows  # noqa: F401
