"""Each segment's postings for plain-words search as flat arrays: written with the segment, memory-mapped to read.

A fresh search spent half its time in Whoosh's posting blocks: every block read unpickles a tuple of
ids, weights and pickled positions, one Python object per posting. The writer (`writing`) sees every
posting of a segment in (field, word, document) order as it writes Whoosh's files, so it also writes
them here, for the fields a plain-words search scores: each word's document numbers and weights, and
for the fields nearness reads, each posting's word positions. The file sits beside the segment's own
(`<segment id>.arrays`), so Whoosh's clean-up removes it with its segment, and a new generation's hard
links carry it over. Reading it is a memory map: the server's processes share its pages, and a word's
postings are two slices.

A segment without the file (one written before it existed) or with one that does not read back is
searched through Whoosh's blocks, with the same answers (tests/test_engine.py compares them).

Layout: the magic bytes, the header's length (8 bytes, little-endian), a JSON header naming each field's
arrays with their dtype, offset and length, then the arrays, each starting on an 8-byte boundary.

The pages a search reads are what the server's memory holds of these files, so each array takes the fewest
bytes that hold its values: weights (how often a word stands in a field) one byte, document numbers and
positions two where a segment and its fields are small enough, offsets four. Where every posting's weight is
its number of positions (in a field without a field boost: the body, nine tenths of the positions), a
posting's positions start where its word's do plus the weights of the postings before it, so one offset per
word is kept (`word_position_starts`) instead of one per posting (`position_starts`: the boosted title and
summary, and files written before).
"""

from __future__ import annotations

import json
import logging
import mmap
import pickle
import struct
import tempfile
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

EXTENSION = ".arrays"
MAGIC = b"COOPARR2"  # a reader that knows only "COOPARR1" files (which place every posting's positions) rejects
READABLE = (b"COOPARR1", MAGIC)  # these, whose positions may be placed by the weights, and searches through Whoosh
_INT_SIZE = 4  # Whoosh's Positions value: a 4-byte count, then the pickled position deltas
CHUNK_POSTINGS = 1 << 18  # postings whose positions are computed at once when the file is written
SPILL_VALUES = 1 << 18  # postings a field's arrays hold in memory while written before they go to temporary files
NARROW_BELOW = 1 << 32  # a field with fewer positions than this keeps each posting's offset into them in 4 bytes, not 8
CHECK_VALUES = 1 << 20  # offsets checked at once when a file is opened (bounds the memory the check takes)
WORDS_HELD = 50_000  # words a field remembers having looked up (its number, or that no document holds it)
_UNSEEN = -1
ERRORS: list[str] = []
log = logging.getLogger(
    __name__
)  # each arrays file that could not be read, and why (its segment is read through Whoosh)


