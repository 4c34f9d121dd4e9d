"""The facts a ledger must carry and the words it says them in: a rejected-then-verified
rectification with each rejection's who/when/why and the verification note; each photo once with
its role; rows in date order; no two columns of a ledger with the same header; no action code or
record type left in English in a Chinese audit trail; only the fields that changed."""

from __future__ import annotations

import ast
import re
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from compliance.db import db

from .conftest import data_rows, sheet_rows
from .scene import build_scene

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scene(make_site, make_window, make_staff, make_user):
    return build_scene(make_site, make_window, make_staff, make_user)


def _photo(uploader, finding=None):
    from inspections.models import Photo

    photo = Photo(
        sha256=uuid.uuid4().hex * 2,
        storage_key=uuid.uuid4().hex,
        original_format="JPEG",
        width=10,
        height=10,
        size_bytes=100,
        finding_id=finding.id if finding is not None else None,
        uploaded_by_id=uploader.id,
    )
    db.session.add(photo)
    db.session.flush()
    return photo


def _rows_by(response, key_column: str, ledger) -> dict:
    keys = [c.key for c in ledger.columns]
    return {
        row[keys.index(key_column)]: dict(zip(keys, row, strict=True))
        for row in data_rows(response.data)
    }


def test_rejected_then_verified_case_tells_who_when_why_and_each_photo_once(
    client_for, scene, make_user
):
    from inspections.ledgers import INSPECTIONS
    from inspections.rectification import services as svc
    from inspections.rectification.ledgers import RECTIFICATIONS

    made = scene["made"]["OTHER"]
    rect, finding, staff = made["rect"], made["finding"], made["staff"]
    problem_photo = made["photo"]
    person = make_user(roles=("staff",), staff_member=staff, display_name="李娜本人")
    inspector, verifier = scene["inspector"], scene["verifier"]
    # As the rectification pages store them: the response photo is linked to the finding too.
    first_photo = _photo(person, finding)
    svc.respond(db.session, person, rect, "已佩戴工牌", [first_photo])
    svc.reject(db.session, inspector, rect, "照片看不清工牌", today=date(2026, 3, 12))
    second_photo = _photo(person, finding)
    svc.respond(db.session, person, rect, "已重新拍照", [second_photo])
    svc.verify(db.session, verifier, rect, "复查符合要求", today=date(2026, 3, 13))
    db.session.commit()
    events = {e.kind: e for e in rect.events}

    officer = client_for("discipline")
    response = officer.post("/reports/rectifications/export", data=dict(MARCH, sites="OTHER"))
    [row] = _rows_by(response, "no", RECTIFICATIONS).values()
    local = {
        kind: (events[kind].at.replace(tzinfo=None) + (datetime(1, 1, 1, 8) - datetime(1, 1, 1)))
        for kind in events
    }
    # Who rejected, when (local time) and why; the verification and its note; both responses.
    assert row["rejections"] == (f"{local['rejected']:%Y-%m-%d %H:%M} 督查张三：照片看不清工牌")
    assert row["rejection_count"] == 1
    assert row["verifier"] == "复查李四"
    assert row["verification_note"] == "复查符合要求"
    responses = row["responses"].split("\n")
    assert [line.split("：", 1)[1] for line in responses] == ["已佩戴工牌", "已重新拍照"]
    assert all("李娜本人" in line for line in responses)
    assert row["reason"] == "未佩戴" and row["note"] == "未佩戴工牌"
    # Each photo once, with its role: the response photos are not the problem's photo.
    lines = row["photos"].split("\n")
    assert len(lines) == 3
    by_id = {int(re.search(r"/(\d+)/display", line).group(1)): line for line in lines}
    assert by_id[problem_photo.id].startswith("问题照片：")
    assert by_id[first_photo.id].startswith("整改答复照片：")
    assert by_id[second_photo.id].startswith("整改答复照片：")
    # The inspection ledger shows the same photos with the same roles, never an after photo as
    # the photo of the problem.
    inspection = officer.post("/reports/inspections/export", data=dict(MARCH, sites="OTHER"))
    [found] = _rows_by(inspection, "no", INSPECTIONS).values()
    problem_lines = [x for x in found["photos"].split("\n") if x.startswith("问题照片")]
    assert len(problem_lines) == 1 and f"/{problem_photo.id}/display" in problem_lines[0]
    assert found["photos"].count("/display") == 3


