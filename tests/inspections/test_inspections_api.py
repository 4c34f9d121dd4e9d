"""The inspections API: one request per round keyed by a client UUID, photos keyed by UUID and
SHA-256, findings visible by role, scope and ownership."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
import sqlalchemy as sa

from compliance.db import db
from inspections.models import CheckResult, Finding, Inspection, Photo


def _payload(site, staff, **extra):
    body = {
        "uuid": str(uuid.uuid4()),
        "site_id": site.id,
        "device_started_at": "2026-11-26T09:00:00+08:00",
        "device_submitted_at": "2026-11-26T09:12:00+08:00",
        "latitude": 30.56,
        "longitude": 104.27,
        "location_accuracy_m": 12,
        "failures": [
            {
                "target": f"s{staff[0].id}",
                "item_code": "D01",
                "reason": "未着工装",
                "photos": ["ab" * 32],  # promised: D01 needs no photo, so it may upload later
            },
            {"target": "a", "item_code": "C07", "severity": "major"},  # requires a photo
        ],
    }
    body.update(extra)
    return body


def _upload_area_photo(client, body, png) -> str:
    """Upload the area failure's photo (C07 requires one) before the round, as a phone does."""
    sha = hashlib.sha256(png).hexdigest()
    r = client.post(
        f"/api/v1/inspections/{body['uuid']}/photos",
        data={"file": (io.BytesIO(png), "area.png")},
        content_type="multipart/form-data",
    )
    assert r.status_code in (200, 201), r.get_json()
    body["failures"][1]["photos"] = [sha]
    return sha


def test_the_same_inspection_posted_twice_exists_once(app, client_for, catalogue, make_hall, png):
    site, windows, staff = make_hall(windows=2, per_window=1)
    client = client_for("inspector", sites=[site])
    body = _payload(site, staff)
    _upload_area_photo(client, body, png)
    first = client.post("/api/v1/inspections", json=body)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/inspections", json=body)
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(first.get_json()["finding_ids"]) == 2
    assert db.session.scalar(sa.select(sa.func.count(Inspection.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Finding.id))) == 2
    changed = dict(body, failures=body["failures"][:1])
    conflict = client.post("/api/v1/inspections", json=changed)
    assert conflict.status_code == 409 and conflict.get_json()["reason"]
    inspection = db.session.scalars(sa.select(Inspection)).one()
    assert inspection.device_started_at.hour == 1 and inspection.duration_seconds is not None
    got = client.get(f"/api/v1/inspections/{body['uuid']}")
    assert got.status_code == 200 and got.get_json()["failure_count"] == 2


def test_the_client_uuid_is_unique_in_the_database(app, make_site, make_user):
    """The idempotency of POST /inspections rests on the unique UUID: two rows with the same
    client UUID are refused by the database itself, whatever the services check first."""
    from compliance.db import utcnow

    site = make_site()
    inspectors = [make_user(roles=("inspector",)) for _ in range(2)]
    key = str(uuid.uuid4())

    def row(inspector):
        return Inspection(
            uuid=key,
            kind="patrol",
            status="draft",
            site_id=site.id,
            inspector_id=inspector.id,
            started_at=utcnow(),
        )

    db.session.add(row(inspectors[0]))
    db.session.flush()
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(row(inspectors[1]))
        db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count()).where(Inspection.uuid == key)) == 1


