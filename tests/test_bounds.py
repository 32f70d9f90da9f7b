"""Query syntax cannot make a search do unbounded work: wildcards and word ranges are refused or cut, and say so."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from whoosh import query as Q

from bench.corpus import CorpusGenerator
from indexer import run_indexer
from library.engine.whoosh.bounds import MAX_WORDS, MAX_WORDS_IN_ALL, bound_expansions
from library.search import Library, SearchRequest
from library.vocab import load_vocabularies
from tests.helpers import engine_reader


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A 400-document library, big enough that one letter stands for hundreds of words."""
    work = tmp_path_factory.mktemp("bounds")
    corpus = CorpusGenerator(seed=5).write(work / "corpus", 400)
    run_indexer(corpus, work / "index")
    library = Library(work / "index", load_vocabularies(corpus))
    yield library
    library.close()


def _text(word: bytes | str) -> str:
    return word.decode("utf-8") if isinstance(word, bytes) else word


def _words(query: Q.Query) -> int:
    return sum(1 for leaf in query.leaves() if isinstance(leaf, Q.Term))


@pytest.mark.parametrize("text", ["*a*", "*e* OR *o*", "?ousing", "title:*ing"])
def test_a_word_starting_with_a_wildcard_is_refused_with_a_notice(generated, text):
    result = generated.search(SearchRequest(query=text))
    assert result.total == 0 and "cannot start with * or ?" in result.notice


def test_a_short_prefix_searches_only_its_most_frequent_words(generated):
    searcher = engine_reader(generated).searcher()
    parsed = engine_reader(generated).queries.parse("s*")
    assert sum(1 for _ in searcher.reader().expand_prefix("body", "s")) > MAX_WORDS  # the cut really happens
    notices: list[str] = []
    bounded = bound_expansions(parsed.query, searcher.reader(), notices)
    assert 0 < _words(bounded) <= MAX_WORDS_IN_ALL
    assert notices == [f"“s*” stands for many words; only the {MAX_WORDS} most frequent were searched."]
    body_words = [leaf.text for leaf in bounded.leaves() if isinstance(leaf, Q.Term) and leaf.fieldname == "body"]
    reader = searcher.reader()
    frequency = {_text(w): reader.doc_frequency("body", w) for w in reader.expand_prefix("body", "s")}
    cut = sorted(frequency.values(), reverse=True)[MAX_WORDS - 1]
    assert len(body_words) == MAX_WORDS and all(frequency[w] >= cut for w in body_words)
    result = generated.search(SearchRequest(query="s*"))
    assert result.total > 0 and "most frequent were searched" in result.notice


def test_many_wildcards_share_one_budget(generated):
    searcher = engine_reader(generated).searcher()
    parsed = engine_reader(generated).queries.parse("a* OR b* OR c* OR d* OR e* OR f*")
    bounded = bound_expansions(parsed.query, searcher.reader(), [])
    assert _words(bounded) <= MAX_WORDS_IN_ALL


def test_a_narrow_wildcard_finds_what_whoosh_finds(generated):
    searcher = engine_reader(generated).searcher()
    parsed = engine_reader(generated).queries.parse("hous*")
    notices: list[str] = []
    bounded = bound_expansions(parsed.query, searcher.reader(), notices)
    assert not notices
    assert set(searcher.docs_for_query(bounded)) == set(searcher.docs_for_query(parsed.query))


def test_the_page_for_an_expensive_pattern_is_a_page_with_a_notice(client):
    response = client.get("/search?q=*a*+OR+*e*")
    assert response.status_code == 200
    notice = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("p.notice")
    assert notice is not None and "cannot start with * or ?" in notice.get_text()


def test_a_search_that_runs_out_of_time_ends_with_what_it_found_and_says_so(tmp_path):
    corpus = CorpusGenerator(seed=9).write(tmp_path / "corpus", 300)
    run_indexer(corpus, tmp_path / "index")
    hurried = Library(tmp_path / "index", load_vocabularies(corpus), syntax_seconds=0)
    patient = Library(tmp_path / "index", load_vocabularies(corpus))
    try:
        request = SearchRequest(query="(housing OR energy OR food) AND NOT council:plymouth", per_page=100)
        everything = patient.search(request)
        assert everything.total > 0 and not everything.notice
        cut_short = hurried.search(request)
        assert "stopped early" in cut_short.notice
        assert cut_short.total < everything.total  # a budget of no time at all stops at the first match
        assert {h.id for h in cut_short.results} <= {h.id for h in patient.export(request).results}
    finally:
        hurried.close()
        patient.close()
