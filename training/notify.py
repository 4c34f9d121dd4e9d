"""Notifications of the training package, each written in its recipient's language."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from compliance.models import User
from compliance.notifications import notify

from .errors import _

# Titles and bodies, translated per recipient when sent.
YOU_MENTOR = _("You now mentor %(name)s")
YOUR_MENTOR = _("%(name)s is now your mentor")
LOG_TO_CONFIRM = _("%(name)s wrote a shadow log for you to confirm")
SIGNED_OFF = _("Mentor pairing signed off")
INVITED = _("You are invited to %(title)s at %(time)s, %(place)s")
CANCELLED = _("Cancelled: %(title)s at %(time)s")
LOG_MISSING = _("No shadow log for %(name)s in the week from %(date)s")
LOG_MISSING_BODY = _("Please write the shadowing of that week, or ask your mentee to write it "
                     "and confirm it.")


def notify_each(session: Session, users: list[User], kind: str, title_msgid: str, *,
                body_msgid: str | None = None, link: str | None = None, entity=None,
                dedupe_key: str | None = None, **params) -> int:
    """Notify each user with the title (and body) translated into their own language.
    Returns how many notifications were created."""
    created = 0
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")
    for user in users:
        with force_locale(user.locale or default):
            title = gettext(title_msgid, **params)
            body = gettext(body_msgid, **params) if body_msgid else None
        created += len(notify(session, user, kind, title, body=body, link=link, entity=entity,
                              dedupe_key=dedupe_key))
    return created
