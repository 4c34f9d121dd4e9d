"""Password hashing: argon2id (OWASP's recommended parameters) for new hashes; older hashes
(werkzeug's scrypt or pbkdf2) still verify and are upgraded at the next successful sign-in.

A method is written "argon2id:<memory KiB>:<iterations>:<parallelism>", or a werkzeug method
such as "scrypt:131072:8:1".
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash, generate_password_hash

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 (about 20 ms of CPU here).
DEFAULT_METHOD = "argon2id:19456:2:1"


@cache
def _hasher(method: str) -> PasswordHasher:
    _name, memory, iterations, parallelism = method.split(":")
    return PasswordHasher(
        time_cost=int(iterations), memory_cost=int(memory), parallelism=int(parallelism)
    )


def _is_argon2(method: str) -> bool:
    return method.startswith("argon2id:")


def hash_password(password: str, method: str = DEFAULT_METHOD) -> str:
    if _is_argon2(method):
        return _hasher(method).hash(password)
    return generate_password_hash(password, method=method)


def verify_password(stored: str, password: str) -> bool:
    """True when `password` matches the stored hash (argon2 or a werkzeug hash)."""
    if stored.startswith("$argon2"):
        try:
            return PasswordHasher().verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    return check_password_hash(stored, password)


def needs_rehash(stored: str, method: str) -> bool:
    """True when the stored hash was made with another method or weaker parameters."""
    if _is_argon2(method):
        if not stored.startswith("$argon2id$"):
            return True
        try:
            return _hasher(method).check_needs_rehash(stored)
        except InvalidHashError:
            return True
    return not stored.startswith(method + "$")
