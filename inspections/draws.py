"""Spot-check draws (双随机, 一公开): random targets, random inspectors, conflicts excluded (回避).

A draw stores both pools, the exclusions in force when it was made and a seed from the system's
secure random source. `compute_draw` is a pure function of those stored values, so re-running a
stored draw gives exactly the same targets and inspectors.
"""

from __future__ import annotations

import logging
import math
import random
import secrets
import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, InvalidError, translate
from compliance.models import Assignment, Conflict, StaffMember, User, UserRole, Window
from compliance.notifications.services import notify_each

from .group_notices import draw_published
from .models import DRAW_TARGET_KINDS, Draw, DrawSchedule, Inspection, InspectionInspector

# Translated per recipient when the notification is written.
SPOT_CHECK_ASSIGNED = N_("Spot check assigned: %(title)s")

logger = logging.getLogger(__name__)

DRAW_ROLES = ("discipline", "admin")


def mask_name(name: str | None) -> str:
    """A person's name as the public page of a draw shows it (personal-information rules): the
    last word of the name (a leading title such as "督查员" is dropped) keeps its first character
    and every other character becomes "*"; a one-character name is "*" entirely. So 张三 -> 张*,
    张三丰 -> 张**, 欧阳娜娜 -> 欧***, "督查员 何强" -> 何*: the full name never shows."""
    words = (name or "").split()
    if not words:
        return "*"
    word = words[-1]
    if len(word) == 1:
        return "*"
    return word[0] + "*" * (len(word) - 1)


def target_pool(
    session: Session, kind: str, site_ids: list[int], post_ids: list[int] | None, day: date
) -> list[int]:
    """Ids of active windows (or active staff members with a current assignment) at the sites,
    optionally limited to posts."""
    if kind == "window":
        query = sa.select(Window.id).where(Window.site_id.in_(site_ids), Window.is_active.is_(True))
        if post_ids:
            query = query.where(
                sa.exists().where(
                    Assignment.window_id == Window.id,
                    Assignment.post_id.in_(post_ids),
                    Assignment.started_on <= day,
                    sa.or_(Assignment.ended_on.is_(None), Assignment.ended_on >= day),
                )
            )
    else:
        query = (
            sa.select(StaffMember.id)
            .join(Assignment, Assignment.staff_member_id == StaffMember.id)
            .where(
                StaffMember.status == "active",
                Assignment.site_id.in_(site_ids),
                Assignment.started_on <= day,
                sa.or_(Assignment.ended_on.is_(None), Assignment.ended_on >= day),
            )
        )
        if post_ids:
            query = query.where(Assignment.post_id.in_(post_ids))
    return sorted(set(session.scalars(query)))


def compute_exclusions(
    session: Session, kind: str, targets: list[int], inspector_ids: list[int], day: date
) -> dict[str, list[int]]:
    """For each target, the inspectors who must not check it: the inspector is the staff member,
    works at the same window, or has a recorded conflict with a staff member concerned."""
    if not targets or not inspector_ids:
        return {}
    inspector_staff = dict(
        session.execute(
            sa.select(User.id, User.staff_member_id).where(
                User.id.in_(inspector_ids), User.staff_member_id.is_not(None)
            )
        ).all()
    )
    current = (Assignment.started_on <= day) & sa.or_(
        Assignment.ended_on.is_(None), Assignment.ended_on >= day
    )
    staff_window: dict[int, set[int]] = {}
    window_staff: dict[int, set[int]] = {}
    for staff_id, window_id in session.execute(
        sa.select(Assignment.staff_member_id, Assignment.window_id).where(
            current, Assignment.window_id.is_not(None)
        )
    ):
        staff_window.setdefault(staff_id, set()).add(window_id)
        window_staff.setdefault(window_id, set()).add(staff_id)
    conflicts: dict[int, set[int]] = {}
    people = set(inspector_staff.values())
    if people:
        for a, b in session.execute(
            sa.select(Conflict.staff_a_id, Conflict.staff_b_id).where(
                sa.or_(Conflict.staff_a_id.in_(people), Conflict.staff_b_id.in_(people))
            )
        ):
            conflicts.setdefault(a, set()).add(b)
            conflicts.setdefault(b, set()).add(a)
    exclusions: dict[str, list[int]] = {}
    for target in targets:
        if kind == "staff":
            concerned = {target}
            windows = staff_window.get(target, set())
        else:
            concerned = window_staff.get(target, set())
            windows = {target}
        excluded = []
        for user_id in inspector_ids:
            own = inspector_staff.get(user_id)
            if own is None:
                continue
            if (
                own in concerned
                or staff_window.get(own, set()) & windows
                or conflicts.get(own, set()) & concerned
            ):
                excluded.append(user_id)
        if excluded:
            exclusions[str(target)] = sorted(excluded)
    return exclusions


def how_many(pool_size: int, count: int | None, percent: int | None) -> int:
    if count is not None:
        return max(0, min(pool_size, int(count)))
    return max(0, min(pool_size, math.ceil(pool_size * int(percent or 0) / 100)))


