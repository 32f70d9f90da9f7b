"""The indexer end to end: incremental runs, bad input, stale documents, duplicate ids."""

from __future__ import annotations

import codecs
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from indexer import EXIT_OK, EXIT_REJECTED, run_indexer
from library.store import IndexIncompleteError, IndexStore
from tests.conftest import ROOT
from tests.helpers import pdf_bytes, write_markdown

GOOD_BODY = "Oldham Council worked with residents on a co-operative housing scheme and shared what it learned."


def titles(index_dir: Path) -> dict[str, str]:
    return {doc_id: doc.title for doc_id, doc in IndexStore(index_dir).documents().items()}


def generations(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(("gen-", "building-")))


def test_incremental_runs_follow_edits_deletes_and_breakages(corpus_dir, index_dir, index):
    a = write_markdown(corpus_dir, "2016/a.md", GOOD_BODY, title="A one", councils=["oldham"], year=2016)
    b = write_markdown(corpus_dir, "2016/b.md", GOOD_BODY, title="B one", year=2016)
    c = write_markdown(corpus_dir, "2019/c.md", GOOD_BODY, title="C one", year=2019)

    first = index()
    assert (len(first.added), first.published, first.generation, first.exit_code) == (3, True, 1, EXIT_OK)
    assert titles(index_dir) == {"2016/a": "A one", "2016/b": "B one", "2019/c": "C one"}

    quiet = index()
    assert (quiet.published, quiet.unchanged, quiet.generation) == (False, 3, 1)
    assert generations(index_dir) == ["gen-000001"]

    write_markdown(corpus_dir, "2016/a.md", GOOD_BODY, title="A two", councils=["oldham"], year=2016)
    os.utime(b, (1, 1))  # touched but not changed: hashed, found equal, not re-read
    edited = index()
    assert [n.id for n in edited.changed] == ["2016/a"] and edited.unchanged == 2 and edited.generation == 2
    assert titles(index_dir)["2016/a"] == "A two"

    c.unlink()
    removed = index()
    assert [n.id for n in removed.deleted] == ["2019/c"]
    assert set(titles(index_dir)) == {"2016/a", "2016/b"}

    a.write_text("---\ntitle: [broken\n---\nbody", encoding="utf-8")
    broken = index()
    assert broken.exit_code == EXIT_REJECTED and not broken.published
    assert [(n.path, n.id) for n in broken.stale] == [("2016/a.md", "2016/a")]
    assert "malformed YAML" in broken.stale[0].reason
    assert titles(index_dir)["2016/a"] == "A two"  # the last good version keeps serving

    again = index()  # still broken: still reported, still kept
    assert [n.id for n in again.stale] == ["2016/a"] and titles(index_dir)["2016/a"] == "A two"

    write_markdown(corpus_dir, "2016/a.md", GOOD_BODY, title="A three", councils=["oldham"], year=2016)
    write_markdown(corpus_dir, "2023/d.md", GOOD_BODY, title="D one", year=2023)
    fixed = index()
    assert [n.id for n in fixed.changed] == ["2016/a"] and [n.id for n in fixed.added] == ["2023/d"]
    assert fixed.exit_code == EXIT_OK
    assert titles(index_dir) == {"2016/a": "A three", "2016/b": "B one", "2023/d": "D one"}


def test_new_generation_shares_unchanged_files_with_the_old(corpus_dir, index_dir, index):
    for n in range(20):
        write_markdown(corpus_dir, f"docs/{n}.md", GOOD_BODY, title=f"Doc {n}")
    index()
    old = IndexStore(index_dir).current_path()
    old_segments = {p.name: p.stat().st_ino for p in old.glob("*.pst")}
    write_markdown(corpus_dir, "docs/new.md", GOOD_BODY, title="New")
    index()
    new = IndexStore(index_dir).current_path()
    shared = {p.name for p in new.glob("*.pst") if old_segments.get(p.name) == p.stat().st_ino}
    assert shared, "unchanged segments should be hard links, not copies"


