"""The web scenario alone, against a work folder `python -m bench` already built: latency, errors and memory.

python -m bench.server_memory bench/results/work/100000

Building 100,000 documents takes most of an hour on two cores, so the server's memory at that size can
be measured again without rebuilding. Like the full run's, its 1,600 URLs are fresh: distinct, and none
sent to the server before (its warm-up has URLs of its own).

Besides the server's totals it prints where the memory is (`profile`): each process's proportional set
size split into mapped files and the rest, and, for the postings arrays files the processes map, how many
megabytes of each kind of array the searches have brought in (pages any server process has mapped,
counted once however many share them), read from the kernel's page map.
"""

from __future__ import annotations

import json
import struct
import sys
from collections import Counter
from pathlib import Path

from library.engine import engine
from library.vocab import load_vocabularies

from .queries import fresh_sets
from .run import WEB_WARMUP, child_processes, web_load

PAGE = 4096
_PRESENT = 1 << 63


def main(work: Path) -> dict[str, object]:
    sets = fresh_sets(load_vocabularies(work / "corpus"), {"web_warmup": WEB_WARMUP, "web": 1600})
    return web_load(
        work / "index", work / "corpus", sets["web"], clients=16, warmup=sets["web_warmup"], profile=profile
    )


def profile(pid: int) -> dict[str, object]:
    """Where a server's memory is: per process, its PSS in MB (mapped files apart), and the arrays' pages in use."""
    processes = [pid, *child_processes(pid)]
    return {"processes": [_rollup(p) for p in processes], "arrays_mb": arrays_in_use(processes)}


def _rollup(pid: int) -> dict[str, float]:
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return {}
    wanted = {"Pss", "Pss_File", "Pss_Anon", "Private_Dirty", "Shared_Dirty", "Shared_Clean"}
    return {
        (parts := line.split())[0].rstrip(":"): int(parts[1]) / 1024 for line in lines if line.split(":")[0] in wanted
    }


def arrays_in_use(pids: list[int]) -> dict[str, float]:
    """MB of each kind of array (docs, weights, positions...) mapped in any of the processes, counted once."""
    parts: dict[str, list[tuple[int, int, str]]] = {}  # each mapped file's parts, as the engine names them
    pages: set[tuple[str, int]] = set()
    for pid in pids:
        pages |= _mapped_pages(pid, parts)
    kinds: Counter[str] = Counter()
    for path, page in pages:
        start = page * PAGE
        for first, end, name in parts[path]:  # a page can hold the end of one array and the start of the next
            overlap = min(end, start + PAGE) - max(first, start)
            if overlap > 0:
                kinds[name] += overlap
    return {name: round(size / 2**20, 1) for name, size in kinds.most_common()}


def _mapped_pages(pid: int, parts: dict[str, list[tuple[int, int, str]]]) -> set[tuple[str, int]]:
    """(file, page number in the file) of every page present in the process of a file the engine names parts of."""
    found: set[tuple[str, int]] = set()
    try:
        maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
        pagemap = open(f"/proc/{pid}/pagemap", "rb")  # noqa: SIM115  # closed below
    except OSError:
        return found
    with pagemap:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) < 6 or not fields[5].startswith("/"):
                continue
            path = fields[5]
            if path not in parts:
                parts[path] = engine().mapped_parts(Path(path))
            if not parts[path]:
                continue
            low, high = (int(x, 16) for x in fields[0].split("-"))
            first_page = int(fields[2], 16) // PAGE
            pagemap.seek(low // PAGE * 8)
            entries = struct.unpack(f"<{(high - low) // PAGE}Q", pagemap.read((high - low) // PAGE * 8))
            found |= {(path, first_page + i) for i, entry in enumerate(entries) if entry & _PRESENT}
    return found


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/work/100000")), indent=2))
