"""The web scenario alone, against a work folder `python -m bench` already built: latency, errors and memory.

python -m bench.server_memory bench/results/work/100000

Building 100,000 documents takes most of an hour on two cores, so the server's memory at that size can
be measured again without rebuilding. Like the full run's, its 1,600 URLs are fresh: distinct, and none
sent to the server before (its warm-up has URLs of its own).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from library.vocab import load_vocabularies

from .queries import fresh_sets
from .run import WEB_WARMUP, web_load


def main(work: Path) -> dict[str, object]:
    sets = fresh_sets(load_vocabularies(work / "corpus"), {"web_warmup": WEB_WARMUP, "web": 1600})
    return web_load(work / "index", work / "corpus", sets["web"], clients=16, warmup=sets["web_warmup"])


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/work/100000")), indent=2))
