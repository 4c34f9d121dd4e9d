"""The `compliance` console script: Flask's CLI with the operators' commands."""

from __future__ import annotations

import logging
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app, freeze_startup_heap
from .config import ConfigError
from .db import db
from .domain import DomainError
from .uow import unit_of_work


def _create_app():
    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)


@click.group(
    cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False
)
def main() -> None:
    """Window-supervision compliance system."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@main.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema to the latest migration."""
    from .migrate import upgrade

    upgrade()
    click.echo("Database is at the latest migration.")


@main.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no sites yet.")
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """Load the demo service centre (sites, staff, users, checklist, training, rotation)."""
    from .demo import database_is_empty, load_demo

    if if_empty and not database_is_empty(db.session):
        click.echo("The database already holds data; demo data not loaded.")
        return
    with unit_of_work() as session:
        summary = load_demo(current_app._get_current_object(), session)
    click.echo("Demo data loaded: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    click.echo("Demo accounts (password: demo-pass-2026):")
    from .demo import DEMO_USERS

    for username, roles, _scope in DEMO_USERS:
        click.echo(f"  {username:12} {', '.join(roles)}")


@main.command("create-user")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["admin", "inspector", "hr", "discipline", "leader", "staff"]),
)
@click.option("--all-sites", is_flag=True, help="Give the user every site.")
@click.option("--site", "sites", multiple=True, help="Site code in the user's scope (repeatable).")
@click.option("--password", default=None, help="Prompted for when not given.")
@click.option(
    "--name", "display_name", default=None, help="Display name (defaults to the username)."
)
@with_appcontext
def create_user_cmd(username, roles, all_sites, sites, password, display_name) -> None:
    """Create a user account (the way the first administrator is made)."""
    from .accounts import create_user

    if not all_sites and not sites:
        raise click.UsageError("Give --all-sites or at least one --site CODE.")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work() as session:
            user = create_user(
                session,
                None,
                username=username,
                display_name=display_name or username,
                roles=list(roles),
                site_codes=list(sites),
                all_sites=all_sites,
                password=password,
                hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            )
            created = (user.username, user.id)
    except DomainError as exc:
        raise click.ClickException(exc.english()) from exc
    click.echo(
        f"User {created[0]} created (id {created[1]}) with roles {', '.join(sorted(roles))}."
    )


@main.command("create-token")
@click.argument("username")
@click.option("--name", default="cli", help="A label for the token.")
@with_appcontext
def create_token_cmd(username, name) -> None:
    """Create a personal API token for USERNAME; it is printed once and stored hashed."""
    from .audit import record
    from .auth.security import create_api_token
    from .models import User

    with unit_of_work() as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"No user named {username}.")
        token = create_api_token(session, user, name)
        record(
            session,
            None,
            "api_token.create",
            entity_type="User",
            entity_id=user.id,
            after={"name": name},
        )
    click.echo(token)


@main.command("revoke-tokens")
@click.argument("username")
@with_appcontext
def revoke_tokens_cmd(username) -> None:
    """Revoke every API token of USERNAME."""
    from .audit import record
    from .db import utcnow
    from .models import ApiToken, User

    with unit_of_work() as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"No user named {username}.")
        n = session.execute(
            sa.update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        ).rowcount
        record(
            session,
            None,
            "api_token.revoke",
            entity_type="User",
            entity_id=user.id,
            after={"revoked": n},
        )
    click.echo(f"Revoked {n} token(s).")


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--with-scheduler",
    is_flag=True,
    help="Also run scheduled jobs in this process (single-process demo only).",
)
@with_appcontext
def run_cmd(host, port, with_scheduler) -> None:
    """Serve the application (development server; use gunicorn in production)."""
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()
    if with_scheduler:
        starter = app.extensions.get("start_embedded_scheduler")
        if starter is not None:
            starter(app)
    click.echo(f"Serving on http://{host}:{port}")
    freeze_startup_heap()  # as compliance.wsgi does
    run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)


@main.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_cmd(target: Path) -> None:
    """Copy the SQLite database to TARGET with the online backup API and check its integrity."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            "The database is PostgreSQL: back it up with pg_dump, e.g. "
            '`pg_dump --format=custom --file=compliance.dump "$DATABASE_URL"`.'
        )
    source_path = url.database
    if target.exists():
        raise click.ClickException(f"{target} already exists; choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source_path)
    dst = sqlite3.connect(str(target))
    try:
        with dst:
            src.backup(dst, pages=1024)
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        src.close()
        dst.close()
    if result != "ok":
        raise click.ClickException(f"Integrity check of the backup failed: {result}")
    click.echo(
        f"Backup written to {target} ({target.stat().st_size} bytes) at "
        f"{datetime.now().isoformat(timespec='seconds')}; integrity check: ok"
    )


@main.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@click.option(
    "--incremental",
    is_flag=True,
    help="Continue from the newest verification checkpoint instead of the first event.",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of the report.")
@with_appcontext
def audit_verify(incremental: bool, lang: str | None) -> None:
    """Recompute the keyed hash chain, compare it with the checkpoints kept outside the
    database, and name the first broken event or the gap."""
    from .audit import verify_chain
    from .domain import N_, translate_for

    result = verify_chain(db.session, incremental=incremental)
    if result.ok:
        click.echo(
            translate_for(
                lang,
                N_(
                    "Audit trail intact: %(checked)s events verified; %(count)s events up to "
                    "event %(last)s."
                ),
                {"checked": result.checked, "count": result.count, "last": result.last_id},
            )
        )
        return
    click.echo(
        translate_for(
            lang,
            N_("Audit trail BROKEN: %(problem)s (%(checked)s events checked)."),
            {
                "problem": translate_for(lang, result.message, result.params),
                "checked": result.checked,
            },
        ),
        err=True,
    )
    sys.exit(1)


@main.command("db-revision", hidden=True)
@click.argument("message")
@with_appcontext
def db_revision(message) -> None:
    """Autogenerate a migration from the models (developers)."""
    from .migrate import revision

    revision(message)


if __name__ == "__main__":  # pragma: no cover
    main()
