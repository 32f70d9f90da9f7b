"""The benchmark cannot rot: every scenario runs at a tiny size, its searches are fresh, and it runs without tantivy.

That the references count what the product counts is tests/test_bench_references.py's.
"""

from __future__ import annotations

import json
import sys

from bench.corpus import CorpusGenerator
from bench.queries import analysers, bench_queries, fresh_sets
from bench.run import ENGINES, load_urls, main, run_product_indexer, table, tantivy_engine
from indexer import run_indexer


def test_the_generator_is_deterministic_and_writes_the_real_format(tmp_path):
    first, second = CorpusGenerator(seed=5), CorpusGenerator(seed=5)
    assert first.document(17) == second.document(17)
    assert first.document(17) != first.document(17, revision=1)
    report = run_indexer(first.write(tmp_path / "corpus", 30), tmp_path / "index")
    assert report.documents == 30 and not report.failed


def test_searches_are_seeded_distinct_and_the_sets_disjoint(vocab):
    assert bench_queries(vocab, 50) == bench_queries(vocab, 50)
    sets = fresh_sets(vocab, {"warmup": 20, "timed": 300, "web": 400})
    everything = [request for requests in sets.values() for request in requests]
    assert [len(s) for s in sets.values()] == [20, 300, 400]
    assert len(set(everything)) == len(everything)  # so no timed request was ever asked before in its process
    assert sum(1 for r in everything if not r.query) >= 30  # browsing, each with filters of its own
    assert sum(1 for r in everything if r.theme or r.council or r.type or r.region or r.year_from) > 200


def test_the_load_test_never_repeats_a_url(tmp_path, vocab):
    corpus = CorpusGenerator(seed=5).write(tmp_path / "corpus", 40)
    urls = load_urls(corpus, bench_queries(vocab, 60), 150)
    assert len(urls) == len(set(urls)) == 150
    assert sum(u.startswith("/doc/") for u in urls) == 40  # every document once, then no more document pages
    assert any(u.startswith("/search.atom") for u in urls) and any(u.startswith("/search.csv") for u in urls)


def test_the_indexers_cpu_seconds_are_counted(tmp_path):
    corpus = CorpusGenerator(seed=5).write(tmp_path / "corpus", 30)
    figures = run_product_indexer(corpus, tmp_path / "index", full=True)
    assert 0 < figures["run_s"] <= figures["wall_s"]
    assert figures["cpu_s"] > 0 and figures["peak_mb"] > 0
    assert figures["peak_pss_mb"] > 0  # sampled while the indexer ran: its interpreter alone takes a few MB


def test_without_tantivy_the_run_says_the_column_is_skipped(monkeypatch):
    monkeypatch.setitem(sys.modules, "tantivy", None)  # import tantivy now raises ImportError
    monkeypatch.delitem(sys.modules, "bench.tantivy_reference", raising=False)
    engine, why = tantivy_engine()
    assert engine is None and "tantivy is not installed" in why
    assert list(analysers()) == ["product", "fts5"]


def test_every_scenario_runs_at_a_tiny_size(tmp_path, capsys):
    assert main(["--size", "60", "--quick", "--work", str(tmp_path / "work"), "--out", str(tmp_path)]) == 0
    output = capsys.readouterr().out
    for scenario in (
        "Full build, documents/s",
        "Full build, wall s / CPU s",
        "Nightly run",
        "Nothing changed",
        "Search median",
        "Search p95",
        "Same totals and facets",
        "Web /search",
        "Load:",
        "Memory:",
    ):
        assert scenario in output
    figures = json.loads((tmp_path / "latest.json").read_text())["runs"][0]
    assert figures["engines"] == list(ENGINES)
    for engine in ENGINES:
        assert figures["full_build"][engine]["cpu_s"] > 0 and figures["full_build"][engine]["wall_s"] > 0
        assert figures["search"][engine]["median_ms"] > 0
    search = figures["search"]
    assert search["fresh"] and search["agreement"] == {"fts5": search["queries"], "tantivy": search["queries"]}
    assert {"product_per_fts5_median", "product_per_tantivy_p95"} <= set(search["ratios"])
    web, load = figures["web"], figures["load"]
    assert web["errors"] == 0 and load["errors"] == 0
    assert web["distinct_urls"] == web["requests"] == 64
    assert load["distinct_urls"] == load["requests"] == 40
    # The table is drawn without the tantivy column's figures as well (a run where tantivy was skipped).
    for scenario in ("full_build", "nightly_1pc", "nothing_changed", "search"):
        del figures[scenario]["tantivy"]
    del figures["search"]["agreement"]["tantivy"]
    assert "–" in table(figures)


def test_the_server_memory_profile_says_which_arrays_searches_brought_in(tmp_path):
    from bench.run import _fetch, serving
    from bench.server_memory import profile

    corpus = CorpusGenerator(seed=5).write(tmp_path / "corpus", 60)
    run_indexer(corpus, tmp_path / "index")
    with serving(tmp_path / "index", corpus) as (base, server):
        title = CorpusGenerator(seed=5).document(3)[1].split("\n")[1]  # title: "Real Wants Activities ..."
        words = title.split('"')[1].lower().split()[:2]
        assert all(_fetch(f"{base}/search?q={word}")[1] for word in words)
        figures = profile(server.pid)
    assert len(figures["processes"]) >= 2 and all(p["Pss"] > 0 for p in figures["processes"])
    assert {"docs", "weights"} <= set(figures["arrays_mb"])  # the searched words' postings, by kind of array
