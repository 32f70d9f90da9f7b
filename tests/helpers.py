"""Small builders for test files: documents on disk, minimal PDFs."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.hostile.make import pdf


def write_markdown(
    folder: Path, relative: str, body: str = "Some text about co-operative practice.", **meta: object
) -> Path:
    """Write a Markdown document with front matter built from keyword arguments."""
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) if meta else ""
    path.write_text(f"---\n{front}---\n{body}\n" if meta else body, encoding="utf-8")
    return path


def pdf_bytes(pages: list[str], title: str = "") -> bytes:
    """Return a small valid PDF with one line of Helvetica text per page."""
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, text in enumerate(pages):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("cp1252")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info = None
    if title:
        objects.append(f"<< /Title ({title}) >>".encode())
        info = len(objects)
    return pdf(objects, info)


def engine_reader(library):
    """The Whoosh reader of a library's published generation: for tests that check the engine against Whoosh."""
    with library.published() as generation:
        return generation.reader
