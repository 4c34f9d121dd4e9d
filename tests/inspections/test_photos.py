"""Photo evidence: verified by decoding, stored outside static, served only to allowed users."""

from __future__ import annotations

import hashlib

import pytest

from compliance.db import db
from compliance.domain import InvalidError
from inspections.models import Finding, Photo
from inspections.photos import photo_path, store_photo


def _files(folder):
    return (
        sorted(p for p in (folder / "photos").rglob("*") if p.is_file())
        if (folder / "photos").exists()
        else []
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_formats_are_stored_with_hash_display_copy_and_thumbnail(
    app, make_user, fmt, tmp_path, make_image
):
    user = make_user(roles=("inspector",))
    data = make_image(fmt, size=(2000, 1000))
    photo = store_photo(db.session, user, data, upload_folder=str(tmp_path), inspection_uuid="u-1")
    db.session.commit()
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert photo.original_format == fmt and (photo.width, photo.height) == (2000, 1000)
    original = photo_path(str(tmp_path), photo, "original")
    assert original.read_bytes() == data
    assert photo.storage_key in original.name and "static" not in str(original)
    from PIL import Image

    with Image.open(photo_path(str(tmp_path), photo, "display")) as im:
        assert im.format == "JPEG" and max(im.size) == 1600
    with Image.open(photo_path(str(tmp_path), photo, "thumb")) as im:
        assert max(im.size) == 320


def test_same_upload_for_same_inspection_is_stored_once(app, make_user, jpeg, tmp_path):
    user = make_user(roles=("inspector",))
    a = store_photo(db.session, user, jpeg, upload_folder=str(tmp_path), inspection_uuid="u-2")
    b = store_photo(db.session, user, jpeg, upload_folder=str(tmp_path), inspection_uuid="u-2")
    assert a.id == b.id
    assert len(_files(tmp_path)) == 3


@pytest.mark.parametrize("kind", ["renamed_text", "bomb", "oversized", "truncated", "gif"])
def test_refused_uploads_leave_nothing_behind(app, make_user, bomb, tmp_path, kind, make_image):
    user = make_user(roles=("inspector",))
    data = {
        "renamed_text": b"this is not an image at all\n" * 10,
        "bomb": bomb,
        "oversized": b"\xff\xd8\xff" + b"0" * 200,
        "truncated": make_image("JPEG", size=(400, 400))[:300],
        "gif": make_image("GIF"),
    }[kind]
    kwargs = {"max_bytes": 100} if kind == "oversized" else {}
    with pytest.raises(InvalidError) as err:
        store_photo(
            db.session, user, data, upload_folder=str(tmp_path), inspection_uuid="u-3", **kwargs
        )
    assert err.value.message
    assert db.session.query(Photo).count() == 0
    assert _files(tmp_path) == []


def test_files_are_removed_when_the_transaction_rolls_back(app, make_user, jpeg, tmp_path):
    user = make_user(roles=("inspector",))
    store_photo(db.session, user, jpeg, upload_folder=str(tmp_path), inspection_uuid="u-4")
    assert len(_files(tmp_path)) == 3
    db.session.rollback()
    assert _files(tmp_path) == []


def test_photo_route_serves_only_to_allowed_users(
    app, client_for, make_site, make_staff, make_user, login, jpeg
):
    site, other = make_site(), make_site()
    member = make_staff(site=site)
    inspector = client_for("inspector", sites=[site])
    finding = Finding(
        category="attire",
        target="staff",
        site_id=site.id,
        staff_member_id=member.id,
        severity="minor",
        description="工牌",
        found_by_id=inspector.user.id,
    )
    db.session.add(finding)
    db.session.commit()
    photo = store_photo(
        db.session,
        inspector.user,
        jpeg,
        upload_folder=app.config["UPLOAD_FOLDER"],
        finding_id=finding.id,
    )
    db.session.commit()
    for variant in ("display", "thumb", "original"):
        r = inspector.get(f"/photos/{photo.id}/{variant}")
        assert r.status_code == 200, variant
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Disposition" in r.headers
    assert inspector.get(f"/photos/{photo.id}/original").data == jpeg
    assert inspector.get(f"/photos/{photo.id}/other").status_code == 404
    # the staff member concerned sees it; another site's inspector and other staff do not
    own = make_user(roles=("staff",), sites=[site], staff_member=member)
    c = app.test_client()
    login(c, own)
    assert c.get(f"/photos/{photo.id}/display").status_code == 200
    assert (
        client_for("inspector", sites=[other]).get(f"/photos/{photo.id}/display").status_code == 404
    )
    assert client_for("staff", sites=[site]).get(f"/photos/{photo.id}/display").status_code == 404
    assert app.test_client().get(f"/photos/{photo.id}/display").status_code in (302, 401)


def test_unattached_photo_is_visible_to_its_uploader_only(app, client_for, jpeg):
    uploader = client_for("inspector")
    photo = store_photo(
        db.session,
        uploader.user,
        jpeg,
        upload_folder=app.config["UPLOAD_FOLDER"],
        inspection_uuid="u-5",
    )
    db.session.commit()
    assert uploader.get(f"/photos/{photo.id}/thumb").status_code == 200
    assert client_for("inspector").get(f"/photos/{photo.id}/thumb").status_code == 404
