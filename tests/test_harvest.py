"""The harvester of members' news, against a real HTTP server on 127.0.0.1, a real hub store and the real vocabularies."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from library.errors import VocabularyError
from library.hub.fetch import Fetcher, FetchError, address_refusal
from library.hub.harvest import RELEVANCE_THRESHOLD, Source, canonical_url, harvest, load_sources, relevance
from library.hub.store import HubStore, QueueItem
from library.readers.html import read_html_bytes
from library.tagging import Tagger

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "harvest"
HTML = "text/html; charset=utf-8"


@dataclass
class Answer:
    """What the test server answers at one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""  # a request with this If-None-Match gets a 304
    last_modified: str = ""  # a request with this If-Modified-Since gets a 304
    wait: float = 0.0  # seconds before the answer starts
    trickle: float = 0.0  # seconds between single bytes of the body
    length: bool = True  # send Content-Length


class Site:
    """A real HTTP server on 127.0.0.1 that serves answers by path and counts the requests for each."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.requests: Counter[str] = Counter()  # by path, query included
        self.not_modified: Counter[str] = Counter()
        self.user_agents: list[str] = []
        self.hosts: list[str] = []  # the Host header of each request
        self.times: dict[str, list[float]] = defaultdict(list)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.site = self  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})

    def serve(self, path: str, body: bytes | str = b"", content_type: str = HTML, **answer: object) -> str:
        """Answer at `path` with this body ({base} becomes the server's address); return the full address."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = {"Content-Type": content_type, **answer.pop("headers", {})}  # type: ignore[dict-item]
        self.answers[path] = Answer(data.replace(b"{base}", self.base.encode()), headers=headers, **answer)  # type: ignore[arg-type]
        return self.base + path

    def fixture(self, path: str, name: str, content_type: str = HTML, **answer: object) -> str:
        return self.serve(path, (FIXTURES / name).read_bytes(), content_type, **answer)

    def feed(self, path: str, links: list[str], etag: str = "") -> str:
        """An RSS feed with one item for each of these paths."""
        items = "".join(f"<item><link>{{base}}{link}</link></item>" for link in links)  # titles come from the pages
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}</channel></rss>'
        return self.serve(path, body, "application/rss+xml", etag=etag)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        site: Site = self.server.site  # type: ignore[attr-defined]
        with site.lock:
            site.requests[self.path] += 1
            site.user_agents.append(self.headers.get("User-Agent", ""))
            site.hosts.append(self.headers.get("Host", ""))
            site.times[self.path].append(time.monotonic())
        answer = site.answers.get(urlsplit(self.path).path)
        try:
            if answer is None:
                self._send(Answer(b"Not here", status=404))
            elif (answer.etag and self.headers.get("If-None-Match") == answer.etag) or (
                answer.last_modified and self.headers.get("If-Modified-Since") == answer.last_modified
            ):
                with site.lock:
                    site.not_modified[self.path] += 1
                self._send(Answer(status=304, etag=answer.etag, last_modified=answer.last_modified), body=False)
            else:
                site.stopping.wait(answer.wait)
                self._send(answer)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the harvester hung up, as it should on a slow or oversized answer

    def _send(self, answer: Answer, body: bool = True) -> None:
        site: Site = self.server.site  # type: ignore[attr-defined]
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.etag:
            self.send_header("ETag", answer.etag)
        if answer.last_modified:
            self.send_header("Last-Modified", answer.last_modified)
        if answer.length and body:
            self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if not body:
            return
        if not answer.trickle:
            self.wfile.write(answer.body)
            return
        for byte in answer.body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            if site.stopping.wait(answer.trickle):
                return

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def site():
    served = Site()
    served.thread.start()
    yield served
    served.stopping.set()
    served.server.shutdown()
    served.server.server_close()
    served.thread.join()


