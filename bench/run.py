"""Run every scenario for the product and the SQLite FTS5 reference, print a table and write JSON.

python -m bench --size 10000            # corpus sizes: 1000, 10000, 100000, or any
python -m bench --size 200 --quick      # the smoke run the tests use
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
from dataclasses import replace
from pathlib import Path

from library.search import Library, SearchRequest
from library.vocab import load_vocabularies

from .corpus import CorpusGenerator
from .queries import bench_queries
from .reference import Reference

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_product_indexer(corpus: Path, index: Path, full: bool = False) -> dict[str, float]:
    """Run `coop-library index` in a child process; return wall and in-run seconds and peak memory."""
    report = index.parent / "product-report.json"
    args = [sys.executable, "-m", "indexer", "index", "--corpus", str(corpus), "--index", str(index),
            "--report", str(report), "--quiet"] + (["--full"] if full else [])  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.stderr is not None  # opened with stderr=PIPE
    if process.returncode not in (0, 1):
        raise SystemExit(f"indexer failed ({process.returncode}): {process.stderr.read().decode()}")
    process.stderr.close()
    data = json.loads(report.read_text())
    return {"wall_s": wall, "run_s": data["finished"] - data["started"], "peak_mb": usage.ru_maxrss / 1024}


def timed(function, *args):
    started = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - started, value


def search_latency(library: Library, reference: Reference, queries: list[SearchRequest]) -> dict[str, object]:
    """Each query once per engine, interleaved, after a warm-up; milliseconds and per-pair ratios.

    The warm-up asks for second pages, so no timed search is answered from the product's result cache.
    """
    for request in queries[:10]:
        library.search(replace(request, page=2)), reference.search(replace(request, page=2))
    product_ms, reference_ms, ratios = [], [], []
    for request in queries:
        p, _ = timed(library.search, request)
        r, _ = timed(reference.search, request)
        product_ms.append(p * 1000)
        reference_ms.append(r * 1000)
        ratios.append(p / r)
    return {
        "queries": len(queries),
        "product_median_ms": statistics.median(product_ms), "product_p95_ms": percentile(product_ms, 0.95),
        "reference_median_ms": statistics.median(reference_ms), "reference_p95_ms": percentile(reference_ms, 0.95),
        "median_ratio_per_query": statistics.median(ratios),
    }  # fmt: skip


@contextmanager
def serving(index: Path, corpus: Path) -> Iterator[tuple[str, subprocess.Popen]]:
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


def web_load(index: Path, corpus: Path, queries: list[SearchRequest], clients: int, requests: int) -> dict[str, float]:
    """`coop-library serve` on 127.0.0.1 with `clients` threads each sending searches; latency, errors, memory."""
    with serving(index, corpus) as (base, server):
        urls = [base + "/search?" + urllib.parse.urlencode(_params(q), doseq=True) for q in queries]
        for url in urls[:10]:
            urllib.request.urlopen(url, timeout=30).read()
        per_client = requests // clients

        def client(number: int, fetched: Callable[[float, bool], None]) -> None:
            for k in range(per_client):
                fetched(*_fetch(urls[(number * per_client + k) % len(urls)]))

        latencies, errors, elapsed = _run_clients(clients, client)
        memory = server_memory_mb(server.pid)
    return {
        "clients": clients, "requests": len(latencies), "errors": errors,
        "requests_per_s": len(latencies) / elapsed, "median_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 0.95), **memory,
    }  # fmt: skip


def load_test(index: Path, corpus: Path, queries: list[SearchRequest], seconds: float, rate: float) -> dict[str, float]:
    """A bounded, paced load on every kind of page: `rate` requests a second for `seconds`, on 127.0.0.1 only.

    Unlike `web_load`, which sends searches as fast as the server answers, this sends a steady mix at a
    fixed rate, as a busy day would: for each query a search page, a second page through the API and a
    document page, a feed for one query in ten and a CSV export of every result for one in twenty. It
    reports how long each request took and whether any failed.
    """
    doc_ids = sorted(p.relative_to(corpus).with_suffix("").as_posix() for p in corpus.rglob("*.md"))[:200]
    with serving(index, corpus) as (base, server):
        searches = [urllib.parse.urlencode(_params(q), doseq=True) for q in queries]
        mix = []
        for k, query in enumerate(searches):
            mix += [f"/search?{query}", f"/api/search?{query}&page=2", f"/doc/{doc_ids[k % len(doc_ids)]}"]
            mix += [f"/search.atom?{query}"] if k % 10 == 0 else [f"/search.csv?{query}"] if k % 20 == 1 else []
        total = int(seconds * rate)
        clients = 8
        started = time.perf_counter()

        def client(number: int, fetched: Callable[[float, bool], None]) -> None:
            for k in range(number, total, clients):
                wait = started + k / rate - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                fetched(*_fetch(base + mix[k % len(mix)]))

        latencies, errors, elapsed = _run_clients(clients, client)
        memory = server_memory_mb(server.pid)
    return {
        "requests": len(latencies), "errors": errors, "seconds": elapsed, "requests_per_s": len(latencies) / elapsed,
        "median_ms": statistics.median(latencies), "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99), "max_ms": max(latencies), **memory,
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
    """
    peak = pss = 0.0
    for process in [pid, *child_processes(pid)]:
        try:
            status = Path(f"/proc/{process}/status").read_text().splitlines()
            rollup = Path(f"/proc/{process}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        peak += sum(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
        pss += sum(int(line.split()[1]) / 1024 for line in rollup if line.startswith("Pss:"))
    return {"server_peak_mb": peak, "server_pss_mb": pss}


def child_processes(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (a gunicorn master's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def run(
    size: int, work: Path, clients: int = 16, web_requests: int = 1600, query_count: int = 220,
    load_seconds: float = 60, load_rate: float = 50,
) -> dict:  # fmt: skip
    """Every scenario at one corpus size; returns the figures."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    corpus, index, database = work / "corpus", work / "index", work / "reference.sqlite"
    generator = CorpusGenerator()
    generated, _ = timed(generator.write, corpus, size)
    vocab = load_vocabularies(corpus)
    figures: dict[str, object] = {"documents": size, "generate_s": generated}

    product = run_product_indexer(corpus, index, full=True)
    reference = Reference(database, vocab)
    reference_s, _ = timed(reference.index, corpus)
    figures["full_build"] = {
        "product_docs_per_s": size / product["run_s"], "reference_docs_per_s": size / reference_s,
        "ratio": reference_s / product["run_s"], "product_s": product["run_s"], "product_wall_s": product["wall_s"],
        "reference_s": reference_s, "indexer_peak_mb": product["peak_mb"],
    }  # fmt: skip

    changes = generator.nightly_change(corpus, size)
    nightly = run_product_indexer(corpus, index)
    reference_nightly, _ = timed(reference.index, corpus)
    figures["nightly_1pc"] = {
        **changes, "product_s": nightly["run_s"], "product_wall_s": nightly["wall_s"],
        "reference_s": reference_nightly, "ratio": nightly["run_s"] / reference_nightly,
        "share_of_full_build": nightly["run_s"] / product["run_s"], "indexer_peak_mb": nightly["peak_mb"],
    }  # fmt: skip

    unchanged = run_product_indexer(corpus, index)
    reference_unchanged, _ = timed(reference.index, corpus)
    figures["nothing_changed"] = {
        "product_s": unchanged["run_s"], "product_wall_s": unchanged["wall_s"], "reference_s": reference_unchanged,
        "ratio": unchanged["run_s"] / reference_unchanged,
    }  # fmt: skip

    queries = bench_queries(vocab, query_count)
    library = Library(index, vocab)
    try:
        figures["search"] = search_latency(library, reference, queries)
    finally:
        library.close()
        reference.close()
    figures["web"] = web_load(index, corpus, queries, clients, web_requests)
    figures["load"] = load_test(index, corpus, queries, load_seconds, load_rate)
    return figures


def machine() -> dict[str, object]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine()}  # fmt: skip


def table(figures: dict) -> str:
    f = figures
    b, n, u, s, w, ld = f["full_build"], f["nightly_1pc"], f["nothing_changed"], f["search"], f["web"], f["load"]
    rows = [
        ("Full build, documents/s", f"{b['product_docs_per_s']:.0f}", f"{b['reference_docs_per_s']:.0f}",
         f"{b['ratio']:.2f}×", "≥ 0.2×"),
        ("Nightly run, 1% changed (s)", f"{n['product_s']:.2f}", f"{n['reference_s']:.2f}",
         f"{n['share_of_full_build'] * 100:.1f}% of full", "< 5% of full build"),
        ("Nothing changed (s, in run / wall)", f"{u['product_s']:.2f} / {u['product_wall_s']:.2f}",
         f"{u['reference_s']:.2f}", f"{u['ratio']:.1f}×", "< 2 s"),
        ("Search median (ms)", f"{s['product_median_ms']:.1f}", f"{s['reference_median_ms']:.1f}",
         f"{s['product_median_ms'] / s['reference_median_ms']:.2f}×", "≤ 1×"),
        ("Search p95 (ms)", f"{s['product_p95_ms']:.1f}", f"{s['reference_p95_ms']:.1f}",
         f"{s['product_p95_ms'] / s['reference_p95_ms']:.2f}×", "≤ 1×"),
        (f"Web /search p95, {w['clients']} clients (ms)", f"{w['p95_ms']:.0f}", "–", "–", "< 200 ms, 0 errors"),
        ("Web median (ms) / requests/s / errors", f"{w['median_ms']:.0f} / {w['requests_per_s']:.0f} / {w['errors']}",
         "–", "–", ""),
        (f"Load: {ld['requests']} requests in {ld['seconds']:.0f} s, median / p95 / p99 (ms)",
         f"{ld['median_ms']:.0f} / {ld['p95_ms']:.0f} / {ld['p99_ms']:.0f}", "–", "–", "0 errors"),
        ("Load: errors / slowest (ms)", f"{ld['errors']} / {ld['max_ms']:.0f}", "–", "–", ""),
        ("Memory: indexer peak / server PSS / server peak RSS (MB)",
         f"{b['indexer_peak_mb']:.0f} / {w['server_pss_mb']:.0f} / {w['server_peak_mb']:.0f}", "–", "–",
         "server < 500 MB at 100k"),
    ]  # fmt: skip
    header = ("Scenario", "Product", "FTS5 reference", "Ratio", "Target")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    lines = [" | ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)) for r in [header, *rows]]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
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
        print(table(figures), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "latest.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nFigures written to {out}")
    return 0
