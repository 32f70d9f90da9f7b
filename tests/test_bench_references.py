"""The benchmark's references answer the product's questions: the same totals and facet counts, query by query.

The product, the SQLite FTS5 reference (bench/reference.py) and the tantivy reference
(bench/tantivy_reference.py) index one generated corpus, and every benchmark search must come back with
identical totals and identical counts for every facet, from all three, before and after a night's changes.

The benchmark's searches use only words every engine's stemmer reads alike (bench.queries.query_pool);
that is the one class of search left out, and on purpose: Whoosh's Porter stemmer, FTS5's Porter variant
and tantivy's Snowball English stemmer group some words differently ("communities" and "communications"
are both "commun" to the first two, "communiti" and "communic" to tantivy), and the product's analysis joins
"co-production" into one word where the others read "co" and "production", so a search for "production"
cannot find the same documents in all three. The last test checks the pool leaves such words out. Ranking
and snippets are each engine's own: only that the searched word is marked is compared.

These tests need tantivy (the `bench` extra).
"""

from __future__ import annotations

import pytest

from bench.corpus import CorpusGenerator
from bench.queries import bench_queries, fresh_sets, query_pool
from bench.reference import Reference
from bench.tantivy_reference import TantivyReference
from indexer import run_indexer
from library.search import Library, SearchRequest
from library.vocab import load_vocabularies

DOCUMENTS = 300


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("references")
    generator = CorpusGenerator(seed=3)
    corpus = generator.write(work / "corpus", DOCUMENTS)
    vocab = load_vocabularies(corpus)
    run_indexer(corpus, work / "index")
    fts5, tantivy = Reference(work / "reference.sqlite", vocab), TantivyReference(work / "tantivy", vocab)
    fts5.index(corpus)
    tantivy.index(corpus)
    yield {"work": work, "generator": generator, "corpus": corpus, "vocab": vocab, "fts5": fts5, "tantivy": tantivy}
    fts5.close()
    tantivy.close()


@pytest.fixture(scope="module")
def searches(built):
    """The benchmark's searches, and a few more that exercise every rule: browsing, common words, filters."""
    vocab = built["vocab"]
    extra = [
        SearchRequest(),
        SearchRequest(query="council network members"),  # frame words and common words
        SearchRequest(query="network", year_from=2015, year_to=2018),
        SearchRequest(year_from=2020),
        SearchRequest(query="network", theme=("housing",), region=("north-west",)),
        SearchRequest(query="network", council=("manchester", "preston"), type=("case-study",)),
        SearchRequest(query="network report", page=2),
        SearchRequest(query="network", theme=("no-such-theme",)),  # left out, as the product leaves it out
    ]
    return bench_queries(vocab, 120) + extra


def facet_counts(result):
    return {name: {v.value: v.count for v in values if v.count} for name, values in result.facets.items()}


def compare(library, references, requests):
    """Every request whose total or facet counts differ from the product's, per reference."""
    differing = {name: [] for name in references}
    for request in requests:
        product = library.search(request)
        for name, reference in references.items():
            answer = reference.search(request)
            if answer["total"] != product.total or answer["facets"] != facet_counts(product):
                differing[name].append((request, product.total, answer["total"]))
    return differing


def test_the_references_count_what_the_product_counts(built, searches):
    library = Library(built["work"] / "index", built["vocab"])
    try:
        assert compare(library, {"fts5": built["fts5"], "tantivy": built["tantivy"]}, searches) == {
            "fts5": [],
            "tantivy": [],
        }
        assert any(library.search(r).total for r in searches)  # not a vacuous comparison
    finally:
        library.close()


def test_the_references_page_the_same_documents_as_they_count(built):
    request = SearchRequest(query="network")
    for name in ("fts5", "tantivy"):
        first, second = built[name].search(request), built[name].search(SearchRequest(query="network", page=2))
        assert len(first["ids"]) == 10 and len(second["ids"]) == 10, name
        assert not set(first["ids"]) & set(second["ids"]), name


def test_every_engine_marks_the_searched_word_in_its_snippets(built):
    library = Library(built["work"] / "index", built["vocab"])
    request = SearchRequest(query="network")
    try:
        assert "<mark>" in library.search(request).results[0].snippet
    finally:
        library.close()
    for name in ("fts5", "tantivy"):
        results = built[name].search(request)["results"]
        assert len(results) == 10 and all("<mark>" in r["snippet"].lower() for r in results), name
        assert all("<mark>network</mark>" in r["snippet"].lower() for r in results), name


def test_after_a_nights_changes_the_references_still_count_what_the_product_counts(built, searches):
    """A second night's publishing: changed, added and deleted files, re-read by all three incrementally."""
    corpus = built["corpus"]
    built["generator"].nightly_change(corpus, DOCUMENTS, night=2)
    run_indexer(corpus, built["work"] / "index")
    counts = {name: built[name].index(corpus) for name in ("fts5", "tantivy")}
    assert counts["fts5"] == counts["tantivy"]
    assert counts["fts5"]["changed"] and counts["fts5"]["added"] and counts["fts5"]["deleted"]
    assert built["fts5"].index(corpus)["unchanged"] == built["tantivy"].index(corpus)["unchanged"]
    library = Library(built["work"] / "index", built["vocab"])
    try:
        later = fresh_sets(built["vocab"], {"earlier": 120, "later": 60})["later"]
        assert compare(library, {"fts5": built["fts5"], "tantivy": built["tantivy"]}, searches[-8:] + later) == {
            "fts5": [],
            "tantivy": [],
        }
    finally:
        library.close()


def test_the_pool_leaves_out_words_the_engines_read_differently(built):
    pool = query_pool(built["vocab"])
    assert pool.stemmers == ("product", "fts5", "tantivy")
    assert len(pool.words) > 800
    # "co-production" is one word to the product and two to FTS5 and tantivy; tantivy's Snowball stems
    # "communities" apart from "communications" (both "commun" to Porter); "ones" is the "on" of
    # "Southend-on-Sea" to FTS5's Porter, not to the product's (a stop word) nor to tantivy's ("one").
    assert not {"production", "communities", "ones"} & set(pool.words)
