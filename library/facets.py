"""Exact facet counts: bitsets (a Python int, one bit per document) for common values, arrays for rare ones."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence

import numpy as np

from .ranking import to_bitset, to_flags

FACET_FIELDS = ("theme", "council", "type", "year", "region", "principle", "status", "evidence", "organisation")
MEMBER = "member"  # a filter without counts: documents by councils the sources show in the network
COUNTED_FIELDS = (*(f for f in FACET_FIELDS if f != "year"), "practice", MEMBER)  # keyword facets read as bitsets


def bitset(docnums: Iterable[int], size: int) -> int:
    """Return an int whose set bits are the given document numbers."""
    buffer = bytearray((size + 7) // 8)
    for n in docnums:
        buffer[n >> 3] |= 1 << (n & 7)
    return int.from_bytes(buffer, "little")


def members(mask: int) -> list[int]:
    """Return the document numbers set in a bitset, lowest first."""
    out = []
    data = mask.to_bytes((mask.bit_length() + 7) // 8, "little")
    for index, byte in enumerate(data):
        while byte:
            low = byte & -byte
            out.append(index * 8 + low.bit_length() - 1)
            byte ^= low
    return out


class FacetIndex:
    """Each facet value's documents in one index generation, built once and reused by every search.

    A value held by at least one document in DENSE is a bitset (one bit per document, size / 8 bytes); a rarer
    one is a sorted array of its document numbers, all of a facet's rare values in one array, so they take four
    bytes a document and are counted together in one pass. At 100,000 documents most councils are rare:
    their bitsets took 11 MB in every server process, and AND-ing each with the matches was the largest part
    of a search's facet counting.
    """

    DENSE = 32  # a bitset is smaller than four bytes a document once a value has one document in 32

    def __init__(self, size: int, live: int, values: dict[str, dict[str, np.ndarray]]) -> None:
        """`values`: for each facet field (and "practice", MEMBER), each value's live documents, ascending."""
        self.size = size
        self.live = live
        self._dense: dict[str, dict[str, int]] = {}
        self._rare: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._rare_place: dict[str, dict[str, int]] = {}  # a rare value's place in its facet's arrays
        for fieldname, documents in values.items():
            dense = {v: docs for v, docs in documents.items() if len(docs) * self.DENSE >= size}
            self._dense[fieldname] = {v: to_bitset(np.asarray(docs, dtype=np.int64), size) for v, docs in dense.items()}
            rare = [v for v in documents if v not in dense]
            self._rare_place[fieldname] = {v: place for place, v in enumerate(rare)}
            lengths = np.array([len(documents[v]) for v in rare], dtype=np.int64)
            joined = [np.asarray(documents[v], dtype=np.uint32) for v in rare]
            self._rare[fieldname] = (
                rare,
                np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                np.concatenate(joined) if joined else np.zeros(0, dtype=np.uint32),
            )

    def value(self, fieldname: str, value: str) -> int:
        """Bitset of the documents having one value of a facet (0 for a value no document has)."""
        found = self._dense[fieldname].get(value)
        if found is not None:
            return found
        place = self._rare_place[fieldname].get(value)
        if place is None:
            return 0
        _, starts, docs = self._rare[fieldname]
        return to_bitset(docs[starts[place] : starts[place + 1]], self.size)

    def select(self, fieldname: str, chosen: Iterable[str]) -> int:
        """Bitset of documents having any of the chosen values (all live documents if none chosen)."""
        chosen = list(chosen)
        if not chosen:
            return self.live
        mask = 0
        for value in chosen:
            mask |= self.value(fieldname, value)
        return mask

    def year_range(self, start: int | None, end: int | None) -> int:
        if start is None and end is None:
            return self.live
        lo, hi = start if start is not None else -1, end if end is not None else 10**6
        mask = 0
        for year in self.names("year"):
            if lo <= int(year) <= hi:
                mask |= self.value("year", year)
        return mask

    def names(self, fieldname: str) -> list[str]:
        """Every value of a facet some live document has."""
        return [*self._dense[fieldname], *self._rare[fieldname][0]]

    def counts(self, fieldname: str, base: int) -> dict[str, int]:
        """Count each value of a facet among the documents in base; values with none are left out."""
        counted = {}
        for value, mask in self._dense[fieldname].items():
            count = (mask & base).bit_count()  # the AND once: at 100,000 documents each is a 12 KB number
            if count:
                counted[value] = count
        rare, starts, docs = self._rare[fieldname]
        if rare and base:
            within = np.concatenate([[0], np.cumsum(to_flags(base, self.size)[docs], dtype=np.int64)])
            tally = (within[starts[1:]] - within[starts[:-1]]).tolist()
            counted.update((value, count) for value, count in zip(rare, tally, strict=True) if count)
        return counted


class DateOrder:
    """Every live document of a generation ordered newest first, for date-sorted pages of any result set."""

    SPARSE = 50  # below one document in this many, sorting the matches beats walking the whole order

    def __init__(self, dates: Sequence[int], live: int, size: int, ids: Sequence[str] | None = None) -> None:
        """`dates`: each document number's date_sort key (0 for none); `ids`: each one's id, to order documents
        of the same date alike in every build (document numbers change when a nightly run rewrites a document)."""
        self.dates = array("q", dates)
        if ids is None:
            ordered = sorted(members(live), key=lambda d: (-self.dates[d], d))
        else:
            ordered = sorted(members(live), key=lambda d: (-self.dates[d], ids[d], d))
        self.order = array("q", ordered)
        self.position = array("q", [0] * size)
        for place, doc in enumerate(ordered):
            self.position[doc] = place
        self.size = size

    def date(self, doc: int) -> int:
        return self.dates[doc]

    def recency(self, doc: int) -> int:
        """Larger for a newer document; of two with the same date, larger for the one whose id sorts first."""
        return self.size - self.position[doc]

    def first(self, within: int, count: int, oldest: bool = False) -> list[int]:
        """The first `count` documents of `within`, newest first (or oldest first)."""
        if count <= 0 or not within:
            return []
        if within.bit_count() * self.SPARSE < self.size:
            docs = sorted(members(within), key=self.position.__getitem__, reverse=oldest)
            return docs[:count]
        data = within.to_bytes((self.size + 7) // 8, "little")
        out = []
        for doc in reversed(self.order) if oldest else self.order:
            if data[doc >> 3] >> (doc & 7) & 1:
                out.append(doc)
                if len(out) == count:
                    break
        return out
