"""The inspection and rectification ledgers: the values the database holds, user text kept as
text, photo links, filters and the exporting user's scope on every route."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.models import AuditEvent

from .conftest import calamine_rows, data_rows, sheet_rows, sheet_xml
from .scene import HOSTILE_NOTE, build_scene


def zh(label) -> str:
    from flask_babel import force_locale

    with force_locale("zh"):
        return str(label)


MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def scene(make_site, make_window, make_staff, make_user):
    return build_scene(make_site, make_window, make_staff, make_user)


def test_findings_ledger_holds_the_database_values_and_hostile_note_as_text(client_for, scene):
    from inspections.ledgers import KIND_LABELS, RESULT_LABELS

    officer = client_for("discipline")
    response = officer.post("/reports/inspections/export", data=dict(MARCH, unit="findings"))
    assert response.status_code == 200
    rows = data_rows(response.data)
    assert len(rows) == 2
    home = rows[0]
    finding = scene["made"]["HOME"]["finding"]
    photo = scene["made"]["HOME"]["photo"]
    assert home[0] == 1
    assert home[1] == datetime(2026, 3, 10, 9, 30)  # stored UTC, shown in local time
    assert home[2] == "本中心"
    assert home[3] == zh(KIND_LABELS["patrol"])
    assert home[4] == "督查张三"
    assert home[5] == "A03 社保"
    assert home[6] == "王伟"
    assert home[8] == finding.description
    assert home[9] == zh(RESULT_LABELS["fail"])
    assert home[12] == HOSTILE_NOTE
    assert home[13].endswith(f"/photos/{photo.id}/display")
    xml = sheet_xml(response.data)
    assert "<f>" not in xml and "<f " not in xml
    assert calamine_rows(response.data)[2][12] == HOSTILE_NOTE


def test_results_ledger_has_one_row_per_check_result(client_for, scene):
    officer = client_for("discipline")
    response = officer.post(
        "/reports/inspections/export", data=dict(MARCH, unit="results", sites="HOME")
    )
    from inspections.ledgers import RESULT_LABELS

    rows = data_rows(response.data)
    assert sorted(r[9] for r in rows) == sorted(
        [zh(RESULT_LABELS["fail"]), zh(RESULT_LABELS["pass"])]
    )
    failed = next(r for r in rows if r[9] == zh(RESULT_LABELS["fail"]))
    assert failed[8] == "按规定着装佩戴工作牌" and failed[12] == HOSTILE_NOTE
    only_fail = data_rows(
        officer.post(
            "/reports/inspections/export", data=dict(MARCH, unit="results", result="fail")
        ).data
    )
    assert len(only_fail) == 2


def test_rectification_ledger_values(client_for, scene):
    officer = client_for("discipline")
    response = officer.post("/reports/rectifications/export", data=dict(MARCH, sites="HOME"))
    assert response.status_code == 200
    from inspections.ledgers import STATUS_LABELS
    from inspections.rectification.ledgers import RECTIFICATIONS

    keys = [c.key for c in RECTIFICATIONS.columns]
    header = sheet_rows(response.data)[1]
    assert header[0] == "序号" and len(header) == len(keys)
    rows = data_rows(response.data)
    assert len(rows) == 1
    row = dict(zip(keys, rows[0], strict=True))
    rect = scene["made"]["HOME"]["rect"]
    assert row["no"] == 1
    assert row["opened_at"] == datetime(2026, 3, 10, 9, 30)
    assert row["inspector"] == "督查张三"
    assert row["responsible"] == "王伟"
    assert row["description"] == rect.title
    assert row["reason"] == "未佩戴"
    assert row["note"] == HOSTILE_NOTE
    assert row["deadline"] == datetime(2026, 3, 13)
    # Every response, in local time (stored 2026-03-12 00:00 and 03-15 02:00 UTC).
    assert row["responses"] == "2026-03-12 08:00：已整改\n2026-03-15 10:00：@已重新佩戴"
    assert row["rejections"] == "2026-03-13 08:00：（未记录理由）"
    assert row["rejection_count"] == 1
    assert row["verifier"] == "复查李四"
    assert row["verified_at"] == datetime(2026, 3, 16, 11, 0)
    assert row["status"] == zh(STATUS_LABELS["verified"])
    assert row["overdue_days"] == 3
    assert "/rectifications/photos/" in row["photos"]
    second = calamine_rows(response.data)[2]
    assert second[keys.index("note")] == HOSTILE_NOTE
    assert second[keys.index("rejection_count")] == 1


def test_rectification_filters_by_status_and_overdue(client_for, scene):
    officer = client_for("discipline")
    open_rows = data_rows(
        officer.post("/reports/rectifications/export", data=dict(MARCH, status="open")).data
    )
    assert [r[2] for r in open_rows] == ["他中心"]
    overdue = data_rows(
        officer.post("/reports/rectifications/export", data=dict(MARCH, overdue="1")).data
    )
    assert len(overdue) == 2  # home closed late, other still open past its deadline


@pytest.mark.parametrize("code", ["inspections", "rectifications"])
def test_scoped_officer_gets_only_their_sites_rows_on_every_route(
    app, client_for, runner, scene, make_user, tmp_path, code, async_threshold
):
    home = scene["home"]
    officer = client_for("discipline", sites=[home])
    page_rows = data_rows(officer.post(f"/reports/{code}/export", data=MARCH).data)
    assert [r[2] for r in page_rows] == ["本中心"]
    api_rows = data_rows(
        officer.post(
            f"/api/v1/ledgers/{code}/exports", json={"from": "2026-03-01", "to": "2026-03-31"}
        ).data
    )
    assert [r[2] for r in api_rows] == ["本中心"]
    assert (
        officer.post(
            f"/api/v1/ledgers/{code}/exports", json={"period": "2026-03", "sites": ["OTHER"]}
        ).status_code
        == 422
    )
    make_user(roles=("discipline",), sites=[home], username=f"scoped_{code}")
    target = tmp_path / "cli.xlsx"
    result = runner.invoke(
        args=["export", code, "--period", "2026-03", "--user", f"scoped_{code}", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert [r[2] for r in data_rows(target.read_bytes())] == ["本中心"]
    refused = runner.invoke(
        args=[
            "export",
            code,
            "--period",
            "2026-03",
            "--site",
            "OTHER",
            "--user",
            f"scoped_{code}",
            "-o",
            str(target),
        ]
    )
    assert refused.exit_code != 0
    # Queued: the background job runs with the same scope.
    async_threshold(0)
    response = officer.post(f"/reports/{code}/export", data=MARCH)
    assert response.status_code == 302
    from compliance.ledgers.models import ExportJob
    from compliance.scheduler import run_job

    job = db.session.scalars(sa.select(ExportJob).where(ExportJob.user_id == officer.user.id)).one()
    run_job(app, "ledgers.export_queue", date(2026, 4, 1))
    status = officer.get(f"/reports/jobs/{job.id}").get_json()
    assert status["status"] == "done", status
    download = officer.get(status["download_url"])
    assert [r[2] for r in data_rows(download.data)] == ["本中心"]
    routes = [
        e.after["route"]
        for e in db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "ledger.export", AuditEvent.entity_id == code
            )
        ).all()
    ]
    assert sorted(routes) == ["api", "cli", "web", "web"]


def test_inspector_may_export_inspections_but_not_the_summary(client_for, scene):
    inspector = client_for("inspector")
    assert inspector.post("/reports/inspections/export", data=MARCH).status_code == 200
    assert inspector.post("/reports/summary/export", data=MARCH).status_code == 403
    assert inspector.post("/reports/assignments/export", data=MARCH).status_code == 403
