"""A bulletin (通报) as a Word document: A4, the conventional layout of a Chinese official
bulletin (GB/T 9704 in spirit).

    red issuing-organ line (版头), the number line (〔2026〕第3期) and the date, a red rule,
    the centred title, the addressees, the numbered sections with their tables, the signature
    and date, and the 抄送 / 印发 footer between two rules; page numbers "— 1 —" at the foot.

`render_docx(content) -> bytes` is pure: it reads a `BulletinContent` and the words of
`labels.py` (translated in the current locale) and touches nothing else.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from flask import current_app, has_app_context
from flask_babel import force_locale

from .content import BulletinContent, chinese_date
from .labels import CAPTIONS, COLUMNS, FOOTER, sections

RED = RGBColor(0xE0, 0x00, 0x00)
TITLE_FONT = "方正小标宋简体"  # the customary title face; Word/LibreOffice substitute if absent
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TABLE_FONT = "宋体"
BODY_SIZE = 16  # 三号
TABLE_SIZE = 11


def render_docx(content: BulletinContent, in_default_language: bool = False) -> bytes:
    """The .docx bytes; with `in_default_language` the fixed words are in the configured
    default language (as the drafted texts are), else in the current locale."""
    if in_default_language and has_app_context():
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
            return _render(content)
    return _render(content)


def _render(content: BulletinContent) -> bytes:
    document = Document()
    _page(document)
    _head(document, content)
    _title(document, content)
    for key, heading in sections(content):
        _heading(document, heading)
        SECTION_WRITERS[key](document, content)
    _signature(document, content)
    _footer_block(document, content)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- page and type -------------------------------------------------------------------------


def _page(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(BODY_SIZE)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = Pt(28)
    _page_number(section)


def _page_number(section) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, "— ", TABLE_FONT, 14)
    run = _run(paragraph, "", TABLE_FONT, 14)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _run(paragraph, " —", TABLE_FONT, 14)


def _run(paragraph, text: str, font: str, size: float, bold=False, colour=None):
    run = paragraph.add_run(text)
    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    run.font.size = Pt(size)
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    return run


def _paragraph(document, text="", *, align=None, indent=True, font=BODY_FONT, size=BODY_SIZE):
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)  # two characters
    if text:
        _run(paragraph, text, font, size)
    return paragraph


def _rule(paragraph, where: str, colour: str, size: int) -> None:
    """A horizontal line above or below the paragraph (w:pBdr), as the red rule of the head."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    line = OxmlElement(f"w:{where}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size))
    line.set(qn("w:space"), "4")
    line.set(qn("w:color"), colour)
    borders.append(line)


# --- the head, title and body ----------------------------------------------------------------


