"""Pages of complaints and commendations, on the `complaints` blueprint, by concern:

- `records`: the list, recording one, one complaint's loop (verify, conclude, call back, close);
- `categories`: the complaint categories;
- `imports`: the 好差评 import;
- `counts`: complaints and patrol findings of the same check item counted together.
"""

from __future__ import annotations

from . import categories, counts, imports, records, settings  # noqa: F401  (routes on bp)
from .common import bp

__all__ = ["bp"]
