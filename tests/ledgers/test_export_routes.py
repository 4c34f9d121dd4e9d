"""One declaration, every route: the reports page, the API and the command line export the same
rows, only those the user may see, and each export is an audit event."""

from __future__ import annotations

from datetime import date
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.models import AuditEvent

from .conftest import calamine_rows, data_rows, sheet_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def two_sites(make_site, make_window, make_post, make_staff):
    home = make_site(code="HOME", name="本中心")
    other = make_site(code="OTHER", name="他中心")
    post = make_post(name="收费收款", is_key=True)
    here = make_staff(
        site=home,
        post=post,
        window=make_window(site=home, code="A01", name="收费"),
        name="本站员工",
        started_on=date(2025, 1, 1),
        hired_on=date(2024, 6, 1),
    )
    there = make_staff(site=other, post=post, name="他站员工", started_on=date(2025, 1, 1))
    return home, other, here, there


def exports(action="ledger.export"):
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


FORM = {"from": "2025-01-01", "to": "2026-12-31"}


def test_reports_page_lists_only_ledgers_of_the_users_role(client_for, two_sites):
    hr = client_for("hr")
    page = hr.get("/reports/").get_data(as_text=True)
    assert "ledger=assignments" in page and "ledger=training" in page
    assert "ledger=summary" not in page and "ledger=inspections" not in page
    form = hr.get("/reports/?ledger=assignments").get_data(as_text=True)
    assert "/reports/assignments/export" in form


@pytest.mark.parametrize(
    "roles, status",
    [
        (("discipline",), 200),
        (("admin",), 200),
        (("hr",), 200),
        (("inspector",), 200),
        (("staff",), 403),
    ],
)
def test_reports_page_access_by_role(client_for, roles, status):
    assert client_for(*roles).get("/reports/").status_code == status


def test_reports_page_needs_sign_in(client):
    assert client.get("/reports/").status_code in (302, 401)


def test_page_download_is_an_attachment_with_utf8_name_and_the_rows(client_for, two_sites):
    home, other, here, there = two_sites
    officer = client_for("discipline")
    response = officer.post("/reports/assignments/export", data=FORM)
    assert response.status_code == 200
    assert response.mimetype == XLSX
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "人员岗位台账" in unquote(disposition.split("filename*=UTF-8''")[1])
    # Clients without UTF-8 file names get the ledger's code and the dates, not "_dates".
    assert 'filename="assignments_2025-01-01_2026-12-31.xlsx"' in disposition
    rows = data_rows(response.data)
    names = {r[2] for r in rows}
    assert {"本站员工", "他站员工"} <= names
    mine = next(r for r in rows if r[2] == "本站员工")
    assert mine[3] == "本中心" and mine[4] == "收费收款" and mine[5] == "是"
    assert mine[6] == "A01 收费"
    assert mine[7].date() == date(2025, 1, 1)
    # A second reader sees the same values.
    second = calamine_rows(response.data)[2:]
    assert [r[2] for r in second] == [r[2] for r in rows]
    event = exports()[-1]
    assert event.actor_id == officer.user.id
    assert event.entity_id == "assignments"
    assert event.after["rows"] == len(rows)
    assert event.after["filters"]["from"] == "2025-01-01"
    assert event.after["route"] == "web"


def test_officer_scoped_to_one_site_never_gets_another_sites_rows(client_for, two_sites):
    home, other, here, there = two_sites
    officer = client_for("discipline", sites=[home])
    rows = data_rows(officer.post("/reports/assignments/export", data=FORM).data)
    assert [r[2] for r in rows] == ["本站员工"]
    # Asking for the other site by code is refused like an unknown site, on the page...
    response = officer.post("/reports/assignments/export", data=dict(FORM, sites="OTHER"))
    assert response.status_code == 400
    assert "OTHER" in response.get_data(as_text=True)
    # ... and over the API ...
    api = officer.post(
        "/api/v1/ledgers/assignments/exports",
        json={"from": "2025-01-01", "to": "2026-12-31", "sites": ["OTHER"]},
    )
    assert api.status_code == 422
    assert "sites" in api.get_json()["errors"]
    api_rows = officer.post(
        "/api/v1/ledgers/assignments/exports", json={"from": "2025-01-01", "to": "2026-12-31"}
    )
    assert [r[2] for r in data_rows(api_rows.data)] == ["本站员工"]