def test_sidecar_edit_counts_as_a_change(corpus_dir, index_dir, index):
    (corpus_dir / "r.txt").write_text("Report title\n\n" + GOOD_BODY, encoding="utf-8")
    (corpus_dir / "r.yaml").write_text("title: First\n", encoding="utf-8")
    index()
    (corpus_dir / "r.yaml").write_text("title: Second title\n", encoding="utf-8")
    assert [n.id for n in index().changed] == ["r"]
    assert titles(index_dir)["r"] == "Second title"


def test_changing_a_documents_id_replaces_the_old_id(corpus_dir, index_dir, index):
    write_markdown(corpus_dir, "x.md", GOOD_BODY, title="X")
    index()
    write_markdown(corpus_dir, "x.md", GOOD_BODY, title="X", id="stable/x")
    report = index()
    assert set(titles(index_dir)) == {"stable/x"} and [n.id for n in report.deleted] == ["x"]


def test_duplicate_ids_are_both_reported_and_neither_wins(corpus_dir, index_dir, index):
    write_markdown(corpus_dir, "one.md", GOOD_BODY, title="One", id="same")
    write_markdown(corpus_dir, "two.md", GOOD_BODY, title="Two", id="same")
    write_markdown(corpus_dir, "ok.md", GOOD_BODY, title="Ok")
    report = index()
    assert sorted(n.path for n in report.failed) == ["one.md", "two.md"]
    assert all("'same' is also used by" in n.reason for n in report.failed)
    assert set(titles(index_dir)) == {"ok"}


def test_duplicate_of_an_indexed_id_keeps_the_indexed_version(corpus_dir, index_dir, index):
    write_markdown(corpus_dir, "one.md", GOOD_BODY, title="One", id="same")
    index()
    write_markdown(corpus_dir, "two.md", GOOD_BODY, title="Two", id="same")
    report = index()
    assert [n.path for n in report.stale] == ["one.md"] and [n.path for n in report.failed] == ["two.md"]
    assert titles(index_dir) == {"same": "One"}


def test_full_rebuild_keeps_stale_documents(corpus_dir, index_dir, index):
    a = write_markdown(corpus_dir, "a.md", GOOD_BODY, title="A")
    write_markdown(corpus_dir, "b.md", GOOD_BODY, title="B")
    index()
    a.write_bytes(b"\x00\x01binary")
    report = index(full=True)
    assert report.published and [n.id for n in report.stale] == ["a"]
    assert titles(index_dir) == {"a": "A", "b": "B"}


