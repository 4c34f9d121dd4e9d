"""The period summary with its charts, the monthly job, queued exports and LibreOffice."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.models import AuditEvent
from compliance.scheduler import run_job

from .conftest import data_rows, sheet_rows
from .scene import build_scene


@pytest.fixture
def scene(make_site, make_window, make_staff, make_user):
    return build_scene(make_site, make_window, make_staff, make_user)


def _figures(data: bytes) -> dict:
    """The key-figures table: from below its header (领域 指标 数值) down to the first empty row."""
    rows = sheet_rows(data)
    start = next(i for i, row in enumerate(rows) if row[:3] == ("领域", "指标", "数值"))
    figures = {}
    for row in rows[start + 1 :]:
        if not any(row):
            break
        figures[row[1]] = row[2]
    return figures


def test_summary_quotes_the_periods_figures_with_native_charts(client_for, scene):
    from flask_babel import force_locale, pgettext

    officer = client_for("discipline")
    response = officer.post("/reports/summary/export", data={"period": "2026-Q1"})
    assert response.status_code == 200
    with force_locale("zh"):
        patrols, findings, rectified, on_time, overdue = (
            pgettext("summary figure", text)
            for text in (
                "Patrols",
                "Findings",
                "Rectifications closed",
                "Closed on time",
                "Past their deadline",
            )
        )
    figures = _figures(response.data)
    assert figures[patrols] == 2
    assert figures[findings] == 2
    assert figures[rectified] == 1
    assert figures[on_time] == 0
    assert figures[overdue] == 2
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        # Findings by category (bars), the on-time rate by month (a line with markers) and the
        # findings by month (columns).
        assert len(charts) == 3
        xml = [zf.read(n).decode() for n in charts]
        assert sum("<barChart>" in x for x in xml) == 2
        assert sum("<lineChart>" in x for x in xml) == 1
        line = next(x for x in xml if "<lineChart>" in x)
        assert '<symbol val="circle"/>' in line and '<symbol val="none"/>' not in line
    scoped = client_for("discipline", sites=[scene["home"]])
    assert (
        _figures(scoped.post("/reports/summary/export", data={"period": "2026-Q1"}).data)[patrols]
        == 1
    )


def test_monthly_job_writes_last_months_reports_once(app, scene, client_for):
    first = run_job(app, "ledgers.monthly_reports", date(2026, 4, 1))
    assert first.outcome == "success", first.error
    assert first.counts == {"written": 2, "skipped": 0}
    again = run_job(app, "ledgers.monthly_reports", date(2026, 4, 1))
    assert again.counts == {"written": 0, "skipped": 2}
    events = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "ledger.export", AuditEvent.actor_id.is_(None)
        )
    ).all()
    assert sorted(e.entity_id for e in events) == ["rectifications", "summary"]
    assert all(e.actor_name == "system" and e.after["route"] == "monthly" for e in events)
    officer = client_for("discipline")
    page = officer.get("/reports/").get_data(as_text=True)
    assert "2026-03-rectifications.xlsx" in page
    # The download is a POST (it is recorded); a GET fetches nothing and writes nothing.
    assert officer.get("/reports/monthly/2026-03-rectifications.xlsx").status_code == 405
    assert downloads() == []
    download = officer.post("/reports/monthly/2026-03-rectifications.xlsx")
    assert download.status_code == 200
    assert len(data_rows(download.data)) == 2
    [event] = downloads()
    assert event.actor_id == officer.user.id and event.entity_id == "rectifications"
    assert event.after == {"file": "2026-03-rectifications.xlsx", "month": "2026-03"}
    # A scoped officer neither sees nor downloads the all-sites archive.
    scoped = client_for("discipline", sites=[scene["home"]])
    assert "2026-03-rectifications.xlsx" not in scoped.get("/reports/").get_data(as_text=True)
    assert scoped.post("/reports/monthly/2026-03-rectifications.xlsx").status_code == 404
    assert officer.post("/reports/monthly/..%2Fsecret_key").status_code == 404
    assert len(downloads()) == 1


def downloads():
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "ledger.download")
    ).all()


def test_api_queues_large_exports_and_serves_the_file_to_its_owner_only(
    app, client_for, scene, async_threshold
):
    async_threshold(1)
    officer = client_for("discipline")
    response = officer.post(
        "/api/v1/ledgers/inspections/exports",
        json={"period": "2026-03", "filters": {"unit": "results"}},
    )
    assert response.status_code == 202
    job = response.get_json()
    assert job["status"] == "queued" and job["total_rows"] == 4
    assert officer.get(f"/api/v1/ledgers/jobs/{job['id']}/file").status_code == 404
    run_job(app, "ledgers.export_queue", date(2026, 4, 1))
    done = officer.get(f"/api/v1/ledgers/jobs/{job['id']}").get_json()
    assert done["status"] == "done" and done["progress_rows"] == 4 and done["percent"] == 100
    file = officer.get(done["file_url"])
    assert file.status_code == 200
    assert len(data_rows(file.data)) == 4
    stranger = client_for("discipline")
    assert stranger.get(f"/api/v1/ledgers/jobs/{job['id']}").status_code == 404
    assert stranger.get(f"/api/v1/ledgers/jobs/{job['id']}/file").status_code == 404
    assert stranger.get(f"/reports/jobs/{job['id']}/file").status_code == 404
    # Running the queue again changes nothing.
    again = run_job(app, "ledgers.export_queue", date(2026, 4, 1))
    assert again.counts == {"exported": 0, "failed": 0, "removed": 0}


def test_finished_export_files_are_removed_after_a_week(app, client_for, scene, async_threshold):
    from datetime import timedelta
    from pathlib import Path

    from compliance.db import utcnow
    from compliance.ledgers.models import ExportJob

    async_threshold(0)
    officer = client_for("discipline")
    officer.post("/reports/rectifications/export", data={"period": "2026-03"})
    run_job(app, "ledgers.export_queue", date(2026, 4, 1))
    job = db.session.scalars(sa.select(ExportJob).where(ExportJob.user_id == officer.user.id)).one()
    path = Path(job.file_path)
    assert path.is_file()
    job.finished_at = utcnow() - timedelta(days=8)
    db.session.commit()
    cleaned = run_job(app, "ledgers.export_queue", date(2026, 4, 9))
    assert cleaned.counts["removed"] == 1
    assert not path.exists()
    assert officer.get(f"/reports/jobs/{job.id}/file").status_code == 404
    assert "/file" not in officer.get("/reports/").get_data(as_text=True)


def test_reports_page_shows_queued_export_progress(client_for, scene, async_threshold):
    async_threshold(0)
    officer = client_for("discipline")
    response = officer.post("/reports/rectifications/export", data={"period": "2026-03"})
    assert response.status_code == 302
    page = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "<progress" in page and "ledgers/reports.js" in page
    assert 'http-equiv="refresh"' in page


def test_export_thread_runs_the_job_in_the_web_process(fresh_app, make_site):
    import time

    from compliance.accounts import create_user
    from compliance.ledgers.models import ExportJob
    from compliance.ledgers.registry import get_ledger, parse_filters
    from compliance.ledgers.services import queue_export
    from compliance.ledgers.tasks import start_background

    app = fresh_app(EXPORT_WORKER="thread")
    with app.app_context():
        db.session.remove()
        user = create_user(
            db.session,
            None,
            username="thread_officer",
            display_name="纪检",
            roles=["discipline"],
            password="correct-horse-42",
            hash_method=app.config["PASSWORD_HASH_METHOD"],
            all_sites=True,
        )
        ledger = get_ledger("assignments")
        filters = parse_filters(db.session, user, ledger, {"period": "2026"})
        job = queue_export(db.session, user, ledger, filters, locale="zh", total=0)
        db.session.commit()
        job_id = job.id
        start_background(app, job_id)
        # Generous: on a loaded CI machine the thread may wait a while for a core.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get(ExportJob, job_id).status in ("done", "failed"):
                break
            time.sleep(0.1)
        job = db.session.get(ExportJob, job_id)
        assert job.status == "done", job.error
        db.session.remove()


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(
    _soffice() is None,
    reason="LibreOffice (soffice) is not installed; .ci/run installs libreoffice-calc-nogui",
)
def test_libreoffice_opens_every_ledger(client_for, scene, tmp_path):
    officer = client_for("discipline")
    names = []
    for code in ("summary", "inspections", "rectifications"):
        response = officer.post(f"/reports/{code}/export", data={"period": "2026-03"})
        assert response.status_code == 200
        path = tmp_path / f"{code}.xlsx"
        path.write_bytes(response.data)
        names.append(str(path))
    out = tmp_path / "converted"
    result = subprocess.run(
        [
            _soffice(),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(out),
            *names,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    for code in ("summary", "inspections", "rectifications"):
        csv = (out / f"{code}.csv").read_text(encoding="utf-8")
        assert csv.strip()
    # The note survives as text (CSV doubles the quotes), not as the formula's result "y".
    assert '"=HYPERLINK(""http://x"",""y"")"' in (out / "inspections.csv").read_text(
        encoding="utf-8"
    )