def test_on_the_spot_fix_photo_is_listed_once_as_the_fix(client_for, scene):
    from inspections.ledgers import INSPECTIONS
    from inspections.models import Finding
    from inspections.rectification import services as svc
    from inspections.rectification.ledgers import RECTIFICATIONS

    home = scene["made"]["HOME"]
    model = home["finding"]
    finding = Finding(
        inspection_id=model.inspection_id,
        item_version_id=model.item_version_id,
        category="hygiene",
        target="staff",
        site_id=model.site_id,
        window_id=model.window_id,
        staff_member_id=model.staff_member_id,
        severity="minor",
        description="桌面杂乱",
        reason="桌面堆放杂物",
        found_by_id=scene["inspector"].id,
        found_at=datetime(2026, 3, 20, 2),
    )
    db.session.add(finding)
    db.session.flush()
    rect = svc.open_for_finding(db.session, scene["inspector"], finding)
    rect.opened_at = finding.found_at  # opened by the patrol of that day
    fix_photo = _photo(scene["inspector"], finding)
    svc.fix_on_spot(
        db.session,
        scene["inspector"],
        rect,
        "已当场整理",
        [fix_photo],
        witness="值班长",
        today=date(2026, 3, 20),
    )
    db.session.commit()
    officer = client_for("discipline")
    response = officer.post("/reports/rectifications/export", data=dict(MARCH, sites="HOME"))
    rows = [
        r
        for r in _rows_by(response, "no", RECTIFICATIONS).values()
        if r["reason"] == "桌面堆放杂物"
    ]
    [row] = rows
    assert row["photos"].count(f"/{fix_photo.id}/display") == 1
    assert row["photos"].startswith("现场整改照片：")
    assert "现场整改（见证人：值班长）：已当场整理" in row["responses"]
    found = officer.post("/reports/inspections/export", data=dict(MARCH, sites="HOME"))
    [line] = [
        r["photos"]
        for r in _rows_by(found, "no", INSPECTIONS).values()
        if r["reason"] == "桌面堆放杂物"
    ]
    assert line.startswith("现场整改照片：") and "问题照片" not in line


def test_rows_follow_the_date_not_the_record_id(client_for, scene):
    """A rectification opened earlier but stored later (e.g. a patrol synced from a phone) comes
    first in the rectification and inspection ledgers."""
    from inspections.models import Finding
    from inspections.rectification.models import Rectification

    home = scene["made"]["HOME"]
    late_record = Finding(
        inspection_id=home["inspection"].id,
        item_version_id=home["finding"].item_version_id,
        category="attire",
        target="staff",
        site_id=home["finding"].site_id,
        staff_member_id=home["finding"].staff_member_id,
        severity="minor",
        description="早于其他记录的问题",
        found_at=datetime(2026, 3, 1, 1),
    )
    db.session.add(late_record)
    db.session.flush()
    db.session.add(
        Rectification(
            source="finding",
            finding_id=late_record.id,
            site_id=late_record.site_id,
            category="attire",
            severity="minor",
            title=late_record.description,
            status="open",
            opened_at=datetime(2026, 3, 1, 1),
            opened_on=date(2026, 3, 1),
            first_deadline_on=date(2026, 3, 8),
            deadline_on=date(2026, 3, 8),
        )
    )
    db.session.commit()
    officer = client_for("discipline")
    for code, column in (("rectifications", 6), ("inspections", 8)):
        rows = data_rows(officer.post(f"/reports/{code}/export", data=MARCH).data)
        assert rows[0][column] == "早于其他记录的问题", code
        times = [r[1] for r in rows]
        assert times == sorted(times)


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_no_ledger_has_two_columns_with_the_same_header(app, locale):
    from flask_babel import force_locale

    from compliance.ledgers.registry import all_ledgers

    with force_locale(locale):
        for ledger in all_ledgers(app):
            labels = [str(c.label) for c in ledger.columns]
            twice = {x for x in labels if labels.count(x) > 1}
            assert not twice, f"{ledger.code} ({locale}) has the header {twice} twice"
            filters = [str(f.label) for f in ledger.filters]
            assert len(set(filters)) == len(filters), ledger.code