@pytest.fixture(autouse=True)
def harvest_settings(monkeypatch):
    """No delay between requests, and the tests' own server on 127.0.0.1 allowed (loopback only)."""
    monkeypatch.setenv("COOP_LIBRARY_HARVEST_DELAY_SECONDS", "0")
    monkeypatch.setenv("COOP_LIBRARY_HARVEST_ALLOW_PRIVATE", "1")


@pytest.fixture
def store(tmp_path: Path) -> HubStore:
    return HubStore(tmp_path / "hub")


def run(store: HubStore, vocab, *sources: Source, **fetcher_options):  # type: ignore[no-untyped-def]
    with Fetcher(**fetcher_options) as fetcher:
        return harvest(store, list(sources), vocab, fetcher)


def serve_members_news(site: Site) -> tuple[Source, Source]:
    """Oldham's RSS feed (co-operative homes, bins, a road closure) and Plymouth's Atom feed (an energy co-op)."""
    site.fixture("/oldham/news.rss", "oldham-news.rss", "application/rss+xml", etag='"oldham-1"')
    site.fixture("/oldham/news/co-operative-homes", "co-operative-homes.html")
    site.fixture("/oldham/news/bin-collections", "bin-collections.html")
    site.fixture("/oldham/news/road-closure", "road-closure.html")
    last_modified = "Thu, 02 May 2024 10:00:00 GMT"
    site.fixture("/plymouth/news.atom", "plymouth-news.atom", "application/atom+xml", last_modified=last_modified)
    energy = gzip.compress((FIXTURES / "energy-co-operative.html").read_bytes())
    site.serve("/plymouth/news/energy-co-operative", energy, headers={"Content-Encoding": "gzip"})
    return Source("oldham", site.base + "/oldham/news.rss"), Source("plymouth", site.base + "/plymouth/news.atom")


PAGES = ("/oldham/news/co-operative-homes", "/oldham/news/bin-collections", "/oldham/news/road-closure")
ENERGY = "/plymouth/news/energy-co-operative"


def test_rss_and_atom_feeds_queue_relevant_items_and_skip_the_rest(site, store, vocab):
    report = run(store, vocab, *serve_members_news(site))
    assert report.exit_code == 0 and report.failed == []
    homes, bins, road = (site.base + p for p in PAGES)
    assert sorted(n.url for n in report.queued) == [homes, site.base + ENERGY]
    assert sorted(n.url for n in report.skipped) == [bins, road]
    assert all(n.relevance < RELEVANCE_THRESHOLD for n in report.skipped)
    items = {item.council: item for item in store.items()}
    assert set(items) == {"oldham", "plymouth"}
    housing, energy = items["oldham"], items["plymouth"]
    assert housing.origin == "harvest" and housing.status == "pending"
    assert housing.title == "Council backs first housing co-operative on the Coldhurst estate"
    assert "housing" in housing.themes and "forty empty homes" in housing.body
    assert housing.source_url == housing.canonical_url == homes  # the feed's utm_* parameters and #top are gone
    assert housing.feed_url == site.base + "/oldham/news.rss" and housing.date == "2024-03-12"
    assert "energy" in energy.themes and energy.relevance >= RELEVANCE_THRESHOLD  # read through gzip, relative link
    assert [store.seen(u) for u in (homes, bins, road)] == ["queued", "skipped", "skipped"]
    assert site.requests["/robots.txt"] == 1  # once per host per run; a 404 allows everything
    assert site.requests["/oldham/news/co-operative-homes?utm_source=rss&utm_medium=feed"] == 0
    assert all(ua.startswith("CoopPracticeLibrary/") and "news harvester" in ua for ua in site.user_agents)


def test_a_second_run_fetches_nothing_new(site, store, vocab):
    sources = serve_members_news(site)
    run(store, vocab, *sources)
    before = Counter(site.requests)
    report = run(store, vocab, *sources)
    assert [f.outcome for f in report.feeds] == ["not modified", "not modified"]
    assert report.queued == report.skipped == report.failed == [] and len(store.items()) == 2
    new_requests = site.requests - before
    assert new_requests == Counter({"/oldham/news.rss": 1, "/plymouth/news.atom": 1, "/robots.txt": 1})
    assert site.not_modified == Counter({"/oldham/news.rss": 1, "/plymouth/news.atom": 1})  # ETag, Last-Modified


