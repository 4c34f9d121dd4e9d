"""The bulletin's workflow through its pages: draft, edit, approve, publish; who may do what;
stale forms answer 409; readers of its scope are notified; the Word download opens in
LibreOffice with the title, figures and tables; the bulletin ledger lists it."""

from __future__ import annotations

import io
import subprocess

import bulletin_scene  # tests/evaluation is on the path (no __init__: the name would hide evaluation)
import pytest
import sqlalchemy as sa
from docx import Document

from compliance.db import db
from compliance.models import AuditEvent
from compliance.notifications.models import Notification
from evaluation.bulletins.models import Bulletin
from tests.ledgers.pdf import SOFFICE, needs_soffice, pages, squeeze

scene = bulletin_scene.scene


def _csrf(client) -> str:
    import re

    page = client.get("/csrf-probe").get_data(as_text=True)
    return re.search(r'content="([^"]+)"', page).group(1)


@pytest.fixture
def officer(client_for, scene):
    return client_for("discipline")


def _draft(client, **data):
    form = {"kind": "month", "year": "2026", "index": "10", "site": ""} | data
    return client.post("/evaluation/bulletins/draft", data=form)


def _bulletin() -> Bulletin:
    return db.session.scalars(sa.select(Bulletin).order_by(Bulletin.id.desc())).first()


def _actions(entity_id) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.entity_type == "Bulletin", AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.id)
        )
    )


def _edit_data(bulletin, **changes):
    content = bulletin.content
    data = {
        "version": str(bulletin.version),
        "title": content["title"],
        "organ": content["organ"],
        "addressees": content["addressees"],
        "cc": "区纪委监委派驻纪检监察组",
        "opening": content["texts"]["opening"],
        "praise": "以下窗口和人员表现突出，予以通报表扬。",
        "criticism": content["texts"]["criticism"],
        "problems": content["texts"]["problems"],
        "rectification": content["texts"]["rectification"],
        "requirements": "各中心要对照问题清单逐项整改。\n\n举一反三，防止问题反弹。",
    }
    return data | changes


def test_draft_edit_approve_publish_notifies_its_readers(officer, client_for, scene, make_user):
    response = _draft(officer, site=str(scene["centre"].id))  # the centre and its two sites
    assert response.status_code == 302, response.get_data(as_text=True)
    bulletin = _bulletin()
    page = officer.get(f"/evaluation/bulletins/{bulletin.id}").get_data(as_text=True)
    assert "关于2026年10月窗口考评情况的通报" in page and "〔2026〕第1期" in page
    assert "脱岗超过15分钟" in page and "五星窗口" in page

    # A staff member sees neither the draft nor it in the list.
    west_staff = client_for("staff", sites=[scene["west"]])
    assert west_staff.get(f"/evaluation/bulletins/{bulletin.id}").status_code == 404
    assert "〔2026〕第1期" not in west_staff.get("/evaluation/bulletins/").get_data(as_text=True)

    assert officer.get(f"/evaluation/bulletins/{bulletin.id}/edit").status_code == 200
    response = officer.post(f"/evaluation/bulletins/{bulletin.id}/edit", data=_edit_data(bulletin))
    assert response.status_code == 302
    db.session.expire_all()
    bulletin = _bulletin()
    assert bulletin.content["texts"]["praise"] == "以下窗口和人员表现突出，予以通报表扬。"
    assert bulletin.content["cc"] == "区纪委监委派驻纪检监察组"

    inspector = client_for("inspector")
    assert (
        inspector.post(
            f"/evaluation/bulletins/{bulletin.id}/approve", data={"version": bulletin.version}
        ).status_code
        == 403
    )
    response = officer.post(
        f"/evaluation/bulletins/{bulletin.id}/approve", data={"version": bulletin.version}
    )
    assert response.status_code == 302
    db.session.expire_all()
    bulletin = _bulletin()
    assert bulletin.status == "approved" and bulletin.approved_by_id == officer.user.id
    # Approved: no more editing.
    stale = officer.post(f"/evaluation/bulletins/{bulletin.id}/edit", data=_edit_data(bulletin))
    assert stale.status_code == 409

    outsider = make_user(roles=("staff",), sites=[make_site_outside(scene)])
    response = officer.post(
        f"/evaluation/bulletins/{bulletin.id}/publish", data={"version": bulletin.version}
    )
    assert response.status_code == 302
    db.session.expire_all()
    bulletin = _bulletin()
    assert bulletin.status == "published" and bulletin.published_at is not None
    told = set(
        db.session.scalars(
            sa.select(Notification.user_id).where(Notification.kind == "bulletin.published")
        )
    )
    assert west_staff.user.id in told and officer.user.id in told
    assert outsider.id not in told
    assert west_staff.get(f"/evaluation/bulletins/{bulletin.id}").status_code == 200
    assert _actions(bulletin.id) == [
        "bulletin.create",
        "bulletin.update",
        "bulletin.approve",
        "bulletin.publish",
    ]


def make_site_outside(scene):
    from compliance.models import Site

    site = Site(code="ELSE", name="别的中心", kind="centre")
    db.session.add(site)
    db.session.commit()
    return site


