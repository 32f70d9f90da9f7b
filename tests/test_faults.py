"""Faults a nightly job and a public site meet: a full disk, an index folder it may not write, traffic
while a new generation is published. Each ends with a clear error or no error, and the published index
keeps answering."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from bench.corpus import CorpusGenerator
from bench.run import child_processes
from indexer import EXIT_FATAL, EXIT_OK, run_indexer
from library.search import Library, SearchRequest
from library.store import IndexStore
from library.vocab import load_vocabularies
from tests.browser import running_server
from tests.conftest import ROOT
from tests.helpers import write_markdown

SIZE = 60


def index_command(corpus: Path, index_dir: Path, *extra: str, preexec_fn=None) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def,type-arg]
    return subprocess.run(
        [sys.executable, "-m", "indexer", "index", "--corpus", str(corpus), "--index", str(index_dir), "--quiet", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=120, preexec_fn=preexec_fn,
    )  # fmt: skip


def snapshot(index_dir: Path) -> tuple[int, dict[str, str]]:
    """The published generation's number and its documents' titles by id."""
    store = IndexStore(index_dir)
    return store.current_generation(), {doc_id: doc.title for doc_id, doc in store.documents().items()}


def answers(library: Library) -> tuple[int, int, list[str]]:
    result = library.search(SearchRequest(query="housing energy", page=2))
    return result.generation, result.total, [hit.id for hit in result.results]


def assert_unchanged_and_serving(index_dir: Path, before: tuple, library: Library, served: tuple) -> None:  # type: ignore[type-arg]
    assert snapshot(index_dir) == before
    assert answers(library) == served  # the open library (a running server) still answers
    fresh = Library(index_dir, library.vocab)  # and so does one opened now (a restarted server)
    try:
        assert answers(fresh) == served
    finally:
        fresh.close()
    assert not [p.name for p in index_dir.iterdir() if p.name.startswith("building-")]


@contextmanager
def small_volume(size: str = "4m") -> Iterator[Path]:
    """A tmpfs volume of `size`; skips where this machine does not let the tests mount one."""
    folder = Path(tempfile.mkdtemp(prefix="coop-volume-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(
            f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}; the file-size limit test still runs"
        )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def fill(volume: Path, leave: int) -> Path:
    """Fill the volume with one file, leaving `leave` bytes free."""
    stats = os.statvfs(volume)
    filler = volume / "filler"
    filler.write_bytes(b"\0" * max(0, stats.f_bavail * stats.f_frsize - leave))
    return filler


@pytest.mark.parametrize("mode", ["incremental", "full"])
@pytest.mark.parametrize("leave", [0, 65_536])
def test_a_full_disk_ends_the_run_with_a_clear_error_and_the_index_keeps_serving(tmp_path, mode, leave):
    with small_volume() as volume:
        generator = CorpusGenerator(seed=5)
        corpus = generator.write(tmp_path / "corpus", SIZE)
        index_dir = volume / "index"
        assert run_indexer(corpus, index_dir).exit_code == EXIT_OK
        before = snapshot(index_dir)
        library = Library(index_dir, load_vocabularies(corpus))
        try:
            served = answers(library)
            generator.nightly_change(corpus, SIZE)
            for n in range(20):  # enough new text that the run must write more than the space left
                write_markdown(corpus, f"extra/{n}.md", "Housing energy co-operative. " * 300, title=f"Extra {n}")
            filler = fill(volume, leave)
            result = index_command(corpus, index_dir, *(["--full"] if mode == "full" else []))
            assert result.returncode == EXIT_FATAL, result.stderr
            assert "No space left on device" in result.stderr
            assert "The published index was not changed." in result.stderr
            assert "Traceback" not in result.stderr
            assert_unchanged_and_serving(index_dir, before, library, served)
            filler.unlink()
            assert index_command(corpus, index_dir).returncode == EXIT_OK
            assert snapshot(index_dir)[0] == before[0] + 1
            assert answers(library)[0] == before[0] + 1  # the running library moves to the new generation
        finally:
            library.close()


@pytest.mark.parametrize("limit", [0, 30_000, 300_000])
def test_a_write_failure_at_any_size_ends_the_run_and_keeps_the_index(corpus_dir, index_dir, limit):
    """The kernel refuses writes past a file-size limit (RLIMIT_FSIZE): a disk-full fault without mounting."""
    generator = CorpusGenerator(seed=6)
    generator.write(corpus_dir, SIZE)
    assert run_indexer(corpus_dir, index_dir).exit_code == EXIT_OK
    before = snapshot(index_dir)
    library = Library(index_dir, load_vocabularies(corpus_dir))
    try:
        served = answers(library)
        generator.nightly_change(corpus_dir, SIZE)
        for n in range(30):
            write_markdown(corpus_dir, f"extra/{n}.md", "Housing energy co-operative. " * 500, title=f"Extra {n}")

        def limit_file_size() -> None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        result = index_command(corpus_dir, index_dir, "--full", preexec_fn=limit_file_size)
        assert result.returncode == EXIT_FATAL, result.stderr
        assert "File too large" in result.stderr and "The published index was not changed." in result.stderr
        assert_unchanged_and_serving(index_dir, before, library, served)
        assert index_command(corpus_dir, index_dir).returncode == EXIT_OK
        assert snapshot(index_dir)[0] == before[0] + 1
    finally:
        library.close()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the parallel writer needs two cores")
def test_a_write_failure_in_a_writer_worker_ends_the_run_and_keeps_the_index(tmp_path):
    """A worker's error comes back to the run: exit 3 with the reason, not a segment silently missing."""
    size = 700  # past library.engine.whoosh.writing.PARALLEL_FROM, so worker processes write the segments
    corpus = CorpusGenerator(seed=9).write(tmp_path / "corpus", size)
    index_dir = tmp_path / "index"
    assert run_indexer(corpus, index_dir).exit_code == EXIT_OK
    before = snapshot(index_dir)
    library = Library(index_dir, load_vocabularies(corpus))
    try:
        served = answers(library)

        def limit_file_size() -> None:  # big enough for the run's job files, too small for a worker's segment
            resource.setrlimit(resource.RLIMIT_FSIZE, (1_500_000, 1_500_000))

        result = index_command(corpus, index_dir, "--full", preexec_fn=limit_file_size)
        assert result.returncode == EXIT_FATAL, result.stderr
        assert "File too large" in result.stderr and "The published index was not changed." in result.stderr
        assert "Traceback" not in result.stderr
        assert_unchanged_and_serving(index_dir, before, library, served)
        assert index_command(corpus, index_dir, "--full").returncode == EXIT_OK
        assert len(snapshot(index_dir)[1]) == size
    finally:
        library.close()


