"""Exporting a ledger: the one path the page, the API, the command line, the queue and the monthly
job all take. Every export writes an audit event naming the user, the ledger, the filters and the
row count, in the caller's transaction. Services flush, never commit; the queued and monthly
exports run as jobs (`tasks`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from flask import Flask, current_app, send_file
from flask_babel import force_locale, pgettext
from flask_babel import gettext as _

from ..audit import record
from ..domain import N_, ForbiddenError, NotFoundError
from ..models import Site, User
from ..timeutil import local_now
from .models import ExportJob
from .registry import (
    COMMON_LABELS,
    Ledger,
    describe_filters,
    get_ledger,
)
from .writer import ExportInfo, LedgerWriter

logger = logging.getLogger(__name__)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTHLY_LEDGERS = ("summary", "rectifications")
_MONTHLY_NAME = re.compile(r"^(\d{4}-\d{2})-([a-z_]+)\.xlsx$")


@dataclass
class ExportResult:
    rows: int
    file_name: str


def user_locale(user: User | None, default: str = "zh") -> str:
    if user is not None and user.locale in ("zh", "en"):
        return user.locale
    return default


def check_access(user: User | None, ledger: Ledger) -> None:
    """Raises ForbiddenError when the user's roles do not include the ledger."""
    if not ledger.allowed(user):
        raise ForbiddenError("ledger.role", N_("Your role cannot export this ledger."))


def file_name_for(ledger: Ledger, filters: dict, locale: str) -> str:
    """The download name: the ledger's title in the reader's language and the dates."""
    with force_locale(locale):
        title = str(ledger.title)
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", title).strip("_") or ledger.code
    return f"{safe}_{filters['date_from'].isoformat()}_{filters['date_to'].isoformat()}.xlsx"


def ascii_file_name(code: str, date_from: str | None, date_to: str | None) -> str:
    """The plain-ASCII name offered to clients that cannot take a UTF-8 file name: the ledger's
    code and the dates, e.g. rectifications_2026-01-01_2026-12-31.xlsx."""
    parts = [re.sub(r"[^A-Za-z0-9_-]+", "_", code) or "ledger"]
    parts += [d for d in (date_from, date_to) if d and re.fullmatch(r"[0-9-]+", d)]
    return "_".join(parts) + ".xlsx"


