from __future__ import annotations

import pytest

from compliance.scheduler import get_jobs


@pytest.fixture
def isolated_jobs(app, monkeypatch):
    """The app's job registry as a copy, so jobs a test registers vanish after it."""
    jobs = dict(get_jobs(app))
    monkeypatch.setitem(app.extensions, "compliance_jobs", jobs)
    return jobs
