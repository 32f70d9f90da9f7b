"""Whoosh internals, concern two: a word's BM25F scores computed a posting block at a time.

Walking Whoosh's matcher scores one posting per Python call; reading a whole block of ids and weights and
scoring it with numpy gives the same numbers (the arithmetic of `whoosh.scoring.bm25`, in the same order) many
times faster. The block attributes are private to Whoosh's W3LeafMatcher and are read here and nowhere else.
When they are not what this reads, `add_term_scores` records why in FALLBACKS and returns False, the caller
walks the matcher instead (same answers, slower), and tests/test_engine.py fails, so the change is noticed.
"""

from __future__ import annotations

from math import log
from typing import Any, TypeAlias

import numpy as np
from whoosh import query as Q
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher
from whoosh.scoring import BM25FScorer

from .arrays import SegmentArrays
from .lengths import segment_lengths

# Whoosh has no types: its searchers are Any here.
Searcher: TypeAlias = Any
FALLBACKS: list[str] = []  # each time the slow path was taken for a reason other than the query's own
_BLOCK_METHODS = ("_read_ids", "_read_weights", "_next_block")


def add_term_scores(
    totals: np.ndarray, found: np.ndarray, subsearcher: Searcher, offset: int, leaf: Q.Term, boost: float,
    lengths: dict[tuple[int, str], np.ndarray], arrays: SegmentArrays | None = None,
) -> bool:  # fmt: skip
    """Add a term's BM25F scores in one segment to `totals` (and mark `found`); False if that cannot be done.

    Deleted documents are dropped afterwards by the caller's live flags. `lengths` caches each segment's field
    lengths by (id of the segment's searcher, field). Where the segment's `arrays` keep the field, its postings
    are read from them instead of from Whoosh's blocks.
    """
    reader = subsearcher.reader()
    if leaf.fieldname not in subsearcher.schema:
        return False
    field = subsearcher.schema[leaf.fieldname]
    try:
        text = field.to_bytes(leaf.text)
    except ValueError:
        return False
    kept = arrays.fields.get(leaf.fieldname) if arrays is not None else None
    number = kept.word(text) if kept is not None else None
    if kept is not None and number is None:
        return True
    if kept is None and (leaf.fieldname, text) not in reader:
        return True
    scorer = subsearcher.weighting.scorer(subsearcher, leaf.fieldname, text)
    if type(scorer) is not BM25FScorer:
        FALLBACKS.append(f"add_term_scores: scorer {type(scorer).__name__}")
        return False
    key = (id(subsearcher), leaf.fieldname)
    if key not in lengths:
        lengths[key] = segment_lengths(reader, leaf.fieldname)
    score = _BM25F(scorer.idf, scorer.avgfl, scorer.B, scorer.K1, lengths[key], leaf.boost * boost)
    if kept is not None and number is not None:
        ids, weights = kept.postings(number)
        score.add(totals, found, ids, weights, offset)
        return True
    matcher = reader.postings(leaf.fieldname, text)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if type(matcher) is not W3LeafMatcher:
        FALLBACKS.append(f"add_term_scores: matcher {type(matcher).__name__}")
        return False
    if not all(hasattr(matcher, name) for name in _BLOCK_METHODS):
        FALLBACKS.append("add_term_scores: W3LeafMatcher no longer reads posting blocks as this expects")
        return False
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        score.add(totals, found, matcher._ids, matcher._weights, offset)
        matcher._next_block()
    return True


class _BM25F:
    """`whoosh.scoring.bm25` over arrays of postings, in the same order of operations."""

    def __init__(self, idf: float, avgfl: float, b: float, k1: float, field_lengths: np.ndarray, factor: float) -> None:
        self.idf, self.avgfl, self.b, self.k1 = idf, avgfl, b, k1
        self.lengths, self.factor = field_lengths, factor

    def add(self, totals: np.ndarray, found: np.ndarray, ids: object, weights: object, offset: int) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        tf = np.asarray(weights, dtype=np.float64)
        fl = self.lengths[ids]
        idf, avgfl, b, k1 = self.idf, self.avgfl, self.b, self.k1
        totals[ids + offset] += idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl))) * self.factor
        found[ids + offset] = True


def add_array_scores(
    totals: np.ndarray, found: np.ndarray, searcher: Searcher, segments: list[tuple[Searcher, int, SegmentArrays | None]],
    leaf: Q.Term, boost: float, lengths: dict[tuple[int, str], np.ndarray],
    fields: dict[str, tuple[float, float, float] | None],
) -> bool:  # fmt: skip
    """Add a term's BM25F scores in every segment from the segments' arrays; False if a segment has none.

    The statistics Whoosh's scorer reads from its term index come from the arrays too: the word's document
    frequency is its postings counted in every segment (deleted documents included, as Whoosh counts them),
    and its idf is `whoosh.scoring.WeightingModel.idf`'s arithmetic. `fields` caches each field's (B, K1,
    average length), read once from a Whoosh scorer, or None when the field is not scored by BM25F.
    """
    fieldname = leaf.fieldname
    kept = [arrays.fields.get(fieldname) if arrays is not None else None for _, _, arrays in segments]
    if fieldname not in searcher.schema or any(k is None for k in kept):
        return False
    try:
        text = searcher.schema[fieldname].to_bytes(leaf.text)
    except ValueError:
        return False
    held = []
    for (subsearcher, offset, _), field in zip(segments, kept, strict=True):
        number = field.word(text) if field is not None else None
        if field is not None and number is not None:
            held.append((subsearcher, offset, field.postings(number)))
    if not held:
        return True
    if fieldname not in fields:
        scorer = searcher.weighting.scorer(searcher, fieldname, text)
        bm25f = type(scorer) is BM25FScorer
        if not bm25f:
            FALLBACKS.append(f"add_array_scores: scorer {type(scorer).__name__}")
        fields[fieldname] = (scorer.B, scorer.K1, scorer.avgfl) if bm25f else None
    parameters = fields[fieldname]
    if parameters is None:
        return False
    b, k1, avgfl = parameters
    frequency = sum(len(ids) for _, _, (ids, _) in held)
    idf = log(searcher.doc_count_all() / (frequency + 1)) + 1
    for subsearcher, offset, (ids, weights) in held:
        key = (id(subsearcher), fieldname)
        if key not in lengths:
            lengths[key] = segment_lengths(subsearcher.reader(), fieldname)
        _BM25F(idf, avgfl, b, k1, lengths[key], leaf.boost * boost).add(totals, found, ids, weights, offset)
    return True
