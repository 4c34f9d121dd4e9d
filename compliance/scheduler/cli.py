"""Operator commands: `compliance scheduler`, `compliance jobs list`, `compliance jobs run`."""

from __future__ import annotations

import signal
import sys
from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from ..db import db
from .models import JobRun
from .registry import get_jobs, run_job


def register_commands(app: Flask) -> None:
    @app.cli.command("scheduler")
    @click.option(
        "--no-wait",
        is_flag=True,
        help="Exit at once (status 1) when another scheduler holds the lock, "
        "instead of standing by until it expires.",
    )
    def scheduler_cmd(no_wait: bool) -> None:
        """Run scheduled jobs in the foreground (exactly one such process per database)."""
        from .runner import SchedulerService

        service = SchedulerService(current_app._get_current_object())
        signal.signal(signal.SIGTERM, service.stop)
        signal.signal(signal.SIGINT, service.stop)
        click.echo(f"Scheduler {service.owner} starting; SIGTERM or Ctrl-C stops it.", err=True)
        sys.exit(service.run(wait=not no_wait))

    jobs = AppGroup("jobs", help="Scheduled jobs: list them, run one by hand.")
    app.cli.add_command(jobs)

    @jobs.command("list")
    def jobs_list() -> None:
        """Every registered job with its schedule, next run and last run."""
        from .runner import scheduler_settings

        app_ = current_app._get_current_object()
        tz = scheduler_settings(app_)["tz"]
        specs = get_jobs(app_)
        last = {}
        if specs:
            latest = (
                sa.select(JobRun.job, sa.func.max(JobRun.id).label("id"))
                .where(JobRun.outcome != "queued")
                .group_by(JobRun.job)
                .subquery()
            )
            for run in db.session.scalars(sa.select(JobRun).join(latest, JobRun.id == latest.c.id)):
                last[run.job] = run
        now = datetime.now(UTC)
        with force_locale("en"):  # descriptions may be lazy translations; operators read English
            lines = _job_lines(specs, tz, now, last)
        for line in lines:
            click.echo(line)
        if not specs:
            click.echo("No jobs are registered.")

    def _job_lines(specs, tz, now, last) -> list[str]:
        lines = []
        for name in sorted(specs):
            spec = specs[name]
            nxt = spec.next_run_time(tz, now)
            run = last.get(name)
            last_text = f"{run.outcome} for {run.run_on.isoformat()}" if run else "never run"
            lines.append(
                f"{name}\n  {str(spec.description) or '-'}\n  schedule: {spec.schedule} "
                f"({tz.key}); next: {nxt:%Y-%m-%d %H:%M}; last: {last_text}"
            )
        return lines

    @jobs.command("run")
    @click.argument("name")
    @click.option(
        "--date",
        "run_on",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Logical run date YYYY-MM-DD (default: today, local time).",
    )
    def jobs_run(name: str, run_on) -> None:
        """Run job NAME now for a date (e.g. to catch up after an outage)."""
        from .runner import local_run_date

        app_ = current_app._get_current_object()
        if name not in get_jobs(app_):
            known = ", ".join(sorted(get_jobs(app_))) or "none"
            raise click.ClickException(f"No job named {name!r}. Registered jobs: {known}.")
        day = run_on.date() if run_on else local_run_date(app_)
        run = run_job(app_, name, day, trigger="manual")
        counts = ", ".join(f"{k}={v}" for k, v in (run.counts or {}).items()) or "no counts"
        if run.outcome != "success":
            last_line = (run.error or "").strip().splitlines()[-1:] or ["unknown error"]
            click.echo(f"Job {name} for {day.isoformat()} FAILED: {last_line[0]}", err=True)
            sys.exit(1)
        click.echo(f"Job {name} for {day.isoformat()}: success ({counts}).")
