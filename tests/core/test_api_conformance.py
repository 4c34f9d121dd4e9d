"""The API matches its OpenAPI document: the document is valid OpenAPI, every operation documents
the errors it sends with the one Error schema, and a schemathesis run over every operation (signed
in as an admin with a bearer token, on the demo data) finds no server error, no undocumented
status and no response that disagrees with its schema."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from compliance.db import db

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
MAX_EXAMPLES = 15  # per operation and generation mode; the whole run stays within a few minutes


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def _resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def test_openapi_document_passes_the_spec_validator(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").json)


def test_every_operation_documents_its_errors_with_the_error_schema(client):
    spec = client.get("/api/v1/openapi.json").json
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"status", "code", "reason"}
    assert error["properties"]["status"]["type"] == "integer"
    assert error["properties"]["code"]["type"] == "string"
    for path, method, operation in _operations(spec):
        statuses = set(operation["responses"])
        expected = {"400", "401", "403", "422"}
        if "{" in path or method != "get":
            expected.add("404")
        if method != "get":
            expected.add("409")
        assert expected <= statuses, f"{method.upper()} {path}: {sorted(expected - statuses)}"
        for status in expected:
            body = _resolve(spec, operation["responses"][status])
            schema = body["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_numbers_are_bounded_by_numbers_and_date_times_documented(client):
    spec = client.get("/api/v1/openapi.json").json

    def walk(node, where):
        if isinstance(node, dict):
            for key in ("minimum", "maximum"):
                if key in node:
                    assert isinstance(node[key], int | float), (where, key, node[key])
            if node.get("format") == "date-time":
                assert "offset" in node.get("description", ""), where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(spec, "#")
    log = spec["components"]["schemas"]["ShadowLog"]["properties"]["hours"]
    assert log["type"] == "number" and log["minimum"] == 0.5 and log["maximum"] == 12
    finding = spec["paths"]["/api/v1/findings/{finding_id}"]["parameters"]
    (path_id,) = [p for p in finding if p["name"] == "finding_id"]
    assert path_id["schema"]["minimum"] == 1 and path_id["schema"]["maximum"] == 2**31 - 1
    pages = spec["paths"]["/api/v1/inspections"]["get"]["parameters"]
    (page,) = [p for p in pages if p["name"] == "page"]
    assert page["schema"]["minimum"] == 1 and isinstance(page["schema"]["maximum"], int)


def _run_operation(strategy, headers, run_checks) -> list[str]:
    import hypothesis
    from hypothesis import HealthCheck, given, settings

    seen: list[str] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @given(case=strategy)
    def run(case):
        try:
            case.call_and_validate(headers=headers, checks=run_checks)
        except BaseException as exc:  # noqa: BLE001 - a check's failure group, reported below
            if len(seen) < 3:
                seen.append(f"{case.method} {case.formatted_path} {case.query}: {exc}")

    run()
    return seen


def test_schemathesis_finds_no_server_error_and_no_disagreement(backend, fresh_app):
    if backend != "sqlite":
        pytest.skip("schemathesis runs on SQLite (the API is the same code on PostgreSQL)")
    import schemathesis
    from schemathesis import checks
    from schemathesis.generation.modes import GenerationMode

    from compliance.auth.security import create_api_token
    from compliance.demo import load_demo
    from compliance.models import User
    from compliance.uow import unit_of_work

    app = fresh_app()
    with app.app_context():
        with unit_of_work() as session:
            load_demo(app, session)
        with unit_of_work() as session:
            admin = session.scalars(sa.select(User).where(User.username == "admin")).one()
            token = create_api_token(session, admin, "schemathesis")
        db.session.remove()

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    run_checks = [
        checks.not_a_server_error,
        checks.status_code_conformance,
        checks.response_schema_conformance,
    ]
    failures: list[str] = []
    operations = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        strategy = operation.as_strategy() | operation.as_strategy(
            generation_mode=GenerationMode.NEGATIVE
        )
        seen = _run_operation(strategy, headers, run_checks)
        failures.extend(f"{operation.label}: {line}" for line in seen)
    elapsed = time.monotonic() - started
    print(f"schemathesis: {operations} operations in {elapsed:.0f} s")
    assert operations > 50
    assert not failures, "\n\n".join(failures[:20])
