"""What outside tools try: forged and malformed Host headers, wrong methods, huge addresses, odd API parameters.

Each is sent through the real Flask app over the bundled index, and pages are checked by parsing them.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from xml.etree import ElementTree as ET

import pytest
from bs4 import BeautifulSoup

from tests.conftest import BUNDLED
from webui import create_app

CROYDON = "2016/croydon-housing-commission"
LONG_LABEL_HOST = "a" * 64 + ".example"
ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://library.example.org"


def assert_security_headers(response) -> None:  # type: ignore[no-untyped-def]
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def error_page(response, status: int) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "text/html"
    assert_security_headers(response)
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.h1 is not None and soup.select_one("p.lead").get_text(strip=True)
    assert "Traceback" not in str(soup) and soup.select_one("a[href='/']")
    return soup


def json_error(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status and response.mimetype == "application/json"
    assert_security_headers(response)
    error = response.get_json()["error"]
    assert error["status"] == status and error["message"]
    return error


@pytest.fixture
def published(make_app, bundled_index):
    """The app as published at https://library.example.org, also answering to www.library.example.org."""
    return make_app(bundled_index, BASE_URL=BASE, ALLOWED_HOSTS="www.library.example.org, .mirror.example")


# --- Host -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/search?q=food", "/search.atom?q=food", "/search.csv", f"/doc/{CROYDON}"])
def test_a_64_letter_label_in_the_host_gets_a_clear_400_and_no_log_flood(client, caplog, url):
    with caplog.at_level(logging.DEBUG):
        response = client.get(url, headers={"Host": LONG_LABEL_HOST})
    soup = error_page(response, 400)
    assert "address" in soup.select_one("p.lead").get_text()
    assert len(caplog.records) <= 1


def test_a_forged_host_gets_a_400_everywhere_and_never_reaches_a_link(client):
    for url in ("/", "/search.atom?q=housing", f"/doc/{CROYDON}/cite.bib", "/static/style.css", "/no/such/page"):
        response = client.get(url, headers={"Host": "evil.example"})
        body = response.get_data(as_text=True)
        assert response.status_code == 400, url
        assert "evil.example" not in body
        assert_security_headers(response)
    for url in ("/api/search?q=food", f"/api/documents/{CROYDON}", "/healthz"):
        json_error(client.get(url, headers={"Host": "evil.example:5000"}), 400)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.0.1:41234", "LOCALHOST:5000", "[::1]:5000"])
def test_a_local_base_url_answers_to_local_hosts_on_any_port(client, host):
    assert client.get("/healthz", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    ("host", "status"),
    [("library.example.org", 200), ("library.example.org:443", 200), ("www.library.example.org", 200),
     ("a.mirror.example", 200), ("localhost", 400), ("127.0.0.1:5000", 400), ("evil.example", 400),
     ("library.example.org.evil.example", 400), ("x" * 64 + ".mirror.example", 400), ("mirror.example", 400)],
)  # fmt: skip
def test_a_published_site_answers_only_to_its_own_hosts(published, host, status):
    response = published.test_client().get("/search?q=food", headers={"Host": host})
    assert response.status_code == status
    assert_security_headers(response)


def test_a_base_url_that_is_not_an_address_is_refused_with_what_to_do(bundled_index, monkeypatch):
    for wrong in ("library.example.org", "ftp://library.example.org", "https://", "https://x.org/?q=1"):
        with pytest.raises(ValueError, match="COOP_LIBRARY_BASE_URL"):
            create_app({"INDEX": str(bundled_index), "CORPUS": str(BUNDLED), "BASE_URL": wrong})
    monkeypatch.setenv("COOP_LIBRARY_BASE_URL", "https://from-the-environment.example/")
    monkeypatch.setenv("COOP_LIBRARY_ALLOWED_HOSTS", "other.example")
    app = create_app({"INDEX": str(bundled_index), "CORPUS": str(BUNDLED)})
    try:
        client = app.test_client()
        assert client.get("/healthz", headers={"Host": "other.example"}).status_code == 200
        url = client.get(f"/api/documents/{CROYDON}", headers={"Host": "from-the-environment.example"}).get_json()
        assert url["url"] == f"https://from-the-environment.example/doc/{CROYDON}"
    finally:
        app.extensions["library"].close()