def test_photos_upload_separately_and_a_retry_is_harmless(
    app, client_for, catalogue, make_hall, jpeg, png
):
    site, windows, staff = make_hall(windows=1, per_window=1)
    client = client_for("inspector", sites=[site])
    body = _payload(site, staff)
    sha_jpeg = hashlib.sha256(jpeg).hexdigest()
    sha_png = hashlib.sha256(png).hexdigest()
    body["failures"][0]["photos"] = [sha_jpeg]
    body["failures"][1]["photos"] = [sha_png]
    # one photo before the inspection (the area item requires it), one after; the first is
    # retried
    url = f"/api/v1/inspections/{body['uuid']}/photos"
    r1 = client.post(
        url,
        data={"file": (io.BytesIO(png), "y.png"), "sha256": sha_png},
        content_type="multipart/form-data",
    )
    assert r1.status_code == 201, r1.get_json()
    r1b = client.post(
        url, data={"file": (io.BytesIO(png), "y.png")}, content_type="multipart/form-data"
    )
    assert r1b.status_code == 200 and r1b.get_json()["id"] == r1.get_json()["id"]
    assert client.post("/api/v1/inspections", json=body).status_code == 201
    r2 = client.post(
        url, data={"file": (io.BytesIO(jpeg), "x.jpg")}, content_type="multipart/form-data"
    )
    assert r2.status_code == 201
    findings = {f.target: f for f in db.session.scalars(sa.select(Finding))}
    photos = {p.sha256: p for p in db.session.scalars(sa.select(Photo))}
    assert len(photos) == 2
    assert photos[sha_jpeg].finding_id == findings["staff"].id
    assert photos[sha_png].finding_id == findings["area"].id
    detail = client.get(f"/api/v1/findings/{findings['area'].id}").get_json()
    assert [p["sha256"] for p in detail["photos"]] == [sha_png]


