"""Pages of integrity cases, on the `integrity` blueprint: the case list and one case with its
actions (`cases`), and the accused's conclusion notice, the evidence photos and the box on a
finding's page (`notice`).

Every page that names a case by id is open to every signed-in role and answers 404 to anyone who
may not see that case, so the existence of a case is never revealed by a 403."""

from __future__ import annotations

from . import cases, notice, settings  # noqa: F401  (routes register on the blueprint)
from .common import bp

__all__ = ["bp"]
