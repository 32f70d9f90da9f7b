"""The coop-library command: help, exit codes, reports and messages."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

import pytest

from coop_library.cli import cli
from tests.helpers import write_markdown
from webui.serve import _Server, before_fork, give_back_freed_memory

BODY = "Plymouth City Council set up a co-operative energy company with residents."


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example(run_cli, name):
    result = run_cli(name, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output and f"coop-library {name}" in result.output


def test_index_prints_one_summary_line_and_writes_a_report(run_cli, corpus_dir, index_dir, tmp_path):
    write_markdown(corpus_dir, "a.md", BODY, title="A", councils=["plymouth"])
    (corpus_dir / "bad.md").write_text("---\ntitle: [x\n---\n", encoding="utf-8")
    report_file = tmp_path / "out" / "report.json"
    result = run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir), "--report", str(report_file))
    assert result.exit_code == 1
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith("coop-library index: published generation 1; 1 documents (1 added")
    assert "FAILED bad.md: line 2: malformed YAML" in result.stderr
    report = json.loads(report_file.read_text())
    assert report["exit_code"] == 1 and [n["path"] for n in report["failed"]] == ["bad.md"]
    assert [n["id"] for n in report["added"]] == ["a"]


def test_index_uses_environment_defaults(run_cli, corpus_dir, index_dir, monkeypatch):
    write_markdown(corpus_dir, "a.md", BODY, title="A")
    monkeypatch.setenv("COOP_LIBRARY_CORPUS", str(corpus_dir))
    monkeypatch.setenv("COOP_LIBRARY_INDEX", str(index_dir))
    result = run_cli("index", "--quiet")
    assert result.exit_code == 0 and (index_dir / "CURRENT").exists()


def test_quiet_hides_warnings_but_not_failures(run_cli, corpus_dir, index_dir):
    write_markdown(corpus_dir, "a.md", BODY, title="A", colour="blue")
    (corpus_dir / "empty.md").write_bytes(b"")
    result = run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir), "--quiet")
    assert "WARNING" not in result.stderr and "FAILED empty.md: is empty" in result.stderr


def test_invalid_vocabulary_is_fatal_and_changes_nothing(run_cli, corpus_dir, index_dir):
    write_markdown(corpus_dir, "a.md", BODY, title="A")
    assert run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir)).exit_code == 0
    (corpus_dir / "themes.yaml").write_text("themes:\n  - {id: x}\n", encoding="utf-8")
    write_markdown(corpus_dir, "b.md", BODY, title="B")
    result = run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir))
    assert result.exit_code == 3
    assert "themes.yaml is invalid" in result.stderr and "'label' is missing" in result.stderr
    assert "The published index was not changed." in result.stderr
    assert (index_dir / "CURRENT").read_text().strip() == "gen-000001"


def test_unusable_index_folder_is_fatal(run_cli, corpus_dir, tmp_path):
    write_markdown(corpus_dir, "a.md", BODY, title="A")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the index folder should be")
    result = run_cli("index", "--corpus", str(corpus_dir), "--index", str(blocker))
    assert result.exit_code == 3 and "fatal" in result.stderr


def test_missing_corpus_is_fatal(run_cli, tmp_path):
    result = run_cli("index", "--corpus", str(tmp_path / "nowhere"), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 3 and "nowhere" in result.stderr


def test_check_validates_without_an_index(run_cli, corpus_dir, tmp_path):
    write_markdown(corpus_dir, "a.md", BODY, title="A", councils=["Gotham"], principles=["learning"],
                   status="completed", sources=["year-ahead-2016-17"])  # fmt: skip
    result = run_cli("check", "--corpus", str(corpus_dir))
    assert result.exit_code == 0
    assert "'Gotham' is not in the council register" in result.stderr
    assert "1 documents readable; 0 failed, 1 warnings" in result.stdout
    assert not (tmp_path / "index").exists()


def test_search_json_and_listing(run_cli, corpus_dir, index_dir):
    write_markdown(
        corpus_dir, "a.md", BODY, title="Plymouth energy company", councils=["plymouth"], themes=["energy"], year=2014
    )
    write_markdown(
        corpus_dir,
        "b.md",
        "Croydon set up a housing commission.",
        title="Housing commission",
        councils=["croydon"],
        themes=["housing"],
        year=2016,
    )
    run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir))
    result = run_cli("search", "--index", str(index_dir), "--theme", "energy", "--json", "energy")
    data = json.loads(result.stdout)
    assert data["total"] == 1 and data["results"][0]["id"] == "a"
    assert data["results"][0]["councils"] == [{"id": "plymouth", "name": "Plymouth City Council"}]
    assert {v["value"]: v["count"] for v in data["facets"]["theme"]} == {"energy": 1}
    listing = run_cli("search", "--index", str(index_dir), "--from", "2015", "commission").stdout
    assert listing.startswith("Search: 'commission'\n1 document from 1 council mentions “commission”.")
    assert "Housing commission (2016, " in listing and "Who to contact" not in listing
    data = json.loads(run_cli("search", "--index", str(index_dir), "--json", "climate energy").stdout)
    assert data["answer"] == {"documents": 0, "councils": 0, "missing": ["climate"], "expanded": [], "dropped": []}
    listing = run_cli("search", "--index", str(index_dir), "climate energy").stdout
    assert "No document mentions “climate”.\n1 document mentions “energy”." in listing


def test_search_without_an_index_says_what_to_do(run_cli, tmp_path):
    result = run_cli("search", "--index", str(tmp_path / "none"), "housing")
    assert result.exit_code == 3 and "run 'coop-library index' first" in result.stderr


def test_problem_lines_never_carry_terminal_escapes_from_file_names(run_cli, corpus_dir, index_dir):
    (corpus_dir / "bad\x1b[2J\u202ename.md").write_bytes(b"---\ntitle: [unclosed\n---\nbody")
    result = run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir))
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "FAILED bad\\x1b[2J\\u202ename.md" in result.stderr


def test_the_server_freezes_what_the_master_holds_before_it_forks_a_worker(app):
    server = _Server(app, {"bind": "127.0.0.1:0", "workers": 1, "threads": 1})
    assert server.cfg.pre_fork is before_fork
    assert server.cfg.post_request is give_back_freed_memory
    before = gc.get_freeze_count()
    try:
        server.cfg.pre_fork(None, None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


_ARENAS = """
import ctypes, os, sys, tempfile, threading
import numpy as np
libc = ctypes.CDLL(None)
libc.fdopen.restype, libc.fdopen.argtypes = ctypes.c_void_p, [ctypes.c_int, ctypes.c_char_p]
libc.malloc_info.argtypes, libc.fclose.argtypes = [ctypes.c_int, ctypes.c_void_p], [ctypes.c_void_p]


