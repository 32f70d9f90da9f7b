"""The hostile corpus (tests/hostile) indexed beside ordinary documents, in this process and through the CLI.

Nothing crashes, every ordinary document and every hostile one that carries real text is indexed, every bad
file is reported by path with its reason, exactly as tests/hostile/expected.yaml says, time and memory stay
within safety bounds, and the next run changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer import EXIT_REJECTED, run_indexer
from indexer.scan import scan_corpus
from library.readers import read_file
from library.store import IndexStore
from tests.conftest import BUNDLED
from tests.hostile import make

EXPECTED = make.expectations()
DOCUMENTS: dict[str, dict[str, str]] = EXPECTED["documents"]  # type: ignore[assignment]
MAX_FILE_BYTES = int(EXPECTED["max_file_bytes"])  # type: ignore[call-overload]
INDEXED = {path: outcome["indexed"] for path, outcome in DOCUMENTS.items() if "indexed" in outcome}
REJECTED = {path: outcome["rejected"] for path, outcome in DOCUMENTS.items() if "rejected" in outcome}
# Safety bounds, not speed targets: a run that stalls or balloons on hostile input fails them by far.
MAX_SECONDS = 60
MAX_PEAK_BYTES = 1024**3
# What no stored title, summary or text may keep: C0 and C1 controls, DEL, direction embeddings, overrides, isolates.
UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_corpus(folder: Path) -> Path:
    """The hostile corpus with the bundled vocabularies, written into a new folder."""
    return make.write_corpus(folder, BUNDLED, MAX_FILE_BYTES)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile corpus, indexed once by run_indexer in this process: (corpus, index, report, seconds)."""
    work = tmp_path_factory.mktemp("hostile")
    corpus = hostile_corpus(work / "corpus")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COOP_LIBRARY_MAX_FILE_BYTES", str(MAX_FILE_BYTES))
        started = time.monotonic()
        report = run_indexer(corpus, work / "index")
        seconds = time.monotonic() - started
    return corpus, work / "index", report, seconds


def test_the_expectation_file_lists_every_document_of_the_corpus(hostile):
    corpus, *_ = hostile
    found = {item.shown for item in scan_corpus(corpus, [])}
    assert found == set(DOCUMENTS)
    assert len(DOCUMENTS) >= 30 and all(("indexed" in o) != ("rejected" in o) for o in DOCUMENTS.values())
    sizes = {p.relative_to(corpus).as_posix(): p.stat().st_size for p in (corpus / "giant").iterdir()}
    assert 250_000 < sizes["giant/one-line.md"] <= MAX_FILE_BYTES < sizes["giant/over-size.txt"]
    assert "\n" not in (corpus / "giant/one-line.md").read_text(encoding="utf-8").split("---\n")[-1]


def test_every_document_is_indexed_or_reported_exactly_as_expected(hostile):
    _, index_dir, report, seconds = hostile
    assert report.published and report.exit_code == EXIT_REJECTED and not report.stale
    assert {note.path: note.id for note in report.added} == INDEXED
    failed = {note.path: note.reason for note in report.failed}
    assert set(failed) == set(REJECTED)
    for path, words in REJECTED.items():
        assert failed[path].strip() and words in failed[path], (path, failed[path])
    warnings = [(note.path, note.reason) for note in report.warnings]
    for path, reason in [*failed.items(), *warnings]:  # what the indexer prints must not drive a terminal
        assert not UNWANTED.search(reason), (path, reason)
    assert ("markdown/control-characters.md", "unknown metadata keys kept but not used: ]0;pwned[2J") in warnings
    for path, outcome in DOCUMENTS.items():
        if "warning" in outcome:
            assert any(p == path and outcome["warning"] in w for p, w in warnings), (path, outcome["warning"])
    assert set(IndexStore(index_dir).documents()) == set(INDEXED.values())
    assert seconds < MAX_SECONDS


def test_every_good_document_is_indexed_with_its_tags(hostile):
    _, index_dir, *_ = hostile
    stored = IndexStore(index_dir).documents()
    good = {doc_id: stored[doc_id] for doc_id in INDEXED.values() if doc_id.startswith("good/")}
    assert len(good) == 6
    assert good["good/2019-preston-anchor-spending"].council_ids == ["preston"]
    assert good["good/2020-lambeth-co-production"].theme_ids == ["co-production", "education"]
    assert good["good/2017-kirklees-holiday-food"].council_ids == ["kirklees"]
    assert good["good/2022-sunderland-digital-inclusion"].title.startswith("Sunderland: digital inclusion")
    assert all(len(doc.body.split()) > 40 for doc in good.values())


def test_hostile_values_are_stored_as_plain_text(hostile):
    _, index_dir, *_ = hostile
    stored = IndexStore(index_dir).documents()
    for doc in stored.values():
        for text in (doc.title, doc.summary, doc.body, doc.lead_contact, *doc.partners):
            assert not UNWANTED.search(text), (doc.id, text[:120])

    markup = stored["markdown/html-in-title"]
    assert markup.title.startswith("<script>alert(1)</script> Croydon <mark>housing</mark> co-op </title>")
    assert "{{ 7*7 }}" in markup.title and "<img src=x onerror=alert(1)>" in markup.body
    assert markup.source_url == "" and markup.council_ids == ["croydon"]

    press = stored["html/script-press-release"]
    assert press.title.startswith("Derby backs tenant co-ops <script>alert(1)</script>")
    assert "<script>console.log('xss-payload-8')</script>" in press.body  # quoted as text in the release
    for left_out in ("xss-payload-1'", "xss-payload-4", "xss-payload-5", "xss-payload-9", "xss-payload-10",
                     "xss-payload-12", "xss-payload-13", "Enable scripts", "svg text", "Cookie settings"):  # fmt: skip
        assert left_out not in press.body

    controls = stored["markdown/control-characters"]
    assert controls.title == "Control characters [31mred[0m C1 bell in a Leeds title"
    assert controls.council_ids == ["leeds"] and "pwned" in controls.lead_contact
    bidi = stored["markdown/bidi-and-zero-width"]
    assert bidi.title.startswith("Plymouth exe.fdp co-op isolated rtl first zero\u200bwidth")
    assert bidi.council_ids == ["plymouth", "oldham"]

    wrong_types = stored["markdown/wrong-types"]
    assert wrong_types.title == "Values of the wrong types" and wrong_types.date is None
    assert len(stored["markdown/many-councils"].councils) == 10
    assert len(stored["giant/one-line"].body) > 250_000
    assert "co-operative housing in Oldham" in stored["pdf/shared-page-bomb"].body


