"""One published Whoosh generation as searches see it, answering in the project's own types.

Whoosh reads its segment files with seek-then-read on shared file objects, so one searcher must not be used
by two threads at once: each thread gets a searcher of its own, opened on first use. What is built once per
generation (facet bitsets, date order, the query builder) is immutable and shared; the two shared caches
(word postings, spelling) take a short lock of their own while they compute.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh import sorting

from ...errors import IndexUnavailableError
from ...facets import COUNTED_FIELDS, DateOrder, FacetIndex, bitset, members
from ...model import Document
from ...ranking import Ranking, best_first, most_similar, to_flags
from ...spelling import Speller
from ...vocab import Theme, Vocabularies
from ..fields import stored_document
from ..parsed import Matched, ParsedQuery
from .analysis import text_analyzer
from .bounds import bound_expansions, syntax_matches
from .matching import MatchCache, concept_matches, only_words
from .query import TEXT_FIELDS, QueryBuilder

STORED_HELD = 256  # stored documents kept per generation, most recently read (20 KB each at 100,000 documents)
# Whoosh has no types: its searchers are Any here.
Searcher: TypeAlias = Any


class WhooshReader:
    """A published generation's Whoosh index and everything a search builds from it once."""

    def __init__(self, path: Path, vocab: Vocabularies) -> None:
        try:
            self.index = whoosh_index.open_dir(str(path))
        except (OSError, whoosh_index.EmptyIndexError) as exc:
            raise IndexUnavailableError(f"the published index {path} cannot be opened: {exc}") from None
        self._opened: list[Searcher] = []  # every searcher opened on it, to close with it
        self._opened_lock = threading.Lock()
        self._local = threading.local()
        with self.index.searcher() as builder:  # facets and dates are plain arrays once built
            reader = builder.reader()
            size = reader.doc_count_all()
            live = bitset(reader.all_doc_ids(), size)
            self.facets = FacetIndex(size, live, _facet_values(reader, size, live))
            dates = reader.column_reader("date_sort") if reader.has_column("date_sort") else None
            ids = list(reader.column_reader("id")) if reader.has_column("id") else None  # schema 4 on
            self.dates = DateOrder([dates[d] if dates is not None else 0 for d in range(size)], live, size, ids)
        self.matches = MatchCache(self._open_searcher(), live, size)
        self.speller = Speller(_IndexWords(self._open_searcher()), vocab)
        self.queries = QueryBuilder(self.index.schema, vocab)
        self._stored = functools.lru_cache(maxsize=STORED_HELD)(self._read_stored)

    def parse(self, text: str, today: date | None = None) -> ParsedQuery:
        return self.queries.parse(text, today)

    def close_themes(self, parsed: ParsedQuery, limit: int) -> list[Theme]:
        return self.queries.close_themes(parsed, limit)

    def match(self, parsed: ParsedQuery, seconds: float, notices: list[str]) -> Matched:
        """Which documents the text matches: every document, a plain-words search's concepts, or query syntax."""
        if parsed.is_everything:
            return Matched(parsed, self.facets.live)
        if parsed.concepts:
            concepts = concept_matches(self.matches, parsed.concepts, parsed.near_pairs)
            return Matched(parsed, concepts.any(), concepts=concepts)
        # Query syntax: bound what wildcards and ranges cost first; they become words, so most take the fast path.
        parsed = replace(parsed, query=bound_expansions(parsed.query, self.searcher().reader(), notices))
        if only_words(parsed.query):
            return Matched(parsed, self.matches.postings(parsed.query).mask, cached_words=True)
        found = syntax_matches(self.searcher(), parsed.query, seconds, self.facets.size, self.facets.live, notices)
        return Matched(parsed, found.mask, scores=found.scores)

    def rank(self, matched: Matched, within: int, count: int, ranking: Ranking) -> list[int]:
        """The best `count` documents of `within` by relevance; equal scores go newest first."""
        date_of = self.dates.recency  # newest first among equals, then by id
        if matched.parsed.is_everything:
            return self.dates.first(within, count)
        if matched.concepts is not None:
            return matched.concepts.ranked(within, count, date_of, ranking)
        if matched.scores is not None:
            allowed = to_flags(within, self.facets.size)
            keys = [(0, round(score, 6), doc) for doc, score in matched.scores.items() if allowed[doc]]
            return best_first(keys, count, date_of)
        query = matched.parsed.query
        if matched.cached_words:  # the cached per-word scores are Whoosh's own, summed as its Or sums them
            postings = self.matches.postings(query)
            flags = to_flags(within, self.facets.size)[postings.docs]
            keys = [
                (0, round(float(score), 6), int(doc))
                for doc, score in zip(postings.docs[flags], postings.scores[flags], strict=True)
            ]
            return best_first(keys, count, date_of)
        allowed_docs = None if within == self.matches.matches(query) else set(members(within))
        results = self.searcher().search(query, limit=count, filter=allowed_docs)
        keys = [(0, round(hit.score, 6), hit.docnum) for hit in iter(results)]  # iter(): len() would count all
        return best_first(keys, count, date_of)

    def highlight_terms(self, parsed: ParsedQuery) -> set[str]:
        """The query's words the index holds, in the text fields, as analysed: what snippets mark."""
        # Leaf by leaf: Whoosh's existing_terms reuses its `fieldname` argument as a loop variable, so over a
        # whole tree it stops at the first field and would miss words found only in the body.
        reader = self.searcher().reader()
        terms = {term for leaf in parsed.query.leaves() for term in leaf.existing_terms(reader, expand=True)}
        return {t.decode("utf-8") if isinstance(t, bytes) else t for f, t in terms if f in TEXT_FIELDS}

    def stored(self, docnum: int) -> Document:
        """A document as stored; the last STORED_HELD read are kept (a document's page and its search hits)."""
        return self._stored(docnum)

    def _read_stored(self, docnum: int) -> Document:
        return stored_document(self.searcher().stored_fields(docnum))

    def docnum(self, doc_id: str) -> int | None:
        number: int | None = self.searcher().document_number(id=doc_id)
        return number

    def added(self, docnum: int) -> int:
        """When the document was first published in the library, Unix time (0 if the index does not say)."""
        reader = self.searcher().reader()
        return int(reader.column_reader("added")[docnum]) if reader.has_column("added") else 0

    def newest(self, limit: int) -> list[Document]:
        """The documents most recently added to the library, newest document first among equals."""
        order = sorting.MultiFacet(
            [
                sorting.FieldFacet("added", reverse=True),
                sorting.FieldFacet("date_sort", reverse=True),
                *([sorting.FieldFacet("id")] if self.searcher().reader().has_column("id") else []),
            ]
        )
        results = self.searcher().search(Q.Every(), limit=limit, sortedby=order)
        return [stored_document(hit.fields()) for hit in results]

    def similar(self, docnum: int, limit: int) -> list[int]:
        """Documents sharing themes, councils and distinctive words with this one, best first, itself excluded."""
        doc = self.stored(docnum)
        clauses = [Q.Term("theme", t, boost=2.0) for t in doc.theme_ids]
        clauses += [Q.Term("council", c, boost=1.5) for c in doc.council_ids]
        key_terms = self.searcher().key_terms([docnum], "body", numterms=12)
        clauses += [Q.Term("body", word, boost=weight) for word, weight in key_terms]
        if not clauses:
            return []
        # Summed from the per-generation score cache: walking Whoosh's matchers for twenty-odd terms took a
        # fifth of a second at 10,000 documents, for every document page.
        postings = [self.matches.postings(clause) for clause in clauses]
        return most_similar(postings, self.facets.size, docnum, limit, self.dates.recency)

    def searcher(self) -> Searcher:
        """This thread's searcher of the generation, opened on first use."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._local.searcher = self._open_searcher()
        return searcher

    def _open_searcher(self) -> Searcher:
        searcher = self.index.searcher()
        with self._opened_lock:
            self._opened.append(searcher)
        return searcher

    def close(self) -> None:
        """Close every searcher opened on this generation (no search may be running on it)."""
        with self._opened_lock:
            for searcher in self._opened:
                searcher.close()
            self._opened.clear()


def _facet_values(reader: Any, size: int, live: int) -> dict[str, dict[str, np.ndarray]]:
    """Each facet value's live documents, ascending, read from the keyword fields' postings and the year column."""
    alive = to_flags(live, size)
    values: dict[str, dict[str, np.ndarray]] = {}
    for fieldname in COUNTED_FIELDS:
        values[fieldname] = {}
        for term in reader.lexicon(fieldname):
            docs = np.fromiter(reader.postings(fieldname, term).all_ids(), dtype=np.int64)
            values[fieldname][term.decode("utf-8")] = docs[alive[docs]]
    years: dict[str, list[int]] = {}
    column = reader.column_reader("year") if reader.has_column("year") else None
    if column is not None:
        for docnum in reader.all_doc_ids():
            year = column[docnum]
            if year:
                years.setdefault(str(year), []).append(docnum)
    values["year"] = {year: np.array(docs, dtype=np.int64) for year, docs in years.items()}
    return values


class _IndexWords:
    """The generation's words for the speller: document frequencies and close spellings (Whoosh's corrector)."""

    _analyzer = text_analyzer()

    def __init__(self, searcher: Searcher) -> None:
        self._reader = searcher.reader()
        self._corrector = searcher.corrector("words")

    def terms(self, text: str) -> list[str]:
        return [t.text for t in self._analyzer(text)]

    def document_frequency(self, fieldname: str, term: str) -> int:
        return int(self._reader.doc_frequency(fieldname, term))

    def close_words(self, word: str, limit: int, maxdist: int) -> list[str]:
        return list(self._corrector.suggest(word, limit=limit, maxdist=maxdist))