class _Column:
    """One array of a segment's postings as it is written: the latest values in memory, the rest in a file.

    A writer worker's segment at 100,000 documents has tens of millions of postings; held whole, its
    arrays took more memory than the rest of the worker. Every SPILL_VALUES postings a field's columns write
    what they hold to unnamed temporary files beside the index and start again, so the postings held stay
    few, and the arrays file is written by reading the columns back a slice at a time.
    """

    def __init__(self, typecode: str, dtype: type, folder: str | None) -> None:
        self.values: array[Any] = array(typecode)
        self.dtype = np.dtype(dtype)
        self._folder = folder
        self._file: BinaryIO | None = None
        self._spilled = 0  # values in the file

    def __len__(self) -> int:
        return self._spilled + len(self.values)

    def spill(self) -> None:
        """Write the values held to the file, and hold none."""
        if self.values:
            if self._file is None:
                self._file = tempfile.TemporaryFile(dir=self._folder, prefix="arrays-")  # noqa: SIM115  # close()
            self._file.seek(self._spilled * self.dtype.itemsize)
            self._file.write(self.values.tobytes())
            self._spilled += len(self.values)
            self.values = array(self.values.typecode)

    def slice(self, start: int, stop: int) -> np.ndarray:
        """Values start to stop (stop at most the column's length), from the file and from memory."""
        parts = []
        if start < self._spilled:
            assert self._file is not None  # values were spilled to it
            end = min(stop, self._spilled)
            self._file.seek(start * self.dtype.itemsize)
            parts.append(np.frombuffer(self._file.read((end - start) * self.dtype.itemsize), dtype=self.dtype))
        if stop > self._spilled:
            held = np.frombuffer(self.values, dtype=self.dtype)
            parts.append(held[max(start - self._spilled, 0) : stop - self._spilled])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def chunks(self, size: int) -> Iterator[np.ndarray]:
        for start in range(0, len(self), size):
            yield self.slice(start, min(start + size, len(self)))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class _FieldPostings:
    """One field's postings as they are written: words in order, each with its documents in order."""

    def __init__(self, positional: bool, folder: str | None) -> None:
        self.positional = positional
        self.words = _Column("B", np.uint8, folder)
        self.word_ends = _Column("q", np.int64, folder)
        self.word_starts = _Column("q", np.int64, folder)  # each word's first posting
        self.docs = _Column("i", np.int32, folder)
        self.weights = _Column("f", np.float32, folder)
        self.position_starts = _Column("q", np.int64, folder)  # each posting's first position
        self.deltas = _Column("i", np.int32, folder)
        self.columns = (self.words, self.word_ends, self.word_starts, self.docs, self.weights,
                        self.position_starts, self.deltas)  # fmt: skip

    def start_word(self, word: bytes) -> None:
        self.words.values.frombytes(word)
        self.word_ends.values.append(len(self.words))
        self.word_starts.values.append(len(self.docs))

    def add(self, docnum: int, weight: float, value: bytes) -> None:
        docs = self.docs.values
        docs.append(docnum)
        self.weights.values.append(weight)
        if self.positional:
            self.position_starts.values.append(len(self.deltas))
            if len(value) > _INT_SIZE:
                self.deltas.values.extend(pickle.loads(value[_INT_SIZE:]))  # noqa: S301  # the segment's own bytes, just written
        if len(docs) >= SPILL_VALUES:  # each column spills with the postings: a word or a posting adds to each
            for column in self.columns:
                column.spill()

    def parts(self) -> Iterator[tuple[str, np.dtype[Any], int, Iterator[np.ndarray]]]:
        """Each array of the field: its name, dtype, length and its values in chunks (to bound the memory used)."""
        self.word_starts.values.append(len(self.docs))
        plain = {"words": self.words, "word_ends": self.word_ends, "word_starts": self.word_starts,
                 "docs": self.docs, "weights": self.weights}  # fmt: skip
        offsets = np.dtype(np.uint32 if len(self.deltas) < NARROW_BELOW else np.int64)  # into the positions
        for name, column in plain.items():
            kind: np.dtype[Any] = column.dtype
            if name in ("weights", "docs"):  # word counts and a segment's document numbers: mostly 1 or 2 bytes
                kind = _smallest_type(column.chunks(CHUNK_POSTINGS), column.dtype)
            yield name, kind, len(column), _cast(column.chunks(CHUNK_POSTINGS), kind)
        if not self.positional:
            return
        self.position_starts.values.append(len(self.deltas))
        if self._weights_count_positions():  # a posting's positions follow from the weights before it: one per word
            starts = self._word_position_starts()
            yield "word_position_starts", offsets, len(starts), iter([starts.astype(offsets)])
        else:
            starts_column = self.position_starts
            yield "position_starts", offsets, len(starts_column), _cast(starts_column.chunks(CHUNK_POSTINGS), offsets)
        kind = _smallest_type(self._positions(), np.dtype(np.int32))  # 2 bytes but in a field of 65,536 words or more
        yield "positions", kind, len(self.deltas), _cast(self._positions(), kind)

    def _weights_count_positions(self) -> bool:
        """Whether every posting's weight is the number of its positions (so in a field without a field boost):
        then where a posting's positions start is its word's start plus the weights before it."""
        for first in range(0, len(self.docs), CHUNK_POSTINGS):
            stop = min(first + CHUNK_POSTINGS, len(self.docs))
            counts = np.diff(self.position_starts.slice(first, stop + 1))
            if not np.array_equal(counts, self.weights.slice(first, stop)):
                return False
        return True

    def _word_position_starts(self) -> np.ndarray:
        """Where each word's positions start (its first posting's), and, last, the number of positions."""
        picks = self.word_starts.slice(0, len(self.word_starts))  # each word's first posting, then the postings
        out = np.empty(len(picks), dtype=np.int64)
        for first in range(0, len(self.position_starts), CHUNK_POSTINGS):
            chunk = self.position_starts.slice(first, min(first + CHUNK_POSTINGS, len(self.position_starts)))
            low, high = np.searchsorted(picks, [first, first + len(chunk)])
            out[low:high] = chunk[picks[low:high] - first]
        return out

    def _positions(self) -> Iterator[np.ndarray]:
        """Each posting's positions, from Whoosh's deltas (from the posting's previous position): a running sum
        that starts again at each posting, computed a chunk of postings at a time."""
        starts, chunk = self.position_starts, CHUNK_POSTINGS
        for first in range(0, len(starts) - 1, chunk):
            bounds = starts.slice(first, min(first + chunk + 1, len(starts)))
            running = np.cumsum(self.deltas.slice(int(bounds[0]), int(bounds[-1])), dtype=np.int64)
            before = np.concatenate((np.zeros(1, dtype=np.int64), running))[bounds[:-1] - bounds[0]]
            yield (running - np.repeat(before, np.diff(bounds))).astype(np.int32)

    def close(self) -> None:
        for column in self.columns:
            column.close()


