"""From rows to a plan: check every row against the database (a fixed number of queries, whatever
the number of rows) and work out, per row, what a confirm would create or change.

The plan is plain JSON (ids, ISO dates, codes for display) so it can be stored with the preview
and applied later exactly as shown. `state_digest` fingerprints everything the plan was computed
from (the people it names, their assignments, the sites, posts and windows it refers to); a
confirm recomputes it and refuses when it differs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...domain import N_ as _
from ...input_gate import text_problem
from ...models import STAFF_STATUSES, Assignment, Post, Site, StaffMember, Window
from ..services import PHONE_RE
from .reading import COLUMNS, MAX_CELL, RowError, is_example, parse_date, text

IMPORT_NOTE = "花名册导入"
CHUNK = 500  # ids or numbers per IN (...) list

STATUS_WORDS = {
    "active": "active",
    "在岗": "active",
    "在职": "active",
    "正常": "active",
    "suspended": "suspended",
    "停职": "suspended",
    "暂停": "suspended",
    "left": "left",
    "离职": "left",
    "离岗": "left",
}

# The fields a change lists, in the order shown (keys of a change's "fields").
CHANGE_FIELDS = ("name", "phone", "hired_on", "site", "status", "post", "window")


@dataclass
class References:
    """Sites, posts and windows by code, and their codes by id (for showing a change)."""

    sites: dict[str, int]
    posts: dict[str, int]
    windows: dict[tuple[int, str], int]
    site_codes: dict[int, str]
    post_codes: dict[int, str]
    window_codes: dict[int, str]

    @classmethod
    def load(cls, session: Session) -> References:
        sites = dict(session.execute(sa.select(Site.code, Site.id)).all())
        posts = dict(session.execute(sa.select(Post.code, Post.id)).all())
        windows = {
            (site_id, code): wid
            for wid, site_id, code in session.execute(
                sa.select(Window.id, Window.site_id, Window.code)
            )
        }
        return cls(
            sites,
            posts,
            windows,
            {v: k for k, v in sites.items()},
            {v: k for k, v in posts.items()},
            {wid: code for (_s, code), wid in windows.items()},
        )


@dataclass
class Plan:
    rows: int = 0
    create: list[dict] = field(default_factory=list)
    change: list[dict] = field(default_factory=list)
    unchanged: list[list] = field(default_factory=list)  # [row, staff_no]
    skipped: list[list] = field(default_factory=list)  # [row, msgid, params]
    errors: list[RowError] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "create": self.create,
            "change": self.change,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def load_people(session: Session, staff_nos: list[str], *, lock: bool = False) -> dict[str, dict]:
    """The current state of the staff with these numbers: their fields and all their assignments
    (absent numbers are left out). With `lock`, the rows are locked on PostgreSQL until commit."""
    people: dict[str, dict] = {}
    by_id: dict[int, dict] = {}
    for chunk in _chunks(sorted(set(staff_nos))):
        query = sa.select(
            StaffMember.id,
            StaffMember.staff_no,
            StaffMember.name,
            StaffMember.phone,
            StaffMember.hired_on,
            StaffMember.status,
            StaffMember.site_id,
        ).where(StaffMember.staff_no.in_(chunk))
        if lock:
            query = query.with_for_update()
        for sid, no, name, phone, hired_on, status, site_id in session.execute(query):
            person = {
                "id": sid,
                "name": name,
                "phone": phone,
                "hired_on": hired_on,
                "status": status,
                "site_id": site_id,
                "assignments": [],
            }
            people[no] = person
            by_id[sid] = person
    for chunk in _chunks(sorted(by_id)):
        for row in session.execute(
            sa.select(
                Assignment.id,
                Assignment.staff_member_id,
                Assignment.post_id,
                Assignment.site_id,
                Assignment.window_id,
                Assignment.started_on,
                Assignment.ended_on,
            )
            .where(Assignment.staff_member_id.in_(chunk))
            .order_by(Assignment.id)
        ):
            by_id[row[1]]["assignments"].append(
                {
                    "id": row[0],
                    "post_id": row[2],
                    "site_id": row[3],
                    "window_id": row[4],
                    "started_on": row[5],
                    "ended_on": row[6],
                }
            )
    return people


def state_digest(people: dict[str, dict], staff_nos: list[str], refs: References) -> str:
    """A fingerprint of everything a plan depends on."""
    payload = {
        "people": {no: people.get(no) for no in sorted(set(staff_nos))},
        "sites": sorted(refs.sites.items()),
        "posts": sorted(refs.posts.items()),
        "windows": sorted((s, c, w) for (s, c), w in refs.windows.items()),
    }
    blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _row_values(number: int, raw: dict[str, Any], bad) -> dict[str, Any] | None:
    """The row's cells as text, refusing control characters and oversize cells."""
    values: dict[str, Any] = {}
    ok = True
    for key in COLUMNS:
        value = raw.get(key)
        if key == "hired_on" and not isinstance(value, str):
            values[key] = value
            continue
        cell = text(value)
        header = COLUMNS[key][0]
        problem = text_problem(cell)
        if problem:
            bad(problem, key, name=header)
            ok = False
        elif len(cell) > MAX_CELL:
            bad(_("The value in %(name)s is too long."), key, name=header)
            ok = False
        values[key] = cell
    return values if ok else None


