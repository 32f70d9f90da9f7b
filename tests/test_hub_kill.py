"""A submission is stored whole or not at all, even when the server is killed with SIGKILL mid-request.

The real `coop-library serve` (gunicorn, several workers) takes submissions from a few client threads, each sent as
a browser sends it (the form fetched first for its CSRF token and cookie); at a random moment the whole process
group, workers included, is killed. After a restart, every submission whose answer carried a reference is in the
store exactly as it was sent, PDF included, and every row in the store is one of the submissions sent, whole.
Each submission comes from its own loopback address (127.x.y.z), so the per-address limit is the real one.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from library.hub.store import HubStore
from tests.browser import free_port
from tests.conftest import BUNDLED
from tests.helpers import pdf_bytes

pytestmark = pytest.mark.slow

THREADS = 4
KILL_AFTER = (0.5, 2.5)  # seconds after the first submission, chosen at random


@dataclass
class Sent:
    fields: dict[str, str]
    pdf: bytes | None
    reference: str | None = None


@contextmanager
def server(index: Path, data: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen]]:  # type: ignore[type-arg]
    """`coop-library serve` in its own process group, so one signal reaches the master and every worker."""
    port = free_port()
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "indexer", "serve", "--index", str(index), "--corpus", str(BUNDLED),
             "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--threads", "4"],
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "COOP_LIBRARY_DATA": str(data)},
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"coop-library serve did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def submission(thread: int, number: int) -> Sent:
    """A submission unlike every other: its own title, text, tags and, for every third, a PDF."""
    tag = f"{thread}-{number}"
    fields = {
        "title": f"Kill test practice {tag}", "council": "oldham", "type": "case-study", "year": "2025",
        "summary": f"Summary {tag}.", "body": f"Body {tag}." + " Residents run the energy co-operative." * 200,
        "source_url": f"https://www.oldham.gov.uk/news/{tag}", "submitter_name": f"Officer {tag}",
        "submitter_email": f"officer.{tag}@oldham.gov.uk",
    }  # fmt: skip
    return Sent(fields, pdf_bytes([f"Report {tag}"]) if number % 3 == 0 else None)


def send(base: str, address: str, sent: Sent) -> None:
    """Fetch the form for its token and cookie, then post it; note the reference if the answer carries one."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=base, transport=transport, timeout=10) as client:
        form = BeautifulSoup(client.get("/submit").text, "html.parser")
        token = form.select_one("input[name=csrf_token]")["value"]
        files = {"pdf": ("report.pdf", sent.pdf, "application/pdf")} if sent.pdf else None
        data = {**sent.fields, "csrf_token": token, "themes": ["energy", "food"]}
        response = client.post("/submit", data=data, files=files)
        if response.status_code == 200:
            found = BeautifulSoup(response.text, "html.parser").select_one(".hub-reference")
            sent.reference = found.get_text() if found else None


def client_thread(base: str, thread: int, stop: threading.Event, log: list[Sent], started: threading.Event) -> None:
    for number in range(10_000):
        if stop.is_set():
            return
        sent = submission(thread, number)
        log.append(sent)
        try:
            send(base, f"127.{10 + thread}.{number // 250}.{number % 250 + 1}", sent)
        except httpx.HTTPError:
            time.sleep(0.02)  # the server is dead or dying: keep trying until told to stop
        started.set()


def test_submissions_survive_a_sigkill_of_every_server_process_whole_or_not_at_all(bundled_index, tmp_path):
    data = tmp_path / "hub"
    log_file = tmp_path / "serve.log"
    sent: list[Sent] = []
    with server(bundled_index, data, log_file) as (base, process):
        stop, started = threading.Event(), threading.Event()
        threads = [
            threading.Thread(target=client_thread, args=(base, n, stop, sent, started), daemon=True)
            for n in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        assert started.wait(20), log_file.read_text(errors="replace")
        time.sleep(random.uniform(*KILL_AFTER))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        time.sleep(0.3)  # the clients see the dead server
        stop.set()
        for thread in threads:
            thread.join(30)
        assert not any(thread.is_alive() for thread in threads)

    answered = [s for s in sent if s.reference]
    assert answered, f"no submission was answered before the kill:\n{log_file.read_text(errors='replace')}"
    assert len(answered) < len(sent), "the kill came after every submission"

    with server(bundled_index, data, log_file) as (base, _process):
        with httpx.Client(base_url=base, timeout=10) as client:
            assert client.get("/submit").status_code == 200  # the restarted server opens the store and serves
        store = HubStore(data)
        items = store.items(status=None, limit=100_000)
        by_title = {s.fields["title"]: s for s in sent}
        for item in items:  # every row is one submission, whole
            origin = by_title.get(item.title)
            assert origin is not None, item.title
            assert_whole(store, item, origin)
        stored = {item.reference for item in items}
        for s in answered:  # every answered submission is there
            assert s.reference in stored, s.fields["title"]
        assert len(stored) == len(items)


def assert_whole(store: HubStore, item, sent: Sent) -> None:  # type: ignore[no-untyped-def]
    expected = sent.fields
    assert (item.title, item.summary, item.body) == (expected["title"], expected["summary"], expected["body"])
    assert (item.council, item.doc_type, item.year) == ("oldham", "case-study", int(expected["year"]))
    assert (item.source_url, item.submitter_name, item.submitter_email) == (
        expected["source_url"], expected["submitter_name"], expected["submitter_email"],
    )  # fmt: skip
    assert item.themes == ["energy", "food"] and item.status == "pending"
    if sent.reference:
        assert item.reference == sent.reference
    if sent.pdf is None:
        assert item.pdf_name == ""
    else:
        assert (store.uploads / item.pdf_name).read_bytes() == sent.pdf
