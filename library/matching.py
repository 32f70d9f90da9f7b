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
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar, cast

import numpy as np
from whoosh import query as Q
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching import FilterMatcher
from whoosh.scoring import BM25FScorer
from whoosh.util.numeric import byte_to_length

from .facets import bitset
from .query import PROXIMITY_FIELDS, PROXIMITY_SLOP, Concept

# Whoosh has no types: its searchers, readers and queries are Any here.
Searcher: TypeAlias = Any
Reader: TypeAlias = Any
_Value = TypeVar("_Value")

COMMON_SHARE = 0.5  # a word in more than this share of documents is common...
COMMON_MIN_DOCUMENTS = 20  # ...once the library holds at least this many documents
# Whoosh stores a field's length in each document as one byte; this table turns the byte back into a length.
_BYTE_LENGTHS = np.array([byte_to_length(b) or 0 for b in range(256)], dtype=np.float64)


def to_bitset(docs: np.ndarray, size: int) -> int:
    """The bitset (an int) of an array of document numbers."""
    flags = np.zeros(size, dtype=bool)
    flags[docs] = True
    return int.from_bytes(np.packbits(flags, bitorder="little").tobytes(), "little")


def to_flags(mask: int, size: int) -> np.ndarray:
    """A bitset as an array of booleans, one per document number."""
    data = np.frombuffer(mask.to_bytes((size + 7) // 8, "little"), dtype=np.uint8)
    return np.unpackbits(data, bitorder="little", count=size).astype(bool)


@dataclass(frozen=True)
class Postings:
    """The documents one word's query matches, as a bitset and as parallel arrays of numbers and scores."""

    mask: int
    docs: np.ndarray  # int32, ascending
    scores: np.ndarray  # float64


@dataclass(frozen=True)
class Ranking:
    """How a plain-words search blends its evidence; chosen with the evaluation set (make eval), not by feel.

    A document's score is (BM25F of the searched words + proximity × the BM25F of each pair of neighbouring
    searched words it holds within PROXIMITY_SLOP words of each other, in order) × (share of the distinctive
    words it holds) ** coordination.
    """

    coordination: float = 1.5
    proximity: float = 1.0


@dataclass(frozen=True)
class NearPair:
    """Two neighbouring one-word concepts of a search: their postings and their analysed words."""

    first: Postings
    second: Postings
    words: tuple[str, str]


RESCORE_WINDOW = 50  # documents at the top whose word positions are read for nearness
NearFinder = Callable[[np.ndarray, tuple[str, str]], np.ndarray]  # (documents, words) -> whether each holds them near


@dataclass
class ConceptMatches:
    """The distinctive words of a search with their postings, and the common words that only add to scores."""

    labels: list[str]
    postings: list[Postings]
    common: list[Postings]
    size: int
    pairs: list[NearPair] = field(default_factory=list)
    near: NearFinder | None = None
    # What widens the matches and counts as held when ranking: the distinctive words, or the common ones when
    # no distinctive word is in any document (so a word missing from every document never empties the list).
    matching: list[Postings] = field(default_factory=list)
    scoring_only: list[Postings] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.matching:
            found = any(p.mask for p in self.postings)
            self.matching = self.postings if found or not self.common else self.common
            self.scoring_only = self.common if self.matching is self.postings else []

    def any(self) -> int:
        """Documents holding at least one of the matching words."""
        mask = 0
        for p in self.matching:
            mask |= p.mask
        return mask

    def all(self, within: int) -> int:
        """Documents within `within` holding every distinctive word."""
        for p in self.postings:
            within &= p.mask
        return within

    def missing_from(self, doc: int) -> list[str]:
        """The distinctive words one document does not hold."""
        return [label for label, p in zip(self.labels, self.postings, strict=True) if not p.mask >> doc & 1]

    def ranked(self, within: int, count: int, date: Callable[[int], int], ranking: Ranking = Ranking()) -> list[int]:
        """The best `count` documents in `within` by the blended score; equal scores go newest first.

        Scores are summed word by word in a fixed order, so they are the same floating-point numbers from
        run to run. Nearness needs word positions, so it is read only for the documents that could reach the
        top with it: a pair adds at most its two words' scores, so no other document can overtake.
        """
        score = np.zeros(self.size, dtype=np.float64)
        held = np.zeros(self.size, dtype=np.int64)
        for p in self.matching:
            score[p.docs] += p.scores
            held[p.docs] += 1
        if within != self.any():
            held[~to_flags(within, self.size)] = 0
        for p in self.scoring_only:
            score[p.docs] += np.where(held[p.docs] > 0, p.scores, 0.0)
        candidates = np.flatnonzero(held)
        factor = (held[candidates] / max(len(self.matching), 1)) ** ranking.coordination
        base = score[candidates] * factor
        near = self.near if ranking.proximity else None
        pairs = self.pairs if near is not None else []
        if near is not None and pairs and len(candidates):
            base = self._with_nearness(near, pairs, candidates, score[candidates], factor, count, ranking.proximity)
        if count < len(candidates):
            edge = np.partition(base, len(base) - count)[len(base) - count]
            keep = base >= edge - 1e-5
            candidates, base = candidates[keep], base[keep]
        keys = [(0, round(float(b), 6), int(d)) for b, d in zip(base, candidates, strict=True)]
        return best_first(keys, count, date)

    def _with_nearness(
        self,
        near: NearFinder,
        pairs: list[NearPair],
        candidates: np.ndarray,
        score: np.ndarray,
        factor: np.ndarray,
        count: int,
        proximity: float,
    ) -> np.ndarray:
        """Blended scores, with nearness added for the best RESCORE_WINDOW documents (or `count`, if more).

        Nearness needs word positions, which cost a read per document, so, as Lucene's rescorer does, only
        the documents at the top by the other evidence are rescored. Nearness only adds, so a rescored
        document stays above every document outside the window.
        """
        blended: np.ndarray = score * factor
        window = max(RESCORE_WINDOW, count)
        top = np.arange(len(candidates))
        if window < len(candidates):
            edge = np.partition(blended, len(blended) - window)[len(blended) - window]
            top = np.flatnonzero(blended >= edge)
        bonus = np.zeros(len(top), dtype=np.float64)
        for pair in pairs:
            both = _both_scores(pair, candidates[top])
            holds = both > 0
            if holds.any():
                found = near(candidates[top][holds], pair.words)
                bonus[holds] += np.where(found, both[holds], 0.0)
        blended[top] = (score[top] + proximity * bonus) * factor[top]
        return blended


def _both_scores(pair: NearPair, docs: np.ndarray) -> np.ndarray:
    """For each document, the sum of a pair's two word scores where it holds both words, else 0."""
    first, in_first = _scores_of(pair.first, docs)
    second, in_second = _scores_of(pair.second, docs)
    return np.where(in_first & in_second, first + second, 0.0)


def _scores_of(postings: Postings, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each document's score in some postings, and whether it is in them."""
    if not len(postings.docs):
        return np.zeros(len(docs), dtype=np.float64), np.zeros(len(docs), dtype=bool)
    at = np.minimum(np.searchsorted(postings.docs, docs), len(postings.docs) - 1)
    found = postings.docs[at] == docs
    return np.where(found, postings.scores[at], 0.0), found


def most_similar(
    postings: list[Postings], size: int, exclude: int, count: int, date: Callable[[int], int]
) -> list[int]:
    """The `count` documents with the highest summed score over some postings, `exclude` left out, newest first
    among equal scores: the documents most like one whose words, themes and councils the postings are."""
    score = np.zeros(size, dtype=np.float64)
    found = np.zeros(size, dtype=bool)
    for p in postings:
        score[p.docs] += p.scores
        found[p.docs] = True
    found[exclude] = False
    candidates = np.flatnonzero(found)
    if count < len(candidates):
        edge = np.partition(score[candidates], len(candidates) - count)[len(candidates) - count]
        candidates = candidates[score[candidates] >= edge - 1e-5]
    return best_first([(0, round(float(score[d]), 6), int(d)) for d in candidates], count, date)


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

    Its size is bounded by the number of postings held, so a large library cannot fill memory with it.
    """

    def __init__(self, searcher: Searcher, live: int, size: int, capacity: int = 4_000_000) -> None:
        self.searcher, self.live, self.size, self.capacity = searcher, live, size, capacity
        self._entries: OrderedDict[tuple[str, str], tuple[int, object]] = OrderedDict()
        self._held = 0
        self._live_flags = to_flags(live, size)
        self._lengths: dict[tuple[int, str], np.ndarray] = {}  # (segment, field) -> every document's length
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
        cost = 1 + (len(value.docs) if isinstance(value, Postings) else self.size // 64)
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
        for leaf, boost in _leaves(query):
            for subsearcher, offset in searcher.leaf_searchers():
                if isinstance(leaf, Q.Term) and self._add_term(totals, found, subsearcher, offset, leaf, boost):
                    continue
                matcher = leaf.matcher(subsearcher, context)
                while matcher.is_active():
                    doc = matcher.id() + offset
                    totals[doc] += matcher.score() * boost
                    found[doc] = True
                    matcher.next()
        docs = np.flatnonzero(found & self._live_flags).astype(np.int32)
        return Postings(to_bitset(docs, self.size), docs, totals[docs])

    def _add_term(
        self, totals: np.ndarray, found: np.ndarray, subsearcher: Searcher, offset: int, leaf: Q.Term, boost: float
    ) -> bool:
        """Add a term's BM25F scores a posting block at a time; False if that cannot be done.

        Gives exactly what Whoosh's term matcher scores (the same arithmetic as `whoosh.scoring.bm25`,
        in the same order, on whole blocks). Deleted documents are dropped afterwards by the live flags.
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
        lengths = self._field_lengths(subsearcher, leaf.fieldname)
        idf, avgfl, b, k1, factor = scorer.idf, scorer.avgfl, scorer.B, scorer.K1, leaf.boost * boost
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids = np.asarray(matcher._ids, dtype=np.int64)
            tf = np.asarray(matcher._weights, dtype=np.float64)
            fl = lengths[ids]
            totals[ids + offset] += idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl))) * factor
            found[ids + offset] = True
            matcher._next_block()
        return True

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
            local = [int(d) - offset for d in docs[start:end]]
            for fieldname in PROXIMITY_FIELDS:
                first = _positions(reader, fieldname, words[0], local)
                second = _positions(reader, fieldname, words[1], local) if first else {}
                for i, doc in enumerate(local, start=start):
                    if not found[i] and doc in first and doc in second:
                        found[i] = _within(first[doc], second[doc], PROXIMITY_SLOP)
        return found

    def _field_lengths(self, subsearcher: Searcher, fieldname: str) -> np.ndarray:
        """Every document's length in a field of one segment, read once from Whoosh's length column."""
        key = (id(subsearcher), fieldname)
        if key not in self._lengths:
            count = subsearcher.reader().doc_count_all()
            raw = np.zeros(count, dtype=np.uint8)
            try:
                column = subsearcher.reader()._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
                data = column._dbfile.get(column._basepos, min(column._count, count)) if column else b""
                raw[: len(data)] = np.frombuffer(data, dtype=np.uint8)
                self._lengths[key] = _BYTE_LENGTHS[raw]
            except AttributeError:  # another reader type: ask for each length
                self._lengths[key] = np.array(
                    [subsearcher.doc_field_length(d, fieldname, 0) or 0 for d in range(count)], dtype=np.float64
                )
        return self._lengths[key]


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
