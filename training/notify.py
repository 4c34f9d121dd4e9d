"""Notifications of the training package, each written in its recipient's language. The
services call these after the change they announce (in the same transaction)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from compliance.domain import N_
from compliance.notifications import notify_each
from compliance.timeutil import to_local

from .models import MentorPairing, ShadowLog, TrainingSession
from .people import users_of, users_of_staff

# Titles and bodies, translated per recipient when sent.
YOU_MENTOR = N_("You now mentor %(name)s")
YOUR_MENTOR = N_("%(name)s is now your mentor")
LOG_TO_CONFIRM = N_("%(name)s wrote a shadow log for you to confirm")
SIGNED_OFF = N_("Mentor pairing signed off")
INVITED = N_("You are invited to %(title)s at %(time)s, %(place)s")
CANCELLED = N_("Cancelled: %(title)s at %(time)s")
LOG_MISSING = N_("No shadow log for %(name)s in the week from %(date)s")
LOG_MISSING_BODY = N_(
    "Please write the shadowing of that week, or ask your mentee to write it and confirm it."
)

MY_TRAINING = "/training/my"


def pairing_link(pairing: MentorPairing) -> str:
    return f"/training/pairings/{pairing.id}"


def session_people(
    session: Session, ts: TrainingSession, staff_ids: Iterable[int], title_msgid: str
) -> int:
    """Tell invited people (those with an account) about their session (invited, cancelled)."""
    return notify_each(
        session,
        users_of_staff(session, staff_ids),
        "training.session",
        title_msgid,
        link=MY_TRAINING,
        entity=ts,
        title=ts.course.title,
        time=to_local(ts.starts_at).strftime("%Y-%m-%d %H:%M"),
        place=ts.place,
    )


def pairing_created(session: Session, pairing: MentorPairing) -> None:
    """Tell the mentor whom they mentor and the mentee who mentors them."""
    link = pairing_link(pairing)
    notify_each(
        session,
        users_of(session, pairing.mentor_id),
        "training.pairing",
        YOU_MENTOR,
        link=link,
        entity=pairing,
        name=pairing.mentee.name,
    )
    notify_each(
        session,
        users_of(session, pairing.mentee_id),
        "training.pairing",
        YOUR_MENTOR,
        link=link,
        entity=pairing,
        name=pairing.mentor.name,
    )


def log_to_confirm(session: Session, pairing: MentorPairing, log: ShadowLog) -> None:
    """Tell the mentor a mentee's entry waits for confirmation."""
    notify_each(
        session,
        users_of(session, pairing.mentor_id),
        "training.log_to_confirm",
        LOG_TO_CONFIRM,
        link=pairing_link(pairing),
        entity=log,
        name=pairing.mentee.name,
    )


def signed_off(session: Session, pairing: MentorPairing) -> None:
    """Tell both people the pairing was signed off."""
    notify_each(
        session,
        users_of(session, pairing.mentee_id) + users_of(session, pairing.mentor_id),
        "training.signed_off",
        SIGNED_OFF,
        link=pairing_link(pairing),
        entity=pairing,
    )


def log_missing(session: Session, pairing: MentorPairing, week_start) -> int:
    """Remind the mentor of a week without a shadow log (once per pairing and week)."""
    return notify_each(
        session,
        users_of(session, pairing.mentor_id),
        "training.log_missing",
        LOG_MISSING,
        body_msgid=LOG_MISSING_BODY,
        link=pairing_link(pairing),
        entity=pairing,
        dedupe_key=f"training-log-missing:{pairing.id}:{week_start.isoformat()}",
        name=pairing.mentee.name,
        date=week_start.isoformat(),
    )
