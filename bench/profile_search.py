"""Where a search's time goes: cProfile over fresh benchmark searches against an index built by `python -m bench`.

python -m bench.profile_search bench/results/work/10000

The profiled searches are distinct and none is a warm-up search, so none is answered from the result cache.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
from pathlib import Path

from library.search import Library
from library.vocab import load_vocabularies

from .queries import fresh_sets
from .run import SEARCH_WARMUP


def profile(work: Path, limit: int = 25) -> str:
    vocab = load_vocabularies(work / "corpus")
    library = Library(work / "index", vocab)
    sets = fresh_sets(vocab, {"warmup": SEARCH_WARMUP, "profiled": 220})
    try:
        for request in sets["warmup"]:
            library.search(request)
        profiler = cProfile.Profile()
        profiler.enable()
        for request in sets["profiled"]:
            library.search(request)
        profiler.disable()
    finally:
        library.close()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sys.argv[2] if len(sys.argv) > 2 else "cumulative").print_stats(limit)
    return out.getvalue()


if __name__ == "__main__":
    print(profile(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/work/10000")))
