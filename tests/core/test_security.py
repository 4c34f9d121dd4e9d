"""Security headers, cookies, request size, health check and start-up configuration."""

from __future__ import annotations

import stat

import pytest

from compliance import ConfigError, create_app

HEADERS_PATHS = ["/login", "/healthz", "/api/v1/openapi.json", "/no-such-page"]


def _bare_app(tmp_path, **config):
    """An app on a throw-away SQLite file (enough for pages that need no tables)."""
    settings = {
        "TESTING": True,
        "SECRET_KEY": "k" * 32,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'bare.db'}",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "REPORTS_FOLDER": str(tmp_path / "reports"),
    }
    settings.update(config)
    return create_app(settings)


def _dispose(app):
    from compliance.db import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("path", HEADERS_PATHS)
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";")}
    assert directives["default-src"] == "default-src 'self'"
    assert directives["object-src"] == "object-src 'none'"
    assert directives["base-uri"] == "base-uri 'none'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {
        "same-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    }
    # Plain HTTP (HTTPS=False, the test default): no HSTS.
    assert "Strict-Transport-Security" not in response.headers


def test_session_cookie_is_httponly_and_lax_without_secure_on_http(client):
    response = client.get("/login")  # the CSRF token puts something in the session
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("compliance_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_https_adds_hsts_and_secure_cookie(tmp_path, monkeypatch):
    monkeypatch.setenv("HTTPS", "true")
    app = _bare_app(tmp_path)
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        response = app.test_client().get("/login", base_url="https://localhost")
        assert response.status_code == 200
        hsts = response.headers["Strict-Transport-Security"]
        assert "max-age=" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 15552000
        cookie = next(
            c for c in response.headers.getlist("Set-Cookie") if c.startswith("compliance_session=")
        )
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        _dispose(app)


def test_request_size_is_limited(app, client, monkeypatch):
    assert 0 < app.config["MAX_CONTENT_LENGTH"] <= 64 * 1024 * 1024
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post("/login", data={"username": "x" * 4096, "password": "y"})
    assert response.status_code == 413


def test_healthz_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "reachable"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    # Nothing listens on port 1: the connection is refused at once.
    app = _bare_app(
        tmp_path, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.json["status"] == "unavailable"
        assert response.json["database"] == "unreachable"
    finally:
        _dispose(app)


def test_production_without_secret_key_stops_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        _bare_app(tmp_path, ENV="production", SECRET_KEY=None)
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_development_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = _bare_app(tmp_path, ENV="development", SECRET_KEY=None)
    key_file = tmp_path / "instance" / "secret_key"
    try:
        assert key_file.exists()
        assert first.secret_key == key_file.read_text().strip()
        assert len(first.secret_key) >= 32
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        second = _bare_app(tmp_path, ENV="development", SECRET_KEY=None)
        assert second.secret_key == first.secret_key
        _dispose(second)
    finally:
        _dispose(first)


def test_console_reports_a_configuration_error(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from compliance.cli import main

    monkeypatch.setenv("COMPLIANCE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 2
    assert "SECRET_KEY" in result.output
