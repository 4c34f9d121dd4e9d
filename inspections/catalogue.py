"""The standard window-supervision checklist (reference/checklist.md), loaded into the demo and
available to `compliance seed-checklist`-style setup through `load_standard_catalogue`."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import CheckItem
from .services import create_check_item

# code, category, target, Chinese, English, default severity, points deducted, photo required
STANDARD_CATALOGUE = [
    (
        "A01",
        "attendance",
        "staff",
        "按时到岗，无迟到早退",
        "On time, no late arrival or early leave",
        "minor",
        1,
        False,
    ),
    (
        "A02",
        "attendance",
        "staff",
        "工作时间在岗在位，无擅自离岗、串岗",
        "At the post during hours; no unauthorised absence or wandering",
        "major",
        2,
        False,
    ),
    (
        "A03",
        "attendance",
        "staff",
        '临时离岗摆放"暂停服务"牌并告知去向',
        'Temporary absence shows a "service paused" sign',
        "minor",
        1,
        True,
    ),
    (
        "A04",
        "attendance",
        "staff",
        "无无故缺勤（请假须经批准）",
        "No absence without approved leave",
        "critical",
        5,
        False,
    ),
    (
        "A05",
        "attendance",
        "window",
        "午间及延时服务按排班到岗",
        "Lunchtime and extended-hours rota honoured",
        "major",
        2,
        False,
    ),
    (
        "A06",
        "attendance",
        "window",
        "A/B角补位及时，窗口不空岗",
        "A/B cover in place; the window is never unstaffed",
        "major",
        2,
        True,
    ),
    (
        "B01",
        "attire",
        "staff",
        "按规定统一着工装",
        "Wears the uniform as required",
        "minor",
        1,
        True,
    ),
    (
        "B02",
        "attire",
        "staff",
        "佩戴工牌，台卡摆放规范",
        "Wears the badge; desk name card in place",
        "minor",
        1,
        True,
    ),
    ("B03", "attire", "staff", "仪容整洁，发型妆容得体", "Neat appearance", "minor", 1, False),
    (
        "B04",
        "attire",
        "staff",
        "不穿拖鞋、短裤等不得体服装",
        "No slippers, shorts or other improper clothing",
        "minor",
        1,
        True,
    ),
    (
        "C01",
        "hygiene",
        "window",
        "窗口台面整洁，物品定位摆放",
        "Counter tidy; items in their marked places",
        "minor",
        1,
        True,
    ),
    (
        "C02",
        "hygiene",
        "window",
        "座椅、地面干净，无垃圾杂物",
        "Chairs and floor clean, no litter",
        "minor",
        1,
        True,
    ),
    (
        "C03",
        "hygiene",
        "staff",
        "不在窗口区域进食、吸烟",
        "No eating or smoking at the window",
        "major",
        2,
        True,
    ),
    (
        "C04",
        "hygiene",
        "window",
        "电脑、打印机等设备整洁，线缆规整",
        "Equipment clean, cables in order",
        "minor",
        1,
        True,
    ),
    (
        "C05",
        "hygiene",
        "area",
        "办事指南、宣传资料齐全并摆放整齐",
        "Service guides complete and in order",
        "minor",
        1,
        True,
    ),
    (
        "C06",
        "hygiene",
        "area",
        "自助服务终端正常可用、清洁",
        "Self-service terminals working and clean",
        "minor",
        1,
        True,
    ),
    (
        "C07",
        "hygiene",
        "area",
        "等候区、卫生间等公共区域清洁",
        "Waiting area and toilets clean",
        "minor",
        1,
        True,
    ),
    (
        "D01",
        "conduct",
        "staff",
        "首问负责：首位接待人员负责解答或引导",
        "First-contact responsibility: the first person asked answers or guides",
        "major",
        2,
        False,
    ),
    (
        "D02",
        "conduct",
        "staff",
        "一次性告知：材料和要求一次讲清",
        "One-time notice: all required documents explained at once",
        "major",
        2,
        False,
    ),
    (
        "D03",
        "conduct",
        "staff",
        "限时办结：在承诺时限内办结",
        "Time-limited completion: done within the promised time",
        "major",
        2,
        False,
    ),
    (
        "D04",
        "conduct",
        "staff",
        "文明用语，态度热情，不推诿",
        "Courteous language, no buck-passing",
        "major",
        2,
        False,
    ),
    (
        "D05",
        "conduct",
        "staff",
        "工作时间不玩手机、不做与工作无关的事",
        "No private phone use or unrelated activity during hours",
        "major",
        2,
        True,
    ),
    (
        "D06",
        "conduct",
        "staff",
        "不闲聊、不大声喧哗",
        "No chatting or loud talk",
        "minor",
        1,
        False,
    ),
    (
        "D07",
        "conduct",
        "staff",
        '严禁"吃拿卡要"，不收受礼品礼金',
        'No "eat, take, obstruct, demand"; no gifts or money',
        "critical",
        5,
        False,
    ),
    (
        "D08",
        "conduct",
        "staff",
        "严格执行收费标准，不擅自收费",
        "Fees only as published; no unauthorised charges",
        "critical",
        10,
        False,
    ),
    (
        "D09",
        "conduct",
        "window",
        "服务评价器（好差评）正常使用，不诱导评价",
        "Rating device in use; no steering of ratings",
        "major",
        2,
        True,
    ),
]


# Integrity items (廉政事项): a failure is a confidential lead for the discipline office.
INTEGRITY_CODES = frozenset({"D07", "D08"})


def load_standard_catalogue(session: Session, actor=None) -> int:
    """Add every standard item that is not in the catalogue yet (吃拿卡要 D07 and 擅自收费 D08
    marked as integrity items); returns how many were added."""
    existing = set(session.scalars(sa.select(CheckItem.code)))
    added = 0
    for n, (code, category, target, zh, en, severity, points, photo) in enumerate(
        STANDARD_CATALOGUE
    ):
        if code in existing:
            continue
        create_check_item(
            session,
            actor,
            code=code,
            category=category,
            target=target,
            text_zh=zh,
            text_en=en,
            severity=severity,
            points=points,
            photo_required=photo,
            sort_order=n,
            is_integrity=code in INTEGRITY_CODES,
        )
        added += 1
    return added
