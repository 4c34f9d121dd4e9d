"""Benchmark: a rotation proposal for 2,000 staff and 300 key posts (target: under 2 s).

Builds a district on a throw-away database (SQLite file by default, or DATABASE_URL), then times,
in the same run:
  * the whole proposal (`rotation.services.propose`: load tenure, history, rules, solve),
  * the solver alone (`rotation.planner.solve` on the built instance),
  * the bare assignment call (`scipy.optimize.linear_sum_assignment` on the cost matrix) as the
    baseline.

It also adds conflicts that bind (relatives whom the optimum puts in posts that check each
other) and times the exact branch and bound that then runs (and, with --milp, the 0/1 program).

Usage: .venv/bin/python bench/rotation_planner.py [--staff 2000] [--key-posts 300]
       [--candidates 300] [--repeat 5] [--seed 7] [--binding-conflicts 10] [--milp]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build(session, n_staff: int, n_key_posts: int, rng: random.Random, today: date) -> dict:
    from compliance.models import Assignment, Conflict, Post, Site, StaffMember, Window
    from rotation.models import PostCheckPair, PostQualification
    from training.models import Course, SessionAttendee, TrainingSession

    sites = [Site(code=f"S{i:02d}", name=f"场所{i:02d}", kind="centre") for i in range(20)]
    session.add_all(sites)
    key_posts = [
        Post(code=f"K{i:03d}", name=f"关键岗位{i:03d}", is_key=True) for i in range(n_key_posts)
    ]
    plain_posts = [Post(code=f"N{i:02d}", name=f"普通岗位{i:02d}") for i in range(20)]
    session.add_all(key_posts + plain_posts)
    session.flush()
    windows = []
    for site in sites:
        for w in range(40):
            windows.append(Window(site_id=site.id, code=f"W{w:02d}", name=f"窗口{w:02d}"))
    session.add_all(windows)
    session.flush()
    by_site = {}
    for w in windows:
        by_site.setdefault(w.site_id, []).append(w)
    # Key seats: one per key post, a second seat for a third of them (several windows share a post).
    key_seats = [(p, rng.choice(sites)) for p in key_posts]
    key_seats += [(p, rng.choice(sites)) for p in rng.sample(key_posts, n_key_posts // 3)]
    staff, assignments = [], []
    for i in range(n_staff):
        if i < len(key_seats):
            post, site = key_seats[i]
            years = rng.uniform(0.3, 4.5)
        else:
            post, site = rng.choice(plain_posts), rng.choice(sites)
            years = rng.uniform(0.3, 8)
        started = today - timedelta(days=int(years * 365))
        member = StaffMember(
            staff_no=f"B{i:05d}",
            name=f"员工{i:05d}",
            site_id=site.id,
            hired_on=started - timedelta(days=rng.randrange(0, 2000)),
            status="active",
        )
        staff.append((member, post, site, started))
    session.add_all([s[0] for s in staff])
    session.flush()
    for member, post, site, started in staff:
        window = rng.choice(by_site[site.id])
        assignments.append(
            Assignment(
                staff_member_id=member.id,
                post_id=post.id,
                site_id=site.id,
                window_id=window.id,
                started_on=started,
            )
        )
        if rng.random() < 0.4:  # a former key post: cooling-off applies
            former = rng.choice(key_posts)
            if former.id != post.id:
                assignments.append(
                    Assignment(
                        staff_member_id=member.id,
                        post_id=former.id,
                        site_id=site.id,
                        started_on=started - timedelta(days=900),
                        ended_on=started - timedelta(days=1),
                    )
                )
    session.add_all(assignments)
    courses = [Course(code=f"C{i}", title=f"课程{i}", kind="business_skills") for i in range(10)]
    session.add_all(courses)
    session.flush()
    quals = {}
    for post in rng.sample(key_posts, n_key_posts // 5):
        quals[(post.id, rng.choice(courses).id)] = "required"
    for post in rng.sample(key_posts, n_key_posts // 3):
        quals.setdefault((post.id, rng.choice(courses).id), "recommended")
    session.add_all(
        [PostQualification(post_id=p, course_id=c, kind=k) for (p, c), k in quals.items()]
    )
    start = datetime(today.year, today.month, today.day, 9) - timedelta(days=200)
    for course in courses:
        ts = TrainingSession(
            course_id=course.id,
            site_id=sites[0].id,
            place="会议室",
            trainer="讲师",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
        )
        session.add(ts)
        session.flush()
        for member, *_ in rng.sample(staff, n_staff // 2):
            session.add(
                SessionAttendee(session_id=ts.id, staff_member_id=member.id, status="present")
            )
    session.flush()
    for _ in range(30):
        a, b = sorted(rng.sample([s[0].id for s in staff], 2))
        if a != b:
            session.merge(Conflict(staff_a_id=a, staff_b_id=b, kind="relative", reason="bench"))
    pairs = set()
    for _ in range(20):
        a, b = sorted(rng.sample([p.id for p in key_posts], 2))
        if (a, b) not in pairs:
            pairs.add((a, b))
            session.add(PostCheckPair(post_a_id=a, post_b_id=b))
    session.flush()
    non_key_ids = [s[0].id for s in staff[len(key_seats) :]]
    return {"key_seats": len(key_seats), "non_key_ids": non_key_ids}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--staff", type=int, default=2000)
    parser.add_argument("--key-posts", type=int, default=300)
    parser.add_argument("--candidates", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--binding-conflicts", type=int, default=10)
    parser.add_argument("--milp", action="store_true", help="also time the 0/1 program (slow)")
    args = parser.parse_args()

    import numpy as np
    from scipy.optimize import linear_sum_assignment

    from compliance import create_app
    from compliance.db import db
    from rotation import planner, services

    tmp = tempfile.mkdtemp(prefix="rotbench")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": tmp})
    rng = random.Random(args.seed)
    today = date(2026, 6, 1)
    with app.app_context():
        db.create_all()
        t0 = time.perf_counter()
        info = build(db.session, args.staff, args.key_posts, rng, today)
        db.session.commit()
        build_s = time.perf_counter() - t0
        candidates = rng.sample(info["non_key_ids"], min(args.candidates, len(info["non_key_ids"])))

        whole, solver_only, lsa_only, build_only = [], [], [], []
        proposal = None
        for _ in range(args.repeat):
            db.session.remove()  # a fresh session per proposal, as in a request
            t = time.perf_counter()
            proposal = services.propose(db.session, today, candidates)
            whole.append(time.perf_counter() - t)
            t = time.perf_counter()
            services.build_instance(db.session, today, candidates)
            build_only.append(time.perf_counter() - t)
            inst = proposal.context.instance
            t = time.perf_counter()
            planner.solve(inst)
            solver_only.append(time.perf_counter() - t)
            cost, *_rest = planner.cost_matrix(inst)
            finite = np.where(np.isfinite(cost), cost, 1e15)
            t = time.perf_counter()
            linear_sum_assignment(finite)
            lsa_only.append(time.perf_counter() - t)
        inst = proposal.context.instance
        result = proposal.result
        # Conflicts that bind: relatives put by the optimum into posts that now check each other.
        import copy

        bound_inst = copy.copy(inst)
        bound_inst.conflicts = {k: set(v) for k, v in inst.conflicts.items()}
        bound_inst.check_pairs = set(inst.check_pairs)
        moves = list(result.moves) if proposal.ok else []
        rng.shuffle(moves)
        for m1, m2 in list(zip(moves[0::2], moves[1::2], strict=False))[: args.binding_conflicts]:
            if m1.seat.post_id != m2.seat.post_id:
                bound_inst.check_pairs.add(frozenset((m1.seat.post_id, m2.seat.post_id)))
                bound_inst.conflicts.setdefault(m1.person.id, set()).add(m2.person.id)
                bound_inst.conflicts.setdefault(m2.person.id, set()).add(m1.person.id)
        t = time.perf_counter()
        exact = planner.solve(bound_inst)
        bnb_s = time.perf_counter() - t
        milp_s = None
        if args.milp:
            t = time.perf_counter()
            reference = planner.solve(bound_inst, method="milp")
            milp_s = time.perf_counter() - t
        must = sum(p.must_move for p in inst.people)
        print(f"database: {url.split(':')[0]}; data built in {build_s:.1f} s")
        print(
            f"staff {args.staff}, key posts {args.key_posts}, key seats {info['key_seats']}, "
            f"must move {must}, candidates {len(candidates)}, people in the problem {len(inst.people)}"
        )
        if proposal.ok:
            print(
                f"proposal: {len(result.moves)} moves, solver {result.solver}, cost {result.cost:.0f}"
            )
        else:
            print(
                f"proposal infeasible: {len(result.violations)} blocking findings, e.g. "
                f"{result.violations[0].text()[:200]}"
            )
        med = statistics.median
        print(
            f"whole proposal (median of {args.repeat}): {med(whole) * 1000:.0f} ms "
            f"(max {max(whole) * 1000:.0f} ms) — target < 2000 ms"
        )
        print(f"  loading facts (build_instance): {med(build_only) * 1000:.0f} ms")
        print(f"  solver alone (planner.solve incl. rule matrix): {med(solver_only) * 1000:.0f} ms")
        print(
            f"  baseline: bare linear_sum_assignment {len(inst.people)}x{len(inst.people)}: "
            f"{med(lsa_only) * 1000:.1f} ms"
        )
        print(
            f"  with {args.binding_conflicts} binding conflicts between movers: "
            f"{bnb_s * 1000:.0f} ms, solver {getattr(exact, 'solver', 'infeasible')}, "
            f"cost {getattr(exact, 'cost', float('nan')):.0f}"
        )
        if milp_s is not None:
            print(
                f"  same, exact 0/1 program (milp): {milp_s * 1000:.0f} ms, cost "
                f"{getattr(reference, 'cost', float('nan')):.0f}"
            )
        ok = med(whole) < 2.0
        print("PASS" if ok else "FAIL", "target: proposal under 2 s")
        db.session.remove()
        db.engine.dispose()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
