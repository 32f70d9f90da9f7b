"""The real server (`coop-library serve` on 127.0.0.1) against slow clients and hostile request heads."""

from __future__ import annotations

import http.client
import json
import selectors
import socket
import time
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.browser import running_server
from webui.worker import HEAD_TIMEOUT

SLOW_CLIENTS = 32
HANG_ON = HEAD_TIMEOUT - 3  # seconds of answering while every slow client still hangs on


def port_of(site: str) -> int:
    return int(site.rsplit(":", 1)[1])


def timed_get(url: str) -> float:
    """Fetch a URL, check it answered 200, and return how long it took."""
    start = time.monotonic()
    with urllib.request.urlopen(url, timeout=15) as response:
        assert response.status == 200
        response.read()
    return time.monotonic() - start


@pytest.mark.slow
def test_slow_clients_cannot_stop_the_site_answering(bundled_index):
    with running_server(bundled_index) as site:
        slow = [socket.create_connection(("127.0.0.1", port_of(site)), timeout=5) for _ in range(SLOW_CLIENTS)]
        waiting = selectors.DefaultSelector()
        try:
            for sock in slow:
                sock.sendall(b"GET /search?q=housing HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                waiting.register(sock, selectors.EVENT_READ)
            started, took = time.monotonic(), []
            while time.monotonic() - started < HANG_ON:
                for sock in slow:
                    sock.sendall(b"X-Slow: 1\r\n")  # one more header line a second, never the end of the head
                took += [timed_get(site + "/healthz"), timed_get(site + "/search?q=housing")]
                time.sleep(1)
            assert not waiting.select(timeout=0), "every slow client is still waiting for its answer"
            assert len(took) >= 8 and max(took) < 3, took

            # Trickling does not buy more time: each slow client gets a 408 once its head is HEAD_TIMEOUT late.
            answers: dict[socket.socket, bytes] = {}
            deadline = started + HEAD_TIMEOUT + 5
            while len(answers) < SLOW_CLIENTS and time.monotonic() < deadline:
                for key, _ in waiting.select(timeout=1):
                    answers[key.fileobj] = key.fileobj.recv(4096)  # type: ignore[union-attr,index]
                    waiting.unregister(key.fileobj)
            assert len(answers) == SLOW_CLIENTS
            assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers.values())
            assert all(b"Content-Security-Policy: " in answer for answer in answers.values())
        finally:
            waiting.close()
            for sock in slow:
                sock.close()


def raw_get(site: str, path: str, host: str | None = None, method: str = "GET", **headers: str):  # type: ignore[no-untyped-def]
    """Send one request with exactly this path, Host and headers, and return the answer and its body."""
    connection = http.client.HTTPConnection("127.0.0.1", port_of(site), timeout=15)
    connection.putrequest(method, path, skip_host=host is not None, skip_accept_encoding=True)
    if host is not None:
        connection.putheader("Host", host)
    for name, value in headers.items():
        connection.putheader(name.replace("_", "-"), value)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def heading(answer) -> str:  # type: ignore[no-untyped-def]
    response, body = answer
    assert response.getheader("Content-Type", "").startswith("text/html")
    return BeautifulSoup(body, "html.parser").h1.get_text()


@pytest.mark.slow
def test_hostile_heads_get_the_sites_own_pages_with_its_headers_and_log_nothing(bundled_index):
    big = {f"X_Big_{n}": "b" * 8000 for n in range(10)}
    with running_server(bundled_index) as site:
        answers = {
            "long label": raw_get(site, "/search.atom?q=food", host="a" * 64 + ".example"),
            "forged host": raw_get(site, "/", host="evil.example"),
            "10,000-character query": raw_get(site, "/search?q=" + "housing+" * 1250),
            "40,000-character query": raw_get(site, "/search?q=" + "housing+" * 5000),
            "100,000-character query": raw_get(site, "/search?q=" + "housing+" * 12500),
            "100,000-character API query": raw_get(site, "/api/search?q=" + "housing+" * 12500),
            "80 KB of headers": raw_get(site, "/search?q=housing", **big),
            "wrong method": raw_get(site, "/search", method="POST"),
        }
        log = Path(bundled_index.parent / f"serve-{port_of(site)}.log").read_text(errors="replace")
    for name, (response, _) in answers.items():
        assert "script-src 'self'" in response.getheader("Content-Security-Policy", ""), name
        assert response.getheader("X-Frame-Options") == "DENY", name
    assert [response.status for response, _ in answers.values()] == [400, 400, 200, 200, 414, 414, 431, 405]
    assert heading(answers["long label"]) == heading(answers["forged host"]) == "That request could not be understood"
    assert heading(answers["100,000-character query"]) == "That address is too long"
    assert json.loads(answers["100,000-character API query"][1])["error"]["status"] == 414
    assert "GET" in answers["wrong method"][0].getheader("Allow", "")
    assert len([line for line in log.splitlines() if not line.startswith("Serving ")]) <= 1, log
