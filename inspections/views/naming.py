"""How the round pages name things: a failure's person and window, a target's heading, and the
feedback shown next to the window just marked."""

from __future__ import annotations

from flask import abort, request
from flask_babel import get_locale
from flask_babel import gettext as _

from compliance.domain import DomainError

from ..models import CheckResult, Inspection
from ..services import Target


def feedback(failures: list[CheckResult], roster) -> dict | None:
    """What was just saved or undone, shown in the section of that window (or the area)."""
    key = request.args.get("done") or request.args.get("removed") or ""
    try:
        target = Target.parse(key)
    except DomainError:
        return None
    if target.kind == "area":
        section = "area"
    elif target.kind == "window":
        section = f"w{target.id}"
    else:
        entry = roster.entry_for(target.id)
        if entry is None:
            return None
        section = f"w{entry.window.id}"
    if request.args.get("removed"):
        return {"section": section, "text": _("Failure removed.")}
    code = (request.args.get("item") or "").upper()
    failure = next((f for f in failures if f.item_version.item.code == code), None)
    if failure is None:
        return None
    text = f"{code} {failure.item_version.text(str(get_locale()))}"
    return {"section": section, "text": _("Failure recorded: %(item)s", item=text)}


def where(result: CheckResult, roster) -> str:
    """Who and where a failure is: the person and the window, the window, or the site's area."""
    window = next((w for w in roster.windows if w.id == result.window_id), None)
    window_text = _("Window %(label)s", label=window.code) if window is not None else ""
    if result.staff_member_id:
        entry = roster.entry_for(result.staff_member_id)
        name = entry.staff.name if entry else ""
        return " · ".join(x for x in (name, window_text) if x)
    if result.window_id:
        return window_text
    return _("Site area")


def target_label(inspection: Inspection, target: Target, roster) -> str:
    if target.kind == "area":
        return _("Site area: %(site)s", site=inspection.site.name)
    if target.kind == "window":
        window = next((w for w in roster.windows if w.id == target.id), None)
        if window is None:
            abort(404)
        return _("Window %(label)s", label=window.label)
    entry = roster.entry_for(target.id)
    if entry is None:
        abort(404)
    return f"{entry.staff.name} · {entry.window.label}"