class ArraysWriter:
    """Collects a segment's postings for `fields` (positions for `positional`) and writes them in one file."""

    def __init__(self, fields: tuple[str, ...], positional: tuple[str, ...], folder: str | None = None) -> None:
        """`folder`: where the postings wait on disk until the file is written (by default the system's)."""
        self._wanted, self._positional, self._folder = fields, positional, folder
        self._fields: dict[str, _FieldPostings] = {}

    def field(self, fieldname: str) -> _FieldPostings | None:
        """The postings of a field the file keeps, to add to; None for any other field."""
        if fieldname not in self._wanted:
            return None
        postings = self._fields.get(fieldname)
        if postings is None:
            postings = self._fields[fieldname] = _FieldPostings(fieldname in self._positional, self._folder)
        return postings

    def write(self, out: BinaryIO) -> None:
        try:
            self._write(out)
        finally:
            for postings in self._fields.values():
                postings.close()

    def _write(self, out: BinaryIO) -> None:
        header: dict[str, Any] = {"fields": {}}
        parts: list[tuple[int, Iterator[np.ndarray]]] = []
        offset = 0
        for fieldname, postings in self._fields.items():
            described = header["fields"][fieldname] = {}
            for name, dtype, count, chunks in postings.parts():
                described[name] = [dtype.str, offset, count]
                parts.append((count * dtype.itemsize, chunks))
                offset += _padded(count * dtype.itemsize)
        encoded = json.dumps(header).encode("utf-8")
        start = _padded(len(MAGIC) + 8 + len(encoded))
        out.write(MAGIC + struct.pack("<Q", len(encoded)) + encoded)
        out.write(b"\0" * (start - len(MAGIC) - 8 - len(encoded)))
        for size, chunks in parts:
            written = 0
            for values in chunks:
                out.write(values.tobytes())
                written += values.nbytes
            if written != size:
                raise ValueError(f"an array of {size} bytes came out as {written}")
            out.write(b"\0" * (_padded(size) - size))


def _padded(size: int) -> int:
    return (size + 7) // 8 * 8


