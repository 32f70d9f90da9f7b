"""The fast paths give exactly what the straightforward way gives: Whoosh's own scores and order, every match marked.

The library ranks plain-words searches from cached per-word scores, orders by date from a per-generation
list and finds snippet matches with one regular expression; each is checked here against an oracle
built from Whoosh's own searcher or from a token-by-token loop, on a real index with several segments
and deleted documents.
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as Q

from bench.corpus import CorpusGenerator
from bench.queries import bench_queries
from indexer import run_indexer
from library import snippets
from library.engine.whoosh.analysis import TOKEN_PATTERN
from library.engine.whoosh.query import PROXIMITY_FIELDS, PROXIMITY_SLOP
from library.facets import members
from library.ranking import COMMON_SHARE, RESCORE_WINDOW
from library.search import Library, SearchRequest
from library.snippets import Highlighter
from library.vocab import load_vocabularies
from tests.helpers import engine_reader


@pytest.fixture(scope="module")
def segmented(tmp_path_factory):
    """A 240-document library indexed in two runs, so it has two segments and deleted documents."""
    work = tmp_path_factory.mktemp("ranking")
    generator = CorpusGenerator(seed=11)
    corpus = generator.write(work / "corpus", 240)
    run_indexer(corpus, work / "index")
    generator.nightly_change(corpus, 240)
    run_indexer(corpus, work / "index")
    vocab = load_vocabularies(corpus)
    library = Library(work / "index", vocab)
    yield library, vocab
    library.close()


def _filter_query(request: SearchRequest) -> Q.Query:
    clauses: list[Q.Query] = [Q.Every()]
    for name in ("theme", "council", "type", "region"):
        chosen = request.selected(name)
        if chosen:
            clauses.append(Q.Or([Q.Term(name, value) for value in chosen]))
    if request.year_from is not None or request.year_to is not None:
        clauses.append(Q.NumericRange("year", request.year_from, request.year_to))
    return Q.And(clauses)


def _expected_order(library: Library, request: SearchRequest) -> list[str]:
    """The ranking rule spelled out with Whoosh's searcher: BM25F × share of distinctive words held **
    coordination; then the best RESCORE_WINDOW rescored with proximity × the BM25F of each pair of
    neighbouring words that Whoosh's Phrase with slop finds; then newest."""
    searcher = engine_reader(library).searcher()
    parsed = engine_reader(library).queries.parse(request.query)
    queries = [c.query for c in parsed.concepts]
    live = searcher.doc_count()
    word_docs = [set(searcher.docs_for_query(q)) for q in queries]
    word_scores = [{hit.docnum: hit.score for hit in searcher.search(q, limit=None)} for q in queries]
    distinctive = [docs for docs in word_docs if len(docs) <= COMMON_SHARE * live] or word_docs
    if not any(distinctive):
        distinctive = [docs for docs in word_docs if len(docs) > COMMON_SHARE * live]
    allowed = set(searcher.docs_for_query(_filter_query(request)))
    ranking = library.ranking
    scored = {}
    for hit in searcher.search(Q.Or(queries), limit=None, filter=allowed):
        held = sum(hit.docnum in docs for docs in distinctive)
        if held:
            scored[hit.docnum] = (hit.score, (held / len(distinctive)) ** ranking.coordination)
    window = sorted(scored, key=lambda d: scored[d][0] * scored[d][1], reverse=True)[:RESCORE_WINDOW]
    final = {doc: raw * factor for doc, (raw, factor) in scored.items()}
    for a, b in parsed.near_pairs if ranking.proximity else []:
        words = [parsed.concepts[a].terms[0], parsed.concepts[b].terms[0]]
        near = set(searcher.docs_for_query(Q.Or([Q.Phrase(f, words, slop=PROXIMITY_SLOP) for f in PROXIMITY_FIELDS])))
        for doc in window:
            if doc in near:
                bonus = word_scores[a].get(doc, 0.0) + word_scores[b].get(doc, 0.0)
                final[doc] += ranking.proximity * bonus * scored[doc][1]
    keyed = sorted(((round(s, 6), engine_reader(library).dates.date(d), -d) for d, s in final.items()), reverse=True)
    return [searcher.stored_fields(-key[2])["id"] for key in keyed[: request.per_page]]


def test_plain_word_rankings_match_whoosh_scores_and_the_ranking_rule(segmented):
    library, vocab = segmented
    searcher = engine_reader(library).searcher()
    assert len(searcher.reader().leaf_readers()) > 1 and searcher.reader().has_deletions()
    queries = [q for q in bench_queries(vocab, 80) if engine_reader(library).queries.parse(q.query).concepts]
    assert len(queries) > 50 and any(q.theme or q.council or q.region or q.year_from for q in queries)
    for request in queries:
        ids = [hit.id for hit in library.search(request).results]
        assert ids == _expected_order(library, request), request


