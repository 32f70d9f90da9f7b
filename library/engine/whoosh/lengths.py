"""Whoosh internals, concern one: every document's field length read straight from a segment's length column.

Whoosh answers one length at a time (`doc_field_length`); ranking a word's postings a block at a time and
writing postings in one pass need all of a field's lengths as an array. Whoosh 2.7 keeps them as one byte per
document in a column named by `_lenfield`, behind private attributes. Those attributes are read here and
nowhere else. If a Whoosh release changes them, `column_bytes` raises InternalsChanged: the callers fall back
to asking each length (same answers, much slower), and tests/test_engine.py fails, so the change is noticed.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

# Whoosh has no types: its readers are Any here.
Reader: TypeAlias = Any

BYTE_LENGTHS = np.array([byte_to_length(b) or 0 for b in range(256)], dtype=np.float64)  # Whoosh's length codes
FALLBACKS: list[str] = []  # each time a slow path was taken, and why (read by tests/test_engine.py)


class InternalsChangedError(Exception):
    """Whoosh's private attributes are not what this module reads."""


def column_bytes(lengths: Reader, fieldname: str) -> bytes | None:
    """The raw length bytes of a field (one per document), or None for a field without lengths.

    `lengths` is a segment's per-document reader (`SegmentReader._perdoc`, or a writer's `perdocwriter`
    reader). Raises InternalsChangedError when Whoosh no longer stores lengths as this reads them.
    """
    try:
        column = lengths._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return None
        if column._fixedlen != 1:
            raise InternalsChangedError(f"length column of {fieldname} holds {column._fixedlen} bytes a document")
        data: bytes = column._dbfile.get(column._basepos, column._count)
        return data
    except AttributeError as exc:
        raise InternalsChangedError(f"Whoosh's length column cannot be read: {exc}") from None


def segment_lengths(segment: Reader, fieldname: str) -> np.ndarray:
    """Every document's length in a field of one segment (a leaf reader), as floats for BM25F."""
    count = segment.doc_count_all()
    try:
        data = column_bytes(segment._perdoc, fieldname)
    except (InternalsChangedError, AttributeError) as exc:
        FALLBACKS.append(f"segment_lengths: {exc}")
        return np.array([segment.doc_field_length(d, fieldname, 0) or 0 for d in range(count)], dtype=np.float64)
    raw = np.zeros(count, dtype=np.uint8)
    if data:
        raw[: min(len(data), count)] = np.frombuffer(data[:count], dtype=np.uint8)
    lengths: np.ndarray = BYTE_LENGTHS[raw]
    return lengths


def writing_lengths(lengths: Reader | None, fieldname: str) -> list[int] | _AskEach | _Zeros:
    """Every document's length in one field of the segment being written, as doc_field_length gives it."""
    if lengths is None:
        return _Zeros()
    try:
        data = column_bytes(lengths, fieldname)
    except InternalsChangedError as exc:
        FALLBACKS.append(f"writing_lengths: {exc}")
        return _AskEach(lengths, fieldname)
    if data is None:  # a field without lengths: Whoosh passes 0
        return _Zeros()
    table = [int(BYTE_LENGTHS[b]) for b in data]
    return table + [0] * (lengths.doc_count_all() - len(table))


class _Zeros:
    def __getitem__(self, docnum: int) -> int:
        return 0


class _AskEach:
    def __init__(self, lengths: Reader, fieldname: str) -> None:
        self._lengths, self._fieldname = lengths, fieldname

    def __getitem__(self, docnum: int) -> int:
        return int(self._lengths.doc_field_length(docnum, self._fieldname) or 0)
