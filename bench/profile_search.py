"""Where a search's time goes: cProfile over the benchmark queries against an index built by `python -m bench`.

python -m bench.profile_search bench/results/work/10000
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
from pathlib import Path

from library.search import Library
from library.vocab import load_vocabularies

from .queries import bench_queries


def profile(work: Path, limit: int = 25) -> str:
    vocab = load_vocabularies(work / "corpus")
    library = Library(work / "index", vocab)
    queries = bench_queries(vocab)
    try:
        for request in queries[:10]:
            library.search(request)
        profiler = cProfile.Profile()
        profiler.enable()
        for request in queries:
            library.search(request)
        profiler.disable()
    finally:
        library.close()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


if __name__ == "__main__":
    print(profile(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/work/10000")))
