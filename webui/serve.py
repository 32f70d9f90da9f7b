"""The `coop-library serve` command: the web app under gunicorn, a production WSGI server.

Searching is CPU work in Python, so one process can use only one core however many threads it has;
gunicorn runs several worker processes (one per core by default) with a few threads each, and restarts
any worker that dies.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from gunicorn.app.base import BaseApplication

from coop_library.options import corpus_option, index_option
from library import settings
from library.errors import LibraryError

THREADS = 4


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@click.command()
@index_option()
@corpus_option("Corpus folder whose vocabularies name the councils and themes.")
@click.option(
    "--host", default=lambda: settings.get_str("host"), show_default="127.0.0.1 or $COOP_LIBRARY_HOST",
    help="Address to listen on.",
)  # fmt: skip
@click.option(
    "--port", type=click.IntRange(0, 65535), default=lambda: settings.get_int("port"),
    show_default="5000 or $COOP_LIBRARY_PORT", help="Port to listen on.",
)  # fmt: skip
@click.option(
    "--workers", type=click.IntRange(1, 32), default=default_workers, show_default="one per CPU, at most 4",
    help="Worker processes.",
)  # fmt: skip
@click.option("--threads", type=click.IntRange(1, 64), default=THREADS, show_default=True, help="Threads per worker.")
def serve(index_dir: Path, corpus: Path, host: str, port: int, workers: int, threads: int) -> None:
    """Serve the web site and JSON API with gunicorn.

    The site picks up each generation the nightly indexer publishes without a restart.

    \b
    Example:
        coop-library serve --index var/index --host 127.0.0.1 --port 5000
    """
    from webui import create_app
    from webui.hosts import LOCAL_HOSTS

    try:
        app = create_app({"INDEX": str(index_dir), "CORPUS": str(corpus)})
    except (LibraryError, ValueError) as exc:
        click.echo(f"coop-library serve: {exc}", err=True)
        sys.exit(3)
    if not (index_dir / "CURRENT").exists():
        click.echo(f"coop-library serve: warning: no index in {index_dir} yet; run 'coop-library index'.", err=True)
    base_url = app.config["BASE_URL"]
    if host not in LOCAL_HOSTS and urlsplit(base_url).hostname in LOCAL_HOSTS:
        click.echo(
            f"coop-library serve: warning: the base URL is {base_url}, so requests for any other host get a 400; "
            "set COOP_LIBRARY_BASE_URL to the site's public address.",
            err=True,
        )
    click.echo(f"Serving the Co-operative Practice Library on http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    _Server(app, {"bind": f"{host}:{port}", "workers": workers, "threads": threads}).run()


class _Server(BaseApplication):
    """gunicorn running an app object built here, with settings from the command line only."""

    def __init__(self, app, options: dict[str, object]) -> None:
        self.application, self.options = app, options
        super().__init__()

    def load_config(self) -> None:
        # The worker reads each request head before a thread sees it, and caps it at 64 KB, so gunicorn's own
        # request-line limit is lifted: the app answers an over-long address with its own 414 page.
        config = {
            "worker_class": "webui.worker.HeadBufferingWorker", "proc_name": "coop-library", "accesslog": None,
            "errorlog": "-", "loglevel": "warning", "timeout": 60, "graceful_timeout": 10, "keepalive": 5,
            "limit_request_line": 0, "pre_fork": before_fork, "post_request": give_back_freed_memory, **self.options,
        }  # fmt: skip
        for key, value in config.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


M_ARENA_MAX = -8  # glibc's mallopt parameter for the most malloc arenas a process keeps
TRIM_EVERY = 1.0  # seconds: a worker gives the C library's freed memory back at most this often


def before_fork(_server: object, _worker: object) -> None:
    """Ready what a worker inherits from the master, each time before one is forked (gunicorn's pre_fork).

    Take what the master holds (the app, its vocabularies, every module) out of the garbage collector's
    reach: a worker's full collections would otherwise write to each of those objects' headers, copying
    every page they sit on into the worker, the master's memory once per worker.

    And let a worker's threads share one malloc arena. glibc gives each thread that allocates an arena of
    its own (up to eight per core); a search's arrays, freed on one thread and wanted on another, left
    each arena holding pages the others could not reuse (100,000 documents: 20 MB a worker). The threads
    take turns under Python's lock anyway, so they wait on no lock that they did not wait on before.
    """
    gc.freeze()
    one_malloc_arena()


def one_malloc_arena() -> bool:
    """Limit this process, and those forked from it, to one malloc arena; False where the C library has no
    mallopt (not glibc) or refuses."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, 1))


class _Trim:
    """When a worker last gave freed memory back, and the C library's malloc_trim (None where there is none)."""

    lock = threading.Lock()
    last = float("-inf")
    call: Any
    try:
        call = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        call = None


def give_back_freed_memory(_worker: object, _request: object, _environ: object, _response: object) -> bool:
    """After a request (gunicorn's post_request), at most once every TRIM_EVERY seconds: hand the pages malloc
    holds free back to the kernel (malloc_trim). A search's temporary arrays and objects, freed, stayed in the
    worker as free space malloc kept (100,000 documents: 25 MB a worker, given back in 4 ms). True if it did."""
    now = time.monotonic()
    with _Trim.lock:
        if _Trim.call is None or now - _Trim.last < TRIM_EVERY:
            return False
        _Trim.last = now
    _Trim.call(0)
    return True
