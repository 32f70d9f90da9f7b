"""The network's ten principles: a validated vocabulary, declared or inferred with provenance, a facet and pages."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
import yaml
from bs4 import BeautifulSoup

from indexer import run_indexer
from library.errors import VocabularyError
from library.model import DECLARED, INFERRED
from library.search import Library, SearchRequest
from library.store import IndexStore
from library.vocab import load_vocabularies
from tests.conftest import BUNDLED
from tests.helpers import write_markdown

NAMES = [
    "Co-production", "Community leadership and a new role for councillors", "Democratic engagement",
    "Enterprise and social economy", "Innovation", "Learning", "Maximising social value",
    "New models of meeting priority needs", "Social partnership", "Walking the talk",
]  # fmt: skip


def page(client, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_the_ten_principles_are_the_networks_with_a_statement_and_signals(vocab):
    assert [p.label for p in vocab.principles.values()] == NAMES
    for principle in vocab.principles.values():
        assert principle.description.endswith(".") and principle.signals


@pytest.mark.parametrize(
    ("entry", "problem"),
    [({"id": "x", "label": "X"}, "'statement' is missing"), ({"id": "Bad Id", "label": "X", "statement": "s."}, "id"),
     ("just text", "expected a mapping")],
)  # fmt: skip
def test_a_principle_that_cannot_be_read_names_the_file_the_entry_and_the_problem(corpus_dir, entry, problem):
    (corpus_dir / "principles.yaml").write_text(yaml.safe_dump({"principles": [entry]}), encoding="utf-8")
    with pytest.raises(VocabularyError) as raised:
        load_vocabularies(corpus_dir)
    message = str(raised.value)
    assert "principles.yaml" in message and "entry 1" in message and problem in message


def test_declared_principles_resolve_by_id_or_name_and_others_are_inferred_with_provenance(
    corpus_dir, index_dir, vocab
):
    write_markdown(corpus_dir, "declared.md", "A plain report.", title="Declared",
                   principles=["co-production", "Walking the talk", "Good vibes"], year=2020)  # fmt: skip
    write_markdown(corpus_dir, "inferred.md", "Our policy lab tested a policy prototype with a pilot project.",
                   title="Inferred", year=2020)  # fmt: skip
    report = run_indexer(corpus_dir, index_dir)
    assert any("Good vibes" in note.reason and "principles.yaml" in note.reason for note in report.warnings)
    documents = IndexStore(index_dir).documents()
    assert [(t.value, t.source) for t in documents["declared"].principles] == [
        ("co-production", DECLARED), ("walking-the-talk", DECLARED)
    ]  # fmt: skip
    assert [(t.value, t.source) for t in documents["inferred"].principles] == [("innovation", INFERRED)]


def test_principle_facet_counts_match_the_documents(bundled_index, vocab):
    counted = Counter(p for doc in IndexStore(bundled_index).documents().values() for p in doc.principle_ids)
    library = Library(bundled_index, vocab)
    try:
        facet = {v.value: v.count for v in library.search(SearchRequest()).facets["principle"]}
        assert facet == dict(counted) and facet
        for principle_id, count in counted.items():
            assert library.search(SearchRequest(principle=(principle_id,))).total == count
    finally:
        library.close()


def test_the_principle_pages_list_their_documents(client, bundled_index):
    counted = Counter(p for doc in IndexStore(bundled_index).documents().values() for p in doc.principle_ids)
    principle_id, count = counted.most_common(1)[0]
    soup = page(client, f"/principle/{principle_id}")
    assert soup.select_one("h1").get_text() == load_vocabularies(BUNDLED).principles[principle_id].label
    assert soup.select_one(".answer-small").get_text().startswith(f"{count} documents")
    listing = page(client, "/principles")
    assert [a.get_text() for a in listing.select(".theme-list h2 a")] == NAMES
    page(client, "/principle/no-such-principle", 404)
    home = page(client, "/")
    assert home.select_one(f'#principles-heading ~ ul a[href="/principle/{principle_id}"]')


def test_the_principle_filter_is_in_the_search_page_the_api_and_the_csv(client, bundled_index):
    counted = Counter(p for doc in IndexStore(bundled_index).documents().values() for p in doc.principle_ids)
    principle_id, count = counted.most_common(1)[0]
    soup = page(client, f"/search?principle={principle_id}")
    assert soup.select_one(f'input[name=principle][value="{principle_id}"][checked]')
    data = client.get(f"/api/search?principle={principle_id}&per_page=100").get_json()
    assert data["total"] == count
    assert all(principle_id in [p["id"] for p in hit["principles"]] for hit in data["results"])
    text = client.get(f"/search.csv?principle={principle_id}").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    label = load_vocabularies(BUNDLED).principles[principle_id].label
    assert len(rows) == count and all(label in row["principles"].split("; ") for row in rows)


def test_a_document_page_says_whether_a_principle_was_declared_or_suggested(corpus_dir, index_dir, make_app):
    write_markdown(corpus_dir, "suggested.md", "Our policy lab tested a policy prototype with a pilot project.",
                   title="Suggested", year=2020)  # fmt: skip
    write_markdown(corpus_dir, "declared.md", "A plain report.", title="Declared", principles=["learning"], year=2020)
    run_indexer(corpus_dir, index_dir)
    client = make_app(index_dir, corpus_dir).test_client()
    for doc_id, shown in (("suggested", True), ("declared", False)):
        soup = page(client, f"/doc/{doc_id}")
        meta = {dt.get_text(): dt.find_next_sibling("dd") for dt in soup.select(".doc-meta dt")}
        assert ("(suggested by its words)" in meta["Network principles"].get_text()) is shown
    api = client.get("/api/documents/suggested").get_json()
    assert {p["source"] for p in api["principles"]} == {INFERRED}
