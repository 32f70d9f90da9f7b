"""The indexer's steps one at a time, on real files and real indexes: scan, read, tag, plan, write, publish, check."""

from __future__ import annotations

import contextlib
import os
import re
import signal
from pathlib import Path

import pytest

from indexer import run_indexer
from indexer.report import FileNote, RunReport
from indexer.run import RunInterrupted, check_corpus, stopped_by_signals
from indexer.spool import Spool, Upserts
from indexer.steps import (
    NOTHING_PUBLISHED,
    Changes,
    Published,
    Seen,
    compare_with_published,
    keep_last_good_versions,
    new_generation,
    plan,
    publish,
    read,
    read_corpus,
    rebuild_in_full_when_needed,
    refuse_duplicate_ids,
    scan,
    tag,
    write,
)
from library import settings
from library.errors import ParseError
from library.model import Document
from library.store import IndexStore
from library.tagging import Tagger
from library.vocab import load_vocabularies, tagging_fingerprint
from tests.helpers import write_markdown

GOOD_BODY = "Oldham Council worked with residents on a co-operative housing scheme and shared what it learned."
BROKEN = "---\ntitle: [broken\n---\nbody"


@pytest.fixture
def spool(tmp_path):
    with Spool(tmp_path) as spool:
        yield spool


@pytest.fixture
def max_bytes() -> int:
    return settings.get_int("max_file_bytes")


def published(index_dir: Path) -> Published:
    return Published.from_manifest(IndexStore(index_dir).manifest())


def report_for(corpus: Path, full: bool = False) -> RunReport:
    return RunReport(corpus=str(corpus), index="", full=full)


def titles(index_dir: Path) -> dict[str, str]:
    return {doc_id: doc.title for doc_id, doc in IndexStore(index_dir).documents().items()}


# ---- scan


def test_the_scan_finds_documents_in_a_stable_order_and_notes_what_it_passes_over(corpus_dir):
    write_markdown(corpus_dir, "b/two.md", GOOD_BODY, title="Two")
    write_markdown(corpus_dir, "a/one.md", GOOD_BODY, title="One")
    write_markdown(corpus_dir, "a/.draft.md", GOOD_BODY, title="Hidden")
    (corpus_dir / "README.md").write_text("# About this corpus", encoding="utf-8")
    (corpus_dir / "notes.docx").write_bytes(b"PK\x03\x04")

    found = scan(corpus_dir)

    assert [item.shown for item in found.files] == ["a/one.md", "b/two.md"]
    assert [item.path for item in found.files] == [corpus_dir / "a/one.md", corpus_dir / "b/two.md"]
    assert [(note.path, "no reader" in note.reason) for note in found.passed_over] == [("notes.docx", True)]


def test_the_scan_refuses_a_corpus_that_is_not_a_folder(tmp_path):
    with pytest.raises(ParseError, match="is not a folder of documents"):
        scan(tmp_path / "no-such-corpus")