def test_a_changed_feed_fetches_only_its_new_items(site, store, vocab):
    oldham, plymouth = serve_members_news(site)
    run(store, vocab, oldham, plymouth)
    before = Counter(site.requests)
    # Oldham's feed changes: the old items, the energy story again at a new address, and a new story.
    feed = (FIXTURES / "oldham-news.rss").read_text(encoding="utf-8")
    extra = "<item><title>Energy</title><link>{base}/oldham/news/moved-energy</link></item>"
    extra += "<item><title>Credit union</title><link>{base}/oldham/news/credit-union</link></item>"
    site.serve("/oldham/news.rss", feed.replace("</channel>", extra + "</channel>"), "application/rss+xml", etag='"2"')
    site.fixture("/oldham/news/moved-energy", "energy-co-operative.html")
    site.fixture("/oldham/news/credit-union", "credit-union-windows-1252.html", "text/html")
    report = run(store, vocab, oldham, plymouth)
    assert [n.url for n in report.queued] == [site.base + "/oldham/news/credit-union"]
    assert [n.url for n in report.duplicates] == [site.base + "/oldham/news/moved-energy"]
    assert report.duplicates[0].reason.startswith("the same text is in the queue already")
    assert [f.outcome for f in report.feeds] == ["read", "not modified"]
    assert site.requests - before == Counter(
        {"/oldham/news.rss": 1, "/plymouth/news.atom": 1, "/robots.txt": 1}
        | {"/oldham/news/moved-energy": 1, "/oldham/news/credit-union": 1}
    )
    assert store.seen(site.base + "/oldham/news/moved-energy") == "duplicate" and len(store.items()) == 3


def test_the_same_item_at_two_addresses_is_queued_once(site, store, vocab):
    site.fixture("/news/homes", "co-operative-homes.html")
    site.fixture("/news/homes-copy", "co-operative-homes.html")
    links = ["/news/homes?utm_campaign=x&gclid=1", "/news/homes#comments", "/news/homes-copy"]
    source = Source("oldham", site.feed("/feed.rss", links))
    report = run(store, vocab, source)
    assert [n.url for n in report.queued] == [site.base + "/news/homes"]
    assert len(store.items()) == 1 and site.requests["/news/homes"] == 1  # the second link was seen already
    assert len(report.duplicates) == 1 and "same text" in report.duplicates[0].reason


