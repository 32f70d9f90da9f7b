"""Run every scenario for the product, the SQLite FTS5 reference and tantivy; print a table and write JSON.

python -m bench --size 10000            # corpus sizes: 1000, 10000, 100000, or any
python -m bench --size 200 --quick      # the smoke run the tests use

Three engines answer the same documents by the same rules: the product; bench.reference, SQLite FTS5 as
someone who knows it would use it; and bench.tantivy_reference, tantivy (Rust) as an outside anchor.
Without tantivy installed the tantivy column is skipped, and the run says so.

Fresh by default. Every timed search is one no process of the run has been asked before: the search
scenario warms up on a set of its own and then times a disjoint, seeded set of distinct searches (the
product caches results per request, so none is answered from that cache); the web and load scenarios
request URLs that no server of the run has been sent (the server caches rendered pages per URL). Word-level
caches (the product's per-word postings, FTS5's and tantivy's page caches) are warm for words an earlier
search used, as in a server that has run for a while. No figure here is a cached one.

Build figures are wall seconds and CPU seconds. The product's indexer runs as a child process and forks
writer workers: its CPU seconds are the growth of this process's RUSAGE_CHILDREN over the run, which
counts the indexer and every worker it waited for (and the child's interpreter start and imports). The
references build in this process: their CPU seconds are process_time() over the build, every thread
included (tantivy indexes on several). Documents per second are per wall second of the build (for the
product, of the run as its report times it, without the interpreter's start).

The JSON (bench/results/latest.json) is {"machine": {...}, "started": "...", "runs": [figures, ...]}, one
figures object per corpus size:

    documents, generate_s, engines (the engines run), skipped ({engine: why}, when one was skipped),
    query_pool {"words", "stemmers"},
    full_build {"product": {wall_s, run_s, cpu_s, docs_per_s, peak_mb, peak_pss_mb},
                "fts5": {wall_s, cpu_s, docs_per_s}, "tantivy": {...},
                "ratios": {product_per_fts5_cpu, product_per_fts5_wall, product_per_fts5_speed, ...}},
    nightly_1pc {changed, added, deleted, "product": {wall_s, run_s, cpu_s, peak_mb, peak_pss_mb, share_of_full_build},
                 "fts5": {wall_s, cpu_s}, "tantivy": {...}, "ratios": {product_per_fts5_s, ...}},
    nothing_changed {"product": {wall_s, run_s, cpu_s, peak_mb, peak_pss_mb}, "fts5": {...}, "tantivy": {...}, "ratios": {...}},
    search {fresh: true, queries, warmup, distinct_words, browse,
            "product": {median_ms, p95_ms}, "fts5": {...}, "tantivy": {...},
            "ratios": {product_per_fts5_median, product_per_fts5_p95, product_per_fts5_per_query_median,
                       product_per_tantivy_median, ...},
            "agreement": {"fts5": searches with the product's total and facet counts, "tantivy": ...}},
    web {fresh: true, clients, requests, distinct_urls, with_filters, errors, requests_per_s, median_ms,
         p95_ms, max_ms, server_peak_mb, server_pss_mb, server_pss_file_mb},
    load {fresh: true, requests, distinct_urls, errors, seconds, requests_per_s, median_ms, p95_ms, p99_ms,
          max_ms, server_peak_mb, server_pss_mb, server_pss_file_mb}

A ratio named a_per_b is a's figure over b's: product_per_fts5_median 1.5 means the product's median
search took 1.5 times FTS5's; product_per_fts5_speed 0.25 means the product built a quarter as many
documents a second; product_per_fts5_cpu 6 means it spent six times the CPU seconds. The nightly and
nothing-changed ratios (_s) set the product's in-run seconds against a reference's wall seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from library.search import Library, SearchRequest, SearchResult
from library.vocab import Vocabularies, load_vocabularies

from .corpus import CorpusGenerator
from .queries import QueryPool, fresh_sets, query_pool
from .reference import Reference

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ENGINES = ("product", "fts5", "tantivy")
SEARCH_WARMUP = 20
WEB_WARMUP = 16


class ReferenceEngine(Protocol):
    """What the benchmark asks of a reference engine (bench.reference.Reference, the tantivy one)."""

    def index(self, corpus: Path) -> dict[str, int]: ...

    def search(self, request: SearchRequest) -> dict[str, object]: ...

    def close(self) -> None: ...


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_product_indexer(corpus: Path, index: Path, full: bool = False) -> dict[str, float]:
    """Run `coop-library index` in a child process; return wall, in-run and CPU seconds and peak memory.

    CPU seconds are the growth of RUSAGE_CHILDREN over the run: the indexer and every writer worker it
    forked and waited for (its interpreter start and imports included). Peak memory, sampled every 50 ms
    (sampled_memory): the largest peak resident size of the indexer or any of its workers (peak_mb) and the
    highest proportional set size of the indexer and its workers together (peak_pss_mb).
    """
    report = index.parent / "product-report.json"
    args = [sys.executable, "-m", "indexer", "index", "--corpus", str(corpus), "--index", str(index),
            "--report", str(report), "--quiet"] + (["--full"] if full else [])  # fmt: skip
    cpu_before = _cpu_children()
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with sampled_memory(process.pid) as memory:
        _, status, _ = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    cpu = _cpu_children() - cpu_before
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.stderr is not None  # opened with stderr=PIPE
    if process.returncode not in (0, 1):
        raise SystemExit(f"indexer failed ({process.returncode}): {process.stderr.read().decode()}")
    process.stderr.close()
    data = json.loads(report.read_text())
    return {
        "wall_s": wall,
        "run_s": data["finished"] - data["started"],
        "cpu_s": cpu,
        "peak_mb": memory["largest_mb"],
        "peak_pss_mb": memory["pss_mb"],
    }


@contextmanager
def sampled_memory(pid: int, every: float = 0.05) -> Iterator[dict[str, float]]:
    """Sample `pid` and its children while the block runs; yield the highest figures seen, in MB.

    {"pss_mb": the proportional set size of them all together, "largest_mb": the peak resident size of the
    largest one}. A process's peak resident size is its own high-water mark (VmHWM), read while it runs.
    The rusage wait4 returns would not do: Linux carries the high-water mark of the memory a child was
    forked or spawned from across its exec, so a child of a large process reports the parent's size.
    """
    peak = {"pss_mb": 0.0, "largest_mb": 0.0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(every):
            pss = 0.0
            for process in [pid, *child_processes(pid)]:
                memory = process_memory_mb(process)
                if memory is not None:
                    peak["largest_mb"] = max(peak["largest_mb"], memory[0])
                    pss += memory[1]
            peak["pss_mb"] = max(peak["pss_mb"], pss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


def process_memory_mb(pid: int) -> tuple[float, float, float] | None:
    """A process's peak resident size (VmHWM), proportional set size now and the part of it that is mapped
    files, in MB; None once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return None

    def kb(lines: list[str], name: str) -> float:
        return sum(int(line.split()[1]) / 1024 for line in lines if line.startswith(name + ":"))

    return kb(status, "VmHWM"), kb(rollup, "Pss"), kb(rollup, "Pss_File")


