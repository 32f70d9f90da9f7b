"""Exact facet counts with bitsets: one Python int per facet value, one bit per document."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence

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
    """Per-value bitsets of one index generation, built once and reused by every search."""

    def __init__(self, size: int, live: int, values: dict[str, dict[str, int]]) -> None:
        """`values`: for each facet field (and "practice", MEMBER), each value's documents as a bitset."""
        self.size = size
        self.live = live
        self.values = values

    def select(self, fieldname: str, chosen: Iterable[str]) -> int:
        """Bitset of documents having any of the chosen values (all live documents if none chosen)."""
        chosen = list(chosen)
        if not chosen:
            return self.live
        mask = 0
        for value in chosen:
            mask |= self.values[fieldname].get(value, 0)
        return mask

    def year_range(self, start: int | None, end: int | None) -> int:
        if start is None and end is None:
            return self.live
        lo, hi = start if start is not None else -1, end if end is not None else 10**6
        mask = 0
        for year, docs in self.values["year"].items():
            if lo <= int(year) <= hi:
                mask |= docs
        return mask

    def counts(self, fieldname: str, base: int) -> dict[str, int]:
        """Count each value of a facet among the documents in base."""
        counted = {}
        for value, mask in self.values[fieldname].items():
            count = (mask & base).bit_count()  # the AND once: at 100,000 documents each is a 12 KB number
            if count:
                counted[value] = count
        return counted


class DateOrder:
    """Every live document of a generation ordered newest first, for date-sorted pages of any result set."""

    SPARSE = 50  # below one document in this many, sorting the matches beats walking the whole order

    def __init__(self, dates: Sequence[int], live: int, size: int) -> None:
        """`dates`: each document number's date_sort key (0 for none)."""
        self.dates = array("q", dates)
        ordered = sorted(members(live), key=lambda d: (-self.dates[d], d))
        self.order = array("q", ordered)
        self.position = array("q", [0] * size)
        for place, doc in enumerate(ordered):
            self.position[doc] = place
        self.size = size

    def date(self, doc: int) -> int:
        return self.dates[doc]

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
