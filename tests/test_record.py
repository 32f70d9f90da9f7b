"""The network's record of each piece of practice: who led and took part, how far it got, what came of it, and
where every fact comes from; the network's own page; and the exports that carry it."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pytest
import yaml
from bs4 import BeautifulSoup

from indexer import run_indexer
from indexer.run import check_corpus
from library.errors import VocabularyError
from library.model import DECLARED, INFERRED
from library.search import Library, SearchRequest
from library.store import IndexStore
from library.vocab import load_vocabularies
from tests.conftest import BUNDLED
from tests.helpers import write_markdown

CROYDON = "2016/croydon-housing-commission"
CSV_HEADER = [
    "id", "title", "type", "status", "lead", "councils", "organisations", "regions", "themes", "principles", "year",
    "date", "evidence", "outcomes", "summary", "contact", "sources", "url",
]  # fmt: skip


def page(client, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def meta_of(soup: BeautifulSoup) -> dict[str, str]:
    return {
        dt.get_text(" ", strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True)
        for dt in soup.select(".doc-meta dt")
    }


def bundled_front_matter() -> dict[str, dict]:
    """Every bundled document's metadata, read straight from the files with PyYAML, not through the library."""
    found = {}
    for path in sorted(BUNDLED.rglob("*")):
        relative = path.relative_to(BUNDLED)
        if not path.is_file() or relative.parts[0] == "tools" or len(relative.parts) == 1:
            continue
        if path.suffix == ".md":
            text = path.read_text(encoding="utf-8")
            found[str(relative.with_suffix(""))] = yaml.safe_load(text.split("---\n", 2)[1])
        elif path.suffix in (".html", ".pdf", ".txt"):
            found[str(relative.with_suffix(""))] = yaml.safe_load(path.with_suffix(".yaml").read_text(encoding="utf-8"))
    return found


# ---- vocabularies: validated on load, errors name the file, the entry and the problem


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("statuses.yaml", "statuses:\n  - {id: Bad Id, label: X}\n", "id 'Bad Id'"),
        ("evidence.yaml", "evidence:\n  - {id: described}\n", "'label' is missing"),
        ("organisations.yaml", "kinds: {charity: Charities}\norganisations:\n  - {id: x, name: X, kind: club}\n",
         "kind 'club' should be one of charity"),
        ("organisations.yaml", "kinds: {charity: Charities}\norganisations:\n  - {id: oldham, name: X, kind: charity}\n",
         "also a council's id"),
        ("organisations.yaml", "organisations: []\n", "'kinds:'"),
        ("publications.yaml", "publications:\n  - {id: p, title: P, url: 'ftp://x'}\n", "http(s) address"),
        ("publications.yaml", "publications:\n  - {id: p, title: P, date: 2016-13-01}\n", "date"),
    ],
)  # fmt: skip
def test_a_record_vocabulary_that_cannot_be_used_names_the_file_the_entry_and_the_problem(
    corpus_dir, name, text, problem
):
    (corpus_dir / name).write_text(text, encoding="utf-8")
    with pytest.raises(VocabularyError) as raised:
        load_vocabularies(corpus_dir)
    message = str(raised.value)
    assert name in message and problem in message


def test_membership_must_cite_a_listed_publication(corpus_dir):
    councils = (corpus_dir / "councils.yaml").read_text(encoding="utf-8")
    councils = councils.replace("source: lga-annual-report-2014", "source: a-rumour", 1)
    (corpus_dir / "councils.yaml").write_text(councils, encoding="utf-8")
    with pytest.raises(VocabularyError) as raised:
        load_vocabularies(corpus_dir)
    assert "councils.yaml" in str(raised.value) and "'a-rumour', which is not in publications.yaml" in str(raised.value)