def arenas():
    with tempfile.TemporaryFile() as out:
        stream = libc.fdopen(os.dup(out.fileno()), b"w")
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        out.seek(0)
        return out.read().decode().count("<heap nr=")


if sys.argv[1] == "one":
    from webui.serve import one_malloc_arena
    assert one_malloc_arena()
pid = os.fork()  # a worker: what the master set is inherited
if pid:
    sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
before = arenas()
threads = [threading.Thread(target=lambda: [np.ones(50_000).sum() for _ in range(200)]) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(arenas() - before)
"""


@pytest.mark.skipif(sys.platform != "linux" or not os.path.exists("/lib/x86_64-linux-gnu/libc.so.6")
                    and not os.path.exists("/lib/aarch64-linux-gnu/libc.so.6"), reason="glibc's malloc_info")  # fmt: skip
def test_a_worker_forked_by_the_server_allocates_from_one_malloc_arena_however_many_threads():
    added = {}  # arenas the worker's threads added to those it was forked with (numpy's own threads make some)
    for setting in ("default", "one"):
        ran = subprocess.run([sys.executable, "-c", _ARENAS, setting], capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0, ran.stderr
        added[setting] = int(ran.stdout)
    assert added["default"] > 0 and added["one"] == 0


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's malloc_trim")
def test_a_worker_gives_freed_memory_back_at_most_once_a_second(monkeypatch):
    from webui import serve

    monkeypatch.setattr(serve._Trim, "last", float("-inf"))
    assert give_back_freed_memory(None, None, None, None) is True
    assert give_back_freed_memory(None, None, None, None) is False  # within the second: nothing done
    monkeypatch.setattr(serve._Trim, "last", serve._Trim.last - serve.TRIM_EVERY)
    assert give_back_freed_memory(None, None, None, None) is True
