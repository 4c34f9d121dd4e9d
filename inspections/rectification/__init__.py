"""The rectification (整改) closed loop on findings, and conduct records (complaints, commendations)."""

from __future__ import annotations


def init_app(app) -> None:
    """Register rectification pages, API, jobs and the finding hook."""