def test_the_bundled_record_vocabularies_are_the_issues_lists(vocab):
    assert list(vocab.statuses) == ["proposed", "funded", "in-progress", "completed", "report-published"]
    assert list(vocab.evidence) == ["not-reported", "described", "monitored", "independently-evaluated"]
    assert "ccin" in vocab.organisations and vocab.organisation_names.resolve("CCIN")[0] == "ccin"
    assert len(vocab.publications) == 5 and all(p.date for p in vocab.publications.values())
    members_2014 = [c.id for c in vocab.councils.values() if any(m.year == 2014 for m in c.membership)]
    assert len(members_2014) == 22  # the 2014 report's list of member authorities


# ---- front matter: lead, participants, status, funding, evidence, sources


def test_the_record_is_read_from_front_matter_and_resolved_through_the_registers(corpus_dir, index_dir):
    write_markdown(
        corpus_dir, "lab.md", "Text.", title="A lab", year=2019, lead="Plymouth City Council",
        councils=["oldham"], organisations=["Co-operatives UK", "RSA"], status="Report published",
        funding=[{"amount": 10000, "up_to": True, "year": 2019, "source": "CCIN Policy Lab grant"}],
        outcomes="A toolkit was published.", evidence="described",
        sources=["review-of-the-year-2018-19", {"title": "A council page", "url": "https://example.org/p", "date": "2019-05-01"}],
        written_for_library=True, last_reviewed="2026-12-01", principles=["co-production"],
    )  # fmt: skip
    write_markdown(corpus_dir, "by-network.md", "Text.", title="By the network", year=2019, lead="ccin")
    write_markdown(corpus_dir, "one-council.md", "Text.", title="One", year=2019, councils=["stevenage"])
    write_markdown(corpus_dir, "two-councils.md", "Text.", title="Two", year=2019, councils=["stevenage", "rochdale"])
    report = run_indexer(corpus_dir, index_dir)
    assert not report.warnings, report.warnings
    docs = IndexStore(index_dir).documents()
    lab = docs["lab"]
    assert (lab.lead, lab.lead_kind, lab.lead_source) == ("plymouth", "council", DECLARED)
    assert lab.council_ids == ["plymouth", "oldham"]  # the lead takes part too
    assert lab.practice_council_ids == ["plymouth", "oldham"]
    assert lab.organisations == ["co-operatives-uk", "rsa"]
    assert (lab.status, lab.evidence_id, lab.outcomes) == ("report-published", "described", "A toolkit was published.")
    assert lab.funding[0].text == "up to £10,000 (2019), CCIN Policy Lab grant"
    assert [s.title for s in lab.sources] == ["CCIN review of the year August 2018 – July 2019", "A council page"]
    assert lab.sources[1].url == "https://example.org/p" and lab.sources[1].date == "2019-05-01"
    assert lab.written_for_library and lab.last_reviewed.iso == "2026-12-01"
    network = docs["by-network"]
    assert (network.lead, network.lead_kind, network.organisations, network.council_ids) == (
        "ccin",
        "organisation",
        ["ccin"],
        [],
    )
    assert network.evidence_id == "not-reported" and network.status == ""
    assert (docs["one-council"].lead, docs["one-council"].lead_source) == ("stevenage", INFERRED)
    assert docs["two-councils"].lead == ""  # no lead is assumed among several


