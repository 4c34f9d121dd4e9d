"""Demo data of the training package: courses of each kind (岗前培训, 专题会议 一网通办 and
纪律作风, skills, discipline), past sessions with attendance and minutes, upcoming sessions, the
default onboarding template, a plan for each new staff member, and two mentor pairings with
shadow logs (one waiting for HR's sign-off)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from compliance.accounts import create_user
from compliance.timeutil import local_to_utc

from . import onboarding, pairings, services

COURSES = [
    (
        "PJ-01",
        "岗前培训：服务规范与首问负责制",
        "pre_job",
        180,
        "首问负责、一次性告知、限时办结；文明用语与着装规范。",
    ),
    (
        "PJ-02",
        "岗前培训：业务系统与一窗通办操作",
        "pre_job",
        240,
        "综合受理系统、统一出件流程、帮办代办登记。",
    ),
    (
        "TM-YWTB",
        "专题会议：一网通办",
        "thematic_meeting",
        90,
        "推进“一网通办”“最多跑一次”，通报网办率与差评整改。",
    ),
    (
        "TM-JLZF",
        "专题会议：纪律作风",
        "thematic_meeting",
        90,
        "纪律作风整顿，严禁“吃拿卡要”，通报近期督查问题。",
    ),
    ("BS-SB", "业务技能：社保医保经办", "business_skills", 120, "社保参保、医保报销常见业务办理。"),
    ("DS-LZ", "廉洁纪律教育", "discipline", 60, "廉政风险点、回避制度与案例警示。"),
]


def _at(day, hour: int, minutes: int) -> tuple[datetime, datetime]:
    start = local_to_utc(datetime.combine(day, time(hour, 0)))
    return start, start + timedelta(minutes=minutes)


def load_demo(app, session, demo) -> dict:
    today = demo["today"]
    hr = demo["users"]["hr"]
    staff = demo["staff"]
    sites = demo["sites"]
    courses = {}
    for code, title, kind, minutes, description in COURSES:
        courses[code] = services.save_course(
            session,
            hr,
            None,
            code=code,
            title=title,
            kind=kind,
            duration_minutes=minutes,
            description=description,
        )
    onboarding.save_template(
        session,
        demo["users"]["admin"],
        None,
        name="新入职人员标准方案",
        mentor_weeks=12,
        is_default=True,
        courses={courses["PJ-01"].id: 14, courses["PJ-02"].id: 30, courses["DS-LZ"].id: 60},
    )
    new_ids = sorted(services.new_staff_ids(session, today=today))
    new_staff = [s for s in staff if s.id in new_ids]
    for member in new_staff:
        onboarding.ensure_onboarding_plan(session, hr, member)

    def schedule(code, day, hour, site, place, trainer, invitees):
        starts, ends = _at(day, hour, courses[code].duration_minutes)
        ts, _left = services.schedule_session(
            session,
            hr,
            course=courses[code],
            site=site,
            place=place,
            starts_at=starts,
            ends_at=ends,
            trainer=trainer,
            invitees=invitees,
            skip_conflicted=True,
            confirm_gaps=True,
        )
        return ts

    sessions = 0
    # Pre-job training for the new staff, a little after the earliest hire.
    first_hire = min((m.hired_on for m in new_staff), default=today - timedelta(days=40))
    pj1 = schedule(
        "PJ-01",
        max(first_hire + timedelta(days=3), today - timedelta(days=30)),
        9,
        sites["DM"],
        "中心三楼培训室",
        "人事 郑丽",
        {m.id: "new_staff" for m in new_staff},
    )
    sessions += 1
    for i, member in enumerate(new_staff):
        services.mark_attendance(
            session, hr, pj1, member.id, "late" if i == 1 else "present", today=today
        )
    # A thematic meeting for everyone at the 五星 hall, with minutes.
    wx_staff = {m.id: "site" for m in staff if m.site_id == sites["WX"].id}
    meeting = schedule(
        "TM-YWTB",
        today - timedelta(days=9),
        17,
        sites["WX"],
        "五星片区会议室",
        "中心主任",
        wx_staff,
    )
    sessions += 1
    for i, sid in enumerate(sorted(wx_staff)):
        status = "absent" if i == 3 else "excused" if i == 5 else "present"
        services.mark_attendance(session, hr, meeting, sid, status, today=today)
    services.save_minutes(
        session,
        hr,
        meeting,
        "一、通报上月“一网通办”网办率 62%，较上月提升 5 个百分点。\n"
        "二、差评 2 件已整改完毕，由窗口负责人回访。\n"
        "三、下月起综合窗口推行“帮办代办”预约，每周五汇总。",
    )
    # Upcoming: the second pre-job course and a discipline meeting at the centre.
    schedule(
        "PJ-02",
        today + timedelta(days=3),
        14,
        sites["DM"],
        "中心三楼培训室",
        "信息科 李工",
        {m.id: "new_staff" for m in new_staff},
    )
    dm_key = {
        m.id: "person"
        for m in staff
        if m.site_id == sites["DM"].id and m.current_assignment and m.current_assignment.post.is_key
    }
    schedule(
        "TM-JLZF", today + timedelta(days=7), 17, sites["DM"], "中心一楼会议室", "纪检 梁军", dm_key
    )
    sessions += 2

    pairs = 0
    logs = 0
    if new_staff:
        # The demo "staff" user mentors the first new colleague, who gets a user to log in.
        mentee = new_staff[0]
        mentor = staff[2]
        mentee_user = create_user(
            session,
            None,
            username="newstaff",
            display_name=mentee.name,
            roles=["staff"],
            password="demo-pass-2026",
            hash_method=app.config["PASSWORD_HASH_METHOD"],
            site_ids=[mentee.site_id],
            staff_member_id=mentee.id,
        )
        mentor_user = demo["users"]["staff"]
        start = max(mentee.hired_on + timedelta(days=2), today - timedelta(weeks=5))
        pairing = pairings.create_pairing(session, hr, mentor, mentee, start, today=today)
        pairs += 1
        texts = [
            "跟岗学习综合受理流程，观摩一次性告知",
            "在师傅指导下独立受理社保业务 6 件",
            "学习统一出件与档案归集",
            "练习首问负责制下的转办与跟踪",
            "处理一件群众投诉的复盘",
        ]
        day, week = start, 0
        # One entry a week, except the last full week (so the reminder job has work to do).
        while day + timedelta(days=14) <= today:
            by_mentee = week % 2 == 1
            pairings.add_shadow_log(
                session,
                mentee_user if by_mentee else mentor_user,
                pairing,
                worked_on=day,
                hours=4 if by_mentee else 6,
                practised=texts[week % len(texts)],
                mentor_comment=None if by_mentee else "掌握较快，注意文明用语。",
                today=today,
            )
            logs += 1
            day += timedelta(days=7)
            week += 1
        # A second pairing, by the top suggestion, already assessed ready by the mentor.
        for mentee in new_staff[1:2]:
            suggestion = next(
                s for s in pairings.suggest_mentors(session, mentee, today=today) if s.eligible
            )
            start = max(mentee.hired_on + timedelta(days=2), today - timedelta(weeks=12))
            pairing = pairings.create_pairing(
                session, hr, suggestion.staff, mentee, start, weeks=4, today=today
            )
            pairs += 1
            mentor_user = create_user(
                session,
                None,
                username="mentor",
                display_name=suggestion.staff.name,
                roles=["staff"],
                password="demo-pass-2026",
                hash_method=app.config["PASSWORD_HASH_METHOD"],
                site_ids=[suggestion.staff.site_id],
                staff_member_id=suggestion.staff.id,
            )
            day = start
            while day <= min(today, pairing.ends_on):
                pairings.add_shadow_log(
                    session,
                    mentor_user,
                    pairing,
                    worked_on=day,
                    hours=5,
                    practised="跟岗办理民政救助申请受理",
                    today=today,
                    mentor_comment="按流程办理，材料审核到位。",
                )
                logs += 1
                day += timedelta(days=7)
            if pairing.ends_on < today:
                pairings.assess_pairing(
                    session, mentor_user, pairing, "ready", "能够独立办理本岗位业务"
                )
    return {
        "training_courses": len(courses),
        "training_sessions": sessions,
        "onboarding_plans": len(new_staff),
        "mentor_pairings": pairs,
        "shadow_logs": logs,
    }
