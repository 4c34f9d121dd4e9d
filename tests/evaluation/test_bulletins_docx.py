"""The bulletin (通报) as a Word document: what LibreOffice prints of it (converted headless and
read back with pypdfium2), and what Word's own structure holds (python-docx reads it back)."""

from __future__ import annotations

import io
import subprocess
from datetime import date

import pytest
from docx import Document

from evaluation.bulletins.content import (
    BulletinContent,
    CategoryCount,
    DeductionEntry,
    Figure,
    RankedEntry,
    RectificationFigures,
    TrendRow,
)
from evaluation.bulletins.docx import render_docx
from tests.ledgers.pdf import SOFFICE, colour_pixels, needs_soffice, pages, render, squeeze


def sample(**changes) -> BulletinContent:
    content = BulletinContent(
        organ="城关区政务服务中心",
        number="〔2026〕第3期",
        title="关于2026年10月窗口考评情况的通报",
        issued_on=date(2026, 11, 5),
        period_label="2026年10月",
        addressees="各便民服务中心",
        figures=[
            Figure("参评人员", "48", "45"),
            Figure("平均得分", "96.37", "95.10"),
            Figure("黄牌", "2", "1"),
        ],
        best_windows=[
            RankedEntry(1, "综合受理一号窗", "城关中心", "99.5", "五星窗口"),
            RankedEntry(2, "不动产登记窗", "东关中心", "98.75", "五星窗口"),
        ],
        best_staff=[RankedEntry(1, "张晓燕", "城关中心", "100", "", "综合受理一号窗")],
        deductions=[
            DeductionEntry("李建国", "东关中心", "未按规定着装（未佩戴工牌）", "−2", "2026-10-12"),
            DeductionEntry("社保窗口", "西街中心", "脱岗超过15分钟", "−5", "2026-10-20"),
        ],
        problems=[
            CategoryCount("着装", 7, 3, ["未佩戴工牌", "着装不统一"]),
            CategoryCount("在岗", 4, 6, ["脱岗"]),
        ],
        rectification=RectificationFigures(8, 7, 1, 2, "87.5%", "80.0%"),
        trend=[TrendRow("平均得分", "96.37", "95.10", "+1.27")],
        texts={
            "opening": "为进一步加强窗口作风建设，现将10月考评情况通报如下。",
            "praise": "以下窗口和人员表现突出，予以通报表扬。",
            "criticism": "以下问题予以通报批评。",
            "requirements": "各中心要对照问题清单逐项整改。\n\n举一反三，防止问题反弹。",
        },
        cc="区纪委监委派驻纪检监察组",
    )
    for key, value in changes.items():
        setattr(content, key, value)
    return content


def test_the_document_holds_the_head_title_sections_and_tables():
    document = Document(io.BytesIO(render_docx(sample())))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "城关区政务服务中心"
    assert document.paragraphs[0].runs[0].font.color.rgb is not None  # the red head
    assert "〔2026〕第3期" in texts and "2026年11月5日" in texts
    title = texts.index("关于2026年10月窗口考评情况的通报")
    assert texts[title + 1] == "各便民服务中心："
    headings = [
        t for t in texts if t[:2] in {"一、", "二、", "三、", "四、", "五、", "六、", "七、"}
    ]
    assert len(headings) == 7  # overall, praise, criticism, problems, rectification, trend, asks
    assert "举一反三，防止问题反弹。" in texts
    assert any(t.startswith("Cc：区纪委监委派驻纪检监察组") for t in texts)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    assert ["参评人员", "48", "45"] in tables[0]
    assert ["1", "综合受理一号窗", "城关中心", "99.5", "五星窗口"] in tables[1]
    assert ["李建国", "东关中心", "未按规定着装（未佩戴工牌）", "−2", "2026-10-12"] in tables[3]
    assert ["着装", "7", "3", "未佩戴工牌；着装不统一"] in tables[4]
    assert ["8", "7", "1", "2", "87.5%", "80.0%"] in tables[5]


def test_an_empty_list_prints_none_rather_than_an_empty_table():
    document = Document(io.BytesIO(render_docx(sample(deductions=[], trend=[], texts={}))))
    texts = [p.text for p in document.paragraphs]
    assert "None this period." in texts
    assert len(document.tables) == 5  # no deductions table, no trend table
    assert not any(t.startswith("六、") for t in texts)  # no trend, no requirements section


def test_content_survives_its_json_form():
    content = sample()
    assert BulletinContent.from_dict(content.to_dict()) == content


@needs_soffice
def test_libreoffice_prints_the_title_figures_and_tables_on_a4(tmp_path):
    pytest.importorskip("pypdfium2", reason="pypdfium2 is a test extra")
    source = tmp_path / "bulletin.docx"
    source.write_bytes(render_docx(sample()))
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
    pdf = tmp_path / "bulletin.pdf"
    assert pdf.is_file(), result.stdout + result.stderr
    printed = pages(pdf)
    assert all(round(p["width"]) == 595 and round(p["height"]) == 842 for p in printed)  # A4
    text = "".join(p["text"] for p in printed)
    first = printed[0]["top"]
    assert squeeze("城关区政务服务中心") in first and squeeze("〔2026〕第3期") in first
    for expected in (
        "关于2026年10月窗口考评情况的通报",
        "参评人员4845",
        "平均得分96.3795.10",
        "1综合受理一号窗城关中心99.5五星窗口",
        "李建国东关中心未按规定着装（未佩戴工牌）−22026-10-12",
        "着装73未佩戴工牌；着装不统一",
        "871287.5%80.0%",
        "举一反三，防止问题反弹。",
        "区纪委监委派驻纪检监察组",
    ):
        assert squeeze(expected) in text, expected
    assert colour_pixels(render(pdf), "E00000") > 500  # the red head and rule
