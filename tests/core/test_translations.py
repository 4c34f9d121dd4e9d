"""Translations: every string in the code has Chinese (the default) and English; the compiled
catalogues match their sources; the language follows the user, then Accept-Language."""

from __future__ import annotations

from functools import cache

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from compliance.db import db
from compliance.i18n import catalogue_path
from compliance.i18n_tools import extract, message_key, placeholders, split_key
from compliance.models import User


@cache
def _messages() -> dict[str, list[str]]:
    return extract()


def _po(locale: str):
    with open(catalogue_path("compliance", locale), "rb") as f:
        return read_po(f, locale=locale)


def _mo(locale: str):
    path = catalogue_path("compliance", locale).with_suffix(".mo")
    with open(path, "rb") as f:
        return read_mo(f)


def _as_dict(catalog) -> dict[str, str]:
    """Entries by the key `extract()` uses (a string with a message context: "context|msgid")."""
    return {
        message_key(m.id, m.context): m.string for m in catalog if m.id and isinstance(m.id, str)
    }


def test_extraction_finds_the_strings_of_every_package():
    messages = _messages()
    assert "Dashboard" in messages
    assert "User accounts" in messages  # compliance/admin
    assert "Audit trail" in messages  # compliance/audit_views
    assert len(messages) > 100


def test_every_string_has_chinese():
    zh = _as_dict(_po("zh"))
    missing = [
        f"{msgid!r} ({where[0]})"
        for msgid, where in sorted(_messages().items())
        if not zh.get(msgid)
    ]
    assert not missing, (
        f"{len(missing)} strings have no Chinese in the zh catalogue; add them to "
        "compliance/translations/src/<area>.json and run `python -m compliance.i18n_tools update`: "
        + "; ".join(missing[:30])
    )


def test_every_string_is_in_the_english_catalogue():
    en = _as_dict(_po("en"))
    missing = sorted(set(_messages()) - set(en))
    assert not missing, f"{len(missing)} strings missing from the en catalogue: {missing[:30]}"
    untranslated = [m for m in _messages() if not en.get(m)]
    assert not untranslated, f"empty English: {untranslated[:30]}"


def test_chinese_keeps_the_placeholders():
    zh = _as_dict(_po("zh"))
    wrong = [
        key
        for key in _messages()
        if zh.get(key) and placeholders(zh[key]) != placeholders(split_key(key)[1])
    ]
    assert not wrong, f"placeholders differ in the Chinese of: {wrong[:20]}"


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_compiled_catalogue_matches_its_source(locale):
    po = _as_dict(_po(locale))
    mo = _as_dict(_mo(locale))
    expected = {k: v for k, v in po.items() if v}  # empty translations are not compiled
    assert mo == expected, (
        f"messages.mo of {locale} is out of date; run `python -m compliance.i18n_tools update`"
    )


def test_signed_in_user_sees_chinese_by_default(client_for):
    c = client_for("inspector")
    page = c.get("/dashboard").get_data(as_text=True)
    assert "<h1>工作台</h1>" in page
    assert '<html lang="zh-CN">' in page


def test_accept_language_english_gives_english(client_for):
    c = client_for("inspector")
    page = c.get("/dashboard", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "<h1>Dashboard</h1>" in page
    assert '<html lang="en">' in page


def test_user_locale_wins_over_accept_language(client_for):
    c = client_for("inspector")
    user = db.session.get(User, c.user.id)
    user.locale = "en"
    db.session.commit()
    page = c.get("/dashboard", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "<h1>Dashboard</h1>" in page
    user = db.session.get(User, c.user.id)
    user.locale = "zh"
    db.session.commit()
    page = c.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1>工作台</h1>" in page


def test_error_pages_are_translated(client_for):
    c = client_for("hr")
    page = c.get("/admin/users")
    assert page.status_code == 403 and "无权" in page.get_data(as_text=True)