def test_api_refuses_bad_photos_and_bad_failures_with_reasons(
    app, client_for, catalogue, make_hall, jpeg
):
    site, windows, staff = make_hall(windows=1, per_window=1)
    client = client_for("inspector", sites=[site])
    key = str(uuid.uuid4())
    r = client.post(
        f"/api/v1/inspections/{key}/photos",
        data={"file": (io.BytesIO(b"GIF89a not really"), "x.jpg")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "JPEG" in r.get_json()["reason"]
    r = client.post(
        f"/api/v1/inspections/{key}/photos",
        data={"file": (io.BytesIO(jpeg), "x.jpg"), "sha256": "0" * 64},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    body = _payload(site, staff, failures=[{"target": "s999999", "item_code": "D06"}])
    r = client.post("/api/v1/inspections", json=body)
    assert r.status_code == 400 and "failures[0]" in r.get_json()["reason"]
    body = _payload(site, staff, failures=[{"target": f"s{staff[0].id}", "item_code": "D05"}])
    r = client.post("/api/v1/inspections", json=body)
    assert r.status_code == 422 and "D05" in r.get_json()["reason"]  # photo required
    body = _payload(site, staff, failures=[{"target": "a", "item_code": "D06"}])
    r = client.post("/api/v1/inspections", json=body)
    assert r.status_code == 400 and "failures[0]" in r.get_json()["reason"]
    body = _payload(site, staff, failures=[{"target": "a", "item_code": "NOPE"}])
    assert client.post("/api/v1/inspections", json=body).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Inspection.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(CheckResult.id))) == 0
    other_site = make_hall(windows=1)[0]
    r = client.post("/api/v1/inspections", json=_payload(other_site, staff, failures=[]))
    assert r.status_code == 404
    assert (
        client_for("hr").post("/api/v1/inspections", json=_payload(site, staff)).status_code == 403
    )


def test_a_required_photo_must_exist_and_belong_to_the_failure(
    app, client_for, catalogue, make_hall, png
):
    site, windows, staff = make_hall(windows=1, per_window=1)
    client = client_for("inspector", sites=[site])
    before = db.session.query(Inspection).count()
    # The SHA-256 of a photo never uploaded is not a photo.
    body = _payload(site, staff)
    body["failures"][1]["photos"] = [hashlib.sha256(b"never uploaded").hexdigest()]
    refused = client.post("/api/v1/inspections", json=body)
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["code"] == "inspections.photo_required"
    assert "photos" in str(refused.get_json()["errors"])
    # A photo uploaded under another round's UUID does not belong to this failure.
    other = _payload(site, staff)
    sha = _upload_area_photo(client, other, png)
    body["failures"][1]["photos"] = [sha]
    assert client.post("/api/v1/inspections", json=body).status_code == 422
    assert db.session.query(Inspection).count() == before
    assert db.session.query(Finding).count() == 0
    # Uploaded under this round's UUID first: accepted, and the finding carries the photo.
    _upload_area_photo(client, body, png)
    created = client.post("/api/v1/inspections", json=body)
    assert created.status_code == 201, created.get_json()
    area = db.session.scalars(sa.select(Finding).where(Finding.target == "area")).one()
    assert [
        p.sha256 for p in db.session.scalars(sa.select(Photo).where(Photo.finding_id == area.id))
    ] == [sha]


def test_staff_see_only_their_own_findings(app, client_for, catalogue, make_hall, make_user, login):
    site, windows, staff = make_hall(windows=2, per_window=1)
    inspector = client_for("inspector", sites=[site])
    body = _payload(
        site,
        staff,
        failures=[
            {"target": f"s{staff[0].id}", "item_code": "D06"},
            {"target": f"s{staff[1].id}", "item_code": "D06"},
        ],
    )
    assert inspector.post("/api/v1/inspections", json=body).status_code == 201
    own = make_user(roles=("staff",), sites=[site], staff_member=staff[0])
    client = app.test_client()
    login(client, own)
    listed = client.get("/api/v1/findings").get_json()
    assert [f["staff_member_id"] for f in listed] == [staff[0].id]
    page = client.get("/findings")
    assert page.status_code == 200
    mine, theirs = sorted(
        db.session.scalars(sa.select(Finding)), key=lambda f: f.staff_member_id != staff[0].id
    )
    assert client.get(f"/findings/{mine.id}").status_code == 200
    assert client.get(f"/findings/{theirs.id}").status_code == 404
    assert client.get(f"/api/v1/findings/{theirs.id}").status_code == 404
    assert client.get("/api/v1/inspections").status_code == 403
    everyone = inspector.get("/api/v1/findings?severity=minor").get_json()
    assert len(everyone) == 2


def test_openapi_describes_the_inspection_endpoints(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert "/api/v1/inspections" in paths and "post" in paths["/api/v1/inspections"]
    assert "/api/v1/inspections/{uuid}/photos" in paths
    assert "/api/v1/draws" in paths and "/api/v1/findings/{finding_id}" in paths
    schema = spec["components"]["schemas"]["InspectionCreate"]
    assert "uuid" in schema["required"] and "failures" in schema["properties"]


def test_concurrent_posts_of_one_inspection_create_it_once(fresh_app):
    import threading

    from compliance.accounts import create_user
    from compliance.models import Assignment, Post, Site, StaffMember, Window
    from inspections.catalogue import load_standard_catalogue

    fresh = fresh_app()
    with fresh.app_context():
        site = Site(code="C1", name="并发")
        post = Post(code="CP", name="岗位")
        window = Window(site=site, code="W1", name="窗口")
        member = StaffMember(
            staff_no="C001",
            name="员工",
            hired_on=__import__("datetime").date(2020, 1, 1),
            site=site,
        )
        db.session.add_all([site, post, window, member])
        db.session.flush()
        db.session.add(
            Assignment(
                staff_member=member, post=post, site=site, window=window, started_on=member.hired_on
            )
        )
        load_standard_catalogue(db.session, None)
        create_user(
            db.session,
            None,
            username="racer",
            display_name="督查",
            roles=["inspector"],
            password="correct-horse-42",
            hash_method="scrypt:1024:8:1",
            all_sites=True,
        )
        db.session.commit()
        body = {
            "uuid": str(uuid.uuid4()),
            "site_id": site.id,
            "failures": [{"target": f"s{member.id}", "item_code": "D06"}],
        }
    clients = []
    with fresh.app_context():
        for _ in range(4):
            c = fresh.test_client()
            assert (
                c.post(
                    "/login", data={"username": "racer", "password": "correct-horse-42"}
                ).status_code
                == 302
            )
            clients.append(c)
    statuses = []
    barrier = threading.Barrier(len(clients))

    def post(c):
        # each thread has its own app context, hence its own database session
        with fresh.app_context():
            barrier.wait()
            statuses.append(c.post("/api/v1/inspections", json=body).status_code)

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses).count(201) == 1 and all(s in (200, 201) for s in statuses), statuses
    with fresh.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Inspection.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Finding.id))) == 1
