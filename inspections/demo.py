"""Demo data: the standard catalogue, patrol plans, a few past patrols with findings (through the
submit service, so every finding opens its rectification), a hurried patrol that is flagged as
implausible, a past draw signed by both drawn inspectors and published, and this week's draw."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from PIL import Image

from compliance.models import Site, User

from .catalogue import load_standard_catalogue
from .draws import create_draw, publish_draw
from .models import Inspection, PatrolPlan
from .photos import store_photo
from .services import (
    Target,
    open_spot_check,
    record_failure,
    sign_spot_check,
    site_roster,
    start_round,
    submit_round,
)

# (days ago, site, [(target kind, window code, staff index at that window, item, reason)])
PAST_PATROLS = [
    (
        6,
        "DM",
        [("staff", "A03", 0, "B02", "未佩戴工牌"), ("window", "A05", None, "C01", "台面杂乱")],
    ),
    (
        4,
        "DM",
        [
            ("staff", "A08", 0, "D05", "工作时间玩手机"),
            ("area", None, None, "C07", "卫生间地面湿滑"),
        ],
    ),
    (3, "WX", [("staff", "B02", 0, "B01", "未着工装")]),
    (
        1,
        "DM",
        [("staff", "A01", 1, "A01", "迟到15分钟"), ("window", "A10", None, "C02", "地面有纸屑")],
    ),
]


def load(app, session, demo) -> dict:
    added = load_standard_catalogue(session, None)
    sites: dict[str, Site] = demo["sites"]
    for code, rounds in (("DM", 2), ("WX", 1), ("XN", 1), ("YL", 1)):
        session.add(PatrolPlan(site_id=sites[code].id, rounds_per_day=rounds))
    session.flush()
    inspector = demo["users"]["inspector"]
    today = demo["today"]
    findings = 0
    for days_ago, site_code, failures in PAST_PATROLS:
        day = today - timedelta(days=days_ago)
        site = sites[site_code]
        roster = site_roster(session, site, day)
        inspection = start_round(
            session, inspector, site, uuid=str(uuid.UUID(int=demo["rng"].getrandbits(128)))
        )
        for kind, window_code, staff_index, item, reason in failures:
            if kind == "area":
                target = Target("area")
            else:
                window = demo["windows"][window_code]
                if kind == "window":
                    target = Target("window", window.id)
                else:
                    entries = [e for e in roster.duty.get(window.id, []) if not e.on_leave]
                    if not entries:
                        continue
                    target = Target("staff", entries[min(staff_index, len(entries) - 1)].staff.id)
            record_failure(
                session,
                inspector,
                inspection,
                target=target,
                item_code=item,
                reason=reason,
                roster=roster,
            )
        # Demo rounds carry no photos, so items that require one are accepted without.
        started = inspection.started_at - timedelta(days=days_ago)
        inspection.started_at = started.replace(hour=1, minute=30)
        findings += len(
            submit_round(
                session,
                inspector,
                inspection,
                day=day,
                require_photos=False,
                at=started.replace(hour=1, minute=52),
            )
        )
    _hurried_patrol(session, demo)
    _published_draw(app, session, demo)
    inspectors = [demo["users"]["inspector"].id, demo["users"]["inspector2"].id]
    create_draw(
        session,
        demo["users"]["discipline"],
        title="本周窗口随机抽查",
        target_kind="window",
        site_ids=[sites["DM"].id],
        post_ids=None,
        inspector_ids=inspectors,
        target_count=3,
        inspectors_per_target=2,
        day=today,
    )
    return {
        "check_items": added,
        "patrols": len(PAST_PATROLS) + 1,
        "findings": findings,
        "draws": 2,
    }


def _hurried_patrol(session, demo) -> None:
    """Two days ago a patrol of the whole centre took 95 seconds, 2.4 km from the building:
    flagged as too fast and as far from the site (never refused)."""
    site = demo["sites"]["DM"]
    inspector = demo["users"]["inspector2"]
    day = demo["today"] - timedelta(days=2)
    inspection = start_round(
        session,
        inspector,
        site,
        uuid=str(uuid.UUID(int=demo["rng"].getrandbits(128))),
        latitude=(site.latitude or 30.5835) + 0.0216,
        longitude=site.longitude or 104.1712,
        accuracy=25,
    )
    started = (inspection.started_at - timedelta(days=2)).replace(hour=8, minute=10, second=0)
    inspection.started_at = started
    submit_round(session, inspector, inspection, day=day, at=started + timedelta(seconds=95))


def _demo_photo(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (480, 360), color).save(out, "JPEG", quality=80)
    return out.getvalue()


def _published_draw(app, session, demo) -> None:
    """Last week's window spot check: both drawn inspectors opened and signed each check (the
    second added a finding from the same visit), then the discipline officer published it."""
    users = demo["users"]
    day = demo["today"] - timedelta(days=7)
    draw = create_draw(
        session,
        users["discipline"],
        title="上周窗口随机抽查",
        target_kind="window",
        site_ids=[demo["sites"]["DM"].id],
        post_ids=None,
        inspector_ids=[users["inspector"].id, users["inspector2"].id],
        target_count=2,
        inspectors_per_target=2,
        day=day,
    )
    checks = session.scalars(
        sa.select(Inspection).where(Inspection.draw_id == draw.id).order_by(Inspection.id)
    ).all()
    base = datetime.combine(day, time(2, 0))  # 10:00 in Asia/Shanghai, stored as UTC
    for n, check in enumerate(checks):
        start = base + timedelta(minutes=40 * n)
        first, second = (session.get(User, m.user_id) for m in check.team)
        roster = site_roster(session, check.site, day)
        open_spot_check(session, first, check, at=start)
        open_spot_check(session, second, check, at=start + timedelta(minutes=1))
        if n == 0:
            result = record_failure(
                session,
                first,
                check,
                target=Target("window", check.target_window_id),
                item_code="C01",
                reason="台面堆放杂物",
                roster=roster,
            )
            store_photo(
                session,
                first,
                _demo_photo((190, 160, 120)),
                upload_folder=app.config["UPLOAD_FOLDER"],
                inspection_uuid=check.uuid,
                check_result_id=result.id,
            )
        sign_spot_check(
            session,
            first,
            check,
            user_agent=DEMO_PHONE,
            remark="已检查",
            day=day,
            at=start + timedelta(minutes=12),
        )
        if n == 0:
            result = record_failure(
                session,
                second,
                check,
                target=Target("window", check.target_window_id),
                item_code="C02",
                reason="地面有纸屑",
                roster=roster,
            )
            store_photo(
                session,
                second,
                _demo_photo((150, 150, 150)),
                upload_folder=app.config["UPLOAD_FOLDER"],
                inspection_uuid=check.uuid,
                check_result_id=result.id,
            )
        sign_spot_check(
            session,
            second,
            check,
            user_agent=DEMO_PHONE,
            remark="确认，补充一项",
            day=day,
            at=start + timedelta(minutes=15),
        )
    publish_draw(session, users["discipline"], draw)


DEMO_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
