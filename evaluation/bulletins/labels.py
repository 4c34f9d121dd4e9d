"""The fixed words of a bulletin (section headings, table headers), shared by the Word document
and the printable page. Lazy: each is translated where it is printed."""

from __future__ import annotations

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import lazy_pgettext as _lp

HEADINGS = {
    "overall": _lp("bulletin heading", "Overall results"),
    "praise": _lp("bulletin heading", "Commendations"),
    "criticism": _lp("bulletin heading", "Criticism"),
    "problems": _lp("bulletin heading", "Typical problems"),
    "rectification": _lp("bulletin heading", "Rectification"),
    "trend": _lp("bulletin heading", "Compared with the previous period"),
    "requirements": _lp("bulletin heading", "Requirements"),
}

# Chinese ordinal numerals of the section headings (一、二、...), as a 通报 numbers them.
ORDINALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")

COLUMNS = {
    "figure": _lp("bulletin column", "Figure"),
    "value": _lp("bulletin column", "This period"),
    "previous": _lp("bulletin column", "Previous period"),
    "change": _lp("bulletin column", "Change"),
    "rank": _lp("bulletin column", "Rank"),
    "window": _lp("bulletin column", "Window"),
    "staff": _lp("bulletin column", "Name"),
    "site": _lp("bulletin column", "Site"),
    "score": _lp("bulletin column", "Score"),
    "distinction": _lp("bulletin column", "Star / card"),
    "subject": _lp("bulletin column", "Person or window"),
    "what": _lp("bulletin column", "Problem found"),
    "points": _lp("bulletin column", "Points"),
    "found_on": _lp("bulletin column", "Found on"),
    "category": _lp("bulletin column", "Category"),
    "count": _lp("bulletin column", "Findings"),
    "examples": _lp("bulletin column", "Most frequent items"),
    "closed": _lp("bulletin column", "Closed"),
    "on_time": _lp("bulletin column", "On time"),
    "overdue": _lp("bulletin column", "Overdue"),
    "still_open": _lp("bulletin column", "Still open"),
    "rate": _lp("bulletin column", "On-time rate"),
}

CAPTIONS = {
    "best_windows": _lp("bulletin caption", "Best windows"),
    "best_staff": _lp("bulletin caption", "Best staff"),
    "deductions": _lp("bulletin caption", "Deductions"),
}

FOOTER = {
    "addressees": _lp("bulletin footer", "To"),
    "cc": _lp("bulletin footer", "Cc"),
    "printed": _lp("bulletin footer", "Printed by %(organ)s on %(date)s"),
    "nothing": _lp("bulletin footer", "None this period."),
}


def sections(content) -> list[tuple[str, str]]:
    """(key, numbered heading) of the sections that print, in order. Every section prints, so a
    reader sees "none" rather than wonder whether a part was left out."""
    keys = ["overall", "praise", "criticism", "problems", "rectification"]
    if content.trend:
        keys.append("trend")
    if content.text("requirements"):
        keys.append("requirements")
    return [(key, f"{ORDINALS[i]}、{HEADINGS[key]}") for i, key in enumerate(keys)]


def document_words(content) -> dict:
    """The fixed words of the document in the configured default language (a bulletin is one
    document for every reader; the drafted texts are in that language too)."""

    def words():
        return {
            "sections": sections(content),
            "captions": {k: str(v) for k, v in CAPTIONS.items()},
            "columns": {k: str(v) for k, v in COLUMNS.items()},
            "footer": {k: str(v) for k, v in FOOTER.items()},
        }

    if not has_app_context():
        return words()
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        return words()
