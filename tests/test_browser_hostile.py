"""The site built from the hostile corpus, in real headless Chromium against `coop-library serve` on 127.0.0.1.

Every page, feed, export and error is loaded with listeners for dialogs, console messages, page errors and
Content-Security-Policy violations. The assertion for each is that no injected script ran and that none had to
be stopped: no dialog, no console message or title change from a payload, no page error, no event-handler
attribute, script, frame or javascript:/data: link in the DOM, and no CSP violation at all, because every hostile
value reached the page as text. A separate check injects script into a live page to show the policy is in force.
"""

from __future__ import annotations

import csv
import io
import json
import time
from urllib.parse import quote, urlencode
from xml.etree import ElementTree as ET

import pytest

from indexer import run_indexer
from library.store import IndexStore
from tests.browser import chromium, running_server, screenshot
from tests.conftest import BUNDLED
from tests.hostile import make
from webui.security import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.browser

MARKERS = ("xss-payload", "pwned")  # text that only a payload that ran could put into a console message
QUERIES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "{% for x in range(3) %}loop{% endfor %}",
    "\u202eCroydon housing\u202c",
    "</title><script>document.title='pwned'</script>",
    "'; console.log('xss-payload-q'); '",
]
LISTING = ["script", "alert", "pwned", "xss payload", "fake highlight", "mark", "Derby", "Croydon", "Plymouth", "Leeds",
           "control characters", "co-operative", ""]  # fmt: skip
