"""The chart panels and the year in review in headless Chromium at 360 px (a phone) and 1280 px
(a desktop), on the demo centre: every chart is drawn inside the screen, every data point of its
data table is a visible mark inside the chart, the page never scrolls sideways, the data table
opens without JavaScript, and axe-core finds no accessibility violation (colour contrast
included) in the panels and sections."""

from __future__ import annotations

import pytest

from compliance.db import db
from tests.e2e.browsing import CHROMIUM, chromium_or_skip, serving

DEMO_PASSWORD = "demo-pass-2026"
WIDTHS = (360, 1280)
# (user, page, the smallest number of charts it must show)
PAGES = (
    ("leader", "/dashboard", 6),
    ("leader", "/year-review", 7),
    ("hr", "/dashboard", 2),
    ("inspector", "/dashboard", 1),
)

pytestmark = pytest.mark.browser

CHARTS_JS = """() => {
  const rect = el => { const r = el.getBoundingClientRect();
    return {l: r.left, r: r.right, t: r.top, b: r.bottom, w: r.width, h: r.height}; };
  return [...document.querySelectorAll('figure.chart:not(.chart-empty)')].map(fig => {
    const svg = fig.querySelector('svg');
    return {
      id: fig.id,
      role: svg.getAttribute('role'),
      title: (svg.querySelector('title') || {}).textContent || '',
      desc: (svg.querySelector('desc') || {}).textContent || '',
      box: rect(svg),
      rows: [...fig.querySelectorAll('table tbody tr')].map(tr => ({
        cat: tr.querySelector('th').textContent.trim(),
        values: [...tr.querySelectorAll('td')].map(td => td.textContent.trim()),
      })),
      points: [...svg.querySelectorAll('.pt')].map(el => Object.assign(rect(el), {
        cat: el.dataset.category,
        visible: getComputedStyle(el).visibility !== 'hidden'
          && getComputedStyle(el).display !== 'none' && getComputedStyle(el).opacity !== '0',
      })),
    };
  });
}"""


@pytest.fixture
def demo_server(backend, fresh_app):
    if backend != "sqlite":
        pytest.skip(
            "browser checks run on SQLite only (the same figures are checked on PostgreSQL "
            "by tests/review)"
        )
    chromium_or_skip()
    from compliance.demo import load_demo

    app = fresh_app()
    with app.app_context():
        load_demo(app, db.session)
        db.session.commit()
    with serving(app) as base:
        yield base


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _chart_problems(charts: list[dict], width: int, where: str) -> list[str]:
    problems = []
    for chart in charts:
        name = f"{where} {chart['id']}"
        box = chart["box"]
        if chart["role"] != "img" or not chart["title"] or not chart["desc"]:
            problems.append(f"{name}: no role=img, title or description")
        if box["w"] < 200 or box["l"] < 0 or box["r"] > width + 0.5:
            problems.append(f"{name}: drawn at {box['l']:.0f}..{box['r']:.0f} on a {width}px page")
        for p in chart["points"]:
            inside = (
                p["l"] >= box["l"] - 1
                and p["r"] <= box["r"] + 1
                and p["t"] >= box["t"] - 1
                and p["b"] <= box["b"] + 1
            )
            if not (p["visible"] and p["w"] > 0 and p["h"] > 0 and inside):
                problems.append(f"{name}: the point {p['cat']} is not visible ({p})")
        drawn = {p["cat"] for p in chart["points"]}
        for row in chart["rows"]:
            if any(v != "—" for v in row["values"]) and row["cat"] not in drawn:
                problems.append(f"{name}: {row['cat']} has no visible point")
    return problems


def _axe_violations(page, selector: str) -> list[str]:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        return []
    results = Axe().run(page, context=selector)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"]
    ]


def test_charts_are_drawn_with_every_point_visible_on_a_phone_and_a_desktop(demo_server, browser):
    problems: list[str] = []
    checked = 0
    points = 0
    for width in WIDTHS:
        for username in sorted({u for u, _p, _n in PAGES}):
            context = browser.new_context(
                viewport={"width": width, "height": 900},
                device_scale_factor=2 if width < 400 else 1,
                is_mobile=width < 400,
                has_touch=width < 400,
                locale="zh-CN",
                java_script_enabled=False,
            )
            page = context.new_page()
            page.set_default_timeout(15000)
            page.goto(demo_server + "/login")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard")
            for user, path, least in PAGES:
                if user != username:
                    continue
                where = f"{username} {path} @{width}px"
                response = page.goto(demo_server + path)
                assert response is not None and response.status == 200, where
                charts = page.evaluate(CHARTS_JS)
                if len(charts) < least:
                    problems.append(f"{where}: {len(charts)} charts, expected {least}+")
                problems.extend(_chart_problems(charts, width, where))
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    problems.append(f"{where}: the page is {scroll}px wide")
                # The data table opens without JavaScript (details/summary).
                first = page.locator("figure.chart details.chart-data summary").first
                first.click()
                if not page.locator("figure.chart details.chart-data table").first.is_visible():
                    problems.append(f"{where}: the data table does not open")
                checked += len(charts)
                points += sum(len(c["points"]) for c in charts)
            context.close()
    assert checked >= 2 * sum(n for _u, _p, n in PAGES)
    assert points > 100
    assert not problems, "\n".join(problems)


def test_axe_finds_no_violation_in_the_panels_and_the_year_in_review(demo_server, browser):
    pytest.importorskip(
        "axe_playwright_python", reason="axe-playwright-python (axe-core) is not installed"
    )
    problems: list[str] = []
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.goto(demo_server + "/login")
        page.fill("input[name=username]", "leader")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard")
        problems += [f"dashboard @{width}: {v}" for v in _axe_violations(page, ".panels")]
        page.goto(demo_server + "/year-review")
        problems += [f"year review @{width}: {v}" for v in _axe_violations(page, "main")]
        context.close()
    assert not problems, "\n".join(problems)
