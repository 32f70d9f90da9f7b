"""A polite, careful HTTP fetcher for members' news feeds and the pages they link to.

Every hop of a request, redirects included, is checked before anything is sent: only http and https;
the host's addresses (socket.getaddrinfo) must all be public, and the connection goes to the address
that was checked, so a name that resolves again to somewhere else (DNS rebinding) is not followed there;
robots.txt, read once per host per run with Protego, must allow the address. A body is read as a stream
and cut off past a size limit counted on the decompressed bytes (so a gzip bomb stops at the limit, and
at most the limit is ever decompressed) and past an overall deadline (so a server that trickles bytes
cannot hold the run). Requests to one host are spaced by a delay.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import zlib
from dataclasses import dataclass

import httpx
from protego import Protego

from .. import __version__, settings

MIB = 1024 * 1024
MAX_FEED_BYTES = 2 * MIB
MAX_PAGE_BYTES = 5 * MIB
MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt
MAX_REDIRECTS = 5
MAX_CRAWL_DELAY = 10.0  # a robots.txt Crawl-delay is honoured up to this many seconds
ROBOT_NAME = "CoopPracticeLibrary"  # the product token robots.txt rules name
REDIRECTS = (301, 302, 303, 307, 308)
RETRY_STATUSES = (408, 425, 429)  # client errors that say "try later"
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """An address that could not be fetched: why, its HTTP status if any, and whether to try again next run."""

    def __init__(self, url: str, reason: str, status: int | None = None, transient: bool = False) -> None:
        self.url = url
        self.reason = reason
        self.status = status
        self.transient = transient
        super().__init__(f"{url}: {reason}")


@dataclass
class Fetched:
    """What an address answered with: its body (decompressed) and the headers the harvester uses."""

    url: str  # the address that answered, after any redirects
    status: int  # 200, or 304 when a conditional request found nothing new
    content: bytes = b""
    content_type: str = ""  # the media type alone, lower case, such as text/html
    charset: str = ""  # the charset the Content-Type header declares, if any
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def address_refusal(address: str, allow_loopback: bool = False) -> str:
    """Why an IP address may not be fetched ("a private address"), or "" when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):  # an IPv4 address carried inside an IPv6 one is judged as itself
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return address_refusal(str(inner), allow_loopback)
    if ip.is_loopback:
        return "" if allow_loopback else "a loopback address"
    for test, kind in (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "an address that is not public"),
    ):
        if test:
            return kind
    return ""


