"""Excel ledgers (台账): the shared streaming writer, the ledger registry and the reports page."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the reports page, API, CLI command and monthly job."""