def test_the_next_run_over_the_same_corpus_changes_nothing(hostile, monkeypatch):
    corpus, index_dir, first, _ = hostile
    store = IndexStore(index_dir)
    before = (store.current_generation(), store.manifest().documents, store.documents())
    monkeypatch.setenv("COOP_LIBRARY_MAX_FILE_BYTES", str(MAX_FILE_BYTES))
    again = run_indexer(corpus, index_dir)
    assert not again.published and (again.added, again.changed, again.deleted, again.stale) == ([], [], [], [])
    assert again.unchanged == len(INDEXED) and again.generation == first.generation
    assert {note.path: note.reason for note in again.failed} == {note.path: note.reason for note in first.failed}
    assert (store.current_generation(), store.manifest().documents, store.documents()) == before


def test_the_cli_indexes_the_corpus_within_time_and_memory_bounds(tmp_path):
    corpus = hostile_corpus(tmp_path / "corpus")
    report_file = tmp_path / "report.json"
    command = [sys.executable, "-m", "indexer", "index", "--corpus", str(corpus), "--index", str(tmp_path / "index"),
               "--report", str(report_file)]  # fmt: skip
    env = {**os.environ, "COOP_LIBRARY_MAX_FILE_BYTES": str(MAX_FILE_BYTES)}
    log = open(tmp_path / "index.log", "w+b")  # noqa: SIM115
    started = time.monotonic()
    child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=_cpu_limit)
    status, usage = _wait_or_kill(child, MAX_SECONDS)
    seconds = time.monotonic() - started
    log.seek(0)
    output = log.read().decode(errors="replace")
    log.close()
    assert os.waitstatus_to_exitcode(status) == EXIT_REJECTED, output
    peak = usage.ru_maxrss * 1024  # kilobytes on Linux
    print(f"coop-library index on the hostile corpus: {seconds:.1f} s, peak RSS {peak / 2**20:.0f} MiB")
    assert seconds < MAX_SECONDS and peak < MAX_PEAK_BYTES

    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert {note["path"]: note["id"] for note in report["added"]} == INDEXED
    failed = {note["path"]: note["reason"] for note in report["failed"]}
    assert set(failed) == set(REJECTED) and all(REJECTED[path] in failed[path] for path in failed)
    for path in REJECTED:
        assert f"FAILED {path}: " in output  # every refusal is on the terminal too, by path
    assert "WARNING markdown/control-characters.md: " in output and not UNWANTED.search(output)


def _cpu_limit() -> None:
    """In the child: a CPU-time ceiling, so a run that spins forever is killed rather than hanging the tests."""
    resource.setrlimit(resource.RLIMIT_CPU, (4 * MAX_SECONDS, 4 * MAX_SECONDS))


def _wait_or_kill(child: subprocess.Popen, seconds: float):  # type: ignore[type-arg,no-untyped-def]
    """Wait for the child with os.wait4 and return its status and resource usage; kill it after the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return status, usage
        if time.monotonic() > deadline:
            child.kill()
            child.wait()
            pytest.fail(f"coop-library index was still running after {seconds} s on the hostile corpus")
        time.sleep(0.05)


# The readers' fixes, each with input that took minutes before them and takes well under a second now.
PATHOLOGICAL = {
    "link-brackets.md": "[" * 100_000,
    "unclosed-code.md": "`a " * 35_000,
    "unclosed-emphasis.md": "*a " * 35_000,
    "heading-spaces.md": "# a" + " " * 100_000 + "x",
    "nested-divs.html": "<html><body>" + "<div>" * 20_000 + "<p>" + "word " * 30 + "</p></body></html>",
    "nested-list-items.html": "<html><body>" + "<li>" * 20_000 + "<p>" + "word " * 30 + "</p></body></html>",
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_reading_pathological_markup_takes_time_in_proportion_to_its_length(tmp_path, name):
    path = tmp_path / name
    path.write_text(PATHOLOGICAL[name], encoding="utf-8")
    started = time.monotonic()
    raw = read_file(path, name, MAX_FILE_BYTES)
    assert time.monotonic() - started < 5, "time grows with the square of the length again"
    assert raw.body


def test_a_pdf_budget_counts_a_form_every_time_a_page_draws_it(tmp_path):
    from library.errors import ParseError

    few = tmp_path / "few.pdf"
    few.write_bytes(make.form_bomb(draws=3, megabytes=1))
    assert read_file(few, "few.pdf", MAX_FILE_BYTES).body.count("Form text about Oldham") == 3
    many = tmp_path / "many.pdf"
    many.write_bytes(make.form_bomb(draws=25, megabytes=1))
    with pytest.raises(ParseError, match="unpacks to over"):
        read_file(many, "many.pdf", MAX_FILE_BYTES)
