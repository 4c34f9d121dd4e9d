"""A bound on concurrent password checks, so a wave of sign-ins (the hall opening at 9:00) cannot
take every CPU of a worker away from the pages and writers.

A password check costs tens of milliseconds of CPU (argon2id). At most `SIGN_IN_CONCURRENCY`
checks run at once in a process; a sign-in that finds them all busy waits up to
`SIGN_IN_WAIT_SECONDS` for a slot and is then refused with `SignInBusy` (the page answers 503 with
`Retry-After`). The wait happens before the sign-in takes any write lock, so nobody else waits on
it. `SIGN_IN_CONCURRENCY = 0` switches the bound off. No Flask imports beyond the config dict.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

_gates: dict[int, threading.BoundedSemaphore] = {}
_gates_lock = threading.Lock()


class SignInBusy(Exception):
    """Every password-check slot stayed busy for the whole wait; try again after
    `retry_after` seconds. Nothing was read beyond the user row and nothing was written."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"sign-in busy, retry after {retry_after} s")
        self.retry_after = retry_after


def _gate(size: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore for `size` slots (one per size, created on first use)."""
    with _gates_lock:
        gate = _gates.get(size)
        if gate is None:
            gate = _gates[size] = threading.BoundedSemaphore(size)
        return gate


def retry_after_seconds(config: dict) -> int:
    """What to put in `Retry-After`: the configured wait, at least one second."""
    return max(1, math.ceil(float(config.get("SIGN_IN_WAIT_SECONDS", 2.0))))


@contextmanager
def password_check_slot(config: dict) -> Iterator[None]:
    """Hold one of the `SIGN_IN_CONCURRENCY` password-check slots for the block.

    Raises SignInBusy when no slot frees up within `SIGN_IN_WAIT_SECONDS`."""
    size = int(config.get("SIGN_IN_CONCURRENCY", 2))
    if size <= 0:
        yield
        return
    gate = _gate(size)
    if not gate.acquire(timeout=max(0.0, float(config.get("SIGN_IN_WAIT_SECONDS", 2.0)))):
        logger.warning("sign-in refused: %s password checks already running", size)
        raise SignInBusy(retry_after_seconds(config))
    try:
        yield
    finally:
        gate.release()
