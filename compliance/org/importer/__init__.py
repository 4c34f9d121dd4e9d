"""Roster import from Excel: preview first (what will be created, what will change, which rows
are wrong), then an explicit confirm that applies exactly the preview, in batches (in the
background when large).

`reading` parses the workbook and makes the template, `planning` checks rows and computes the
plan, `service` stores previews and confirms them, `applying` writes a plan in batches, `legacy`
keeps the first row-by-row import as the benchmark's baseline.
"""

from __future__ import annotations

from .planning import Plan, build_plan
from .reading import (
    EXAMPLE_PREFIXES,
    MAX_BYTES,
    MAX_ROWS,
    RosterFileError,
    RowError,
    read_rows,
    template_workbook,
)
from .service import (
    BACKGROUND_ROWS,
    JOB,
    PURGE_JOB,
    apply_queued_job,
    confirm,
    get_preview,
    preview,
    purge_previews_job,
)

__all__ = [
    "BACKGROUND_ROWS",
    "EXAMPLE_PREFIXES",
    "JOB",
    "PURGE_JOB",
    "MAX_BYTES",
    "MAX_ROWS",
    "Plan",
    "RosterFileError",
    "RowError",
    "apply_queued_job",
    "purge_previews_job",
    "build_plan",
    "confirm",
    "get_preview",
    "preview",
    "read_rows",
    "template_workbook",
]
