"""The API base: public OpenAPI document, authentication, CSRF for cookie sessions, JSON errors."""

from __future__ import annotations

import pytest

from .db_state import changed_tables, table_rows

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def _resolve(document: dict, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_document_is_public_and_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert spec["paths"], "the document describes no path"
    for path, operations in spec["paths"].items():
        assert path.startswith("/api/v1/"), path
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            assert operation.get("responses"), f"{method.upper()} {path} has no responses"
    # Every reference points at something that exists.
    for ref in set(_refs(spec)):
        assert _resolve(spec, ref) is not None
    assert {"bearer", "cookie"} <= set(spec["components"]["securitySchemes"])
    me = spec["paths"]["/api/v1/users/me"]
    assert {"get", "patch"} <= set(me)
    assert "requestBody" in me["patch"]


def test_api_needs_sign_in_with_a_json_401(client):
    response = client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.is_json
    assert response.json["status"] == 401 and response.json["code"] == "unauthorized"
    assert response.json["reason"]


def test_cookie_session_write_without_csrf_header_is_refused(client_for):
    c = client_for("inspector")
    before = table_rows()
    response = c.patch("/api/v1/users/me", json={"display_name": "新名字"}, csrf=False)
    assert response.status_code == 400
    assert response.is_json
    assert response.json == {"status": 400, "code": "csrf", "reason": response.json["reason"]}
    assert "X-CSRFToken" in response.json["reason"]
    bad = c.patch(
        "/api/v1/users/me",
        json={"display_name": "新名字"},
        csrf=False,
        headers={"X-CSRFToken": "forged"},
    )
    assert bad.status_code == 400 and bad.json["code"] == "csrf"
    assert changed_tables(before, table_rows()) == []  # no row written, no audit event
    assert c.get("/api/v1/users/me").json["display_name"] != "新名字"


def test_cookie_session_write_with_csrf_header_is_accepted(client_for):
    c = client_for("inspector")
    response = c.patch("/api/v1/users/me", json={"display_name": "新名字"})  # header added
    assert response.status_code == 200
    assert response.json["display_name"] == "新名字"


def test_validation_errors_are_json_with_fields(client_for):
    c = client_for("hr")
    response = c.patch("/api/v1/users/me", json={"locale": "fr"})
    assert response.status_code == 422
    body = response.json
    assert body["status"] == 422 and body["code"]
    assert "locale" in body["reason"]
    assert "locale" in str(body["errors"])
    blank = c.patch("/api/v1/users/me", json={"display_name": "   "})
    assert blank.status_code == 422 and "display_name" in blank.json["reason"]
    nothing = c.patch("/api/v1/users/me", json={})
    assert nothing.status_code == 422 and nothing.json["reason"]


def test_forbidden_and_unknown_paths_are_json(client_for):
    c = client_for("hr")
    forbidden = c.get("/api/v1/users")
    assert forbidden.status_code == 403
    assert set(forbidden.json) >= {"status", "code", "reason"} and forbidden.json["status"] == 403
    missing = c.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.is_json
    assert missing.json["status"] == 404 and missing.json["code"] == "not_found"
    assert missing.json["reason"]
    wrong_method = c.delete("/api/v1/users/me")
    assert wrong_method.status_code == 405 and wrong_method.is_json
    assert wrong_method.json["status"] == 405


def test_pages_keep_html_errors(client_for):
    response = client_for("hr").get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    "params,expected",
    [
        ({}, {"adm_a", "insp_b"}),
        ({"role": "inspector"}, {"insp_b"}),
        ({"q": "ADM_"}, {"adm_a"}),
    ],
)
def test_admin_user_list_api_filters_and_paginates(client_for, make_user, params, expected):
    admin = client_for("admin", username="adm_a")
    make_user(roles=("inspector",), username="insp_b")
    response = admin.get("/api/v1/users", query_string=params)
    assert response.status_code == 200
    assert {u["username"] for u in response.json} == expected
    assert "X-Pagination" in response.headers
    first = admin.get("/api/v1/users", query_string={"page_size": 1, "page": 1})
    assert len(first.json) == 1


def test_admin_user_list_api_rejects_unknown_role(client_for):
    response = client_for("admin").get("/api/v1/users", query_string={"role": "boss"})
    assert response.status_code == 422 and response.json["code"]
