"""Configuration read from the environment, with defaults for a development machine."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A required setting is missing or wrong; start-up stops with this message."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Every setting the application reads; values come from environment variables."""

    def __init__(self) -> None:
        env = os.environ
        self.ENV = env.get("COMPLIANCE_ENV", "development")
        self.INSTANCE_PATH = env.get("INSTANCE_PATH", str(PROJECT_ROOT / "instance"))
        self.SECRET_KEY = env.get("SECRET_KEY")
        # Keys the audit trail's hash chain; never stored in the database.
        self.AUDIT_KEY = env.get("AUDIT_KEY")
        # Where the chain's head and verification checkpoints are written ("" = nowhere).
        self.AUDIT_CHECKPOINT_DIR = env.get("AUDIT_CHECKPOINT_DIR")
        # None = derive from INSTANCE_PATH in finalise(), so an INSTANCE_PATH given to
        # create_app() moves the database, uploads and reports along with it.
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL")
        self.UPLOAD_FOLDER = env.get("UPLOAD_FOLDER")
        self.REPORTS_FOLDER = env.get("REPORTS_FOLDER")
        self.TIMEZONE = env.get("TIMEZONE", "Asia/Shanghai")
        self.HTTPS = _bool("HTTPS", False)
        self.SESSION_COOKIE_SECURE = self.HTTPS
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_NAME = "compliance_session"
        self.REMEMBER_COOKIE_DURATION = 0
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_CONTENT_LENGTH", str(32 * 1024 * 1024)))
        self.SESSION_IDLE_MINUTES = int(env.get("SESSION_IDLE_MINUTES", "30"))
        self.SESSION_MAX_HOURS = int(env.get("SESSION_MAX_HOURS", "12"))
        self.LOGIN_MAX_FAILURES = 5
        self.LOGIN_WINDOW_MINUTES = 15
        self.LOGIN_LOCK_MINUTES = 15
        # OWASP password storage cheat sheet: argon2id, m=19 MiB, t=2, p=1 (older scrypt hashes
        # are upgraded at the next sign-in).
        self.PASSWORD_HASH_METHOD = env.get("PASSWORD_HASH_METHOD", "argon2id:19456:2:1")
        # Password checks running at once per process (0 = no bound), and how long a sign-in
        # waits for a free slot before answering 503 with Retry-After.
        self.SIGN_IN_CONCURRENCY = int(env.get("SIGN_IN_CONCURRENCY", "2"))
        self.SIGN_IN_WAIT_SECONDS = float(env.get("SIGN_IN_WAIT_SECONDS", "2"))
        self.BABEL_DEFAULT_LOCALE = "zh"
        self.BABEL_DEFAULT_TIMEZONE = "UTC"
        self.LANGUAGES = {"zh": "简体中文", "en": "English"}
        self.SMTP_HOST = env.get("SMTP_HOST", "")
        self.SMTP_PORT = int(env.get("SMTP_PORT", "25"))
        self.SMTP_USER = env.get("SMTP_USER", "")
        self.SMTP_PASSWORD = env.get("SMTP_PASSWORD", "")
        self.SMTP_SENDER = env.get("SMTP_SENDER", "compliance@localhost")
        self.SMTP_STARTTLS = _bool("SMTP_STARTTLS", False)
        self.BASE_URL = env.get("BASE_URL", "http://127.0.0.1:5000")
        self.EXPORT_ASYNC_ROWS = int(env.get("EXPORT_ASYNC_ROWS", "5000"))
        # Group notices (WeCom / DingTalk robots). Webhooks are encrypted with a key derived from
        # GROUP_CHANNEL_KEY, else from SECRET_KEY.
        self.GROUP_CHANNEL_KEY = env.get("GROUP_CHANNEL_KEY") or None
        self.GROUP_WEBHOOK_HOSTS = env.get("GROUP_WEBHOOK_HOSTS", "")
        self.GROUP_SEND_TIMEOUT = float(env.get("GROUP_SEND_TIMEOUT", "5"))
        self.GROUP_SEND_BUDGET_SECONDS = float(env.get("GROUP_SEND_BUDGET_SECONDS", "30"))
        self.GROUP_NOTICE_MAX_AGE_HOURS = float(env.get("GROUP_NOTICE_MAX_AGE_HOURS", "24"))
        self.GROUP_SUMMARY_HOUR = int(env.get("GROUP_SUMMARY_HOUR", "8"))
        # Retention (days; the nightly jobs delete what is older).
        self.SESSION_RETENTION_DAYS = int(env.get("SESSION_RETENTION_DAYS", "30"))
        self.LOGIN_ATTEMPT_RETENTION_DAYS = int(env.get("LOGIN_ATTEMPT_RETENTION_DAYS", "180"))
        self.NOTIFICATION_RETENTION_DAYS = int(env.get("NOTIFICATION_RETENTION_DAYS", "180"))
        self.NOTIFICATION_RETENTION_MODE = env.get("NOTIFICATION_RETENTION_MODE", "archive")
        self.GROUP_SEND_RETENTION_DAYS = int(env.get("GROUP_SEND_RETENTION_DAYS", "90"))
        # Aggregates over history (dashboard figures and charts, year in review, live monthly
        # scores) are remembered per process (compliance/memo.py): while nobody writes, for
        # FIGURE_MEMO_SECONDS (0 turns the memo off); after other people's writes, for
        # FIGURE_STALE_SECONDS; never after the reader's own write.
        self.FIGURE_MEMO_SECONDS = int(env.get("FIGURE_MEMO_SECONDS", "300"))
        self.FIGURE_STALE_SECONDS = int(env.get("FIGURE_STALE_SECONDS", "30"))
        self.SCHEDULER_ENABLED = False
        self.TESTING = False
        self.WTF_CSRF_TIME_LIMIT = None
        self.WTF_CSRF_ENABLED = True
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # flask-smorest / OpenAPI
        self.API_TITLE = "Window compliance API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}


