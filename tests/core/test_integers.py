"""Integers from a URL, a query string, a form or a JSON body are whole numbers within the
database's range before they reach a query: never a 500, never a rounded 1.7."""

from __future__ import annotations

import uuid

import marshmallow as ma
import pytest

from compliance.api.fields import Id, Int, Number, UtcDateTime, Version
from compliance.domain import DomainError
from compliance.integers import INT32_MAX, parse_id, parse_int, required_version

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "value, expected",
    [
        (5, 5),
        ("5", 5),
        (" 7 ", 7),
        ("-3", -3),
        (1.7, None),
        (1.0, None),
        ("1.7", None),
        ("1e3", None),
        ("NaN", None),
        (True, None),
        (None, None),
        ("", None),
        (HUGE, None),
        (2**31, None),
        (2**31 - 1, 2**31 - 1),
    ],
)
def test_parse_int_takes_whole_numbers_within_the_column(value, expected):
    assert parse_int(value) == expected


def test_ids_and_versions_are_positive():
    assert parse_id("0") is None and parse_id("-1") is None and parse_id("12") == 12
    assert required_version("3") == 3
    for bad in ("abc", "1e3", "NaN", "-1", "0", "", None, HUGE, "1.0"):
        with pytest.raises(DomainError) as caught:
            required_version(bad)
        assert caught.value.kind == "refused" and caught.value.field == "version"


class _Schema(ma.Schema):
    site_id = Id(required=True)
    count = Int()
    version = Version()
    hours = Number(minimum=0.5, maximum=12)
    at = UtcDateTime()


@pytest.mark.parametrize(
    "field, value",
    [
        ("site_id", 1.7),
        ("site_id", 1.0),
        ("site_id", True),
        ("site_id", 0),
        ("site_id", int(HUGE)),
        ("site_id", HUGE),
        ("site_id", "1e3"),
        ("count", 2**31),
        ("count", -(2**31) - 1),
        ("version", "NaN"),
        ("version", -1),
        ("hours", float("nan")),
        ("hours", 13),
        ("at", "2026-03-01T08:30:00"),
    ],
)
def test_api_fields_refuse_naming_the_field(field, value):
    data = {"site_id": 1, "version": 1, field: value}
    with pytest.raises(ma.ValidationError) as caught:
        _Schema().load(data)
    assert set(caught.value.messages) == {field}


def test_api_fields_load_and_dump():
    from datetime import datetime

    loaded = _Schema().load(
        {"site_id": "4", "version": 2, "count": -5, "hours": 1.5, "at": "2026-03-01T08:30:00+08:00"}
    )
    assert loaded == {
        "site_id": 4,
        "version": 2,
        "count": -5,
        "hours": 1.5,
        "at": datetime(2026, 3, 1, 0, 30),
    }
    dumped = _Schema().dump({"site_id": 4, "version": 2, "at": datetime(2026, 3, 1, 0, 30)})
    assert dumped["at"] == "2026-03-01T00:30:00+00:00"
    with pytest.raises(ma.ValidationError):
        _Schema().load({"site_id": 1})  # the version is required


def test_api_integers_out_of_range_are_4xx_naming_the_field(client_for, make_site):
    site = make_site()
    c = client_for("inspector", sites=[site])
    for value in (1.7, int(HUGE), 0, "abc"):
        r = c.post("/api/v1/inspections", json={"uuid": str(uuid.uuid4()), "site_id": value})
        assert r.status_code == 422, (value, r.json)
        assert "site_id" in r.json["reason"] and "site_id" in str(r.json["errors"])
    for query in ("page=2305843009213693951", "page=0", "page=1.5", "page_size=100000"):
        r = c.get(f"/api/v1/inspections?{query}")
        assert r.status_code == 422, (query, r.json)
        assert query.split("=")[0] in r.json["reason"]
    assert c.get(f"/api/v1/inspections?site={HUGE}").status_code == 422
    assert c.get(f"/api/v1/findings/{HUGE}").status_code == 404
    assert c.get("/api/v1/findings/0").status_code == 404
    assert c.get(f"/api/v1/inspections?page={INT32_MAX}").status_code in (200, 422)


def test_pages_bound_integers(client_for, make_site):
    site = make_site()
    c = client_for("admin", sites=None)
    assert c.get("/findings/9223372036854775808").status_code == 404
    assert c.post("/patrols/start", data={"site_id": HUGE}).status_code == 404
    assert c.post("/patrols/start", data={"site_id": "1.7"}).status_code == 404
    for url in (
        f"/rectifications?responsible={HUGE}",
        f"/complaints?site={HUGE}",
        f"/admin/users?page={HUGE}",
        f"/audit?page={HUGE}",
        f"/notifications/?page={HUGE}",
        f"/findings?site={HUGE}&page={HUGE}",
    ):
        response = c.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
    assert site.id