def test_parameters_sheet_has_no_label_twice(client_for, scene):
    officer = client_for("discipline")
    response = officer.post("/reports/inspections/export", data=dict(MARCH, unit="results"))
    labels = [row[0] for row in sheet_rows(response.data, sheet=1)[1:] if row and row[0]]
    assert "每行对应" in labels and "数据行数" in labels
    assert len(labels) == len(set(labels)), labels


def test_wording_a_reader_expects(client_for, scene):
    from flask_babel import force_locale

    from compliance.ledgers.registry import get_ledger

    with force_locale("zh"):
        training = {c.key: str(c.label) for c in get_ledger("training").columns}
        mentoring = {c.key: str(c.label) for c in get_ledger("mentoring").columns}
        moves = {c.key: str(c.label) for c in get_ledger("rotation_moves").columns}
        attendance = {k: str(v) for k, v in get_ledger("training").columns[11].choices.items()}
    assert training["attendance"] == "出勤情况" and training["name"] == "姓名"
    assert attendance["excused"] == "已请假"
    assert mentoring["ends_on"] == "计划结束日期" and mentoring["ended_on"] == "实际结束日期"
    assert moves["name"] == "姓名"


def test_rotation_move_reason_is_in_words(app):
    from flask_babel import force_locale

    from rotation.ledgers import move_reason_text

    with force_locale("zh"):
        assert move_reason_text("due:2025-09-24") == "任职期满，应于 2025-09-24 轮岗"
        assert move_reason_text("reversal:12") == "撤回第 12 号轮岗计划"
        assert "due:" not in move_reason_text("candidate")
        assert move_reason_text("本人申请交流") == "本人申请交流"


# --- the audit trail in words ----------------------------------------------------------------


