"""Dashboard panels read what they show in a fixed number of statements: the flagged-rounds
panel (five rounds with their site, inspectors and flags, and the total) and the inbox panel
(empty or full) run the same statements with one row as with many, or none."""

from __future__ import annotations

import uuid
from datetime import timedelta

from compliance.db import db, utcnow
from inspections.models import Inspection, InspectionFlag, InspectionInspector
from tests.inspections.test_inspections_bounded_lists import statements


def _flagged_rounds(make_site, make_user, n: int, team: bool) -> None:
    """`n` flagged rounds, each on its own site by its own inspector (a spot check with a
    signed team of two when `team`), so a lazy load per row would show in the count."""
    now = utcnow()
    for i in range(n):
        site = make_site()
        inspector = make_user(roles=("inspector",), sites=[site])
        kind = "spot_check" if team else "patrol"
        rnd = Inspection(
            uuid=str(uuid.uuid4()),
            kind=kind,
            site_id=site.id,
            inspector_id=inspector.id,
            status="submitted",
            started_at=now - timedelta(hours=i + 2),
            submitted_at=now - timedelta(hours=i + 1),
        )
        db.session.add(rnd)
        db.session.flush()
        if team:
            mate = make_user(roles=("inspector",), sites=[site])
            for pos, who in enumerate((inspector, mate)):
                db.session.add(
                    InspectionInspector(
                        inspection_id=rnd.id, user_id=who.id, position=pos, signed_at=now
                    )
                )
        db.session.add(
            InspectionFlag(
                inspection_id=rnd.id,
                code="too_fast",
                detail={"seconds": 40, "windows": 12, "minimum": 180, "per_window": 15},
            )
        )
    db.session.commit()


def test_flagged_rounds_panel_runs_one_statement_for_none_one_or_many(
    app, client_for, make_site, make_user
):
    officer = client_for("discipline")
    none, html_none = statements(officer, "/dashboard")
    _flagged_rounds(make_site, make_user, 1, team=False)
    one, html_one = statements(officer, "/dashboard")
    _flagged_rounds(make_site, make_user, 4, team=False)
    _flagged_rounds(make_site, make_user, 3, team=True)
    many, html_many = statements(officer, "/dashboard")
    assert none == one == many
    assert "/inspections?flagged=1" not in html_none
    panel = html_many.split('<ul class="plain">')[-1].split("</ul>", 1)[0]
    assert panel.count("<li>") == 5
    assert ": 8" in html_many or "：8" in html_many  # the total, not the five shown
    assert "、" in panel  # a signed team of two is named


def test_inbox_panel_runs_the_same_statements_empty_or_full(app, client_for):
    from compliance.notifications.services import notify

    reader = client_for("leader")
    empty, _html = statements(reader, "/dashboard")
    for k in range(12):
        notify(db.session, reader.user, "test", f"通知{k}")
    db.session.commit()
    full, html = statements(reader, "/dashboard")
    assert full == empty
    assert "通知11" in html
