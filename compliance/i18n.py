"""Translations: Simplified Chinese by default, English complete; per user and by Accept-Language.

Each package keeps its own catalogue under `<package>/translations`; Flask-Babel merges them.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, has_request_context, request, session
from flask_babel import Babel
from flask_login import current_user

from .config import PROJECT_ROOT

TRANSLATED_PACKAGES = ("compliance",)

babel = Babel()


def translation_dirs() -> list[str]:
    return [
        str(PROJECT_ROOT / pkg / "translations")
        for pkg in TRANSLATED_PACKAGES
        if (PROJECT_ROOT / pkg / "translations").is_dir()
    ]


def select_locale() -> str:
    languages = list(current_app.config["LANGUAGES"])
    if not has_request_context():
        # Jobs and CLI commands: the default language (callers may use force_locale).
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    best = request.accept_languages.best_match(languages) if request else None
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


def init_app(app) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_dirs())
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    from flask_babel import get_locale

    @app.context_processor
    def _i18n_context():
        locale = get_locale()
        return {
            "current_locale": str(locale) if locale else "zh",
            "languages": app.config["LANGUAGES"],
        }


def catalogue_path(package: str, locale: str) -> Path:
    return PROJECT_ROOT / package / "translations" / locale / "LC_MESSAGES" / "messages.po"
