"""The bundled corpus: indexes cleanly, every tag resolves, every theme is used, every format is findable."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.qparser import QueryParser

from indexer import run_indexer
from indexer.scan import scan_corpus
from library.readers import read_file
from library.store import IndexStore
from library.tagging import Tagger
from tests.conftest import BUNDLED


@pytest.fixture(scope="module")
def bundled_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("bundled") / "index"
    report = run_indexer(BUNDLED, index_dir)
    return report, IndexStore(index_dir)


@pytest.fixture(scope="module")
def documents(bundled_index):
    return bundled_index[1].documents()


def test_every_document_indexes_without_warnings(bundled_index):
    report, _ = bundled_index
    assert report.failed == [] and report.stale == []
    assert report.warnings == []
    assert report.documents >= 60


def test_every_council_named_in_the_text_is_tagged_or_deliberately_not(vocab):
    tagger = Tagger(vocab)
    untagged = []
    for found in scan_corpus(BUNDLED, []):
        doc, _ = tagger.build(read_file(found.path, found.shown, 10**8), "")
        allowed = set(doc.council_ids) | set(doc.mentioned)
        for council_id, words in tagger.gazetteer.find(f"{doc.title}\n{doc.summary}\n{doc.body}"):
            if council_id not in allowed:
                untagged.append((found.shown, council_id, words))
    assert untagged == []


def test_every_theme_and_type_in_use(documents, vocab):
    themes = Counter(t for doc in documents.values() for t in doc.theme_ids)
    assert [t for t in vocab.themes if not themes[t]] == []
    types = {doc.doc_type for doc in documents.values()}
    assert {
        "case-study",
        "policy-lab",
        "policy-prototype",
        "policy-lab-report",
        "report",
        "annual-report",
        "review",
    } <= types
    # No source holds a council's own announcement, so no bundled document is one; the type waits for the ones
    # members submit themselves.
    assert "press-release" not in types


def test_formats_are_all_present(documents):
    suffixes = Counter(Path(doc.source_path).suffix for doc in documents.values())
    assert suffixes[".html"] >= 3 and suffixes[".pdf"] >= 2 and suffixes[".txt"] >= 1


@pytest.mark.parametrize(
    ("phrase", "source"),
    [
        ("roll of honour", ".html"),
        ("busy run of events", ".html"),
        ("sits alongside other co-operative work", ".html"),
        ("map before you buy", ".pdf"),
        ("Small grants, shared answers", ".pdf"),
        ("the network's travelling year", ".txt"),
    ],
)
def test_html_pdf_and_text_entries_are_found_by_words_in_their_bodies(bundled_index, documents, phrase, source):
    _, store = bundled_index
    _, path = store.open()
    ix = whoosh_index.open_dir(str(path))  # Whoosh itself, as an independent reader of what was written
    with ix.searcher() as searcher:
        query = QueryParser("body", ix.schema).parse(f'"{phrase}"')
        hits = [hit["id"] for hit in searcher.search(query)]
    assert len(hits) == 1 and documents[hits[0]].source_path.endswith(source)
    assert phrase.lower() not in documents[hits[0]].title.lower()


def test_every_document_has_the_fields_a_councillor_needs(documents):
    for doc in documents.values():
        assert doc.title and doc.summary and doc.doc_type and doc.date, doc.id
        assert len(doc.body.split()) >= 100, doc.id
        assert "@" not in doc.lead_contact, doc.id
