"""Random small centres built in the database: the proposal equals brute force over every
permutation, and the plan validator (written separately from the solver) accepts it."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rotation_brute_force import brute_force
from rotation_helpers import TODAY

from compliance.db import db
from compliance.models import Assignment, Conflict
from rotation import services
from rotation.services import MoveSpec


@pytest.mark.parametrize("seed", range(8))
def test_random_centre_proposal_is_optimal_and_valid(
    seed, make_site, make_post, make_window, make_staff, make_user
):
    rng = random.Random(seed)
    sites = [make_site(), make_site()]
    keys = [make_post(is_key=True) for _ in range(3)]
    plain = make_post()
    windows = [make_window(site=rng.choice(sites)) for _ in range(4)]
    staff = []
    for _ in range(6):
        post = rng.choice([*keys, *keys, plain])
        window = rng.choice(windows)
        years = rng.choice([0.5, 1.5, 3.5, 4.5])
        member = make_staff(
            site=window.site,
            post=post,
            window=window,
            started_on=TODAY - timedelta(days=int(years * 365)),
        )
        staff.append(member)
        if rng.random() < 0.3:  # an earlier key post: cooling-off
            former = rng.choice(keys)
            if former.id != post.id:
                start = TODAY - timedelta(days=int(years * 365))
                db.session.add(
                    Assignment(
                        staff_member_id=member.id,
                        post_id=former.id,
                        site_id=window.site_id,
                        started_on=start - timedelta(days=700),
                        ended_on=start - timedelta(days=1),
                    )
                )
    if rng.random() < 0.5:
        services.add_check_pair(db.session, make_user(roles=("admin",)), keys[0], keys[1])
    for _ in range(rng.choice([0, 1, 2])):
        a, b = sorted(rng.sample([s.id for s in staff], 2))
        if not db.session.scalar(
            sa.select(Conflict.id).where(Conflict.staff_a_id == a, Conflict.staff_b_id == b)
        ):
            db.session.add(Conflict(staff_a_id=a, staff_b_id=b, kind="relative", reason="test"))
    db.session.commit()
    candidates = [s.id for s in staff]
    proposal = services.propose(db.session, TODAY, candidates)
    expected = brute_force(proposal.context.instance)
    if expected is None:
        assert not proposal.ok and proposal.result.violations
        return
    assert proposal.ok
    assert proposal.result.cost == pytest.approx(expected)
    due = {p.id for p in proposal.context.instance.people if p.must_move}
    assert due <= {m.person.id for m in proposal.result.moves}
    if proposal.result.moves:
        specs = [MoveSpec(m.person.id, m.seat.id, TODAY) for m in proposal.result.moves]
        assert services.validate_moves(db.session, TODAY, specs, required_ids=due) == []
