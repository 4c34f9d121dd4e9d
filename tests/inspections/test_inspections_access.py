"""Access matrix of the inspections pages: every route x every role."""

from __future__ import annotations

import pytest

ROLES = ("admin", "inspector", "hr", "discipline", "staff")

# route -> roles that get 200 (others 403)
MATRIX = {
    "/patrols": {"admin", "inspector", "discipline"},
    "/inspections": {"admin", "inspector", "discipline"},
    "/catalogue": {"admin", "inspector", "discipline"},
    "/catalogue/new": {"admin"},
    "/windows/qr": {"admin", "inspector", "discipline"},
    "/draws": {"admin", "discipline"},
    "/draws/new": {"admin", "discipline"},
    "/draws/schedules/new": {"admin", "discipline"},
    "/patrols/plans": {"admin"},
    "/spot-checks/published": set(ROLES),
    "/findings": {"admin", "inspector", "discipline"},
}


@pytest.mark.parametrize("role", ROLES)
def test_route_by_role(app, client_for, catalogue, role):
    client = client_for(role)
    for route, allowed in MATRIX.items():
        expected = 200 if role in allowed else 403
        assert client.get(route).status_code == expected, (route, role)


def test_signed_out_users_are_sent_to_sign_in(app, client):
    for route in MATRIX:
        response = client.get(route)
        assert response.status_code in (302, 401), route
