"""The staff lookup behind search-as-you-type pickers: roles, scope, a bounded answer, and 4xx
naming the field for bad input."""

from __future__ import annotations

import pytest

from compliance.lookups import MAX_LIMIT


@pytest.fixture
def two_sites(make_site, make_staff):
    here, there = make_site(), make_site()
    mine = [make_staff(site=here, name=f"王小{n}") for n in range(25)]
    theirs = [make_staff(site=there, name=f"王大{n}") for n in range(3)]
    return here, there, mine, theirs


def test_lookup_is_bounded_and_scoped(client_for, two_sites):
    here, _there, mine, theirs = two_sites
    reader = client_for("discipline", sites=[here])
    answer = reader.get("/org/staff/lookup?q=王").get_json()["results"]
    assert len(answer) == MAX_LIMIT
    assert {r["id"] for r in answer} <= {m.id for m in mine}
    assert reader.get("/org/staff/lookup?q=王大").get_json()["results"] == []
    assert len(reader.get("/org/staff/lookup?q=王&limit=5").get_json()["results"]) == 5
    # By code: the exact code first.
    code = mine[3].staff_no
    first = reader.get(f"/org/staff/lookup?q={code.lower()}").get_json()["results"][0]
    assert first == {
        "id": mine[3].id,
        "staff_no": code,
        "name": mine[3].name,
        "site": here.name,
        "active": True,
    }
    # Someone of every site sees the others too.
    everyone = client_for("admin")
    found = everyone.get("/org/staff/lookup?q=王大").get_json()["results"]
    assert {r["id"] for r in found} == {t.id for t in theirs}


def test_lookup_site_filter(client_for, two_sites):
    here, there, _mine, theirs = two_sites
    admin = client_for("admin")
    found = admin.get(f"/org/staff/lookup?q=王&site={there.id}").get_json()["results"]
    assert {r["id"] for r in found} == {t.id for t in theirs}


def test_lookup_wildcards_are_literal(client_for, two_sites):
    admin = client_for("admin")
    assert admin.get("/org/staff/lookup?q=%25").get_json()["results"] == []
    assert admin.get("/org/staff/lookup?q=_").get_json()["results"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "q"),
        ("q=", "q"),
        ("q=%20%20", "q"),
        ("q=" + "x" * 41, "q"),
        ("q=a&limit=0", "limit"),
        ("q=a&limit=21", "limit"),
        ("q=a&limit=-1", "limit"),
        ("q=a&limit=x", "limit"),
        ("q=a&site=x", "site"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(client_for, query, field):
    response = client_for("admin").get(f"/org/staff/lookup?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_control_characters_are_refused(client_for):
    response = client_for("admin").get("/org/staff/lookup?q=a%00b")
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("role", ["staff"])
def test_roles(client_for, client, role):
    assert client_for(role).get("/org/staff/lookup?q=a").status_code == 403
    assert client.get("/org/staff/lookup?q=a").status_code in (302, 401)
