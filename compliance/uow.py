"""The unit of work: the one place that begins, commits and rolls back a transaction.

Every request runs through `App.full_dispatch_request` (below), in the spirit of indico's
`RH.process`:

- A writing request (POST/PUT/PATCH/DELETE) commits once, after its view returned; a reading
  request (GET/HEAD/OPTIONS) never commits: whatever it did is rolled back.
- Any exception escaping the view rolls everything back before an error page is rendered.
- A `DomainError` escaping the view becomes a JSON error on the API and an error page elsewhere
  (`compliance.errors`); a page that wants the message on its form wraps the service call in
  `domain_errors(form)`, which undoes only that call (a savepoint) and puts the message on the form.
- On SQLite the unit of work decides how a transaction begins: a writing request begins
  IMMEDIATE (it waits its turn for the write lock instead of failing half-way with "database is
  locked"); a view marked `reads_first` starts reading without the lock and calls
  `begin_writing()` when it is ready to write (sign-in checks the password first).
- Scheduled jobs and CLI commands use `unit_of_work()` the same way.

Files written during a transaction (photos, exports) are registered with `track_file`: kept when
it commits, removed when it (or the savepoint they were written in) rolls back.

Views, API methods and services never call `commit()` or `rollback()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, flash, g, request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

from .db import db
from .domain import DomainError

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Whether the next transaction on this thread/context will write (SQLite: BEGIN IMMEDIATE).
_write_intent: ContextVar[bool] = ContextVar("compliance_write_intent", default=False)


# --------------------------------------------------------------------------- SQLite begin mode


@sa.event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """On SQLite, begin IMMEDIATE when the unit of work said it will write.

    In WAL mode a deferred transaction that reads and then writes fails at once with "database is
    locked" when another connection committed in between (the busy timeout cannot help), so a
    writer takes the lock first and waits its turn; readers stay deferred and block nobody.
    """
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def reads_first(view: Callable) -> Callable:
    """Mark a writing view that reads (and thinks) before it writes: its transaction begins
    without the write lock; it calls `begin_writing()` before the first write."""
    view.uow_reads_first = True
    return view


def begin_writing(session: Session | None = None) -> None:
    """End the read-only part of a `reads_first` request; the next statement begins the writing
    transaction (on SQLite it takes the write lock). Loaded objects are reloaded when next used."""
    session = session or db.session
    if isinstance(session, scoped_session):
        session = session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_writing() after a write: the read phase must not write")
    _write_intent.set(True)
    if session.in_transaction():
        session.commit()  # nothing to write: this only ends the read transaction


# --------------------------------------------------------------------------- the request


class App(Flask):
    """Flask with the unit of work around every request."""

    def full_dispatch_request(self):
        view = self.view_functions.get(request.endpoint) if request.endpoint else None
        writes = request.method not in SAFE_METHODS
        if writes and getattr(view, "uow_reads_first", False):
            writes = False
        token = _write_intent.set(writes)
        try:
            return super().full_dispatch_request()
        finally:
            _write_intent.reset(token)

    def handle_user_exception(self, e):
        # Whatever the request did is undone before an error page or JSON error is rendered.
        db.session.rollback()
        return super().handle_user_exception(e)

    def handle_exception(self, e):
        db.session.rollback()
        return super().handle_exception(e)

    def dispatch_request(self):
        session = db.session
        response = self.make_response(super().dispatch_request())
        if request.method in SAFE_METHODS:
            if session.new or session.dirty or session.deleted:
                logger.warning(
                    "%s %s left unsaved changes; discarded", request.method, request.path
                )
            session.rollback()
        else:
            session.commit()
        _run_bookkeeping(session)
        return response


def after_request_bookkeeping(func: Callable[[Session], None]) -> None:
    """Run `func(session)` once the request's own transaction has ended, in a short transaction
    of its own (best effort: a busy database skips it). For the session's last-seen time."""
    g.setdefault("_uow_bookkeeping", []).append(func)


