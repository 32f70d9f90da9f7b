"""A gunicorn worker that reads each request head in its event loop, so slow clients never hold a thread.

gunicorn's gthread worker gives a connection to a thread as soon as its first bytes arrive, and the thread then
waits for the rest of the head: 32 clients sending one header line every few seconds hold every thread, and the
site stops answering. This worker keeps a connection in the event loop, where it costs a socket and no thread,
until its whole head (request line and headers) has arrived, and only then hands it to a thread. A head that
takes longer than HEAD_TIMEOUT gets a 408; one larger than MAX_HEAD_BYTES a 414 or 431. gunicorn's advice for
threaded workers facing the internet is a buffering proxy in front; this is that buffering, for the request
head, in the worker itself. Plain HTTP only: `coop-library serve` has no TLS options (TLS ends at a proxy).
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import time
from functools import partial

from gunicorn.workers.gthread import TConn, ThreadWorker

from .security import HEADERS

HEAD_TIMEOUT = 10.0  # seconds a client has to send its whole request head
MAX_HEAD_BYTES = 64 * 1024
HEAD_ENDS = (b"\r\n\r\n", b"\n\n")
DRAIN_SECONDS = 2.0  # after a refusal, what the client is still sending is read and dropped this long at most
# Refusals made before the app sees a request: status line, page title, what to do.
REFUSALS = {
    408: ("408 Request Timeout", "The request took too long to arrive", "Please try again."),
    414: ("414 URI Too Long", "That address is too long", "Search with fewer words, or choose fewer filters."),
    431: ("431 Request Header Fields Too Large", "That request's headers are too large", "Clear this site's cookies."),
}


def refusal(code: int, head: bytes = b"") -> bytes:
    """A complete response that closes the connection, with the security headers; JSON for the API, as the app's."""
    status, title, advice = REFUSALS[code]
    target = head.partition(b" ")[2]  # the address, and whatever follows it
    if target.startswith((b"/api/", b"/healthz")):
        body = json.dumps({"error": {"status": code, "message": f"{title}. {advice}"}}) + "\n"
        media = "application/json"
    else:
        body = f'<!doctype html>\n<html lang="en-GB"><title>{title}</title><h1>{title}</h1><p>{advice}</p></html>\n'
        media = "text/html; charset=utf-8"
    headers = [f"HTTP/1.1 {status}", f"Content-Type: {media}", "Connection: close",
               f"Content-Length: {len(body.encode())}", *(f"{name}: {value}" for name, value in HEADERS.items())]  # fmt: skip
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


class HeadBufferingWorker(ThreadWorker):
    """gthread, except that a connection reaches a thread only once its request head is complete."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reading: dict[TConn, tuple[bytearray, float]] = {}  # connection: its head so far, deadline
        self.complete: dict[TConn, bytes] = {}  # heads handed to a thread, for it to parse
        self.draining: dict[TConn, float] = {}  # refused connections being read to the end, deadline

    def enqueue_req(self, conn: TConn) -> None:
        """Read the head of the connection's next request in the event loop instead of in a thread."""
        head = bytearray(conn.parser.unreader.take_buffered() if conn.initialized else b"")
        self.reading[conn] = (head, time.monotonic() + HEAD_TIMEOUT)
        conn.sock.setblocking(False)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read_head, conn))
        self._check_head(conn)

    def _read_head(self, conn: TConn, _sock: object) -> None:
        chunk = _receive(conn)
        if chunk is None:
            return
        if not chunk:
            self._close(conn)
            return
        self.reading[conn][0].extend(chunk)
        self._check_head(conn)

    def _check_head(self, conn: TConn) -> None:
        """Hand the connection to a thread if its head is complete, or refuse it if the head is too large."""
        head = self.reading[conn][0]
        ends = [at for at in (head.find(end) for end in HEAD_ENDS) if at >= 0]
        size = min(ends) if ends else len(head)  # a body may follow the head in the same read
        if size > MAX_HEAD_BYTES:
            self._refuse(conn, 431 if b"\n" in head[:size] else 414)
        elif ends:
            self._stop_reading(conn)
            self.complete[conn] = bytes(head)
            conn.data_ready = True
            super().enqueue_req(conn)

    def handle(self, conn: TConn):
        """Parse the head already read, then carry on as gthread does."""
        head = self.complete.pop(conn, None)
        if head is not None:
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(head)
        return super().handle(conn)

    def murder_pending(self) -> None:
        """Refuse connections whose head is late, and close refused ones still sending, as well as gthread's."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c, (_, deadline) in self.reading.items() if deadline <= now or not self.alive]:
            self._refuse(conn, 408)
        for conn in [c for c, deadline in self.draining.items() if deadline <= now or not self.alive]:
            self._close(conn)

    def _refuse(self, conn: TConn, code: int) -> None:
        """Answer and half-close; what the client still sends is read and dropped, so its kernel gets no reset."""
        head = bytes(self.reading[conn][0][:1024]) if conn in self.reading else b""
        self._stop_reading(conn)
        try:
            conn.sock.send(refusal(code, head))
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.nr_conns -= 1
            conn.close()
            return
        self.draining[conn] = time.monotonic() + DRAIN_SECONDS
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._drain, conn))

    def _drain(self, conn: TConn, _sock: object) -> None:
        if _receive(conn) == b"":
            self._close(conn)

    def _stop_reading(self, conn: TConn) -> None:
        self.reading.pop(conn, None)
        self.draining.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError):  # not registered, or already closed
            self.poller.unregister(conn.sock)

    def _close(self, conn: TConn) -> None:
        self._stop_reading(conn)
        self.nr_conns -= 1
        conn.close()


def _receive(conn: TConn) -> bytes | None:
    """What the client sent since last time: b'' when it has closed or failed, None when nothing is there yet."""
    try:
        return conn.sock.recv(16384)
    except BlockingIOError:
        return None
    except OSError:
        return b""
