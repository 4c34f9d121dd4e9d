"""The menu on a phone: each role's daily entries sit in the bottom bar (at most four besides
the dashboard), everything else is one tap away under "More", and nothing of the desktop menu is
missing from the two."""

from __future__ import annotations

import re

import pytest
from flask import url_for

from compliance.ui import PHONE_BAR_ITEMS

DAILY = {
    "inspector": [
        "inspections.patrol_start",
        "inspections.finding_list",
        "inspections.inspection_list",
        "rectification.queue",
    ],
    "hr": ["org.staff_list", "org.leave_list", "rotation.board", "training.sessions"],
    "discipline": [
        "inspections.finding_list",
        "inspections.draw_list",
        "rectification.board",
        "ledgers.index",
    ],
    "leader": [
        "inspections.finding_list",
        "inspections.inspection_list",
        "rectification.board",
        "ledgers.index",
    ],
    "staff": ["inspections.finding_list", "rectification.mine", "training.my_training"],
    "admin": ["org.staff_list", "inspections.catalogue", "org.sites", "admin.users"],
}


def _links(html: str, pattern: str) -> list[str]:
    block = re.search(pattern, html, re.S)
    assert block, pattern
    return re.findall(r'<a href="([^"]+)"', block.group(1))


@pytest.mark.parametrize("role", sorted(DAILY))
def test_each_role_finds_its_daily_entries_in_the_bottom_bar(app, client_for, role):
    html = client_for(role).get("/dashboard").get_data(as_text=True)
    desktop = _links(html, r'<nav class="mainnav"[^>]*>(.*?)</nav>')
    bar = _links(html, r'<nav class="tabbar"[^>]*>(.*?)<details')
    more = _links(html, r'<details class="navmore">(.*?)</details>')
    assert bar[0] == "/dashboard"
    assert 2 <= len(bar) <= 1 + PHONE_BAR_ITEMS
    with app.test_request_context():
        daily = [url_for(endpoint) for endpoint in DAILY[role]]
    assert sorted(bar[1:]) == sorted(daily), (role, bar)
    # every desktop entry is in the bar or under More, once
    assert sorted(bar + more) == sorted(desktop)


def test_bar_entries_are_large_enough_to_tap():
    css = open("compliance/static/app.css", encoding="utf-8").read()
    rule = re.search(r"\.tabbar > a, \.navmore > summary \{([^}]*)\}", css)
    assert rule and "height:3.5rem" in rule.group(1)
    assert re.search(r"\.navmore li a \{[^}]*min-height:2\.75rem", css)