# --- Absolute links -------------------------------------------------------------------------------------------------


def test_every_absolute_link_starts_with_the_base_url_whatever_host_was_asked(published):
    client = published.test_client()
    host = {"Host": "www.library.example.org"}
    feed = ET.fromstring(client.get("/search.atom?q=housing&sort=newest", headers=host).data)
    links = [feed.findtext(f"{ATOM}id")] + [link.get("href") for link in feed.iter(f"{ATOM}link")]
    links += [entry.findtext(f"{ATOM}id") for entry in feed.iter(f"{ATOM}entry")]
    assert len(links) > 5 and all(link.startswith(BASE + "/") for link in links), links
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{BASE}/search.atom?q=housing&sort=newest"

    document = f"{BASE}/doc/{CROYDON}"
    assert f"url = {{{document}}}" in client.get(f"/doc/{CROYDON}/cite.bib", headers=host).get_data(as_text=True)
    assert f"UR  - {document}\r\n" in client.get(f"/doc/{CROYDON}/cite.ris", headers=host).get_data(as_text=True)
    page = BeautifulSoup(client.get(f"/doc/{CROYDON}", headers=host).get_data(as_text=True), "html.parser")
    assert page.select_one(".citation").get_text().endswith(f"Available at: {document}")
    assert client.get(f"/api/documents/{CROYDON}", headers=host).get_json()["url"] == document
    rows = list(csv.DictReader(io.StringIO(client.get("/search.csv?q=housing", headers=host).data.decode("utf-8-sig"))))
    assert rows and all(row["url"] == f"{BASE}/doc/{row['id']}" for row in rows)


def test_the_default_base_url_is_used_even_when_the_request_says_localhost(client):
    assert client.get(f"/api/documents/{CROYDON}").get_json()["url"] == f"http://127.0.0.1:5000/doc/{CROYDON}"


# --- Methods, long addresses, strict API parameters, CSV encoding ------------------------------------------------


def test_a_wrong_method_gets_a_405_that_says_which_are_allowed(client):
    for url in ("/search", "/", f"/doc/{CROYDON}"):
        response = client.post(url)
        error_page(response, 405)
        assert {"GET", "HEAD"} <= set(re.split(r",\s*", response.headers["Allow"]))
    response = client.delete("/api/search")
    json_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_a_40000_character_query_gets_results_and_a_notice(client):
    for url in ("/search?q=" + "housing+" * 5000, "/search?q=" + "housing+" * 1250):
        response = client.get(url)
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        assert response.status_code == 200 and "very long" in soup.select_one(".notice").get_text()
    assert client.get("/api/search?q=" + "housing+" * 5000).get_json()["total"] > 0


def test_the_api_and_the_exports_refuse_what_the_openapi_description_forbids(client):
    spec = client.get("/api/openapi.json").get_json()
    parameters = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert parameters["sort"]["schema"]["enum"] == ["relevance", "newest", "oldest"]
    for url in ("/api/search?sort=foo", "/api/search?sort=", "/api/search?from=", "/api/search?per_page=",
                "/api/search?" + "&".join(["type="] * 51)):  # fmt: skip
        name = url.partition("?")[2].partition("=")[0]
        assert json_error(client.get(url), 400)["parameter"] == name, url
    for url in ("/search.csv?sort=foo", "/search.atom?sort=foo"):
        error_page(client.get(url), 400)
    assert client.get("/api/search?sort=newest").status_code == 200


def test_the_page_keeps_its_friendly_notice_and_offers_exports_that_work(client):
    response = client.get("/search?q=food&sort=sideways&from=")
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert response.status_code == 200 and "sorted by relevance" in soup.select_one(".notice").get_text()
    for link in soup.select(".exports a"):
        assert "sideways" not in link["href"]
        assert client.get(link["href"]).status_code == 200, link["href"]


def test_the_csv_starts_with_a_byte_order_mark_so_excel_reads_pounds(client):
    response = client.get("/search.csv?q=budgets")
    assert response.data.startswith(b"\xef\xbb\xbf") and response.mimetype == "text/csv"
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "id" and len(rows) > 1
    assert any("£" in cell for row in rows for cell in row)
    assert response.data.count(b"\xef\xbb\xbf") == 1  # once, at the start, not before each page of results
