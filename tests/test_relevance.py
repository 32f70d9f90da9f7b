"""The relevance floor: the labelled queries in tests/relevance/ keep the search at least as good as it is.

`make eval` prints the same figures per query form, beside the plain SQLite FTS5 bm25 baseline.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.relevance import QUERIES, Baseline, evaluate, load_queries, product_search
from library.search import Library
from library.store import IndexStore

FLOOR = yaml.safe_load((Path(QUERIES).parent / "floor.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def figures(bundled_index, vocab):
    from bench.relevance import TODAY

    queries = load_queries()
    library = Library(bundled_index, vocab, today=lambda: TODAY)
    baseline = Baseline(IndexStore(bundled_index).documents().values())
    try:
        yield evaluate(product_search(library), queries), evaluate(baseline.search, queries)
    finally:
        library.close()
        baseline.close()


def test_the_set_is_big_and_varied_enough():
    queries = load_queries()
    forms = [q.form for q in queries]
    assert len(queries) >= 100
    assert forms.count("paraphrase") * 3 >= len(queries)
    assert forms.count("not-covered") >= 15
    for form in ("question", "misspelling", "acronym", "plain"):
        assert forms.count(form) >= 8, form


def test_every_relevant_document_exists(bundled_index):
    known = set(IndexStore(bundled_index).documents())
    for query in load_queries():
        assert set(query.relevant) <= known, query


def test_no_change_lowers_success_at_1_or_at_5(figures):
    product, _ = figures
    scores = product["all"]
    assert scores.answerable == FLOOR["answerable"]
    assert scores.hits_at_1 >= FLOOR["success_at_1"], scores.misses
    assert scores.hits_at_5 >= FLOOR["success_at_5"], scores.misses


def test_the_product_ranks_first_at_least_as_often_as_plain_fts5(figures):
    product, baseline = figures
    assert product["all"].success_at_1 >= baseline["all"].success_at_1


def test_every_topic_the_library_does_not_cover_is_answered_with_no_documents(figures):
    product, _ = figures
    scores = product["not-covered"]
    assert scores.not_covered >= 15 and scores.answered_none == scores.not_covered, scores.misses
