"""The benchmark cannot rot: every scenario runs at a tiny size, and the reference counts facets as the product does."""

from __future__ import annotations

import json

import pytest

from bench.corpus import CorpusGenerator
from bench.queries import bench_queries
from bench.reference import Reference
from bench.run import main
from indexer import run_indexer
from library.search import Library, SearchRequest
from library.vocab import load_vocabularies


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    corpus = CorpusGenerator(seed=3).write(work / "corpus", 120)
    vocab = load_vocabularies(corpus)
    run_indexer(corpus, work / "index")
    library, reference = Library(work / "index", vocab), Reference(work / "reference.sqlite", vocab)
    reference.index(corpus)
    yield library, reference, vocab
    library.close()
    reference.close()


def test_the_generator_is_deterministic_and_writes_the_real_format(tmp_path):
    first, second = CorpusGenerator(seed=5), CorpusGenerator(seed=5)
    assert first.document(17) == second.document(17)
    assert first.document(17) != first.document(17, revision=1)
    report = run_indexer(first.write(tmp_path / "corpus", 30), tmp_path / "index")
    assert report.documents == 30 and not report.failed


def test_reference_and_product_count_the_same_facets_for_the_same_queries(engines):
    library, reference, vocab = engines
    queries = bench_queries(vocab, 60) + [SearchRequest(), SearchRequest(query="council network members")]
    for request in queries:
        product = library.search(request)
        expected = reference.search(request)
        counts = {name: {v.value: v.count for v in values if v.count} for name, values in product.facets.items()}
        assert product.total == expected["total"], request
        assert counts == expected["facets"], request


def test_reference_snippets_and_product_snippets_mark_the_searched_word(engines):
    library, reference, _ = engines
    request = SearchRequest(query="network")
    assert "<mark>" in library.search(request).results[0].snippet
    assert "<mark>" in reference.search(request)["results"][0]["snippet"]


def test_every_scenario_runs_at_a_tiny_size(tmp_path, capsys):
    assert main(["--size", "60", "--quick", "--work", str(tmp_path / "work"), "--out", str(tmp_path)]) == 0
    output = capsys.readouterr().out
    for scenario in (
        "Full build",
        "Nightly run",
        "Nothing changed",
        "Search median",
        "Web /search p95",
        "Load:",
        "Memory:",
    ):
        assert scenario in output
    figures = json.loads((tmp_path / "latest.json").read_text())["runs"][0]
    assert figures["web"]["errors"] == 0 and figures["load"]["errors"] == 0
    assert figures["load"]["requests"] == 40
