"""The dashboard panel of discipline officers and administrators: open leads, those waiting to
be assigned or for their approval, overdue ones, and the ones assigned to them."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from compliance.db import db

from . import services as svc


def discipline_panel(user) -> Markup | None:
    counts = svc.counts_for(db.session, user)
    if not any(counts.values()):
        return None
    return Markup(render_template("inspections/integrity/_panel.html", counts=counts))