class Fetcher:
    """Fetch feeds and pages over HTTP(S) with every safeguard; one per harvest run, then close()."""

    def __init__(
        self,
        delay: float | None = None,
        allow_private: bool | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 20.0,
        deadline: float = 30.0,
        max_feed_bytes: int = MAX_FEED_BYTES,
        max_page_bytes: int = MAX_PAGE_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        user_agent: str | None = None,
    ) -> None:
        """Settings not given come from COOP_LIBRARY_HARVEST_DELAY_SECONDS and COOP_LIBRARY_HARVEST_ALLOW_PRIVATE."""
        self.delay = max(0.0, settings.get_float("harvest_delay_seconds") if delay is None else float(delay))
        # Even for the tests' own server only loopback is let through: private networks never are.
        self.allow_loopback = (
            bool(settings.get_int("harvest_allow_private")) if allow_private is None else allow_private
        )
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.max_feed_bytes = max_feed_bytes
        self.max_page_bytes = max_page_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent or (
            f"{ROBOT_NAME}/{__version__} (+{settings.get_str('base_url')}; news harvester)"
        )
        self._robots: dict[str, Protego | FetchError | None] = {}  # per scheme://host:port; None allows all
        self._host_delay: dict[str, float] = {}
        self._last_request: dict[str, float] = {}
        # No proxies or .netrc from the environment: a proxy would connect to addresses we have not checked.
        # No keep-alive either: a pooled connection to one address could carry a request for another host name.
        self._client = httpx.Client(
            trust_env=False,
            follow_redirects=False,
            headers={"User-Agent": self.user_agent},
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch_feed(self, url: str, etag: str = "", last_modified: str = "") -> Fetched:
        """Fetch a feed, conditionally when an ETag or Last-Modified from last time is given."""
        conditions = {"If-None-Match": etag} if etag else {}
        if last_modified:
            conditions["If-Modified-Since"] = last_modified
        return self.fetch(url, self.max_feed_bytes, FEED_ACCEPT, conditions)

    def fetch_page(self, url: str) -> Fetched:
        """Fetch a web page that a feed links to."""
        return self.fetch(url, self.max_page_bytes, PAGE_ACCEPT)

    def fetch(
        self,
        url: str,
        max_bytes: int,
        accept: str = "*/*",
        conditions: dict[str, str] | None = None,
        robots: bool = True,
    ) -> Fetched:
        """GET an address, following at most max_redirects redirects, each hop checked; raise FetchError."""
        deadline_at = time.monotonic() + self.deadline
        headers = {"Accept": accept, "Accept-Encoding": "gzip, deflate", **(conditions or {})}
        visited: list[str] = []
        current = self._parse(url, url)
        while True:
            shown = str(current)
            if shown in visited:
                raise FetchError(url, f"redirect loop: {visited[-1]} leads back to {shown}")
            if len(visited) > self.max_redirects:
                raise FetchError(url, f"redirected more than {self.max_redirects} times (last to {shown})")
            visited.append(shown)
            addresses = self._checked_addresses(url, current)
            if robots:
                self._check_robots(url, current)
            answer = self._send(url, current, addresses, headers, max_bytes, deadline_at)
            if not isinstance(answer, httpx.URL):
                return answer
            current = answer

    # ---- the checks made before each hop

    def _parse(self, url: str, address: str, base: httpx.URL | None = None) -> httpx.URL:
        """The address (relative to `base`, for a redirect's Location) when it is one that may be fetched."""
        try:
            parsed = base.join(address) if base else httpx.URL(address)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise FetchError(url, f"{address[:200]!r} is not a web address ({exc})") from None
        address = str(parsed)
        if parsed.scheme not in ("http", "https"):
            raise FetchError(url, f"{address[:200]} is not an http or https address; refused")
        if not parsed.host or not 0 < _port(parsed) < 65536:
            raise FetchError(url, f"{address[:200]} names no host, or no port that can be")
        if parsed.userinfo:
            raise FetchError(url, f"{parsed.copy_with(username=None, password=None)} carries a user name; refused")
        return parsed

    def _checked_addresses(self, url: str, target: httpx.URL) -> list[str]:
        """The host's addresses, when every one of them may be fetched."""
        host = target.raw_host.decode("ascii")
        verb = "is"
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            verb = "resolves to"
            try:
                found = socket.getaddrinfo(host, _port(target), type=socket.SOCK_STREAM)
            except (OSError, UnicodeError, OverflowError) as exc:  # socket.gaierror is an OSError
                raise FetchError(url, f"the host {host} could not be found ({exc})", transient=True) from None
            addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        for address in addresses:
            refusal = address_refusal(address, self.allow_loopback)
            if refusal:
                raise FetchError(url, f"{_at(url, target)}{verb} {refusal} ({address}); refused, nothing was sent")
        return addresses

    def _check_robots(self, url: str, target: httpx.URL) -> None:
        key = _origin(target)
        if key not in self._robots:
            self._robots[key] = self._read_robots(url, target)
        rules = self._robots[key]
        if isinstance(rules, FetchError):
            raise FetchError(url, rules.reason, transient=True)
        if rules is not None and not rules.can_fetch(str(target), ROBOT_NAME):
            raise FetchError(url, f"{key}/robots.txt does not allow {ROBOT_NAME} to fetch {target.raw_path.decode()}")

    def _read_robots(self, url: str, target: httpx.URL) -> Protego | FetchError | None:
        """The host's robots.txt rules; None when it has none (a 4xx answer); a FetchError skips the host."""
        address = f"{_origin(target)}/robots.txt"
        try:
            fetched = self.fetch(address, MAX_ROBOTS_BYTES, "text/plain", robots=False)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status not in RETRY_STATUSES:
                return None
            return FetchError(url, f"{address} could not be read ({exc.reason}); the host is skipped this run")
        rules = Protego.parse(fetched.content.decode("utf-8", "replace"))
        crawl_delay = rules.crawl_delay(ROBOT_NAME)
        if crawl_delay:
            self._host_delay[_origin(target)] = min(float(crawl_delay), MAX_CRAWL_DELAY)
        return rules

    # ---- one hop

    def _send(
        self,
        url: str,
        target: httpx.URL,
        addresses: list[str],
        headers: dict[str, str],
        max_bytes: int,
        deadline_at: float,
    ) -> Fetched | httpx.URL:
        """Send one GET to the checked addresses in turn; return the answer, or where it redirects to."""
        self._wait_for(target)
        extensions = {"sni_hostname": target.raw_host.decode("ascii")} if target.scheme == "https" else {}
        host_header = target.netloc.decode("ascii")
        error: Exception | None = None
        try:
            for address in addresses:
                request = self._client.build_request(
                    "GET",
                    target.copy_with(host=address),  # connect to the address we checked, not a fresh lookup
                    headers={**headers, "Host": host_header},
                    timeout=self._timeout(deadline_at),
                    extensions=extensions,
                )
                try:
                    response = self._client.send(request, stream=True)
                except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                    error = exc
                    continue
                try:
                    return self._answer(url, target, response, max_bytes, deadline_at)
                finally:
                    response.close()
                    self._client.cookies.clear()
        except httpx.TimeoutException:
            raise FetchError(
                url, f"{_at(url, target)}took too long to answer (limit {self.deadline:g} s)", transient=True
            ) from None
        except httpx.HTTPError as exc:
            raise FetchError(
                url, f"{_at(url, target)}could not be fetched ({_describe(exc)})", transient=True
            ) from None
        finally:
            self._last_request[_origin(target)] = time.monotonic()
        raise FetchError(url, f"{_at(url, target)}could not be reached ({_describe(error)})", transient=True)

    def _answer(
        self, url: str, target: httpx.URL, response: httpx.Response, max_bytes: int, deadline_at: float
    ) -> Fetched | httpx.URL:
        status = response.status_code
        if status in REDIRECTS:
            location = response.headers.get("Location", "").strip()
            if not location:
                raise FetchError(
                    url, f"{_at(url, target)}redirects (HTTP {status}) without saying where", status=status
                )
            return self._parse(url, location, base=target)
        fetched = Fetched(
            url=str(target),
            status=status,
            content_type=response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower(),
            charset=response.charset_encoding or "",
            etag=response.headers.get("ETag", ""),
            last_modified=response.headers.get("Last-Modified", ""),
        )
        if status == 304:
            return fetched
        if status != 200:
            raise FetchError(
                url,
                f"{_at(url, target)}answered HTTP {status} {response.reason_phrase}".rstrip(),
                status=status,
                transient=status >= 500 or status in RETRY_STATUSES,
            )
        fetched.content = self._read_body(url, target, response, max_bytes, deadline_at)
        return fetched

    def _read_body(
        self, url: str, target: httpx.URL, response: httpx.Response, max_bytes: int, deadline_at: float
    ) -> bytes:
        """The body, decompressed, refused past max_bytes or the deadline, counted as it streams in."""
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        too_big = FetchError(
            url, f"{_at(url, target)}is over the {max_bytes:,}-byte limit (counted after decompression)"
        )
        declared = response.headers.get("Content-Length", "")
        if encoding in ("", "identity") and declared.isdigit() and int(declared) > max_bytes:
            raise too_big
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise FetchError(
                url, f"{_at(url, target)}is sent with Content-Encoding {encoding[:40]!r}, which was not asked for"
            )
        decompressor = _Decompressor(encoding) if encoding not in ("", "identity") else None
        parts: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            try:
                part = decompressor.decompress(chunk, max_bytes - size + 1) if decompressor else chunk
            except zlib.error as exc:
                raise FetchError(
                    url, f"{_at(url, target)}sent a {encoding} body that does not decompress ({exc})"
                ) from None
            size += len(part)
            if size > max_bytes:
                raise too_big
            parts.append(part)
            if time.monotonic() > deadline_at:
                raise FetchError(
                    url, f"{_at(url, target)}took too long to send (limit {self.deadline:g} s)", transient=True
                )
        return b"".join(parts)

    def _timeout(self, deadline_at: float) -> httpx.Timeout:
        remaining = max(0.01, deadline_at - time.monotonic())
        return httpx.Timeout(
            connect=min(self.connect_timeout, remaining),
            read=min(self.read_timeout, remaining),
            write=min(self.read_timeout, remaining),
            pool=min(self.connect_timeout, remaining),
        )

    def _wait_for(self, target: httpx.URL) -> None:
        """Sleep until the host's delay since the last request to it has passed."""
        key = _origin(target)
        last = self._last_request.get(key)
        if last is not None:
            pause = max(self.delay, self._host_delay.get(key, 0.0)) - (time.monotonic() - last)
            if pause > 0:
                time.sleep(pause)


class _Decompressor:
    """Inflate a gzip or deflate body chunk by chunk, never past the room left under the size limit."""

    def __init__(self, encoding: str) -> None:
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | (16 if "gzip" in encoding else 0))
        self._may_be_bare = encoding == "deflate"  # some servers send deflate without its zlib header

    def decompress(self, chunk: bytes, room: int) -> bytes:
        """Up to `room` bytes of output; a bomb's chunk is never inflated further than that."""
        try:
            out = self._inflater.decompress(chunk, room)
        except zlib.error:
            if not self._may_be_bare:
                raise
            self._inflater, self._may_be_bare = zlib.decompressobj(-zlib.MAX_WBITS), False
            return self.decompress(chunk, room)
        self._may_be_bare = False
        return out


def _at(url: str, target: httpx.URL) -> str:
    """The hop a reason is about, when a redirect led away from the address asked for."""
    return "" if str(target).rstrip("/") == url.rstrip("/") else f"{target} "


def _port(target: httpx.URL) -> int:
    return target.port or (443 if target.scheme == "https" else 80)


def _origin(target: httpx.URL) -> str:
    return f"{target.scheme}://{target.netloc.decode('ascii')}"


def _describe(error: Exception | None) -> str:
    text = str(error) if error else ""
    return text[:200] or type(error).__name__


__all__ = ["Fetched", "FetchError", "Fetcher", "address_refusal"]