def test_cached_word_scores_are_whoosh_scores(segmented):
    library, _ = segmented
    searcher = engine_reader(library).searcher()
    queries = [
        c.query
        for c in engine_reader(library).queries.parse("housing energy co-operative CWB community wealth").concepts
    ]
    assert any(isinstance(leaf, Q.Phrase) for q in queries for leaf in q.leaves())
    for query in queries:
        postings = engine_reader(library).matches.postings(query)
        expected = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
        assert list(postings.docs) == sorted(expected)
        assert members(postings.mask) == sorted(expected)
        for doc, score in zip(postings.docs, postings.scores, strict=True):
            assert score == pytest.approx(expected[doc], rel=1e-12)


def test_date_order_matches_a_plain_sort_for_dense_and_sparse_sets(segmented):
    library, _ = segmented
    engine_reader(library).searcher()
    dates = engine_reader(library).dates
    everything = members(library.facets.live)
    for chosen in (everything, everything[::2], everything[:3], everything[-1:]):
        mask = sum(1 << d for d in chosen)
        newest = sorted(chosen, key=lambda d: (-dates.date(d), d))
        assert dates.first(mask, 10) == newest[:10]
        assert dates.first(mask, 10, oldest=True) == newest[::-1][:10]
        assert dates.first(mask, len(chosen) + 5) == newest


def test_a_repeated_search_is_answered_from_the_cache_until_a_new_generation(tmp_path):
    generator = CorpusGenerator(seed=2)
    corpus = generator.write(tmp_path / "corpus", 40)
    run_indexer(corpus, tmp_path / "index")
    library = Library(tmp_path / "index", load_vocabularies(corpus))
    try:
        request = SearchRequest(query="housing")
        first = library.search(request)
        assert library.search(request) is first
        generator.nightly_change(corpus, 40)
        run_indexer(corpus, tmp_path / "index")
        again = library.search(request)
        assert again is not first and again.generation == first.generation + 1
    finally:
        library.close()


_WORDS = ["housing", "Housing", "houses", "co-operative", "cooperative", "CO-OP", "energy", "café", "İstanbul", "x"]
_TOKEN = re.compile(TOKEN_PATTERN)


def _slow_matches(highlighter: Highlighter, text: str) -> list[tuple[int, int, frozenset[str]]]:
    found = ((m.start(), m.end(), highlighter.forms(m.group()) & highlighter.terms) for m in _TOKEN.finditer(text))
    return [match for match in found if match[2]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(st.one_of(st.sampled_from(_WORDS), st.text(alphabet=" -_.,'\n1aé", max_size=4)), max_size=30),
    searched=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3),
)
def test_snippet_matches_are_the_tokens_a_token_by_token_reading_finds(pieces, searched):
    text = "".join(pieces)
    terms = set().union(*(Highlighter.forms(word) for word in searched))
    highlighter = Highlighter(terms)
    assert highlighter._matches(text) == _slow_matches(highlighter, text)


def test_near_words_rank_as_whoosh_phrases_with_slop_say(bundled_index, vocab):
    library = Library(bundled_index, vocab)
    try:
        searcher = engine_reader(library).searcher()
        queries = ["housing commission", "social value toolkit", "community wealth building", "food poverty",
                   "co-operative energy plymouth", "asset transfer support", "mental health day"]  # fmt: skip
        boosted = 0
        for text in queries:
            request = SearchRequest(query=text, per_page=10)
            assert [hit.id for hit in library.search(request).results] == _expected_order(library, request), text
            parsed = engine_reader(library).queries.parse(text)
            for a, b in parsed.near_pairs:
                words = [parsed.concepts[a].terms[0], parsed.concepts[b].terms[0]]
                phrase = Q.Or([Q.Phrase(f, words, slop=PROXIMITY_SLOP) for f in PROXIMITY_FIELDS])
                boosted += len(list(searcher.docs_for_query(phrase)))
        assert boosted > 10  # the nearness path was taken, not only the plain sum
    finally:
        library.close()


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from([*string.printable, "é", "İ", "ß", "\u00a0", "٣"]), max_size=80))
def test_a_texts_distinct_words_are_the_tokenizers(text):
    assert snippets._words(text) == set(_TOKEN.findall(text))
    assert snippets._words(text.lower()) == set(_TOKEN.findall(text.lower()))
