"""Plausibility of a submitted round: too fast for the windows it covers, or recorded far from the
site. A flag informs the discipline office and never blocks a submission.

`assess` is a pure function of the facts; `flag_implausible` loads them and stores the flags.
"""

from __future__ import annotations

import logging
import math

from sqlalchemy.orm import Session

from compliance.audit import record
from compliance.models import User
from compliance.settings import declare, get_setting

from ..models import Inspection, InspectionFlag
from .roster import SiteRoster
from .rounds import round_targets

logger = logging.getLogger(__name__)

# Administrator settings (0 switches the check off).
SECONDS_PER_WINDOW_KEY = "inspections.min_seconds_per_window"
MAX_DISTANCE_KEY = "inspections.max_distance_m"
declare(SECONDS_PER_WINDOW_KEY, 10)
declare(MAX_DISTANCE_KEY, 1000)

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def assess(
    *,
    seconds: int | None,
    windows: int,
    min_seconds_per_window: int,
    distance: float | None,
    accuracy: float | None,
    max_distance: int,
) -> list[tuple[str, dict]]:
    """The flags a round earns, as (code, figures).

    - too_fast: it took less than `windows` x `min_seconds_per_window` seconds;
    - far_from_site: even granting the phone's reported accuracy, it was recorded more than
      `max_distance` metres from the site (a fix accurate to ±2 km, 2.5 km away, is not flagged).
    A setting of 0, or a fact that is unknown, skips that check.
    """
    flags = []
    if min_seconds_per_window > 0 and windows > 0 and seconds is not None:
        minimum = windows * min_seconds_per_window
        if seconds < minimum:
            flags.append(
                (
                    "too_fast",
                    {
                        "seconds": int(seconds),
                        "windows": int(windows),
                        "minimum": int(minimum),
                        "per_window": int(min_seconds_per_window),
                    },
                )
            )
    if max_distance > 0 and distance is not None:
        margin = distance - (accuracy or 0)
        if margin > max_distance:
            flags.append(
                (
                    "far_from_site",
                    {
                        "distance_m": round(distance),
                        "accuracy_m": round(accuracy) if accuracy else None,
                        "limit_m": int(max_distance),
                    },
                )
            )
    return flags


def window_count(inspection: Inspection, roster: SiteRoster) -> int:
    """The windows a round covers: a patrol every window of the site, a spot check its one."""
    targets = round_targets(inspection, roster)
    windows = {t.id for t in targets if t.kind == "window"}
    if not windows and inspection.target_staff_id is not None:
        return 1
    return len(windows)


def flag_implausible(
    session: Session, actor: User | None, inspection: Inspection, *, windows: int
) -> list[InspectionFlag]:
    """Assess a round being submitted and store its flags (each audited). Returns the flags."""
    site = inspection.site
    distance = None
    if (
        site.latitude is not None
        and site.longitude is not None
        and inspection.latitude is not None
        and inspection.longitude is not None
    ):
        distance = distance_m(
            site.latitude, site.longitude, inspection.latitude, inspection.longitude
        )
    found = assess(
        seconds=inspection.duration_seconds,
        windows=windows,
        min_seconds_per_window=int(get_setting(session, SECONDS_PER_WINDOW_KEY) or 0),
        distance=distance,
        accuracy=inspection.location_accuracy_m,
        max_distance=int(get_setting(session, MAX_DISTANCE_KEY) or 0),
    )
    known = {f.code for f in inspection.flags}
    made = []
    for code, detail in found:
        if code in known:
            continue
        flag = InspectionFlag(inspection_id=inspection.id, code=code, detail=detail)
        inspection.flags.append(flag)
        made.append(flag)
    if made:
        session.flush()
        for flag in made:
            record(
                session,
                actor,
                "inspection.flag",
                inspection,
                after={"code": flag.code, **flag.detail},
            )
        logger.info("inspection %s flagged: %s", inspection.id, ", ".join(f.code for f in made))
    return made
