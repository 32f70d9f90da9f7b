"""The web scenario alone, against a work folder `python -m bench` already built: latency, errors and memory.

python -m bench.server_memory bench/results/work/100000

Building 100,000 documents takes most of an hour on two cores, so the server's memory at that size can
be measured again without rebuilding.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from library.vocab import load_vocabularies

from .queries import bench_queries
from .run import web_load


def main(work: Path) -> dict[str, float]:
    queries = bench_queries(load_vocabularies(work / "corpus"))
    return web_load(work / "index", work / "corpus", queries, clients=16, requests=1600)


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/work/100000")), indent=2))
