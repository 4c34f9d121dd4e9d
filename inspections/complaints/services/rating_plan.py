"""Planning a 好差评 import: what each row of the file becomes (a complaint to create, a row to
skip, a row refused with its reason), against the sites, windows and staff the importer may name
and the evaluation numbers already imported. A fixed number of queries; nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.access import scope_ids
from compliance.domain import N_
from compliance.models import Site, StaffMember, User, Window
from compliance.timeutil import local_today

from ..models import ConductRecord, RatingImportProfile
from .rating_file import DEFAULT_BAD_RATINGS, parse_date, text

SOURCE = "rating"


@dataclass
class PlannedRow:
    row: int
    external_no: str
    received_on: date
    rating: str
    text: str
    subject: str
    site_id: int
    staff_member_id: int | None = None
    window_id: int | None = None
    complainant_name: str | None = None
    complainant_phone: str | None = None
    label: str = ""  # who or what it is about, for the preview


@dataclass
class RowNote:
    """A skipped or refused row: its file row number and why (msgid and parameters)."""

    row: int
    message: str
    params: dict = field(default_factory=dict)
    external_no: str = ""


@dataclass
class ImportPlan:
    create: list[PlannedRow] = field(default_factory=list)
    skipped: list[RowNote] = field(default_factory=list)
    errors: list[RowNote] = field(default_factory=list)


class _Lookup:
    """Sites, windows and staff the importer may name, loaded once per plan."""

    def __init__(self, session: Session, actor: User):
        scope = scope_ids(actor, session)
        sites = [s for s in session.scalars(sa.select(Site)) if scope is None or s.id in scope]
        self.site_ids = {s.id for s in sites}
        self.sites: dict[str, Site] = {}
        for s in sites:
            self.sites[s.code] = s
            self.sites.setdefault(s.name, s)
        self.windows: dict[tuple[int, str], Window] = {}
        for w in session.scalars(
            sa.select(Window).where(Window.site_id.in_(self.site_ids or [-1]))
        ):
            for key in (w.code, w.name, f"{w.code} {w.name}", f"{w.code}{w.name}"):
                self.windows.setdefault((w.site_id, key), w)
        self.staff_no: dict[str, StaffMember] = {}
        self.staff_name: dict[tuple[int, str], list[StaffMember]] = {}
        for m in session.scalars(
            sa.select(StaffMember).where(StaffMember.site_id.in_(self.site_ids or [-1]))
        ):
            self.staff_no[m.staff_no] = m
            self.staff_name.setdefault((m.site_id, m.name), []).append(m)


def plan(
    session: Session,
    actor: User,
    profile: RatingImportProfile,
    headers: list[str],
    rows: list[tuple[int, list[Any]]],
    today: date | None = None,
) -> ImportPlan:
    """What applying would do with each row (a fixed number of queries)."""
    today = today or local_today()
    mapping = profile.mapping or {}
    index = {f: headers.index(h) for f, h in mapping.items() if h in headers}
    bad_ratings = {b.strip() for b in (profile.bad_ratings or DEFAULT_BAD_RATINGS)}
    lookup = _Lookup(session, actor)
    default_site = session.get(Site, profile.default_site_id) if profile.default_site_id else None
    if default_site is not None and default_site.id not in lookup.site_ids:
        default_site = None

    def cell(values: list[Any], key: str) -> Any:
        i = index.get(key)
        return values[i] if i is not None and i < len(values) else None

    numbers = {text(cell(v, "external_no")) for _n, v in rows} - {""}
    existing: set[str] = set()
    ordered = sorted(numbers)
    for start in range(0, len(ordered), 500):
        existing.update(
            session.scalars(
                sa.select(ConductRecord.external_no).where(
                    ConductRecord.source == SOURCE,
                    ConductRecord.external_no.in_(ordered[start : start + 500]),
                )
            )
        )
    result = ImportPlan()
    first_seen: dict[str, int] = {}
    for number, values in rows:
        external_no = text(cell(values, "external_no"))[:64]

        def bad(message: str, _n=number, _x=external_no, **params) -> None:
            result.errors.append(RowNote(_n, message, params, _x))

        if not external_no:
            bad(N_("The evaluation number is missing."))
            continue
        if external_no in first_seen:
            bad(
                N_("Evaluation number %(no)s appears again (first on row %(first)s)."),
                no=external_no,
                first=first_seen[external_no],
            )
            continue
        first_seen[external_no] = number
        rating = text(cell(values, "rating"))
        if rating not in bad_ratings:
            result.skipped.append(
                RowNote(
                    number,
                    N_("Not a bad rating (%(rating)s)."),
                    {"rating": rating or "—"},
                    external_no,
                )
            )
            continue
        if external_no in existing:
            result.skipped.append(RowNote(number, N_("Already imported."), {}, external_no))
            continue
        raw_date = cell(values, "rated_at")
        received_on = parse_date(raw_date)
        if received_on is None:
            bad(N_("The evaluation time %(value)s is not a date."), value=text(raw_date) or "—")
            continue
        if received_on > today:
            bad(
                N_("The evaluation time %(value)s is in the future."), value=received_on.isoformat()
            )
            continue
        site_text = text(cell(values, "site"))
        site = lookup.sites.get(site_text) if site_text else default_site
        if site is None:
            if site_text:
                bad(N_("Unknown site %(site)s."), site=site_text)
            else:
                bad(N_("The row names no site and the source has no default site."))
            continue
        window = None
        window_text = text(cell(values, "window"))
        if window_text:
            window = lookup.windows.get((site.id, window_text))
            if window is None:
                bad(
                    N_("Unknown window %(window)s at %(site)s."), window=window_text, site=site.name
                )
                continue
        staff = None
        staff_text = text(cell(values, "staff"))
        if staff_text:
            staff = lookup.staff_no.get(staff_text)
            if staff is None:
                named = lookup.staff_name.get((site.id, staff_text), [])
                if len(named) > 1:
                    bad(
                        N_("%(name)s names %(n)s staff members at %(site)s; use the staff number."),
                        name=staff_text,
                        n=len(named),
                        site=site.name,
                    )
                    continue
                staff = named[0] if named else None
            if staff is None:
                bad(
                    N_("Unknown staff member %(name)s at %(site)s."),
                    name=staff_text,
                    site=site.name,
                )
                continue
        content = text(cell(values, "content"))
        service = text(cell(values, "service"))
        body = content or f"差评（{rating}），未填写评价内容"
        if service:
            body = f"{body}（办理事项：{service}）"
        subject = "staff" if staff else "window" if window else "site"
        label = (
            f"{staff.name} ({staff.staff_no})"
            if staff
            else f"{window.code} {window.name}"
            if window
            else site.name
        )
        result.create.append(
            PlannedRow(
                row=number,
                external_no=external_no,
                received_on=received_on,
                rating=rating,
                text=body[:4000],
                subject=subject,
                site_id=staff.site_id if staff else site.id,
                staff_member_id=staff.id if staff else None,
                window_id=window.id if window and not staff else None,
                complainant_name=text(cell(values, "complainant_name"))[:64] or None,
                complainant_phone=text(cell(values, "complainant_phone"))[:32] or None,
                label=label,
            )
        )
    return result
