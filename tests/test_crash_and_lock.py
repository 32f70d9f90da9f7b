"""A killed run never breaks the published index; a second run is refused; a dead run's lock is ignored."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh.qparser import QueryParser

from indexer import EXIT_BUSY, EXIT_OK, run_indexer
from library.store import IndexStore
from tests.conftest import ROOT
from tests.helpers import write_markdown

BODY = "Rochdale Borough Council and residents co-produced a co-operative energy scheme. " * 20


def write_version(corpus: Path, version: int, count: int = 240) -> dict[str, str]:
    """Write one version of a corpus; odd versions drop every fifth document. Return id -> title."""
    expected = {}
    for n in range(count):
        path = corpus / f"docs/{n:04d}.md"
        if version % 2 and n % 5 == 0:
            path.unlink(missing_ok=True)
            continue
        title = f"Document {n} version {version if n % 3 else 0}"
        write_markdown(corpus, f"docs/{n:04d}.md", BODY, title=title, year=2000 + n % 20)
        expected[f"docs/{n:04d}"] = title
    return expected


def published(index_dir: Path) -> dict[str, str]:
    store = IndexStore(index_dir)
    _, ix = store.open()
    with ix.searcher() as searcher:  # the index must also answer a query
        hits = searcher.search(QueryParser("body", ix.schema).parse("energy"), limit=None)
        assert len(hits) == searcher.doc_count()
    return {doc_id: doc.title for doc_id, doc in store.documents().items()}


def start_indexer(corpus: Path, index_dir: Path, *extra: str, output: int = subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "indexer", "index", "--corpus", str(corpus), "--index", str(index_dir), "--quiet", *extra],
        cwd=ROOT, stdout=output, stderr=output, text=True,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["incremental", "full"])
def test_kill_at_random_points_leaves_a_whole_index(corpus_dir, index_dir, mode):
    rng = random.Random(20261122 if mode == "incremental" else 4242)
    before = write_version(corpus_dir, 0)
    assert run_indexer(corpus_dir, index_dir).exit_code == EXIT_OK
    # Time one undisturbed run so the kill points spread over the whole of a run.
    after = write_version(corpus_dir, 1)
    started = time.monotonic()
    assert start_indexer(corpus_dir, index_dir, *(["--full"] if mode == "full" else [])).wait(timeout=120) == EXIT_OK
    duration = time.monotonic() - started
    before = after
    outcomes = set()
    for version in range(2, 8):
        after = write_version(corpus_dir, version)
        process = start_indexer(corpus_dir, index_dir, *(["--full"] if mode == "full" else []))
        time.sleep(rng.uniform(0.0, duration))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        state = published(index_dir)
        assert state in (before, after), f"kill at version {version} left a mixture"
        outcomes.add("after" if state == after and state != before else "before")
        finish = run_indexer(corpus_dir, index_dir)
        assert finish.exit_code == EXIT_OK
        assert published(index_dir) == after
        before = after
    assert not [p for p in index_dir.iterdir() if p.name.startswith("building-")]


def test_a_second_run_is_refused_while_one_holds_the_lock(corpus_dir, index_dir):
    write_markdown(corpus_dir, "a.md", BODY, title="A")
    with IndexStore(index_dir).lock(), start_indexer(corpus_dir, index_dir, output=subprocess.PIPE) as result:
        _, err = result.communicate(timeout=60)
    assert result.returncode == EXIT_BUSY
    assert f"another indexer run (process {os.getpid()})" in err
    assert not (index_dir / "CURRENT").exists()


def test_a_lock_left_by_a_dead_process_does_not_block(corpus_dir, index_dir):
    write_markdown(corpus_dir, "a.md", BODY, title="A")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    index_dir.mkdir()
    (index_dir / "indexer.lock").write_text(str(dead.pid))
    (index_dir / f"building-000001-{dead.pid}").mkdir()
    report = run_indexer(corpus_dir, index_dir)
    assert report.exit_code == EXIT_OK and report.published
    assert not (index_dir / f"building-000001-{dead.pid}").exists()