def content_disposition(name: str, fallback: str) -> str:
    """An attachment with its UTF-8 name (RFC 6266/5987) and a readable ASCII fallback."""
    ascii_name = name if name.isascii() else fallback
    ascii_name = ascii_name.replace("\\", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def send_ledger_file(source, name: str, fallback: str):
    """`send_file` of a ledger (a path or a file object) under `name`, with the ASCII fallback
    name a browser without UTF-8 file names uses."""
    response = send_file(
        source, mimetype=XLSX_MIME, as_attachment=True, download_name=name, max_age=0
    )
    response.headers["Content-Disposition"] = content_disposition(name, fallback)
    return response


def block_labels_for() -> dict[str, str]:
    """The parameters sheet's labels and the page footer, in the current locale."""
    return {
        "parameters": pgettext("ledger parameters", "Parameters"),
        "ledger": pgettext("ledger parameters", "Ledger"),
        "exported_by": pgettext("ledger parameters", "Exported by"),
        "exported_at": pgettext("ledger parameters", "Exported at"),
        "rows": pgettext("ledger parameters", "Rows written"),
        "truncated": pgettext("ledger parameters", "Texts cut"),
        "truncated_value": pgettext(
            "ledger parameters",
            "%(n)s cell(s) held more than 32,767 characters (Excel's limit for one cell) and "
            "were cut; the full text is kept in the system.",
        ),
        # &P and &N are replaced by the page number and the page count when printed.
        "page_footer": pgettext("ledger page footer", "Page &P of &N"),
    }


def _parameters(session, user: User | None, ledger: Ledger, filters: dict) -> list[tuple[str, str]]:
    """The filters in words, for the parameters block (inside the export's locale)."""
    params = [
        (str(COMMON_LABELS["date_from"]), filters["date_from"].isoformat()),
        (str(COMMON_LABELS["date_to"]), filters["date_to"].isoformat()),
    ]
    if filters.get("site_codes"):
        names = session.execute(
            sa.select(Site.code, Site.name)
            .where(Site.code.in_(filters["site_codes"]))
            .order_by(Site.code)
        ).all()
        params.append((str(COMMON_LABELS["sites"]), "; ".join(f"{c} {n}" for c, n in names)))
    else:
        if user is None or user.all_sites:
            scope = _("All sites")
        else:
            names = session.scalars(
                sa.select(Site.name).where(Site.id.in_(user.scope_site_ids)).order_by(Site.code)
            ).all()
            scope = _("Sites in your scope: %(names)s", names="; ".join(names))
        params.append((str(COMMON_LABELS["sites"]), scope))
    for spec in ledger.filters:
        value = filters.get(spec.key)
        if spec.kind == "staff":
            value = filters.get(spec.key + "_numbers")
        if value in (None, [], False):
            continue
        if spec.kind == "bool":
            text = _("Yes")
        elif spec.kind in ("choice", "one"):
            values = value if isinstance(value, list) else [value]
            text = ", ".join(str(spec.choices.get(v, v)) for v in values)
        else:
            text = ", ".join(map(str, value))
        params.append((str(spec.label), text))
    return params


def export_ledger(
    session,
    user: User | None,
    ledger: Ledger,
    filters: dict,
    target,
    *,
    locale: str = "zh",
    route: str = "web",
    progress: Callable[[int], None] | None = None,
    file_name: str | None = None,
) -> ExportResult:
    """Write `ledger` with validated `filters` (see `parse_filters`) to `target` (a path or a binary
    file object) as `user` sees it (None = a system export of every site), then record the audit
    event. Flushes, never commits.

    Raises ForbiddenError when the user's roles do not include the ledger."""
    check_access(user, ledger)
    file_name = file_name or file_name_for(ledger, filters, locale)
    tzname = current_app.config.get("TIMEZONE", "Asia/Shanghai")
    with force_locale(locale):
        info = ExportInfo(
            title=str(ledger.title),
            parameters=_parameters(session, user, ledger, filters),
            exported_by=(
                f"{user.display_name} ({user.username})"
                if user is not None
                else _("System (scheduled job)")
            ),
            exported_at=local_now(tzname).replace(tzinfo=None, microsecond=0),
        )
        block_labels = block_labels_for()
        if ledger.render is not None:
            rows = ledger.render(
                session,
                user,
                filters,
                target,
                info=info,
                labels=block_labels,
                timezone=tzname,
                progress=progress,
            )
        else:
            labels = [str(c.label) for c in ledger.columns]
            enum_labels = {
                c.key: {k: str(v) for k, v in c.choices.items()}
                for c in ledger.columns
                if c.choices
            }
            writer = LedgerWriter(
                ledger.columns,
                labels,
                info,
                timezone=tzname,
                enum_labels=enum_labels,
                parameters_title=block_labels["parameters"],
                labels_block=block_labels,
            )
            writer.write_rows(ledger.rows(session, user, filters), progress=progress)
            rows = writer.finish(target)
    record(
        session,
        user,
        "ledger.export",
        entity_type="Ledger",
        entity_id=ledger.code,
        after={
            "ledger": ledger.code,
            "filters": describe_filters(ledger, filters),
            "rows": rows,
            "route": route,
            "file": file_name,
        },
    )
    logger.info(
        "ledger %s exported by %s via %s: %s rows",
        ledger.code,
        user.id if user is not None else "system",
        route,
        rows,
    )
    return ExportResult(rows=rows, file_name=file_name)


def count_rows(session, user: User | None, ledger: Ledger, filters: dict) -> int:
    if ledger.count is None:
        return 0
    return ledger.count(session, user, filters)


# -- queued exports -----------------------------------------------------------------------------


def exports_folder(app: Flask | None = None) -> Path:
    app = app or current_app
    folder = Path(app.config["REPORTS_FOLDER"]) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def queue_export(
    session,
    user: User,
    ledger: Ledger,
    filters: dict,
    *,
    locale: str,
    route: str = "web",
    total: int | None = None,
) -> ExportJob:
    """Record an export to run in the background. Flushes, never commits.

    Raises ForbiddenError when the user's roles do not include the ledger."""
    check_access(user, ledger)
    job = ExportJob(
        user_id=user.id,
        ledger=ledger.code,
        filters=describe_filters(ledger, filters),
        locale=locale,
        route=route,
        status="queued",
        total_rows=total,
    )
    session.add(job)
    session.flush()
    logger.info("export job %s queued by %s for %s (%s rows)", job.id, user.id, ledger.code, total)
    return job


# -- monthly reports ----------------------------------------------------------------------------


def monthly_folder(app: Flask | None = None) -> Path:
    app = app or current_app
    folder = Path(app.config["REPORTS_FOLDER"]) / "monthly"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class MonthlyReport:
    name: str
    month: str
    ledger: Ledger
    size: int
    modified: datetime


def monthly_reports_for(user: User, app: Flask | None = None) -> list[MonthlyReport]:
    """Archived monthly reports the user may download: they hold every site, so only users whose
    scope is every site and whose role includes the ledger see them."""
    app = app or current_app
    if not user.all_sites:
        return []
    folder = Path(app.config["REPORTS_FOLDER"]) / "monthly"
    if not folder.is_dir():
        return []
    reports = []
    for path in folder.iterdir():
        match = _MONTHLY_NAME.match(path.name)
        if not match:
            continue
        ledger = get_ledger(match.group(2), app)
        if ledger is None or not ledger.allowed(user):
            continue
        stat = path.stat()
        reports.append(
            MonthlyReport(
                path.name,
                match.group(1),
                ledger,
                stat.st_size,
                datetime.fromtimestamp(stat.st_mtime),
            )
        )
    reports.sort(key=lambda r: (r.month, r.ledger.order), reverse=True)
    return reports


def monthly_report_path(
    user: User, name: str, app: Flask | None = None
) -> tuple[Path, MonthlyReport] | None:
    for report in monthly_reports_for(user, app):
        if report.name == name:
            return monthly_folder(app) / name, report
    return None


def open_monthly_report(session, user: User, name: str) -> Path:
    """The path of an archived monthly report the user may download, after recording the
    download in the audit log (in the caller's transaction). Raises NotFoundError for a report
    that does not exist or that the user may not see."""
    found = monthly_report_path(user, name)
    if found is None:
        raise NotFoundError("ledger.no_report", N_("This report does not exist."))
    path, report = found
    record(
        session,
        user,
        "ledger.download",
        entity_type="Ledger",
        entity_id=report.ledger.code,
        after={"file": name, "month": report.month},
    )
    return path
