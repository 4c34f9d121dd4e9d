"""Pages and API of the monthly assessment: who sees what, bad input is a 4xx naming the field,
and the whole loop (appeal, decision, close, ranking, ledger, panel) through HTTP."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest

from compliance.db import db
from compliance.timeutil import local_today

MONTH = date(2025, 3, 1)


def signed_in(app, login, user):
    client = app.test_client()
    login(client, user)
    return client


@pytest.fixture
def today_is(monkeypatch):
    """Pin the local date the pages and services read."""

    def pin(day: date):
        for module in (
            "evaluation.services.appeals",
            "evaluation.services.closing",
            "evaluation.views.common",
            "evaluation.views.closing",
            "evaluation.views.scores",
        ):
            monkeypatch.setattr(f"{module}.local_today", lambda: day)

    return pin


def test_roles_and_scope(app, month, login, make_user, client_for):
    admin = signed_in(app, login, month.users["admin"])
    page = admin.get("/evaluation/scores?month=2025-03")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "张三" in html and "赵六" in html
    # A site-scoped inspector sees only the other site's people.
    scoped = client_for("inspector", sites=[month.other])
    html = scoped.get("/evaluation/scores?month=2025-03").get_data(as_text=True)
    assert "赵六" in html and "张三" not in html
    zhang = month.staff[0]
    assert scoped.get(f"/evaluation/scores/staff/{zhang.id}?month=2025-03").status_code == 404
    # Staff are sent to their own score and cannot read another's.
    own = signed_in(app, login, month.users["zhang"])
    response = own.get("/evaluation/scores?month=2025-03")
    assert response.status_code == 200 and "王五" not in response.get_data(as_text=True)
    assert 'id="score" data-value="87.5"' in response.get_data(as_text=True)
    detail = own.get(f"/evaluation/scores/staff/{zhang.id}?month=2025-03")
    assert detail.status_code == 200
    assert 'data-points="-4.5"' in detail.get_data(as_text=True)
    assert own.get(f"/evaluation/scores/staff/{month.staff[2].id}?month=2025-03").status_code == 404
    assert own.get("/evaluation/ranking").status_code == 403
    assert own.get("/evaluation/close").status_code == 403
    assert own.post("/evaluation/close", data={"month": "2025-03"}).status_code == 403
    hr = client_for("hr")
    assert (
        hr.post("/evaluation/reopen", data={"month": "2025-03", "reason": "x"}).status_code == 403
    )
    assert hr.get("/evaluation/schemes/new").status_code == 403


def test_bad_input_is_4xx(app, month, login):
    admin = signed_in(app, login, month.users["admin"])
    assert admin.get("/evaluation/scores?month=2025-13").status_code == 400
    assert admin.get("/evaluation/scores?month=abc").status_code == 400
    assert admin.get("/evaluation/scores?kind=person").status_code == 400
    assert admin.get("/evaluation/scores?site=-1").status_code == 400
    assert admin.get("/evaluation/ranking?period=week").status_code == 400
    assert admin.get("/evaluation/ranking?period=quarter&quarter=5").status_code == 400
    form = admin.post(
        "/evaluation/schemes/new",
        data={"effective_from": "2025-04", "name": "x", "base_score": "abc"},
    )
    assert form.status_code == 422
    api = admin.get("/api/v1/evaluation/scores?year=2025&month=13")
    assert api.status_code == 422 and "month" in api.get_json()["errors"]["query"]
    zhang = signed_in(app, login, month.users["zhang"])
    for body, field in (
        ({"finding_id": 1.7, "reason": "x"}, "finding_id"),
        ({"finding_id": "99999999999999999999999", "reason": "x"}, "finding_id"),
        ({"finding_id": 0, "reason": "x"}, "finding_id"),
        ({"finding_id": True, "reason": "x"}, "finding_id"),
        ({"finding_id": month.findings["zhang_att_1"].id}, "reason"),
    ):
        response = zhang.post("/api/v1/evaluation/appeals", json=body)
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"]["json"]
    disc = signed_in(app, login, month.users["discipline"])
    response = disc.post(
        "/api/v1/evaluation/appeals/1/decision", json={"outcome": "accepted", "note": "x"}
    )
    assert response.status_code == 422 and "version" in response.get_json()["errors"]["json"]


def test_appeal_close_rank_ledger_through_http(app, month, login, today_is):
    today_is(date(2025, 3, 11))
    zhang = signed_in(app, login, month.users["zhang"])
    finding = month.findings["zhang_att_2"]
    created = zhang.post(
        "/api/v1/evaluation/appeals", json={"finding_id": finding.id, "reason": "当天请假"}
    )
    assert created.status_code == 201, created.get_json()
    appeal = created.get_json()
    again = zhang.post(
        "/api/v1/evaluation/appeals", json={"finding_id": finding.id, "reason": "再次"}
    )
    assert again.status_code == 409
    today_is(date(2025, 4, 7))
    admin = signed_in(app, login, month.users["admin"])
    blocked = admin.post("/evaluation/close", data={"month": "2025-03"}, follow_redirects=True)
    assert "申诉" in blocked.get_data(as_text=True) or "appeal" in blocked.get_data(as_text=True)
    disc = signed_in(app, login, month.users["discipline"])
    stale = disc.post(
        f"/api/v1/evaluation/appeals/{appeal['id']}/decision",
        json={"outcome": "accepted", "note": "属实", "version": appeal["version"] + 1},
    )
    assert stale.status_code == 409
    decided = disc.post(
        f"/api/v1/evaluation/appeals/{appeal['id']}/decision",
        json={"outcome": "accepted", "note": "属实", "version": appeal["version"]},
    )
    assert decided.status_code == 200 and decided.get_json()["status"] == "accepted"
    assert admin.post("/evaluation/close", data={"month": "2025-03"}).status_code == 302
    scores = admin.get("/api/v1/evaluation/scores?year=2025&month=3").get_json()
    assert scores["closed"] is True and scores["scheme_version"] == 1
    by_name = {s["name"]: s for s in scores["scores"]}
    assert by_name["张三"]["score"] == 87.5 + 2 + 1  # the voided repetition
    ranking = admin.get("/evaluation/ranking?period=quarter&year=2025&quarter=1")
    assert ranking.status_code == 200 and "张三" in ranking.get_data(as_text=True)
    dash = admin.get("/dashboard").get_data(as_text=True)
    assert 'id="panel-evaluation-scores"' in dash and "考评中心" in dash
    # The staff member was told their score.
    from compliance.notifications.models import Notification

    notes = db.session.query(Notification).filter_by(user_id=month.users["zhang"].id).all()
    assert any("90.5" in n.title for n in notes)
    export = admin.post("/reports/evaluation/export", data={"period": "2025-03"})
    assert export.status_code == 200


def test_close_reminder_is_idempotent(app, month):
    from evaluation.services import remind_close

    assert remind_close(db.session, date(2025, 4, 4)) == 0
    first = remind_close(db.session, date(2025, 4, 5))
    assert first >= 1
    assert remind_close(db.session, date(2025, 4, 5)) == 0


def test_demo_loads_a_scheme_and_a_closed_month(app):
    from compliance.demo import load_demo
    from evaluation.models import MonthClose, ScoreSnapshot

    with mock.patch("compliance.demo.local_today", return_value=local_today()):
        load_demo(app, db.session)
    close = db.session.query(MonthClose).one()
    assert db.session.query(ScoreSnapshot).filter_by(close_id=close.id).count() > 10


def test_an_appeal_decision_without_a_valid_version_answers_400(app, month, login, today_is):
    today_is(date(2025, 3, 11))
    zhang = signed_in(app, login, month.users["zhang"])
    finding = month.findings["zhang_att_2"]
    created = zhang.post(
        "/api/v1/evaluation/appeals", json={"finding_id": finding.id, "reason": "当天请假"}
    )
    assert created.status_code == 201
    appeal_id = created.get_json()["id"]
    disc = signed_in(app, login, month.users["discipline"])
    for bad in ("abc", "1e3", "NaN", "-1", "", "9" * 23):
        response = disc.post(
            f"/evaluation/appeals/{appeal_id}/decide",
            data={"outcome": "accepted", "note": "属实", "version": bad},
        )
        assert response.status_code == 400, bad
    db.session.expire_all()
    from evaluation.models import Appeal

    assert db.session.get(Appeal, appeal_id).status == "open"
