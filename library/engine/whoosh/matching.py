"""Which documents hold which of a plain-words search's words, how well, and the best of them.

A word found in most documents ("council", "co-operative" in this library) says little about what a
search is for, so, as in Lucene's CommonTermsQuery, common words add to the score but neither widen
the matches nor count towards "holds all your words".

Each word's matches and scores (Whoosh's BM25F, exactly as its own collector computes them) are read
once per index generation and cached, as Lucene caches per-segment filters: a few hundred words make
up most searches, and summing a few cached score lists is many times cheaper than walking Whoosh's
tree of union matchers for every search.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeAlias, TypeVar, cast

import numpy as np
from whoosh import query as Q

from ...facets import bitset
from ...ranking import COMMON_MIN_DOCUMENTS, COMMON_SHARE, ConceptMatches, NearPair, Postings, to_bitset, to_flags
from ..parsed import Concept
from .arrays import EXTENSION, FieldArrays, SegmentArrays
from .blocks import add_array_scores, add_term_scores
from .query import PROXIMITY_FIELDS, PROXIMITY_SLOP

MATCHES_HELD = 8 << 20  # bytes of matched documents and scores kept per generation, in each server process
POSITIONS_HELD = 500_000  # documents' word positions kept per generation for nearness before they are dropped
# Whoosh has no types: its searchers, readers and queries are Any here.
Searcher: TypeAlias = Any
Reader: TypeAlias = Any
_Value = TypeVar("_Value")


def only_words(q: Q.Query) -> bool:
    """Whether a query is words alone, or a tree of ORs of words: what the cached per-word scores can rank."""
    leaves = [leaf for leaf, _ in _leaves(q)]
    return any(isinstance(leaf, Q.Term) for leaf in leaves) and all(
        isinstance(leaf, Q.Term) or leaf is Q.NullQuery for leaf in leaves
    )


def _leaves(q: Q.Query, boost: float = 1.0) -> Iterator[tuple[Q.Query, float]]:
    """The scoring leaves of an Or tree with their combined boosts (an Or scores the sum of its parts)."""
    if isinstance(q, Q.Or) and q.scale is None:
        for sub in q.subqueries:
            yield from _leaves(sub, boost * q.boost)
    else:
        yield q, boost


class MatchCache:
    """Per-generation cache of the documents queries match (and, for words, their scores), least used dropped.

    Its size is bounded by the bytes its entries hold (each one's bitset of the library's documents, and a
    word's document numbers and scores), so a large library cannot fill memory with it: counted in postings
    alone, at 100,000 documents the bitsets of a few thousand rare words would have taken 12 KB each unseen.
    """

    def __init__(self, searcher: Searcher, live: int, size: int, capacity: int = MATCHES_HELD) -> None:
        self.searcher, self.live, self.size, self.capacity = searcher, live, size, capacity
        # Each segment's postings arrays (None for a segment without them), by the id of its leaf reader.
        self._arrays = {id(sub.reader()): _segment_arrays(sub.reader()) for sub, _ in searcher.leaf_searchers()}
        self._entries: OrderedDict[tuple[str, str], tuple[int, object]] = OrderedDict()
        self._held = 0
        self._live_flags = to_flags(live, size)
        self._lengths: dict[tuple[int, str], np.ndarray] = {}  # (segment, field) -> every document's length
        self._bm25f: dict[str, tuple[float, float, float] | None] = {}  # field -> its (B, K1, average length)
        # (segment, field, word) -> document -> its positions (None: not in it), for the documents nearness has
        # read: the top documents for a word come back search after search, and each read unpickles a block.
        self._positions: dict[tuple[int, str, str], dict[int, list[int] | None]] = {}
        self._positions_held = 0
        self._lock = threading.Lock()

    def matches(self, query: Q.Query) -> int:
        """Bitset of the live documents a query matches."""
        return self._cached(("mask", repr(query)), lambda: self._mask(query))

    def postings(self, query: Q.Query) -> Postings:
        """The live documents a query matches with the score Whoosh gives each, in document order."""
        return self._cached(("scored", repr(query)), lambda: self._scored(query))

    def _cached(self, key: tuple[str, str], compute: Callable[[], _Value]) -> _Value:
        with self._lock:  # the cache's searcher is one thread's at a time; computing a word takes milliseconds
            return self._cached_locked(key, compute)

    def _cached_locked(self, key: tuple[str, str], compute: Callable[[], _Value]) -> _Value:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return cast(_Value, entry[1])  # a key's kind ("mask", "scored") fixes what its computation returns
        value = compute()
        cost = self.size // 8 + (value.docs.nbytes + value.scores.nbytes if isinstance(value, Postings) else 0)
        self._entries[key] = (cost, value)
        self._held += cost
        while self._held > self.capacity and len(self._entries) > 1:
            _, (dropped, _) = self._entries.popitem(last=False)
            self._held -= dropped
        return value

    def _mask(self, query: Q.Query) -> int:
        return bitset(self.searcher.docs_for_query(query), self.size) & self.live

    def _scored(self, query: Q.Query) -> Postings:
        # The same scorers and per-segment offsets Whoosh's own collector uses, summed as its Or matcher sums.
        searcher = self.searcher
        context = searcher.context()
        totals = np.zeros(self.size, dtype=np.float64)
        found = np.zeros(self.size, dtype=bool)
        segments = [(sub, offset, self._arrays.get(id(sub.reader()))) for sub, offset in searcher.leaf_searchers()]
        for leaf, boost in _leaves(query):
            if isinstance(leaf, Q.Term) and add_array_scores(
                totals, found, searcher, segments, leaf, boost, self._lengths, self._bm25f
            ):
                continue
            for subsearcher, offset in searcher.leaf_searchers():
                arrays = self._arrays.get(id(subsearcher.reader()))
                if isinstance(leaf, Q.Term) and add_term_scores(
                    totals, found, subsearcher, offset, leaf, boost, self._lengths, arrays
                ):
                    continue
                matcher = leaf.matcher(subsearcher, context)
                while matcher.is_active():
                    doc = matcher.id() + offset
                    totals[doc] += matcher.score() * boost
                    found[doc] = True
                    matcher.next()
        docs = np.flatnonzero(found & self._live_flags).astype(np.int32)
        return Postings(to_bitset(docs, self.size), docs, totals[docs])

    def near(self, docs: np.ndarray, words: tuple[str, str]) -> np.ndarray:
        """Whether each document (ascending numbers) holds the second word within PROXIMITY_SLOP words after the
        first, in any field of PROXIMITY_FIELDS: what Whoosh's Phrase(slop=PROXIMITY_SLOP) matches, read from
        the positions of just these documents."""
        with self._lock:
            return self._near(docs, words)

    def _near(self, docs: np.ndarray, words: tuple[str, str]) -> np.ndarray:
        found = np.zeros(len(docs), dtype=bool)
        for subsearcher, offset in self.searcher.leaf_searchers():
            reader = subsearcher.reader()
            start, end = np.searchsorted(docs, [offset, offset + reader.doc_count_all()])
            if start == end:
                continue
            waiting = [int(d) - offset for d in docs[start:end]]  # ascending, as skipping through postings needs
            place = {doc: i for i, doc in enumerate(waiting, start=start)}
            arrays = self._arrays.get(id(reader))
            # The body first, where two words are most often near each other; a document found near in one field
            # is not read again, and the second word is read only where the first is.
            for fieldname in reversed(PROXIMITY_FIELDS):
                positions: Callable[[Reader, str, str, list[int]], Mapping[int, list[int] | None]]
                positions = self._held_positions
                kept = arrays.fields.get(fieldname) if arrays is not None else None
                if kept is not None and kept.positions is not None:
                    positions = _ArrayPositions(kept).positions
                first = positions(reader, fieldname, words[0], waiting)
                holding = [d for d in waiting if first.get(d) is not None]
                if not holding:
                    continue
                second = positions(reader, fieldname, words[1], holding)
                for doc in holding:
                    one, two = first.get(doc), second.get(doc)
                    if one is not None and two is not None and _within(one, two, PROXIMITY_SLOP):
                        found[place[doc]] = True
                waiting = [d for d in waiting if not found[place[d]]]
                if not waiting:
                    break
        return found

    def _held_positions(
        self, reader: Reader, fieldname: str, word: str, docs: list[int]
    ) -> dict[int, list[int] | None]:
        """A word's positions in a field of these documents of one segment, read from the index only once."""
        held = self._positions.setdefault((id(reader), fieldname, word), {})
        missing = [d for d in docs if d not in held]
        if missing:
            if self._positions_held > POSITIONS_HELD:  # a bound on memory: start again
                self._positions.clear()
                self._positions_held = 0
                held = self._positions.setdefault((id(reader), fieldname, word), {})
            read = _positions(reader, fieldname, word, missing)
            for doc in missing:
                held[doc] = read.get(doc)
            self._positions_held += len(missing)
        return held


class _ArrayPositions:
    """Word positions read from a segment's arrays: slices of a memory map, nothing to cache."""

    def __init__(self, kept: FieldArrays) -> None:
        self.kept = kept

    def positions(self, reader: Reader, fieldname: str, word: str, docs: list[int]) -> dict[int, list[int]]:
        number = self.kept.word(word.encode("utf-8"))
        return {} if number is None else self.kept.positions_in(number, docs)


def _segment_arrays(reader: Reader) -> SegmentArrays | None:
    """A segment's postings arrays (arrays.py), or None for a segment written without them."""
    storage, segment = reader.storage(), reader.segment()
    folder = getattr(storage, "folder", None)
    if folder is None or segment is None:
        return None
    return SegmentArrays.open(Path(folder) / segment.make_filename(EXTENSION), reader.doc_count_all())


def concept_matches(cache: MatchCache, concepts: list[Concept], pairs: list[tuple[int, int]]) -> ConceptMatches:
    """Find each concept's documents and sort them into distinctive and common ones.

    A concept in more than half the documents (once there are enough of them) is common: it ranks but
    does not widen the matches. When no distinctive concept is in any document, the common ones match
    instead, so a word missing from every document never empties the list; the answer still counts the
    missing words, so it says that no document holds them all. `pairs` are the indexes of neighbouring
    one-word concepts, whose nearness in a document adds to its score.
    """
    postings = [cache.postings(c.query) for c in concepts]
    labels = [c.label for c in concepts]
    near = [NearPair(postings[a], postings[b], (concepts[a].terms[0], concepts[b].terms[0])) for a, b in pairs]
    total = cache.live.bit_count()
    rare = list(range(len(postings)))
    if total >= COMMON_MIN_DOCUMENTS:
        rare = [i for i, p in enumerate(postings) if p.mask.bit_count() <= COMMON_SHARE * total]
    if not rare:
        return ConceptMatches(labels, postings, [], cache.size, near, cache.near)
    common = [p for i, p in enumerate(postings) if i not in rare]
    rare_postings = [postings[i] for i in rare]
    return ConceptMatches([labels[i] for i in rare], rare_postings, common, cache.size, near, cache.near)


def _positions(reader: Reader, fieldname: str, word: str, docs: list[int]) -> dict[int, list[int]]:
    """A word's positions in a field of some documents of one segment (ascending numbers), where it occurs."""
    if (fieldname, word) not in reader:
        return {}
    matcher = reader.postings(fieldname, word)
    out: dict[int, list[int]] = {}
    for doc in docs:
        if not matcher.is_active():
            break
        if matcher.id() < doc:
            matcher.skip_to(doc)
            if not matcher.is_active():
                break
        if matcher.id() == doc:
            out[doc] = matcher.value_as("positions")
    return out


def _within(first: list[int], second: list[int], slop: int) -> bool:
    """Whether some position of the second word comes 1 to `slop` places after one of the first's."""
    later = set(second)
    return any(p + gap in later for p in first for gap in range(1, slop + 1))
