"""Writer workers die with their run: a killed worker or a stopped run loses nothing, leaves no process
running, holds no lock and leaves no building folder; an index short of its manifest is mended.

Every case runs the real `coop-library index` on a generated corpus big enough for the parallel writer,
and kills the real worker processes, found as the run's children in /proc.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from bench.corpus import CorpusGenerator
from bench.run import child_processes
from indexer import EXIT_FATAL, EXIT_OK, run_indexer
from library.engine.whoosh.writing import PARALLEL_FROM
from library.store import IndexStore
from tests.conftest import ROOT

SIZE = 1500  # documents: three times what the parallel writer starts at
CHANGED = 900  # documents an incremental run rewrites: enough for the parallel writer
SEED = 11
WORKERS = min(4, os.cpu_count() or 1)
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(WORKERS < 2, reason="the parallel writer needs two cores"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    """A generated corpus and its published index, made once; each test works on copies."""
    work = tmp_path_factory.mktemp("workers")
    corpus = CorpusGenerator(seed=SEED).write(work / "corpus", SIZE)
    assert run_indexer(corpus, work / "index").exit_code == EXIT_OK
    return corpus, work / "index"


@pytest.fixture
def library(tmp_path, built) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    """Copies of the corpus (modification times kept, so nothing looks changed) and of its index."""
    corpus, index = built
    shutil.copytree(corpus, tmp_path / "corpus")
    shutil.copytree(index, tmp_path / "index")
    return tmp_path / "corpus", tmp_path / "index"


def corpus_titles(corpus: Path) -> dict[str, str]:
    """Each document's id (its path without the suffix) and title, read from the files themselves."""
    titles = {}
    for path in corpus.rglob("doc-*.md"):
        title = re.search(r'^title: "(.*)"$', path.read_text(encoding="utf-8"), re.MULTILINE)
        assert title, path
        titles[path.relative_to(corpus).with_suffix("").as_posix()] = title.group(1)
    return titles


def published(index: Path) -> dict[str, str]:
    """The published generation's documents: id -> title."""
    return {doc_id: doc.title for doc_id, doc in IndexStore(index).documents().items()}


def rewrite(corpus: Path, count: int) -> None:
    """Give the first `count` documents a new revision of their text and title."""
    generator = CorpusGenerator(seed=SEED)
    for number in range(count):
        relative, text = generator.document(number, revision=1)
        (corpus / relative).write_text(text, encoding="utf-8")


