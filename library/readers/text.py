"""Plain text files, with optional sidecar metadata."""

from __future__ import annotations

from pathlib import Path

from .common import RawDocument, clean_text, decode_text, read_bytes, read_sidecar


def read_text(path: Path, shown: str, max_bytes: int) -> RawDocument:
    """Read a .txt file; the first non-blank line is its title unless the sidecar gives one."""
    warnings: list[str] = []
    text = clean_text(decode_text(read_bytes(path, shown, max_bytes), shown, warnings))
    meta = read_sidecar(path, shown, max_bytes, warnings)
    first, _, rest = text.partition("\n")
    if "title" not in meta and rest.strip():
        return RawDocument(shown, meta, rest.strip(), found_title=first.strip(), warnings=warnings)
    return RawDocument(shown, meta, text, found_title=first.strip()[:200], warnings=warnings)
