"""The tenure board renders one page of key seats, with the same statements for many seats as
for few, and its pager keeps the filters."""

from __future__ import annotations

from datetime import date, timedelta

from compliance.pagination import PER_PAGE
from tests.statements import count_statements


def _statements(client, url):
    client.get(url)
    with count_statements() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter["n"], response.get_data(as_text=True)


def test_tenure_board_is_one_page_with_constant_statements(
    app, client_for, make_site, make_post, make_staff
):
    post = make_post(is_key=True)
    hr = client_for("hr")

    def seats(n):
        for i in range(n):
            other = make_site()  # each on a site of its own: no statement per site
            make_staff(site=other, post=post, started_on=date.today() - timedelta(days=3000 + i))

    seats(3)
    url = "/rotation/?status=overdue&site="
    few, html = _statements(hr, url)
    seats(40)
    many, html = _statements(hr, url)
    assert many == few
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr") == PER_PAGE
    nxt = html.split('rel="next" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert "status=overdue" in nxt and "page=2" in nxt
    n, last = _statements(hr, nxt)
    assert n == few
    assert last.split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr") == 43 - PER_PAGE
