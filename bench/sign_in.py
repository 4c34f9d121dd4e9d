"""Sign-in cost and its effect on writers (issue 17: "sign-in that never stalls the hall").

1. CPU per sign-in: `verify_password` of a stored hash at the configured method (argon2id,
   OWASP parameters) and a whole `POST /login` through the test client (process CPU time,
   median of --repeat). Target: <= 150 ms.
2. A wave of sign-ins on SQLite (a WAL file): --threads threads sign in over and over (each its
   own client) while one writer thread runs short write transactions (`BEGIN IMMEDIATE`, one
   insert, commit) every 20 ms; the writer's latency (begin to commit) is what a patrol
   submission would wait. Run twice in the same process: with the bound (SIGN_IN_CONCURRENCY=2,
   the default) and with it switched off (0) as the baseline; a writer alone (no sign-ins) is the
   floor. Sign-ins refused with 503 (all slots busy past SIGN_IN_WAIT_SECONDS) are counted.

Usage: .venv/bin/python bench/sign_in.py [--threads 8] [--seconds 8] [--repeat 15]
The machine is shared (2 cores): read the writer figures against the writer-alone floor.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

PASSWORD = "correct-horse-42"


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def make_app(folder: str, concurrency: int):
    from compliance import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/signin.db",
            "INSTANCE_PATH": folder,
            "SECRET_KEY": "bench",
            "AUDIT_KEY": "bench",
            "AUDIT_CHECKPOINT_DIR": "",
            "WTF_CSRF_ENABLED": False,
            "SIGN_IN_CONCURRENCY": concurrency,
            "SIGN_IN_WAIT_SECONDS": 2.0,
        }
    )


def wave(folder: str, concurrency: int, threads: int, seconds: float, users: list[str]) -> dict:
    """Sign-ins in `threads` threads plus one writer for `seconds`; the writer's latencies."""
    app = make_app(folder, concurrency)
    stop = threading.Event()
    sign_ins: list[float] = []
    refused = [0]
    lock = threading.Lock()

    def signer(k: int) -> None:
        client = app.test_client()
        n = 0
        while not stop.is_set():
            name = users[(k + n * threads) % len(users)]
            n += 1
            started = time.perf_counter()
            response = client.post("/login", data={"username": name, "password": PASSWORD})
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if response.status_code == 503:
                    refused[0] += 1
                else:
                    sign_ins.append(elapsed)
            client.post("/logout")

    waits: list[float] = []

    def writer() -> None:
        conn = sqlite3.connect(f"{folder}/signin.db", timeout=30, isolation_level=None)
        while not stop.is_set():
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO bench_writer (at) VALUES (?)", (time.time(),))
            conn.execute("COMMIT")
            waits.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)
        conn.close()

    workers = [threading.Thread(target=signer, args=(k,)) for k in range(threads)]
    workers.append(threading.Thread(target=writer))
    for t in workers:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in workers:
        t.join(60)
    return {"sign_ins": sign_ins, "refused": refused[0], "waits": waits}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    from compliance.accounts import create_user
    from compliance.auth.passwords import verify_password
    from compliance.db import db
    from compliance.migrate import upgrade
    from compliance.uow import unit_of_work

    folder = tempfile.mkdtemp(prefix="signin-bench-")
    app = make_app(folder, 2)
    users = [f"bench{k}" for k in range(args.threads * 4)]
    with app.app_context():
        upgrade()
        with unit_of_work() as session:
            for name in users:
                create_user(
                    session,
                    None,
                    username=name,
                    display_name=name,
                    roles=["inspector"],
                    password=PASSWORD,
                    hash_method=app.config["PASSWORD_HASH_METHOD"],
                    all_sites=True,
                )
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE bench_writer (id INTEGER PRIMARY KEY, at REAL)")
        stored = db.session.scalar(
            sa.text("SELECT password_hash FROM user_account WHERE username = 'bench0'")
        )
        db.session.rollback()
        db.engine.dispose()

    method = app.config["PASSWORD_HASH_METHOD"]
    cpu = []
    for _ in range(args.repeat):
        t = time.process_time()
        assert verify_password(stored, PASSWORD)
        cpu.append((time.process_time() - t) * 1000)
    client = app.test_client()
    request_cpu, request_wall = [], []
    for k in range(args.repeat):
        t, w = time.process_time(), time.perf_counter()
        response = client.post(
            "/login", data={"username": users[k % len(users)], "password": PASSWORD}
        )
        request_cpu.append((time.process_time() - t) * 1000)
        request_wall.append((time.perf_counter() - w) * 1000)
        assert response.status_code == 302, response.status_code
        client.post("/logout")
    print(f"password hash method: {method}")
    print(
        f"verify_password CPU: median {statistics.median(cpu):.1f} ms "
        f"(target <= 150 ms); whole POST /login: CPU median {statistics.median(request_cpu):.1f} "
        f"ms, wall median {statistics.median(request_wall):.1f} ms"
    )

    floor = wave(folder, 2, 0, args.seconds / 2, users)
    print(
        f"\nwriter alone: {len(floor['waits'])} transactions, latency p50 "
        f"{pct(floor['waits'], 0.5):.1f} ms, p95 {pct(floor['waits'], 0.95):.1f} ms, "
        f"max {max(floor['waits'] or [0]):.1f} ms"
    )
    print(
        f"{args.threads} threads signing in for {args.seconds:.0f} s + one writer "
        "(BEGIN IMMEDIATE, insert, commit every 20 ms):"
    )
    print(
        f"{'bound':<22} {'sign-ins':>8} {'503':>5} {'sign-in p50/p95 ms':>20} "
        f"{'writer p50/p95/max ms':>24}"
    )
    figures = {}
    for label, size in (("SIGN_IN_CONCURRENCY=0", 0), ("SIGN_IN_CONCURRENCY=2", 2)):
        run = wave(folder, size, args.threads, args.seconds, users)
        figures[size] = run
        print(
            f"{label:<22} {len(run['sign_ins']):>8} {run['refused']:>5} "
            f"{pct(run['sign_ins'], 0.5):>9.0f} / {pct(run['sign_ins'], 0.95):<8.0f} "
            f"{pct(run['waits'], 0.5):>8.1f} / {pct(run['waits'], 0.95):.1f} / "
            f"{max(run['waits'] or [0]):.1f}"
        )
    base, bounded = figures[0]["waits"], figures[2]["waits"]
    if base and bounded:
        print(
            f"writer p95 with the bound / without: {pct(bounded, 0.95) / pct(base, 0.95):.2f}; "
            f"writer-alone p95 {pct(floor['waits'], 0.95):.1f} ms"
        )


if __name__ == "__main__":
    main()
