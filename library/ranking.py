"""Ranking in the project's own types: each word's documents and scores, blended into the best few.

Engine-neutral: an engine supplies Postings (the documents a word matches, ascending, with its score in each);
everything here is numpy over document numbers, so every engine ranks by the same rules.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

COMMON_SHARE = 0.5  # a word in more than this share of documents is common...
COMMON_MIN_DOCUMENTS = 20  # ...once the library holds at least this many documents


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
        document stays above every document outside the window. The scores of documents that cannot reach the
        first `count` are left without nearness: only the order of the first `count` is used.
        """
        blended: np.ndarray = score * factor
        window = max(RESCORE_WINDOW, count)
        top = np.arange(len(candidates))
        if window < len(candidates):
            edge = np.partition(blended, len(blended) - window)[len(blended) - window]
            top = np.flatnonzero(blended >= edge)
        boths = [_both_scores(pair, candidates[top]) for pair in pairs]
        # Positions are read only for documents that could reach the first `count` with every pair near: the
        # count-th best score without nearness is a floor (nearness only adds), and a pair adds at most its
        # `both`. The others keep their plain score, which is below the floor either way.
        reachable = np.ones(len(top), dtype=bool)
        if count < len(top) and proximity >= 0:
            plain = blended[top]
            floor = np.partition(plain, len(plain) - count)[len(plain) - count]
            reachable = (score[top] + proximity * np.sum(boths, axis=0)) * factor[top] >= floor - 1e-5
        bonus = np.zeros(len(top), dtype=np.float64)
        for pair, both in zip(pairs, boths, strict=True):
            holds = (both > 0) & reachable
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

    `date` gives a document's recency, larger for newer (the generation's date order, which also breaks
    ties between documents of the same date by id); it is looked up only for the top keys and those tied
    with the last of them.
    """
    if not keys or count <= 0:
        return []
    top = heapq.nlargest(count, keys) if count < len(keys) else keys
    edge = min(key[:2] for key in top)
    candidates = [key for key in keys if key[:2] >= edge]
    candidates.sort(key=lambda key: (key[0], key[1], date(key[2]), -key[2]), reverse=True)
    return [key[2] for key in candidates[:count]]
