"""A small assessed centre for the bulletin tests: two sites under a centre, two closed months
(September and October 2026) of frozen scores written as the month close writes them."""

from __future__ import annotations

from datetime import date

import pytest

from compliance.db import db

OCT, SEP = date(2026, 10, 1), date(2026, 9, 1)


def detail(*items):
    return [
        {"kind": k, "ref_kind": "finding", "ref_id": n, "points": p, "label": label, "on": on}
        for n, (k, p, label, on) in enumerate(items, 1)
    ]


@pytest.fixture
def scene(app, make_site, make_window, make_staff, make_user):
    from evaluation.models import MonthClose, Scheme, ScoreSnapshot

    centre = make_site(code="C0", name="城关区政务服务中心")
    east = make_site(code="E1", name="东关中心", parent=centre)
    west = make_site(code="W1", name="西街中心", parent=centre)
    w_east = make_window(site=east, code="01", name="综合受理")
    w_west = make_window(site=west, code="02", name="社保窗口")
    zhang = make_staff(site=east, window=w_east, name="张晓燕")
    li = make_staff(site=east, window=w_east, name="李建国")
    wang = make_staff(site=west, window=w_west, name="王芳")
    officer = make_user(roles=("discipline",), username="officer", display_name="纪检员")
    scheme = Scheme(version=1, effective_from=date(2026, 1, 1), name="考评办法")
    db.session.add(scheme)
    db.session.flush()

    def close(month, rows):
        mc = MonthClose(month=month, scheme_id=scheme.id, closed_by_id=officer.id, status="closed")
        db.session.add(mc)
        db.session.flush()
        for kind, subject, name, site, window, score, rank, stars, card, items in rows:
            db.session.add(
                ScoreSnapshot(
                    close_id=mc.id,
                    subject_kind=kind,
                    subject_id=subject.id,
                    name=name,
                    site_id=site.id,
                    window_id=window.id if window else None,
                    score=score,
                    rank=rank,
                    stars=stars,
                    card=card,
                    deductions=-sum(i["points"] for i in items if i["points"] < 0),
                    bonuses=sum(i["points"] for i in items if i["points"] > 0),
                    detail=items,
                )
            )
        return mc

    october = close(
        OCT,
        [
            ("staff", zhang, "张晓燕", east, w_east, 100.0, 1, 0, "none", []),
            (
                "staff",
                li,
                "李建国",
                east,
                w_east,
                88.0,
                3,
                0,
                "yellow",
                detail(
                    ("finding", -2.0, "未按规定着装（未佩戴工牌）", "2026-10-12"),
                    ("finding", -10.0, "脱岗超过15分钟", "2026-10-20"),
                    ("joint", -0.5, "带教对象问题连带", "2026-10-21"),
                ),
            ),
            (
                "staff",
                wang,
                "王芳",
                west,
                w_west,
                95.0,
                2,
                0,
                "none",
                detail(("complaint", -5.0, "群众投诉：态度生硬", "2026-10-08")),
            ),
            ("window", w_east, "01 综合受理", east, w_east, 98.5, 1, 5, "none", []),
            ("window", w_west, "02 社保窗口", west, w_west, 91.0, 2, 0, "none", []),
            ("site", east, "东关中心", east, None, 94.0, 1, 0, "none", []),
            ("site", west, "西街中心", west, None, 95.0, 2, 0, "none", []),
        ],
    )
    september = close(
        SEP,
        [
            ("staff", zhang, "张晓燕", east, w_east, 97.0, 2, 0, "none", []),
            ("staff", li, "李建国", east, w_east, 99.0, 1, 0, "none", []),
            ("staff", wang, "王芳", west, w_west, 78.0, 3, 0, "red", []),
            ("window", w_east, "01 综合受理", east, w_east, 96.0, 1, 4, "none", []),
            ("window", w_west, "02 社保窗口", west, w_west, 85.0, 2, 0, "yellow", []),
        ],
    )
    db.session.commit()
    return {
        "centre": centre,
        "east": east,
        "west": west,
        "w_east": w_east,
        "w_west": w_west,
        "zhang": zhang,
        "li": li,
        "wang": wang,
        "officer": officer,
        "october": october,
        "september": september,
        "scheme": scheme,
    }
