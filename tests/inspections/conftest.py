"""Fixtures for the inspections tests: images and a small catalogue."""

from __future__ import annotations

import io

import pytest
from PIL import Image


def image_bytes(fmt: str = "JPEG", size=(64, 48), color=(200, 30, 30), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def make_image():
    """make_image(fmt="JPEG", size=(64, 48)) -> encoded image bytes."""
    return image_bytes


@pytest.fixture
def jpeg():
    return image_bytes("JPEG")


@pytest.fixture
def png():
    return image_bytes("PNG", mode="RGBA", color=(0, 128, 0, 128))


@pytest.fixture
def webp():
    return image_bytes("WEBP")


@pytest.fixture
def bomb():
    """A tiny PNG that claims 30000x30000 pixels (a decompression bomb)."""
    out = io.BytesIO()
    Image.new("1", (30000, 30000), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


@pytest.fixture
def catalogue(app):
    """The standard checklist (26 items in four categories)."""
    from compliance.db import db
    from inspections.catalogue import load_standard_catalogue

    load_standard_catalogue(db.session, None)
    db.session.commit()


@pytest.fixture
def make_hall(app, make_site, make_window, make_post, make_staff):
    """make_hall(windows=3, per_window=2) -> (site, [windows], [staff]) with current assignments."""

    def make(windows: int = 3, per_window: int = 2, site=None):
        site = site or make_site()
        post = make_post()
        made_windows, staff = [], []
        for n in range(windows):
            window = make_window(site=site, code=f"A{n + 1:02d}")
            made_windows.append(window)
            for _ in range(per_window):
                staff.append(make_staff(site=site, post=post, window=window))
        return site, made_windows, staff

    return make


@pytest.fixture
def count_queries(app):
    """with count_queries() as counter: ...; counter.count -> SQL statements executed."""
    import contextlib

    import sqlalchemy as sa

    from compliance.db import db

    class Counter:
        count = 0
        statements: list = []

    @contextlib.contextmanager
    def counting():
        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                counter.count += 1
                counter.statements.append(statement)

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return counting
