"""PDF reports: text page by page with pypdf."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from .. import settings
from ..errors import ParseError
from .common import RawDocument, clean_text, read_bytes, read_sidecar

logging.getLogger("pypdf").setLevel(logging.ERROR)
MAX_TEXT_CHARS = 2_000_000


def read_pdf(path: Path, shown: str, max_bytes: int) -> RawDocument:
    """Extract the text of a PDF; encrypted, corrupt or textless PDFs are refused."""
    max_pages = int(settings.get("max_pdf_pages"))  # type: ignore[call-overload]
    import pypdf
    from pypdf.errors import PdfReadError

    data = read_bytes(path, shown, max_bytes)
    warnings: list[str] = []
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise ParseError(shown, "is not a PDF (it does not start with %PDF-)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ParseError(shown, "is an encrypted PDF; save an unencrypted copy and index that")
        pages = []
        total = 0
        for number, page in enumerate(reader.pages, start=1):
            if number > max_pages:
                warnings.append(f"only the first {max_pages} pages were read")
                break
            text = page.extract_text() or ""
            total += len(text)
            if total > MAX_TEXT_CHARS:
                warnings.append(f"text cut at {MAX_TEXT_CHARS:,} characters")
                break
            pages.append(text)
        title = ""
        if reader.metadata and reader.metadata.title:
            title = str(reader.metadata.title)
    except ParseError:
        raise
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
        RecursionError,
        MemoryError,
        ZeroDivisionError,
        AssertionError,
    ) as exc:
        raise ParseError(shown, f"is a damaged PDF that cannot be read ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises many kinds of error on hostile files
        if type(exc).__module__.startswith("pypdf"):
            raise ParseError(shown, f"is a PDF pypdf cannot read ({exc})") from None
        raise
    body = clean_text("\n\n".join(pages))
    if not body:
        raise ParseError(shown, "is a PDF with no extractable text (a scan? run OCR on it first)")
    meta = read_sidecar(path, shown, max_bytes, warnings)
    first_line = body.split("\n", 1)[0].strip()
    return RawDocument(shown, meta, body, found_title=title.strip() or first_line[:200], warnings=warnings)