def test_every_bad_input_is_reported_and_every_good_document_indexed(corpus_dir, index_dir, index, monkeypatch):
    monkeypatch.setenv("COOP_LIBRARY_MAX_FILE_BYTES", "20000")
    write_markdown(corpus_dir, "good/one.md", GOOD_BODY, title="Good one")
    write_markdown(corpus_dir, "good/two.md", GOOD_BODY, title="Good two")
    (corpus_dir / "good/old.md").write_bytes(
        b"---\ntitle: Caf\xe9 co-op\n---\nA Windows-1252 file about co-operative caf\xe9s."
    )
    bad = {
        "bad/malformed.md": b"---\ntitle: [unclosed\n---\nbody",
        "bad/unclosed.md": b"---\ntitle: x\n",
        "bad/junk.md": bytes(range(256)) * 4,
        "bad/empty.md": b"",
        "bad/zero.pdf": b"",
        "bad/corrupt.pdf": b"%PDF-1.4\n%garbage that is not a pdf body\n%%EOF",
        "bad/huge.md": b"word " * 5000,
        "bad/nav.html": b"<html><body><nav>Home News</nav><footer>Contact us</footer></body></html>",
    }
    for relative, content in bad.items():
        (corpus_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (corpus_dir / relative).write_bytes(content)
    from pypdf import PdfReader, PdfWriter

    (corpus_dir / "plain.pdf").write_bytes(pdf_bytes(["Plain co-operative report text."]))
    writer = PdfWriter()
    writer.add_page(PdfReader(corpus_dir / "plain.pdf").pages[0])
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    with open(corpus_dir / "bad/encrypted.pdf", "wb") as handle:
        writer.write(handle)
    (corpus_dir / "plain.pdf").unlink()
    os.symlink(corpus_dir / "bad/loop-b.md", corpus_dir / "bad/loop-a.md")
    os.symlink(corpus_dir / "bad/loop-a.md", corpus_dir / "bad/loop-b.md")
    write_markdown(corpus_dir, "dup/x.md", GOOD_BODY, title="X", id="dup")
    write_markdown(corpus_dir, "dup/y.md", GOOD_BODY, title="Y", id="dup")

    report = index()
    failed = {n.path: n.reason for n in report.failed}
    expected = {*bad, "bad/encrypted.pdf", "bad/loop-a.md", "bad/loop-b.md", "dup/x.md", "dup/y.md"}
    assert set(failed) == expected
    assert all(reason for reason in failed.values())
    assert set(titles(index_dir)) == {"good/one", "good/two", "good/old"}
    assert any(n.path == "good/old.md" and "Windows-1252" in n.reason for n in report.warnings)
    assert report.exit_code == EXIT_REJECTED


def test_unreadable_file_is_reported(tmp_path):
    """Run the indexer as an unprivileged user so file permissions apply even under root."""
    work = Path(tempfile.mkdtemp(prefix="coop-unreadable-"))
    try:
        corpus = work / "corpus"
        corpus.mkdir()
        for name in ("themes.yaml", "councils.yaml", "doc_types.yaml"):
            shutil.copy(ROOT / "corpus" / name, corpus / name)
        write_markdown(corpus, "ok.md", GOOD_BODY, title="Readable")
        secret = write_markdown(corpus, "secret.md", GOOD_BODY, title="Secret")
        secret.chmod(0)
        for path in [work, *work.rglob("*")]:
            if path != secret:
                path.chmod(0o777 if path.is_dir() else 0o644)
        # The codecs the indexer opens files with, loaded while Python's own folder is readable: once the child
        # drops to "nobody" it may not be able to read a Python installed under a private home directory.
        for codec in ("ascii", "utf-8-sig", "latin-1", "cp1252"):
            codecs.lookup(codec)
        pid = os.fork()
        if pid == 0:  # the child drops to an unprivileged user, then runs the indexer
            code = 99
            try:
                if os.geteuid() == 0:
                    os.setgid(65534)
                    os.setuid(65534)
                report = run_indexer(corpus, work / "index")
                (work / "report.json").write_text(report.to_json())
                code = report.exit_code
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == EXIT_REJECTED
        report = json.loads((work / "report.json").read_text())
        assert [(n["path"], "permission denied" in n["reason"]) for n in report["failed"]] == [("secret.md", True)]
        assert [n["id"] for n in report["added"]] == ["ok"]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_symlinked_folders_are_not_followed(corpus_dir, index_dir, index):
    write_markdown(corpus_dir, "real/a.md", GOOD_BODY, title="A")
    os.symlink(corpus_dir, corpus_dir / "real/loop")
    report = index()
    assert set(titles(index_dir)) == {"real/a"}
    assert any(n.path == "real/loop" and "not followed" in n.reason for n in report.warnings)


def test_unsupported_files_are_noted_not_indexed(corpus_dir, index_dir, index):
    write_markdown(corpus_dir, "a.md", GOOD_BODY, title="A")
    (corpus_dir / "notes.docx").write_bytes(b"PK\x03\x04")
    report = index()
    assert any(n.path == "notes.docx" and "no reader" in n.reason for n in report.warnings)


def test_vocabulary_files_tools_and_readme_are_not_documents(corpus_dir, index_dir, index):
    from library.vocab import VOCABULARY_FILES

    assert all((corpus_dir / name).is_file() for name in VOCABULARY_FILES)  # every one is there to be skipped
    (corpus_dir / "README.md").write_text("# About this corpus\n\nNot a document.", encoding="utf-8")
    (corpus_dir / "tools").mkdir()
    (corpus_dir / "tools" / "notes.md").write_text("Tool notes.", encoding="utf-8")
    write_markdown(corpus_dir, "a.md", GOOD_BODY, title="A")
    index()
    assert set(titles(index_dir)) == {"a"}


def test_an_index_from_an_earlier_version_is_rebuilt_in_full_keeping_added_times(corpus_dir, index_dir, index):
    import json

    from library.engine.whoosh.schema import SCHEMA_VERSION
    from library.search import Library
    from library.store import MANIFEST
    from library.vocab import load_vocabularies

    write_markdown(corpus_dir, "2016/a.md", "Energy co-operative.", title="A", type="case-study", year=2016)
    index()
    store = IndexStore(index_dir)
    added = store.manifest().documents["2016/a"]["added"]
    assert store.manifest().schema == SCHEMA_VERSION
    # As an earlier version left it: its manifest records an older schema version, or none at all.
    manifest_file = store.current_path() / MANIFEST
    written = json.loads(manifest_file.read_text(encoding="utf-8"))
    del written["schema"]
    manifest_file.write_text(json.dumps(written), encoding="utf-8")
    assert not store.schema_matches()

    report = index()
    assert report.full and report.published and report.exit_code == EXIT_OK
    assert any("earlier version" in note.reason for note in report.warnings)
    assert store.schema_matches() and store.manifest().documents["2016/a"]["added"] == added
    library = Library(index_dir, load_vocabularies(corpus_dir))
    try:
        assert [hit.id for hit in library.recently_added()] == ["2016/a"]
    finally:
        library.close()


def test_a_large_build_analysed_on_every_core_finds_what_a_single_process_build_finds(tmp_path, monkeypatch):
    from whoosh import index as whoosh_index

    from bench.corpus import CorpusGenerator
    from library.engine.whoosh import writing
    from library.engine.whoosh.schema import build_schema
    from library.search import Library, SearchRequest
    from library.vocab import load_vocabularies

    size = writing.PARALLEL_FROM + 20
    if (os.cpu_count() or 1) > 1:
        (tmp_path / "probe").mkdir()
        ix = whoosh_index.create_in(str(tmp_path / "probe"), build_schema())
        writer = writing.open_writer(ix, size)
        assert isinstance(writer, writing.ParallelWriter)
        writer.cancel()
    corpus = CorpusGenerator(seed=8).write(tmp_path / "corpus", size)
    vocab = load_vocabularies(corpus)
    parallel = run_indexer(corpus, tmp_path / "parallel")
    monkeypatch.setattr(writing, "PARALLEL_FROM", 10**9)
    single = run_indexer(corpus, tmp_path / "single")
    assert parallel.documents == single.documents == size
    libraries = Library(tmp_path / "parallel", vocab), Library(tmp_path / "single", vocab)
    try:
        for words in ("housing", "energy co-operative", "community wealth building", ""):
            results = [lib.search(SearchRequest(query=words, per_page=20)) for lib in libraries]
            assert results[0].total == results[1].total
            assert [h.id for h in results[0].results] == [h.id for h in results[1].results]
            assert results[0].facets == results[1].facets
    finally:
        for lib in libraries:
            lib.close()


def test_a_generation_is_never_published_with_a_manifest_listing_a_document_it_lacks(corpus_dir, index_dir, index):
    write_markdown(corpus_dir, "a.md", "Housing co-operative.", title="A")
    assert index().published
    store = IndexStore(index_dir)
    serving, listed = store.current_name(), store.manifest().documents
    builder = store.begin(full=False)  # the same documents as the published generation
    ghost = {"path": "ghost.md", "hash": "x", "size": 1, "mtime": 1, "added": 1}
    with pytest.raises(IndexIncompleteError, match=r"1 listed but not indexed \(e.g. ghost\)"):
        builder.publish({**listed, "ghost": ghost})
    builder.abort()
    assert store.current_name() == serving and store.check().consistent
    assert not [p for p in index_dir.iterdir() if p.name.startswith("building-")]
