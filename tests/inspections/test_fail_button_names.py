"""The ✗ buttons of a round say what they do and for whom ("标记问题：窗口 B03"), and their accessible
name contains their visible text ("✗ 问题"), so speech input and screen readers agree with the
screen (axe-core's label-content-name-mismatch; the browser check is tests/e2e/test_accessibility.py).
Both the round kept on the phone and the server-rendered round are checked."""

from __future__ import annotations

import html as htmllib
import re

BUTTON = re.compile(r'<(a|button)\b([^>]*\bclass="btn fail"[^>]*)>(.*?)</\1>', re.S)


def _buttons(page: str) -> dict[str, tuple[str, str]]:
    """target key -> (accessible name, visible text) of each ✗ button."""
    found = {}
    for _tag, attrs, text in BUTTON.findall(page):
        key = re.search(r'(?:data-fail="|target=)([asw]\d*)', attrs).group(1)
        label = re.search(r'aria-label="([^"]*)"', attrs)
        visible = htmllib.unescape(re.sub(r"<[^>]+>", "", text)).strip()
        found[key] = (htmllib.unescape(label.group(1)) if label else visible, visible)
    return found


def _expected(windows, staff) -> dict[str, str]:
    names = {"a": "标记问题：公共区域"}
    names.update({f"w{w.id}": f"标记问题：窗口 {w.code}" for w in windows})
    names.update({f"s{s.id}": f"标记问题：{s.name}" for s in staff})
    return names


def _assert_named(page: str, windows, staff) -> None:
    buttons = _buttons(page)
    assert {key: name for key, (name, _text) in buttons.items()} == _expected(windows, staff)
    for name, visible in buttons.values():
        assert visible == "✗ 问题"
        assert visible.removeprefix("✗ ") in name


def test_the_phone_rounds_fail_buttons_name_what_they_mark(app, client_for, catalogue, make_hall):
    site, windows, staff = make_hall(windows=2, per_window=2)
    client = client_for("inspector", sites=[site])
    page = client.get(f"/patrols/sites/{site.id}/round").get_data(as_text=True)
    _assert_named(page, windows, staff)


def test_the_server_rounds_fail_buttons_name_what_they_mark(app, client_for, catalogue, make_hall):
    site, windows, staff = make_hall(windows=2, per_window=2)
    client = client_for("inspector", sites=[site])
    response = client.post("/patrols/start", data={"site_id": site.id})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    _assert_named(page, windows, staff)
