"""A site-scoped reader of the audit trail sees the events of inspection records at their sites."""

from __future__ import annotations

import sqlalchemy as sa

from compliance.audit import record
from compliance.audit_views import scope_clause
from compliance.db import db
from compliance.models import AuditEvent
from inspections.models import Finding


def _finding(site, user):
    finding = Finding(
        category="attire",
        target="area",
        site_id=site.id,
        severity="minor",
        description="地面有垃圾",
    )
    db.session.add(finding)
    db.session.flush()
    record(db.session, user, "finding.create", finding)
    db.session.commit()
    return finding


def test_scoped_reader_sees_findings_of_their_sites_only(app, make_site, make_user):
    here, there = make_site(), make_site()
    admin = make_user(roles=("admin",))
    mine, other = _finding(here, admin), _finding(there, admin)
    reader = make_user(roles=("discipline",), sites=[here])
    visible = set(
        db.session.scalars(
            sa.select(AuditEvent.entity_id).where(
                AuditEvent.entity_type == "Finding", scope_clause(reader)
            )
        )
    )
    assert str(mine.id) in visible
    assert str(other.id) not in visible