EXPECTED = make.expectations()
MAX_FILE_BYTES = int(EXPECTED["max_file_bytes"])  # type: ignore[call-overload]
HOSTILE_IDS = [
    outcome["indexed"]
    for outcome in EXPECTED["documents"].values()  # type: ignore[attr-defined]
    if "indexed" in outcome and not outcome["indexed"].startswith("good/")
]
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || '')), true);
"""
DOM_PROBLEMS = """() => {
    const found = [];
    for (const el of document.querySelectorAll('*')) {
        for (const attr of el.attributes) {
            const value = attr.value.trim().toLowerCase();
            if (attr.name.toLowerCase().startsWith('on')) found.push(`${el.tagName} ${attr.name}="${attr.value}"`);
            if (['href', 'src', 'action', 'formaction', 'data', 'srcdoc', 'xlink:href'].includes(attr.name.toLowerCase())
                && (value.startsWith('javascript:') || value.startsWith('data:') || attr.name === 'srcdoc'))
                found.push(`${el.tagName} ${attr.name}="${attr.value}"`);
        }
    }
    for (const el of document.querySelectorAll('script')) {
        const src = el.getAttribute('src') || '';
        if (!src.startsWith('/static/')) found.push(`SCRIPT src="${src}" ${el.textContent.slice(0, 60)}`);
    }
    for (const el of document.querySelectorAll('iframe, frame, object, embed, base, svg, math, template, meta[http-equiv]'))
        found.push(el.tagName);
    for (const el of document.querySelectorAll('mark'))  // a search highlight: one word, in a snippet
        if (!el.closest('.snippet') || el.children.length || /\\s/.test(el.textContent)) found.push(`MARK ${el.textContent}`);
    return found;
}"""


class Visitor:
    """One browser tab that records, for each address it opens, everything a running payload would leave behind."""

    def __init__(self, browser, site: str) -> None:  # type: ignore[no-untyped-def]
        self.site = site
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.responses: list[tuple[str, int, str | None]] = []
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("response", self._response)
        self.visited = 0

    def _dialog(self, dialog) -> None:  # type: ignore[no-untyped-def]
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _response(self, response) -> None:  # type: ignore[no-untyped-def]
        if response.url.startswith(self.site):
            self.responses.append((response.url, response.status, response.headers.get("content-security-policy")))

    def open(self, path: str, status: int = 200) -> dict[str, object]:
        """Load a page, give any queued event a moment to fire, and return what it left behind."""
        self.dialogs.clear()
        self.console.clear()
        self.errors.clear()
        first_response = len(self.responses)
        response = self.page.goto(self.site + path, wait_until="load")
        assert response is not None and response.status == status, (path, response and response.status)
        self.page.evaluate("() => new Promise(done => setTimeout(done, 20))")
        self.visited += 1
        html = "html" in (response.headers.get("content-type") or "")
        unprotected = [
            (url, code) for url, code, policy in self.responses[first_response:] if policy != CONTENT_SECURITY_POLICY
        ]
        assert not unprotected, f"responses without the Content-Security-Policy header: {unprotected}"
        return {
            "path": path,
            "dialogs": list(self.dialogs),
            "console": [m for m in self.console if any(marker in m for marker in MARKERS)],
            "csp console": [m for m in self.console if "Content Security Policy" in m],
            "errors": list(self.errors),
            "csp": self.page.evaluate("() => window.__csp || []"),
            "title": self.page.title(),
            "dom": self.page.evaluate(DOM_PROBLEMS) if html else [],
        }

    def download(self, path: str) -> bytes:
        """Open an address the server sends as an attachment: the browser saves it and renders nothing."""
        from playwright.sync_api import Error

        with self.page.expect_download() as saved:
            try:
                self.page.goto(self.site + path)
            except Error as exc:
                assert "Download is starting" in str(exc) or "ERR_ABORTED" in str(exc), exc
        self.visited += 1
        headers = self.page.request.get(self.site + path).headers
        assert headers["content-disposition"].startswith("attachment;"), path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        return saved.value.path().read_bytes()


def assert_inert(record: dict[str, object]) -> None:
    """Nothing ran, and nothing had to be blocked."""
    problems = {
        key: record[key] for key in ("dialogs", "console", "csp console", "errors", "csp", "dom") if record[key]
    }
    assert not problems, (record["path"], problems)
    assert record["title"] != "pwned", record["path"]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile-site")
    corpus = make.write_corpus(work / "corpus", BUNDLED, MAX_FILE_BYTES)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COOP_LIBRARY_MAX_FILE_BYTES", str(MAX_FILE_BYTES))
        run_indexer(corpus, work / "index")
    with running_server(work / "index", corpus) as base:
        yield base, IndexStore(work / "index").documents()


@pytest.fixture(scope="module")
def visitor(hostile_site):
    site, _ = hostile_site
    with chromium() as browser:
        tab = Visitor(browser, site)
        yield tab
        tab.context.close()
    print(f"\nhostile site: {tab.visited} addresses opened, {len(tab.responses)} responses checked for the policy")


def search(path: str = "/search", **args: str) -> str:
    return f"{path}?{urlencode(args)}"


def test_hostile_queries_are_shown_as_text_on_every_search_page(visitor):
    for query in QUERIES:
        record = visitor.open(search(q=query))
        assert_inert(record)
        assert visitor.page.input_value("#q") == query.strip(), query  # '{{7*7}}' comes back as typed, not as 49
        assert query.strip() in visitor.page.title()
        for path in ("/search/facet/council", "/api/search", "/search.atom"):
            assert_inert(visitor.open(search(path, q=query, council=query, theme=query)))


def test_search_pages_that_list_the_hostile_documents_run_no_script(visitor, hostile_site):
    _, stored = hostile_site
    for words in LISTING:
        record = visitor.open(search(q=words) if words else "/search")
        assert_inert(record)
    visitor.open(search(q="Croydon housing co-op"))
    assert stored["markdown/html-in-title"].title in visitor.page.locator(".result-title a").all_inner_texts()
    visitor.open(search(q="Derby tenant"))
    assert stored["html/script-press-release"].title in visitor.page.locator(".result-title a").all_inner_texts()
    for path in ("/", "/councils", "/themes", "/council/croydon", "/theme/housing", "/council/plymouth",
                 search(council="croydon", theme="housing"), search("/search/facet/council", q="co-operative"),
                 search("/search/facet/theme", q="alert"), search(q="housing", sort="newest", page="2")):  # fmt: skip
        assert_inert(visitor.open(path))


def test_every_hostile_document_page_shows_its_values_as_text(visitor, hostile_site):
    _, stored = hostile_site
    for doc_id in HOSTILE_IDS:
        record = visitor.open(f"/doc/{quote(doc_id)}")
        assert_inert(record)
        heading = visitor.page.locator("h1")
        assert heading.inner_text() == stored[doc_id].title, doc_id
        assert heading.evaluate("h => h.children.length") == 0, "the title became markup"
        assert_inert(visitor.open(f"/api/documents/{quote(doc_id)}"))
    visitor.open("/doc/markdown/html-in-title")
    screenshot(visitor.page, "hostile-document-html-in-title")
    contact = visitor.page.locator("dt:has-text('Who to contact') + dd")
    assert contact.inner_text() == '<a href="javascript:alert(1)">Croydon housing team</a>'
    assert visitor.page.locator("dt:has-text('Source')").count() == 0  # the javascript: address was left out
    visitor.open("/doc/html/script-press-release")
    assert "<script>console.log('xss-payload-8')</script>" in visitor.page.locator(".doc-body").inner_text()


def test_feeds_json_and_downloads_carry_hostile_values_only_as_text(visitor, hostile_site):
    _, stored = hostile_site
    for query in ("script", "alert", "<script>alert(1)</script>", "co-operative"):
        assert_inert(visitor.open(search("/search.atom", q=query)))
        assert_inert(visitor.open(search("/api/search", q=query, per_page="100")))

    feed = visitor.page.request.get(visitor.site + search("/search.atom", q="script"))
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.body())
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [entry.findtext(f"{atom}title") for entry in root.iter(f"{atom}entry")]
    assert stored["markdown/html-in-title"].title in titles  # markup travels as escaped text
    assert all(summary.get("type") == "text" for summary in root.iter(f"{atom}summary"))
    assert not [el.tag for el in root.iter() if not el.tag.startswith(atom)], "only Atom elements, no XHTML"

    api = visitor.page.request.get(visitor.site + "/api/documents/markdown/html-in-title")
    assert api.headers["content-type"] == "application/json"
    assert json.loads(api.body())["title"] == stored["markdown/html-in-title"].title

    rows = csv.DictReader(io.StringIO(visitor.download(search("/search.csv", q="Croydon")).decode("utf-8-sig")))
    by_id = {row["id"]: row for row in rows}
    formula = by_id["markdown/csv-formula"]
    assert formula["title"].startswith("'=1+2") and formula["summary"].startswith("'@")
    assert by_id["markdown/html-in-title"]["title"] == stored["markdown/html-in-title"].title
    for doc_id in ("markdown/html-in-title", "html/script-press-release", "markdown/control-characters"):
        for fmt in ("bib", "ris"):
            cited = visitor.download(f"/doc/{doc_id}/cite.{fmt}").decode("utf-8")
            assert stored[doc_id].title.split(" ", 1)[0] in cited


def test_error_pages_for_hostile_addresses_run_no_script(visitor):
    for path, status in [
        ("/doc/<script>alert(1)</script>", 404),
        ("/doc/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E", 404),
        ("/council/%3Csvg%20onload=alert(1)%3E", 404),
        ("/theme/javascript:alert(1)", 404),
        ("/<script>document.title='pwned'</script>", 404),
        ("/doc/markdown/html-in-title/cite.<script>", 404),
        ("/api/documents/<script>alert(1)</script>", 404),
        (search(q="housing", **{"from": "<script>alert(1)</script>"}), 400),
        (search(q="housing", page="\"><img src=x onerror=console.log('xss-payload-p')>"), 400),
        (search("/search/facet/council", q="housing", to="{{7*7}}"), 400),
    ]:
        assert_inert(visitor.open(path, status))


def test_the_content_security_policy_blocks_script_injected_into_a_live_page(visitor):
    """The control for the checks above: script that does reach a page is refused by the policy, and reported."""
    visitor.open("/doc/markdown/html-in-title")
    visitor.page.evaluate(
        """() => {
            document.body.insertAdjacentHTML('beforeend',
                '<img src="/static/no-such-image" onerror="console.log(\\'xss-payload-control-1\\')">');
            const script = document.createElement('script');
            script.textContent = "console.log('xss-payload-control-2'); document.title = 'pwned'";
            document.body.appendChild(script);
        }"""
    )
    deadline = time.monotonic() + 5
    while len(visitor.page.evaluate("() => window.__csp")) < 2 and time.monotonic() < deadline:
        visitor.page.wait_for_timeout(50)
    violations = visitor.page.evaluate("() => window.__csp")
    assert any(v.startswith("script-src-attr") for v in violations), violations
    assert any(v.startswith("script-src-elem inline") for v in violations), violations
    assert not [m for m in visitor.console if "xss-payload-control" in m and "Content Security Policy" not in m]
    assert visitor.page.title() != "pwned" and visitor.dialogs == []