def compute_draw(
    seed: str,
    targets: list[int],
    inspectors: list[int],
    exclusions: dict[str, list[int]],
    count: int | None,
    percent: int | None,
    per_target: int,
) -> list[dict]:
    """The draw itself, a pure function of its stored inputs.

    Targets are sampled from the sorted pool; for each drawn target, `per_target` inspectors are
    picked among those not excluded, preferring the least loaded so far (ties broken at random).
    A target with fewer eligible inspectors than asked gets those there are.
    """
    rng = random.Random(int(seed, 16))
    pool = sorted(targets)
    chosen = rng.sample(pool, how_many(len(pool), count, percent))
    load = {i: 0 for i in sorted(inspectors)}
    result = []
    for target in chosen:
        excluded = set(exclusions.get(str(target), []))
        eligible = [i for i in sorted(inspectors) if i not in excluded]
        ranked = sorted((load[i], rng.random(), i) for i in eligible)
        picked = [i for _load, _tie, i in ranked[:per_target]]
        for i in picked:
            load[i] += 1
        result.append({"target": target, "inspectors": picked})
    return result


def rerun(draw: Draw) -> list[dict]:
    """Recompute a stored draw from its stored pools, exclusions and seed."""
    return compute_draw(
        draw.seed,
        draw.target_pool,
        draw.inspector_pool,
        draw.exclusions or {},
        draw.target_count,
        draw.target_percent,
        draw.inspectors_per_target,
    )


def eligible_inspectors(session: Session, user_ids: list[int]) -> list[int]:
    return sorted(
        set(
            session.scalars(
                sa.select(User.id)
                .join(UserRole, UserRole.user_id == User.id)
                .where(User.id.in_(user_ids), UserRole.role == "inspector", User.active.is_(True))
            )
        )
    )


def _no_sites() -> InvalidError:
    return InvalidError(
        "inspections.draw_no_sites", N_("Choose at least one site."), field="site_ids"
    )


def _count_or_percent() -> InvalidError:
    return InvalidError(
        "inspections.draw_count_or_percent",
        N_("Give either a number or a percentage of targets."),
        field="target_count",
    )


def _not_inspectors() -> InvalidError:
    return InvalidError(
        "inspections.draw_not_inspectors",
        N_("The inspector pool must contain active inspectors only."),
        field="inspector_ids",
    )


