"""Notifications of the training package, each written in its recipient's language."""

from __future__ import annotations

from compliance.notifications import notify_each  # noqa: F401  (used through this module)

from .errors import _

# Titles and bodies, translated per recipient when sent.
YOU_MENTOR = _("You now mentor %(name)s")
YOUR_MENTOR = _("%(name)s is now your mentor")
LOG_TO_CONFIRM = _("%(name)s wrote a shadow log for you to confirm")
SIGNED_OFF = _("Mentor pairing signed off")
INVITED = _("You are invited to %(title)s at %(time)s, %(place)s")
CANCELLED = _("Cancelled: %(title)s at %(time)s")
LOG_MISSING = _("No shadow log for %(name)s in the week from %(date)s")
LOG_MISSING_BODY = _(
    "Please write the shadowing of that week, or ask your mentee to write it and confirm it."
)