def test_broken_pages_are_reported_and_the_run_goes_on(site, store, vocab):
    site.serve("/loop-a", status=302, headers={"Location": "/loop-b"})
    site.serve("/loop-b", status=302, headers={"Location": "/loop-a"})
    site.serve("/huge", b"<p>" + b"co-operative " * 500_000, length=False)  # 6.5 MB, no Content-Length
    bomb = gzip.compress(b"<p>" + b" " * 50_000_000)  # 50 KB that inflates to 50 MB
    site.serve("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    site.fixture("/pdf", "co-operative-homes.html", "application/pdf")
    site.serve("/bad-location", status=301, headers={"Location": "http://[::1"})
    site.serve("/bad-port", status=307, headers={"Location": "//127.0.0.1:99999/"})
    site.fixture("/good", "energy-co-operative.html")
    paths = ["/missing", "/loop-a", "/huge", "/bomb", "/pdf", "/bad-location", "/bad-port", "/good"]
    source = Source("plymouth", site.feed("/feed.rss", paths))
    report = run(store, vocab, source)
    assert report.exit_code == 1
    assert [n.url for n in report.queued] == [site.base + "/good"]
    reasons = {urlsplit(n.url).path: n.reason for n in report.failed}
    assert reasons["/missing"] == "answered HTTP 404 Not Found"
    assert reasons["/loop-a"].startswith("redirect loop:")
    assert reasons["/huge"].startswith("is over the 5,242,880-byte limit")
    assert reasons["/bomb"] == "is over the 5,242,880-byte limit (counted after decompression)"
    assert reasons["/pdf"] == "is application/pdf, not a web page"
    assert reasons["/bad-location"] == "could not be fetched (Invalid URL in location header: Invalid port: ':1'.)"
    assert reasons["/bad-port"] == "http://127.0.0.1:99999/ names no host, or no port that can be"
    retried = [urlsplit(n.url).path for n in report.failed if n.retry]
    assert retried == ["/bad-location"]  # httpx's protocol errors may pass; the rest will not
    assert all(store.seen(n.url) == (None if n.retry else "failed") for n in report.failed)
    before = Counter(site.requests)
    assert [n.url for n in run(store, vocab, source).failed] == [site.base + "/bad-location"]
    assert site.requests - before == Counter({"/feed.rss": 1, "/robots.txt": 1, "/bad-location": 1})


def test_slow_servers_are_cut_off_and_tried_again_next_run(site, store, vocab):
    site.serve("/slow", (FIXTURES / "co-operative-homes.html").read_bytes(), wait=60)  # no answer for a minute
    site.serve("/trickle", b"<p>" + b"co-operative " * 1000, trickle=0.05)  # a byte every 50 ms
    source = Source("oldham", site.feed("/feed.rss", ["/slow", "/trickle"]))
    report = run(store, vocab, source, deadline=2.0)
    reasons = {urlsplit(n.url).path: n.reason for n in report.failed}
    assert reasons == {
        "/slow": "took too long to answer (limit 2 s)",
        "/trickle": "took too long to send (limit 2 s)",
    }
    assert all(n.retry and store.seen(n.url) is None for n in report.failed)
    assert report.problem_lines()[0].endswith("(tried again next run)")
    site.serve("/slow", (FIXTURES / "co-operative-homes.html").read_bytes())
    site.serve("/trickle", b"gone", status=410)
    again = run(store, vocab, source, deadline=2.0)  # the feed is read in full again, though its items are old
    assert [n.url for n in again.queued] == [site.base + "/slow"]


@pytest.mark.parametrize(
    ("location", "refusal"),
    [
        ("http://10.255.255.1/", "http://10.255.255.1/ is a private address (10.255.255.1)"),
        ("http://169.254.169.254/latest/meta-data/", "is a link-local address (169.254.169.254)"),
        ("http://192.168.1.1:8080/admin", "is a private address (192.168.1.1)"),
        ("http://[::ffff:10.0.0.1]/", "is a private address (::ffff:a00:1)"),
        ("http://0.0.0.0/", "is an unspecified address (0.0.0.0)"),
        ("file:///etc/passwd", "is not an http or https address; refused"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused_without_connecting(site, store, vocab, location, refusal):
    site.serve("/moved", status=302, headers={"Location": location})
    report = run(store, vocab, Source("oldham", site.feed("/feed.rss", ["/moved"])))
    [failure] = report.failed
    assert failure.url == site.base + "/moved" and refusal in failure.reason
    assert location.startswith("file:") or failure.reason.endswith("refused, nothing was sent")


def test_without_allow_private_even_the_loopback_feed_is_refused(site, store, vocab, monkeypatch):
    monkeypatch.delenv("COOP_LIBRARY_HARVEST_ALLOW_PRIVATE")
    oldham, _ = serve_members_news(site)
    report = run(store, vocab, oldham)
    assert report.exit_code == 1 and report.feeds[0].outcome == "failed"
    assert report.failed[0].reason == "is a loopback address (127.0.0.1); refused, nothing was sent"
    assert sum(site.requests.values()) == 0


@pytest.mark.parametrize(
    ("address", "loopback_allowed", "refusal"),
    [
        ("93.184.215.14", False, ""),
        ("2a00:1450:4009:81d::200e", False, ""),
        ("127.0.0.1", False, "a loopback address"),
        ("127.0.0.1", True, ""),
        ("::1", True, ""),
        ("10.1.2.3", True, "a private address"),
        ("172.16.0.1", True, "a private address"),
        ("192.168.0.10", True, "a private address"),
        ("169.254.169.254", True, "a link-local address"),
        ("fe80::1", True, "a link-local address"),
        ("fd00::1", True, "a private address"),
        ("224.0.0.1", True, "a multicast address"),
        ("0.0.0.0", True, "an unspecified address"),
        ("100.64.0.1", True, "an address that is not public"),
        ("::ffff:169.254.169.254", True, "a link-local address"),
        ("2002:a00:1::", True, "a private address"),  # 6to4 around 10.0.0.1
        ("64:ff9b::c0a8:1", True, "a private address"),  # NAT64 around 192.168.0.1
    ],
)
def test_address_refusal(address, loopback_allowed, refusal):
    assert address_refusal(address, loopback_allowed) == refusal


@pytest.mark.parametrize("robots_status", [500, 503])
def test_an_unreadable_robots_txt_skips_the_host_for_this_run(site, store, vocab, robots_status):
    oldham, plymouth = serve_members_news(site)
    site.serve("/robots.txt", b"down", status=robots_status)
    report = run(store, vocab, oldham, plymouth)
    assert [f.outcome for f in report.feeds] == ["failed", "failed"]
    assert f"robots.txt could not be read (answered HTTP {robots_status}" in report.feeds[0].reason
    assert "the host is skipped this run" in report.feeds[0].reason
    assert site.requests == Counter({"/robots.txt": 1})


@pytest.mark.parametrize("agent", ["*", "CoopPracticeLibrary"])
def test_robots_txt_is_read_once_per_host_and_obeyed(site, store, vocab, agent):
    site.serve("/robots.txt", f"User-agent: {agent}\nDisallow: /members-only/\n", "text/plain")
    site.fixture("/members-only/homes", "co-operative-homes.html")
    site.fixture("/news/energy", "energy-co-operative.html")
    report = run(store, vocab, Source("plymouth", site.feed("/feed.rss", ["/members-only/homes", "/news/energy"])))
    assert [n.url for n in report.queued] == [site.base + "/news/energy"]
    assert (
        report.failed[0].reason
        == f"{site.base}/robots.txt does not allow CoopPracticeLibrary to fetch /members-only/homes"
    )
    assert site.requests["/members-only/homes"] == 0 and site.requests["/robots.txt"] == 1


@pytest.mark.parametrize(
    ("content_type", "page"),
    [
        ("text/html; charset=windows-1252", "header"),
        ("text/html", "meta"),  # declared only in the page's <meta charset>
        ("text/html; charset=ISO-8859-1", "header"),  # read as browsers do, as Windows-1252
    ],
)
def test_windows_1252_pages_are_read_with_their_pound_signs_and_curly_quotes(site, store, vocab, content_type, page):
    body = (FIXTURES / "credit-union-windows-1252.html").read_bytes()
    if page == "header":
        body = body.replace(b'<meta charset="windows-1252">', b"")
    site.serve("/news/credit-union", body, content_type)
    report = run(store, vocab, Source("preston", site.feed("/feed.rss", ["/news/credit-union"])))
    assert report.exit_code == 0
    [item] = store.items()
    assert "lend £1.2 million to the city’s credit union" in item.body
    assert "“A credit union is owned by its members" in item.body and "‘fair money’" in item.body
    assert item.title == "Council lends £1.2 million to the city’s credit union"


def test_a_windows_1252_feed_is_read(site, store, vocab):
    title = "Council lends £1.2 million to the city’s “credit union”"
    feed = '<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel><title>Preston news</title>'
    feed += f"<item><title>{title}</title><link>{{base}}/news/credit-union</link></item></channel></rss>"
    site.serve("/feed.rss", feed.encode("cp1252"), "application/rss+xml")
    site.fixture("/news/credit-union", "credit-union-windows-1252.html", "text/html")
    assert run(store, vocab, Source("preston", site.base + "/feed.rss")).exit_code == 0
    assert [item.title for item in store.items()] == [title]


def test_a_malformed_feed_is_reported_and_the_other_feeds_are_read(site, store, vocab):
    oldham, plymouth = serve_members_news(site)
    broken = Source("lambeth", site.fixture("/lambeth/news.rss", "malformed.rss", "application/rss+xml"))
    missing = Source("preston", site.base + "/preston/no-feed.rss")
    report = run(store, vocab, broken, oldham, missing, plymouth)
    assert report.exit_code == 1 and len(report.queued) == 2
    reasons = {n.url: n.reason for n in report.failed}
    assert reasons[broken.feed].startswith("is not an RSS or Atom feed that can be read")
    assert reasons[missing.feed] == "answered HTTP 404 Not Found"
    assert [f.outcome for f in report.feeds] == ["failed", "read", "failed", "read"]
    assert report.problem_lines()[0].startswith(f"FAILED feed {broken.feed}: is not an RSS")


def test_requests_to_one_host_are_spaced_by_the_delay(site):
    site.serve("/a", b"a")
    site.serve("/b", b"b")
    with Fetcher(delay=0.3) as fetcher:
        assert fetcher.fetch_page(site.base + "/a").content == b"a"
        assert fetcher.fetch_page(site.base + "/b").content == b"b"
    assert site.times["/b"][0] - site.times["/a"][0] >= 0.29


def test_a_host_name_is_looked_up_checked_and_asked_for_by_name(site):
    site.serve("/page", b"hello")
    port = urlsplit(site.base).port
    with Fetcher() as fetcher:
        fetched = fetcher.fetch_page(f"http://LocalHost:{port}/page")
    assert fetched.content == b"hello" and fetched.url == f"http://localhost:{port}/page"
    assert site.hosts == [f"localhost:{port}", f"localhost:{port}"]  # robots.txt, then the page
    with Fetcher(allow_private=False) as fetcher, pytest.raises(FetchError) as refused:
        fetcher.fetch_page(f"http://localhost:{port}/page")
    assert "resolves to a loopback address" in refused.value.reason and len(site.hosts) == 2


def test_a_304_means_nothing_new(site):
    site.serve("/feed", b"<rss/>", "application/rss+xml", etag='"v1"')
    with Fetcher() as fetcher:
        first = fetcher.fetch_feed(site.base + "/feed")
        again = fetcher.fetch_feed(site.base + "/feed", etag=first.etag)
    assert first.etag == '"v1"' and not first.not_modified
    assert again.not_modified and again.content == b""
    with Fetcher() as fetcher, pytest.raises(FetchError) as refused:
        fetcher.fetch_page("ftp://127.0.0.1/feed")
    assert refused.value.reason == "ftp://127.0.0.1/feed is not an http or https address; refused"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://Www.Oldham.GOV.uk/news/Item?utm_source=rss&id=4#top", "https://www.oldham.gov.uk/news/Item?id=4"),
        ("http://example.org:80/a?fbclid=x&gclid=y&UTM_medium=z", "http://example.org/a"),
        ("https://example.org:8443", "https://example.org:8443/"),
        ("https://example.org/a?b=%20c&b=d", "https://example.org/a?b=%20c&b=d"),
    ],
)
def test_canonical_url(url, canonical):
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    ("name", "relevant"),
    [
        ("co-operative-homes.html", True),
        ("energy-co-operative.html", True),
        ("credit-union-windows-1252.html", True),
        ("bin-collections.html", False),
        ("road-closure.html", False),
    ],
)
def test_relevance_to_co_operative_practice(vocab, name, relevant):
    raw = read_html_bytes((FIXTURES / name).read_bytes(), name)
    assert (relevance(Tagger(vocab), raw.found_title, raw.body) >= RELEVANCE_THRESHOLD) is relevant


def test_each_run_forgets_submitters_personal_data_past_its_time(store, vocab, monkeypatch):
    item = store.add(QueueItem("A title", "A body", submitter_name="Ann", submitter_email="ann@example.org"))
    store.decide(item.id, "approved", by="moderator@example.org")
    assert run(store, vocab).forgotten == 0  # 90 days by default
    time.sleep(0.01)
    monkeypatch.setenv("COOP_LIBRARY_PERSONAL_DATA_DAYS", "0")
    assert run(store, vocab).forgotten == 1
    kept = store.get(item.id)
    assert kept.submitter_name == kept.submitter_email == "" and kept.forgotten


def test_sources_yaml_is_checked_entry_by_entry(tmp_path, vocab):
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - {council: Oldham Council, feed: 'https://www.oldham.gov.uk/news/rss'}\n"
        "  - {council: nowhere, feed: 'https://example.org/rss'}\n"
        "  - {council: plymouth, feed: 'ftp://example.org/rss'}\n"
        "  - {council: plymouth}\n"
        "  - {council: preston, feed: 'HTTPS://WWW.OLDHAM.GOV.UK/news/rss#x'}\n"
        "  - just a line\n"
        "  - {council: oldham, feed: 'https://example.org:port/rss'}\n"
        "  - {council: oldham, feed: 'https://example.org/rss', colour: blue}\n",
        encoding="utf-8",
    )
    with pytest.raises(VocabularyError) as invalid:
        load_sources(path, vocab)
    assert invalid.value.problems == [
        "entry 2: council 'nowhere' is not in councils.yaml; use a council's id",
        "entry 3: feed 'ftp://example.org/rss' should be an http or https address",
        "entry 4: 'feed' is missing (the address of the council's RSS or Atom feed)",
        "entry 5: feed HTTPS://WWW.OLDHAM.GOV.UK/news/rss#x is listed already, in entry 1",
        "entry 6: expected a mapping of council and feed, got str",
        "entry 7: feed 'https://example.org:port/rss' should be an http or https address",
        "entry 8: unknown keys colour (an entry has council and feed)",
    ]
    path.write_text("sources:\n  - {council: Oldham Council, feed: 'https://www.oldham.gov.uk/news/rss'}\n")
    assert load_sources(path, vocab) == [Source("oldham", "https://www.oldham.gov.uk/news/rss")]