def _head(document, content: BulletinContent) -> None:
    organ = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    organ.paragraph_format.line_spacing = Pt(60)
    _run(organ, content.organ, TITLE_FONT, 36, bold=True, colour=RED)
    number = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    number.paragraph_format.space_before = Pt(12)
    _run(number, content.number, BODY_FONT, BODY_SIZE)
    dated = _paragraph(document, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _run(dated, chinese_date(content.issued_on), BODY_FONT, BODY_SIZE)
    _rule(dated, "bottom", "E00000", 24)
    dated.paragraph_format.space_after = Pt(18)


def _title(document, content: BulletinContent) -> None:
    title = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_after = Pt(18)
    _run(title, content.title, TITLE_FONT, 22, bold=True)
    if content.addressees:
        _paragraph(document, f"{content.addressees}：", indent=False)
    for text in content.text("opening"):
        _paragraph(document, text)


def _heading(document, text: str) -> None:
    paragraph = _paragraph(document)
    _run(paragraph, text, HEADING_FONT, BODY_SIZE)


def _texts(document, content: BulletinContent, part: str) -> None:
    for text in content.text(part):
        _paragraph(document, text)


def _table(document, caption: str | None, headers: list, rows: list[list]) -> None:
    if caption:
        label = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        _run(label, caption, HEADING_FONT, 12)
    if not rows:
        _paragraph(document, str(FOOTER["nothing"]), font=TABLE_FONT, size=TABLE_SIZE)
        return
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        _cell(cell, str(header), bold=True)
    header_row = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row repeats on each page
    header_row.append(repeat)
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            _cell(cell, "" if value is None else str(value))
    _paragraph(document, indent=False).paragraph_format.space_after = Pt(6)


def _cell(cell, text: str, bold=False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.line_spacing = 1.15
    _run(paragraph, text, TABLE_FONT, TABLE_SIZE, bold=bold)


def _overall(document, content: BulletinContent) -> None:
    with_previous = any(f.previous is not None for f in content.figures)
    headers = [COLUMNS["figure"], COLUMNS["value"]]
    if with_previous:
        headers.append(COLUMNS["previous"])
    rows = [
        [f.label, f.value, *([f.previous or "—"] if with_previous else [])] for f in content.figures
    ]
    _table(document, None, headers, rows)


def _praise(document, content: BulletinContent) -> None:
    _texts(document, content, "praise")
    _table(
        document,
        str(CAPTIONS["best_windows"]),
        [
            COLUMNS["rank"],
            COLUMNS["window"],
            COLUMNS["site"],
            COLUMNS["score"],
            COLUMNS["distinction"],
        ],
        [[e.rank, e.name, e.site, e.score, e.distinction] for e in content.best_windows],
    )
    _table(
        document,
        str(CAPTIONS["best_staff"]),
        [COLUMNS["rank"], COLUMNS["staff"], COLUMNS["site"], COLUMNS["window"], COLUMNS["score"]],
        [[e.rank, e.name, e.site, e.window, e.score] for e in content.best_staff],
    )


def _criticism(document, content: BulletinContent) -> None:
    _texts(document, content, "criticism")
    _table(
        document,
        str(CAPTIONS["deductions"]),
        [
            COLUMNS["subject"],
            COLUMNS["site"],
            COLUMNS["what"],
            COLUMNS["points"],
            COLUMNS["found_on"],
        ],
        [[d.subject, d.site, d.what, d.points, d.found_on] for d in content.deductions],
    )


def _problems(document, content: BulletinContent) -> None:
    _texts(document, content, "problems")
    with_previous = any(p.previous is not None for p in content.problems)
    headers = [COLUMNS["category"], COLUMNS["count"]]
    if with_previous:
        headers.append(COLUMNS["previous"])
    headers.append(COLUMNS["examples"])
    rows = []
    for p in content.problems:
        row = [p.category, p.count]
        if with_previous:
            row.append("—" if p.previous is None else p.previous)
        row.append("；".join(p.examples))
        rows.append(row)
    _table(document, None, headers, rows)


def _rectification(document, content: BulletinContent) -> None:
    _texts(document, content, "rectification")
    r = content.rectification
    headers = [COLUMNS[k] for k in ("closed", "on_time", "overdue", "still_open", "rate")]
    row = [r.closed, r.on_time, r.overdue, r.still_open, r.rate or "—"]
    if r.previous_rate:
        headers.append(COLUMNS["previous"])
        row.append(r.previous_rate)
    _table(document, None, headers, [row])


def _trend(document, content: BulletinContent) -> None:
    _table(
        document,
        None,
        [COLUMNS["figure"], COLUMNS["value"], COLUMNS["previous"], COLUMNS["change"]],
        [[t.label, t.current, t.previous, t.change] for t in content.trend],
    )


def _requirements(document, content: BulletinContent) -> None:
    _texts(document, content, "requirements")


SECTION_WRITERS = {
    "overall": _overall,
    "praise": _praise,
    "criticism": _criticism,
    "problems": _problems,
    "rectification": _rectification,
    "trend": _trend,
    "requirements": _requirements,
}


def _signature(document, content: BulletinContent) -> None:
    _paragraph(document, indent=False)
    organ = _paragraph(document, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    organ.paragraph_format.right_indent = Pt(BODY_SIZE * 2)
    _run(organ, content.organ, BODY_FONT, BODY_SIZE)
    day = _paragraph(document, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    day.paragraph_format.right_indent = Pt(BODY_SIZE * 2)
    _run(day, chinese_date(content.issued_on), BODY_FONT, BODY_SIZE)


def _footer_block(document, content: BulletinContent) -> None:
    """抄送 and 印发 between thin rules at the end of the document (版记)."""
    _paragraph(document, indent=False)
    size = 14  # 四号
    lines = []
    if content.cc:
        lines.append(f"{FOOTER['cc']}：{content.cc}")
    printer = content.printed_by or content.organ
    printed_on = chinese_date(content.printed_on or content.issued_on)
    lines.append(str(FOOTER["printed"]) % {"organ": printer, "date": printed_on})
    for index, text in enumerate(lines):
        paragraph = _paragraph(document, indent=False, size=size)
        paragraph.paragraph_format.left_indent = Pt(size)
        _run(paragraph, text, BODY_FONT, size)
        if index == 0:
            _rule(paragraph, "top", "000000", 8)
        if index == len(lines) - 1:
            _rule(paragraph, "bottom", "000000", 8)
