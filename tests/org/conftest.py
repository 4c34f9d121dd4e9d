"""Fixtures of the organisation tests: a small centre with a hall below it and a separate centre."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture
def org(make_site, make_window, make_post):
    """centre > hall (in scope of `centre` users) and `other` (a separate centre)."""
    centre = make_site(kind="centre")
    hall = make_site(kind="hall", parent=centre)
    other = make_site(kind="centre")
    return SimpleNamespace(
        centre=centre,
        hall=hall,
        other=other,
        w1=make_window(site=centre, code="A01"),
        w2=make_window(site=centre, code="A02"),
        hw=make_window(site=hall, code="B01"),
        ow=make_window(site=other, code="Z01"),
        post=make_post(),
        key_post=make_post(is_key=True),
    )


@pytest.fixture
def actor(make_user):
    return make_user(roles=("hr",))