class FieldArrays:
    """One field's postings in a segment, read from the memory-mapped file."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.words = arrays["words"]
        self.word_ends = arrays["word_ends"]
        self.word_starts = arrays["word_starts"]
        self.docs = arrays["docs"]
        self.weights = arrays["weights"]
        # Where each posting's positions start, or (in files that leave that out because every posting's weight
        # is its number of positions) where each word's do.
        self.position_starts = arrays.get("position_starts")
        self.word_position_starts = arrays.get("word_position_starts")
        self.positions = arrays.get("positions")
        self._count = len(self.word_ends)
        self._looked_up: dict[bytes, int | None] = {}  # words already found (or not), at most WORDS_HELD
        if len(self.word_starts) != self._count + 1 or len(self.weights) != len(self.docs):
            raise ValueError("its word and posting arrays disagree in length")
        if self.position_starts is not None and len(self.position_starts) != len(self.docs) + 1:
            raise ValueError("its position starts do not match its postings")
        if self.word_position_starts is not None and len(self.word_position_starts) != self._count + 1:
            raise ValueError("its position starts do not match its words")

    def check(self, documents: int, fieldname: str) -> None:
        """Raise ValueError unless every offset stays inside its array and every document is in the segment."""
        counts = {
            "word_ends": (self.word_ends, len(self.words)),
            "word_starts": (self.word_starts, len(self.docs)),
            "position_starts": (self.position_starts, len(self.positions) if self.positions is not None else 0),
            "word_position_starts": (
                self.word_position_starts,
                len(self.positions) if self.positions is not None else 0,
            ),
        }
        for name, (offsets, end) in counts.items():
            if offsets is None:
                continue
            if len(offsets) and (offsets[-1] != end or offsets[0] < 0 or not _ascending(offsets)):
                raise ValueError(f"its {fieldname} {name} do not run in order to the end of their array")
        if self.word_position_starts is not None and not _weights_add_up(
            self.weights, self.word_starts, self.word_position_starts
        ):
            raise ValueError(f"its {fieldname} weights do not count each word's positions")
        if len(self.docs) and (int(self.docs.min()) < 0 or int(self.docs.max()) >= documents):
            raise ValueError(f"its {fieldname} postings name documents the segment does not hold")

    def word(self, text: bytes) -> int | None:
        """The word's number in this field, or None when no document of the segment holds it."""
        found = self._looked_up.get(text, _UNSEEN)
        if found != _UNSEEN:
            return found
        at = bisect_left(range(self._count), text, key=self._word_at)
        number = at if at < self._count and self._word_at(at) == text else None
        if len(self._looked_up) < WORDS_HELD:
            self._looked_up[text] = number
        return number

    def _word_at(self, number: int) -> bytes:
        start = int(self.word_ends[number - 1]) if number else 0
        return self.words[start : int(self.word_ends[number])].tobytes()

    def postings(self, number: int) -> tuple[np.ndarray, np.ndarray]:
        """A word's documents (ascending segment numbers) and their weights."""
        start, end = int(self.word_starts[number]), int(self.word_starts[number + 1])
        return self.docs[start:end], self.weights[start:end]

    def positions_in(self, number: int, docs: list[int]) -> dict[int, list[int]]:
        """A word's positions in those of `docs` (segment numbers) that hold it."""
        if self.positions is None or (self.position_starts is None and self.word_position_starts is None):
            return {}
        start, end = int(self.word_starts[number]), int(self.word_starts[number + 1])
        holding = self.docs[start:end]
        wanted = np.asarray(docs, dtype=np.int64)
        held = np.iinfo(holding.dtype)
        if len(wanted) and wanted.min() >= held.min and wanted.max() <= held.max:
            wanted = wanted.astype(holding.dtype)  # searched in the postings' own type, not in a converted copy of them
        at = np.searchsorted(holding, wanted)
        inside = at < len(holding)
        found = np.zeros(len(wanted), dtype=bool)
        found[inside] = holding[at[inside]] == wanted[inside]
        out: dict[int, list[int]] = {}
        if self.position_starts is not None:
            starts = self.position_starts
            for doc, posting in zip(wanted[found].tolist(), (at[found] + start).tolist(), strict=True):
                out[doc] = self.positions[int(starts[posting]) : int(starts[posting + 1])].tolist()
            return out
        assert self.word_position_starts is not None  # one of the two, as checked above
        if not found.any():
            return out
        counts = self.weights[start : start + int(at[found].max()) + 1]  # the word's postings up to the last wanted
        ends = np.cumsum(counts.astype(np.int64, copy=False)) + int(self.word_position_starts[number])
        for doc, posting in zip(wanted[found].tolist(), at[found].tolist(), strict=True):
            end = int(ends[posting])
            out[doc] = self.positions[end - int(counts[posting]) : end].tolist()
        return out


class SegmentArrays:
    """A segment's arrays file, memory-mapped: the postings of each field it keeps."""

    def __init__(self, fields: dict[str, FieldArrays]) -> None:
        self.fields = fields

    @classmethod
    def open(cls, path: Path, documents: int) -> SegmentArrays | None:
        """The arrays of a segment of `documents` documents, or None when it has no file or the file does not read
        back as one (logged, and noted in ERRORS)."""
        try:
            with open(path, "rb") as f:
                mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # ValueError: an empty file cannot be mapped
            _unreadable(path, str(exc))
            return None
        try:
            fields = _read(mapped)
            for fieldname, field in fields.items():
                field.check(documents, fieldname)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            _unreadable(path, str(exc))
            return None
        _release(mapped)
        return cls(fields)


def _cast(chunks: Iterator[np.ndarray], kind: np.dtype[Any]) -> Iterator[np.ndarray]:
    for chunk in chunks:
        yield chunk if chunk.dtype == kind else chunk.astype(kind)