def test_an_index_folder_that_cannot_be_written_ends_the_run_with_a_clear_error():
    """The run is made by an unprivileged user (as cron would), so permissions apply even under root."""
    from coop_library.cli import cli

    work = Path(tempfile.mkdtemp(prefix="coop-readonly-"))
    try:
        generator = CorpusGenerator(seed=7)
        corpus = generator.write(work / "corpus", SIZE)
        index_dir = work / "index"
        assert run_indexer(corpus, index_dir).exit_code == EXIT_OK
        before = snapshot(index_dir)
        library = Library(index_dir, load_vocabularies(corpus))
        served = answers(library)
        generator.nightly_change(corpus, SIZE)
        for path in [work, *work.rglob("*")]:
            inside_index = path == index_dir or index_dir in path.parents
            path.chmod((0o555 if path.is_dir() else 0o444) if inside_index else (0o777 if path.is_dir() else 0o666))
        err = work / "stderr.txt"
        pid = os.fork()
        if pid == 0:  # the child drops to an unprivileged user and runs the command
            code = 99
            try:
                if os.geteuid() == 0:
                    os.setgid(65534)
                    os.setuid(65534)
                with open(err, "w") as handle:
                    os.dup2(handle.fileno(), 2)
                    sys.stderr = handle
                    cli.main(["index", "--corpus", str(corpus), "--index", str(index_dir), "--quiet"])
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 98
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        message = err.read_text()
        assert os.waitstatus_to_exitcode(status) == EXIT_FATAL, message
        assert "Permission denied" in message and str(index_dir) in message
        assert "The published index was not changed." in message and "Traceback" not in message
        assert_unchanged_and_serving(index_dir, before, library, served)
        library.close()
    finally:
        for path in [work, *work.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(work, ignore_errors=True)


def _open_files(pid: int) -> int:
    """Open file descriptors of a server process and its workers."""
    total = 0
    for process in [pid, *child_processes(pid)]:
        with suppress(OSError):
            total += len(os.listdir(f"/proc/{process}/fd"))
    return total


@pytest.mark.slow
def test_the_site_answers_every_search_while_nightly_runs_publish_new_generations(tmp_path):
    generator = CorpusGenerator(seed=8)
    corpus = generator.write(tmp_path / "corpus", 120)
    index_dir = tmp_path / "index"
    assert run_indexer(corpus, index_dir).exit_code == EXIT_OK
    words = ["housing", "energy", "care", "food", "co-operative", "youth", "climate", "community wealth"]
    failures: list[str] = []
    served = [0]
    stop = threading.Event()

    with running_server(index_dir, corpus) as site:

        def client(number: int) -> None:
            k = number
            while not stop.is_set():
                k += 1
                path = "/api/search" if k % 2 else "/search"
                url = f"{site}{path}?" + urllib.parse.urlencode({"q": words[k % len(words)], "page": 1 + k % 3})
                try:
                    with urllib.request.urlopen(url, timeout=30) as response:
                        response.read()
                        if response.status != 200:
                            failures.append(f"{url}: {response.status}")
                except OSError as exc:
                    failures.append(f"{url}: {exc}")
                served[0] += 1

        clients = [threading.Thread(target=client, args=(n,)) for n in range(6)]
        for thread in clients:
            thread.start()
        try:
            handles = []
            for generation in range(2, 18):
                marker = f"Nightly marker {generation:03d}"
                write_markdown(corpus, f"nightly/{generation}.md", "A housing co-operative. " * 20, title=marker)
                write_markdown(
                    corpus, "nightly/edited.md", f"Energy co-operative, edition {generation}.", title="Edited"
                )
                (corpus / f"nightly/{generation - 2}.md").unlink(missing_ok=True)
                assert run_indexer(corpus, index_dir).exit_code == EXIT_OK
                query = urllib.parse.urlencode({"q": f'"marker {generation:03d}"'})
                deadline = time.monotonic() + 20
                while True:  # the new generation is served without a restart
                    with urllib.request.urlopen(f"{site}/api/search?{query}", timeout=30) as response:
                        found = json.loads(response.read())
                    if found["total"] == 1:
                        break
                    assert time.monotonic() < deadline, f"generation {generation} was not served: {found}"
                    time.sleep(0.05)
                handles.append(_open_files(site.pid))
        finally:
            stop.set()
            for thread in clients:
                thread.join(timeout=60)
    assert not failures, failures[:5]
    assert served[0] > 100
    # Open files stay bounded: each worker keeps the current and two retired searchers, so the count
    # rises and falls with segment merges but does not grow with the number of generations.
    assert max(handles[8:]) <= 1.5 * max(handles[:8]), handles
