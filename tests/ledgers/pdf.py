"""Printing ledgers the way a reader does: LibreOffice (headless) converts the workbook to PDF,
pypdfium2 reads each page's text where it is and renders a page to an image."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

needs_soffice = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed; .ci/run installs libreoffice-calc-nogui",
)


def to_pdf(workbooks: dict[str, bytes], tmp_path: Path) -> dict[str, Path]:
    """Write each workbook and convert them all with one LibreOffice run: name -> PDF path."""
    pypdfium2 = pytest.importorskip("pypdfium2", reason="pypdfium2 is a test extra")
    assert pypdfium2
    sources = []
    for name, data in workbooks.items():
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(data)
        sources.append(str(path))
    out = tmp_path / "pdf"
    result = subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *sources,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    pdfs = {name: out / f"{name}.pdf" for name in workbooks}
    missing = [name for name, path in pdfs.items() if not path.is_file()]
    assert not missing, f"LibreOffice made no PDF of {missing}: {result.stdout} {result.stderr}"
    return pdfs


def squeeze(text: str) -> str:
    """Text without whitespace: a header wrapped over two lines still matches."""
    return re.sub(r"\s+", "", text)


def label_in(label: str, squeezed_text: str) -> bool:
    """Whether a header label prints in the text: each of its words, since a label wrapped in
    its cell comes out line by line, between the lines of its neighbours."""
    words = [w for w in re.split(r"[\s\-]+", label) if w]
    return all(w in squeezed_text for w in words)


def pages(pdf: Path, top_share: float = 0.3) -> list[dict]:
    """Each page: its size, its whole text and the text of its top part (where a repeated
    header row prints), both squeezed."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    out = []
    try:
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            text = page.get_textpage()
            out.append(
                {
                    "width": width,
                    "height": height,
                    "text": squeeze(text.get_text_range()),
                    "top": squeeze(
                        text.get_text_bounded(
                            left=0, bottom=height * (1 - top_share), right=width, top=height
                        )
                    ),
                }
            )
    finally:
        document.close()
    return out


def render(pdf: Path, index: int = 0, scale: float = 2.0):
    """Page `index` as a PIL image."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        return document[index].render(scale=scale).to_pil().convert("RGB")
    finally:
        document.close()


def colour_pixels(image, hex_colour: str, tolerance: int = 40) -> int:
    """How many pixels of the image are within `tolerance` (per channel) of the colour."""
    want = tuple(int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
    count = 0
    for (r, g, b), n in _colour_counts(image):
        if abs(r - want[0]) <= tolerance and abs(g - want[1]) <= tolerance:
            if abs(b - want[2]) <= tolerance:
                count += n
    return count


def _colour_counts(image):
    counts = image.getcolors(maxcolors=image.width * image.height)
    return [(rgb, n) for n, rgb in counts]
