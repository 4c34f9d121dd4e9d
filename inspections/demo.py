"""Demo data: the standard catalogue, patrol plans, a few past patrols with findings (through the
submit service, so every finding opens its rectification) and one draw."""

from __future__ import annotations

import uuid
from datetime import timedelta

from compliance.models import Site

from .catalogue import load_standard_catalogue
from .draws import create_draw
from .models import PatrolPlan
from .services import Target, record_failure, site_roster, start_round, submit_round

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
    return {"check_items": added, "patrols": len(PAST_PATROLS), "findings": findings, "draws": 1}
