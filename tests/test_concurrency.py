"""Threads of one server process search side by side: no lock across a search, and answers stay right.

Each thread has its own Whoosh searcher; the per-generation structures are shared and immutable. These
tests run many threads at once on one Library, with a new generation published while they search, and
compare every answer with the same search run alone.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.corpus import CorpusGenerator
from indexer import run_indexer
from library.search import Library, SearchRequest
from library.vocab import load_vocabularies
from tests.helpers import write_markdown

QUERIES = [
    SearchRequest(query="housing"),
    SearchRequest(query="community energy co-operative"),
    SearchRequest(query="has any council set up a food partnership?"),
    SearchRequest(query="housing AND NOT energy"),
    SearchRequest(query="hous* OR food"),
    SearchRequest(query="*a*"),
    SearchRequest(query="", theme=("housing",), sort="newest"),
    SearchRequest(query="social value", year_from=2015, year_to=2020),
    SearchRequest(query="wellbeing", page=2, per_page=5),
]


def _answer(library: Library, request: SearchRequest) -> tuple[int, int, list[str]]:
    result = library.search(request)
    return result.generation, result.total, [hit.id for hit in result.results]


@pytest.fixture
def library(tmp_path):
    generator = CorpusGenerator(seed=21)
    corpus = generator.write(tmp_path / "corpus", 300)
    run_indexer(corpus, tmp_path / "index")
    lib = Library(tmp_path / "index", load_vocabularies(corpus))
    yield lib, generator, corpus, tmp_path / "index"
    lib.close()


def test_many_threads_get_the_answers_one_thread_gets(library):
    lib, _, corpus, index = library
    alone = Library(index, load_vocabularies(corpus))
    try:
        expected = {request: _answer(alone, request) for request in QUERIES}
    finally:
        alone.close()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda n: (QUERIES[n % len(QUERIES)], _answer(lib, QUERIES[n % len(QUERIES)])), range(200))
        )
    for request, answer in answers:
        assert answer == expected[request], request
    documents = [lib.document(doc_id) for doc_id in expected[QUERIES[0]][2]]
    assert all(doc is not None for doc in documents)


def test_a_generation_published_while_threads_search_breaks_no_search(library):
    lib, _, corpus, index = library
    before = {request: _answer(lib, request) for request in QUERIES}
    errors: list[BaseException] = []
    seen: set[int] = set()
    stop = threading.Event()

    def search_until_stopped(offset: int) -> None:
        n = offset
        while not stop.is_set():
            request = QUERIES[n % len(QUERIES)]
            try:
                generation, total, ids = _answer(lib, request)
                seen.add(generation)
                lib.related(ids[0]) if ids else None
            except BaseException as exc:  # noqa: BLE001 - any failure in a thread is the test's failure
                errors.append(exc)
                return
            n += 1

    threads = [threading.Thread(target=search_until_stopped, args=(k,)) for k in range(6)]
    for thread in threads:
        thread.start()
    target = before[QUERIES[0]][0] + 3
    try:
        for night in (1, 2, 3):
            write_markdown(corpus, f"nightly/{night}.md", "A housing co-operative. " * 30, title=f"Night {night}")
            run_indexer(corpus, index)
        waited = threading.Event()
        for _ in range(600):  # until a thread has searched the last generation, at most a minute
            if target in seen or errors:
                break
            waited.wait(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors[:3]
    assert not any(thread.is_alive() for thread in threads)
    assert target in seen and max(seen) == target
    after = Library(index, load_vocabularies(corpus))
    try:
        for request in QUERIES:
            assert _answer(lib, request) == _answer(after, request), request
    finally:
        after.close()