@pytest.mark.parametrize(
    ("meta", "warning"),
    [
        ({"lead": "Nowhere Council"}, "lead: 'Nowhere Council' is in neither councils.yaml nor organisations.yaml"),
        ({"status": "finished"}, "status: 'finished' is not in statuses.yaml (one of: proposed, funded"),
        ({"evidence": "proven"}, "evidence: 'proven' is not in evidence.yaml"),
        ({"evidence": "independently-evaluated"}, "needs an evaluation_url"),
        ({"organisations": ["Acme Co-op"]}, "organisations: 'Acme Co-op' is not in the organisations.yaml"),
        ({"funding": [{"amount": "lots"}]}, "funding: amount 'lots' should be whole pounds"),
        ({"funding": [{"amount": 5, "currency": "EUR"}]}, "funding: unknown keys currency ignored"),
        ({"sources": ["no-such-report"]}, "sources: 'no-such-report' is not in publications.yaml"),
        ({"sources": [{"url": "https://example.org"}]}, "sources: an entry written out needs a title"),
        ({"sources": [{"title": "T", "url": "javascript:alert(1)"}]}, "is not an http(s) address"),
        ({"written_for_library": "yes"}, "written_for_library: expected true or false"),
        ({"last_reviewed": "last week"}, "last_reviewed:"),
        ({"evaluation_url": "file:///etc/passwd"}, "evaluation_url 'file:///etc/passwd' is not an http(s) address"),
    ],
)  # fmt: skip
def test_record_keys_that_cannot_be_used_are_reported_and_the_document_still_indexed(
    corpus_dir, index_dir, meta, warning
):
    write_markdown(corpus_dir, "doc.md", "Text.", title="Doc", year=2020, **meta)
    report = run_indexer(corpus_dir, index_dir)
    reasons = [f"{n.path}: {n.reason}" for n in report.warnings]
    assert any(r.startswith("doc.md: ") and warning in r for r in reasons), reasons
    assert "doc" in IndexStore(index_dir).documents()


def test_the_older_partners_key_is_resolved_where_it_can_be_and_kept_as_written_where_not(corpus_dir, index_dir):
    write_markdown(
        corpus_dir, "old.md", "Text.", title="Old", year=2015, partners=["Cabinet Office", "Local residents"]
    )
    assert not run_indexer(corpus_dir, index_dir).warnings
    doc = IndexStore(index_dir).documents()["old"]
    assert doc.organisations == ["cabinet-office"] and doc.partners == ["Local residents"]


def test_check_reports_documents_missing_principles_status_or_sources(corpus_dir, run_cli):
    write_markdown(corpus_dir, "bare.md", "Text.", title="Bare", year=2020)
    write_markdown(corpus_dir, "full.md", "Text.", title="Full", year=2020, principles=["learning"], status="completed",
                   sources=["year-ahead-2016-17"])  # fmt: skip
    report = check_corpus(corpus_dir)
    gaps = sorted((n.path, n.reason.split(":")[0]) for n in report.warnings)
    assert gaps == [("bare.md", "no principles"), ("bare.md", "no sources"), ("bare.md", "no status")]
    result = run_cli("check", "--corpus", str(corpus_dir))
    assert "bare.md" in result.output and "no status" in result.output and "full.md" not in result.output


def test_the_bundled_corpus_passes_check_with_no_warnings():
    report = check_corpus(BUNDLED)
    assert report.documents >= 68 and not report.failed
    assert [f"{n.path}: {n.reason}" for n in report.warnings] == []


# ---- an honest corpus


def test_every_bundled_document_is_the_librarys_own_summary_with_real_sources():
    for doc_id, meta in bundled_front_matter().items():
        assert meta.get("written_for_library") is True, doc_id
        assert meta.get("sources"), doc_id
        assert meta.get("source_url") in (None, "http://www.councils.coop/case-studies/"), (
            doc_id
        )  # no home page as a source
        assert "partners" not in meta, doc_id


def test_no_bundled_page_is_dressed_as_a_councils_own_publication():
    for path in [*BUNDLED.rglob("*.html"), *BUNDLED.rglob("*.txt")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"©\s*\d{0,4}\s*\w[\w ]* Council", text), path
        assert "written for" in text.lower(), path  # it says whose summary it is
    for doc_id, meta in bundled_front_matter().items():
        assert meta.get("type") != "press-release", doc_id  # the sources hold no council's press release