def _smallest_type(chunks: Iterator[np.ndarray], own: np.dtype[Any]) -> np.dtype[Any]:
    """The smallest unsigned integer type that holds every value exactly (uint8 or uint16), or the values' own.

    Weights (how often the word stands in the document's field, times the field's boost: 3 for the title),
    a segment's document numbers and word positions are nearly always small whole numbers; a
    search reads them as int64 or float64 whatever their type, so only the file's size and the pages a
    search brings into memory change.
    """
    top = 0
    for chunk in chunks:
        if not len(chunk):
            continue
        if chunk.dtype.kind == "f" and (not np.all(np.isfinite(chunk)) or np.any(chunk != np.floor(chunk))):
            return own
        if chunk.min() < 0:
            return own
        top = max(top, int(chunk.max()))
    for kind in (np.uint8, np.uint16):
        if top <= np.iinfo(kind).max:
            return np.dtype(kind)
    return own


def _release(mapped: mmap.mmap) -> None:
    """Unmap from this process the pages the check read (every offset and document number: about half the file).

    They stay in the kernel's page cache, and a search that reads one maps it again from there; unreleased, they
    stayed mapped in every server process that opened the generation, as if each search needed them.
    """
    if hasattr(mapped, "madvise") and hasattr(mmap, "MADV_DONTNEED"):  # Linux; elsewhere the pages stay mapped
        mapped.madvise(mmap.MADV_DONTNEED)


def _ascending(values: np.ndarray) -> bool:
    """Whether no value is below the one before, read a slice at a time: a whole-array difference took eight
    bytes an offset (110 MB for a segment of 50,000 documents) every time a server process opened the file."""
    for start in range(0, len(values) - 1, CHECK_VALUES):
        part = values[start : start + CHECK_VALUES + 1]
        if np.any(part[1:] < part[:-1]):  # compared, not subtracted: unsigned offsets cannot go below zero
            return False
    return True


def _weights_add_up(weights: np.ndarray, word_starts: np.ndarray, word_position_starts: np.ndarray) -> bool:
    """Whether each word's positions start where the weights of every posting before it add up to, read a
    slice at a time (as `_ascending`)."""
    total = 0
    for first in range(0, len(weights), CHECK_VALUES):
        part = weights[first : first + CHECK_VALUES]
        running = np.cumsum(part.astype(np.int64, copy=False))  # whole numbers, however they are stored
        low, high = np.searchsorted(word_starts, [first, first + len(part)])
        before = total + running[word_starts[low:high] - first] - part[word_starts[low:high] - first]
        if not np.array_equal(before, word_position_starts[low:high]):
            return False
        total += int(running[-1])
    return total == int(word_position_starts[-1])


def _unreadable(path: Path, reason: str) -> None:
    ERRORS.append(f"{path}: {reason}")
    log.warning("the postings arrays %s cannot be read (%s); its segment is searched through Whoosh", path, reason)


def parts(path: Path) -> list[tuple[int, int, str]]:
    """(first byte, end, array name) of each array in an arrays file, the bytes before them as "header"; [] for
    a file that is not one (or no longer there)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(MAGIC) + 8)
            if len(head) < len(MAGIC) + 8 or head[: len(MAGIC)] not in READABLE:
                return []
            (length,) = struct.unpack("<Q", head[len(MAGIC) :])
            header = json.loads(f.read(length))
    except (OSError, ValueError):
        return []
    base = _padded(len(MAGIC) + 8 + length)
    found = [(0, base, "header")]
    for described in header["fields"].values():
        for name, (dtype, offset, count) in described.items():
            found.append((base + offset, base + offset + count * np.dtype(dtype).itemsize, name))
    return found


def _read(mapped: mmap.mmap) -> dict[str, FieldArrays]:
    if mapped[: len(MAGIC)] not in READABLE:
        raise ValueError("it does not start as an arrays file")
    (length,) = struct.unpack("<Q", mapped[len(MAGIC) : len(MAGIC) + 8])
    header = json.loads(mapped[len(MAGIC) + 8 : len(MAGIC) + 8 + length])
    base = _padded(len(MAGIC) + 8 + length)
    fields: dict[str, FieldArrays] = {}
    for fieldname, described in header["fields"].items():
        arrays = {}
        for name, (dtype, offset, count) in described.items():
            kind = np.dtype(dtype)
            if base + offset + count * kind.itemsize > len(mapped):
                raise ValueError(f"its {fieldname} {name} runs past the end of the file")
            arrays[name] = np.frombuffer(mapped, dtype=kind, count=count, offset=base + offset)
        fields[fieldname] = FieldArrays(arrays)
    return fields
