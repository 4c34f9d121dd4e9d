"""The planner is optimal: on random small instances its cost equals brute force over every
permutation, including instances whose recorded conflicts force the exact 0/1 program."""

from __future__ import annotations

import random
from datetime import date

import pytest
from rotation_brute_force import brute_force

from rotation.planner import (
    ALL_RULES,
    RULE_COOLING_OFF,
    RULE_QUALIFICATION,
    Infeasible,
    Instance,
    Person,
    PostInfo,
    Seat,
    Solution,
    arc_violations,
    solve,
)

TODAY = date(2026, 6, 1)


def random_instance(rng: random.Random, n: int, conflicts: int = 0) -> Instance:
    posts = {
        1: PostInfo(
            1,
            "K1",
            True,
            required=frozenset({100}) if rng.random() < 0.5 else frozenset(),
            recommended=frozenset({101}),
        ),
        2: PostInfo(
            2, "K2", True, recommended=frozenset({102}) if rng.random() < 0.7 else frozenset()
        ),
        3: PostInfo(3, "K3", True),
        4: PostInfo(4, "N1", False),
        5: PostInfo(5, "N2", False),
    }
    people = []
    for i in range(n):
        post = rng.choice([1, 2, 3, 1, 2, 3, 4, 5])
        site = rng.choice([10, 11])
        window = rng.choice([None, 20, 21, 22, 23, 24])
        seat = Seat(
            id=1000 + i,
            holder_id=i + 1,
            post_id=post,
            site_id=site,
            window_id=window,
            is_key=posts[post].is_key,
            label=f"s{i}",
        )
        must = posts[post].is_key and rng.random() < 0.5
        person = Person(
            id=i + 1,
            name=f"p{i + 1}",
            seat=seat,
            must_move=must,
            completed=frozenset(c for c in (100, 101, 102) if rng.random() < 0.6),
        )
        if not must and rng.random() < 0.15:
            person.block = ("interval", "%(name)s moved recently", {"name": person.name})
        if rng.random() < 0.3:
            person.cooling_until[rng.choice([1, 2, 3])] = date(2027, 1, 1)
        people.append(person)
    inst = Instance(TODAY, people, posts, names={p.id: p.name for p in people})
    if rng.random() < 0.5:
        inst.check_pairs.add(frozenset((1, 2)))
    for _ in range(conflicts):
        a, b = rng.sample(range(1, n + 1), 2)
        inst.conflicts.setdefault(a, set()).add(b)
        inst.conflicts.setdefault(b, set()).add(a)
    if rng.random() < 0.4:  # a conflicted person who does not move, sitting at a window
        fixed_id = 99
        inst.fixed_seats[fixed_id] = Seat(9999, fixed_id, 3, 10, 20, True, "fixed")
        victim = rng.randrange(1, n + 1)
        inst.conflicts.setdefault(victim, set()).add(fixed_id)
    return inst


@pytest.mark.parametrize("seed", range(120))
def test_planner_cost_equals_brute_force_on_random_instances(seed):
    rng = random.Random(seed)
    inst = random_instance(rng, n=rng.choice([5, 6, 7]), conflicts=rng.choice([0, 1, 2, 3]))
    expected = brute_force(inst)
    result = solve(inst)
    if expected is None:
        assert isinstance(result, Infeasible)
        assert result.violations
        assert all(v.rule in ALL_RULES and v.text() for v in result.violations)
    else:
        assert isinstance(result, Solution), result
        assert result.cost == pytest.approx(expected)
        # The plan breaks no rule and moves every must-mover.
        moved = {m.person.id for m in result.moves}
        assert {p.id for p in inst.people if p.must_move} <= moved
        for m in result.moves:
            assert not arc_violations(inst, m.person, m.seat)
        assert len({m.seat.id for m in result.moves}) == len(result.moves)


@pytest.mark.parametrize("method", ["bnb", "milp"])
@pytest.mark.parametrize("seed", range(40))
def test_exact_methods_match_brute_force_when_conflicts_couple_people(seed, method):
    rng = random.Random(1000 + seed)
    inst = random_instance(rng, n=6, conflicts=3)
    expected = brute_force(inst)
    result = solve(inst, method=method)
    if expected is None:
        assert isinstance(result, Infeasible)
    else:
        assert isinstance(result, Solution)
        assert result.cost == pytest.approx(expected)


