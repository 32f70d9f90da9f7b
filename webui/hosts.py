"""The site's own address: absolute links built from the base URL, and a 400 for requests to any other host.

Absolute links (feeds, citations, the CSV, the API) never take the request's Host header, so a forged Host cannot
end up in a feed reader or a reference list; and a Host that is not the site's gets a 400 before anything reads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request, url_for

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
REFUSED = "coop_library.refused_host"  # set in the WSGI environ for a request to a host not on the list
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def parse_base_url(raw: str) -> str:
    """The base URL without a trailing slash, or a ValueError saying what a base URL looks like."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"The base URL {raw!r} (COOP_LIBRARY_BASE_URL) should be the site's address, such as "
            "https://library.example.org or http://127.0.0.1:5000."
        )
    return raw.strip().rstrip("/")


def host_name(host: str) -> str:
    """'Example.org:8000' as 'example.org', '[::1]:5000' as '::1'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    name, _, port = host.rpartition(":")
    return name if name and port.isdecimal() else host


def is_host_name(name: str) -> bool:
    """Whether a name is a well-formed DNS name: labels of 1 to 63 letters, digits and hyphens."""
    return len(name) <= 253 and all(LABEL.match(label) for label in name.removesuffix(".").split("."))


class HostAllowList:
    """The host names a request may name: the base URL's, local ones for a local base URL, and the extra ones."""

    def __init__(self, base_url: str, extra: Iterable[str]) -> None:
        base_host = urlsplit(base_url).hostname or ""
        names = {base_host, *(name.strip().lower() for name in extra if name.strip())}
        if base_host in LOCAL_HOSTS:
            names |= LOCAL_HOSTS
        self.names = frozenset(name for name in names if not name.startswith("."))
        self.suffixes = tuple(name for name in names if name.startswith("."))

    def allows(self, host: str) -> bool:
        name = host_name(host)
        if name in self.names:
            return True
        return bool(self.suffixes) and is_host_name(name) and name.endswith(self.suffixes)


class HostCheck:
    """WSGI middleware: mark a request for another host and give it the base URL's host, for the app to refuse.

    The Host is replaced before Flask reads it, so a malformed one (a 64-letter label, say) never reaches URL
    building and the 400 page renders like any other.
    """

    def __init__(self, wsgi_app: Callable, base_url: str, allowed: HostAllowList) -> None:
        self.wsgi_app = wsgi_app
        self.netloc = urlsplit(base_url).netloc
        self.allowed = allowed

    def __call__(self, environ: dict, start_response: Callable):
        host = environ.get("HTTP_HOST")
        if host is None or not self.allowed.allows(host):
            environ = {**environ, "HTTP_HOST": self.netloc}
            if host is not None:
                environ[REFUSED] = host
        return self.wsgi_app(environ, start_response)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link to an endpoint, starting with the base URL whatever Host the request named."""
    path = url_for(endpoint, **values).removeprefix(request.script_root)
    return current_app.config["BASE_URL"] + path


def init_app(app: Flask) -> None:
    app.config["BASE_URL"] = parse_base_url(str(app.config["BASE_URL"]))
    listed = app.config.get("ALLOWED_HOSTS") or ""
    extra = listed.split(",") if isinstance(listed, str) else list(listed)
    app.wsgi_app = HostCheck(  # type: ignore[method-assign]  # Flask documents wrapping wsgi_app this way
        app.wsgi_app, app.config["BASE_URL"], HostAllowList(app.config["BASE_URL"], extra)
    )

    @app.before_request
    def refuse_other_hosts() -> None:
        if REFUSED in request.environ:
            abort(400, "This site is not published at that address. Use the library's own address instead.")
