"""A month of findings, complaints, commendations and rectifications at one site, built from the
models, for the monthly-assessment tests (March 2025; the scheme of the demo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pytest

from compliance.db import db
from tests.statements import count_queries

MONTH = date(2025, 3, 1)
AFTER_CLOSE_DAY = date(2025, 4, 7)
HIRED = date(2024, 1, 2)


@dataclass
class Month:
    site: object
    other: object
    windows: list
    staff: list
    users: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)
    findings: dict = field(default_factory=dict)
    scheme: object = None


def _at(day: int, hour: int = 2) -> datetime:
    return datetime(2025, 3, day, hour, 0)  # 10:00 in Asia/Shanghai


@pytest.fixture
def month(app, make_site, make_window, make_staff, make_post, make_user):
    from evaluation.services import create_scheme
    from inspections.models import CheckItem, CheckItemVersion, Finding
    from inspections.rectification.models import ConductRecord, Rectification, WindowKeeper
    from training.models import MentorPairing

    site = make_site(code="EV1", name="考评中心")
    other = make_site(code="EV2", name="别处中心")
    w1 = make_window(site=site, code="A01", name="综合窗口")
    w2 = make_window(site=site, code="A02", name="社保窗口")
    post = make_post(code="EVP", name="受理岗")
    zhang = make_staff(site=site, window=w1, post=post, name="张三", hired_on=HIRED)
    li = make_staff(site=site, window=w1, post=post, name="李四", hired_on=HIRED)
    wang = make_staff(site=site, window=w2, post=post, name="王五", hired_on=HIRED)
    zhao = make_staff(site=other, post=post, name="赵六", hired_on=HIRED)
    admin = make_user(roles=("admin",), username="ev_admin")
    inspector = make_user(roles=("inspector",), username="ev_insp")
    discipline = make_user(roles=("discipline",), username="ev_disc")
    users = {
        "admin": admin,
        "inspector": inspector,
        "discipline": discipline,
        "zhang": make_user(roles=("staff",), staff_member=zhang, username="ev_zhang"),
        "wang": make_user(roles=("staff",), staff_member=wang, username="ev_wang"),
        "li": make_user(roles=("staff",), staff_member=li, username="ev_li"),
    }
    scheme = create_scheme(db.session, admin, date(2025, 1, 1), {})
    items = {}
    for code, category, target, severity, points in (
        ("EV-ATT", "attendance", "staff", "minor", 2),
        ("EV-DRS", "attire", "staff", "major", 3),
        ("EV-HYG", "hygiene", "window", "minor", 1),
        ("EV-SRV", "conduct", "staff", "critical", 5),
        ("EV-HALL", "hygiene", "area", "minor", 2),
    ):
        item = CheckItem(code=code, category=category, target=target)
        db.session.add(item)
        db.session.flush()
        version = CheckItemVersion(
            item_id=item.id,
            text_zh=code,
            text_en=code,
            severity=severity,
            points=points,
        )
        db.session.add(version)
        db.session.flush()
        item.current_version_id = version.id
        items[code] = version

    def finding(code, day, staff=None, window=None, severity=None):
        version = items[code]
        item = db.session.get(CheckItem, version.item_id)
        row = Finding(
            item_version_id=version.id,
            category=item.category,
            target=item.target,
            site_id=site.id,
            window_id=window.id if window else (None if staff is None else None),
            staff_member_id=staff.id if staff else None,
            severity=severity or version.severity,
            description=f"{code} {day}",
            found_by_id=inspector.id,
            found_at=_at(day),
        )
        db.session.add(row)
        db.session.flush()
        return row

    findings = {
        "zhang_att_1": finding("EV-ATT", 3, staff=zhang),
        "zhang_att_2": finding("EV-ATT", 10, staff=zhang),  # a repetition
        "zhang_drs": finding("EV-DRS", 11, staff=zhang),
        "li_drs_1": finding("EV-DRS", 4, staff=li),
        "li_drs_2": finding("EV-DRS", 18, staff=li),  # second major -> yellow, and a repeat
        "wang_srv": finding("EV-SRV", 12, staff=wang),  # critical -> red
        "w1_hyg": finding("EV-HYG", 5, window=w1),
        "hall": finding("EV-HALL", 6),
    }
    # Outside the month / voided / integrity: none of them counts.
    db.session.add(
        Finding(
            item_version_id=items["EV-ATT"].id,
            category="attendance",
            target="staff",
            site_id=site.id,
            staff_member_id=zhang.id,
            severity="minor",
            description="February",
            found_by_id=inspector.id,
            found_at=datetime(2025, 2, 28, 15, 0),  # 23:00 local, still February
        )
    )
    db.session.add(WindowKeeper(window_id=w1.id, keeper_staff_id=li.id))
    db.session.add(
        MentorPairing(
            mentor_id=zhang.id,
            mentee_id=wang.id,
            starts_on=date(2025, 2, 1),
            ends_on=date(2025, 5, 31),
            status="active",
        )
    )
    # Li's rectification on the first dress finding is overdue: deadline Mon 10 March, still
    # open -> working days 11..31 March = 15, capped at 5 points.
    db.session.add(
        Rectification(
            source="finding",
            finding_id=findings["li_drs_1"].id,
            site_id=site.id,
            window_id=w1.id,
            category="attire",
            severity="major",
            title="李四着装",
            responsible_staff_id=li.id,
            status="open",
            opened_at=_at(4),
            opened_on=date(2025, 3, 4),
            first_deadline_on=date(2025, 3, 10),
            deadline_on=date(2025, 3, 10),
        )
    )
    # Zhang's rectification closed 2 working days late (deadline Thu 13, closed Tue 18:
    # overdue Fri 14, Mon 17) -> 1 point.
    db.session.add(
        Rectification(
            source="finding",
            finding_id=findings["zhang_drs"].id,
            site_id=site.id,
            category="attire",
            severity="major",
            title="张三着装",
            responsible_staff_id=zhang.id,
            status="verified",
            opened_at=_at(11),
            opened_on=date(2025, 3, 11),
            first_deadline_on=date(2025, 3, 13),
            deadline_on=date(2025, 3, 13),
            closed_at=_at(18),
            closed_on=date(2025, 3, 18),
        )
    )

    def conduct(kind, day, **kw):
        row = ConductRecord(
            kind=kind,
            source="letter",
            site_id=site.id,
            received_on=date(2025, 3, day),
            text=f"{kind} {day}",
            **kw,
        )
        db.session.add(row)
        return row

    conduct("complaint", 7, subject="staff", staff_member_id=wang.id, outcome="upheld")
    conduct("complaint", 8, subject="staff", staff_member_id=zhang.id, outcome="not_upheld")
    for day in (2, 9, 16, 23):  # 4 x 2 points, capped at 6
        conduct("commendation", day, subject="staff", staff_member_id=li.id)
    conduct("commendation", 20, subject="window", window_id=w2.id)
    db.session.commit()
    return Month(site, other, [w1, w2], [zhang, li, wang, zhao], users, items, findings, scheme)


@pytest.fixture
def count_statements(app):
    return count_queries
