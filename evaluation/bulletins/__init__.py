"""The assessment bulletin (通报): drafted by the system from closed months, edited and approved
by a discipline officer, published to every signed-in user of its scope, printable and
downloadable as a Word document.

- `content.py`: what a bulletin says (a plain dataclass, stored as JSON);
- `docx.py`: the Word document (A4, the conventional 通报 layout);
- `source.py`: what it reads of the month close (frozen scores);
- `drafting.py`: the system's draft; `services.py`: the workflow; `views.py`: the pages;
- `ledgers.py`: the bulletin ledger and the words of its audit events.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from . import models  # noqa: F401  (tables must be known to create_all)


def init_app(app) -> None:
    from compliance.models import ROLES
    from compliance.ui import register_nav

    from . import ledgers, views

    app.register_blueprint(views.bp)
    ledgers.init_app(app)
    register_nav(
        app, "bulletins.bulletin_list", _l("Bulletins"), roles=ROLES, order=472, icon="chart"
    )
    _register_audit_scope()


def _register_audit_scope() -> None:
    """Site-scoped readers of the audit trail see the events of their sites' bulletins."""
    import sqlalchemy as sa

    from compliance.audit_views import register_audit_scope

    from .models import Bulletin

    register_audit_scope(
        "Bulletin",
        lambda ids: sa.select(sa.cast(Bulletin.id, sa.String)).where(Bulletin.site_id.in_(ids)),
    )
