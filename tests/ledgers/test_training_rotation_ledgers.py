"""Training, mentoring and rotation ledgers hold the database values, within the user's scope."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from compliance.db import db

from .conftest import data_rows, sheet_rows


@pytest.fixture
def training_world(make_site, make_staff, make_user):
    from training.models import Course, MentorPairing, SessionAttendee, ShadowLog, TrainingSession

    home, other = make_site(code="THOME", name="本中心"), make_site(code="TOTHER", name="他中心")
    alice = make_staff(site=home, name="新人甲")
    mentor = make_staff(site=home, name="师傅乙")
    bob = make_staff(site=other, name="他站丙")
    hr = make_user(roles=("hr",))
    course = Course(code="PJ-T1", title="岗前培训：首问负责", kind="pre_job", duration_minutes=90)
    meeting = Course(code="TM-T1", title="=纪律作风专题会", kind="thematic_meeting")
    db.session.add_all([course, meeting])
    db.session.flush()
    sessions = []
    for site, c, day in ((home, course, 5), (other, course, 6), (home, meeting, 7)):
        s = TrainingSession(
            course_id=c.id,
            site_id=site.id,
            place="二楼会议室",
            trainer="王老师",
            starts_at=datetime(2026, 4, day, 1, 0),
            ends_at=datetime(2026, 4, day, 2, 30),
            status="scheduled",
        )
        db.session.add(s)
        db.session.flush()
        sessions.append(s)
    db.session.add_all(
        [
            SessionAttendee(session_id=sessions[0].id, staff_member_id=alice.id, status="present"),
            SessionAttendee(session_id=sessions[0].id, staff_member_id=mentor.id, status="absent"),
            SessionAttendee(session_id=sessions[1].id, staff_member_id=bob.id, status="late"),
            SessionAttendee(session_id=sessions[2].id, staff_member_id=alice.id, status=None),
        ]
    )
    pairing = MentorPairing(
        kind="onboarding",
        mentor_id=mentor.id,
        mentee_id=alice.id,
        starts_on=date(2026, 4, 1),
        ends_on=date(2026, 6, 30),
        status="signed_off",
        assessment="ready",
        signed_off_on=date(2026, 6, 30),
        approved_by_id=hr.id,
        approved_at=datetime(2026, 6, 30, 2),
    )
    db.session.add(pairing)
    db.session.flush()
    db.session.add_all(
        [
            ShadowLog(
                pairing_id=pairing.id,
                worked_on=date(2026, 4, 2),
                hours=Decimal("3.5"),
                practised="社保受理",
                author_role="mentor",
                confirmed_at=datetime(2026, 4, 2),
            ),
            ShadowLog(
                pairing_id=pairing.id,
                worked_on=date(2026, 4, 3),
                hours=Decimal("2"),
                practised="医保受理",
                author_role="mentee",
            ),
        ]
    )
    db.session.commit()
    return {"home": home, "other": other, "hr": hr}


APRIL = {"from": "2026-04-01", "to": "2026-04-30"}


def test_training_ledger_has_one_row_per_invited_person(client_for, training_world):
    hr = client_for("hr")
    response = hr.post("/reports/training/export", data=APRIL)
    assert response.status_code == 200
    rows = data_rows(response.data)
    assert len(rows) == 4
    first = rows[0]
    assert first[1] == datetime(2026, 4, 5, 9, 0)
    assert first[2] == "岗前培训：首问负责"
    assert first[7] == 1.5  # hours, a number
    meeting = next(r for r in rows if r[2] == "=纪律作风专题会")  # user text stays text
    assert meeting[10] == "新人甲"
    present_only = data_rows(
        hr.post("/reports/training/export", data=dict(APRIL, attendance="present")).data
    )
    assert [r[10] for r in present_only] == ["新人甲"]
    scoped = client_for("hr", sites=[training_world["home"]])
    assert {r[4] for r in data_rows(scoped.post("/reports/training/export", data=APRIL).data)} == {
        "本中心"
    }


def test_mentoring_ledger_totals_shadow_logs_and_sign_off(client_for, training_world):
    from training.ledgers import PAIRINGS

    keys = [c.key for c in PAIRINGS.columns]
    hr = client_for("hr")
    rows = data_rows(hr.post("/reports/mentoring/export", data=APRIL).data)
    assert len(rows) == 1
    row = dict(zip(keys, rows[0], strict=True))
    assert row["mentee"] == "新人甲" and row["mentor"] == "师傅乙"
    assert row["entries"] == 2
    assert row["hours"] == 5.5
    assert row["hours_confirmed"] == 3.5
    assert row["signed_off_on"] == datetime(2026, 6, 30)
    assert row["approved_by"] == training_world["hr"].display_name
    other_only = client_for("hr", sites=[training_world["other"]])
    assert data_rows(other_only.post("/reports/mentoring/export", data=APRIL).data) == []


def test_rotation_ledgers_list_key_post_holders_and_moves(
    client_for, make_site, make_post, make_staff, make_window, make_user
):
    from compliance.models import Assignment
    from rotation.models import RotationExemption, RotationMove, RotationPlan

    home = make_site(code="RHOME", name="本中心")
    key = make_post(name="收费收款", is_key=True)
    plain = make_post(name="综合受理")
    holder = make_staff(
        site=home,
        post=key,
        window=make_window(site=home, code="R08", name="收费"),
        name="老收费员",
        started_on=date(2021, 1, 4),
    )
    newcomer = make_staff(site=home, post=plain, name="新受理员", started_on=date(2024, 1, 1))
    approver = make_user(roles=("discipline",))
    db.session.add(
        RotationExemption(
            staff_member_id=holder.id,
            reason="+病假返岗过渡",
            approved_by_id=approver.id,
            starts_on=date(2020, 1, 1),
            ends_on=date(2099, 1, 1),
        )
    )
    plan = RotationPlan(
        title="2026 年第二季度轮岗",
        planning_on=date(2026, 4, 1),
        status="approved",
        decided_by_id=approver.id,
    )
    db.session.add(plan)
    db.session.flush()
    current = {
        a.staff_member_id: a
        for a in db.session.query(Assignment).filter(
            Assignment.staff_member_id.in_([holder.id, newcomer.id])
        )
    }
    db.session.add(
        RotationMove(
            plan_id=plan.id,
            staff_member_id=newcomer.id,
            from_assignment_id=current[newcomer.id].id,
            seat_assignment_id=current[holder.id].id,
            predecessor_id=holder.id,
            to_post_id=key.id,
            to_site_id=home.id,
            effective_on=date(2026, 5, 1),
            status="planned",
        )
    )
    db.session.commit()
    hr = client_for("hr")
    response = hr.post("/reports/rotation/export", data={"from": "2026-01-01", "to": "2026-06-30"})
    rows = data_rows(response.data)
    assert len(rows) == 1
    row = rows[0]
    assert row[5] == "老收费员" and row[6] == datetime(2021, 1, 4)
    assert row[7] == 65  # whole months from 2021-01-04 to 2026-06-30
    assert row[11] == "+病假返岗过渡"
    moves = data_rows(
        hr.post(
            "/reports/rotation_moves/export", data={"from": "2026-01-01", "to": "2026-06-30"}
        ).data
    )
    assert len(moves) == 1
    assert moves[0][2] == "2026 年第二季度轮岗" and moves[0][6] == "新受理员"
    assert moves[0][12] == "老收费员"
    header = sheet_rows(response.data)[1]
    assert header[0] == "序号"
