"""Hostile input never reaches the database as a server error: ids beyond the integer range are
404, text that cannot be stored is refused naming the field, deep JSON is refused before parsing,
signed-in answers are never cached."""

from __future__ import annotations

import json

import pytest

from compliance.input_gate import MAX_INT, json_depth_exceeds, text_problem

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/findings/{HUGE}",
        f"/findings/{2**63}",
        f"/api/v1/sites/{MAX_INT + 1}",
        f"/org/staff/{HUGE}",
    ],
)
def test_ids_beyond_the_database_range_are_not_found(client_for, url):
    response = client_for("admin").get(url)
    assert response.status_code == 404


def test_an_id_at_the_top_of_the_range_is_simply_missing(client_for):
    assert client_for("admin").get(f"/api/v1/sites/{MAX_INT}").status_code == 404


def test_a_huge_number_in_a_json_body_is_refused_not_a_server_error(client_for):
    response = client_for("admin").post(
        "/api/v1/windows", json={"site_id": int(HUGE), "code": "X1", "name": "x"}
    )
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert response.json["status"] == response.status_code


def test_a_nul_byte_at_sign_in_is_refused_naming_the_field(client):
    response = client.post("/login", data={"username": "adm\x00in", "password": "x" * 12})
    assert response.status_code == 422
    assert "username" in response.get_data(as_text=True)


def test_a_nul_byte_in_json_is_refused_naming_the_field(client_for):
    response = client_for("admin").post(
        "/api/v1/posts", json={"code": "NUL1", "name": "bad\x00name"}
    )
    assert response.status_code == 422
    assert response.json["code"] == "input.bad_text"
    assert "name" in response.json["errors"]["json"]


def test_a_lone_surrogate_in_json_is_refused(client_for):
    body = '{"code": "SUR1", "name": "\\ud800"}'
    response = client_for("admin").post(
        "/api/v1/posts", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and response.json["code"] == "input.bad_text"


def test_deeply_nested_json_is_refused_before_parsing(client_for):
    body = "[" * 20000 + "]" * 20000
    response = client_for("admin").post(
        "/api/v1/posts", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json["code"] == "input.too_deep"


def test_depth_counting_skips_brackets_inside_strings():
    assert not json_depth_exceeds(json.dumps({"a": "[[[[[[" * 100}).encode(), limit=3)
    assert json_depth_exceeds(b'{"a": [[[[1]]]]}', limit=3)
    assert not json_depth_exceeds(b'{"a": "\\"[[[[["}', limit=2)


def test_tabs_and_line_breaks_are_text_but_nul_is_not():
    assert text_problem("第一行\n\t第二行\r\n") is None
    assert text_problem("a\x00b") and text_problem("\x07") and text_problem("\ud800")


def test_signed_in_pages_and_api_answers_are_not_cached(client_for, client):
    signed_in = client_for("admin")
    assert signed_in.get("/dashboard").headers["Cache-Control"] == "no-store"
    assert signed_in.get("/api/v1/sites").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")
