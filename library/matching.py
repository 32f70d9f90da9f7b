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

import heapq
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from whoosh import query as Q
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher
from whoosh.scoring import BM25FScorer, bm25

from .facets import bitset, members

COMMON_SHARE = 0.5  # a word in more than this share of documents is common...
COMMON_MIN_DOCUMENTS = 20  # ...once the library holds at least this many documents


@dataclass(frozen=True)
class Postings:
    """The documents one word's query matches, as a bitset and as parallel lists of numbers and scores."""

    mask: int
    docs: array  # type: ignore[type-arg]
    scores: array  # type: ignore[type-arg]


@dataclass
class WordMatches:
    """The distinctive words of a search with their postings, and the common words that only add to scores."""

    labels: list[str]
    postings: list[Postings]
    common: list[Postings]

    @property
    def masks(self) -> list[int]:
        return [p.mask for p in self.postings]

    def any(self) -> int:
        """Documents holding at least one distinctive word."""
        mask = 0
        for p in self.postings:
            mask |= p.mask
        return mask

    def all(self, within: int) -> int:
        """Documents within `within` holding every distinctive word."""
        for p in self.postings:
            within &= p.mask
        return within

    def ranked(self, within: int, count: int, date: Callable[[int], int]) -> list[int]:
        """The best `count` documents in `within`: most distinctive words first, then score, then newest."""
        allowed = None if within == self.any() else set(members(within))
        score: dict[int, float] = {}
        held: dict[int, int] = {}
        for p in self.postings:
            for doc, value in zip(p.docs, p.scores, strict=True):
                if allowed is None or doc in allowed:
                    score[doc] = score.get(doc, 0.0) + value
                    held[doc] = held.get(doc, 0) + 1
        for p in self.common:
            for doc, value in zip(p.docs, p.scores, strict=True):
                if doc in score:
                    score[doc] += value
        keys = [(held[doc], round(value, 6), doc) for doc, value in score.items()]
        return best_first(keys, count, date)


def best_first(keys: list[tuple[int, float, int]], count: int, date: Callable[[int], int]) -> list[int]:
    """Document numbers of the `count` largest (rank, score, doc) keys; equal rank and score go newest first.

    Dates are looked up only for the top keys and those tied with the last of them.
    """
    if not keys or count <= 0:
        return []
    top = heapq.nlargest(count, keys) if count < len(keys) else keys
    edge = min(key[:2] for key in top)
    candidates = [key for key in keys if key[:2] >= edge]
    candidates.sort(key=lambda key: (key[0], key[1], date(key[2]), -key[2]), reverse=True)
    return [key[2] for key in candidates[:count]]


def _leaves(q: Q.Query, boost: float = 1.0) -> Iterator[tuple[Q.Query, float]]:
    """The scoring leaves of an Or tree with their combined boosts (an Or scores the sum of its parts)."""
    if isinstance(q, Q.Or) and q.scale is None:
        for sub in q.subqueries:
            yield from _leaves(sub, boost * q.boost)
    else:
        yield q, boost


