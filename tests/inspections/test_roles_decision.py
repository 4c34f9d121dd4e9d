"""The roles decision, the same in the README and in the access rules: discipline officers may
record patrols, inspectors may export the inspection and rectification ledgers."""

from __future__ import annotations

from pathlib import Path

from compliance.ledgers.registry import ledgers_for
from inspections import api as inspections_api
from inspections.views import common as views_common

README = Path(__file__).resolve().parents[2] / "README.md"


def _row(role: str) -> str:
    (line,) = [ln for ln in README.read_text().splitlines() if ln.startswith(f"| `{role}` |")]
    return line


def test_discipline_officers_record_patrols(app, client_for, make_site):
    assert "discipline" in views_common.ROUND_ROLES
    assert "discipline" in inspections_api.ROUND_ROLES
    site = make_site()
    c = client_for("discipline", sites=None)
    assert c.get("/patrols").status_code == 200
    started = c.post("/patrols/start", data={"site_id": site.id})
    assert started.status_code == 302 and "/rounds/" in started.headers["Location"]
    assert "record patrols" in _row("discipline")


def test_inspectors_export_the_inspection_and_rectification_ledgers(app, make_user, make_site):
    inspector = make_user(roles=("inspector",), sites=[make_site()])
    codes = {ledger.code for ledger in ledgers_for(inspector, app)}
    assert {"inspections", "rectifications"} <= codes
    assert "exports the inspection and rectification ledgers" in _row("inspector")
