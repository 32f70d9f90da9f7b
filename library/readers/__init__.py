"""Readers, picked by file suffix: each returns a RawDocument or raises ParseError."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import ParseError
from .common import RawDocument, content_hash, file_stat, sidecar_for
from .html import read_html
from .markdown import read_markdown
from .pdf import read_pdf
from .text import read_text

Reader = Callable[[Path, str, int], RawDocument]

READERS: dict[str, Reader] = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".txt": read_text,
}


def read_file(path: Path, shown: str, max_bytes: int) -> RawDocument:
    """Read any supported file with the reader for its suffix."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ParseError(shown, f"has no reader for '{path.suffix}' files; supported: {', '.join(READERS)}")
    try:
        shown.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 cannot become a document id or be stored in the index
        raise ParseError(shown, "has a name that is not UTF-8 text; rename the file") from None
    return reader(path, shown, max_bytes)


__all__ = ["READERS", "RawDocument", "content_hash", "file_stat", "read_file", "sidecar_for"]
