"""Demo data: the complaint categories (吃拿卡要, 擅自收费... marked as integrity categories), a
好差评 source with its column mapping, and complaints in each state: a 12345 complaint upheld,
called back and closed; a 差评 about a window (nobody named) being verified; an overdue complaint
about the hall; an 擅自收费 complaint that became an integrity case and went through to closed;
and a commendation letter. Runs after the integrity demo (order 170)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from compliance.timeutil import local_to_utc

from ..integrity import services as cases
from ..models import CheckItem
from .models import ComplaintCategory, RatingImportProfile
from .services import (
    close_complaint,
    conclude,
    load_standard_categories,
    record_callback,
    record_conduct,
)
from .services.rating_file import DEFAULT_BAD_RATINGS


def load_demo(app, session, demo) -> dict:
    users, staff, today = demo["users"], demo["staff"], demo["today"]
    admin, officer, hr = users["admin"], users["discipline"], users["hr"]
    centre, windows = demo["sites"]["DM"], demo["windows"]
    load_standard_categories(session, None)
    categories = {c.code: c for c in session.scalars(sa.select(ComplaintCategory))}
    items = dict(session.execute(sa.select(CheckItem.code, CheckItem.id)).all())
    session.add(
        RatingImportProfile(
            name="四川省一体化政务服务平台（好差评）",
            mapping={
                "external_no": "评价编号",
                "rated_at": "评价时间",
                "rating": "评价等级",
                "content": "评价内容",
                "site": "办理机构",
                "window": "办理窗口",
                "staff": "工作人员",
                "service": "事项名称",
                "complainant_name": "评价人",
                "complainant_phone": "联系电话",
            },
            bad_ratings=list(DEFAULT_BAD_RATINGS),
            default_site_id=centre.id,
        )
    )
    session.flush()

    def at(days_ago: int, hour: int) -> datetime:
        return local_to_utc(datetime.combine(today - timedelta(days=days_ago), time(hour, 0)))

    # 1. A 12345 hotline complaint about a staff member: upheld, called back, closed.
    hotline = record_conduct(
        session,
        hr,
        kind="complaint",
        source="hotline",
        staff_member_id=staff[8].id,
        received_on=today - timedelta(days=6),
        text="12345 工单：办理社保转移时态度冷淡，未一次性告知所需材料，来回跑了两趟。",
        reference="12345-2026-0153",
        severity="major",
        category_id=categories["YCXGZ"].id,
        complainant_name="刘女士",
        complainant_phone="13800001234",
        today=today - timedelta(days=6),
    )
    conclude(
        session, officer, hotline, upheld=True, reason="经调取录像并询问当事人，未一次性告知属实。"
    )
    record_callback(
        session,
        hr,
        hotline,
        called_at=at(1, 10),
        method="phone",
        reached=False,
        satisfied=None,
        note="无人接听",
    )
    record_callback(
        session,
        hr,
        hotline,
        called_at=at(0, 9),
        method="phone",
        reached=True,
        satisfied=True,
        note="群众对处理结果表示满意。",
    )
    close_complaint(session, officer, hotline, "已整改并回访满意，办结。")

    # 2. A 差评 about a window, nobody named: being verified.
    record_conduct(
        session,
        admin,
        kind="complaint",
        source="rating",
        subject="window",
        window_id=windows["A03"].id,
        received_on=today - timedelta(days=1),
        text="差评：社保窗口中午无人，等了40分钟。（办理事项：社保卡补换）",
        external_no="HCP-2026-031502",
        check_item_id=items.get("A06"),
        complainant_name="张先生",
        complainant_phone="13900005678",
        handler_id=officer.id,
    )

    # 3. A complaint about the hall as a whole, overdue for verification.
    record_conduct(
        session,
        hr,
        kind="complaint",
        source="walk_in",
        subject="site",
        site_id=centre.id,
        received_on=today - timedelta(days=12),
        text="现场反映：卫生间长期无纸巾、地面湿滑。",
        category_id=categories["HJWS"].id,
        today=today - timedelta(days=12),
    )

    # 4. An integrity complaint (擅自收费): upheld, an integrity case that went to closed.
    fee = record_conduct(
        session,
        officer,
        kind="complaint",
        source="letter",
        staff_member_id=staff[30].id,
        received_on=today - timedelta(days=20),
        text="来信反映：在五星片区收费窗口办理时被额外收取“加急费”200元，未开具票据。",
        reference="XF-2026-012",
        severity="critical",
        category_id=categories["SZSF"].id,
        complainant_name="王先生",
        complainant_phone="13700009876",
        today=today - timedelta(days=20),
    )
    case = conclude(
        session, officer, fee, upheld=True, reason="初步核实存在收费未开票情况，转纪检初核。"
    )
    case.registered_on = today - timedelta(days=19)  # the story happened weeks ago
    cases.assign(session, officer, case, officer.id, 10, today=today - timedelta(days=18))
    cases.add_entry(
        session,
        officer,
        case,
        "interview",
        "当事人承认收取200元“加急费”，称系个人误解收费规定。",
        interviewee=staff[30].name,
        held_on=today - timedelta(days=15),
        today=today,
    )
    cases.record_verification(
        session, officer, case, "查明收费200元未入账、未开票，已责令全额退还。"
    )
    cases.propose_conclusion(
        session, officer, case, "substantiated", "擅自收费属实，金额200元，已退还。"
    )
    cases.approve_conclusion(session, admin, case, "同意。", today=today - timedelta(days=10))
    cases.record_handling(
        session,
        officer,
        case,
        "admonishment",
        today - timedelta(days=8),
        "由中心主任进行诫勉谈话。",
        today=today,
    )
    cases.notify_accused(session, officer, case)
    cases.close(session, officer, case, "处理完毕，归档。", today=today - timedelta(days=7))
    record_callback(
        session,
        officer,
        fee,
        called_at=at(7, 15),
        method="phone",
        reached=True,
        satisfied=True,
        note="已告知处理结果，款项已退还。",
    )
    close_complaint(session, officer, fee)

    # 5. A commendation letter.
    record_conduct(
        session,
        admin,
        kind="commendation",
        source="letter",
        staff_member_id=staff[2].id,
        received_on=today - timedelta(days=4),
        text="表扬信：耐心帮助老人办理社保认证",
        reference="BYX-2026-007",
    )
    return {"conduct_records": 5, "complaint_categories": len(categories)}