def _run_bookkeeping(session: Session) -> None:
    tasks = g.pop("_uow_bookkeeping", None)
    if not tasks:
        return
    token = _write_intent.set(True)
    try:
        for func in tasks:
            func(session)
        session.commit()
    except sa.exc.OperationalError:
        session.rollback()
        logger.info("bookkeeping skipped (database busy)")
    finally:
        _write_intent.reset(token)


# --------------------------------------------------------------------------- domain errors on pages


@dataclass
class Outcome:
    """What a `domain_errors` block ended with: nothing, or the error and its HTTP status."""

    error: DomainError | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def status(self) -> int:
        from .errors import status_of

        return 200 if self.error is None else status_of(self.error)

    @property
    def message(self) -> str | None:
        return None if self.error is None else self.error.translated()


@contextmanager
def domain_errors(
    form: Any = None,
    *,
    fields: dict[str, str] | None = None,
    show_details: bool = True,
    quiet: bool = False,
    session: Session | None = None,
) -> Iterator[Outcome]:
    """Run a service call for a page; on a `DomainError`, undo just that call and show why.

    The message goes on the form field the error names (`fields` maps a service's field name to
    the form's), else it is flashed, and so are the error's detail lines unless `show_details` is
    off (the page lists them itself); with `quiet` nothing is shown (a JSON-answering page reads
    `outcome.message` itself). The view then re-renders its form with what was typed::

        with domain_errors(form):
            services.create_staff(db.session, current_user, ...)
            flash(_("Saved."), "success")
            return redirect(...)
        return render_template(..., form=form)
    """
    session = session or db.session
    outcome = Outcome()
    savepoint = session.begin_nested()
    try:
        yield outcome
    except DomainError as exc:
        # Also when a failed flush deactivated the savepoint (e.g. a version check that matched
        # no row on PostgreSQL); only one that is already closed needs nothing.
        try:
            savepoint.rollback()
        except sa.exc.ResourceClosedError:
            pass
        outcome.error = exc
        logger.info("refused on %s: %s", request.path if request else "-", exc.code)
        if not quiet:
            _show(form, exc, fields, show_details)
    else:
        if savepoint.is_active:
            savepoint.commit()


def _show(form: Any, exc: DomainError, fields: dict[str, str] | None, show_details: bool) -> None:
    message = exc.translated()
    name = (fields or {}).get(exc.field or "", exc.field)
    target = getattr(form, name, None) if form is not None and name else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*list(target.errors or []), message]
    else:
        flash(message, "warning" if exc.kind == "conflict" else "danger")
    if show_details:
        for line in exc.translated_details():
            flash(line, "danger")


# --------------------------------------------------------------------------- jobs and commands


@contextmanager
def unit_of_work(session: Session | None = None, *, write: bool = True) -> Iterator[Session]:
    """A job's or a command's transaction: commit once at the end, roll back on any error."""
    session = session or db.session
    token = _write_intent.set(write)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _write_intent.reset(token)


def commit_batch(session: Session | None = None) -> None:
    """Commit what a long job did so far and go on in a new transaction (jobs only: e-mail
    batches, large imports). Pages and services never call this."""
    (session or db.session).commit()


# --------------------------------------------------------------------------- files follow the transaction

_FILES_KEY = "uow_files"


def track_file(session: Session, path: Path) -> None:
    """Remove `path` again if the transaction (or savepoint) it was written in rolls back."""
    if isinstance(session, scoped_session):
        session = session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_FILES_KEY, []).append((Path(path), transaction))


def _within(transaction, ancestor) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@sa.event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    session.info.pop(_FILES_KEY, None)


@sa.event.listens_for(Session, "after_soft_rollback")
def _remove_files(session: Session, previous_transaction) -> None:
    files = session.info.get(_FILES_KEY)
    if not files:
        return
    keep = []
    for path, transaction in files:
        if transaction is None or _within(transaction, previous_transaction):
            try:
                path.unlink(missing_ok=True)
            except OSError:  # pragma: no cover - a file we cannot remove is only logged
                logger.warning("could not remove orphaned file %s", path)
        else:
            keep.append((path, transaction))
    session.info[_FILES_KEY] = keep
