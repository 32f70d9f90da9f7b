"""Links are Flask's: no page or program of the web site writes an app route's path by hand, the library knows no
web address, and the links to documents in the API, the CSV and the Atom feed still lead to the documents."""

from __future__ import annotations

import ast
import csv
import io
import re
from dataclasses import fields
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from library.facets import FACET_FIELDS, MEMBER
from library.search import Hit, SearchRequest

ROOT = Path(__file__).resolve().parent.parent
WEBUI = ROOT / "webui"
TEMPLATES = WEBUI / "templates"
BASE = "http://127.0.0.1:5000"  # the default base URL, which the test app keeps
ATOM = "{http://www.w3.org/2005/Atom}"
CROYDON = "2016/croydon-housing-commission"
# Where a path is written on purpose: the OpenAPI description documents the API's paths, and the JSON error pages
# are chosen by path (a 404 has no endpoint to ask), in the app and in the worker before the app sees a request.
PATHS_DESCRIBED = {("api.py", "openapi_document"), ("errors.py", "wants_json"), ("worker.py", "refusal")}
ROUTE_DECORATORS = {"get", "post", "route", "put", "delete", "patch"}


def route_paths(app) -> list[str]:
    """Every route's fixed start: '/search.csv', '/doc/', '/council/'; the home page's '/' only as itself."""
    return sorted({rule.rule.split("<")[0] for rule in app.url_map.iter_rules()})


def is_route_path(text: str, paths: list[str]) -> bool:
    text = text.strip()
    if not text.startswith("/") or text.startswith("//"):
        return False
    address = re.split(r"[?#\s\"'<{]", text)[0]
    return any(address == path or (path.endswith("/") and path != "/" and address.startswith(path)) for path in paths)


