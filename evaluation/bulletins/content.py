"""What a bulletin (通报) says, as plain data: the renderer (`docx.py`), the printable page and
the stored record all read this one shape.

Figures and tables are frozen when the system drafts the bulletin from a closed month (or
quarter); the text parts (`texts`) are what the discipline officer edits. The content is stored
as JSON (`to_dict` / `from_dict`), so a published bulletin reads the same however the scheme, the
findings or the code's wording change afterwards.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date

# The text parts an officer edits, in the order they print.
TEXT_PARTS = ("opening", "praise", "criticism", "problems", "rectification", "requirements")


@dataclass
class Figure:
    """One overall figure: a label and its value as printed ("96.4", "87.5%", "12")."""

    label: str
    value: str
    previous: str | None = None  # the same figure in the previous period, when known


@dataclass
class RankedEntry:
    """A window or a person in the praise list (or any ranked list)."""

    rank: int
    name: str
    site: str
    score: str
    distinction: str = ""  # star or card as words ("五星窗口"), empty for none
    window: str = ""


@dataclass
class DeductionEntry:
    """A criticised deduction: who (or which window, when the scheme does not name people), what
    was found and the points lost."""

    subject: str
    site: str
    what: str
    points: str
    found_on: str = ""


@dataclass
class CategoryCount:
    """Typical problems: findings of one category in the period, and in the previous one."""

    category: str
    count: int
    previous: int | None = None
    examples: list[str] = field(default_factory=list)  # the most frequent check items


@dataclass
class RectificationFigures:
    closed: int = 0
    on_time: int = 0
    overdue: int = 0
    still_open: int = 0
    rate: str = ""  # "87.5%", empty when nothing closed
    previous_rate: str = ""


@dataclass
class TrendRow:
    label: str
    current: str
    previous: str
    change: str  # "+1.2", "−3", "持平"


@dataclass
class BulletinContent:
    organ: str  # 发文机关, printed red at the head
    number: str  # 〔2026〕第3期
    title: str
    issued_on: date
    period_label: str  # 2026年10月 / 2026年第四季度
    addressees: str = ""  # 主送
    figures: list[Figure] = field(default_factory=list)
    best_windows: list[RankedEntry] = field(default_factory=list)
    best_staff: list[RankedEntry] = field(default_factory=list)
    deductions: list[DeductionEntry] = field(default_factory=list)
    problems: list[CategoryCount] = field(default_factory=list)
    rectification: RectificationFigures = field(default_factory=RectificationFigures)
    trend: list[TrendRow] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # TEXT_PARTS -> paragraphs
    cc: str = ""  # 抄送
    printed_by: str = ""  # 印发机关 (defaults to the organ)
    printed_on: date | None = None

    def text(self, part: str) -> list[str]:
        """The paragraphs of one text part (blank lines separate them)."""
        raw = (self.texts.get(part) or "").replace("\r\n", "\n")
        return [" ".join(p.split()) for p in raw.split("\n\n") if p.strip()] if raw else []

    def to_dict(self) -> dict:
        data = asdict(self)
        data["issued_on"] = self.issued_on.isoformat()
        data["printed_on"] = self.printed_on.isoformat() if self.printed_on else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> BulletinContent:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["issued_on"] = date.fromisoformat(values["issued_on"])
        values["printed_on"] = (
            date.fromisoformat(values["printed_on"]) if values.get("printed_on") else None
        )
        values["figures"] = [Figure(**x) for x in values.get("figures", [])]
        values["best_windows"] = [RankedEntry(**x) for x in values.get("best_windows", [])]
        values["best_staff"] = [RankedEntry(**x) for x in values.get("best_staff", [])]
        values["deductions"] = [DeductionEntry(**x) for x in values.get("deductions", [])]
        values["problems"] = [CategoryCount(**x) for x in values.get("problems", [])]
        values["rectification"] = RectificationFigures(**(values.get("rectification") or {}))
        values["trend"] = [TrendRow(**x) for x in values.get("trend", [])]
        values["texts"] = dict(values.get("texts") or {})
        return cls(**values)


def chinese_date(day: date) -> str:
    """2026年3月5日: the date as a 通报 prints it."""
    return f"{day.year}年{day.month}月{day.day}日"
