"""The 好差评 import: 差评 rows of the platform's export (Excel or CSV) become complaints; the
column mapping is saved per source; a preview says what will be created, skipped or refused;
the evaluation number makes a second import of the same file create nothing; bad rows are listed
with their reasons; a file that cannot be read stores and imports nothing."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from compliance.db import db
from compliance.notifications.models import Notification
from compliance.timeutil import local_today
from inspections.complaints.models import ConductRecord, RatingImport, RatingImportProfile

HEADERS = [
    "评价编号",
    "评价时间",
    "评价等级",
    "评价内容",
    "办理机构",
    "办理窗口",
    "工作人员",
    "事项名称",
    "联系电话",
]


@pytest.fixture
def hall(app, make_site, make_window, make_staff, make_user):
    site = make_site(code="DMX", name="大面测试中心")
    window = make_window(site=site, code="A03", name="社保")
    clerk = make_staff(site=site, window=window, name="李四")
    return {
        "site": site,
        "window": window,
        "clerk": clerk,
        "hr": make_user(roles=("hr",), sites=[site]),
        "officer": make_user(roles=("discipline",), sites=[site]),
    }


def _xlsx(rows, title="2026年11月好差评数据导出") -> bytes:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rows(hall) -> list[list]:
    day = (local_today() - timedelta(days=2)).isoformat() + " 10:21:05"
    return [
        [
            "PJ001",
            day,
            "非常不满意",
            "等了一个小时没人办",
            "DMX",
            "A03",
            "",
            "社保卡补换",
            "13900000001",
        ],
        ["PJ002", day, "满意", "很好", "DMX", "A03", "李四", "社保卡补换", ""],
        ["PJ003", day, "不满意", "", "DMX", "", hall["clerk"].staff_no, "养老认证", ""],
    ]


def _upload(client, data: bytes, filename: str, profile_id: int = 0, name: str = "省平台"):
    return client.post(
        "/complaints/import",
        data={
            "profile": profile_id,
            "profile_name": name if not profile_id else "",
            "file": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def _import_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:600]
    return int(re.search(r"/complaints/import/(\d+)$", response.headers["Location"]).group(1))


def test_importing_the_same_file_twice_creates_its_complaints_once(app, hall, client_for, login):
    hr = login(app.test_client(), hall["hr"])
    data = _xlsx(_rows(hall))
    first = _import_id(_upload(hr, data, "haochaping.xlsx"))
    preview = hr.get(f"/complaints/import/{first}").get_data(as_text=True)
    assert 'data-count="create">2<' in preview and 'data-count="skip">1<' in preview
    assert db.session.scalar(sa.select(sa.func.count(ConductRecord.id))) == 0  # preview only
    assert hr.post(f"/complaints/import/{first}/apply").status_code == 302
    rows = db.session.scalars(sa.select(ConductRecord).order_by(ConductRecord.external_no)).all()
    assert [(r.external_no, r.subject, r.source, r.status) for r in rows] == [
        ("PJ001", "window", "rating", "verifying"),
        ("PJ003", "staff", "rating", "verifying"),
    ]
    assert rows[0].window_id == hall["window"].id and rows[0].complainant_phone == "13900000001"
    assert rows[1].staff_member_id == hall["clerk"].id and "养老认证" in rows[1].text
    # The site's discipline officer is told once for the file, not once per row.
    notices = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == hall["officer"].id)
    ).all()
    assert [n.kind for n in notices] == ["complaint.imported"]
    # The same file again, from the source saved the first time: nothing new.
    profile = db.session.scalars(sa.select(RatingImportProfile)).one()
    second = _import_id(_upload(hr, data, "haochaping.xlsx", profile_id=profile.id))
    preview = hr.get(f"/complaints/import/{second}").get_data(as_text=True)
    assert 'data-count="create">0<' in preview and 'data-count="skip">3<' in preview
    assert preview.count("已导入过") == 2
    assert hr.post(f"/complaints/import/{second}/apply").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(ConductRecord.id))) == 2
    applied = db.session.get(RatingImport, second)
    assert (applied.created_count, applied.skipped_count, applied.error_count) == (0, 3, 0)
    # An applied import is not applied again.
    assert hr.post(f"/complaints/import/{first}/apply").status_code == 409


def test_a_file_with_bad_rows_lists_each_with_its_reason_and_imports_the_rest(app, hall, login):
    hr = login(app.test_client(), hall["hr"])
    day = (local_today() - timedelta(days=1)).isoformat()
    future = (local_today() + timedelta(days=3)).isoformat()
    rows = [
        ["PJ101", day, "差评", "好", "DMX", "A03", "", "", ""],  # good
        ["", day, "差评", "没有编号", "DMX", "", "", "", ""],  # row 4
        ["PJ103", "昨天", "差评", "日期不对", "DMX", "", "", "", ""],  # row 5
        ["PJ104", day, "差评", "查无此人", "DMX", "", "张三丰", "", ""],  # row 6
        ["PJ105", day, "差评", "没有这个窗口", "DMX", "Z99", "", "", ""],  # row 7
        ["PJ101", day, "差评", "编号重复", "DMX", "", "", "", ""],  # row 8
        ["PJ107", future, "差评", "未来的日期", "DMX", "", "", "", ""],  # row 9
        ["PJ108", day, "差评", "未知场所", "NOWHERE", "", "", "", ""],  # row 10
    ]
    imp = _import_id(_upload(hr, _xlsx(rows), "bad.xlsx"))
    page = hr.get(f"/complaints/import/{imp}").get_data(as_text=True)
    assert 'data-count="create">1<' in page and 'data-count="error">7<' in page
    problems = dict(
        re.findall(r'<tr data-row="(\d+)"><td>\d+</td><td>[^<]*</td><td>([^<]+)</td>', page)
    )
    assert problems["4"] == "缺少评价编号。"
    assert "不是日期" in problems["5"]
    assert "没有工作人员 张三丰" in problems["6"]
    assert "没有窗口 Z99" in problems["7"]
    assert "重复出现" in problems["8"] and "第 3 行" in problems["8"]
    assert "晚于今天" in problems["9"]
    assert "未知场所 NOWHERE" in problems["10"]
    assert hr.post(f"/complaints/import/{imp}/apply").status_code == 302
    assert db.session.scalars(sa.select(ConductRecord.external_no)).all() == ["PJ101"]
    # After the import the refused rows are still listed, with their reasons.
    after = hr.get(f"/complaints/import/{imp}").get_data(as_text=True)
    assert 'data-count="errors">7<' in after and "缺少评价编号。" in after


@pytest.mark.parametrize(
    "data,filename,message",
    [
        (b"this is not a workbook", "export.xlsx", "不是 Excel .xlsx 文件"),
        (b"PK\x03\x04 broken zip", "export.xlsx", "不是 Excel .xlsx 文件"),
        (b"\xd0\xcf\x11\xe0 old excel", "export.xls", ".xls"),
        (b"", "export.csv", "文件为空"),
        ("评价编号,评价时间,评价等级\n".encode(), "export.csv", "没有数据行"),
        (b"\x00\x01\x02\x03" * 50, "export.csv", "CSV"),
    ],
)
def test_a_file_that_cannot_be_read_stores_and_imports_nothing(
    app, hall, login, data, filename, message
):
    hr = login(app.test_client(), hall["hr"])
    response = _upload(hr, data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(RatingImport.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(RatingImportProfile.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(ConductRecord.id))) == 0


def test_the_column_mapping_is_chosen_once_and_saved_for_the_source(app, hall, login):
    hr = login(app.test_client(), hall["hr"])
    day = (local_today() - timedelta(days=1)).isoformat()
    # A GBK-encoded CSV, as Excel on a Chinese Windows saves it, with titles nobody guesses.
    text = f"单号,时间,结果,留言\nX-1,{day},1星,太慢了\nX-2,{day},5星,好\n"
    imp = _import_id(_upload(hr, text.encode("gb18030"), "区平台.csv", name="区平台"))
    page = hr.get(f"/complaints/import/{imp}").get_data(as_text=True)
    assert 'id="mapping"' in page and 'id="preview"' not in page  # the mapping comes first
    r = hr.post(
        f"/complaints/import/{imp}/mapping",
        data={
            "map_external_no": "单号",
            "map_rated_at": "时间",
            "map_rating": "结果",
            "map_content": "留言",
            "bad_ratings": "1星，2星",
            "default_site": hall["site"].id,
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:600]
    profile = db.session.scalars(sa.select(RatingImportProfile)).one()
    assert profile.mapping["external_no"] == "单号" and profile.bad_ratings == ["1星", "2星"]
    assert 'data-count="create">1<' in hr.get(f"/complaints/import/{imp}").get_data(as_text=True)
    # The next file of the same source is read the same way, with no question asked.
    text2 = f"单号,时间,结果,留言\nX-3,{day},2星,态度差\n"
    imp2 = _import_id(_upload(hr, text2.encode("gb18030"), "区平台-2.csv", profile_id=profile.id))
    page = hr.get(f"/complaints/import/{imp2}").get_data(as_text=True)
    assert 'data-count="create">1<' in page
    assert hr.post(f"/complaints/import/{imp2}/apply").status_code == 302
    row = db.session.scalars(sa.select(ConductRecord)).one()
    assert (row.external_no, row.subject, row.site_id) == ("X-3", "site", hall["site"].id)
    # A column chosen for two fields is refused and nothing is saved.
    r = hr.post(
        f"/complaints/import/{imp}/mapping",
        data={
            "map_external_no": "单号",
            "map_rated_at": "单号",
            "map_rating": "结果",
            "bad_ratings": "1星",
        },
    )
    assert r.status_code == 422
    db.session.expire_all()
    assert db.session.get(RatingImportProfile, profile.id).mapping["rated_at"] == "时间"


def test_only_the_uploader_and_administrators_see_an_import(app, hall, login, client_for):
    hr = login(app.test_client(), hall["hr"])
    imp = _import_id(_upload(hr, _xlsx(_rows(hall)), "a.xlsx"))
    other = client_for("discipline", sites=[hall["site"]])
    assert other.get(f"/complaints/import/{imp}").status_code == 404
    assert other.post(f"/complaints/import/{imp}/apply").status_code == 404
    assert client_for("admin").get(f"/complaints/import/{imp}").status_code == 200
    assert client_for("inspector").get(f"/complaints/import/{imp}").status_code == 403
