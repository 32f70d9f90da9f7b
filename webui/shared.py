"""What every blueprint needs: the app's Library, a document or a 404, and the cache of rendered pages."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import abort, current_app, request

from library.model import Document
from library.search import Library


def library() -> Library:
    """The Library the app factory opened."""
    return current_app.extensions["library"]


def document_or_404(doc_id: str) -> Document:
    """The document with this id, or a 404 response."""
    doc = library().document(doc_id)
    if doc is None:
        abort(404)
    return doc


class PageCache:
    """Rendered pages of the current index generation, least recently used dropped.

    A search or document page is a function of the generation and the address, so a repeated search
    (a popular query, the back button, a shared link) or a popular document is served without working
    it out again. A new generation empties the cache.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._generation: int | None = None
        self._lock = threading.Lock()

    def page(self, generation: int, key: Hashable, render: Callable[[], str]) -> str:
        with self._lock:
            if generation != self._generation:
                self._pages.clear()
                self._generation = generation
            found = self._pages.get(key)
            if found is not None:
                self._pages.move_to_end(key)
                return found
        html = render()
        with self._lock:
            if generation == self._generation:
                self._pages[key] = html
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
        return html

    def __len__(self) -> int:
        """How many pages are held (for the current generation)."""
        with self._lock:
            return len(self._pages)


def cached_page(generation: int, render: Callable[[], str]) -> str:
    """The page for this request's path and query string in this generation, rendered once.

    Pages hold no link built from the request's Host (absolute ones start with the base URL), so the key leaves it out.
    """
    cache: PageCache = current_app.extensions["pages"]
    return cache.page(generation, (request.path, request.query_string), render)
