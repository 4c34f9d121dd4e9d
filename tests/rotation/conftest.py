"""A small rotation scenario: two sites, key posts 收费收款 (K1) and 城管审批 (K2), a non-key
post, and holders whose tenure is overdue, due soon or fresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from rotation_helpers import TODAY


@dataclass
class Scenario:
    dm: object
    wx: object
    k1: object
    k2: object
    n1: object
    w1: object
    w2: object
    w3: object
    w4: object
    a: object  # K1 at DM w1, overdue (4 years)
    b: object  # K2 at DM w2, overdue (3.5 years)
    c: object  # K1 at WX w4, fresh (1 year)
    d: object  # non-key at DM w3, 2 years


@pytest.fixture
def scenario(app, make_site, make_post, make_window, make_staff) -> Scenario:
    dm = make_site(code="RDM", name="大面中心")
    wx = make_site(code="RWX", name="五星中心", kind="hall", parent=dm)
    k1 = make_post(code="RK1", name="收费收款", is_key=True)
    k2 = make_post(code="RK2", name="城管审批", is_key=True)
    n1 = make_post(code="RN1", name="综合受理")
    w1 = make_window(site=dm, code="A08", name="收费")
    w2 = make_window(site=dm, code="A07", name="城管审批")
    w3 = make_window(site=dm, code="A01", name="综合受理")
    w4 = make_window(site=wx, code="B04", name="收费")
    a = make_staff(
        site=dm, post=k1, window=w1, name="王伟", started_on=TODAY - timedelta(days=4 * 365)
    )
    b = make_staff(
        site=dm, post=k2, window=w2, name="李娜", started_on=TODAY - timedelta(days=3 * 365 + 180)
    )
    c = make_staff(site=wx, post=k1, window=w4, name="张敏", started_on=TODAY - timedelta(days=365))
    d = make_staff(
        site=dm, post=n1, window=w3, name="刘洋", started_on=TODAY - timedelta(days=2 * 365)
    )
    return Scenario(dm, wx, k1, k2, n1, w1, w2, w3, w4, a, b, c, d)


@pytest.fixture
def hr(make_user):
    return make_user(roles=("hr",), display_name="人事")


@pytest.fixture
def discipline(make_user):
    return make_user(roles=("discipline",), display_name="纪检")
