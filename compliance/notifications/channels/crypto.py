"""Webhook URLs and signing secrets at rest: encrypted with Fernet (AES-128-CBC + HMAC-SHA256,
from the `cryptography` package) under a key derived by HKDF-SHA256 from `GROUP_CHANNEL_KEY`, or
from `SECRET_KEY` when that is not set. A database dump alone therefore reveals no robot.

Changing the key (or SECRET_KEY without a GROUP_CHANNEL_KEY) makes stored webhooks unreadable:
their sends fail with "re-enter the webhook" and the admin page says so; nothing else breaks.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_INFO = b"compliance group-channel secrets v1"
_cache: dict[str, Fernet] = {}


class SecretUnreadable(Exception):
    """The stored value cannot be decrypted with the current key."""


def _fernet() -> Fernet:
    material = current_app.config.get("GROUP_CHANNEL_KEY") or current_app.config["SECRET_KEY"]
    fernet = _cache.get(material)
    if fernet is None:
        raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            material.encode()
        )
        fernet = _cache[material] = Fernet(base64.urlsafe_b64encode(raw))
    return fernet


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str | None) -> str | None:
    """The plain value; raises SecretUnreadable when the key changed or the value was altered."""
    if token is None:
        return None
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable() from exc


def readable(token: str | None) -> bool:
    try:
        decrypt(token)
    except SecretUnreadable:
        return False
    return True


TOKEN_PARAMS = ("key", "access_token")


def mask_webhook(url: str) -> str:
    """The address with its token cut to the last four characters, e.g.
    `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…a1b2`."""
    parts = urlsplit(url)
    shown = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in TOKEN_PARAMS:
            shown.append(f"{name}=…{value[-4:]}" if len(value) > 8 else f"{name}=…")
    query = ("?" + "&".join(shown)) if shown else ""
    return f"{parts.scheme}://{parts.netloc}{parts.path}{query}"[:120]


def scrub(text: str, *secrets: str | None) -> str:
    """Remove every secret (and each webhook's token) from a text bound for a log or a record."""
    tokens = []
    for secret in secrets:
        if not secret:
            continue
        tokens.append(secret)
        for name, value in parse_qsl(urlsplit(secret).query):
            if name in TOKEN_PARAMS and value:
                tokens.append(value)
    for token in sorted(tokens, key=len, reverse=True):
        text = text.replace(token, "***")
    return text
