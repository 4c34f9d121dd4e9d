"""Demo data: the 大面街道 service centre of the source article, its 五星 area hall and two
community stations, about 40 staff on 20 windows, and one user for each role.

Feature packages add their own demo data (checklist, training, rotation...) through
`register_demo(app, func)`; `func(app, session, demo)` receives the dict built here. Loaders only
add and flush: the caller owns the transaction (`compliance seed-demo` wraps the load in
`unit_of_work()`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from .accounts import create_user
from .audit import record
from .models import Assignment, Leave, Post, Site, StaffMember, Window
from .timeutil import local_today

DEMO_PASSWORD = "demo-pass-2026"

# username, roles, site codes (None = all sites)
DEMO_USERS = [
    ("admin", ["admin"], None),
    ("inspector", ["inspector"], ["DM"]),
    ("inspector2", ["inspector"], ["DM"]),
    ("hr", ["hr"], None),
    ("discipline", ["discipline"], None),
    ("leader", ["leader"], ["DM"]),
    ("staff", ["staff"], ["DM"]),
]

SITES = [
    ("DM", "大面街道便民服务中心", "centre", None, "成都市龙泉驿区大面街道"),
    ("WX", "五星片区便民服务中心", "hall", "DM", "五星社区"),
    ("XN", "星暖驿站", "station", "WX", "五星社区星暖小区"),
    ("YL", "有邻驿站", "station", "DM", "有邻社区"),
]

# Approximate building coordinates (WGS-84) of the demo sites that have them.
SITE_COORDINATES = {"DM": (30.5835, 104.1712), "WX": (30.5925, 104.1804)}

POSTS = [
    ("ZHSL", "综合受理", False),
    ("SHBZ", "社保经办", False),
    ("YBJB", "医保经办", False),
    ("MZFW", "民政服务", False),
    ("GTDJ", "个体工商户登记", False),
    ("CGSP", "城管审批（占道挖掘招牌）", True),
    ("SFSK", "收费收款", True),
    ("SHJJ", "社保基金审核", True),
    ("TCCJ", "统一出件", False),
    ("BDB", "帮办代办", False),
]

# site, window code, name, post code
WINDOWS = [
    ("DM", "A01", "综合受理一", "ZHSL"),
    ("DM", "A02", "综合受理二", "ZHSL"),
    ("DM", "A03", "社保", "SHBZ"),
    ("DM", "A04", "医保", "YBJB"),
    ("DM", "A05", "民政", "MZFW"),
    ("DM", "A06", "个体工商户登记", "GTDJ"),
    ("DM", "A07", "城管审批", "CGSP"),
    ("DM", "A08", "收费", "SFSK"),
    ("DM", "A09", "社保基金", "SHJJ"),
    ("DM", "A10", "统一出件", "TCCJ"),
    ("DM", "A11", "帮办代办", "BDB"),
    ("DM", "A12", "综合受理三", "ZHSL"),
    ("WX", "B01", "综合受理", "ZHSL"),
    ("WX", "B02", "社保医保", "SHBZ"),
    ("WX", "B03", "民政", "MZFW"),
    ("WX", "B04", "收费", "SFSK"),
    ("WX", "B05", "统一出件", "TCCJ"),
    ("WX", "B06", "帮办代办", "BDB"),
    ("XN", "C01", "驿站综合窗口", "ZHSL"),
    ("YL", "D01", "驿站综合窗口", "ZHSL"),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "晓东",
    "雪梅",
    "建华",
    "志强",
    "婷",
    "浩然",
    "子涵",
    "欣怡",
]


def register_demo(app: Flask, func: Callable, order: int = 100) -> None:
    """Add a package's demo loader; runs after the core data, lowest order first."""
    app.extensions.setdefault("compliance_demo", []).append((order, func))


def database_is_empty(session: Session) -> bool:
    return session.scalar(sa.select(sa.func.count(Site.id))) == 0


