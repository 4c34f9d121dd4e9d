"""The system's draft of a bulletin: figures and tables from the closed months' frozen scores
(`source.py`), findings by category and rectification figures from inspections (through its
public module), and the same for the previous period as the trend. Texts are drafted in the
configured default language, since a bulletin is read by everyone of its scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, has_app_context
from flask_babel import force_locale
from sqlalchemy.orm import Session

from compliance.domain import N_, ConflictError, InvalidError, translate_for
from compliance.models import Site, Window
from compliance.periods import Period, month_start, next_month
from compliance.timeutil import local_today
from inspections import public as inspections

from . import source
from .content import (
    BulletinContent,
    CategoryCount,
    DeductionEntry,
    Figure,
    RankedEntry,
    RectificationFigures,
    TrendRow,
)

BEST_LIMIT = 5  # windows and staff praised
DEDUCTION_LIMIT = 30  # itemised deductions printed (the assessment ledger has them all)
CRITICISED_KINDS = ("finding", "complaint", "overdue", "repeat")
STAR_WORDS = {5: "五星窗口", 4: "四星窗口", 3: "三星窗口", 2: "二星窗口", 1: "一星窗口"}


@dataclass(frozen=True)
class BulletinPeriod:
    kind: str  # "month" or "quarter"
    start: date
    end: date

    @property
    def months(self) -> list[date]:
        months, month = [], self.start
        while month <= self.end:
            months.append(month)
            month = next_month(month)
        return months

    @property
    def year(self) -> int:
        return self.start.year

    def previous(self) -> BulletinPeriod:
        start = self.start
        for _ in self.months:
            start = month_start(start - timedelta(days=1))
        return BulletinPeriod(self.kind, start, self.start - timedelta(days=1))

    def label(self) -> str:
        """2026年10月 / 2026年第4季度, in the default language."""
        if self.kind == "month":
            return text(N_("%(month)s/%(year)s"), year=self.year, month=self.start.month)
        quarter = (self.start.month - 1) // 3 + 1
        return text(N_("Q%(quarter)s %(year)s"), year=self.year, quarter=quarter)


def text(msgid: str, **params) -> str:
    """A drafted text in the configured default language."""
    return translate_for(None, msgid, params)


def default_words(label) -> str:
    """A lazy label in the configured default language."""
    if not has_app_context():
        return str(label)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        return str(label)


def period_of(kind: str, year: int, index: int) -> BulletinPeriod:
    """The month (index 1-12) or quarter (index 1-4) of a year. Raises InvalidError otherwise."""
    if kind not in ("month", "quarter"):
        raise InvalidError("bulletin.period_kind", N_("Choose a month or a quarter."), field="kind")
    if not 2000 <= year <= 2999:
        raise InvalidError("bulletin.year", N_("Enter a year such as 2026."), field="year")
    top = 12 if kind == "month" else 4
    if not 1 <= index <= top:
        raise InvalidError(
            "bulletin.index", N_("Enter a number from 1 to %(top)s."), field="index", top=top
        )
    first = index if kind == "month" else 3 * index - 2
    start = date(year, first, 1)
    last = start if kind == "month" else date(year, first + 2, 1)
    return BulletinPeriod(kind, start, next_month(last) - timedelta(days=1))


def number_text(value: float | None, places: int = 2) -> str:
    """96.375 -> "96.38", 100.0 -> "100", None -> "—"."""
    if value is None:
        return "—"
    shown = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if shown in ("-0", "") else shown


def rate_text(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else ""


def change_text(current: float | None, previous: float | None) -> str:
    if current is None or previous is None:
        return "—"
    delta = round(current - previous, 2)
    if delta == 0:
        return text(N_("unchanged"))
    return ("+" if delta > 0 else "−") + number_text(abs(delta))


@dataclass
class Figures:
    """The numbers of one period (for the bulletin's period and the previous one)."""

    closed: bool
    staff: source.Totals | None
    windows: source.Totals | None
    sites: source.Totals | None
    findings: dict[str, int]
    rectification: dict[str, int]
    conduct: dict[str, int]

    @property
    def findings_total(self) -> int:
        return sum(self.findings.values())

    @property
    def on_time_rate(self) -> float | None:
        closed = self.rectification["rectified"]
        return 100 * self.rectification["on_time"] / closed if closed else None

    @property
    def cards(self) -> tuple[int, int]:
        kinds = [t for t in (self.staff, self.windows, self.sites) if t is not None]
        return sum(t.yellow for t in kinds), sum(t.red for t in kinds)


def figures_of(
    session: Session, period: BulletinPeriod, close_ids: list[int] | None, site_ids, today: date
) -> Figures:
    """One statement per figure: scores from the closes (None: the period is not closed, so no
    scores), findings, rectifications and complaints as recorded."""
    scope = Period(period.start, period.end, None if site_ids is None else frozenset(site_ids))
    closed = bool(close_ids)
    return Figures(
        closed=closed,
        staff=source.totals(session, close_ids, "staff", site_ids) if closed else None,
        windows=source.totals(session, close_ids, "window", site_ids) if closed else None,
        sites=source.totals(session, close_ids, "site", site_ids) if closed else None,
        findings=inspections.findings_by_category(session, scope),
        rectification=inspections.rectification_totals(session, scope, today),
        conduct=inspections.conduct_totals(session, scope),
    )


def closes_of(session: Session, period: BulletinPeriod) -> list[int] | None:
    """The close ids of every month of the period, or None when any month is not closed."""
    closes = source.closed_months(session, period.months)
    if len(closes) < len(period.months):
        return None
    return [closes[m] for m in period.months]


def require_closed(session: Session, period: BulletinPeriod) -> list[int]:
    """The close ids; raises ConflictError naming the months still open."""
    closes = source.closed_months(session, period.months)
    missing = [m for m in period.months if m not in closes]
    if missing:
        raise ConflictError(
            "bulletin.month_open",
            N_("A bulletin is drafted from closed months; not closed yet: %(months)s."),
            field="index",
            months=", ".join(m.strftime("%Y-%m") for m in missing),
        )
    return [closes[m] for m in period.months]


def _names(session: Session, model, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = session.query(model).filter(model.id.in_(ids)).all()
    if model is Window:
        return {w.id: f"{w.code} {w.name}" for w in rows}
    return {s.id: s.name for s in rows}


def draft(
    session: Session,
    *,
    period: BulletinPeriod,
    close_ids: list[int],
    site_ids,
    organ: str,
    number: str,
    issued_on: date,
    addressees: str,
    name_people: bool,
    today: date | None = None,
) -> BulletinContent:
    """The drafted content of a bulletin of `period` over `site_ids` (None: every site)."""
    today = today or local_today()
    now = figures_of(session, period, close_ids, site_ids, today)
    before_period = period.previous()
    before = figures_of(session, before_period, closes_of(session, before_period), site_ids, today)
    best_windows = source.best(session, close_ids, "window", site_ids, BEST_LIMIT)
    best_staff = source.best(session, close_ids, "staff", site_ids, BEST_LIMIT)
    items = source.deduction_items(session, close_ids, site_ids, CRITICISED_KINDS)
    criticised = items[:DEDUCTION_LIMIT]
    site_names = _names(
        session,
        Site,
        [r.site_id for r in best_windows + best_staff] + [i.site_id for i in criticised],
    )
    window_names = _names(
        session, Window, [r.window_id for r in best_staff] + [i.window_id for i in criticised]
    )

    content = BulletinContent(
        organ=organ,
        number=number,
        title=text(
            N_("Bulletin on the assessment of the windows, %(period)s"), period=period.label()
        ),
        issued_on=issued_on,
        period_label=period.label(),
        addressees=addressees,
    )
    content.figures = _overall(now, before)
    content.best_windows = [
        RankedEntry(
            rank=n,
            name=r.name,
            site=site_names.get(r.site_id, ""),
            score=number_text(r.score),
            distinction=STAR_WORDS.get(r.stars, ""),
        )
        for n, r in enumerate(best_windows, 1)
    ]
    content.best_staff = [
        RankedEntry(
            rank=n,
            name=r.name,
            site=site_names.get(r.site_id, ""),
            score=number_text(r.score),
            window=window_names.get(r.window_id, ""),
        )
        for n, r in enumerate(best_staff, 1)
    ]
    content.deductions = [
        DeductionEntry(
            subject=_criticised_name(i, name_people, window_names),
            site=site_names.get(i.site_id, ""),
            what=i.label,
            points=number_text(i.points),
            found_on=i.on,
        )
        for i in criticised
    ]
    content.problems = _problems(session, period, site_ids, now, before)
    content.rectification = RectificationFigures(
        closed=now.rectification["rectified"],
        on_time=now.rectification["on_time"],
        overdue=now.rectification["rectified"] - now.rectification["on_time"],
        still_open=now.rectification["still_open"],
        rate=rate_text(now.rectification["on_time"], now.rectification["rectified"]),
        previous_rate=rate_text(before.rectification["on_time"], before.rectification["rectified"]),
    )
    content.trend = _trend(now, before)
    content.texts = _texts(period, now, content, len(items))
    return content


def _criticised_name(item: source.Item, name_people: bool, window_names) -> str:
    if item.subject_kind != "staff" or name_people:
        return item.name
    # The scheme names no people: the window stands for its staff member.
    return window_names.get(item.window_id) or text(N_("a staff member"))


def _overall(now: Figures, before: Figures) -> list[Figure]:
    yellow, red = now.cards
    prev_cards = before.cards if before.closed else (None, None)

    def prev(value):
        return None if value is None else str(value)

    def avg(totals):
        return None if totals is None else totals.average

    staff, windows = now.staff, now.windows
    return [
        Figure(
            text(N_("Staff assessed")),
            str(staff.subjects),
            prev(before.staff and before.staff.subjects),
        ),
        Figure(
            text(N_("Average staff score")),
            number_text(staff.average),
            number_text(avg(before.staff)) if before.closed else None,
        ),
        Figure(
            text(N_("Windows assessed")),
            str(windows.subjects),
            prev(before.windows and before.windows.subjects),
        ),
        Figure(
            text(N_("Average window score")),
            number_text(windows.average),
            number_text(avg(before.windows)) if before.closed else None,
        ),
        Figure(
            text(N_("Star windows")),
            str(windows.starred),
            prev(before.windows and before.windows.starred),
        ),
        Figure(text(N_("Yellow cards")), str(yellow), prev(prev_cards[0])),
        Figure(text(N_("Red cards")), str(red), prev(prev_cards[1])),
        Figure(
            text(N_("Points deducted (staff)")),
            number_text(staff.deductions),
            before.closed and number_text(before.staff.deductions) or None,
        ),
        Figure(text(N_("Findings")), str(now.findings_total), str(before.findings_total)),
        Figure(
            text(N_("Upheld complaints")),
            str(now.conduct.get("upheld", 0)),
            str(before.conduct.get("upheld", 0)),
        ),
        Figure(
            text(N_("Commendations")),
            str(now.conduct.get("commendation", 0)),
            str(before.conduct.get("commendation", 0)),
        ),
    ]


def _problems(session, period, site_ids, now: Figures, before: Figures) -> list[CategoryCount]:
    scope = Period(period.start, period.end, None if site_ids is None else frozenset(site_ids))
    examples: dict[str, list[str]] = {}
    zh = (
        current_app.config.get("BABEL_DEFAULT_LOCALE", "zh") if has_app_context() else "zh"
    ).startswith("zh")
    for item in inspections.frequent_items(session, scope, limit=12):
        words = item["text_zh"] if zh else item["text_en"]
        listed = examples.setdefault(item["category"], [])
        if len(listed) < 3:
            listed.append(f"{words}（{item['count']}）")
    return [
        CategoryCount(
            category=default_words(label),
            count=now.findings.get(key, 0),
            previous=before.findings.get(key, 0),
            examples=examples.get(key, []),
        )
        for key, label in inspections.CATEGORY_LABELS.items()
    ]


def _trend(now: Figures, before: Figures) -> list[TrendRow]:
    rows = []
    if before.closed:
        rows.append(
            TrendRow(
                text(N_("Average staff score")),
                number_text(now.staff.average),
                number_text(before.staff.average),
                change_text(now.staff.average, before.staff.average),
            )
        )
        now_cards, before_cards = sum(now.cards), sum(before.cards)
        rows.append(
            TrendRow(
                text(N_("Cards given")),
                str(now_cards),
                str(before_cards),
                change_text(now_cards, before_cards),
            )
        )
    rows.append(
        TrendRow(
            text(N_("Findings")),
            str(now.findings_total),
            str(before.findings_total),
            change_text(now.findings_total, before.findings_total),
        )
    )
    rows.append(
        TrendRow(
            text(N_("On-time rectification rate")),
            "—" if now.on_time_rate is None else f"{now.on_time_rate:.1f}%",
            "—" if before.on_time_rate is None else f"{before.on_time_rate:.1f}%",
            change_text(now.on_time_rate, before.on_time_rate),
        )
    )
    return rows


def _texts(period: BulletinPeriod, now: Figures, content: BulletinContent, deductions: int) -> dict:
    staff, windows = now.staff, now.windows
    yellow, red = now.cards
    return {
        "opening": text(
            N_(
                "To strengthen the conduct of the service windows, the assessment of %(period)s "
                "is reported as follows."
            ),
            period=period.label(),
        ),
        "praise": text(
            N_(
                "%(staff)s staff members and %(windows)s windows were assessed; the average staff "
                "score was %(average)s and %(starred)s windows earned a star. The windows and "
                "staff below are commended."
            ),
            staff=staff.subjects,
            windows=windows.subjects,
            average=number_text(staff.average),
            starred=windows.starred,
        ),
        "criticism": text(
            N_(
                "%(deductions)s deductions were made; %(yellow)s yellow and %(red)s red cards were "
                "given. The problems below are criticised."
            ),
            deductions=deductions,
            yellow=yellow,
            red=red,
        ),
        "problems": text(
            N_("%(findings)s problems were found; by category:"), findings=now.findings_total
        ),
        "rectification": text(
            N_(
                "%(closed)s rectifications were closed, %(on_time)s of them on time "
                "(on-time rate %(rate)s)."
            ),
            closed=content.rectification.closed,
            on_time=content.rectification.on_time,
            rate=content.rectification.rate or "—",
        ),
        "requirements": text(
            N_(
                "Every site is to check its windows against the problems above, rectify them "
                "within the deadlines and prevent them from recurring."
            )
        ),
    }