def template_offenders(paths: list[str], templates: Path = TEMPLATES) -> list[str]:
    """Paths written into an href, src, action or formaction, or as a string in a template's expressions."""
    found = []
    attribute = re.compile(r"""\b(?:href|src|action|formaction)\s*=\s*["']([^"'{]*)""", re.IGNORECASE)
    expression = re.compile(r"{[{%](.*?)[}%]}", re.DOTALL)
    literal = re.compile(r"""["']([^"']*)["']""")
    for path in sorted(templates.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        shown = path.relative_to(templates)
        found += [f"{shown}: {m}" for m in attribute.findall(text) if is_route_path(m, paths)]
        for block in expression.findall(text):
            found += [f"{shown}: {s}" for s in literal.findall(block) if is_route_path(s, paths)]
    return found


def python_offenders(paths: list[str], package: Path = WEBUI) -> list[str]:
    """Strings (f-strings too) naming a route's path in webui's Python, besides the routes' own decorators.

    A lone '/' is too common to be the home page's path here (a sign-in's next page is checked to start with one).
    """
    paths = [path for path in paths if path != "/"]
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        allowed: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") in ROUTE_DECORATORS:
                        allowed |= {id(n) for n in ast.walk(decorator)}
                if (path.name, node.name) in PATHS_DESCRIBED:
                    allowed |= {id(n) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in allowed or not isinstance(node, ast.Constant):
                continue
            value = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
            if isinstance(value, str) and is_route_path(value, paths):
                found.append(f"{path.relative_to(package)}:{node.lineno}: {value!r}")
    return found


def test_no_template_writes_a_route_path_by_hand(app):
    assert template_offenders(route_paths(app)) == []


def test_no_webui_python_writes_a_route_path_by_hand(app):
    assert python_offenders(route_paths(app)) == []


def test_the_scans_find_paths_written_by_hand(app):
    paths = route_paths(app)
    for written in ("/search", "/search.atom?q=x", f"/doc/{CROYDON}", "/council/plymouth", "/api/search", "/"):
        assert is_route_path(written, paths), written
    for other in ("https://www.councils.coop/", "#facet-panel", "//evil.example", "/nowhere", "relative"):
        assert not is_route_path(other, paths), other


def test_redirects_are_built_with_url_for():
    for path in sorted(WEBUI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "redirect":
                target = node.args[0]
                built = isinstance(target, ast.Call) and getattr(target.func, "id", "") in ("url_for", "local_path")
                assert built, f"{path.name}:{node.lineno} redirects to {ast.unparse(target)}"


def test_the_library_knows_no_web_address(app, bundled_index, vocab):
    from library.search import Library

    assert python_offenders(route_paths(app), ROOT / "library") == []
    assert "url" not in {f.name for f in fields(Hit)}
    library = Library(bundled_index, vocab)
    try:
        data = library.search(SearchRequest(query="housing")).to_json()
    finally:
        library.close()
    assert data["results"] and all("url" not in hit for hit in data["results"])  # type: ignore[attr-defined]


def test_api_results_link_to_their_pages_where_they_always_did(client):
    """The moved half of test_search's JSON shape: "url" after "snippet", the page's path, relative."""
    data = client.get("/api/search?q=housing&per_page=100").get_json()
    assert list(data["results"][0]) == [
        "id", "title", "type", "date", "year", "councils", "themes", "summary", "snippet", "url", "lead",
        "lead_contact", "missing", "principles", "organisations", "status", "evidence", "outcomes", "sources",
    ]  # fmt: skip
    assert data["results"][0]["url"] == f"/doc/{data['results'][0]['id']}"
    for hit in data["results"]:
        assert hit["url"] == f"/doc/{hit['id']}"
        page = client.get(hit["url"])
        assert page.status_code == 200 and hit["title"].replace("&", "&amp;") in page.get_data(as_text=True)


def test_the_openapi_description_still_lists_url_for_hits_and_documents(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert schemas["Hit"]["properties"]["url"] == {"type": "string"}
    assert schemas["Document"]["properties"]["url"] == {"type": "string"}


def test_the_document_api_csv_and_feed_link_to_the_document_page_from_the_base_url(client):
    assert client.get(f"/api/documents/{CROYDON}").get_json()["url"] == f"{BASE}/doc/{CROYDON}"
    text = client.get("/search.csv?q=housing").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(row["url"] == f"{BASE}/doc/{row['id']}" for row in rows)
    assert client.get(rows[0]["url"].removeprefix(BASE)).status_code == 200
    feed = ET.fromstring(client.get("/search.atom?q=housing").get_data())
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{BASE}/search.atom?q=housing"
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == f"{BASE}/search?q=housing"
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        href = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        assert href == entry.find(f"{ATOM}id").text and href.startswith(f"{BASE}/doc/")
        assert client.get(href.removeprefix(BASE)).status_code == 200


def test_the_search_page_links_its_exports_and_its_facet_pages_through_flask(client, app):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(client.get("/search?q=housing&sort=newest").get_data(as_text=True), "html.parser")
    assert soup.select_one('link[rel="alternate"]')["href"] == "/search.atom?q=housing&sort=newest"
    exports = [a["href"] for a in soup.select(".exports a")]
    assert exports == ["/search.csv?q=housing&sort=newest", "/search.atom?q=housing&sort=newest"]
    assert soup.select_one("#search-form")["action"] == "/search"
    documents = [a["href"] for a in soup.select(".result-title a")]
    assert documents and all(href.startswith("/doc/") for href in documents)
    assert client.get(documents[0]).status_code == 200


@pytest.mark.parametrize(
    ("url", "retry"),
    [
        ("/search?q=food&sort=newest&from=abc", "/search?q=food&sort=newest"),
        ("/council/plymouth?page=x", "/council/plymouth"),
    ],
)
def test_the_error_page_offers_the_same_page_without_the_bad_parameter(client, url, retry):
    from bs4 import BeautifulSoup

    response = client.get(url)
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert [a["href"] for a in soup.select("main a") if "Try again" in a.get_text()] == [retry]


def test_facet_names_have_one_source():
    """The library's FACET_FIELDS says which facets there are; webui says, once, what it calls them and in what
    order its filter panel shows them; the URL parameters and their order are derived from those."""
    from webui.params import FILTERS
    from webui.templating import FACET_NAMES, FACET_ORDER, FACET_PLURALS, FACETS
    from webui.urls import ORDER

    assert set(FACETS) == set(FACET_FIELDS) == set(FACET_NAMES) == set(FACET_PLURALS)
    assert tuple(name for name in FACET_FIELDS if name != "year") == FILTERS
    assert {f.name for f in fields(SearchRequest)} >= set(FILTERS)
    # The behaviour they had when they were written out three times over.
    assert FILTERS == ("theme", "council", "type", "region", "principle", "status", "evidence", "organisation")
    assert FACET_ORDER == ("theme", "principle", "council", "region", "organisation", "status", "evidence", "type")
    assert MEMBER == "member"
    assert ORDER == (
        "q", "theme", "council", "type", "region", "principle", "status", "evidence", "organisation", "member", "from",
        "to", "sort", "page",
    )  # fmt: skip


def test_the_filter_panel_shows_the_facets_in_the_web_order(client):
    from bs4 import BeautifulSoup

    from webui.templating import FACET_ORDER

    soup = BeautifulSoup(client.get("/search").get_data(as_text=True), "html.parser")
    shown = [f["id"].removeprefix("facet-") for f in soup.select("#facet-panel fieldset.facet")]
    assert shown == [*FACET_ORDER, "member", "year"]


def test_templates_build_no_lists():
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        assert ".append(" not in text and "namespace(" not in text, path.name
        assert not re.search(r"{%-?\s*set\s+\w+\s*,", text), f"{path.name} unpacks a value; hand it over ready"