def load_demo(app: Flask, session: Session, today: date | None = None) -> dict:
    """Build the demo centre. Deterministic (fixed random seed) apart from dates near today."""
    rng = random.Random(2025)
    today = today or local_today(app.config["TIMEZONE"])
    sites: dict[str, Site] = {}
    for code, name, kind, parent, address in SITES:
        site = Site(
            code=code,
            name=name,
            kind=kind,
            parent=sites.get(parent) if parent else None,
            address=address,
            timezone=app.config["TIMEZONE"],
        )
        site.latitude, site.longitude = SITE_COORDINATES.get(code, (None, None))
        session.add(site)
        sites[code] = site
    posts = {code: Post(code=code, name=name, is_key=is_key) for code, name, is_key in POSTS}
    session.add_all(posts.values())
    windows: dict[str, Window] = {}
    for site_code, wcode, wname, _post in WINDOWS:
        w = Window(site=sites[site_code], code=wcode, name=wname)
        session.add(w)
        windows[wcode] = w
    session.flush()

    staff: list[StaffMember] = []
    used_names: set[str] = set()
    n = 0
    for site_code, wcode, _wname, post_code in WINDOWS:
        for role_letter in ("A", "B"):
            n += 1
            while True:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                if name not in used_names:
                    used_names.add(name)
                    break
            # Key posts get long-serving holders so the tenure board has something due.
            if posts[post_code].is_key and role_letter == "A":
                years = rng.choice([2.5, 3.2, 4.0])
            elif n % 9 == 0:
                years = rng.choice([0.1, 0.15])  # new staff
            else:
                years = rng.uniform(0.6, 9)
            hired = today - timedelta(days=int(years * 365))
            member = StaffMember(
                staff_no=f"DM{n:04d}",
                name=name,
                phone=f"138{rng.randrange(10**8):08d}",
                hired_on=hired,
                site=sites[site_code],
                status="active",
            )
            session.add(member)
            staff.append(member)
            session.flush()
            started = (
                hired if years < 3 or not posts[post_code].is_key else hired + timedelta(days=60)
            )
            session.add(
                Assignment(
                    staff_member=member,
                    post=posts[post_code],
                    site=sites[site_code],
                    window=windows[wcode],
                    started_on=started,
                    note=f"{role_letter}角",
                )
            )
    session.flush()
    # Two people on approved leave today.
    for member in (staff[3], staff[17]):
        session.add(
            Leave(
                staff_member=member,
                starts_on=today - timedelta(days=1),
                ends_on=today + timedelta(days=2),
                reason="年休假",
            )
        )

    users = {}
    staff_link = staff[2]
    for username, roles, scope in DEMO_USERS:
        users[username] = create_user(
            session,
            None,
            username=username,
            display_name={
                "admin": "系统管理员",
                "inspector": "督查员 周敏",
                "inspector2": "督查员 何强",
                "hr": "人事 郑丽",
                "discipline": "纪检 梁军",
                "leader": "中心主任 王建国",
                "staff": staff_link.name,
            }[username],
            roles=roles,
            password=DEMO_PASSWORD,
            hash_method=app.config["PASSWORD_HASH_METHOD"],
            site_codes=scope or [],
            all_sites=scope is None,
            staff_member_id=staff_link.id if username == "staff" else None,
        )
    record(
        session,
        None,
        "demo.load",
        entity_type="Site",
        entity_id="DM",
        after={"sites": len(sites), "staff": len(staff)},
    )
    demo = {
        "sites": sites,
        "posts": posts,
        "windows": windows,
        "staff": staff,
        "users": users,
        "today": today,
        "rng": rng,
    }
    summary = {
        "sites": len(sites),
        "windows": len(windows),
        "staff": len(staff),
        "users": len(users),
    }
    for _order, func in sorted(app.extensions.get("compliance_demo", []), key=lambda x: x[0]):
        extra = func(app, session, demo) or {}
        summary.update(extra)
        session.flush()
    return summary
