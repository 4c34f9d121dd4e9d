"""Time each dashboard panel on its own, per demo role: which panels make /dashboard slow.

Each panel registered with `compliance.ui.register_dashboard_panel` is rendered inside a request
context signed in as the demo account of the role (as `/dashboard` does), once to warm up and
then `--runs` times: p50 ms, SQL statements (first timed run) and the bytes of its HTML.
Baseline in the same run: an empty request context (`SELECT 1`).

Usage:
    .venv/bin/python bench/panels.py DB [DB ...] [--runs 5] [--role admin ...]
        [--panel NAME_PART] [--sql]      (--sql: print each statement of the first timed run)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench.pages import ROLES, make_app  # noqa: E402


def measure(target: str, runs: int, roles, panels=None, show_sql=False) -> None:
    from flask_login import login_user

    from compliance.db import db
    from compliance.models import User
    from compliance.ui import _ext

    app = make_app(target)
    statements: list[str] = []
    started_at: list[float] = []

    def count(conn, cursor, statement, *rest):
        started_at.append(time.perf_counter())

    def done(conn, cursor, statement, *rest):
        ms = (time.perf_counter() - started_at[-1]) * 1000
        statements.append(f"{ms:7.2f} ms  {' '.join(statement.split())[:160]}")

    with app.app_context():
        engine = db.engine
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            db.session.execute(sa.text("SELECT 1"))
            times.append((time.perf_counter() - started) * 1000)
        print(f"{target}\n  baseline SELECT 1 p50 {statistics.median(times):.2f} ms")
    for role in roles:
        with app.test_request_context("/dashboard"):
            user = db.session.scalar(sa.select(User).where(User.username == role))
            if user is None:
                continue
            login_user(user)
            app.preprocess_request()
            for panel in sorted(_ext(app)["panels"]):
                if panel.roles is not None and not user.has_role(*panel.roles):
                    continue
                name = f"{panel.render.__module__}.{panel.render.__qualname__}"
                if panels and not any(word in name for word in panels):
                    continue
                panel.render(user)
                times = []
                n = size = 0
                for k in range(runs):
                    if k == 0:
                        statements.clear()
                        sa.event.listen(engine, "before_cursor_execute", count)
                        sa.event.listen(engine, "after_cursor_execute", done)
                    started = time.perf_counter()
                    html = panel.render(user)
                    times.append((time.perf_counter() - started) * 1000)
                    if k == 0:
                        sa.event.remove(engine, "before_cursor_execute", count)
                        sa.event.remove(engine, "after_cursor_execute", done)
                        n, size = len(statements), len(html or "")
                print(
                    f"  {role:<10} {name:<60} {statistics.median(times):7.1f} ms "
                    f"{n:3d} st {size / 1024:6.1f} KB"
                )
                if show_sql:
                    for line in statements:
                        print(f"        {line}")
            db.session.rollback()
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("databases", nargs="+")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--role", action="append", choices=ROLES)
    parser.add_argument("--panel", action="append", help="only panels whose name contains this")
    parser.add_argument("--sql", action="store_true", help="print the statements of each panel")
    args = parser.parse_args()
    for target in args.databases:
        measure(target, args.runs, args.role or ROLES, args.panel, args.sql)


if __name__ == "__main__":
    main()