def test_cli_export_runs_as_the_given_user_with_their_scope(
    app, runner, make_user, two_sites, tmp_path
):
    home, other, here, there = two_sites
    user = make_user(roles=("hr",), sites=[home], username="hr_home")
    target = tmp_path / "out" / "ledger.xlsx"
    result = runner.invoke(
        args=[
            "export",
            "assignments",
            "--from",
            "2025-01-01",
            "--to",
            "2026-12-31",
            "--user",
            "hr_home",
            "-o",
            str(target),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "1 rows written" in result.output
    rows = data_rows(target.read_bytes())
    assert [r[2] for r in rows] == ["本站员工"]
    event = exports()[-1]
    assert event.actor_id == user.id and event.after["route"] == "cli" and event.after["rows"] == 1


def test_cli_refuses_without_user_and_for_a_role_without_the_ledger(runner, make_user, tmp_path):
    make_user(roles=("inspector",), username="insp_cli")
    out = str(tmp_path / "x.xlsx")
    no_user = runner.invoke(args=["export", "assignments", "--period", "2026", "-o", out])
    assert no_user.exit_code != 0 and "--user" in no_user.output
    denied = runner.invoke(
        args=["export", "assignments", "--period", "2026", "--user", "insp_cli", "-o", out]
    )
    # In the user's language, with the ledger's title and the role's name, no internal key.
    assert denied.exit_code != 0
    assert (
        "错误：insp_cli 无权导出「人员岗位台账」：其角色（督查员）不包括此台账。" in denied.output
    )
    assert "_:" not in denied.output and "assignments" not in denied.output
    english = runner.invoke(
        args=["export", "assignments", "--period", "2026", "--user", "insp_cli", "--lang", "en"]
        + ["-o", out]
    )
    assert "Error: insp_cli may not export the Staff and posts ledger" in english.output
    make_user(roles=("hr",), username="hr_cli")
    bad = runner.invoke(
        args=[
            "export",
            "assignments",
            "--from",
            "2026-13-01",
            "--to",
            "2026-12-01",
            "--user",
            "hr_cli",
            "-o",
            out,
        ]
    )
    assert bad.exit_code != 0
    assert "错误：开始日期：日期无效：2026-13-01（格式 YYYY-MM-DD）。" in bad.output


def test_cli_filters_by_ledger_fields(
    runner, make_user, two_sites, tmp_path, make_staff, make_post
):
    make_staff(
        site=two_sites[0],
        post=make_post(is_key=False),
        name="普通岗位",
        started_on=date(2025, 1, 1),
    )
    make_user(roles=("hr",), username="hr_all")
    target = tmp_path / "k.xlsx"
    result = runner.invoke(
        args=[
            "export",
            "assignments",
            "--period",
            "2026",
            "--filter",
            "key_posts=1",
            "--site",
            "HOME",
            "--user",
            "hr_all",
            "-o",
            str(target),
        ]
    )
    assert result.exit_code == 0, result.output
    assert [r[2] for r in data_rows(target.read_bytes())] == ["本站员工"]
    wrong = runner.invoke(
        args=[
            "export",
            "assignments",
            "--period",
            "2026",
            "--filter",
            "colour=red",
            "--user",
            "hr_all",
            "-o",
            str(target),
        ]
    )
    assert wrong.exit_code != 0 and "colour" in wrong.output


def test_form_errors_are_shown_not_500(client_for):
    officer = client_for("discipline")
    response = officer.post(
        "/reports/assignments/export",
        data={"from": "2026-05-01", "to": "2026-04-01", "status": "nonsense"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "nonsense" in page


def test_api_lists_ledgers_and_exports_with_english_headers(client_for, two_sites):
    hr = client_for("hr")
    listing = hr.get("/api/v1/ledgers").get_json()
    codes = [x["code"] for x in listing]
    assert "assignments" in codes and "summary" not in codes
    response = hr.post(
        "/api/v1/ledgers/assignments/exports",
        json={"period": "2026", "filters": {"key_posts": True}, "locale": "en"},
    )
    assert response.status_code == 200
    header = sheet_rows(response.data)[1]
    assert header[:3] == ("No.", "Staff number", "Name")
    assert response.headers["X-Row-Count"] == "2"
    unknown = hr.post(
        "/api/v1/ledgers/assignments/exports", json={"period": "2026", "filters": {"nope": 1}}
    )
    assert unknown.status_code == 422
    assert hr.post("/api/v1/ledgers/summary/exports", json={"period": "2026"}).status_code == 403
    assert hr.post("/api/v1/ledgers/missing/exports", json={"period": "2026"}).status_code == 404


def test_user_language_english_gives_english_headers_on_the_page(client_for, two_sites):
    officer = client_for("discipline")
    officer.post("/language/en", data={"next": "/reports/"})
    from compliance.models import User

    user = db.session.get(User, officer.user.id)
    user.locale = "en"
    db.session.commit()
    response = officer.post("/reports/assignments/export", data=FORM)
    assert sheet_rows(response.data)[1][1] == "Staff number"


def test_openapi_document_describes_the_ledger_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/ledgers/{code}/exports" in spec["paths"]
    assert "/api/v1/ledgers/jobs/{job_id}" in spec["paths"]


@pytest.mark.parametrize(
    "roles, ledgers",
    [
        (("staff",), set()),
        # Scores are read in scope by inspectors and HR too (the assessment ledger).
        (("inspector",), {"inspections", "rectifications", "evaluation"}),
        (
            ("hr",),
            {
                "training",
                "mentoring",
                "shadow_logs",
                "rotation",
                "rotation_moves",
                "assignments",
                "evaluation",
            },
        ),
    ],
)
def test_api_lists_only_the_ledgers_a_role_may_read(client_for, roles, ledgers):
    listing = client_for(*roles).get("/api/v1/ledgers")
    assert listing.status_code == 200
    assert {x["code"] for x in listing.get_json()} == ledgers


def test_api_needs_authentication(client):
    assert client.get("/api/v1/ledgers").status_code == 401
    assert (
        client.post(
            "/api/v1/ledgers/inspections/exports", json={"period": "2026"}, csrf=False
        ).status_code
        == 401
    )


def test_staff_cannot_export_through_any_route(client_for, runner, make_user, tmp_path):
    staff = client_for("staff")
    assert staff.get("/reports/").status_code == 403
    assert staff.post("/reports/inspections/export", data=FORM).status_code == 403
    assert (
        staff.post("/api/v1/ledgers/inspections/exports", json={"period": "2026"}).status_code
        == 403
    )
    make_user(roles=("staff",), username="staff_cli")
    result = runner.invoke(
        args=[
            "export",
            "inspections",
            "--period",
            "2026",
            "--user",
            "staff_cli",
            "-o",
            str(tmp_path / "x.xlsx"),
        ]
    )
    assert result.exit_code != 0
    assert not (tmp_path / "x.xlsx").exists()
    assert exports() == []


def test_filters_typed_by_the_user_are_text_in_the_parameters_sheet(
    client_for, make_site, make_staff
):
    """Site codes and staff numbers as typed, the exporting user's name: never a formula in the
    exported file (issue 11)."""
    from .conftest import sheet_xml

    site = make_site(code="+S9", name="@SUM(A1)")
    first = make_staff(site=site, started_on=date(2025, 1, 1))
    second = make_staff(site=site, started_on=date(2025, 1, 1))
    first.staff_no, second.staff_no = "=1+2", "-3"
    db.session.commit()
    officer = client_for("discipline", display_name='=HYPERLINK("http://x","y")')
    response = officer.post(
        "/reports/assignments/export", data=dict(FORM, sites="+S9", staff="=1+2,-3")
    )
    assert response.status_code == 200
    xml = sheet_xml(response.data, index=2)
    assert "<f>" not in xml and "<f " not in xml
    values = [row[1] for row in sheet_rows(response.data, sheet=1)[1:] if len(row) > 1]
    assert "+S9 @SUM(A1)" in values
    assert "=1+2, -3" in values
    assert any(str(v).startswith('=HYPERLINK("http://x","y") (') for v in values)
    assert sorted(r[1] for r in data_rows(response.data)) == ["-3", "=1+2"]
