"""HTTP caching and compression: an ETag per published generation, 304 for repeats, compressed bodies, CORS on the API.

Every page, API answer, feed and export of the index is a function of the published generation, the code and
vocabularies this process started with, and the day ("last year" in a search counts from today). Their ETag
names those, so a browser, a proxy or a script that asks again with If-None-Match gets a 304 without the
search being run or the page rendered; a new generation (the nightly run, "publish now") changes every tag.
`Cache-Control: no-cache` lets them keep a copy but ask each time, so nobody reads yesterday's counts.

The Culture Hub's pages are never cached (webui.hub sends no-store) and get no ETag; nor do errors.
Compression is Flask-Compress (zstd, brotli, gzip as the client accepts); CORS is Flask-CORS, on the read-only
JSON API only, for any origin and without credentials.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from flask import Flask, Response, current_app, request
from flask_compress import Compress
from flask_cors import CORS

from library.errors import LibraryError

CACHED_BLUEPRINTS = frozenset({"pages", "api", "exports"})
CACHE_CONTROL = "public, no-cache"
COMPRESSED_TYPES = [
    "text/html", "text/css", "text/plain", "text/csv", "application/json", "application/javascript",
    "application/atom+xml", "application/x-bibtex", "application/x-research-info-systems", "image/svg+xml",
]  # fmt: skip
_SOURCES = ("*.py", "templates/**/*.html", "static/*")


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    Compress(app)
    CORS(app, resources={r"/api/*": {"origins": "*"}}, methods=["GET", "HEAD", "OPTIONS"], send_wildcard=True)
    app.extensions["release"] = _release(app)
    app.before_request(_answer_repeat)
    app.after_request(_tag)


def _release(app: Flask) -> str:
    """What, besides the generation and the day, a page depends on: this process's code, templates, vocabularies
    and base URL. Read once at start-up."""
    digest = hashlib.sha256(str(app.config.get("BASE_URL", "")).encode())
    roots = [Path(__file__).parent, Path(__file__).parent.parent / "library"]
    files = [p for root in roots for pattern in _SOURCES for p in sorted(root.glob(pattern))]
    files += sorted(Path(str(app.config.get("CORPUS", ""))).glob("*.yaml"))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _etag() -> str | None:
    """This request's tag, or None when the response is not one of the index's (the hub, static files, errors)."""
    if request.method not in ("GET", "HEAD") or request.blueprint not in CACHED_BLUEPRINTS:
        return None
    try:
        generation = current_app.extensions["library"].generation
    except LibraryError:  # nothing published yet: the view says so, uncached
        return None
    release = current_app.extensions["release"]
    return f"g{generation}-{release}-{date.today().isoformat()}"


def _answer_repeat() -> Response | None:
    """A repeat request whose copy is still the current one gets 304 before any search runs."""
    tag = _etag()
    if tag is None or not request.if_none_match.contains_weak(tag):
        return None
    response = Response(status=304)
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Accept-Encoding")
    return response


def _tag(response: Response) -> Response:
    if response.status_code != 200 or "ETag" in response.headers:
        return response
    tag = _etag()
    if tag is not None:
        response.set_etag(tag, weak=True)  # weak: the compressed and plain bodies are the same page
        response.headers["Cache-Control"] = CACHE_CONTROL
    return response
