"""Bounded work for query syntax: wildcards and ranges over words expand to a limited number of words.

`*a*` asks Whoosh to test every word in the index against a pattern, and `a*` to search thousands of
words at once; at 10,000 documents such a search took a minute and held its worker all that time. A
word may not start with a wildcard, and each wildcard or range is replaced, before the search runs, by
at most MAX_WORDS of the words it stands for (the most frequent), with a notice saying so.
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass
from typing import Any, TypeAlias

from whoosh import collectors
from whoosh import query as Q

from ...facets import bitset

MAX_WORDS = 100  # words one wildcard or range may stand for
MAX_SCANNED = 5_000  # words read from the index for one wildcard or range before it is refused
MAX_WORDS_IN_ALL = 400  # words all the wildcards and ranges of one search may stand for together
# Whoosh has no types: its readers and searchers are Any here.
Reader: TypeAlias = Any
Searcher: TypeAlias = Any
_EXPANDING = (Q.Wildcard, Q.Prefix, Q.TermRange, Q.Regex, Q.FuzzyTerm)


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_WORDS_IN_ALL
        self.notices: dict[str, str] = {}  # one notice per pattern, whatever the fields it was searched in


def bound_expansions(query: Q.Query, reader: Reader, notices: list[str]) -> Q.Query:
    """Replace each wildcard or word range by the words it stands for, within the limits; say what was cut."""
    budget = _Budget()
    bounded = _bound(query, reader, budget)
    notices.extend(budget.notices.values())
    return bounded


def _bound(q: Q.Query, reader: Reader, budget: _Budget) -> Q.Query:
    if isinstance(q, _EXPANDING):
        return _expand(q, reader, budget)
    if isinstance(q, (Q.CompoundQuery, Q.Not)):
        return q.apply(lambda sub: _bound(sub, reader, budget))
    return q


def _expand(q: Q.Query, reader: Reader, budget: _Budget) -> Q.Query:
    shown = _pattern(q)
    if isinstance(q, Q.Wildcard) and str(q.text)[:1] in "*?":
        budget.notices[shown] = f"A word cannot start with * or ?, so “{shown}” was left out of the search."
        return Q.NullQuery
    fieldname = q.field()
    if fieldname not in reader.schema:
        return Q.NullQuery
    words = list(itertools.islice((text for _, text in q.expanded_terms(reader)), MAX_SCANNED + 1))
    if len(words) > MAX_SCANNED:
        budget.notices[shown] = f"“{shown}” stands for too many words to search, so it was left out."
        return Q.NullQuery
    keep = min(MAX_WORDS, budget.left)
    if words and not keep:
        budget.notices.setdefault(
            shown, f"“{shown}” was left out: the search already stands for {MAX_WORDS_IN_ALL} words."
        )
        return Q.NullQuery
    if len(words) > keep:
        words = heapq.nlargest(keep, words, key=lambda w: reader.doc_frequency(fieldname, w))
        budget.notices.setdefault(
            shown, f"“{shown}” stands for many words; only the {keep} most frequent were searched."
        )
    budget.left -= len(words)
    field = reader.schema[fieldname]
    terms = [Q.Term(fieldname, field.from_bytes(w), boost=q.boost) for w in sorted(words)]
    if not terms:
        return Q.NullQuery
    return terms[0] if len(terms) == 1 else Q.Or(terms)


def _pattern(q: Q.Query) -> str:
    if isinstance(q, Q.TermRange):
        return f"[{q.start or ''} TO {q.end or ''}]"
    return str(getattr(q, "text", ""))[:60] + ("*" if isinstance(q, Q.Prefix) else "")


class _Deadline(collectors.WrappingCollector):  # type: ignore[misc]  # Whoosh's collectors have no types
    """Stop collecting at a moment on the monotonic clock, checked before each match (no timer thread, no signal)."""

    def __init__(self, child: collectors.Collector, deadline: float) -> None:
        super().__init__(child)
        self.deadline = deadline

    def collect_matches(self) -> None:
        for sub_docnum in self.matches():
            if time.monotonic() > self.deadline:
                raise collectors.TimeLimit
            self.collect(sub_docnum)


@dataclass(frozen=True)
class SyntaxMatches:
    """What a query in search syntax matched: a bitset, and Whoosh's score for each document."""

    mask: int
    scores: dict[int, float]


def syntax_matches(
    searcher: Searcher, query: Q.Query, seconds: float, size: int, live: int, notices: list[str]
) -> SyntaxMatches:
    """Every document a query in search syntax matches, with Whoosh's score, within `seconds`.

    A search that runs out of time ends with what it found by then and says so, and frees its worker.
    """
    found = collectors.UnlimitedCollector()
    try:
        searcher.search_with_collector(query, _Deadline(found, time.monotonic() + seconds))
    except collectors.TimeLimit:
        notices.append(
            f"This search took longer than {seconds:g} seconds, so it stopped early and shows what it "
            "had found by then; fewer or longer words, or fewer wildcards, will find everything."
        )
    scores = {hit.docnum: hit.score for hit in found.results()}
    return SyntaxMatches(bitset(scores, size) & live, scores)