def finalise(config: dict) -> None:
    """Fill the secret key and check required values; raises ConfigError with a clear message."""
    instance = Path(config["INSTANCE_PATH"])
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'compliance.db'}"
    if not config.get("UPLOAD_FOLDER"):
        config["UPLOAD_FOLDER"] = str(instance / "uploads")
    if not config.get("REPORTS_FOLDER"):
        config["REPORTS_FOLDER"] = str(instance / "reports")
    if not config.get("SECRET_KEY"):
        if config.get("ENV") == "production":
            raise ConfigError(
                "SECRET_KEY is not set. In production set the SECRET_KEY environment variable "
                "to a long random string (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)."
            )
        instance.mkdir(parents=True, exist_ok=True)
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        config["SECRET_KEY"] = key_file.read_text().strip()
    if not config.get("AUDIT_KEY"):
        if config.get("ENV") == "production":
            raise ConfigError(
                "AUDIT_KEY is not set. In production set the AUDIT_KEY environment variable to a "
                "long random string kept outside the database (it keys the audit trail's hash "
                "chain; losing it makes the trail unverifiable, so keep a copy in your secret store)."
            )
        instance.mkdir(parents=True, exist_ok=True)
        key_file = instance / "audit_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        config["AUDIT_KEY"] = key_file.read_text().strip()
    for name in (
        "SESSION_RETENTION_DAYS",
        "LOGIN_ATTEMPT_RETENTION_DAYS",
        "NOTIFICATION_RETENTION_DAYS",
        "GROUP_SEND_RETENTION_DAYS",
    ):
        if int(config.get(name) or 0) < 1:
            raise ConfigError(f"{name} must be a whole number of days, at least 1.")
    if int(config.get("SIGN_IN_CONCURRENCY", 2)) < 0:
        raise ConfigError("SIGN_IN_CONCURRENCY must be 0 (no bound) or a positive whole number.")
    if not 0 <= float(config.get("SIGN_IN_WAIT_SECONDS", 2)) <= 30:
        raise ConfigError("SIGN_IN_WAIT_SECONDS must be between 0 and 30 seconds.")
    if config.get("NOTIFICATION_RETENTION_MODE") not in ("archive", "delete"):
        raise ConfigError("NOTIFICATION_RETENTION_MODE must be `archive` or `delete`.")
    if config.get("AUDIT_CHECKPOINT_DIR") is None:
        config["AUDIT_CHECKPOINT_DIR"] = str(instance / "audit")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgres://"):
        config["SQLALCHEMY_DATABASE_URI"] = config["SQLALCHEMY_DATABASE_URI"].replace(
            "postgres://", "postgresql+psycopg://", 1
        )
    elif config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql://"):
        config["SQLALCHEMY_DATABASE_URI"] = config["SQLALCHEMY_DATABASE_URI"].replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///") :]).parent.mkdir(
            parents=True, exist_ok=True
        )
