"""Fixtures for the inspections tests: images and a small catalogue."""

from __future__ import annotations

import io

import pytest
from PIL import Image


def image_bytes(fmt: str = "JPEG", size=(64, 48), color=(200, 30, 30), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def make_image():
    """make_image(fmt="JPEG", size=(64, 48)) -> encoded image bytes."""
    return image_bytes


@pytest.fixture
def jpeg():
    return image_bytes("JPEG")


@pytest.fixture
def png():
    return image_bytes("PNG", mode="RGBA", color=(0, 128, 0, 128))


@pytest.fixture
def webp():
    return image_bytes("WEBP")


@pytest.fixture
def bomb():
    """A tiny PNG that claims 30000x30000 pixels (a decompression bomb)."""
    out = io.BytesIO()
    Image.new("1", (30000, 30000), 0).save(out, "PNG", optimize=True)
    return out.getvalue()
