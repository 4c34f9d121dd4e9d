"""The complaint categories (an administrator's catalogue): each may be mapped to a check item,
so complaints and patrol findings of the same item are counted together, and may be marked as an
integrity category (its upheld complaints become integrity cases)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record, snapshot
from compliance.domain import N_, ForbiddenError, InvalidError
from compliance.models import User

from ...models import CheckItem
from ..models import ComplaintCategory

# code, Chinese, English, check item code, integrity
STANDARD_CATEGORIES = [
    ("FWTD", "服务态度差、推诿扯皮", "Poor attitude, buck-passing", "D04", False),
    ("YCXGZ", "未一次性告知", "Requirements not explained at once", "D02", False),
    ("SCFZ", "首问不负责", "First contact did not take responsibility", "D01", False),
    ("BJCS", "办理超时", "Not completed in the promised time", "D03", False),
    ("LG", "离岗、空岗", "Away from the post, window unstaffed", "A02", False),
    ("HJWS", "环境卫生", "Hygiene of the hall", "C07", False),
    ("YDPJ", "诱导评价", "Steering of ratings", "D09", False),
    ("CNKY", "吃拿卡要", "Eat, take, obstruct, demand (吃拿卡要)", "D07", True),
    ("SZSF", "擅自收费", "Unauthorised charges", "D08", True),
    ("SYCW", "索要、收受财物", "Asking for or accepting money or gifts", "D07", True),
    ("WGBL", "违规办理、优亲厚友", "Irregular handling, favouritism", None, True),
    ("QT", "其他", "Other", None, False),
]


def _admin(actor: User) -> None:
    if not actor.has_role("admin"):
        raise ForbiddenError(
            "complaints.categories_forbidden",
            N_("Only an administrator can edit the complaint categories."),
        )


def _values(session: Session, name_zh, name_en, check_item_id) -> tuple[str, str, int | None]:
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    if not name_zh or not name_en:
        raise InvalidError(
            "complaints.category_name",
            N_("Both the Chinese and the English name are required."),
            field="name_zh",
        )
    if check_item_id and session.get(CheckItem, check_item_id) is None:
        raise InvalidError(
            "complaints.category_item", N_("Unknown check item."), field="check_item_id"
        )
    return name_zh[:64], name_en[:64], check_item_id or None


def create_category(
    session: Session,
    actor: User | None,
    *,
    code: str,
    name_zh: str,
    name_en: str,
    check_item_id: int | None = None,
    is_integrity: bool = False,
    sort_order: int = 0,
) -> ComplaintCategory:
    """Add a category. Raises ForbiddenError (not an administrator), InvalidError (bad or taken
    code, missing name, unknown item)."""
    if actor is not None:
        _admin(actor)
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        raise InvalidError(
            "complaints.category_code",
            N_("A code of 1 to 16 characters is required."),
            field="code",
        )
    if session.scalar(sa.select(ComplaintCategory.id).where(ComplaintCategory.code == code)):
        raise InvalidError(
            "complaints.category_code_taken",
            N_("A category with code %(code)s already exists."),
            field="code",
            code=code,
        )
    name_zh, name_en, item_id = _values(session, name_zh, name_en, check_item_id)
    row = ComplaintCategory(
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        check_item_id=item_id,
        is_integrity=bool(is_integrity),
        sort_order=int(sort_order or 0),
    )
    session.add(row)
    session.flush()
    record(session, actor, "complaint_category.create", row)
    return row


def update_category(
    session: Session,
    actor: User,
    row: ComplaintCategory,
    *,
    name_zh: str,
    name_en: str,
    check_item_id: int | None,
    is_integrity: bool,
    is_active: bool,
    sort_order: int = 0,
) -> ComplaintCategory:
    """Change a category (complaints already recorded keep their classification). Raises as
    `create_category`."""
    _admin(actor)
    name_zh, name_en, item_id = _values(session, name_zh, name_en, check_item_id)
    before = snapshot(row)
    row.name_zh, row.name_en, row.check_item_id = name_zh, name_en, item_id
    row.is_integrity, row.is_active = bool(is_integrity), bool(is_active)
    row.sort_order = int(sort_order or 0)
    session.flush()
    record(session, actor, "complaint_category.update", row, before=before)
    return row


def active_categories(session: Session) -> list[ComplaintCategory]:
    return list(
        session.scalars(
            sa.select(ComplaintCategory)
            .where(ComplaintCategory.is_active.is_(True))
            .order_by(ComplaintCategory.sort_order, ComplaintCategory.code)
        )
    )


def load_standard_categories(session: Session, actor: User | None = None) -> int:
    """Add the standard categories that are missing (mapped to the standard checklist's items
    when they exist); returns how many were added."""
    existing = set(session.scalars(sa.select(ComplaintCategory.code)))
    items = dict(session.execute(sa.select(CheckItem.code, CheckItem.id)).all())
    added = 0
    for n, (code, zh, en, item_code, integrity) in enumerate(STANDARD_CATEGORIES):
        if code in existing:
            continue
        create_category(
            session,
            actor,
            code=code,
            name_zh=zh,
            name_en=en,
            check_item_id=items.get(item_code) if item_code else None,
            is_integrity=integrity,
            sort_order=n,
        )
        added += 1
    return added