def test_the_scan_tells_unchanged_files_from_new_and_changed_ones(corpus_dir, index_dir, max_bytes):
    kept = write_markdown(corpus_dir, "keep.md", GOOD_BODY, title="Keep")
    touched = write_markdown(corpus_dir, "touched.md", GOOD_BODY, title="Touched")
    edited = write_markdown(corpus_dir, "edited.md", GOOD_BODY, title="Edited")
    removed = write_markdown(corpus_dir, "removed.md", GOOD_BODY, title="Removed")
    run_indexer(corpus_dir, index_dir)
    before = published(index_dir)
    os.utime(touched, ns=(1_000_000_000, 1_000_000_000))  # a new time, the same bytes
    stat = kept.stat()
    kept.write_text(kept.read_text(encoding="utf-8").replace("Keep", "Kept"), encoding="utf-8")
    os.utime(kept, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # new bytes, but the same size and time: not even hashed
    write_markdown(corpus_dir, "edited.md", GOOD_BODY, title="Edited again")
    removed.unlink()
    write_markdown(corpus_dir, "new.md", GOOD_BODY, title="New")

    seen = {item.shown: compare_with_published(item, before, False, max_bytes) for item in scan(corpus_dir).files}

    assert {shown: (entry.unchanged, entry.doc_id) for shown, entry in seen.items()} == {
        "edited.md": (False, ""),
        "keep.md": (True, "keep"),
        "new.md": (False, ""),
        "touched.md": (True, "touched"),
    }
    assert seen["keep.md"].hash == before.documents["keep"]["hash"]
    assert seen["touched.md"].hash == before.documents["touched"]["hash"]  # hashed, found equal, not to be read
    assert seen["touched.md"].mtime == 1_000_000_000  # the manifest will record the new time
    assert seen["edited.md"].hash and seen["edited.md"].hash != before.documents["edited"]["hash"]
    assert (seen["edited.md"].size, seen["edited.md"].mtime) == (edited.stat().st_size, edited.stat().st_mtime_ns)
    full = [compare_with_published(item, before, True, max_bytes) for item in scan(corpus_dir).files]
    assert not [entry.shown for entry in full if entry.unchanged]  # a full run reads every file again


# ---- read and tag


def test_the_read_step_reports_a_broken_file_by_path_and_reason_and_skips_it(corpus_dir, max_bytes):
    (corpus_dir / "bad.md").write_text(BROKEN, encoding="utf-8")
    write_markdown(corpus_dir, "good.md", GOOD_BODY, title="Good")
    files = {item.shown: item for item in scan(corpus_dir).files}
    report = report_for(corpus_dir)

    assert read(files["bad.md"], max_bytes, NOTHING_PUBLISHED, report) is None
    raw = read(files["good.md"], max_bytes, NOTHING_PUBLISHED, report)

    [failed] = report.failed
    assert (failed.path, failed.id) == ("bad.md", "")
    assert re.match(r"line \d+: ", failed.reason) and "malformed YAML" in failed.reason
    assert report.stale == []
    assert raw is not None and raw.path == "good.md" and raw.meta == {"title": "Good"} and GOOD_BODY in raw.body


def test_a_published_file_that_breaks_is_reported_stale_with_its_id(corpus_dir, index_dir, max_bytes):
    write_markdown(corpus_dir, "a.md", GOOD_BODY, title="A")
    run_indexer(corpus_dir, index_dir)
    (corpus_dir / "a.md").write_bytes(b"")
    report = report_for(corpus_dir)

    assert read(scan(corpus_dir).files[0], max_bytes, published(index_dir), report) is None

    assert report.stale == [FileNote("a.md", "is empty", "a")] and report.failed == []


def test_the_tag_step_makes_a_tagged_document_and_notes_its_warnings_by_path_and_id(corpus_dir, max_bytes):
    write_markdown(corpus_dir, "2016/a.md", GOOD_BODY, title="A plan", year=2016, colour="blue")
    item = scan(corpus_dir).files[0]
    entry = compare_with_published(item, NOTHING_PUBLISHED, True, max_bytes)
    report = report_for(corpus_dir, full=True)
    raw = read(item, max_bytes, NOTHING_PUBLISHED, report)
    assert raw is not None

    doc = tag(raw, entry, Tagger(load_vocabularies(corpus_dir)), NOTHING_PUBLISHED, report)

    assert doc is not None
    assert (doc.id, doc.title, doc.source_path, doc.content_hash) == ("2016/a", "A plan", "2016/a.md", entry.hash)
    assert "oldham" in [t.value for t in doc.councils]  # inferred from the text
    assert [(n.path, n.id) for n in report.warnings] == [("2016/a.md", "2016/a")]
    assert "unknown metadata keys kept but not used: colour" in report.warnings[0].reason
    assert report.failed == report.stale == []


def test_ids_a_reader_cannot_tell_apart_are_all_refused_and_a_published_one_is_kept(corpus_dir):
    seen = [
        Seen("one.md", 1, 1, doc_id="Housing-Plan"),
        Seen("two.md", 1, 1, doc_id="housing-plan"),
        Seen("three.md", 1, 1, doc_id="energy"),
        Seen("four.md", 1, 1, doc_id="energy"),
        Seen("five.md", 1, 1, doc_id="food"),
    ]
    before = Published(ids_by_path={"one.md": "Housing-Plan"})
    report = report_for(corpus_dir)

    kept = refuse_duplicate_ids(seen, before, report)

    assert [entry.shown for entry in kept] == ["five.md"]
    assert [(n.path, n.id) for n in report.stale] == [("one.md", "Housing-Plan")]  # its last good version stays
    assert [n.path for n in report.failed] == ["two.md", "three.md", "four.md"]
    assert "looks the same as the id of one.md (id 'Housing-Plan')" in report.failed[0].reason
    assert report.failed[1].reason == (
        "id 'energy' is also used by four.md (id 'energy'); give each document its own id"
    )


def test_reading_the_corpus_keeps_unchanged_files_reads_the_rest_and_skips_broken_ones(corpus_dir, index_dir, spool):
    write_markdown(corpus_dir, "a.md", GOOD_BODY, title="A")
    run_indexer(corpus_dir, index_dir)
    write_markdown(corpus_dir, "b.md", GOOD_BODY, title="B")
    (corpus_dir / "c.md").write_text(BROKEN, encoding="utf-8")
    (corpus_dir / "notes.docx").write_bytes(b"PK\x03\x04")
    report = report_for(corpus_dir)
    handled: list[str] = []
    totals: list[int] = []

    seen = read_corpus(
        scan(corpus_dir),
        published(index_dir),
        load_vocabularies(corpus_dir),
        report,
        handled.append,
        totals.append,
        spool=spool,
    )

    assert [(e.shown, e.doc_id, e.unchanged, e.spooled >= 0) for e in seen] == [
        ("a.md", "a", True, False),
        ("b.md", "b", False, True),
    ]
    assert totals == [3] and handled == ["a.md", "b.md", "c.md"]
    assert [n.path for n in report.failed] == ["c.md"]
    assert [n.path for n in report.warnings] == ["notes.docx"]  # what the scan passed over, in the report


# ---- check mode


def test_check_mode_reports_every_file_and_never_creates_an_index_folder(corpus_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the default index folder (./var/index) would appear
    monkeypatch.delenv("COOP_LIBRARY_INDEX", raising=False)
    write_markdown(corpus_dir, "bare.md", GOOD_BODY, title="Bare")
    (corpus_dir / "bad.md").write_text(BROKEN, encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))

    report = check_corpus(corpus_dir)

    assert sorted(tmp_path.rglob("*")) == before
    assert (report.documents, report.full, report.published, report.generation) == (1, True, False, 0)
    assert [n.path for n in report.failed] == ["bad.md"] and report.stale == []
    assert {n.reason.split(":")[0] for n in report.warnings if n.path == "bare.md"} == {
        "no principles", "no sources", "no status"
    }  # fmt: skip


def test_check_mode_refuses_a_corpus_that_is_not_a_folder(tmp_path):
    with pytest.raises(ParseError, match="is not a folder of documents"):
        check_corpus(tmp_path / "no-such-corpus")
    assert list(tmp_path.iterdir()) == []


# ---- write and publish


def test_changed_vocabularies_mark_the_run_full_and_name_the_file(corpus_dir, index_dir):
    write_markdown(corpus_dir, "a.md", GOOD_BODY, title="A")
    run_indexer(corpus_dir, index_dir)
    store, before = IndexStore(index_dir), published(index_dir)

    same = report_for(corpus_dir)
    rebuild_in_full_when_needed(store, before, tagging_fingerprint(corpus_dir), corpus_dir, same)
    with (corpus_dir / "themes.yaml").open("a", encoding="utf-8") as themes:
        themes.write("\n# edited\n")
    changed = report_for(corpus_dir)
    rebuild_in_full_when_needed(store, before, tagging_fingerprint(corpus_dir), corpus_dir, changed)

    assert (same.full, same.warnings) == (False, [])
    assert changed.full and changed.warnings == [
        FileNote(str(corpus_dir), "themes.yaml changed since the last run, so every document was re-read and re-tagged")
    ]


def test_the_plan_counts_what_was_added_changed_deleted_and_unchanged(corpus_dir, index_dir, spool):
    for name in ("a", "b", "c"):
        write_markdown(corpus_dir, f"{name}.md", GOOD_BODY, title=name.upper())
    run_indexer(corpus_dir, index_dir)
    before = published(index_dir)
    write_markdown(corpus_dir, "b.md", GOOD_BODY, title="B two")
    (corpus_dir / "c.md").unlink()
    write_markdown(corpus_dir, "d.md", GOOD_BODY, title="D")
    report = report_for(corpus_dir)
    seen = read_corpus(scan(corpus_dir), before, load_vocabularies(corpus_dir), report, spool=spool)

    changes = plan(seen, before, report, spool)

    assert ([n.id for n in report.added], [n.id for n in report.changed], [n.id for n in report.deleted]) == (
        ["d"], ["b"], ["c"]
    )  # fmt: skip
    assert (report.unchanged, report.documents) == (1, 3)
    assert [doc.id for doc in changes.upserts] == ["b", "d"] and changes.deletes == ["c"]
    assert list(changes.manifest) == ["a", "b", "d"]
    assert changes.manifest["a"] == before.documents["a"]  # unchanged: its entry, first-published time and all
    assert changes.manifest["b"]["added"] == before.documents["b"]["added"]
    assert not changes.nothing_to_write


def test_write_then_publish_makes_the_new_generation_the_one_readers_see(corpus_dir, index_dir, spool):
    write_markdown(corpus_dir, "a.md", GOOD_BODY, title="A")
    write_markdown(corpus_dir, "b.md", GOOD_BODY, title="B")
    run_indexer(corpus_dir, index_dir)
    write_markdown(corpus_dir, "a.md", GOOD_BODY, title="A two")
    (corpus_dir / "b.md").unlink()
    store, before, vocab = IndexStore(index_dir), published(index_dir), load_vocabularies(corpus_dir)
    report = report_for(corpus_dir)
    changes = plan(read_corpus(scan(corpus_dir), before, vocab, report, spool=spool), before, report, spool)

    with new_generation(store, full=False) as builder:
        write(builder, changes, vocab, full=False)
        assert store.current_generation() == 1 and titles(index_dir) == {"a": "A", "b": "B"}  # not yet published
        publish(builder, changes, tagging_fingerprint(corpus_dir), report)

    assert (store.current_generation(), report.generation, report.published) == (2, 2, True)
    assert titles(index_dir) == {"a": "A two"}
    assert store.manifest().documents == changes.manifest
    assert store.manifest().vocabulary == tagging_fingerprint(corpus_dir)


def test_a_generation_that_fails_before_it_is_published_is_thrown_away(corpus_dir, index_dir):
    write_markdown(corpus_dir, "a.md", GOOD_BODY, title="A")
    run_indexer(corpus_dir, index_dir)
    store = IndexStore(index_dir)

    with pytest.raises(OSError, match="No space left"), new_generation(store, full=True) as builder:
        assert builder.path.is_dir()
        raise OSError(28, "No space left on device")

    assert not builder.path.exists()
    assert not [p.name for p in index_dir.iterdir() if p.name.startswith("building-")]
    assert store.current_generation() == 1 and titles(index_dir) == {"a": "A"}


def test_a_full_rebuild_keeps_stale_documents_with_only_the_tags_the_vocabularies_still_hold(
    corpus_dir, index_dir, spool
):
    write_markdown(corpus_dir, "a.md", GOOD_BODY, title="A", councils=["oldham"], themes=["housing"])
    write_markdown(corpus_dir, "b.md", GOOD_BODY, title="B")
    run_indexer(corpus_dir, index_dir)
    (corpus_dir / "a.md").write_text(BROKEN, encoding="utf-8")
    store, before, vocab = IndexStore(index_dir), published(index_dir), load_vocabularies(corpus_dir)
    del vocab.councils["oldham"]  # as if the council register no longer held it
    report = report_for(corpus_dir, full=True)
    changes = plan(read_corpus(scan(corpus_dir), before, vocab, report, spool=spool), before, report, spool)
    assert [doc.id for doc in changes.upserts] == ["b"] and [n.id for n in report.stale] == ["a"]

    keep_last_good_versions(store, vocab, changes, report)

    assert [doc.id for doc in changes.upserts] == ["b", "a"]
    stale = changes.upserts[1]
    assert (stale.title, stale.councils, [t.value for t in stale.themes]) == ("A", [], ["housing"])
    assert changes.manifest["a"] == before.documents["a"] and report.documents == 2


def test_a_stale_document_the_published_index_lacks_is_reported_failed(corpus_dir, index_dir, spool):
    write_markdown(corpus_dir, "a.md", GOOD_BODY, title="A")
    run_indexer(corpus_dir, index_dir)
    entry: dict[str, object] = {"path": "ghost.md", "hash": "x", "size": 1, "mtime": 1, "added": 1}
    changes = Changes(manifest={"ghost": entry}, upserts=Upserts(spool, [], []), deletes=[], kept={"ghost"})
    report = report_for(corpus_dir, full=True)
    report.stale.append(FileNote("ghost.md", "is empty", "ghost"))

    keep_last_good_versions(IndexStore(index_dir), load_vocabularies(corpus_dir), changes, report)

    assert changes.manifest == {} and list(changes.upserts) == [] and report.stale == []
    assert report.failed == [FileNote("ghost.md", "is empty; its last good version was missing from the index")]
    assert report.documents == 0


def test_a_stop_whose_exception_was_lost_still_stops_the_run_before_it_publishes(tmp_path):
    """Python drops an exception raised in a fork hook: a SIGINT landing as the writer forks must still stop the run."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write_markdown(corpus, "a.md", "Co-operative housing in Oldham.", title="First")
    run_indexer(corpus, index)
    write_markdown(corpus, "b.md", "Community energy in Plymouth.", title="Second")

    def swallowing_progress(_: str) -> None:
        with contextlib.suppress(RunInterrupted):  # lost, as an exception in a fork hook is
            os.kill(os.getpid(), signal.SIGINT)  # the handler runs here and raises RunInterrupted

    with pytest.raises(RunInterrupted) as stopped, stopped_by_signals():
        run_indexer(corpus, index, progress=swallowing_progress)
    assert stopped.value.signum == signal.SIGINT and stopped.value.published_generation == 0
    assert sorted(IndexStore(index).documents()) == ["a"]  # nothing new was published
    assert not list(index.glob("building-*"))


# ---- the spool


def test_spooled_documents_come_back_equal_in_order_with_held_ones_after(spool, tmp_path):
    docs = [
        Document(id=f"doc-{n}", title=f"Document {n}", doc_type="case-study", body="words " * n, extra={"n": n})
        for n in range(5)
    ]
    offsets = [spool.add(doc) for doc in docs]
    upserts = Upserts(spool, offsets[1:4], [d.id for d in docs[1:4]])
    upserts.hold([docs[0]])

    assert list(upserts) == [docs[1], docs[2], docs[3], docs[0]] and len(upserts) == 4
    assert upserts.ids == ["doc-1", "doc-2", "doc-3", "doc-0"]
    assert (upserts[0], upserts[-1], upserts[1:3]) == (docs[1], docs[0], docs[2:4])
    assert spool.read(offsets[4]) == docs[4]  # read back by offset, in any order
    assert list(tmp_path.iterdir()) == []  # the file has no name: nothing to clean up after a killed run
