"""Excel ledgers (台账): the shared streaming writer, the ledger registry and the reports page.

Packages declare their ledgers in their own `ledgers.py` with `register_ledger(app, Ledger(...))`;
the reports page, the API, `compliance export` and the monthly job all use that one declaration.
"""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l

from . import models  # noqa: F401  (tables must be known to the metadata)
from .registry import (  # noqa: F401  (the API packages use)
    REPORT_ROLES,
    FilterField,
    Ledger,
    LedgerError,
    count_of,
    get_ledger,
    keyset_stream,
    local_text,
    register_ledger,
    scope_clause,
    site_clause,
    user_names,
)
from .summary import (  # noqa: F401
    register_summary_metric,
    register_summary_rate,
    register_summary_table,
)
from .writer import Column  # noqa: F401

logger = logging.getLogger(__name__)


def init_app(app) -> None:
    """Register the reports page, API, CLI command and monthly job."""
    from ..api import register
    from ..scheduler import register_job
    from ..ui import register_nav
    from . import api, cli, core_ledgers, summary, tasks, views

    app.config.setdefault("EXPORT_WORKER", "none" if app.config.get("TESTING") else "thread")
    core_ledgers.init_app(app)
    summary.init_app(app)
    views.init_app(app)
    register(app, api.blp)
    app.cli.add_command(cli.export_cmd)
    register_nav(
        app,
        "ledgers.index",
        _l("Reports"),
        roles=REPORT_ROLES,
        order=80,
        icon="chart",
        daily=("discipline", "leader"),
    )
    register_job(
        app,
        "ledgers.monthly_reports",
        tasks.monthly_reports_job,
        "Write last month's summary and rectification ledger into the reports folder",
        day=1,
        hour=6,
        minute=0,
    )
    register_job(
        app,
        "ledgers.export_queue",
        tasks.process_queue_job,
        "Run queued ledger exports not picked up by a web process",
        quiet=True,
        minute="*",
    )
