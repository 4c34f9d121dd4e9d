"""Ledgers over the API: list what the caller may export, export (small ones at once, large ones
queued), follow a queued export and fetch its file."""

from __future__ import annotations

import io
from pathlib import Path

from flask import current_app, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields

from compliance.api.fields import Id, Int

from ..access import roles_required
from ..api import ApiBlueprint
from ..db import db
from ..models import ROLES
from .models import ExportJob
from .registry import REPORT_ROLES, get_ledger, ledgers_for, parse_filters
from .services import (
    XLSX_MIME,
    ascii_file_name,
    count_rows,
    export_ledger,
    queue_export,
    send_ledger_file,
    user_locale,
)
from .tasks import start_after_request

blp = ApiBlueprint(
    "ledgers_api",
    __name__,
    url_prefix="/ledgers",
    description="Excel ledgers (台账): the same declarations as the reports page",
)

XLSX_RESPONSE = {"content": {XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}}}


class ChoiceSchema(Schema):
    value = fields.String()
    label = fields.String()


class FilterSchema(Schema):
    key = fields.String()
    label = fields.String()
    kind = fields.String(
        metadata={"description": "choice (several values), one, bool or staff (staff numbers)"}
    )
    choices = fields.List(fields.Nested(ChoiceSchema))


class ColumnSchema(Schema):
    key = fields.String()
    label = fields.String()
    type = fields.String()


class LedgerSchema(Schema):
    code = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    columns = fields.List(fields.Nested(ColumnSchema))
    filters = fields.List(fields.Nested(FilterSchema))


class ExportRequestSchema(Schema):
    from_ = fields.Date(
        data_key="from",
        load_default=None,
        metadata={"description": "First day (local), YYYY-MM-DD"},
    )
    to = fields.Date(load_default=None, metadata={"description": "Last day (local), YYYY-MM-DD"})
    period = fields.String(
        load_default=None, metadata={"description": "Instead of from/to: 2026, 2026-03 or 2026-Q1"}
    )
    sites = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "Site codes (and the sites below them)"},
    )
    filters = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={
            "description": "The ledger's own filters by key (see GET "
            "/ledgers): a list of values, a value or a "
            "boolean"
        },
    )
    queue = fields.Boolean(
        load_default=False, metadata={"description": "Always prepare in the background"}
    )
    locale = fields.String(load_default=None, metadata={"description": "zh or en column names"})


class JobSchema(Schema):
    id = Id()
    ledger = fields.String()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    progress_rows = Int()
    total_rows = Int(allow_none=True)
    percent = Int()
    error = fields.String(allow_none=True)
    file_name = fields.String(allow_none=True)
    file_url = fields.Method("_file_url")

    def _file_url(self, job) -> str | None:
        if job.status != "done" or not job.file_path:
            return None
        return url_for("ledgers_api.JobFile", job_id=job.id)


def _describe(ledger) -> dict:
    return {
        "code": ledger.code,
        "title": str(ledger.title),
        "description": str(ledger.description) if ledger.description else None,
        "columns": [{"key": c.key, "label": str(c.label), "type": c.type} for c in ledger.columns],
        "filters": [
            {
                "key": f.key,
                "label": str(f.label),
                "kind": f.kind,
                "choices": [{"value": k, "label": str(v)} for k, v in f.choices.items()],
            }
            for f in ledger.filters
        ],
    }


def _ledger(code: str):
    ledger = get_ledger(code)
    if ledger is None:
        abort(404, message="No such ledger")
    if not ledger.allowed(current_user):
        abort(403, message="Your role cannot export this ledger")
    return ledger


@blp.route("")
class Ledgers(MethodView):
    @roles_required(*ROLES)
    @blp.response(200, LedgerSchema(many=True))
    def get(self):
        """The ledgers the caller may export, with their columns and filters."""
        return [_describe(x) for x in ledgers_for(current_user)]


@blp.route("/<code>/exports")
class Exports(MethodView):
    @roles_required(*REPORT_ROLES)
    @blp.arguments(ExportRequestSchema)
    @blp.response(202, JobSchema, description="Queued: follow the job and fetch its file")
    @blp.alt_response(
        200,
        success=True,
        description="The ledger, when small enough to write at once",
        content_type=XLSX_MIME,
    )
    def post(self, args, code):
        """Export a ledger. Up to the size threshold the xlsx file is returned at once; larger
        exports (or `queue: true`) are queued and answered with the job (202)."""
        ledger = _ledger(code)
        raw: dict = {"sites": args["sites"]}
        if args["period"]:
            raw["period"] = args["period"]
        if args["from_"]:
            raw["from"] = args["from_"].isoformat()
        if args["to"]:
            raw["to"] = args["to"].isoformat()
        known = {f.key for f in ledger.filters}
        unknown = sorted(set(args["filters"]) - known)
        if unknown:
            abort(
                422,
                message="Unknown filter",
                errors={"filters": {k: ["Unknown filter"] for k in unknown}},
            )
        for key, value in args["filters"].items():
            if isinstance(value, bool):
                value = "1" if value else ""
            elif isinstance(value, list):
                value = [str(v) for v in value]
            elif value is not None:
                value = str(value)
            raw[key] = value
        filters = parse_filters(db.session, current_user, ledger, raw)
        locale = args["locale"] if args["locale"] in ("zh", "en") else user_locale(current_user)
        total = count_rows(db.session, current_user, ledger, filters)
        if args["queue"] or total > current_app.config.get("EXPORT_ASYNC_ROWS", 5000):
            job = queue_export(
                db.session,
                current_user,
                ledger,
                filters,
                locale=locale,
                route="api",
                total=total,
            )
            start_after_request(current_app._get_current_object(), job.id)
            return job
        buffer = io.BytesIO()
        result = export_ledger(
            db.session, current_user, ledger, filters, buffer, locale=locale, route="api"
        )
        buffer.seek(0)
        response = send_ledger_file(
            buffer,
            result.file_name,
            ascii_file_name(
                ledger.code, filters["date_from"].isoformat(), filters["date_to"].isoformat()
            ),
        )
        response.headers["X-Row-Count"] = str(result.rows)
        return response


def _own_job(job_id: int) -> ExportJob:
    job = db.session.get(ExportJob, job_id)
    if job is None or job.user_id != current_user.id:
        abort(404, message="No such export job")
    return job


@blp.route("/jobs/<int:job_id>")
class Job(MethodView):
    @roles_required(*REPORT_ROLES)
    @blp.response(200, JobSchema)
    def get(self, job_id):
        """A queued export's progress."""
        return _own_job(job_id)


@blp.route("/jobs/<int:job_id>/file")
class JobFile(MethodView):
    @roles_required(*REPORT_ROLES)
    @blp.response(200, description="The finished xlsx file", content_type=XLSX_MIME)
    def get(self, job_id):
        """The finished file of a queued export (404 until it is done)."""
        job = _own_job(job_id)
        ledger = get_ledger(job.ledger)
        if ledger is None or not ledger.allowed(current_user):
            abort(404, message="No such export job")
        if job.status != "done" or not job.file_path or not Path(job.file_path).is_file():
            abort(404, message="The file is not ready")
        filters = job.filters or {}
        fallback = ascii_file_name(job.ledger, filters.get("from"), filters.get("to"))
        return send_ledger_file(job.file_path, job.file_name or fallback, fallback)
