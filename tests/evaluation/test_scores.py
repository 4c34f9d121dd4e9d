"""A month closes to the scores a hand count from the scheme gives; an accepted appeal removes
exactly its deduction; a closed month does not change afterwards."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.domain import ConflictError, DomainError, ForbiddenError, StaleError
from evaluation.models import MonthClose, ScoreSnapshot
from evaluation.services import (
    close_month,
    compute_month,
    create_scheme,
    decide_appeal,
    file_appeal,
    reopen_month,
    scheme_for,
)

MONTH = date(2025, 3, 1)
AFTER_CLOSE_DAY = date(2025, 4, 7)


def by_hand(scheme):
    """The March scores from the rows in conftest and the scheme's figures, written out."""
    minor, major, critical = (
        scheme.multiplier_minor,
        scheme.multiplier_major,
        scheme.multiplier_critical,
    )
    base = scheme.base_score
    overdue = scheme.overdue_points_per_day
    zhang_d = 2 * minor + 2 * minor + scheme.repeat_step + 3 * major
    zhang_d += min(2 * overdue, scheme.overdue_cap)  # Fri 14, Mon 17 March
    zhang_d += 5 * critical * scheme.mentor_share  # mentor of Wang
    li_d = 3 * major * 2 + scheme.repeat_step + min(15 * overdue, scheme.overdue_cap)
    li_d += 1 * minor * scheme.keeper_share  # keeper of window A01
    li_b = min(4 * scheme.commendation_points, scheme.commendation_cap)
    wang_d = 5 * critical + scheme.complaint_points
    staff = {
        "张三": base - zhang_d,
        "李四": base - li_d + li_b,
        "王五": base - wang_d,
        "赵六": base,
    }
    w1 = (
        base - 1 * minor - scheme.window_staff_weight * (base - (staff["张三"] + staff["李四"]) / 2)
    )
    w2 = base + scheme.commendation_points - scheme.window_staff_weight * (base - staff["王五"])
    site = (
        base
        - 2 * minor
        - scheme.site_staff_weight * (base - (staff["张三"] + staff["李四"] + staff["王五"]) / 3)
    )
    return staff, {"A01 综合窗口": w1, "A02 社保窗口": w2}, {"考评中心": site, "别处中心": base}


def snap(close, kind):
    rows = db.session.scalars(
        sa.select(ScoreSnapshot).where(
            ScoreSnapshot.close_id == close.id, ScoreSnapshot.subject_kind == kind
        )
    ).all()
    return {r.name: r for r in rows}


def test_month_closes_to_the_hand_count(month):
    close = close_month(db.session, month.users["admin"], MONTH, today=AFTER_CLOSE_DAY)
    assert close.scheme_id == month.scheme.id
    staff, windows, sites = by_hand(month.scheme)
    for kind, expected in (("staff", staff), ("window", windows), ("site", sites)):
        got = snap(close, kind)
        assert set(got) == set(expected), kind
        for name, value in expected.items():
            assert got[name].score == pytest.approx(round(value, 2), abs=0.005), (kind, name)
    people = snap(close, "staff")
    assert people["张三"].score == 87.5 and people["李四"].score == 90.5
    assert [people[n].rank for n in ("赵六", "李四", "张三", "王五")] == [1, 2, 3, 4]
    assert people["赵六"].stars == 5 and people["赵六"].card == "none"
    assert people["李四"].card == "yellow"  # two major findings
    assert people["张三"].card == "yellow"  # below 90
    assert people["王五"].card == "red"  # a critical finding
    assert people["李四"].bonuses == 6 and people["李四"].deductions == 15.5
    # Every line names the record behind it.
    kinds = sorted((i["kind"], i["ref_kind"]) for i in people["张三"].detail)
    assert kinds == sorted(
        [
            ("finding", "finding"),
            ("finding", "finding"),
            ("repeat", "finding"),
            ("finding", "finding"),
            ("overdue", "rectification"),
            ("joint", "finding"),
        ]
    )
    assert sum(i["points"] for i in people["张三"].detail) == -12.5
    assert snap(close, "window")["A01 综合窗口"].score == 88.0


def test_accepted_appeal_removes_exactly_its_deduction(month):
    finding = month.findings["zhang_att_2"]
    before = compute_month(db.session, month.scheme, MONTH).staff[month.staff[0].id]
    appeal = file_appeal(
        db.session, month.users["zhang"], finding.id, "我当时在窗口", today=date(2025, 3, 11)
    )
    with pytest.raises(ConflictError):  # an open appeal blocks the close
        close_month(db.session, month.users["admin"], MONTH, today=AFTER_CLOSE_DAY)
    with pytest.raises(StaleError):
        decide_appeal(db.session, month.users["discipline"], appeal, "accepted", "属实", 99)
    decide_appeal(
        db.session, month.users["discipline"], appeal, "accepted", "考勤记录证实", appeal.version
    )
    after = compute_month(db.session, month.scheme, MONTH).staff[month.staff[0].id]
    removed = 2 * month.scheme.multiplier_minor + month.scheme.repeat_step
    # The voided finding was the repetition: its deduction and its repeat step go.
    assert after.score == pytest.approx(before.score + removed)
    assert finding.id not in {i.ref_id for i in after.items if i.ref_kind == "finding"}
    assert finding.voided_at is not None


