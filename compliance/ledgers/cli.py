"""`compliance export LEDGER --from --to [filters] --user USERNAME -o FILE.xlsx`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from ..db import db
from ..models import User
from ..uow import unit_of_work
from .registry import COMMON_LABELS, LedgerError, all_ledgers, get_ledger, parse_filters
from .services import count_rows, export_ledger, user_locale


class Refusal(click.ClickException):
    """A refusal in the reader's language (click's own "Error:" prefix is English)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.template = _("Error: %(message)s")  # in the language in force when refused

    def show(self, file=None) -> None:
        click.echo(self.template % {"message": self.format_message()}, file=file or sys.stderr)


def _default_locale() -> str:
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")


def _field_label(ledger, key: str) -> str:
    labels = {**COMMON_LABELS, "from": COMMON_LABELS["date_from"], "to": COMMON_LABELS["date_to"]}
    labels.update({f.key: f.label for f in ledger.filters})
    label = labels.get(key)
    return str(label) if label is not None else key


def refusal_text(ledger, exc: LedgerError) -> str:
    """The bad fields of an export request, each with its label, one per line."""
    return "\n".join(
        message
        if key == "_"
        else _("%(field)s: %(message)s", field=_field_label(ledger, key), message=message)
        for key, message in exc.errors.items()
    )


def _ledger_help() -> str:
    return "LEDGER is one of the codes listed by `compliance export --list`."


@click.command(
    "export", help="Export a ledger (台账) to an Excel file, as USER sees it. " + _ledger_help()
)
@click.argument("ledger_code", metavar="LEDGER", required=False)
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="First day (local time).")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Last day (local time).")
@click.option("--period", metavar="2026|2026-03|2026-Q1", help="Instead of --from/--to.")
@click.option(
    "--site",
    "sites",
    multiple=True,
    metavar="CODE",
    help="Only this site and the sites below it (repeatable).",
)
@click.option(
    "--filter",
    "extra",
    multiple=True,
    metavar="KEY=VALUE",
    help="A ledger filter, e.g. status=open or category=attire (repeatable; "
    "comma-separate several values).",
)
@click.option(
    "--user",
    "username",
    metavar="USERNAME",
    help="Export as this user: their roles and site scope apply. Required.",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Column names in this language (default: the user's).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .xlsx file to write.",
)
@click.option("--list", "list_only", is_flag=True, help="List the ledgers and their filters.")
@with_appcontext
def export_cmd(
    ledger_code, date_from, date_to, period, sites, extra, username, lang, output, list_only
) -> None:
    if list_only:
        with force_locale(lang or "zh"):
            _list()
        return
    if not ledger_code:
        raise click.UsageError("Name a LEDGER (see --list).")
    if not username:
        raise click.UsageError(
            "--user USERNAME is required: the export holds what that user may see."
        )
    if output is None:
        raise click.UsageError("-o FILE.xlsx is required.")
    ledger = get_ledger(ledger_code)
    user = db.session.scalar(sa.select(User).where(User.username == username))
    with force_locale(lang or (user_locale(user) if user is not None else _default_locale())):
        if ledger is None:
            raise Refusal(
                _(
                    "There is no ledger called %(code)s; `compliance export --list` lists them.",
                    code=ledger_code,
                )
            )
        if user is None or not user.active:
            raise Refusal(_("There is no active user called %(name)s.", name=username))
    raw: dict = {"sites": list(sites)}
    for key, value in (("from", date_from), ("to", date_to), ("period", period)):
        if value:
            raw[key] = value
    known = {f.key for f in ledger.filters}
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep or key not in known:
            raise click.UsageError(
                f"Bad --filter {item!r}; this ledger's filters: "
                f"{', '.join(sorted(known)) or 'none'}."
            )
        raw.setdefault(key, []).append(value)
    locale = lang or user_locale(user)
    with force_locale(locale):
        _export(ledger, user, raw, locale, output)


def _list() -> None:
    for ledger in all_ledgers():
        filters = ", ".join(
            f"{f.key}=" + ("|".join(f.choices) if f.choices else f.kind) for f in ledger.filters
        )
        click.echo(
            f"{ledger.code:15} {ledger.title}  [{', '.join(sorted(ledger.roles))}]"
            + (f"\n{'':15} filters: {filters}" if filters else "")
        )


def _export(ledger, user, raw: dict, locale: str, output: Path) -> None:
    """Write the file and record the export in one unit of work: the file is moved into place
    only once the audit event is committed."""
    if not ledger.allowed(user):
        labels = current_app.extensions.get("role_labels", {})
        raise Refusal(
            _(
                "%(user)s may not export the %(ledger)s: their roles (%(roles)s) do not include it.",
                user=user.username,
                ledger=str(ledger.title),
                roles="、".join(str(labels.get(r, r)) for r in sorted(user.roles)),
            )
        )
    try:
        filters = parse_filters(db.session, user, ledger, raw)
    except LedgerError as exc:
        raise Refusal(refusal_text(ledger, exc)) from exc
    total = count_rows(db.session, user, ledger, filters)
    output.parent.mkdir(parents=True, exist_ok=True)
    part = output.with_name(output.name + ".part")
    with click.progressbar(
        length=max(total, 1), label=f"{ledger.code}", show_pos=True, file=sys.stderr
    ) as bar:
        done = [0]

        def progress(n: int) -> None:
            bar.update(min(n, total) - done[0])
            done[0] = min(n, total)

        try:
            with unit_of_work(db.session):
                result = export_ledger(
                    db.session,
                    user,
                    ledger,
                    filters,
                    str(part),
                    locale=locale,
                    route="cli",
                    progress=progress,
                    file_name=output.name,
                )
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    os.replace(part, output)
    click.echo(f"{result.rows} rows written to {output}")
