"""The system's draft of a bulletin: every figure and table comes from the closed months'
frozen scores (and the trend from the month before)."""

from __future__ import annotations

from datetime import date

import bulletin_scene  # tests/evaluation is on the path (no __init__: the name would hide evaluation)
import pytest

from compliance.db import db
from compliance.domain import ConflictError, ForbiddenError, InvalidError
from evaluation.bulletins import services
from evaluation.bulletins.content import BulletinContent

scene = bulletin_scene.scene
TODAY = date(2026, 11, 6)


def _draft(officer, **kw):
    args = {"kind": "month", "year": 2026, "index": 10, "site_id": None, "today": TODAY} | kw
    bulletin = services.draft_bulletin(db.session, officer, **args)
    return bulletin, BulletinContent.from_dict(bulletin.content)


def figures(content):
    return {f.label: (f.value, f.previous) for f in content.figures}


def test_a_month_drafts_the_snapshot_figures_and_the_previous_month(scene):
    bulletin, content = _draft(scene["officer"])
    assert bulletin.number == "〔2026〕第1期" and bulletin.status == "draft"
    assert bulletin.close_ids == [scene["october"].id]
    f = figures(content)
    assert f["参评人员"] == ("3", "3")
    assert f["人员平均得分"] == ("94.33", "91.33")  # (100+88+95)/3, (97+99+78)/3
    assert f["参评窗口"] == ("2", "2")
    assert f["窗口平均得分"] == ("94.75", "90.5")
    assert f["星级窗口"] == ("1", "1")
    assert f["黄牌"] == ("1", "1") and f["红牌"] == ("0", "1")
    assert f["人员扣分合计"] == ("17.5", "0")
    # Praise: windows and staff best first.
    assert [(e.rank, e.name, e.site, e.score, e.distinction) for e in content.best_windows] == [
        (1, "01 综合受理", "东关中心", "98.5", "五星窗口"),
        (2, "02 社保窗口", "西街中心", "91", ""),
    ]
    assert [(e.name, e.score, e.window) for e in content.best_staff] == [
        ("张晓燕", "100", "01 综合受理"),
        ("王芳", "95", "02 社保窗口"),
        ("李建国", "88", "01 综合受理"),
    ]
    # Criticism: the deductions, largest first; the joint share is not listed twice.
    assert [(d.subject, d.site, d.what, d.points) for d in content.deductions] == [
        ("李建国", "东关中心", "脱岗超过15分钟", "-10"),
        ("王芳", "西街中心", "群众投诉：态度生硬", "-5"),
        ("李建国", "东关中心", "未按规定着装（未佩戴工牌）", "-2"),
    ]
    trend = {t.label: (t.current, t.previous, t.change) for t in content.trend}
    assert trend["人员平均得分"] == ("94.33", "91.33", "+3")
    assert trend["红黄牌数"] == ("1", "2", "−1")
    # Typical problems: every category in the default language (Chinese), none found here.
    assert [(p.category, p.count) for p in content.problems] == [
        ("在岗在位", 0),
        ("着装规范", 0),
        ("环境卫生", 0),
        ("服务规范", 0),
    ]
    assert content.title == "关于2026年10月窗口考评情况的通报"
    assert content.organ == "城关区政务服务中心"  # the top site, no organ configured
    assert "94.33" in content.texts["praise"]


def test_a_site_bulletin_reads_only_its_sites(scene):
    _b, content = _draft(scene["officer"], site_id=scene["west"].id)
    f = figures(content)
    assert f["参评人员"][0] == "1" and f["人员平均得分"][0] == "95"
    assert [e.name for e in content.best_staff] == ["王芳"]
    assert [d.subject for d in content.deductions] == ["王芳"]


def test_without_names_the_window_stands_for_the_person(scene):
    from compliance.settings import set_setting

    set_setting(db.session, None, "evaluation.bulletin_names_people", False)
    _b, content = _draft(scene["officer"])
    assert {d.subject for d in content.deductions} == {"01 综合受理", "02 社保窗口"}


def test_a_quarter_needs_its_three_months_closed_and_averages_them(scene, make_user):
    from evaluation.models import MonthClose

    with pytest.raises(ConflictError) as refused:
        _draft(scene["officer"], kind="quarter", index=3)
    assert refused.value.params["months"] == "2026-07, 2026-08"
    db.session.add(
        MonthClose(
            month=date(2026, 8, 1),
            scheme_id=scene["scheme"].id,
            closed_by_id=scene["officer"].id,
            status="closed",
        )
    )
    db.session.add(
        MonthClose(
            month=date(2026, 7, 1),
            scheme_id=scene["scheme"].id,
            closed_by_id=scene["officer"].id,
            status="closed",
        )
    )
    db.session.flush()
    bulletin, content = _draft(scene["officer"], kind="quarter", index=3)
    assert (bulletin.period_start, bulletin.period_end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert figures(content)["人员平均得分"][0] == "91.33"  # September's only scores


def test_a_reopened_month_cannot_be_reported(scene):
    scene["october"].status = "reopened"
    db.session.flush()
    with pytest.raises(ConflictError):
        _draft(scene["officer"])


def test_wrong_periods_scopes_and_a_second_draft_are_refused(scene, make_user):
    with pytest.raises(InvalidError) as wrong:
        _draft(scene["officer"], kind="quarter", index=5)
    assert wrong.value.field == "index"
    local = make_user(roles=("discipline",), sites=[scene["east"]])
    with pytest.raises(ForbiddenError):
        _draft(local)  # the whole centre
    with pytest.raises(InvalidError):
        _draft(local, site_id=scene["west"].id)
    _draft(local, site_id=scene["east"].id)
    with pytest.raises(ConflictError):
        _draft(local, site_id=scene["east"].id)
    inspector = make_user(roles=("inspector",))
    with pytest.raises(ForbiddenError):
        _draft(inspector)