def test_appeal_rules(month):
    finding = month.findings["zhang_att_1"]
    with pytest.raises(ForbiddenError):
        file_appeal(db.session, month.users["wang"], finding.id, "x", today=date(2025, 3, 4))
    with pytest.raises(DomainError) as late:
        file_appeal(db.session, month.users["zhang"], finding.id, "x", today=date(2025, 3, 20))
    assert late.value.code == "evaluation.appeal_too_late"
    # Window finding: the keeper (Li) may appeal.
    appeal = file_appeal(
        db.session, month.users["li"], month.findings["w1_hyg"].id, "已清洁", today=date(2025, 3, 6)
    )
    with pytest.raises(ForbiddenError):  # the inspector who made it does not decide
        decide_appeal(db.session, month.users["inspector"], appeal, "upheld", "x", appeal.version)
    decide_appeal(
        db.session, month.users["discipline"], appeal, "upheld", "证据充分", appeal.version
    )
    assert month.findings["w1_hyg"].voided_at is None
    with pytest.raises(ConflictError):
        decide_appeal(
            db.session, month.users["discipline"], appeal, "accepted", "x", appeal.version
        )


def test_closed_month_never_changes(month):
    admin = month.users["admin"]
    close = close_month(db.session, admin, MONTH, today=AFTER_CLOSE_DAY)
    frozen = {
        (r.subject_kind, r.subject_id): (r.score, r.rank, r.card) for r in close_snapshot(close)
    }
    # A new scheme version from March and a finding changed afterwards.
    create_scheme(db.session, admin, MONTH, {"base_score": 120.0, "multiplier_minor": 5.0})
    month.findings["zhang_att_1"].severity = "critical"
    db.session.flush()
    assert scheme_for(db.session, MONTH).base_score == 120.0
    db.session.expire_all()
    again = db.session.get(MonthClose, close.id)
    assert again.scheme.version == 1
    assert {
        (r.subject_kind, r.subject_id): (r.score, r.rank, r.card) for r in close_snapshot(again)
    } == frozen
    with pytest.raises(ConflictError):
        close_month(db.session, admin, MONTH, today=AFTER_CLOSE_DAY)
    reopen_month(db.session, admin, MONTH, "更正")
    reclosed = close_month(db.session, admin, MONTH, today=AFTER_CLOSE_DAY)
    assert reclosed.scheme.version == 2  # a new close uses the version in force
    assert db.session.get(MonthClose, close.id).status == "reopened"


def close_snapshot(close):
    return db.session.scalars(sa.select(ScoreSnapshot).where(ScoreSnapshot.close_id == close.id))


def test_close_rules(month):
    with pytest.raises(DomainError) as early:
        close_month(db.session, month.users["admin"], MONTH, today=date(2025, 4, 4))
    assert early.value.code == "evaluation.too_early"


def test_statements_do_not_grow_with_staff(month, make_staff, count_statements):
    scheme = month.scheme
    counts = []
    for extra in (3, 27):
        for _ in range(extra):
            make_staff(site=month.site, window=month.windows[1], hired_on=date(2024, 1, 2))
        db.session.expire_all()
        with count_statements() as counter:
            compute_month(db.session, scheme, MONTH)
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_a_substantiated_integrity_case_deducts_and_cards(month):
    """A case concluded 属实 in the month counts as a critical finding of the accused (its item's
    points x the critical multiplier, a red card); 部分属实 as a major one; 不属实 not at all."""
    from inspections.integrity.models import IntegrityCase
    from inspections.models import Finding

    zhao = next(s for s in month.staff if s.name == "赵六")  # five stars without the case
    li = next(s for s in month.staff if s.name == "李四")
    version = month.items["EV-SRV"]  # conduct, 5 points
    before = {s.name: s for s in compute_month(db.session, month.scheme, MONTH).ranked("staff")}
    for staff, conclusion, day in (
        (zhao, "substantiated", 12),
        (li, "partly_substantiated", 13),
        (li, "unsubstantiated", 14),
    ):
        finding = Finding(
            item_version_id=version.id,
            category="conduct",
            target="staff",
            site_id=staff.site_id,
            staff_member_id=staff.id,
            severity="critical",
            description="收受购物卡",
            found_by_id=month.users["inspector"].id,
            found_at=datetime(2025, 3, 3, 2, 0),
            is_integrity=True,
        )
        db.session.add(finding)
        db.session.flush()
        db.session.add(
            IntegrityCase(
                source="finding",
                finding_id=finding.id,
                site_id=staff.site_id,
                accused_staff_id=staff.id,
                check_item_id=version.item_id,
                title="收受购物卡",
                status="concluded",
                registered_on=date(2025, 3, 3),
                conclusion=conclusion,
                concluded_on=date(2025, 3, day),
            )
        )
    db.session.flush()
    after = {s.name: s for s in compute_month(db.session, month.scheme, MONTH).ranked("staff")}
    scheme = month.scheme
    lines = [i for i in after["赵六"].items if i.kind == "integrity"]
    assert len(lines) == 1 and lines[0].ref_kind == "integrity_case"
    assert lines[0].points == pytest.approx(-5 * scheme.multiplier_critical)
    assert after["赵六"].score == pytest.approx(
        before["赵六"].score - 5 * scheme.multiplier_critical
    )
    assert after["赵六"].card == "red" and after["赵六"].stars == 0
    li_lines = [i for i in after["李四"].items if i.kind == "integrity"]
    assert [i.points for i in li_lines] == [pytest.approx(-5 * scheme.multiplier_major)]
    assert after["李四"].major_count == before["李四"].major_count + 1
