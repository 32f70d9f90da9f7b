"""Exact facet counts with bitsets: one Python int per facet value, one bit per document."""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Any, TypeAlias

# Whoosh has no types: its searchers are Any here.
Searcher: TypeAlias = Any

FACET_FIELDS = ("theme", "council", "type", "year", "region", "principle", "status", "evidence", "organisation")
MEMBER = "member"  # a filter without counts: documents by councils the sources show in the network


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

    def __init__(self, searcher: Searcher) -> None:
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        self.live = bitset(reader.all_doc_ids(), self.size)
        self.values: dict[str, dict[str, int]] = {}
        for fieldname in (*(f for f in FACET_FIELDS if f != "year"), "practice", MEMBER):
            per_value = {}
            for term in reader.lexicon(fieldname):
                value = term.decode("utf-8")
                per_value[value] = bitset(reader.postings(fieldname, term).all_ids(), self.size) & self.live
            self.values[fieldname] = per_value
        years: dict[str, list[int]] = {}
        column = reader.column_reader("year") if reader.has_column("year") else None
        if column is not None:
            for docnum in reader.all_doc_ids():
                year = column[docnum]
                if year:
                    years.setdefault(str(year), []).append(docnum)
        self.values["year"] = {year: bitset(docs, self.size) for year, docs in years.items()}

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
        return {value: (mask & base).bit_count() for value, mask in self.values[fieldname].items() if mask & base}


class DateOrder:
    """Every live document of a generation ordered newest first, for date-sorted pages of any result set."""

    SPARSE = 50  # below one document in this many, sorting the matches beats walking the whole order

    def __init__(self, searcher: Searcher, live: int, size: int) -> None:
        reader = searcher.reader()
        column = reader.column_reader("date_sort") if reader.has_column("date_sort") else None
        self.dates = array("q", (column[d] if column is not None else 0 for d in range(size)))
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
