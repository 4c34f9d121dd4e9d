"""Check results grow with exceptions, not with passes: a submitted round stores its roster and
its failures (and excused items), the per-result ledger still lists every result as the old
storage (one row per pass) did, and migrating a database with pass rows keeps its ledger."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.models import Leave
from compliance.timeutil import local_today
from inspections.models import (
    CATEGORIES,
    CheckItem,
    CheckItemVersion,
    CheckResult,
    Inspection,
    InspectionRoster,
)
from inspections.services import Target, record_failure, site_roster, start_round, submit_round

PREVIOUS = "cfbdda0fc37f"  # the revision before rosters: every pass a row
WIDE = {"date_from": date(2000, 1, 1), "date_to": date(2100, 1, 1), "unit": "results"}


def ledger_rows(app, filters=None) -> list[tuple]:
    """The per-result inspection ledger (every site, Chinese), as the export writes it."""
    from inspections.ledgers import INSPECTIONS

    with app.test_request_context():
        return list(INSPECTIONS.rows(db.session, None, dict(WIDE, **(filters or {}))))


def ledger_count(app, filters=None) -> int:
    from inspections.ledgers import INSPECTIONS

    with app.test_request_context():
        return INSPECTIONS.count(db.session, None, dict(WIDE, **(filters or {})))


def _legacy_result_pages(session, user, filters, inspections_per_page: int = 20):
    """The per-result ledger's rows as the code before rosters read them: every result a row,
    in (submitted_at, inspection, row id) order."""
    from sqlalchemy.orm import aliased

    from compliance.ledgers import keyset_stream
    from compliance.models import Site, StaffMember, Window
    from inspections.ledgers import _inspections_stmt_for_results

    def results_of(ids):
        window, staff = aliased(Window), aliased(StaffMember)
        stmt = (
            sa.select(
                Inspection.submitted_at,
                Site.name,
                Inspection.kind,
                Inspection.inspector_id,
                window.code + " " + window.name,
                staff.name,
                CheckItem.category,
                CheckItemVersion.text_zh,
                CheckItemVersion.text_en,
                CheckResult.result,
                CheckResult.severity,
                CheckResult.reason,
                CheckResult.note,
                Inspection.id,
                Inspection.submitted_at.label("k1"),
                CheckResult.id.label("k2"),
            )
            .select_from(CheckResult)
            .join(Inspection, Inspection.id == CheckResult.inspection_id)
            .join(Site, Site.id == Inspection.site_id)
            .join(CheckItemVersion, CheckItemVersion.id == CheckResult.item_version_id)
            .join(CheckItem, CheckItem.id == CheckItemVersion.item_id)
            .outerjoin(window, window.id == CheckResult.window_id)
            .outerjoin(staff, staff.id == CheckResult.staff_member_id)
            .where(CheckResult.inspection_id.in_(ids))
        )
        if filters.get("result"):
            stmt = stmt.where(CheckResult.result.in_(filters["result"]))
        return session.execute(
            stmt.order_by(Inspection.submitted_at, Inspection.id, CheckResult.id)
        ).all()

    parents = _inspections_stmt_for_results(session, user, filters)
    keys = (parents.selected_columns.k1, parents.selected_columns.k2)
    batch = []
    for _at, inspection_id in keyset_stream(session, parents, keys, batch_size=500):
        batch.append(inspection_id)
        if len(batch) == inspections_per_page:
            yield results_of(batch)
            batch = []
    if batch:
        yield results_of(batch)


def _stored(result=None) -> int:
    stmt = sa.select(sa.func.count(CheckResult.id))
    if result:
        stmt = stmt.where(CheckResult.result == result)
    return db.session.scalar(stmt)


def test_migrating_the_demo_keeps_the_per_result_ledger_cell_by_cell(fresh_app, monkeypatch):
    from alembic import command

    from compliance.demo import load_demo
    from compliance.migrate import alembic_config, upgrade
    from inspections import ledgers

    app = fresh_app(create_schema=False)
    with app.app_context():
        upgrade()
        load_demo(app, db.session)
        db.session.commit()
        native = ledger_rows(app)
        assert _stored("pass") == 0 and len(native) > 500
        # every submitted round wrote a roster: patrols and the two-inspector spot checks alike
        kinds = db.session.execute(
            sa.select(Inspection.kind, sa.func.count(InspectionRoster.inspection_id))
            .outerjoin(InspectionRoster, InspectionRoster.inspection_id == Inspection.id)
            .where(Inspection.status == "submitted")
            .group_by(Inspection.kind)
        ).all()
        totals = dict(
            db.session.execute(
                sa.select(Inspection.kind, sa.func.count(Inspection.id))
                .where(Inspection.status == "submitted")
                .group_by(Inspection.kind)
            ).all()
        )
        assert dict(kinds) == totals and set(totals) == {"patrol", "spot_check"}
        db.session.remove()

        # The previous revision: every pass is a row again, read as the old code read them.
        command.downgrade(alembic_config(), PREVIOUS)
        passes = _stored("pass")
        assert passes == sum(1 for row in native if row[9] == "pass") > 500
        with monkeypatch.context() as m:
            m.setattr(ledgers, "_result_pages", _legacy_result_pages)
            before = ledger_rows(app)
        rows_before = _stored()
        db.session.remove()

        upgrade()
        after = ledger_rows(app)
        assert _stored("pass") == 0  # every demo inspection got a roster
        assert _stored() == rows_before - passes
        submitted = db.session.scalar(
            sa.select(sa.func.count(Inspection.id)).where(Inspection.status == "submitted")
        )
        assert db.session.scalar(sa.select(sa.func.count(InspectionRoster.inspection_id))) == (
            submitted
        )
        assert ledger_count(app) == len(after)
        assert ledger_count(app, {"result": ["pass"]}) == passes
    assert len(before) == len(after) == len(native)
    for n, (old, new) in enumerate(zip(before, after, strict=True)):
        assert old == new, f"row {n + 1} differs"
    assert native == after


def test_migration_leaves_rows_a_roster_cannot_reproduce(fresh_app):
    """An inspection whose pass row carries a note keeps its rows, and lists them in id order."""
    from compliance.migrate import upgrade

    app = fresh_app(create_schema=False)
    with app.app_context():
        upgrade(revision=PREVIOUS)
        from compliance.models import Site, User

        site = Site(code="S1", name="一中心", kind="centre")
        user = User(username="i", display_name="督查", password_hash="x", all_sites=True)
        items = [
            CheckItem(code=f"C0{n}", category="hygiene", target="area", sort_order=n)
            for n in (1, 2)
        ]
        db.session.add_all([site, user, *items])
        db.session.flush()
        versions = [
            CheckItemVersion(
                item_id=i.id, version=1, text_zh=i.code, text_en=i.code, severity="minor"
            )
            for i in items
        ]
        db.session.add_all(versions)
        db.session.flush()
        for n, note in ((1, None), (2, "记一笔")):
            at = datetime(2026, 3, n, 2, 0)
            inspection = Inspection(
                uuid=str(uuid.uuid4()),
                status="submitted",
                site_id=site.id,
                inspector_id=user.id,
                started_at=at,
                submitted_at=at,
            )
            db.session.add(inspection)
            db.session.flush()
            db.session.add_all(
                CheckResult(
                    inspection_id=inspection.id,
                    item_version_id=v.id,
                    result="pass",
                    severity="minor",
                    note=note if v is versions[0] else None,
                )
                for v in versions
            )
            db.session.flush()
        db.session.commit()
        db.session.remove()
        upgrade()
        assert _stored("pass") == 2  # the second inspection's, with the note, stayed
        assert db.session.scalar(sa.select(sa.func.count(InspectionRoster.inspection_id))) == 1
        rows = ledger_rows(app)
        assert [(r[8], r[9], r[12]) for r in rows] == [
            ("C01", "pass", None),
            ("C02", "pass", None),
            ("C01", "pass", "记一笔"),
            ("C02", "pass", None),
        ]


def _expected_old_rows(session, inspection, roster, failures) -> list[tuple]:
    """What the old storage wrote for a submitted round, worked out here from the roster and
    the catalogue: the failures (in the order they were marked), then for every target (the
    area, then each window followed by the staff on duty there) every active item of its kind
    in checklist order that did not fail: "excused" for a staff member on leave, else "pass"."""
    rank = {c: n for n, c in enumerate(CATEGORIES)}
    items = sorted(
        session.execute(
            sa.select(CheckItem, CheckItemVersion)
            .join(CheckItemVersion, CheckItemVersion.id == CheckItem.current_version_id)
            .where(CheckItem.is_active.is_(True))
        ).all(),
        key=lambda r: (rank[r[0].category], r[0].sort_order, r[0].code),
    )
    rows = [
        (
            f.window.code + " " + f.window.name if f.window else None,
            f.staff_member.name if f.staff_member else None,
            f.item_version.item.category,
            f.item_version.text_zh,
            "fail",
            f.severity,
            f.reason,
        )
        for f in failures
    ]
    failed = {
        (f.item_version.item_id, f.staff_member_id, None if f.staff_member_id else f.window_id)
        for f in failures
    }
    targets = [("area", None, None, False)]
    for window in roster.windows:
        targets.append(("window", window, None, False))
        for entry in roster.duty.get(window.id, []):
            targets.append(("staff", window, entry.staff, entry.on_leave))
    for kind, window, staff, on_leave in targets:
        for item, version in items:
            if item.target != kind:
                continue
            key = (item.id, staff.id if staff else None, None if staff else (window and window.id))
            if key in failed:
                continue
            rows.append(
                (
                    f"{window.code} {window.name}" if window else None,
                    staff.name if staff else None,
                    item.category,
                    version.text_zh,
                    "excused" if on_leave else "pass",
                    version.severity,
                    None,
                )
            )
    return rows


def test_a_new_round_lists_what_the_old_storage_would_have_stored(
    app, catalogue, make_hall, make_user
):
    site, windows, staff = make_hall(windows=3, per_window=2)
    db.session.add(
        Leave(
            staff_member_id=staff[3].id,
            starts_on=local_today(),
            ends_on=local_today(),
            reason="病假",
        )
    )
    inspector = make_user(roles=("inspector",), sites=[site])
    db.session.commit()
    inspection = start_round(db.session, inspector, site)
    failures = [
        record_failure(
            db.session,
            inspector,
            inspection,
            target=Target("staff", staff[4].id),
            item_code="D06",
            reason="闲聊",
            severity="major",
        ),
        record_failure(db.session, inspector, inspection, target=Target("area"), item_code="C05"),
        record_failure(
            db.session,
            inspector,
            inspection,
            target=Target("window", windows[1].id),
            item_code="C01",
        ),
        record_failure(
            db.session, inspector, inspection, target=Target("staff", staff[0].id), item_code="A04"
        ),
    ]
    roster = site_roster(db.session, site, local_today())
    expected = _expected_old_rows(db.session, inspection, roster, failures)
    submit_round(db.session, inspector, inspection, require_photos=False)
    db.session.commit()
    listed = [(r[5], r[6], r[7], r[8], r[9], r[10], r[11]) for r in ledger_rows(app)]
    assert listed == expected
    assert sum(1 for r in expected if r[4] == "excused") > 0
    # the filters and the count agree with the rows
    assert ledger_count(app) == len(expected)
    for filters, keep in (
        ({"result": ["pass"]}, lambda r: r[4] == "pass"),
        ({"result": ["fail", "excused"]}, lambda r: r[4] != "pass"),
        ({"category": ["attire"]}, lambda r: r[2] == "attire"),
        ({"severity": ["major"]}, lambda r: r[5] == "major"),
        ({"staff": [staff[0].id]}, lambda r: r[1] == staff[0].name),
        (
            {"staff": [staff[0].id], "result": ["pass"]},
            lambda r: r[1] == staff[0].name and r[4] == "pass",
        ),
    ):
        want = [r for r in expected if keep(r)]
        got = [(r[5], r[6], r[7], r[8], r[9], r[10], r[11]) for r in ledger_rows(app, filters)]
        assert got == want, filters
        assert ledger_count(app, filters) == len(want), filters


@pytest.mark.parametrize("failures", [0, 3])
def test_a_twenty_window_round_stores_its_failures_and_one_roster(
    app, catalogue, make_hall, make_user, failures
):
    site, windows, staff = make_hall(windows=20, per_window=2)
    inspector = make_user(roles=("inspector",), sites=[site])
    db.session.commit()
    inspection = start_round(db.session, inspector, site)
    for n in range(failures):
        record_failure(
            db.session, inspector, inspection, target=Target("staff", staff[n].id), item_code="D06"
        )
    submit_round(db.session, inspector, inspection, require_photos=False)
    db.session.commit()
    assert _stored() == failures
    roster = db.session.get(InspectionRoster, inspection.id)
    assert len(roster.targets) == 1 + 20 + 40
    staff_items = len(roster.versions["staff"])
    window_items, area_items = len(roster.versions["window"]), len(roster.versions["area"])
    everything = area_items + 20 * window_items + 40 * staff_items
    assert roster.pass_count == everything - failures
    assert len(ledger_rows(app)) == everything


def test_a_round_sent_through_the_api_stores_its_roster_and_failures_only(
    app, client_for, catalogue, make_hall, png, webp
):
    site, windows, staff = make_hall(windows=2, per_window=1)
    client = client_for("inspector", sites=[site])
    key = str(uuid.uuid4())
    for image, name in ((png, "area.png"), (webp, "person.webp")):
        uploaded = client.post(  # D05 and C07 require photos: uploaded before the round
            f"/api/v1/inspections/{key}/photos",
            data={"file": (io.BytesIO(image), name)},
            content_type="multipart/form-data",
        )
        assert uploaded.status_code in (200, 201), uploaded.get_json()
    body = {
        "uuid": key,
        "site_id": site.id,
        "failures": [
            {
                "target": f"s{staff[0].id}",
                "item_code": "D05",
                "photos": [hashlib.sha256(webp).hexdigest()],
            },
            {
                "target": "a",
                "item_code": "C07",
                "severity": "major",
                "photos": [hashlib.sha256(png).hexdigest()],
            },
        ],
    }
    response = client.post("/api/v1/inspections", json=body)
    assert response.status_code == 201, response.get_json()
    inspection = db.session.scalars(sa.select(Inspection)).one()
    assert [r for (r,) in db.session.execute(sa.select(CheckResult.result))] == ["fail", "fail"]
    roster = db.session.get(InspectionRoster, inspection.id)
    assert roster.targets == [
        [None, None],
        [windows[0].id, None],
        [windows[0].id, staff[0].id],
        [windows[1].id, None],
        [windows[1].id, staff[1].id],
    ]
    rows = ledger_rows(app)
    assert [r[9] for r in rows[:2]] == ["fail", "fail"]
    assert len(rows) == 2 + roster.pass_count


def test_the_migration_orders_versions_by_every_target_not_the_first():
    """Two people at one window each failed a different item (so neither lists every version);
    the third lists them all: the roster's order comes from all of them, and reproduces each."""
    import importlib.util
    from pathlib import Path

    import compliance

    path = next(
        (Path(compliance.__file__).parent / "migrations" / "versions").glob("d1612726648e_*.py")
    )
    spec = importlib.util.spec_from_file_location("rosters_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    facts = {v: (100 + v, "minor") for v in (1, 2, 3, 4)}
    rows, ids = [], iter(range(1, 100))

    def row(staff, version, result="pass"):
        rows.append(
            {
                "id": next(ids),
                "inspection_id": 1,
                "item_version_id": version,
                "window_id": 7,
                "staff_member_id": staff,
                "result": result,
                "severity": "minor",
                "reason": None,
                "note": None,
                "photo_sha256": None,
                "recorded_by_id": None,
            }
        )

    row(11, 3, "fail")
    row(12, 2, "fail")
    for staff, versions in ((11, (1, 2, 4)), (12, (1, 3, 4)), (13, (1, 2, 3, 4))):
        for version in versions:
            row(staff, version)
    targets, versions, passes = migration._roster_of(rows, facts, referenced=set())
    assert targets == [[7, 11], [7, 12], [7, 13]]
    assert versions == {"staff": [1, 2, 3, 4]} and passes == 10
    # a pass that a finding points to cannot be derived: the rows stay
    assert migration._roster_of(rows, facts, referenced={rows[3]["id"]}) is None
