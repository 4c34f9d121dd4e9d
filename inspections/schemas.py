"""Marshmallow schemas of the inspections API (the OpenAPI document is generated from them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from compliance import limits
from compliance.api.fields import Id, Int, UtcDateTime

from .models import CATEGORIES, DRAW_TARGET_KINDS, INSPECTION_KINDS, SEVERITIES

_sha = validate.Regexp(r"^[0-9a-fA-F]{64}$", error="A SHA-256 in hex (64 characters).")
_target = validate.Regexp(
    r"^(a|[sw][0-9]+)$", error="'a' (site area), 'w<window id>' or 's<staff member id>'."
)


class FailureSchema(Schema):
    target = fields.Str(required=True, validate=_target)
    item_code = fields.Str(required=True, validate=validate.Length(min=1, max=16))
    severity = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(SEVERITIES))
    reason = fields.Str(
        load_default=None, allow_none=True, validate=validate.Length(max=limits.PATROL_REASON)
    )
    note = fields.Str(
        load_default=None, allow_none=True, validate=validate.Length(max=limits.PATROL_NOTE)
    )
    photos = fields.List(
        fields.Str(validate=_sha),
        load_default=list,
        metadata={
            "description": "SHA-256 of photos uploaded to /inspections/<uuid>/photos; an item "
            "that requires a photo needs it uploaded before the round (a SHA-256 of a photo "
            "never uploaded is refused with 422), others may upload after"
        },
    )


class InspectionCreateSchema(Schema):
    uuid = fields.UUID(required=True, metadata={"description": "Client-generated; idempotency key"})
    site_id = Id(required=True)
    device_started_at = fields.Str(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )
    device_submitted_at = fields.Str(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    location_accuracy_m = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(0, 1e6)
    )
    note = fields.Str(
        load_default=None, allow_none=True, validate=validate.Length(max=limits.INSPECTION_NOTE)
    )
    failures = fields.List(fields.Nested(FailureSchema), load_default=list)


class SignatureSchema(Schema):
    """One drawn inspector of a spot check: when they opened it and when they signed it."""

    user_id = Id()
    position = Int()
    opened_at = UtcDateTime(allow_none=True)
    signed_at = UtcDateTime(allow_none=True)
    device_signed_at = UtcDateTime(allow_none=True)
    user_agent = fields.Str(allow_none=True)
    remark = fields.Str(attribute="signature_note", allow_none=True)


class FlagSchema(Schema):
    code = fields.Str(metadata={"description": "too_fast or far_from_site"})
    detail = fields.Dict(metadata={"description": "The figures behind the flag"})
    created_at = UtcDateTime()


class InspectionSchema(Schema):
    id = Id()
    uuid = fields.Str()
    kind = fields.Str()
    status = fields.Str()
    site_id = Id()
    inspector_id = Id()
    draw_id = Id(allow_none=True)
    target_window_id = Id(allow_none=True)
    target_staff_id = Id(allow_none=True)
    started_at = UtcDateTime()
    submitted_at = UtcDateTime(allow_none=True)
    device_started_at = UtcDateTime(allow_none=True)
    device_submitted_at = UtcDateTime(allow_none=True)
    duration_seconds = Int(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    location_accuracy_m = fields.Float(allow_none=True)
    note = fields.Str(allow_none=True)
    failure_count = Int()
    credited_ids = fields.List(
        Id(),
        metadata={"description": "Who took part: the patrol's inspector, or who signed"},
    )
    signatures = fields.List(
        fields.Nested(SignatureSchema),
        attribute="team",
        metadata={"description": "Spot checks: every drawn inspector and their signature"},
    )


class InspectionDetailSchema(InspectionSchema):
    finding_ids = fields.List(Id())
    flags = fields.List(
        fields.Nested(FlagSchema),
        attribute="visible_flags",
        metadata={"description": "Plausibility flags (discipline, centre heads, admins)"},
    )


class InspectionQuerySchema(Schema):
    site = Id()
    kind = fields.Str(validate=validate.OneOf(INSPECTION_KINDS))
    start = fields.Date(metadata={"description": "From this local date"})
    end = fields.Date(metadata={"description": "Up to this local date"})
    inspector = Id(metadata={"description": "Who took part (patrols; signed spot checks)"})
    flagged = fields.Bool(
        metadata={"description": "Only rounds flagged as implausible (discipline, heads, admins)"}
    )


class PhotoSchema(Schema):
    id = Id()
    sha256 = fields.Str()
    original_format = fields.Str()
    width = Int()
    height = Int()
    size_bytes = Int()
    inspection_uuid = fields.Str(allow_none=True)
    finding_id = Id(allow_none=True)
    uploaded_at = UtcDateTime()


class PhotoUploadSchema(Schema):
    file = fields.Raw(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "The image; an optional form field `sha256` is checked against it",
        },
    )


class FindingSchema(Schema):
    id = Id()
    inspection_id = Id(allow_none=True)
    category = fields.Str()
    target = fields.Str()
    site_id = Id()
    window_id = Id(allow_none=True)
    staff_member_id = Id(allow_none=True)
    severity = fields.Str()
    description = fields.Str()
    reason = fields.Str(allow_none=True)
    note = fields.Str(allow_none=True)
    found_by_id = Id(allow_none=True)
    found_at = UtcDateTime()
    is_integrity = fields.Bool(
        metadata={
            "description": "an integrity matter, passed to the discipline office (已移交纪检)"
        }
    )


class FindingDetailSchema(FindingSchema):
    photos = fields.List(fields.Nested(PhotoSchema))


class FindingQuerySchema(Schema):
    site = Id()
    category = fields.Str(validate=validate.OneOf(CATEGORIES))
    severity = fields.Str(validate=validate.OneOf(SEVERITIES))
    staff = Id()
    inspector = Id()
    kind = fields.Str(validate=validate.OneOf(INSPECTION_KINDS))
    start = fields.Date()
    end = fields.Date()


class DrawSchema(Schema):
    id = Id(dump_only=True)
    title = fields.Str(load_default="", validate=validate.Length(max=120))
    target_kind = fields.Str(required=True, validate=validate.OneOf(DRAW_TARGET_KINDS))
    site_ids = fields.List(Id(), required=True, validate=validate.Length(min=1))
    post_ids = fields.List(Id(), load_default=list)
    inspector_ids = fields.List(
        Id(), required=True, validate=validate.Length(min=1), load_only=True
    )
    inspector_pool = fields.List(Int(), dump_only=True)
    target_pool = fields.List(Int(), dump_only=True)
    exclusions = fields.Dict(dump_only=True)
    target_count = Int(load_default=None, allow_none=True, validate=validate.Range(1, 1000))
    target_percent = Int(load_default=None, allow_none=True, validate=validate.Range(1, 100))
    inspectors_per_target = Int(load_default=2, validate=validate.Range(1, 5))
    seed = fields.Str(dump_only=True)
    result = fields.List(fields.Dict(), dump_only=True)
    status = fields.Str(dump_only=True)
    drawn_on = fields.Date(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    published_at = UtcDateTime(dump_only=True, allow_none=True)
