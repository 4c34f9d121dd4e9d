"""The server-rendered round (no JavaScript, spot checks) for a phone held in one hand: an item
that requires a photo is refused at the item when saved without one; a failure opened again is
edited in place with its reason, note and photos (saving it keeps them); the feedback appears next
to the window just marked; the failures list names the window and the person; Submit and the
count sit in a bar at the bottom; undo asks first."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from compliance.db import db
from inspections.models import CheckResult, Photo


def _start(client, site) -> str:
    return client.post("/patrols/start", data={"site_id": site.id}).headers["Location"]


def _post_failure(client, round_url, target, item, photos=(), **fields):
    data = {"item": item, **fields}
    if photos:
        data["photos"] = [(io.BytesIO(p), f"p{i}.jpg") for i, p in enumerate(photos)]
    return client.post(
        f"{round_url}/fail?target={target}", data=data, content_type="multipart/form-data"
    )


def test_photo_required_item_is_refused_at_the_item_without_a_photo(
    app, client_for, catalogue, make_hall, jpeg
):
    site, windows, staff = make_hall(windows=1, per_window=1)
    client = client_for("inspector", sites=[site])
    round_url = _start(client, site)
    r = _post_failure(client, round_url, f"s{staff[0].id}", "B02", reason="未佩戴工牌")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    # the message sits under the item itself, and what was typed is still there
    at_item = re.search(r'data-item-error="B02"[^>]*>([^<]+)<', html)
    assert at_item and "B02" in at_item.group(1)
    assert 'value="未佩戴工牌"' in html
    assert db.session.scalar(sa.select(sa.func.count(CheckResult.id))) == 0
    # an item without that rule saves without a photo; B02 with one
    assert _post_failure(client, round_url, f"s{staff[0].id}", "D06").status_code == 302
    assert _post_failure(client, round_url, f"s{staff[0].id}", "B02", [jpeg]).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(CheckResult.id))) == 2


def test_reopened_failure_is_edited_in_place_and_keeps_its_fields(
    app, client_for, catalogue, make_hall, jpeg, png
):
    site, windows, staff = make_hall(windows=1, per_window=1)
    client = client_for("inspector", sites=[site])
    round_url = _start(client, site)
    target = f"s{staff[0].id}"
    _post_failure(
        client, round_url, target, "B02", [jpeg], reason="未佩戴工牌", note="10点", severity="major"
    )
    page = client.get(f"{round_url}/fail?target={target}&item=B02").get_data(as_text=True)
    assert 'value="B02" data-severity="minor" data-photo-required checked' in page
    assert 'value="未佩戴工牌"' in page and ">10点</textarea>" in page
    assert '<option value="major" selected>' in page
    photo = db.session.scalars(sa.select(Photo)).one()
    assert f'name="remove_photo" value="{photo.id}"' in page
    # saving again as opened (no new photo) keeps the reason, the note and the photo
    r = _post_failure(
        client, round_url, target, "B02", reason="未佩戴工牌", note="10点", severity="major"
    )
    assert r.status_code == 302
    result = db.session.scalars(sa.select(CheckResult)).one()
    assert (result.reason, result.note, result.severity) == ("未佩戴工牌", "10点", "major")
    assert db.session.get(Photo, photo.id).check_result_id == result.id
    # a photo replaced: the old one taken off, the new one on
    r = _post_failure(
        client, round_url, target, "B02", [png], reason="未佩戴工牌", remove_photo=str(photo.id)
    )
    assert r.status_code == 302
    on_result = db.session.scalars(sa.select(Photo).where(Photo.check_result_id == result.id)).all()
    assert [p.original_format for p in on_result] == ["PNG"]
    # taking the only photo off a photo-required failure is refused
    only = on_result[0]
    r = _post_failure(client, round_url, target, "B02", remove_photo=str(only.id))
    assert r.status_code == 422
    assert db.session.get(Photo, only.id).check_result_id == result.id


def test_round_page_shows_feedback_at_the_window_and_names_window_and_person(
    app, client_for, catalogue, make_hall, jpeg
):
    site, windows, staff = make_hall(windows=3, per_window=1)
    client = client_for("inspector", sites=[site])
    round_url = _start(client, site)
    r = _post_failure(client, round_url, f"s{staff[1].id}", "D06", reason="闲聊")
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location.endswith(f"#w{windows[1].id}") and "done=s" in location
    page = client.get(location.split("#")[0]).get_data(as_text=True)
    # no message at the top of the page; the feedback is inside that window's section
    assert 'class="flash flash-success"' not in page
    section = re.search(
        rf'<section class="card tgt" id="w{windows[1].id}">(.*?)</section>', page, re.S
    )
    assert section and 'class="marked"' in section.group(1) and "D06" in section.group(1)
    failures = re.search(r'<section class="card" id="failures">(.*?)</section>', page, re.S).group(
        1
    )
    assert staff[1].name in failures and windows[1].code in failures
    # the count and Submit in the bottom bar; Submit sends the round's form
    bar = re.search(r'<div class="roundbar">(.*?)</div>', page, re.S).group(1)
    assert "<b>1</b>" in bar and 'form="round-form"' in bar and 'id="submit-round"' in bar


def test_undo_asks_first_and_removes_only_when_confirmed(
    app, client_for, catalogue, make_hall, jpeg
):
    site, windows, staff = make_hall(windows=1, per_window=1)
    client = client_for("inspector", sites=[site])
    round_url = _start(client, site)
    _post_failure(client, round_url, f"w{windows[0].id}", "C01", [jpeg])
    result = db.session.scalars(sa.select(CheckResult)).one()
    page = client.get(round_url).get_data(as_text=True)
    undo_url = f"{round_url}/failures/{result.id}/remove"
    assert (
        f'<a class="btn danger" href="{undo_url.split("://")[-1].split("localhost")[-1]}">' in page
    )
    confirm = client.get(undo_url)
    assert confirm.status_code == 200
    assert 'id="confirm-undo"' in confirm.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CheckResult.id))) == 1  # asking wrote nothing
    r = client.post(undo_url)
    assert r.status_code == 302 and "removed=" in r.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count(CheckResult.id))) == 0
    assert db.session.scalars(sa.select(Photo)).one().check_result_id is None