def timed(function: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - started, value


def build_in_process(reference: ReferenceEngine, corpus: Path) -> dict[str, float]:
    """A reference's build in this process: wall seconds and CPU seconds (every thread of the process)."""
    cpu_before = time.process_time()
    wall, _ = timed(reference.index, corpus)
    return {"wall_s": wall, "cpu_s": time.process_time() - cpu_before}


def tantivy_engine() -> tuple[Callable[[Path, Vocabularies], ReferenceEngine] | None, str]:
    """The tantivy reference's class, or None and why it cannot run."""
    try:
        from .tantivy_reference import TantivyReference
    except ImportError as exc:
        return None, f"tantivy is not installed ({exc}); `pip install tantivy==0.27.0` adds the column"
    return TantivyReference, ""


def _facet_counts(result: SearchResult) -> dict[str, dict[str, int]]:
    return {name: {v.value: v.count for v in values if v.count} for name, values in result.facets.items()}


def search_latency(
    library: Library, references: dict[str, ReferenceEngine], warmup: list[SearchRequest],
    queries: list[SearchRequest],
) -> dict[str, object]:  # fmt: skip
    """Each timed search once per engine, the engines interleaved (their order turning from search to search).

    The warm-up runs its own searches; the timed ones are distinct and none is a warm-up search, so the
    product answers none of them from its result cache. Milliseconds, their ratios, and how many searches
    each reference answered with the product's total and facet counts.
    """
    if len(set(queries)) != len(queries) or set(queries) & set(warmup):
        raise ValueError("timed searches must be distinct and not warm-up searches")
    engines: dict[str, Callable[[SearchRequest], Any]] = {"product": library.search}
    engines |= {name: reference.search for name, reference in references.items()}
    for request in warmup:
        for search in engines.values():
            search(request)
    names = list(engines)
    times: dict[str, list[float]] = {name: [] for name in names}
    agree = {name: 0 for name in references}
    for k, request in enumerate(queries):
        answers = {}
        for name in names[k % len(names) :] + names[: k % len(names)]:
            seconds, answers[name] = timed(engines[name], request)
            times[name].append(seconds * 1000)
        product = answers["product"]
        for name in references:
            same = answers[name]["total"] == product.total and answers[name]["facets"] == _facet_counts(product)
            agree[name] += same
    words = {w for q in queries for w in q.query.lower().split()}
    figures: dict[str, object] = {
        "fresh": True, "queries": len(queries), "warmup": len(warmup), "distinct_words": len(words),
        "browse": sum(1 for q in queries if not q.query),
    }  # fmt: skip
    for name in names:
        figures[name] = {"median_ms": statistics.median(times[name]), "p95_ms": percentile(times[name], 0.95)}
    ratios = {}
    for name in references:
        ratios[f"product_per_{name}_median"] = statistics.median(times["product"]) / statistics.median(times[name])
        ratios[f"product_per_{name}_p95"] = percentile(times["product"], 0.95) / percentile(times[name], 0.95)
        ratios[f"product_per_{name}_per_query_median"] = statistics.median(
            p / r for p, r in zip(times["product"], times[name], strict=True)
        )
    figures["ratios"] = ratios
    figures["agreement"] = agree
    return figures


@contextmanager
def serving(index: Path, corpus: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`coop-library serve` on a free port of 127.0.0.1: (base URL, process), stopped afterwards."""
    from tests.browser import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "indexer", "serve", "--index", str(index), "--corpus", str(corpus), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=10)


def _fetch(url: str) -> tuple[float, bool]:
    """Milliseconds to fetch a URL in full, and whether it answered 200."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            ok = response.status == 200
    except OSError:
        ok = False
    return (time.perf_counter() - started) * 1000, ok


def _run_clients(
    count: int, client: Callable[[int, Callable[[float, bool], None]], None]
) -> tuple[list[float], int, float]:
    """Run `count` client threads; each calls back with every request's milliseconds and success.

    Returns the latencies, the number of failed requests and the seconds the clients took.
    """
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def fetched(milliseconds: float, ok: bool) -> None:
        with lock:
            latencies.append(milliseconds)
            errors[0] += 0 if ok else 1

    threads = [threading.Thread(target=client, args=(n, fetched)) for n in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - started


def _search_url(request: SearchRequest) -> str:
    return "/search?" + urllib.parse.urlencode(_params(request), doseq=True)


def _filtered(request: SearchRequest) -> bool:
    return (
        any(getattr(request, name) for name in ("theme", "council", "type", "region")) or request.year_from is not None
    )


def web_load(
    index: Path,
    corpus: Path,
    queries: list[SearchRequest],
    clients: int,
    warmup: list[SearchRequest] | None = None,
    profile: Callable[[int], dict[str, object]] | None = None,
) -> dict[str, object]:
    """`coop-library serve` on 127.0.0.1, `clients` threads sending every query's /search page once; latency,
    errors, memory (and `profile(server pid)`'s figures, when given, taken after the last request).

    Fresh: every URL is distinct and none was requested before (the warm-up has URLs of its own), so no
    page comes from the server's cache of rendered pages.
    """
    urls = [_search_url(q) for q in queries]
    warm = [_search_url(q) for q in warmup or []]
    if len(set(urls)) != len(urls) or set(urls) & set(warm):
        raise ValueError("web URLs must be distinct and not warm-up URLs")
    with serving(index, corpus) as (base, server):
        for url in warm:
            _fetch(base + url)
        per_client = math.ceil(len(urls) / clients)

        def client(number: int, fetched: Callable[[float, bool], None]) -> None:
            for url in urls[number * per_client : (number + 1) * per_client]:
                fetched(*_fetch(base + url))

        latencies, errors, elapsed = _run_clients(clients, client)
        memory: dict[str, object] = {**server_memory_mb(server.pid)}
        if profile is not None:
            memory["profile"] = profile(server.pid)
    return {
        "fresh": True, "clients": clients, "requests": len(latencies), "distinct_urls": len(set(urls)),
        "with_filters": sum(map(_filtered, queries)), "errors": errors, "requests_per_s": len(latencies) / elapsed,
        "median_ms": statistics.median(latencies), "p95_ms": percentile(latencies, 0.95), "max_ms": max(latencies),
        **memory,
    }  # fmt: skip


def load_urls(corpus: Path, queries: list[SearchRequest], total: int, seed: int = 11) -> list[str]:
    """`total` distinct URLs of every kind of page: for each query a search page, its second page through the
    API and a document page, a feed for one query in ten and a CSV export of every result for one in twenty.

    Document pages are drawn without repeats; when the corpus has no document left to show, the mix goes on
    without document pages rather than repeat one.
    """
    doc_ids = sorted(
        p.relative_to(corpus).with_suffix("").as_posix() for p in corpus.rglob("*.md") if p.parent != corpus
    )
    random.Random(seed).shuffle(doc_ids)
    mix: list[str] = []
    for k, query in enumerate(queries):
        params = urllib.parse.urlencode(_params(query), doseq=True)
        mix += [f"/search?{params}", f"/api/search?{params}&page=2"]
        mix += [f"/doc/{doc_ids[k]}"] if k < len(doc_ids) else []
        mix += [f"/search.atom?{params}"] if k % 10 == 0 else [f"/search.csv?{params}"] if k % 20 == 1 else []
        if len(mix) >= total:
            break
    if len(mix) < total:
        raise ValueError(f"{len(queries)} searches make only {len(mix)} distinct URLs, not {total}")
    return mix[:total]


def load_test(
    index: Path, corpus: Path, queries: list[SearchRequest], seconds: float, rate: float
) -> dict[str, object]:
    """A bounded, paced load on every kind of page: `rate` requests a second for `seconds`, on 127.0.0.1 only.

    Unlike `web_load`, which sends searches as fast as the server answers, this sends a steady mix at a
    fixed rate, as a busy day would (see `load_urls`), every URL distinct and new to the server. It reports
    how long each request took and whether any failed.
    """
    total = int(seconds * rate)
    mix = load_urls(corpus, queries, total)
    with serving(index, corpus) as (base, server):
        clients = 8
        started = time.perf_counter()

        def client(number: int, fetched: Callable[[float, bool], None]) -> None:
            for k in range(number, total, clients):
                wait = started + k / rate - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                fetched(*_fetch(base + mix[k]))

        latencies, errors, elapsed = _run_clients(clients, client)
        memory = server_memory_mb(server.pid)
    return {
        "fresh": True, "requests": len(latencies), "distinct_urls": len(set(mix)), "errors": errors,
        "seconds": elapsed, "requests_per_s": len(latencies) / elapsed, "median_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 0.95), "p99_ms": percentile(latencies, 0.99), "max_ms": max(latencies),
        **memory,
    }  # fmt: skip


def _params(request: SearchRequest) -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = [("q", request.query)]
    for name in ("theme", "council", "type", "region"):
        pairs += [(name, v) for v in getattr(request, name)]
    if request.year_from is not None:
        pairs += [("from", request.year_from), ("to", request.year_to)]
    return pairs


def server_memory_mb(pid: int) -> dict[str, float]:
    """A server's memory, master and workers together, in MB: peak resident and proportional set size now.

    Summing each process's resident size counts twice the pages a worker still shares with the master
    it was forked from; the proportional set size (PSS) divides each shared page among the processes
    sharing it, so its sum is what the server as a whole holds.

    The PSS of mapped files (the postings arrays) is also given on its own: those pages are the kernel's
    page cache, shared by every worker, and dropped under memory pressure and read again when needed.
    """
    peak = pss = mapped = 0.0
    for process in [pid, *child_processes(pid)]:
        memory = process_memory_mb(process)
        if memory is not None:
            peak, pss, mapped = peak + memory[0], pss + memory[1], mapped + memory[2]
    return {"server_peak_mb": peak, "server_pss_mb": pss, "server_pss_file_mb": mapped}


def child_processes(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (a gunicorn master's workers, an indexer's writer workers)."""
    try:  # the kernel's own list, one small file a thread, where it keeps one
        return [int(c) for t in Path(f"/proc/{pid}/task").iterdir() for c in (t / "children").read_text().split()]
    except OSError:
        pass
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def query_sets(
    pool: QueryPool, vocab: Vocabularies, query_count: int, web_requests: int, load_total: int
) -> dict[str, list[SearchRequest]]:
    """The run's disjoint sets of distinct searches: warm-ups, timed searches, web and load."""
    sizes = {
        "search_warmup": SEARCH_WARMUP, "search": query_count, "web_warmup": WEB_WARMUP, "web": web_requests,
        "load": load_total // 2 + 1,  # each search brings two or more URLs to the load test's mix
    }  # fmt: skip
    return fresh_sets(vocab, sizes, pool=pool)


def _ratios(figures: dict[str, dict[str, float]], key: str, suffix: str, product_key: str = "") -> dict[str, float]:
    """The product's figure over each reference's (`product_key`: the product's figure to use, if not `key`)."""
    return {
        f"product_per_{name}_{suffix}": figures["product"][product_key or key] / figures[name][key]
        for name in figures
        if name != "product" and figures[name][key]
    }


def run(
    size: int, work: Path, clients: int = 16, web_requests: int = 1600, query_count: int = 220,
    load_seconds: float = 60, load_rate: float = 50,
) -> dict[str, Any]:  # fmt: skip
    """Every scenario at one corpus size; returns the figures."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    corpus, index = work / "corpus", work / "index"
    generator = CorpusGenerator()
    generated, _ = timed(generator.write, corpus, size)
    vocab = load_vocabularies(corpus)
    figures: dict[str, Any] = {"documents": size, "generate_s": generated}
    tantivy_class, why = tantivy_engine()
    if tantivy_class is None:
        figures["skipped"] = {"tantivy": why}
        print(f"tantivy column skipped: {why}", flush=True)
    references: dict[str, ReferenceEngine] = {"fts5": Reference(work / "reference.sqlite", vocab)}
    if tantivy_class is not None:
        references["tantivy"] = tantivy_class(work / "tantivy", vocab)
    figures["engines"] = ["product", *references]

    product = run_product_indexer(corpus, index, full=True)
    builds: dict[str, dict[str, float]] = {"product": {**product, "docs_per_s": size / product["run_s"]}}
    for name, reference in references.items():
        built = build_in_process(reference, corpus)
        builds[name] = {**built, "docs_per_s": size / built["wall_s"]}
    figures["full_build"] = {
        **builds,
        "ratios": {
            **_ratios(builds, "cpu_s", "cpu"), **_ratios(builds, "wall_s", "wall"),
            **_ratios(builds, "docs_per_s", "speed"),
        },
    }  # fmt: skip

    changes = generator.nightly_change(corpus, size)
    nightly = run_product_indexer(corpus, index)
    runs: dict[str, dict[str, float]] = {
        "product": {**nightly, "share_of_full_build": nightly["run_s"] / product["run_s"]}
    }
    runs |= {name: build_in_process(reference, corpus) for name, reference in references.items()}
    figures["nightly_1pc"] = {**changes, **runs, "ratios": _ratios(runs, "wall_s", "s", product_key="run_s")}

    unchanged = run_product_indexer(corpus, index)
    idle: dict[str, dict[str, float]] = {"product": unchanged}
    idle |= {name: build_in_process(reference, corpus) for name, reference in references.items()}
    figures["nothing_changed"] = {**idle, "ratios": _ratios(idle, "wall_s", "s", product_key="run_s")}

    pool = query_pool(vocab)
    figures["query_pool"] = {"words": len(pool.words), "stemmers": list(pool.stemmers)}
    sets = query_sets(pool, vocab, query_count, web_requests, int(load_seconds * load_rate))
    library = Library(index, vocab)
    try:
        figures["search"] = search_latency(library, references, sets["search_warmup"], sets["search"])
    finally:
        library.close()
        for reference in references.values():
            reference.close()
    figures["web"] = web_load(index, corpus, sets["web"], clients, sets["web_warmup"])
    figures["load"] = load_test(index, corpus, sets["load"], load_seconds, load_rate)
    return figures


def machine() -> dict[str, object]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine()}  # fmt: skip


def _cells(figures: dict[str, Any], show: Callable[[dict[str, float]], str]) -> list[str]:
    return [show(figures[name]) if name in figures else "–" for name in ENGINES]


def _ratio_cells(figures: dict[str, Any], key: str, unit: str = "×", product_key: str = "") -> list[str]:
    """The product's figure over each reference's (`product_key`: the product's figure to use, if not `key`)."""
    product = figures["product"][product_key or key]
    cells = []
    for name in ENGINES[1:]:
        other = figures.get(name, {}).get(key)
        cells.append(f"{product / other:.2f}{unit}" if other else "–")
    return cells


def _seconds(engine: dict[str, float]) -> str:
    """An engine's seconds for a run: the product's in run and in all (with its interpreter's start), a reference's."""
    if "run_s" in engine:
        return f"{engine['run_s']:.2f} / {engine['wall_s']:.2f}"
    return f"{engine['wall_s']:.2f}"


def table(figures: dict[str, Any]) -> str:
    f = figures
    b, n, u, s, w, ld = f["full_build"], f["nightly_1pc"], f["nothing_changed"], f["search"], f["web"], f["load"]
    rows = [
        ("Full build, documents/s", *_cells(b, lambda e: f"{e['docs_per_s']:.0f}"),
         *_ratio_cells(b, "docs_per_s"), "≥ 0.3× FTS5"),
        ("Full build, wall s / CPU s", *_cells(b, lambda e: f"{e['wall_s']:.1f} / {e['cpu_s']:.1f}"),
         *(f"{c} CPU" if c != "–" else c for c in _ratio_cells(b, "cpu_s")), "CPU ≤ 3× FTS5"),
        ("Nightly run, 1% changed, s (product: in run / wall)", *_cells(n, _seconds), *_ratio_cells(n, "wall_s", product_key="run_s"),
         f"< 5% of full build (now {n['product']['share_of_full_build'] * 100:.1f}%)"),
        ("Nothing changed, s (product: in run / wall)", *_cells(u, _seconds),
         *_ratio_cells(u, "wall_s", product_key="run_s"), "< 2 s"),
        (f"Search median, {s['queries']} fresh searches (ms)", *_cells(s, lambda e: f"{e['median_ms']:.1f}"),
         *_ratio_cells(s, "median_ms"), "≤ 1× FTS5, ≤ 2.5× tantivy"),
        ("Search p95, fresh (ms)", *_cells(s, lambda e: f"{e['p95_ms']:.1f}"), *_ratio_cells(s, "p95_ms"),
         "≤ 1× FTS5, ≤ 2.5× tantivy"),
        ("Same totals and facets as the product", f"{s['queries']} searches",
         *(f"{s['agreement'][name]}" if name in s["agreement"] else "–" for name in ENGINES[1:]), "–", "–",
         "all"),
        (f"Web /search, {w['clients']} clients, {w['distinct_urls']} fresh URLs: p50 / p95 / max (ms)",
         f"{w['median_ms']:.0f} / {w['p95_ms']:.0f} / {w['max_ms']:.0f}", "–", "–", "–", "–",
         "p95 < 200 ms, 0 errors"),
        ("Web requests/s / errors", f"{w['requests_per_s']:.0f} / {w['errors']}", "–", "–", "–", "–", ""),
        (f"Load: {ld['requests']} fresh requests in {ld['seconds']:.0f} s, median / p95 / p99 (ms)",
         f"{ld['median_ms']:.0f} / {ld['p95_ms']:.0f} / {ld['p99_ms']:.0f}", "–", "–", "–", "–", "0 errors"),
        ("Load: errors / slowest (ms)", f"{ld['errors']} / {ld['max_ms']:.0f}", "–", "–", "–", "–", ""),
        ("Memory: indexer peak PSS, all processes: build / nightly / nothing changed (MB)",
         " / ".join(f"{run['product']['peak_pss_mb']:.0f}" for run in (b, n, u)),
         "–", "–", "–", "–", "< 1 GB at 100k"),
        ("Memory: indexer largest process peak RSS / server PSS / server peak RSS (MB)",
         f"{b['product']['peak_mb']:.0f} / {w['server_pss_mb']:.0f} / {w['server_peak_mb']:.0f}",
         "–", "–", "–", "–", "server PSS < 500 MB at 100k"),
    ]  # fmt: skip
    header = ("Scenario", "Product", "FTS5", "tantivy", "Product/FTS5", "Product/tantivy", "Target")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in [header, *rows]]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--size", type=int, action="append", help="corpus size (repeat for several); default 1000 and 10000"
    )
    parser.add_argument("--work", type=Path, default=RESULTS / "work", help="scratch folder for corpora and indexes")
    parser.add_argument("--quick", action="store_true", help="few queries and web requests: a smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON results")
    args = parser.parse_args(argv)
    sizes = args.size or [1000, 10000]
    runs: list[dict[str, object]] = []
    host = machine()
    results = {"machine": host, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "runs": runs}
    for size in sizes:
        kwargs = (
            {"web_requests": 64, "query_count": 30, "clients": 4, "load_seconds": 2, "load_rate": 20}
            if args.quick
            else {}
        )
        figures = run(size, args.work / str(size), **kwargs)
        runs.append(figures)
        print(f"\n{size:,} documents on {host['cpus']} CPUs, Python {host['python']}")
        if "skipped" in figures:
            for name, why in figures["skipped"].items():
                print(f"{name} column skipped: {why}")
        print(table(figures), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "latest.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nFigures written to {out}")
    return 0