def test_a_stale_edit_or_approval_answers_409_and_changes_nothing(officer, scene):
    _draft(officer)
    bulletin = _bulletin()
    old = bulletin.version
    assert (
        officer.post(
            f"/evaluation/bulletins/{bulletin.id}/edit", data=_edit_data(bulletin, title="第一次")
        ).status_code
        == 302
    )
    response = officer.post(
        f"/evaluation/bulletins/{bulletin.id}/edit",
        data=_edit_data(bulletin, title="第二次", version=str(old)),  # loaded before the first
    )
    assert response.status_code == 409
    assert "该记录已被他人修改" in response.get_data(as_text=True)
    response = officer.post(f"/evaluation/bulletins/{bulletin.id}/approve", data={"version": old})
    assert response.status_code == 409
    db.session.expire_all()
    bulletin = _bulletin()
    assert bulletin.title == "第一次" and bulletin.status == "draft"


def test_bad_input_names_the_field(officer, scene):
    response = _draft(officer, index="13")
    assert response.status_code == 422
    _draft(officer)
    bulletin = _bulletin()
    response = officer.post(
        f"/evaluation/bulletins/{bulletin.id}/edit", data=_edit_data(bulletin, title="")
    )
    assert response.status_code == 422
    response = officer.post(
        f"/evaluation/bulletins/{bulletin.id}/edit", data=_edit_data(bulletin, opening="字" * 4001)
    )
    assert response.status_code == 422
    response = _draft(officer, year="2026", index="11")  # November is not closed
    assert response.status_code == 409
    assert "2026-11" in response.get_data(as_text=True)


def test_the_centre_head_approves_when_configured(officer, client_for, scene):
    from compliance.settings import set_setting

    set_setting(db.session, None, "evaluation.bulletin_leader_approves", True)
    db.session.commit()
    _draft(officer)
    bulletin = _bulletin()
    assert (
        officer.post(
            f"/evaluation/bulletins/{bulletin.id}/approve", data={"version": bulletin.version}
        ).status_code
        == 403
    )
    leader = client_for("leader")
    assert (
        leader.post(
            f"/evaluation/bulletins/{bulletin.id}/approve", data={"version": bulletin.version}
        ).status_code
        == 302
    )
    db.session.expire_all()
    bulletin = _bulletin()
    assert (
        leader.post(
            f"/evaluation/bulletins/{bulletin.id}/publish", data={"version": bulletin.version}
        ).status_code
        == 403
    )  # the head approves; discipline or an administrator publishes
    response = officer.post(
        f"/evaluation/bulletins/{bulletin.id}/return",
        data={"version": bulletin.version, "reason": "数据需复核"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert _bulletin().status == "draft"


def test_the_ledger_lists_the_bulletin(officer, scene):
    from openpyxl import load_workbook

    _draft(officer)
    response = officer.post(
        "/reports/bulletins/export", data={"from": "2026-10-01", "to": "2026-10-31"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    rows = list(load_workbook(io.BytesIO(response.data)).worksheets[0].iter_rows(values_only=True))
    found = [r for r in rows if r and "〔2026〕第1期" in r]
    assert found and "关于2026年10月窗口考评情况的通报" in found[0] and "草稿" in found[0]


@needs_soffice
def test_the_downloaded_word_document_opens_in_libreoffice(officer, scene, tmp_path):
    pytest.importorskip("pypdfium2", reason="pypdfium2 is a test extra")
    _draft(officer)
    bulletin = _bulletin()
    assert officer.get(f"/evaluation/bulletins/{bulletin.id}/download").status_code == 405
    response = officer.post(f"/evaluation/bulletins/{bulletin.id}/download")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert _actions(bulletin.id)[-1] == "bulletin.download"
    document = Document(io.BytesIO(response.data))
    assert document.paragraphs[0].text == "城关区政务服务中心"
    source = tmp_path / "bulletin.docx"
    source.write_bytes(response.data)
    result = subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    text = "".join(p["text"] for p in pages(tmp_path / "bulletin.pdf"))
    for expected in (
        "关于2026年10月窗口考评情况的通报",
        "〔2026〕第1期",
        "一、总体情况",
        "参评人员33",
        "人员平均得分94.3391.33",
        "101综合受理东关中心98.5五星窗口",  # rank 1, window "01 综合受理"
        "李建国东关中心脱岗超过15分钟-10",
        "三、通报批评",
        "整改落实情况",
    ):
        assert squeeze(expected) in text, expected


def test_a_form_without_a_valid_version_answers_400_and_changes_nothing(officer, scene):
    _draft(officer)
    bulletin = _bulletin()
    for bad in ("abc", "1e3", "NaN", "-1", "0", "1.0", "9" * 23, ""):
        response = officer.post(
            f"/evaluation/bulletins/{bulletin.id}/edit",
            data=_edit_data(bulletin, title="不该保存", version=bad),
        )
        assert response.status_code == 400, bad
        response = officer.post(
            f"/evaluation/bulletins/{bulletin.id}/approve", data={"version": bad}
        )
        assert response.status_code == 400, bad
        assert "刷新页面" in response.get_data(as_text=True) or "reload" in response.get_data(
            as_text=True
        )
    db.session.expire_all()
    bulletin = _bulletin()
    assert bulletin.title != "不该保存" and bulletin.status == "draft"
