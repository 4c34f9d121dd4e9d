"""A supervised year built straight from the models, for the dashboards and the year in review.

Three sites: HOME (a centre) with HALL below it, and OTHER outside a centre head's scope. A
seeded random generator spreads patrols, spot checks, findings (with rectifications in every
state), commendations and complaints, training sessions and meetings, onboarding plans and
pairings, and rotation moves over the year and a little beyond it; fixed rows sit on the local
month and year boundaries (Asia/Shanghai is UTC+8: 16:00 UTC is already the next local day).

`scale` multiplies the random rows (the statement-count tests compare two scales). The tests
recompute every figure from the rows in Python, independently of the SQL under test."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from compliance.db import db
from compliance.models import Assignment, Post, Site, StaffMember, Window

YEAR = 2025
CATEGORIES = ("attendance", "attire", "hygiene", "conduct")


@dataclass
class World:
    home: Site
    hall: Site
    other: Site
    items: list = field(default_factory=list)
    staff: dict = field(default_factory=dict)  # site code -> [StaffMember]
    posts: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    courses: dict = field(default_factory=dict)

    @property
    def sites(self) -> list[Site]:
        return [self.home, self.hall, self.other]


def _utc(day: date, hour: int = 2, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def _day_in(rng: random.Random, year: int, spill: bool = True) -> date:
    """A day of `year`, or now and then one of the weeks around it."""
    start = date(year, 1, 1) - timedelta(days=20 if spill else 0)
    span = 365 + (40 if spill else 0)
    return start + timedelta(days=rng.randrange(span))


def build_world(make_site, make_user, scale: int = 1, seed: int = 7, year: int = YEAR) -> World:
    from inspections.models import CheckItem, CheckItemVersion, Finding, Inspection
    from inspections.rectification.models import ConductRecord, Rectification
    from rotation.models import RotationMove, RotationPlan
    from training.models import (
        Course,
        MentorPairing,
        OnboardingPlan,
        OnboardingPlanItem,
        SessionAttendee,
        TrainingSession,
    )

    rng = random.Random(seed)
    s = db.session
    tag = uuid.uuid4().hex[:4]
    home = make_site(code=f"HOME{tag}", name="本中心")
    hall = make_site(code=f"HALL{tag}", name="本中心片区", kind="hall", parent=home)
    other = make_site(code=f"OTHER{tag}", name="他中心")
    w = World(home, hall, other)
    w.posts = {
        "plain": Post(code=f"PL{tag}", name="综合受理", is_key=False),
        "key1": Post(code=f"K1{tag}", name="收费", is_key=True),
        "key2": Post(code=f"K2{tag}", name="审批", is_key=True),
    }
    s.add_all(w.posts.values())
    windows = {}
    for site in w.sites:
        windows[site.code] = Window(site_id=site.id, code="A01", name="综合")
        s.add(windows[site.code])
    s.flush()
    n = 0
    for site in w.sites:
        w.staff[site.code] = []
        for i in range(4):
            n += 1
            member = StaffMember(
                staff_no=f"Y{tag}{n:03d}",
                name=f"员工{n}",
                site=site,
                hired_on=date(year - 3, 3, 1),
                status="active",
            )
            s.add(member)
            s.flush()
            post = w.posts["key1" if i == 0 else "key2" if i == 1 else "plain"]
            s.add(
                Assignment(
                    staff_member=member,
                    post=post,
                    site=site,
                    window=windows[site.code],
                    started_on=member.hired_on,
                )
            )
            w.staff[site.code].append(member)
    s.flush()
    inspector = make_user(roles=("inspector",), sites=[home, other], display_name="督查员")
    w.users["inspector"] = inspector
    for i, category in enumerate(CATEGORIES):
        item = CheckItem(code=f"{tag}{i}", category=category, target="staff", sort_order=i)
        s.add(item)
        s.flush()
        version = CheckItemVersion(
            item_id=item.id,
            version=1,
            text_zh=f"检查项{i}",
            text_en=f"Item {i}",
            severity="minor",
            points=1,
        )
        s.add(version)
        s.flush()
        item.current_version_id = version.id
        w.items.append((item, version))

    def finding_at(site: Site, found_at: datetime, item_index: int | None = None):
        index = rng.randrange(len(w.items)) if item_index is None else item_index
        item, version = w.items[index]
        member = rng.choice(w.staff[site.code])
        inspection = Inspection(
            uuid=str(uuid.uuid4()),
            kind=rng.choice(("patrol", "patrol", "spot_check")),
            status="submitted",
            site_id=site.id,
            inspector_id=inspector.id,
            started_at=found_at - timedelta(minutes=20),
            submitted_at=found_at,
        )
        s.add(inspection)
        s.flush()
        finding = Finding(
            inspection_id=inspection.id,
            item_version_id=version.id,
            category=item.category,
            target="staff",
            site_id=site.id,
            staff_member_id=member.id,
            severity="minor",
            description=version.text_zh,
            found_by_id=inspector.id,
            found_at=found_at,
        )
        s.add(finding)
        s.flush()
        opened = found_at.date()
        deadline = opened + timedelta(days=rng.choice((0, 3, 7)))
        rect = Rectification(
            source="finding",
            finding_id=finding.id,
            site_id=site.id,
            category=item.category,
            severity="minor",
            title=finding.description,
            responsible_staff_id=member.id,
            opened_at=found_at,
            opened_on=opened,
            first_deadline_on=deadline,
            deadline_on=deadline,
        )
        state = rng.choice(("open", "responded", "verified", "verified", "verified"))
        rect.status = state
        if state == "verified":
            closed = opened + timedelta(days=rng.randrange(0, 15))
            rect.closed_on = closed
            rect.closed_at = _utc(closed)
            rect.closed_on_time = closed <= deadline
            rect.days_to_close = (closed - opened).days
        s.add(rect)

    # Rounds and findings: random, and on the local month and year boundaries.
    for _ in range(30 * scale):
        site = rng.choice(w.sites)
        day = _day_in(rng, year)
        if rng.random() < 0.35:
            # A round without findings (and now and then a draft, which never counts).
            s.add(
                Inspection(
                    uuid=str(uuid.uuid4()),
                    kind=rng.choice(("patrol", "spot_check")),
                    status=rng.choice(("submitted", "submitted", "draft")),
                    site_id=site.id,
                    inspector_id=inspector.id,
                    started_at=_utc(day, 1),
                    submitted_at=_utc(day, rng.choice((1, 15, 16, 17))),
                )
            )
        else:
            finding_at(site, _utc(day, rng.choice((1, 9, 15, 16, 23))))
    boundaries = [
        datetime(year, 1, 31, 15, 59),  # 23:59 on 31 January, local
        datetime(year, 1, 31, 16, 0),  # 00:00 on 1 February, local
        datetime(year - 1, 12, 31, 16, 30),  # 00:30 on 1 January, local: in the year
        datetime(year, 12, 31, 16, 0),  # 00:00 on 1 January of the next year: outside
        datetime(year - 1, 12, 31, 15, 0),  # 23:00 on 31 December before: outside
    ]
    for at in boundaries:
        finding_at(home, at, 0)
        finding_at(hall, at, 1)

    # Commendations and complaints.
    for _ in range(12 * scale):
        site = rng.choice(w.sites)
        kind = rng.choice(("commendation", "complaint"))
        s.add(
            ConductRecord(
                kind=kind,
                source="letter",
                staff_member_id=rng.choice(w.staff[site.code]).id,
                site_id=site.id,
                received_on=_day_in(rng, year),
                text="来信",
                outcome=rng.choice(("pending", "upheld", "not_upheld"))
                if kind == "complaint"
                else None,
            )
        )

    # Training: thematic meetings on two topics, pre-job courses, a cancelled meeting.
    for code, title, kind in (
        ("TM1", "专题会议：一网通办", "thematic_meeting"),
        ("TM2", "专题会议：纪律作风", "thematic_meeting"),
        ("PJ1", "岗前培训：服务规范", "pre_job"),
        ("PJ2", "岗前培训：业务系统", "pre_job"),
    ):
        w.courses[code] = Course(code=f"{code}{tag}", title=title, kind=kind)
    s.add_all(w.courses.values())
    s.flush()

    def session_at(code: str, site: Site, starts: datetime, status: str = "scheduled"):
        ts = TrainingSession(
            course_id=w.courses[code].id,
            site_id=site.id,
            place="会议室",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            trainer="讲师",
            status=status,
        )
        s.add(ts)
        s.flush()
        return ts

    for _ in range(10 * scale):
        site = rng.choice(w.sites)
        ts = session_at(
            rng.choice(("TM1", "TM1", "TM2", "PJ1")),
            site,
            _utc(_day_in(rng, year), rng.choice((1, 9, 16))),
            rng.choice(("scheduled", "scheduled", "scheduled", "cancelled")),
        )
        for member in rng.sample(w.staff[site.code], 2):
            s.add(
                SessionAttendee(
                    session_id=ts.id,
                    staff_member_id=member.id,
                    status=rng.choice(("present", "late", "absent", None)),
                )
            )

    # New staff: hired in the year, some finish pre-job training, mentoring, both.
    for _i in range(6 * scale):
        site = rng.choice(w.sites)
        n += 1
        hired = date(year, 1, 1) + timedelta(days=rng.randrange(0, 330))
        member = StaffMember(
            staff_no=f"Y{tag}{n:03d}", name=f"新人{n}", site=site, hired_on=hired, status="active"
        )
        s.add(member)
        s.flush()
        plan = OnboardingPlan(
            staff_member_id=member.id,
            starts_on=hired,
            pairing_due_on=hired + timedelta(days=14),
            sign_off_due_on=hired + timedelta(days=100),
            status="active",
        )
        plan.items = [
            OnboardingPlanItem(course_id=w.courses["PJ1"].id, due_on=hired + timedelta(days=14)),
            OnboardingPlanItem(course_id=w.courses["PJ2"].id, due_on=hired + timedelta(days=30)),
        ]
        s.add(plan)
        s.flush()
        done_courses = rng.choice((0, 1, 2, 2))
        last = None
        for k, code in enumerate(("PJ1", "PJ2")[:done_courses]):
            day = hired + timedelta(days=rng.randrange(3, 60) + k)
            ts = session_at(code, site, _utc(day, rng.choice((1, 17))))
            s.add(SessionAttendee(session_id=ts.id, staff_member_id=member.id, status="present"))
            last = day
        signed = rng.random() < 0.6
        mentor = w.staff[site.code][2]
        pairing = MentorPairing(
            kind="onboarding",
            mentor_id=mentor.id,
            mentee_id=member.id,
            starts_on=hired + timedelta(days=5),
            ends_on=hired + timedelta(days=90),
            status="signed_off" if signed else rng.choice(("active", "ended")),
        )
        if signed:
            pairing.signed_off_on = hired + timedelta(days=rng.randrange(60, 120))
        s.add(pairing)
        if signed and done_courses == 2:
            plan.status = "completed"
            plan.completed_on = max(pairing.signed_off_on, last)
    s.flush()

    # Rotation: executed moves between key posts (and one to a plain post), a planned move, and
    # executed moves outside the year.
    plan = RotationPlan(title="轮岗", planning_on=date(year, 1, 1), status="executed")
    s.add(plan)
    s.flush()
    for i in range(5 * scale):
        site = rng.choice(w.sites)
        member = rng.choice(w.staff[site.code])
        n += 1
        seat_holder = rng.choice(w.staff[site.code])
        from_assignment = member.assignments[0] if member.assignments else None
        if from_assignment is None:
            continue
        to_post = rng.choice(list(w.posts.values()))
        effective = _day_in(rng, year)
        status = rng.choice(("executed", "executed", "executed", "planned"))
        s.add(
            RotationMove(
                plan_id=plan.id,
                staff_member_id=member.id,
                from_assignment_id=from_assignment.id,
                seat_assignment_id=from_assignment.id,
                predecessor_id=seat_holder.id,
                to_post_id=to_post.id,
                to_site_id=site.id,
                effective_on=effective,
                status=status,
            )
        )
        plan = RotationPlan(title=f"轮岗{i}", planning_on=effective, status="executed")
        s.add(plan)
        s.flush()
    s.commit()
    return w
