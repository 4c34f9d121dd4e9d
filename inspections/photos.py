"""Photo evidence: verified by decoding, original kept outside static folders, pages show a
re-encoded copy and a thumbnail.

Files are written before the row is flushed; if the surrounding transaction does not commit, the
files written in it are removed again (`compliance.uow.track_file`), so nothing half-saved remains.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import secrets
import warnings
from pathlib import Path

import sqlalchemy as sa
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from compliance.domain import N_, InvalidError
from compliance.uow import track_file

from .models import Photo

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_BYTES = 12 * 1024 * 1024  # a 50-megapixel phone JPEG is well under this
MAX_PIXELS = 50_000_000
MAX_SIDE = 12_000
DISPLAY_SIDE = 1600
THUMB_SIDE = 320
VARIANTS = ("display", "thumb", "original")


def photo_path(upload_folder: str, photo: Photo, variant: str) -> Path:
    """Where a variant of a stored photo lives (originals keep their format's extension)."""
    root = Path(upload_folder) / "photos"
    if variant == "original":
        return root / "original" / f"{photo.storage_key}.{EXTENSIONS[photo.original_format]}"
    if variant in ("display", "thumb"):
        return root / variant / f"{photo.storage_key}.jpg"
    raise ValueError(f"unknown photo variant {variant!r}")


def verify_image(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> Image.Image:
    """Decode `data` fully and return the image; raises InvalidError with a user-facing reason."""
    if not data:
        raise InvalidError("photos.empty", N_("The photo is empty."))
    if len(data) > max_bytes:
        raise InvalidError(
            "photos.too_large",
            N_("The photo is too large (%(size)s MB); the limit is %(limit)s MB."),
            size=f"{len(data) / 1048576:.1f}",
            limit=f"{max_bytes / 1048576:.0f}",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
            OSError,
            SyntaxError,
            ValueError,
        ) as exc:
            if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
                raise InvalidError(
                    "photos.too_many_pixels", N_("The image has too many pixels.")
                ) from exc
            raise InvalidError(
                "photos.not_an_image", N_("The file is not a JPEG, PNG or WebP image.")
            ) from exc
        width, height = image.size
        if width < 1 or height < 1 or width * height > max_pixels or max(width, height) > MAX_SIDE:
            raise InvalidError(
                "photos.too_many_pixels",
                N_("The image is %(w)s×%(h)s pixels; at most %(mp)s megapixels are accepted."),
                w=width,
                h=height,
                mp=max_pixels // 1_000_000,
            )
        if image.format not in ALLOWED_FORMATS:
            raise InvalidError(
                "photos.not_an_image", N_("The file is not a JPEG, PNG or WebP image.")
            )
        try:
            image.load()
        except (
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as exc:
            raise InvalidError("photos.damaged", N_("The image is damaged or incomplete.")) from exc
    return image


def _display_copy(image: Image.Image, side: int, quality: int) -> bytes:
    """Re-encode as a metadata-free JPEG no larger than `side` on its long edge."""
    img = ImageOps.exif_transpose(image)
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    elif img.mode != "RGB":
        img = img.convert("RGB")
    img.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as fh:
        fh.write(content)
    os.replace(tmp, path)


def find_existing(
    session: Session, sha256: str, *, inspection_uuid: str | None, finding_id: int | None
) -> Photo | None:
    """The photo already stored for the same content and key (a retried upload)."""
    query = sa.select(Photo).where(Photo.sha256 == sha256)
    if inspection_uuid:
        query = query.where(Photo.inspection_uuid == inspection_uuid)
    elif finding_id is not None:
        query = query.where(Photo.finding_id == finding_id, Photo.inspection_uuid.is_(None))
    else:
        return None
    return session.scalars(query.limit(1)).first()


def store_photo(
    session: Session,
    actor,
    data: bytes,
    *,
    upload_folder: str,
    inspection_uuid: str | None = None,
    finding_id: int | None = None,
    check_result_id: int | None = None,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> Photo:
    """Verify and store one photo; returns the Photo row (flushed, not committed).

    The same bytes uploaded again for the same inspection UUID (or the same finding) return the
    existing row, so a retried upload is harmless.

    Raises InvalidError when the data is not a decodable JPEG/PNG/WebP image within the size and
    pixel limits; nothing is written in that case.
    """
    image = verify_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    sha256 = hashlib.sha256(data).hexdigest()
    existing = find_existing(
        session, sha256, inspection_uuid=inspection_uuid, finding_id=finding_id
    )
    if existing is not None:
        if (
            check_result_id is not None and existing.check_result_id not in (None, check_result_id)
        ) or (finding_id is not None and existing.finding_id not in (None, finding_id)):
            raise InvalidError(
                "photos.already_attached", N_("This photo is already attached to another failure.")
            )
        changed = False
        if finding_id is not None and existing.finding_id is None:
            existing.finding_id = finding_id
            changed = True
        if check_result_id is not None and existing.check_result_id is None:
            existing.check_result_id = check_result_id
            changed = True
        if changed:
            session.flush()
        return existing

    display = _display_copy(image, DISPLAY_SIDE, 82)
    thumb = _display_copy(image, THUMB_SIDE, 75)
    photo = Photo(
        sha256=sha256,
        storage_key=secrets.token_hex(20),
        original_format=image.format,
        width=image.width,
        height=image.height,
        size_bytes=len(data),
        inspection_uuid=inspection_uuid,
        finding_id=finding_id,
        check_result_id=check_result_id,
        uploaded_by_id=actor.id if actor is not None else None,
    )
    paths = []
    try:
        for variant, content in (("original", data), ("display", display), ("thumb", thumb)):
            path = photo_path(upload_folder, photo, variant)
            paths.append(path)
            _write(path, content)
        for path in paths:
            track_file(session, path)
        session.add(photo)
        session.flush()
    except Exception:
        for path in paths:
            path.unlink(missing_ok=True)
        raise
    logger.info(
        "photo %s stored (%s, %s bytes) by %s",
        photo.id,
        photo.original_format,
        photo.size_bytes,
        photo.uploaded_by_id,
    )
    return photo