def test_the_harvest_command_end_to_end(run_cli, site, corpus_dir, tmp_path):
    oldham, plymouth = serve_members_news(site)
    (corpus_dir / "sources.yaml").write_text(
        f"sources:\n  - {{council: oldham, feed: '{oldham.feed}'}}\n  - {{council: plymouth, feed: '{plymouth.feed}'}}\n"
        f"  - {{council: preston, feed: '{site.base}/preston/missing.rss'}}\n",
        encoding="utf-8",
    )
    report_file = tmp_path / "out" / "harvest.json"
    data = tmp_path / "hub"
    result = run_cli("harvest", "--corpus", str(corpus_dir), "--data", str(data), "--report", str(report_file))
    assert result.exit_code == 1
    assert (
        result.stdout
        == "coop-library harvest: 2 feeds read (0 unchanged); 2 queued, 2 skipped, 0 duplicate, 1 failed\n"
    )
    assert f"FAILED feed {site.base}/preston/missing.rss: answered HTTP 404 Not Found" in result.stderr
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["exit_code"] == 1 and len(report["queued"]) == 2 and len(report["skipped"]) == 2
    assert len(HubStore(data).items()) == 2

    (corpus_dir / "sources.yaml").write_text("sources:\n  - {council: atlantis, feed: 'https://example.org'}\n")
    result = run_cli("harvest", "--corpus", str(corpus_dir), "--data", str(data), "--report", str(report_file))
    assert result.exit_code == 3
    assert "sources.yaml is invalid" in result.stderr and "entry 1: council 'atlantis'" in result.stderr
    assert json.loads(report_file.read_text(encoding="utf-8"))["exit_code"] == 3
