"""Scheduled jobs: a registry each package adds to through `register_job` in its `init_app`."""

from __future__ import annotations

from .registry import JobSpec, get_jobs, register_job, run_job  # noqa: F401


def init_app(app) -> None:
    app.extensions.setdefault("compliance_jobs", {})