def _action_codes() -> set[str]:
    """Every action code passed to `record(...)` in the source: literals, both sides of a
    conditional, and the f-string families with their known values."""
    from inspections.integrity.models import EVENT_KINDS as INTEGRITY_EVENT_KINDS
    from inspections.rectification.models import CONDUCT_KINDS, EVENT_KINDS

    codes: set[str] = set()
    for package in ("compliance", "inspections", "training", "rotation", "evaluation"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or len(node.args) < 3:
                    continue
                func = node.func
                name = getattr(func, "id", None) or getattr(func, "attr", None)
                if name != "record":
                    continue
                arg = node.args[2]
                options = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
                for option in options:
                    if isinstance(option, ast.Constant) and isinstance(option.value, str):
                        codes.add(option.value)
                    elif isinstance(option, ast.JoinedStr):
                        pattern = ast.unparse(option)
                        if "rectification.{kind}" in pattern:
                            codes |= {f"rectification.{k}" for k in EVENT_KINDS}
                        elif "conduct.{kind}.create" in pattern:
                            codes |= {f"conduct.{k}.create" for k in CONDUCT_KINDS}
                        elif "integrity.{kind}" in pattern:
                            codes |= {f"integrity.{k}" for k in INTEGRITY_EVENT_KINDS}
                        else:
                            raise AssertionError(f"unknown action family {pattern} in {path}")
    return codes


def test_every_action_code_in_the_code_has_words_in_chinese(app):
    from flask_babel import force_locale

    from compliance.audit_labels import action_label

    codes = _action_codes()
    assert {"user.update_self", "ledger.export", "rectification.rejected"} <= codes
    with force_locale("zh"):
        missing = sorted(c for c in codes if not action_label(c))
        english = sorted(c for c in codes if action_label(c) and action_label(c).isascii())
    assert not missing, f"actions without words in the audit ledger: {missing}"
    assert not english, f"actions still in English in Chinese: {english}"


def _audit_rows(client, day: date) -> list[tuple]:
    response = client.post(
        "/reports/audit_trail/export", data={"from": day.isoformat(), "to": day.isoformat()}
    )
    assert response.status_code == 200
    return data_rows(response.data)


def test_chinese_audit_ledger_has_no_codes_ids_or_utc_times(app, client_for):
    from compliance.accounts import update_own_settings
    from compliance.demo import load_demo
    from compliance.models import User
    from compliance.timeutil import local_today

    load_demo(app, db.session)
    db.session.commit()
    officer = client_for("admin", "discipline")
    # An export (its filters, rows and route) and a user changing one of their own settings.
    officer.post("/reports/rectifications/export", data={"period": str(local_today().year)})
    me = db.session.get(User, officer.user.id)
    old_name = me.display_name
    update_own_settings(db.session, me, display_name="新的名字", locale=me.locale)
    db.session.commit()
    rows = _audit_rows(officer, local_today())
    assert len(rows) > 50
    code = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
    for row in rows:
        assert not code.match(row[3] or ""), f"untranslated action {row[3]}"
        assert not re.match(r"^[A-Z][A-Za-z]+$", row[4] or ""), f"untranslated type {row[4]}"
        changes = row[6] or ""
        assert not re.search(r"\b\w+_id:", changes), f"an internal id field in {changes!r}"
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", changes), (
            f"an ISO/UTC time in {changes!r}"
        )
    export = next(r for r in rows if r[3] == "导出台账")
    assert export[5].startswith("整改台账")
    assert "行数：" in export[6] and "导出途径：台账报表页面" in export[6]
    assert f"期间：{local_today().year}-01-01 至 {local_today().year}-12-31" in export[6]
    own = next(r for r in rows if r[3] == "修改本人账号设置")
    # Only what changed: the name, not the language that stayed the same, nor any other field.
    assert own[6].split("\n") == [f"显示名称：{old_name} → 新的名字"]
    created = next(r for r in rows if r[3] == "发起整改")
    assert created[6] and created[4] == "整改"


def test_times_inside_the_changes_are_local(app, client_for, scene):
    from compliance.audit import record
    from compliance.timeutil import local_today

    rect = scene["made"]["HOME"]["rect"]
    record(
        db.session,
        None,
        "rectification.verified",
        rect,
        before={"id": rect.id, "closed_at": None, "responsible_staff_id": None},
        after={
            "id": rect.id,
            "closed_at": "2026-03-16T03:00:00",
            "responsible_staff_id": scene["made"]["HOME"]["staff"].id,
        },
    )
    db.session.commit()
    rows = _audit_rows(client_for("discipline"), local_today())
    row = next(r for r in rows if r[3] == "整改复查通过")
    assert "结案时间：— → 2026-03-16 11:00:00" in row[6].split("\n")
    assert "责任人：— → 王伟 (" in row[6]
    assert row[2] == "系统" and row[5].endswith(f"(#{rect.id})")
    assert not any(r[3] == "rectification.verified" for r in rows)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("audit_event")))


def test_commendation_and_shadow_log_texts_reach_their_ledgers(app, client_for):
    from compliance.demo import load_demo
    from inspections.complaints.models import ConductRecord
    from training.models import ShadowLog

    load_demo(app, db.session, today=date(2026, 6, 15))
    db.session.commit()
    officer = client_for("discipline")
    period = {"from": "2025-01-01", "to": "2026-12-31"}
    conduct = data_rows(officer.post("/reports/complaints/export", data=period).data)
    texts = set(db.session.scalars(sa.select(ConductRecord.text)))
    assert {"表扬", "投诉"} <= {r[2] for r in conduct}
    assert {r[10] for r in conduct} == texts
    logs = data_rows(officer.post("/reports/shadow_logs/export", data=period).data)
    stored = db.session.scalars(sa.select(ShadowLog).order_by(ShadowLog.worked_on, ShadowLog.id))
    assert [(r[8], r[9]) for r in logs] == [(x.practised, x.mentor_comment) for x in stored]
