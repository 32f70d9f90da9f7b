"""What every blueprint needs: the app's Library, and a document or a 404."""

from __future__ import annotations

from flask import abort, current_app

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
