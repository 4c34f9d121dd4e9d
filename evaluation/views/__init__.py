"""Pages of the monthly assessment: scores, ranking, appeals, month close, the scheme."""

from __future__ import annotations

from . import appeals, closing, panels, schemes, scores  # noqa: F401  (routes)
from .common import bp  # noqa: F401