def _seat(i, post, site=10, window=None, key=True):
    return Seat(
        id=100 + i,
        holder_id=i,
        post_id=post,
        site_id=site,
        window_id=window,
        is_key=key,
        label=f"seat{i}",
    )


def _posts():
    return {
        1: PostInfo(1, "收费收款", True),
        2: PostInfo(2, "城管审批", True),
        3: PostInfo(3, "综合受理", False),
    }


def test_two_overdue_holders_swap_and_nobody_else_moves():
    posts = _posts()
    a = Person(1, "王伟", _seat(1, 1), must_move=True)
    b = Person(2, "李娜", _seat(2, 2), must_move=True)
    c = Person(3, "张敏", _seat(3, 3, key=False))  # a candidate who need not move
    result = solve(Instance(TODAY, [a, b, c], posts))
    assert isinstance(result, Solution)
    assert {(m.person.name, m.seat.post_id) for m in result.moves} == {("王伟", 2), ("李娜", 1)}


def test_prefers_same_site_then_trained_person():
    posts = {1: PostInfo(1, "K1", True, recommended=frozenset({7})), 3: PostInfo(3, "N", False)}
    mover = Person(1, "mover", _seat(1, 1, site=10), must_move=True)
    far = Person(2, "far", _seat(2, 3, site=11, key=False), completed=frozenset({7}))
    near_untrained = Person(3, "near", _seat(3, 3, site=10, key=False))
    near_trained = Person(
        4, "near-trained", _seat(4, 3, site=10, key=False), completed=frozenset({7})
    )
    result = solve(Instance(TODAY, [mover, far, near_untrained, near_trained], posts))
    assert isinstance(result, Solution)
    assert {m.person.name for m in result.moves} == {"mover", "near-trained"}


def test_infeasible_names_person_and_blocking_rule():
    posts = {
        1: PostInfo(1, "收费收款", True),
        2: PostInfo(2, "城管审批", True, required=frozenset({5})),
    }
    a = Person(1, "王伟", _seat(1, 1), must_move=True)
    b = Person(2, "李娜", _seat(2, 2), must_move=True, completed=frozenset({5}))
    inst = Instance(TODAY, [a, b], posts, course_names={5: "城管业务"})
    result = solve(inst)
    assert isinstance(result, Infeasible)
    texts = [v.text() for v in result.violations]
    assert any("王伟" in t and "城管业务" in t for t in texts), texts
    assert result.violations[0].rule == RULE_QUALIFICATION


def test_infeasible_cooling_off_is_named():
    posts = _posts()
    a = Person(1, "王伟", _seat(1, 1), must_move=True, cooling_until={2: date(2027, 3, 1)})
    b = Person(2, "李娜", _seat(2, 2), must_move=True)
    result = solve(Instance(TODAY, [a, b], posts))
    assert isinstance(result, Infeasible)
    assert result.violations[0].rule == RULE_COOLING_OFF
    assert "2027-03-01" in result.violations[0].text()


def test_conflict_in_same_window_forces_other_arrangement():
    posts = {1: PostInfo(1, "K1", True), 2: PostInfo(2, "K2", True), 3: PostInfo(3, "K3", True)}
    # p1 and p2 are relatives; p3 sits in window 50 with p2's seat... p1 must not join p2's window.
    p1 = Person(1, "p1", _seat(1, 1, window=40), must_move=True)
    p2 = Person(2, "p2", _seat(2, 2, window=50))
    p3 = Person(3, "p3", _seat(3, 3, window=50), must_move=True)
    inst = Instance(TODAY, [p1, p2, p3], posts, conflicts={1: {2}, 2: {1}})
    result = solve(inst)
    assert isinstance(result, Solution)
    expected = brute_force(inst)
    assert result.cost == pytest.approx(expected)
    final = {m.person.id: m.seat for m in result.moves}
    seat1 = final.get(1, p1.seat)
    seat2 = final.get(2, p2.seat)
    assert seat1.window_id != seat2.window_id


def test_random_instances_exercise_every_solver_path():
    seen = set()
    for seed in range(120):
        rng = random.Random(seed)
        inst = random_instance(rng, n=rng.choice([5, 6, 7]), conflicts=rng.choice([0, 1, 2, 3]))
        result = solve(inst)
        seen.add(result.solver if isinstance(result, Solution) else "infeasible")
    assert {"assignment", "branch-and-bound", "infeasible"} <= seen
