"""Marshmallow schemas of the organisation API: they validate requests and describe the OpenAPI
document. Names start with "Org" so they never clash with another package's schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from compliance.api.fields import Id

from ..models import SITE_KINDS, STAFF_STATUSES
from . import services

_code = validate.Regexp(services.CODE_RE, error="Letters, digits, '-', '_' and '.' only.")


class OrgSiteSchema(Schema):
    id = Id(dump_only=True)
    code = fields.Str(required=True, validate=[validate.Length(min=1, max=32), _code])
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.Str(load_default="centre", validate=validate.OneOf(SITE_KINDS))
    parent_id = Id(load_default=None, allow_none=True)
    address = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=200))
    latitude = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(-90, 90),
        metadata={"description": "WGS-84 degrees; give both coordinates or neither"},
    )
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    is_active = fields.Bool(load_default=True)


class OrgSiteUpdateSchema(Schema):
    code = fields.Str(validate=[validate.Length(min=1, max=32), _code])
    name = fields.Str(validate=validate.Length(min=1, max=120))
    kind = fields.Str(validate=validate.OneOf(SITE_KINDS))
    parent_id = Id(allow_none=True)
    address = fields.Str(allow_none=True, validate=validate.Length(max=200))
    latitude = fields.Float(allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(-180, 180))
    is_active = fields.Bool()


class OrgSiteQuerySchema(Schema):
    q = fields.Str(metadata={"description": "Code or name contains"})
    kind = fields.Str(validate=validate.OneOf(SITE_KINDS))
    parent = Id(metadata={"description": "Direct children of this site"})
    active = fields.Bool()


class OrgWindowSchema(Schema):
    id = Id(dump_only=True)
    site_id = Id(required=True)
    code = fields.Str(required=True, validate=[validate.Length(min=1, max=32), _code])
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    is_active = fields.Bool(load_default=True)


class OrgWindowUpdateSchema(Schema):
    site_id = Id()
    code = fields.Str(validate=[validate.Length(min=1, max=32), _code])
    name = fields.Str(validate=validate.Length(min=1, max=120))
    is_active = fields.Bool()


class OrgWindowQuerySchema(Schema):
    site = Id(metadata={"description": "This site and the sites below it"})
    q = fields.Str()
    active = fields.Bool()


class OrgPostSchema(Schema):
    id = Id(dump_only=True)
    code = fields.Str(required=True, validate=[validate.Length(min=1, max=32), _code])
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    is_key = fields.Bool(load_default=False)
    description = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class OrgPostUpdateSchema(Schema):
    code = fields.Str(validate=[validate.Length(min=1, max=32), _code])
    name = fields.Str(validate=validate.Length(min=1, max=120))
    is_key = fields.Bool()
    description = fields.Str(allow_none=True, validate=validate.Length(max=2000))


class OrgPostQuerySchema(Schema):
    q = fields.Str()
    key = fields.Bool(metadata={"description": "Only key posts (true) or only others (false)"})


class OrgAssignmentSchema(Schema):
    id = Id(dump_only=True)
    staff_member_id = Id(required=True)
    post_id = Id(required=True)
    site_id = Id(required=True)
    window_id = Id(load_default=None, allow_none=True)
    started_on = fields.Date(required=True)
    ended_on = fields.Date(load_default=None, allow_none=True)
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=200))


class OrgAssignmentUpdateSchema(Schema):
    post_id = Id()
    site_id = Id()
    window_id = Id(allow_none=True)
    started_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    note = fields.Str(allow_none=True, validate=validate.Length(max=200))


class OrgAssignmentQuerySchema(Schema):
    staff = Id(metadata={"description": "Staff member id"})
    site = Id(metadata={"description": "This site and the sites below it"})
    post = Id()
    q = fields.Str(metadata={"description": "Staff number or name contains"})
    current = fields.Bool(metadata={"description": "Only current (open-ended) assignments"})
    on = fields.Date(metadata={"description": "Assignments covering this day"})


class OrgStaffSchema(Schema):
    id = Id(dump_only=True)
    staff_no = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    phone = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=32))
    hired_on = fields.Date(required=True)
    status = fields.Str(load_default="active", validate=validate.OneOf(STAFF_STATUSES))
    site_id = Id(required=True)
    current_assignment = fields.Nested(OrgAssignmentSchema, dump_only=True, allow_none=True)


class OrgStaffUpdateSchema(Schema):
    staff_no = fields.Str(validate=validate.Length(min=1, max=32))
    name = fields.Str(validate=validate.Length(min=1, max=64))
    phone = fields.Str(allow_none=True, validate=validate.Length(max=32))
    hired_on = fields.Date()
    status = fields.Str(validate=validate.OneOf(STAFF_STATUSES))
    site_id = Id()


class OrgStaffQuerySchema(Schema):
    site = Id(metadata={"description": "This site and the sites below it"})
    status = fields.Str(validate=validate.OneOf(STAFF_STATUSES))
    post = Id(metadata={"description": "Current post id"})
    q = fields.Str(metadata={"description": "Staff number or name contains"})
    hired_from = fields.Date()
    hired_to = fields.Date()


class OrgLeaveSchema(Schema):
    id = Id(dump_only=True)
    staff_member_id = Id(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    approved_by_id = Id(dump_only=True, allow_none=True)


class OrgLeaveUpdateSchema(Schema):
    starts_on = fields.Date()
    ends_on = fields.Date()
    reason = fields.Str(validate=validate.Length(min=1, max=200))


class OrgLeaveQuerySchema(Schema):
    staff = Id(metadata={"description": "Staff member id"})
    site = Id(metadata={"description": "This site and the sites below it"})
    q = fields.Str(metadata={"description": "Staff number or name contains"})
    on = fields.Date(metadata={"description": "Leave covering this day"})
    date_from = fields.Date(data_key="from", metadata={"description": "Leave ending on or after"})
    date_to = fields.Date(data_key="to", metadata={"description": "Leave starting on or before"})
