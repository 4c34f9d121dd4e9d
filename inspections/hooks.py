"""Extension points inside the inspections package.

`finding_created` handlers run in the same transaction as the submission that created the
finding: `handler(session, actor, finding)`. The rectification loop registers itself here so that
every finding opens a rectification, without the patrol code importing it.
"""

from __future__ import annotations

from collections.abc import Callable

finding_created: list[Callable] = []


def on_finding_created(handler: Callable) -> Callable:
    if handler not in finding_created:
        finding_created.append(handler)
    return handler


def fire_finding_created(session, actor, finding) -> None:
    for handler in finding_created:
        handler(session, actor, finding)
