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
from whoosh import index as whoosh_index
from whoosh.qparser import QueryParser

from indexer import EXIT_BUSY, EXIT_OK, EXIT_REJECTED, run_indexer
from library.store import IndexStore
from tests.conftest import ROOT
from tests.helpers import write_markdown

KILLS = 20  # kill points per mode
VERSION_QUERIES = [f'"version {100 + n}"' for n in range(KILLS + 3)]
BODY = "Rochdale Borough Council and residents co-produced a co-operative energy scheme. " * 20


def write_version(corpus: Path, version: int, count: int = 160) -> dict[str, str]:
    """Write one version of a corpus; odd versions drop every fifth document. Return id -> title."""
    expected = {}
    for n in range(count):
        path = corpus / f"docs/{n:04d}.md"
        if version % 2 and n % 5 == 0:
            path.unlink(missing_ok=True)
            continue
        title = f"Document {n} version {100 + (version if n % 3 else 0)}"
        write_markdown(corpus, f"docs/{n:04d}.md", BODY, title=title, year=2000 + n % 20)
        expected[f"docs/{n:04d}"] = title
    return expected


def published(index_dir: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The published generation's titles by id, and its answers to one query per version number."""
    store = IndexStore(index_dir)
    _, path = store.open()
    ix = whoosh_index.open_dir(str(path))  # Whoosh itself, as an independent reader of what was written
    with ix.searcher() as searcher:  # the index must also answer queries
        hits = searcher.search(QueryParser("body", ix.schema).parse("energy"), limit=None)
        assert len(hits) == searcher.doc_count()
        parser = QueryParser("title", ix.schema)
        answers = {
            query: sorted(searcher.stored_fields(d)["id"] for d in searcher.docs_for_query(parser.parse(query)))
            for query in VERSION_QUERIES
        }
    return {doc_id: doc.title for doc_id, doc in store.documents().items()}, answers


def expected(titles: dict[str, str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """What `published` must return for a generation holding these titles."""
    answers = {
        query: sorted(doc_id for doc_id, title in titles.items() if title.split()[-2:] == query.strip('"').split())
        for query in VERSION_QUERIES
    }
    return titles, answers


def start_indexer(corpus: Path, index_dir: Path, *extra: str, output: int = subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "indexer", "index", "--corpus", str(corpus), "--index", str(index_dir), "--quiet", *extra],
        cwd=ROOT, stdout=output, stderr=output, text=True,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["incremental", "full"])
def test_kill_at_twenty_random_points_leaves_a_whole_index(corpus_dir, index_dir, mode):
    """SIGKILL a run at 20 seeded random moments; the index is always the one before or the one after."""
    rng = random.Random(20261122 if mode == "incremental" else 4242)
    extra = ["--full"] if mode == "full" else []
    write_version(corpus_dir, 0)
    assert run_indexer(corpus_dir, index_dir).exit_code == EXIT_OK
    # Time one undisturbed run so the kill points spread over the whole of a run.
    before = write_version(corpus_dir, 1)
    started = time.monotonic()
    assert start_indexer(corpus_dir, index_dir, *extra).wait(timeout=120) == EXIT_OK
    duration = time.monotonic() - started
    points = [rng.uniform(0.0, duration) for _ in range(KILLS)]
    outcomes = {"killed": 0, "finished": 0, "before": 0, "after": 0}
    for version, point in enumerate(points, start=2):
        after = write_version(corpus_dir, version)
        process = start_indexer(corpus_dir, index_dir, *extra)
        time.sleep(point)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        outcomes["killed" if process.returncode == -signal.SIGKILL else "finished"] += 1
        state = published(index_dir)
        assert state in (expected(before), expected(after)), f"kill {point:.2f}s into version {version}: a mixture"
        outcomes["after" if state == expected(after) else "before"] += 1
        finish = run_indexer(corpus_dir, index_dir)
        assert finish.exit_code == EXIT_OK, f"the run after kill {point:.2f}s into version {version} failed"
        assert published(index_dir) == expected(after)
        before = after
    assert outcomes["killed"] >= KILLS // 2 and outcomes["before"], outcomes
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


def index_command(corpus: Path, index_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "indexer", "index", "--corpus", str(corpus), "--index", str(index_dir), "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("damage", ["deleted", "garbage", "dangling"])
def test_a_damaged_current_is_pointed_at_the_newest_complete_generation(corpus_dir, index_dir, damage):
    """A missing or garbled CURRENT made the next run delete every generation; a dangling one made every run exit 3."""
    write_version(corpus_dir, 0, count=30)
    for version in (1, 2):
        assert run_indexer(corpus_dir, index_dir).exit_code == EXIT_OK
        write_version(corpus_dir, version, count=30)
    broken = corpus_dir / "docs/0001.md"
    broken.write_text("---\ntitle: [broken\n---\nText.\n")  # stale from now on
    assert run_indexer(corpus_dir, index_dir).exit_code == EXIT_REJECTED
    store = IndexStore(index_dir)
    assert store.current_name() == "gen-000003"
    kept, added = store.documents()["docs/0001"].title, {k: v["added"] for k, v in store.manifest().documents.items()}
    pointer = index_dir / "CURRENT"
    if damage == "deleted":
        pointer.unlink()
    else:
        pointer.write_bytes(b"\x00\xffgarbage\n" if damage == "garbage" else b"gen-000009\n")
    after = write_version(corpus_dir, 3, count=30)
    broken.write_text("---\ntitle: [broken\n---\nText.\n")
    result = index_command(corpus_dir, index_dir)
    assert result.returncode == EXIT_REJECTED, result.stderr  # the broken file is still reported
    assert f"REPAIRED {pointer}" in result.stderr and "pointed it at gen-000003" in result.stderr
    assert store.current_name() == "gen-000004"
    assert sorted(p.name for p in index_dir.glob("gen-*")) == ["gen-000002", "gen-000003", "gen-000004"]
    documents = store.documents()
    assert documents["docs/0001"].title == kept  # the stale document's last good version survived
    assert {d: doc.title for d, doc in documents.items() if d != "docs/0001"} == {
        d: t for d, t in after.items() if d != "docs/0001"
    }
    manifest = store.manifest().documents
    assert all(manifest[d]["added"] == added[d] for d in added if d in manifest)  # first-added dates kept


def test_a_run_with_nothing_to_write_removes_a_dead_runs_building_folder(corpus_dir, index_dir):
    write_markdown(corpus_dir, "a.md", BODY, title="A")
    assert run_indexer(corpus_dir, index_dir).published
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (index_dir / f"building-000002-{dead.pid}").mkdir()
    report = run_indexer(corpus_dir, index_dir)
    assert report.exit_code == EXIT_OK and not report.published
    assert not [p for p in index_dir.iterdir() if p.name.startswith("building-")]