def test_facet_counts_for_principle_status_and_evidence_match_counts_taken_straight_from_the_files(
    bundled_index, vocab
):
    front = bundled_front_matter()
    expected = {
        "principle": Counter(p for meta in front.values() for p in meta.get("principles") or []),
        "status": Counter(meta["status"] for meta in front.values() if meta.get("status")),
        "evidence": Counter(meta.get("evidence") or "not-reported" for meta in front.values()),
    }
    library = Library(bundled_index, vocab)
    try:
        facets = library.search(SearchRequest()).facets
        for name, counted in expected.items():
            assert {v.value: v.count for v in facets[name]} == dict(counted), name
            value, count = counted.most_common(1)[0]
            assert library.search(SearchRequest(**{name: (value,)})).total == count
    finally:
        library.close()


def test_a_council_named_only_as_an_example_is_not_counted_as_taking_part(bundled_index, vocab):
    library = Library(bundled_index, vocab)
    try:
        food = library.document("2019/co-operative-approaches-to-sustainable-food")
        assert "greenwich" not in food.council_ids and "greenwich" in food.mentioned
        croydon = library.document(CROYDON)
        assert not croydon.organisations and not croydon.partners  # builders and landowners were to be consulted
    finally:
        library.close()


# ---- the members-only filter


def test_members_only_keeps_practice_by_councils_the_sources_show_in_the_network(bundled_index, vocab):
    library = Library(bundled_index, vocab)
    try:
        everything = library.search(SearchRequest(per_page=100))
        members = library.search(SearchRequest(per_page=100, members_only=True))
        docs = {d.id: d for d in IndexStore(bundled_index).documents().values()}
        expected = {i for i, d in docs.items() if any(vocab.councils[c].is_member for c in d.practice_council_ids)}
        assert {h.id for h in members.results} == expected and 0 < members.total < everything.total
        assert sum(v.count for v in members.facets["status"]) == members.total - sum(
            1 for i in expected if not docs[i].status
        )
    finally:
        library.close()


# ---- pages


def test_the_document_page_shows_who_led_how_far_it_got_what_came_of_it_and_its_sources(client):
    soup = page(client, f"/doc/{CROYDON}")
    meta = meta_of(soup)
    assert meta["Led by"] == "London Borough of Croydon"
    assert meta["Status"] == "Funded"
    outcomes = soup.select_one(".outcomes").get_text(" ", strip=True)
    assert (
        "Evidence: Not reported" in outcomes
        and "Not reported: the sources say nothing about what came of it." in outcomes
    )
    about = soup.select_one(".provenance-note").get_text(" ", strip=True)
    assert "A summary written for this library from:" in about and "The Year Ahead 2016/17" in about
    assert "Last checked against its sources on" in about
    assert soup.select_one('a.evidence-badge[href="/search?evidence=not-reported"]')


def test_an_organisation_lead_and_the_councils_only_named_are_shown_as_such(client, bundled_index):
    docs = IndexStore(bundled_index).documents().values()
    doc = next(d for d in docs if d.lead_kind == "organisation" and d.mentioned)
    soup = page(client, f"/doc/{doc.id}")
    meta = meta_of(soup)
    assert meta["Led by"] == load_vocabularies(BUNDLED).organisations[doc.lead].name
    assert "Also named, not taking part" in meta
    hit = client.get(f"/api/documents/{doc.id}").get_json()
    assert hit["lead"]["kind"] == "organisation" and hit["mentioned"]


def test_result_cards_show_status_and_evidence(client):
    soup = page(client, "/search?q=housing+commission")
    card = soup.select_one(".result")
    assert "What came of it:" in card.select_one(".result-record").get_text()
    assert card.select_one(".evidence-badge")


