"""Snippets: the best-matching passage, matched words in <mark>, everything else escaped."""

from __future__ import annotations

from html import escape

from whoosh.highlight import ContextFragmenter, Formatter, get_text

SNIPPET_CHARS = 240


class MarkFormatter(Formatter):
    """Wrap matched words in <mark> and HTML-escape all the rest."""

    between = " … "

    def _text(self, text: str) -> str:
        return escape(text, quote=True)

    def format_token(self, text, token, replace=False):  # type: ignore[no-untyped-def]
        return f"<mark>{escape(get_text(text, token, replace), quote=True)}</mark>"


def configure(results) -> None:  # type: ignore[no-untyped-def]
    """Set a Results object up to make short, safe snippets."""
    results.fragmenter = ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
    results.formatter = MarkFormatter()


def snippet(hit, summary: str) -> str:  # type: ignore[no-untyped-def]
    """Return safe HTML for a hit: highlighted body or summary, else the escaped summary."""
    for fieldname in ("body", "summary"):
        try:
            text = hit.highlights(fieldname, top=2)
        except (KeyError, ValueError):
            text = ""
        if text:
            return text
    return plain_snippet(summary)


def plain_snippet(text: str) -> str:
    """Escaped text cut to snippet length at a word boundary."""
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return escape(text, quote=True)
