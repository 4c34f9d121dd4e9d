"""The application core: app factory and the order in which packages are initialised."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

from flask import Flask

from .config import PROJECT_ROOT, Config, ConfigError, finalise  # noqa: F401
from .input_gate import BoundedIntConverter
from .uow import App

logger = logging.getLogger("compliance")

PACKAGE_DIR = Path(__file__).resolve().parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application. Does no queries, migrations or scheduler start."""
    settings = Config().as_dict()
    if config:
        settings.update(config)
    finalise(settings)
    app = App(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PACKAGE_DIR / "static"),
    )
    app.config.update(settings)
    # Before any route is added: ids in URLs are bounded by the database's integer range.
    app.url_map.converters["int"] = BoundedIntConverter

    from . import (
        api,
        auth,
        errors,
        i18n,
        input_gate,
        main,
        notifications,
        org,
        pwa,
        scheduler,
        security_headers,
        static_assets,
    )
    from .db import db

    db.init_app(app)
    i18n.init_app(app)
    security_headers.init_app(app)
    static_assets.init_app(app)
    input_gate.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    api.init_app(app)
    main.init_app(app)
    pwa.init_app(app)
    org.init_app(app)
    notifications.init_app(app)
    scheduler.init_app(app)

    # Feature packages register their blueprints, jobs, ledgers and CLI commands themselves.
    import evaluation
    import inspections
    import rotation
    import training

    inspections.init_app(app)
    training.init_app(app)
    rotation.init_app(app)
    evaluation.init_app(app)

    from . import admin, audit_views, ledgers, review

    admin.init_app(app)
    audit_views.init_app(app)
    ledgers.init_app(app)
    review.init_app(app)
    return app


def freeze_startup_heap() -> None:
    """For a serving process, once the app is created: collect, then exclude every surviving
    object from future collections (`gc.freeze`). They live as long as the process; a full
    collection walking them (~275,000 objects) stalled a request for 130–220 ms every few dozen
    requests at district scale. Not for tests, which create many apps in one process."""
    gc.collect()
    gc.freeze()