def create_draw(
    session: Session,
    actor: User | None,
    *,
    title: str,
    target_kind: str,
    site_ids: list[int],
    post_ids: list[int] | None,
    inspector_ids: list[int],
    target_count: int | None = None,
    target_percent: int | None = None,
    inspectors_per_target: int = 2,
    day: date,
    schedule: DrawSchedule | None = None,
    seed: str | None = None,
) -> Draw:
    """Make a draw and give each drawn target's inspectors a spot check (a draft inspection).

    Raises InvalidError when the pools are empty, the numbers are out of range or an inspector
    pool member is not an active inspector.
    """
    if target_kind not in DRAW_TARGET_KINDS:
        raise InvalidError(
            "inspections.draw_target_kind",
            N_("Choose windows or staff members as targets."),
            field="target_kind",
        )
    if not site_ids:
        raise _no_sites()
    if (target_count is None) == (target_percent is None):
        raise _count_or_percent()
    if target_count is not None and not 1 <= int(target_count) <= 1000:
        raise InvalidError(
            "inspections.draw_count_out_of_range",
            N_("The number of targets must be between 1 and 1000."),
            field="target_count",
        )
    if target_percent is not None and not 1 <= int(target_percent) <= 100:
        raise InvalidError(
            "inspections.draw_percent_out_of_range",
            N_("The percentage must be between 1 and 100."),
            field="target_percent",
        )
    if not 1 <= int(inspectors_per_target) <= 5:
        raise InvalidError(
            "inspections.draw_team_size",
            N_("Between 1 and 5 inspectors per target."),
            field="inspectors_per_target",
        )
    inspectors = eligible_inspectors(session, inspector_ids)
    if set(inspectors) != set(inspector_ids) or not inspectors:
        raise _not_inspectors()
    targets = target_pool(session, target_kind, site_ids, post_ids, day)
    if not targets:
        raise InvalidError(
            "inspections.draw_no_targets",
            N_("No targets match these sites and posts."),
            field="site_ids",
        )
    exclusions = compute_exclusions(session, target_kind, targets, inspectors, day)
    seed = seed or secrets.token_hex(32)
    result = compute_draw(
        seed,
        targets,
        inspectors,
        exclusions,
        target_count,
        target_percent,
        int(inspectors_per_target),
    )
    draw = Draw(
        title=(title or "").strip()[:120] or translate(N_("Spot check")),
        target_kind=target_kind,
        site_ids=sorted(site_ids),
        post_ids=sorted(post_ids or []),
        target_pool=targets,
        inspector_pool=inspectors,
        exclusions=exclusions,
        target_count=target_count,
        target_percent=target_percent,
        inspectors_per_target=int(inspectors_per_target),
        seed=seed,
        result=result,
        status="drawn",
        drawn_on=day,
        schedule_id=schedule.id if schedule is not None else None,
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(draw)
    session.flush()
    _create_spot_checks(session, draw)
    record(session, actor, "draw.create", draw)
    logger.info(
        "draw %s: %s of %s targets, %s inspectors",
        draw.id,
        len(result),
        len(targets),
        len(inspectors),
    )
    return draw


def _create_spot_checks(session: Session, draw: Draw) -> None:
    if draw.target_kind == "window":
        sites = dict(
            session.execute(
                sa.select(Window.id, Window.site_id).where(Window.id.in_(draw.target_pool))
            ).all()
        )
    else:
        sites = dict(
            session.execute(
                sa.select(StaffMember.id, StaffMember.site_id).where(
                    StaffMember.id.in_(draw.target_pool)
                )
            ).all()
        )
    created = []
    for entry in draw.result:
        if not entry["inspectors"]:
            continue
        inspection = Inspection(
            uuid=str(uuid.uuid4()),
            kind="spot_check",
            status="draft",
            site_id=sites[entry["target"]],
            inspector_id=entry["inspectors"][0],
            draw_id=draw.id,
            target_window_id=entry["target"] if draw.target_kind == "window" else None,
            target_staff_id=entry["target"] if draw.target_kind == "staff" else None,
        )
        inspection.team = [
            InspectionInspector(user_id=u, position=n) for n, u in enumerate(entry["inspectors"])
        ]
        session.add(inspection)
        created.append(inspection)
    session.flush()
    for inspection in created:
        notify_each(
            session,
            [session.get(User, m.user_id) for m in inspection.team],
            "spot_check_assigned",
            SPOT_CHECK_ASSIGNED,
            title=draw.title,
            link=f"/spot-checks/{inspection.uuid}",
            entity=inspection,
            dedupe_key=f"spot-check:{inspection.id}",
        )


def refresh_status(session: Session, draw: Draw) -> None:
    """A draw is done when all its spot checks are submitted."""
    if draw.status != "drawn":
        return
    open_count = session.scalar(
        sa.select(sa.func.count(Inspection.id)).where(
            Inspection.draw_id == draw.id, Inspection.status == "draft"
        )
    )
    if not open_count:
        draw.status = "done"
        session.flush()


def publish_draw(session: Session, actor: User, draw: Draw) -> Draw:
    """Publish a finished draw and its results to every signed-in user (一公开).
    Raises ConflictError while spot checks are still open or when already published."""
    refresh_status(session, draw)
    if draw.status == "published":
        raise ConflictError(
            "inspections.draw_already_published", N_("This draw is already published.")
        )
    if draw.status != "done":
        raise ConflictError(
            "inspections.draw_not_done",
            N_("The draw can be published when all its spot checks are done."),
        )
    before = {"status": draw.status}
    draw.status = "published"
    draw.published_at = utcnow()
    draw.published_by_id = actor.id
    session.flush()
    record(session, actor, "draw.publish", draw, before=before)
    draw_published(session, draw)  # the sites' WeCom/DingTalk groups
    return draw


def create_schedule(
    session: Session,
    actor: User,
    *,
    title: str,
    target_kind: str,
    site_ids: list[int],
    post_ids: list[int] | None,
    inspector_ids: list[int],
    target_count: int | None,
    target_percent: int | None,
    inspectors_per_target: int,
    weekday: int,
) -> DrawSchedule:
    """A weekly recurring draw. Raises InvalidError on invalid rules."""
    if not 0 <= int(weekday) <= 6:
        raise InvalidError(
            "inspections.schedule_weekday", N_("Choose a day of the week."), field="weekday"
        )
    inspectors = eligible_inspectors(session, inspector_ids)
    if not inspectors or set(inspectors) != set(inspector_ids):
        raise _not_inspectors()
    if target_kind not in DRAW_TARGET_KINDS or not site_ids:
        raise _no_sites()
    if (target_count is None) == (target_percent is None):
        raise _count_or_percent()
    schedule = DrawSchedule(
        title=(title or "").strip()[:120] or translate(N_("Weekly spot check")),
        target_kind=target_kind,
        site_ids=sorted(site_ids),
        post_ids=sorted(post_ids or []),
        inspector_ids=inspectors,
        target_count=target_count,
        target_percent=target_percent,
        inspectors_per_target=int(inspectors_per_target),
        weekday=int(weekday),
        created_by_id=actor.id,
    )
    session.add(schedule)
    session.flush()
    record(session, actor, "draw_schedule.create", schedule)
    return schedule


def set_schedule_active(
    session: Session, actor: User, schedule: DrawSchedule, active: bool
) -> DrawSchedule:
    """Pause or resume a recurring draw (audited)."""
    before = {"is_active": schedule.is_active}
    schedule.is_active = bool(active)
    session.flush()
    record(session, actor, "draw_schedule.update", schedule, before=before)
    return schedule