def test_the_network_page_gives_each_figure_with_its_source(client):
    soup = page(client, "/network")
    rows = {
        row.select_one("th").get_text(" ", strip=True)[:4]: row.get_text(" ", strip=True)
        for row in soup.select(".data-table tbody tr")
    }
    assert "22 councils" in rows["2014"] and "2014 annual report to the LGA Leadership Board" in rows["2014"]
    assert "28 councils" in rows["2019"] and "7.4m" in rows["2019"] and "£9.5bn budget" in rows["2019"]
    assert "45 full council members" in rows["2023"] and "23 associate members" in rows["2023"]
    assert "49 affiliate members" in rows["2023"] and "11.7m" in rows["2023"] and "£19.3bn" in rows["2023"]
    assert "annual report to LGA Board 2024" in rows["2023"]
    people = soup.select_one("#people-heading").find_next("ul").get_text(" ", strip=True)
    assert "Cllr Sharon Taylor OBE , Chair" in people and "Jackie Wilson , Lead officer" in people
    assert soup.select_one('a[href="/council/bassetlaw"]')


def test_a_council_page_says_what_the_sources_show_of_its_membership(client):
    oldham = meta_of(page(client, "/council/oldham"))["In the network"]
    assert "2014: Member (level not stated)" in oldham and "2014 annual report to the LGA Leadership Board" in oldham
    bristol = meta_of(page(client, "/council/bristol"))["In the network"]
    assert bristol.startswith("Not named as a member in the sources this library holds")


# ---- API, CSV and citations


def test_the_api_carries_the_record_and_the_openapi_description_names_it(client):
    hit = client.get("/api/search?q=housing+commission").get_json()["results"][0]
    assert hit["lead"] == {"id": "croydon", "name": "London Borough of Croydon", "kind": "council"}
    assert hit["status"] == {"id": "funded", "label": "Funded"}
    assert hit["evidence"] == {"id": "not-reported", "label": "Not reported"}
    assert hit["sources"][0]["title"] == "The Year Ahead 2016/17"
    doc = client.get(f"/api/documents/{CROYDON}").get_json()
    assert doc["written_for_library"] is True and doc["last_reviewed"] == "2026-12-01"
    spec = client.get("/api/openapi.json").get_json()
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"status", "evidence", "organisation", "member"} <= names
    assert {"lead", "status", "evidence", "outcomes", "sources", "organisations"} <= set(
        spec["components"]["schemas"]["Hit"]["properties"]
    )
    assert client.get("/api/search?member=perhaps").status_code == 400


def test_the_csv_has_the_records_columns_with_labels_and_a_byte_order_mark(client, bundled_index):
    raw = client.get("/search.csv?q=housing+commission").get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == CSV_HEADER
    record = dict(zip(rows[0], next(r for r in rows[1:] if r[0] == CROYDON), strict=True))
    assert (
        record["type"] == "Policy Lab"
        and record["status"] == "Funded"
        and record["lead"] == "London Borough of Croydon"
    )
    assert record["regions"] == "London" and record["evidence"] == "Not reported" and record["year"] == "2016"
    assert record["sources"].startswith("The Year Ahead 2016/17")
    assert "housing" not in record["principles"].lower() or record["principles"]  # labels, not ids
    assert all("-" not in label for label in record["themes"].split("; "))


def test_citations_name_the_library_as_author_of_its_summary_and_cite_the_real_source(client):
    bib = client.get(f"/doc/{CROYDON}/cite.bib").get_data(as_text=True)
    assert (
        "author = {{Co-operative Practice Library}}" in bib and "Croydon" not in bib.split("author")[1].split("\n")[0]
    )
    assert "Summary of: The Year Ahead 2016/17" in bib and "@misc{2016-croydon-housing-commission-source-1," in bib
    ris = client.get(f"/doc/{CROYDON}/cite.ris").get_data(as_text=True).split("\r\n")
    assert "AU  - Co-operative Practice Library" in ris and "TI  - The Year Ahead 2016/17" in ris
    soup = page(client, f"/doc/{CROYDON}")
    assert (
        soup.select_one(".citation")
        .get_text()
        .startswith("Co-operative Practice Library (2026). Croydon Housing Commission.")
    )