def start_run(corpus: Path, index: Path, *extra: str) -> subprocess.Popen[str]:
    """Start `coop-library index` with its output on pipes, as cron reads it."""
    command = [sys.executable, "-m", "indexer", "index", "--corpus", str(corpus), "--index", str(index), "--quiet"]
    return subprocess.Popen(
        [*command, *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, as under systemd or at a terminal
    )  # fmt: skip


def workers_of(run: subprocess.Popen[str], timeout: float = 60) -> list[int]:
    """Wait until the run has started all its writer workers; return their process ids."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = child_processes(run.pid)
        if len(found) >= WORKERS:
            return sorted(found)
        assert run.poll() is None, f"the run ended (exit {run.returncode}) before its workers started"
        time.sleep(0.01)
    run.kill()
    pytest.fail(f"the run started no {WORKERS} writer workers in {timeout}s")


def finish(run: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, float]:
    """Read the run's output to end-of-file and wait for it: (exit code, stderr, seconds taken)."""
    started = time.monotonic()
    try:
        _, err = run.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        run.kill()
        run.communicate()
        pytest.fail(f"the run's output reached no end-of-file within {timeout}s: a process still holds it")
    return run.returncode, err, time.monotonic() - started


def state(pid: int) -> str:
    """A process's state letter from /proc ('R', 'S', 'Z'...), or '' when it no longer exists."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def assert_gone(pids: list[int], timeout: float = 10) -> None:
    """Every process has ended: gone, or a zombie waiting for a PID 1 that does not reap (it holds nothing)."""
    deadline = time.monotonic() + timeout
    while [p for p in pids if state(p) not in ("", "Z")]:
        assert time.monotonic() < deadline, {p: state(p) for p in pids}
        time.sleep(0.05)


def building_folders(index: Path) -> list[str]:
    return [p.name for p in index.iterdir() if p.name.startswith("building-")]


def next_run(corpus: Path, index: Path) -> tuple[int, str]:
    """Run the indexer to the end: it must not be refused (exit 4) by a lock left behind."""
    code, err, _ = finish(start_run(corpus, index))
    return code, err


def test_the_corpus_is_big_enough_for_the_parallel_writer():
    assert PARALLEL_FROM <= CHANGED < SIZE


@pytest.mark.parametrize("mode", ["full", "incremental"])
def test_a_killed_worker_fails_the_run_and_the_next_run_loses_nothing(library, mode):
    """Defect 1: a worker killed by SIGKILL (as by the out-of-memory killer) lost its share and exited 0."""
    corpus, index = library
    before = published(index)
    if mode == "incremental":
        rewrite(corpus, CHANGED)
    run = start_run(corpus, index, *(["--full"] if mode == "full" else []))
    workers = workers_of(run)
    os.kill(workers[0], signal.SIGKILL)
    code, err, _ = finish(run)
    assert code == EXIT_FATAL, err
    assert f"writer worker process {workers[0]} was killed by SIGKILL" in err
    assert "The published index was not changed." in err and "Traceback" not in err
    assert published(index) == before
    assert_gone(workers)
    assert building_folders(index) == []
    assert next_run(corpus, index) == (EXIT_OK, "")
    assert published(index) == corpus_titles(corpus)
    assert IndexStore(index).check().consistent


@pytest.mark.parametrize("victim", [0, 1])
def test_a_worker_killed_while_waiting_for_a_job_ends_the_run_instead_of_hanging(library, victim):
    """Defect 3: the run waited for ever on a worker killed while it waited for a job."""
    corpus, index = library
    before = published(index)
    run = start_run(corpus, index, "--full")
    workers = workers_of(run)
    run.send_signal(signal.SIGSTOP)  # the run stops handing out jobs, so its workers run out and wait
    try:
        deadline = time.monotonic() + 30
        while any(state(p) != "S" for p in workers):
            assert time.monotonic() < deadline, {p: state(p) for p in workers}
            time.sleep(0.05)
        os.kill(workers[victim], signal.SIGKILL)
    finally:
        run.send_signal(signal.SIGCONT)
    code, err, seconds = finish(run)
    assert code == EXIT_FATAL, err
    assert f"writer worker process {workers[victim]} was killed by SIGKILL" in err
    assert seconds < 15
    assert_gone(workers)
    assert published(index) == before and building_folders(index) == []
    assert next_run(corpus, index) == (EXIT_OK, "")


@pytest.mark.parametrize("whole_group", [False, True], ids=["run", "group"])
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, EXIT_TERMINATED), (signal.SIGINT, EXIT_INTERRUPTED)], ids=["TERM", "INT"]
)
def test_a_signal_stops_the_run_cleanly_within_seconds(library, signum, code, whole_group):
    """Defects 2 and 9: SIGTERM left orphan workers holding the lock; Ctrl+C exited 1 like rejected files.

    systemd sends SIGTERM to every process of the unit, and Ctrl+C sends SIGINT to the whole foreground
    process group; `kill` sends it to the run alone.
    """
    corpus, index = library
    before = published(index)
    rewrite(corpus, CHANGED)
    run = start_run(corpus, index)
    workers = workers_of(run)
    if whole_group:
        os.killpg(run.pid, signum)
    else:
        run.send_signal(signum)
    exit_code, err, seconds = finish(run)
    assert exit_code == code, err
    assert f"stopped by {signal.Signals(signum).name}" in err and "Traceback" not in err
    assert seconds < 5
    assert_gone(workers)
    assert building_folders(index) == []  # removed by the stopped run itself
    assert published(index) == before
    assert next_run(corpus, index) == (EXIT_OK, "")
    assert published(index) == corpus_titles(corpus)


def test_killing_the_run_takes_its_workers_and_the_lock_with_it(library):
    """Defects 2 and 4: orphan workers held the lock and cron's pipe; a run with nothing to write left
    the dead run's building folder."""
    corpus, index = library
    before = published(index)
    run = start_run(corpus, index, "--full")  # the corpus is unchanged, so the next run has nothing to write
    workers = workers_of(run)
    run.kill()
    finish(run, timeout=10)  # the pipes reach end-of-file: no worker holds them
    assert_gone(workers, timeout=5)
    assert published(index) == before
    code, err = next_run(corpus, index)
    assert (code, err) == (EXIT_OK, "")  # not 4: no orphan holds the lock
    assert building_folders(index) == []
    assert published(index) == before == corpus_titles(corpus)


def test_an_index_short_of_its_manifest_is_found_and_rebuilt(tmp_path):
    """The aftermath of defect 1: the manifest listed documents the index lacked, and no run noticed."""
    corpus = CorpusGenerator(seed=SEED).write(tmp_path / "corpus", 60)
    index = tmp_path / "index"
    assert run_indexer(corpus, index).exit_code == EXIT_OK
    lost = sorted(corpus_titles(corpus))[:7]
    store = IndexStore(index)
    writer = whoosh_index.open_dir(str(store.current_path())).writer()  # damage it below the library
    for doc_id in lost:
        writer.delete_by_term("id", doc_id)
    writer.commit()
    check = store.check()
    assert check is not None and not check.consistent
    assert (check.indexed, check.listed, check.missing, check.unlisted) == (53, 60, lost, [])
    code, err = next_run(corpus, index)
    assert code == EXIT_OK
    assert "REPAIRED" in err and "7 listed but not indexed" in err and "rebuilt the index in full" in err
    assert published(index) == corpus_titles(corpus)
    assert store.check().consistent
