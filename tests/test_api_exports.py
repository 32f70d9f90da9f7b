"""The JSON API, the OpenAPI description, the health check, CSV and Atom exports and citation downloads."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pytest

from indexer import run_indexer
from library.generation import Status
from library.store import MANIFEST, IndexStore, Manifest
from tests.conftest import BUNDLED
from tests.helpers import write_markdown
from webui import create_app

ATOM = "{http://www.w3.org/2005/Atom}"
CROYDON = "2016/croydon-housing-commission"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)$")


def test_api_search_has_the_documented_shape_and_matches_the_page(client):
    data = client.get("/api/search?q=food&theme=food&per_page=5").get_json()
    assert set(data) == {
        "query", "total", "page", "per_page", "pages", "notice", "suggestion", "results", "facets", "answer", "corrected"
    }  # fmt: skip
    assert data["answer"]["documents"] >= 1 and data["answer"]["missing"] == []
    assert data["per_page"] == 5 and len(data["results"]) <= 5 and data["total"] >= 1
    assert set(data["facets"]) == {
        "theme", "council", "type", "year", "region", "principle", "status", "evidence", "organisation"
    }  # fmt: skip
    food = next(v for v in data["facets"]["theme"] if v["value"] == "food")
    assert food["selected"] is True and set(food) == {"value", "label", "count", "selected"}
    hit = data["results"][0]
    assert set(hit) >= {"id", "title", "type", "date", "year", "councils", "themes", "summary", "snippet", "url"}


@pytest.mark.parametrize(
    ("url", "parameter"),
    [("/api/search?page=0", "page"), ("/api/search?per_page=1000", "per_page"), ("/api/search?from=abc", "from"),
     ("/api/search?page=-1", "page"), ("/api/search?to=12", "to")],
)  # fmt: skip
def test_api_bad_parameters_get_a_json_400(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400 and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["parameter"] == parameter and error["message"]


def test_api_document_and_missing_document(client):
    data = client.get(f"/api/documents/{CROYDON}").get_json()
    assert data["id"] == CROYDON and data["title"] == "Croydon Housing Commission"
    assert data["councils"] == [{"id": "croydon", "name": "London Borough of Croydon", "source": "declared"}]
    assert "Housing Commission" in data["body"] and data["url"].endswith(f"/doc/{CROYDON}")
    response = client.get("/api/documents/2016/nothing")
    assert response.status_code == 404 and response.get_json()["error"]["status"] == 404


def test_openapi_describes_every_api_route_and_parameter(client, app):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {"/api/search", "/api/documents/{id}"}
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert names == {
        "q", "theme", "council", "type", "region", "principle", "status", "evidence", "organisation", "member", "from",
        "to", "sort", "page", "per_page",
    }  # fmt: skip
    refs = re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', str(spec).replace("'", '"'))
    assert refs and all(name in spec["components"][kind] for kind, name in refs)
    api_rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/") and "openapi" not in r.rule}
    assert len(api_rules) == len(spec["paths"])


def test_healthz(client):
    data = client.get("/healthz").get_json()
    assert data["status"] == "ok" and data["documents"] == 68 and data["generation"] >= 1
    assert datetime.fromisoformat(data["last_indexed"])


def read_csv(client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte-order mark, so Excel reads "£" as "£"
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_exports_every_result_not_just_one_page(client):
    total = client.get("/api/search?q=co-operative").get_json()["total"]
    assert total > 10
    rows = read_csv(client, "/search.csv?q=co-operative")
    assert len(rows) == total and len({r["id"] for r in rows}) == total
    assert list(rows[0]) == [
        "id", "title", "type", "status", "lead", "councils", "organisations", "regions", "themes", "principles", "year",
        "date", "evidence", "outcomes", "summary", "contact", "sources", "url",
    ]  # fmt: skip
    filtered = read_csv(client, "/search.csv?theme=housing&council=croydon")
    assert [r["id"] for r in filtered] == [CROYDON]
    assert filtered[0]["councils"] == "London Borough of Croydon"


def test_atom_feed_is_valid_and_newest_first(client):
    response = client.get("/search.atom?q=co-operative&region=north-west")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    assert RFC3339.match(feed.findtext(f"{ATOM}updated"))
    assert feed.find(f"{ATOM}link[@rel='self']") is not None and feed.find(f"{ATOM}author/{ATOM}name") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    ids = set()
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert RFC3339.match(entry.findtext(f"{ATOM}updated"))
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http://127.0.0.1:5000/doc/")
        ids.add(entry.findtext(f"{ATOM}id"))
    assert len(ids) == len(entries)
    published = [e.findtext(f"{ATOM}published") for e in entries]
    assert published == sorted(published, reverse=True)


def test_citation_downloads(client):
    bib = client.get(f"/doc/{CROYDON}/cite.bib")
    assert bib.status_code == 200 and "attachment" in bib.headers["Content-Disposition"]
    text = bib.get_data(as_text=True)
    assert text.startswith("@misc{2016-croydon-housing-commission,")
    assert "author = {{Co-operative Practice Library}}" in text and "year = {2026}" in text  # the summary's
    assert "title = {{The Year Ahead 2016/17}}" in text and "year = {2016}" in text  # and its source
    ris = client.get(f"/doc/{CROYDON}/cite.ris").get_data(as_text=True).split("\r\n")
    assert ris[0] == "TY  - GEN" and "TI  - Croydon Housing Commission" in ris and ris[-2] == "ER  - "
    assert client.get(f"/doc/{CROYDON}/cite.pdf").status_code == 404
    assert client.get("/doc/2016/nothing/cite.bib").status_code == 404


@pytest.fixture
def hostile_app(corpus_dir, index_dir):
    formulas = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB"]
    for n, formula in enumerate(formulas):
        write_markdown(
            corpus_dir, f"2021/formula-{n}.md", "Energy co-operative text.",
            title=f"{formula} energy", type="case-study", councils=["plymouth"], year=2021,
            summary=formula, lead_contact="=cmd|' /C calc'!A0",
        )  # fmt: skip
    write_markdown(
        corpus_dir, "2021/control.md", "Energy text.", title="Energy \x01\x1b control", type="case-study", year=2021
    )
    run_indexer(corpus_dir, index_dir)
    flask_app = create_app({"INDEX": str(index_dir), "CORPUS": str(BUNDLED)})
    yield flask_app
    flask_app.extensions["library"].close()


def test_csv_cells_cannot_run_as_spreadsheet_formulas(hostile_app):
    rows = read_csv(hostile_app.test_client(), "/search.csv?q=energy")
    assert len(rows) == 6
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert any(row["title"] == '\'=HYPERLINK("http://x") energy' for row in rows)


def test_atom_feed_stays_well_formed_with_control_characters(hostile_app):
    feed = ET.fromstring(hostile_app.test_client().get("/search.atom?q=energy").data)
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert "Energy  control" in titles or any("control" in t for t in titles)


def test_a_generation_keeps_only_what_pages_show_of_its_manifest():
    """The server keeps a generation's number, time and document count, not the manifest's entries (paths, hashes,
    times); entries are dropped as the manifest's text is parsed, and hand-edited ones still count."""
    entry = {"path": "a.md", "hash": "x", "size": 1, "mtime": 1}
    manifest = Manifest(7, 1000.0, {"a": {**entry, "added": 900}, "b": {**entry, "added": "oops"}, "c": entry})

    assert Status.of(manifest) == Status(7, 1000.0, 3)
    edited = {**manifest.documents, "d": {"path": "d.md", "added": 950}, "e": {"added": [1]}}
    text = Manifest(7, 1000.0, edited, {"themes": "abc"}, 3).to_json()
    assert Status.read(text) == Status.of(Manifest.from_json(text)) == Status(7, 1000.0, 5)
    assert Status.read(None) == Status(0, Manifest(documents={}).created, 0)