def _check_row(number, values, refs, scope, people, first_seen, bad) -> dict | None:
    """Validate one row; returns its normalised values (ids) or None after reporting problems."""
    failed = False

    def fail(message, column, **params):
        nonlocal failed
        failed = True
        bad(message, column, **params)

    staff_no, name = values["staff_no"], values["name"]
    phone = values["phone"] or None
    hired_raw = values["hired_on"]
    hired_on = parse_date(hired_raw)
    site_code, post_code = values["site"], values["post"]
    window_code, status_text = values["window"], values["status"]

    if not staff_no:
        fail(_("The staff number (工号) is missing."), "staff_no")
    elif len(staff_no) > 32:
        fail(_("The staff number (工号) is too long."), "staff_no")
    elif staff_no in first_seen:
        fail(
            _("Staff number %(staff_no)s appears again (first on row %(first)s)."),
            "staff_no",
            staff_no=staff_no,
            first=first_seen[staff_no],
        )
    else:
        first_seen[staff_no] = number
    if not name:
        fail(_("The name (姓名) is missing."), "name")
    elif len(name) > 64:
        fail(_("The name (姓名) is too long."), "name")
    if phone and not PHONE_RE.match(phone):
        fail(_("The phone number (电话) %(phone)s is not valid."), "phone", phone=phone)
    if hired_on is None:
        if text(hired_raw):
            fail(
                _("The hire date (入职日期) %(value)s is not a date (use 2024-03-01)."),
                "hired_on",
                value=text(hired_raw)[:40],
            )
        else:
            fail(_("The hire date (入职日期) is missing."), "hired_on")
    site_id = refs.sites.get(site_code)
    if not site_code:
        fail(_("The site code (场所编码) is missing."), "site")
    elif site_id is None or (scope is not None and site_id not in scope):
        fail(_("Unknown site code (场所编码) %(code)s."), "site", code=site_code)
        site_id = None
    post_id = refs.posts.get(post_code)
    if not post_code:
        fail(_("The post code (岗位编码) is missing."), "post")
    elif post_id is None:
        fail(_("Unknown post code (岗位编码) %(code)s."), "post", code=post_code)
    window_id = None
    if window_code and site_id is not None:
        window_id = refs.windows.get((site_id, window_code))
        if window_id is None:
            fail(
                _("Site %(site)s has no window %(code)s (窗口编号)."),
                "window",
                site=site_code,
                code=window_code,
            )
    status = None
    if status_text:
        status = STATUS_WORDS.get(status_text.lower())
        if status not in STAFF_STATUSES:
            fail(
                _("Unknown status (状态) %(value)s: use 在岗, 停职 or 离职."),
                "status",
                value=status_text,
            )
    person = people.get(staff_no)
    if person is not None and scope is not None and person["site_id"] not in scope:
        fail(
            _("Staff number %(staff_no)s belongs to someone outside your sites."),
            "staff_no",
            staff_no=staff_no,
        )
    if failed:
        return None
    return {
        "staff_no": staff_no,
        "name": name,
        "phone": phone,
        "hired_on": hired_on,
        "site_id": site_id,
        "post_id": post_id,
        "window_id": window_id,
        "status": status,
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _plan_change(number, row, person, refs, today, fail) -> dict | None:
    """What applying the row to an existing person changes (None: nothing)."""
    wanted = {"name": row["name"], "hired_on": row["hired_on"], "site_id": row["site_id"]}
    if row["phone"] is not None:
        wanted["phone"] = row["phone"]
    if row["status"] is not None:
        wanted["status"] = row["status"]
    staff_set = {k: v for k, v in wanted.items() if person[k] != v}
    new_status = staff_set.get("status", person["status"])
    current = next((a for a in person["assignments"] if a["ended_on"] is None), None)
    end = update = new = None
    if new_status == "left":
        if person["status"] != "left" and current is not None:
            end = [current["id"], _iso(max(today, current["started_on"]))]
    else:
        target = (row["post_id"], row["site_id"], row["window_id"])
        if current is None or (current["post_id"], current["site_id"], current["window_id"]) != (
            target
        ):
            if current is not None and current["started_on"] >= today:
                update = [current["id"], *target]
            else:
                starts = max(today, row["hired_on"])
                clash = next(
                    (
                        a
                        for a in person["assignments"]
                        if a is not current and (a["ended_on"] is None or a["ended_on"] >= starts)
                    ),
                    None,
                )
                if clash is not None:
                    fail(
                        _("The dates overlap another assignment (%(start)s to %(end)s)."),
                        "hired_on",
                        start=_iso(clash["started_on"]),
                        end=_iso(clash["ended_on"]) or "-",
                    )
                    return None
                if current is not None:
                    end = [current["id"], _iso(starts - timedelta(days=1))]
                new = {
                    "post_id": row["post_id"],
                    "site_id": row["site_id"],
                    "window_id": row["window_id"],
                    "started_on": _iso(starts),
                }
    if not staff_set and end is None and update is None and new is None:
        return None
    shown: dict[str, list] = {}
    for key in ("name", "phone", "hired_on", "status"):
        if key in staff_set:
            shown[key] = [_iso(person[key]) if key == "hired_on" else person[key], None]
            shown[key][1] = _iso(staff_set[key]) if key == "hired_on" else staff_set[key]
    if "site_id" in staff_set:
        shown["site"] = [refs.site_codes.get(person["site_id"]), refs.site_codes[row["site_id"]]]
    if update is not None or new is not None:
        old_post = refs.post_codes.get(current["post_id"]) if current else None
        old_window = refs.window_codes.get(current["window_id"]) if current else None
        new_post = refs.post_codes[row["post_id"]]
        new_window = refs.window_codes.get(row["window_id"])
        if old_post != new_post:
            shown["post"] = [old_post, new_post]
        if old_window != new_window:
            shown["window"] = [old_window, new_window]
    elif end is not None and current is not None:
        shown["post"] = [refs.post_codes.get(current["post_id"]), None]
    return {
        "row": number,
        "staff_no": row["staff_no"],
        "staff_id": person["id"],
        "name": person["name"],
        "fields": shown,
        "set": {k: _iso(v) if k == "hired_on" else v for k, v in staff_set.items()},
        "end": end,
        "update": update,
        "new": new,
    }


def build_plan(
    session: Session,
    rows: list[tuple[int, dict[str, Any]]],
    scope: set[int] | None,
    today: date,
    refs: References | None = None,
    people: dict[str, dict] | None = None,
) -> Plan:
    """Check every row and work out what applying the file would do. Nothing is written."""
    refs = refs or References.load(session)
    numbers = [text(r.get("staff_no")) for _n, r in rows]
    if people is None:
        people = load_people(session, [n for n in numbers if n and not is_example(n)])
    plan = Plan(rows=len(rows))
    first_seen: dict[str, int] = {}
    for number, raw in rows:
        problems: list[RowError] = []

        def bad(message: str, column: str | None, _n=number, _p=problems, **params) -> None:
            _p.append(RowError(_n, message, params, column))

        staff_no = text(raw.get("staff_no"))
        if staff_no and is_example(staff_no):
            plan.skipped.append(
                [number, _("Example row (工号 %(staff_no)s) skipped."), {"staff_no": staff_no}]
            )
            continue
        values = _row_values(number, raw, bad)
        row = None
        if values is not None:
            row = _check_row(number, values, refs, scope, people, first_seen, bad)
        if row is not None:
            person = people.get(row["staff_no"])
            if person is None:
                plan.create.append(_plan_create(number, row, refs))
            else:
                change = _plan_change(number, row, person, refs, today, bad)
                if change is not None:
                    plan.change.append(change)
                elif not problems:
                    plan.unchanged.append([number, row["staff_no"]])
        plan.errors.extend(problems)
    return plan


def _plan_create(number: int, row: dict, refs: References) -> dict:
    status = row["status"] or "active"
    return {
        "row": number,
        "staff_no": row["staff_no"],
        "name": row["name"],
        "phone": row["phone"],
        "hired_on": _iso(row["hired_on"]),
        "site_id": row["site_id"],
        "status": status,
        "assignment": None
        if status == "left"
        else {
            "post_id": row["post_id"],
            "site_id": row["site_id"],
            "window_id": row["window_id"],
            "started_on": _iso(row["hired_on"]),
        },
        "shown": {
            "site": refs.site_codes[row["site_id"]],
            "post": refs.post_codes[row["post_id"]],
            "window": refs.window_codes.get(row["window_id"]),
        },
    }


def plan_staff_numbers(plan_json: dict) -> list[str]:
    """Every staff number a stored plan depends on (created, changed or left unchanged)."""
    return (
        [c["staff_no"] for c in plan_json["create"]]
        + [c["staff_no"] for c in plan_json["change"]]
        + [u[1] for u in plan_json["unchanged"]]
    )