class MatchCache:
    """Per-generation cache of the documents queries match (and, for words, their scores), least used dropped.

    Its size is bounded by the number of postings held, so a large library cannot fill memory with it.
    """

    def __init__(self, searcher, live: int, size: int, capacity: int = 4_000_000) -> None:  # type: ignore[no-untyped-def]
        self.searcher, self.live, self.size, self.capacity = searcher, live, size, capacity
        self._entries: OrderedDict[tuple[str, str], tuple[int, object]] = OrderedDict()
        self._held = 0
        self._lengths: dict[tuple[int, str], dict[int, int]] = {}  # (segment, field) -> document lengths read

    def matches(self, query) -> int:  # type: ignore[no-untyped-def]
        """Bitset of the live documents a query matches."""
        return self._cached(("mask", repr(query)), lambda: self._mask(query))  # type: ignore[return-value]

    def postings(self, query) -> Postings:  # type: ignore[no-untyped-def]
        """The live documents a query matches with the score Whoosh gives each, in document order."""
        return self._cached(("scored", repr(query)), lambda: self._scored(query))  # type: ignore[return-value]

    def _cached(self, key: tuple[str, str], compute: Callable[[], object]) -> object:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry[1]
        value = compute()
        cost = 1 + (len(value.docs) if isinstance(value, Postings) else self.size // 64)
        self._entries[key] = (cost, value)
        self._held += cost
        while self._held > self.capacity and len(self._entries) > 1:
            _, (dropped, _) = self._entries.popitem(last=False)
            self._held -= dropped
        return value

    def _mask(self, query) -> int:  # type: ignore[no-untyped-def]
        return bitset(self.searcher.docs_for_query(query), self.size) & self.live

    def _scored(self, query) -> Postings:  # type: ignore[no-untyped-def]
        # The same scorers and per-segment offsets Whoosh's own collector uses, summed as its Or matcher sums.
        searcher = self.searcher
        context = searcher.context()
        totals: dict[int, float] = {}
        for leaf, boost in _leaves(query):
            for subsearcher, offset in searcher.leaf_searchers():
                if isinstance(leaf, Q.Term) and self._add_term(totals, subsearcher, offset, leaf, boost):
                    continue
                matcher = leaf.matcher(subsearcher, context)
                while matcher.is_active():
                    doc = matcher.id() + offset
                    totals[doc] = totals.get(doc, 0.0) + matcher.score() * boost
                    matcher.next()
        live = self.live.to_bytes((self.size + 7) // 8, "little")
        docs = array("q", sorted(d for d in totals if live[d >> 3] >> (d & 7) & 1))
        return Postings(bitset(docs, self.size), docs, array("d", (totals[d] for d in docs)))

    def _add_term(self, totals: dict[int, float], subsearcher, offset: int, leaf: Q.Term, boost: float) -> bool:  # type: ignore[no-untyped-def]
        """Add a term's BM25F scores reading its postings a block at a time; False if that cannot be done.

        Gives exactly what Whoosh's term matcher scores, without a method call per posting. Deleted
        documents are dropped afterwards by the live bitset.
        """
        reader = subsearcher.reader()
        if leaf.fieldname not in subsearcher.schema:
            return False
        field = subsearcher.schema[leaf.fieldname]
        try:
            text = field.to_bytes(leaf.text)
        except ValueError:
            return False
        if (leaf.fieldname, text) not in reader:
            return True
        scorer = subsearcher.weighting.scorer(subsearcher, leaf.fieldname, text)
        matcher = reader.postings(leaf.fieldname, text)
        if isinstance(matcher, FilterMatcher):
            matcher = matcher.child
        if type(scorer) is not BM25FScorer or type(matcher) is not W3LeafMatcher:
            return False
        lengths = self._lengths.setdefault((id(subsearcher), leaf.fieldname), {})
        idf, avgfl, b, k1, factor = scorer.idf, scorer.avgfl, scorer.B, scorer.K1, leaf.boost * boost
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            for doc, weight in zip(matcher._ids, matcher._weights, strict=True):
                length = lengths.get(doc)
                if length is None:
                    length = lengths[doc] = subsearcher.doc_field_length(doc, leaf.fieldname, 1)
                doc += offset
                totals[doc] = totals.get(doc, 0.0) + bm25(idf, weight, length, avgfl, b, k1) * factor
            matcher._next_block()
        return True


def word_matches(cache: MatchCache, word_queries: list, labels: list[str]) -> WordMatches:  # type: ignore[type-arg]
    """Find each word's documents and keep the distinctive words (all of them if every word is common)."""
    postings = [cache.postings(q) for q in word_queries]
    total = cache.live.bit_count()
    if total >= COMMON_MIN_DOCUMENTS:
        rare = [i for i, p in enumerate(postings) if p.mask.bit_count() <= COMMON_SHARE * total]
        if rare:
            common = [p for i, p in enumerate(postings) if i not in rare]
            return WordMatches([labels[i] for i in rare], [postings[i] for i in rare], common)
    return WordMatches(list(labels), postings, [])