def test_feed_entries_carry_each_documents_first_published_time_from_the_index(corpus_dir, index_dir):
    """A feed entry's `updated` is when the library first published the document (kept in the index, not in
    every server process's memory); a changed document keeps its first time, a new one has the run's."""
    for name in ("a", "b"):
        write_markdown(corpus_dir, f"2021/{name}.md", "Energy text.", title=f"Energy {name}", year=2021)
    run_indexer(corpus_dir, index_dir)
    manifest_path = IndexStore(index_dir).current_path() / MANIFEST
    manifest = Manifest.from_json(manifest_path.read_text())
    manifest.documents["2021/a"]["added"] = 1577836800  # as if first published on 1 January 2020
    manifest_path.write_text(manifest.to_json())
    write_markdown(corpus_dir, "2021/a.md", "Energy text, changed.", title="Energy a", year=2021)
    write_markdown(corpus_dir, "2021/c.md", "Energy text.", title="Energy c", year=2021)
    run_indexer(corpus_dir, index_dir)
    flask_app = create_app({"INDEX": str(index_dir), "CORPUS": str(BUNDLED)})
    try:
        feed = ET.fromstring(flask_app.test_client().get("/search.atom?q=energy").data)
        updated = {
            e.findtext(f"{ATOM}id").rsplit("/", 1)[1]: e.findtext(f"{ATOM}updated") for e in feed.iter(f"{ATOM}entry")
        }
        status = flask_app.extensions["library"].status()
        assert flask_app.extensions["library"].first_published("2021/gone") is None
    finally:
        flask_app.extensions["library"].close()
    final = Manifest.from_json((IndexStore(index_dir).current_path() / MANIFEST).read_text()).documents
    stamps = {
        n: datetime.fromtimestamp(final[f"2021/{n}"]["added"], tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for n in "abc"
    }
    assert updated == stamps and updated["a"] == "2020-01-01T00:00:00Z" and updated["c"] > updated["a"]
    assert status.documents == 3
