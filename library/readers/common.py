"""What every reader shares: safe file access, text decoding, sidecar metadata."""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ParseError
from ..yamlsafe import YamlProblem, load_yaml

SIDECAR_SUFFIXES = (".yaml", ".yml")


@dataclass
class RawDocument:
    """A file as read, before its metadata is resolved against the vocabularies."""

    path: str
    meta: dict[str, object]
    body: str
    found_title: str = ""
    found_date: str = ""
    warnings: list[str] = field(default_factory=list)


def read_bytes(path: Path, shown: str, max_bytes: int) -> bytes:
    """Read a file's bytes, refusing links that loop, oversized files and unreadable ones."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ParseError(shown, _os_reason(exc)) from None
    if not path.is_file():
        raise ParseError(shown, "is not a regular file")
    if info.st_size > max_bytes:
        raise ParseError(
            shown,
            f"is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit "
            "(raise COOP_LIBRARY_MAX_FILE_BYTES to index it)",
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ParseError(shown, _os_reason(exc)) from None
    if not data:
        raise ParseError(shown, "is empty")
    return data


def _os_reason(exc: OSError) -> str:
    if exc.errno == 40:  # ELOOP
        return "is a symbolic link that loops back on itself"
    if isinstance(exc, PermissionError):
        return "cannot be read: permission denied (check the file's owner and mode)"
    if isinstance(exc, FileNotFoundError):
        return "cannot be read: it is missing, or a symbolic link to nothing"
    return f"cannot be read: {exc.strerror or exc}"


def decode_text(data: bytes, shown: str, warnings: list[str]) -> str:
    """Decode UTF-8 or UTF-16 with a byte order mark, else Windows-1252 with a warning; refuse binary data."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(shown, f"starts like UTF-16 text but is not (bad bytes at offset {exc.start})") from None
        warnings.append("saved as UTF-16; read as such. Save it as UTF-8.")
    sample = data[:8192]
    if b"\x00" in sample or _control_ratio(sample) > 0.1:
        raise ParseError(shown, "holds binary data, not text (is the file suffix right?)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ParseError(shown, f"is not UTF-8 text (bad byte at offset {exc.start})") from None
        warnings.append(f"not UTF-8 (bad byte at offset {exc.start}); read as Windows-1252. Save it as UTF-8.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _control_ratio(sample: bytes) -> float:
    if not sample:
        return 0.0
    return (len(sample) - len(sample.translate(None, _CONTROL_BYTES))) / len(sample)


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def sidecar_for(path: Path, names: Collection[str] | None = None) -> Path | None:
    """Return the metadata file beside a document (NAME.yaml or NAME.ext.yaml), if any.

    `names`, the names of the files in the document's folder when the caller has listed it, saves
    asking the file system about each of the four possible names.
    """
    for suffix in SIDECAR_SUFFIXES:
        for name in (path.stem + suffix, path.name + suffix):
            if (names is None or name in names) and (candidate := path.with_name(name)).is_file():
                return candidate
    return None


def read_sidecar(path: Path, shown: str, max_bytes: int, warnings: list[str]) -> dict[str, object]:
    """Load a document's sidecar metadata, or {} when there is none."""
    sidecar = sidecar_for(path)
    if sidecar is None:
        return {}
    sidecar_shown = str(Path(shown).with_name(sidecar.name))
    try:
        text = decode_text(read_bytes(sidecar, sidecar_shown, max_bytes), sidecar_shown, warnings)
        return parse_metadata(text, sidecar_shown)
    except ParseError as exc:  # the document is skipped, so say which file holds the fault
        where = f"{sidecar_shown}, line {exc.line}" if exc.line else sidecar_shown
        raise ParseError(shown, f"its metadata file {where}: {exc.reason}") from None


def parse_metadata(text: str, shown: str, line_offset: int = 0) -> dict[str, object]:
    """Parse front matter or sidecar YAML into a mapping, or raise ParseError."""
    try:
        data = load_yaml(text, line_offset)
    except YamlProblem as exc:
        raise ParseError(shown, str(exc), exc.line) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParseError(shown, f"metadata should be 'key: value' lines, not a {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def content_hash(path: Path, max_bytes: int) -> str:
    """Hash a document together with its sidecar, so a metadata edit counts as a change."""
    digest = hashlib.sha256()
    for part in (path, sidecar_for(path)):
        if part is not None:
            try:
                with open(part, "rb") as handle:
                    digest.update(handle.read(max_bytes + 1))
            except OSError:
                digest.update(b"<unreadable>")
        digest.update(b"\x00")
    return digest.hexdigest()


# C0 controls other than tab and newline, DEL, C1 controls (a terminal reads U+009B as an escape), and the
# bidirectional embeddings, overrides and isolates.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """Drop control and bidirectional-override characters and tidy blank lines."""
    cleaned = _UNWANTED.sub("", text)
    lines = [line.rstrip() for line in cleaned.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def file_stat(path: Path, names: Collection[str] | None = None) -> tuple[int, int]:
    """Return (size, mtime_ns) of a document plus its sidecar, for the quick change check."""
    size, mtime = 0, 0
    for part in (path, sidecar_for(path, names)):
        if part is not None:
            info = os.stat(part)
            size += info.st_size
            mtime = max(mtime, info.st_mtime_ns)
    return size, mtime
