"""What every engine indexes for a Document, and the Document rebuilt from what it stored.

Engine-neutral: field names and values in plain Python types. Each engine decides how a field is analysed
(library.engine.whoosh.schema for Whoosh); a second engine maps the same dictionary into its own documents.
"""

from __future__ import annotations

import json

from ..model import Document
from ..vocab import COUNCIL_TYPES, Vocabularies


def document_fields(doc: Document, vocab: Vocabularies, added: int = 0) -> dict[str, object]:
    """Return the field values that index one Document first published at `added` (Unix time)."""
    regions = []
    for council_id in doc.council_ids:
        council = vocab.councils.get(council_id)
        if council and council.region_id not in regions:
            regions.append(council.region_id)
    meta = doc.to_dict()
    del meta["body"]
    tags = tag_text(doc, vocab)
    fields: dict[str, object] = {
        "id": doc.id,
        "title": doc.title,
        "summary": doc.summary,
        "body": doc.body,
        "tags": tags,
        "words": f"{doc.title}\n{doc.summary}\n{tags}\n{doc.body}",
        "council": ",".join(doc.council_ids),
        "practice": ",".join(doc.practice_council_ids),
        "theme": ",".join(doc.theme_ids),
        "principle": ",".join(doc.principle_ids),
        "organisation": ",".join(doc.organisations),
        "evidence": doc.evidence_id,
        "type": doc.doc_type,
        "region": ",".join(regions),
        "path": doc.source_path,
        "meta": json.dumps(meta, ensure_ascii=False, default=str),
        "date_sort": doc.date.sort_key if doc.date else 0,
        "added": added,
    }
    if doc.year:
        fields["year"] = doc.year
    if doc.status:  # an empty ID would be indexed as the value "" and counted in the facet
        fields["status"] = doc.status
    if any(_is_member(vocab, c) for c in doc.practice_council_ids):
        fields["member"] = "yes"
    return fields


def _is_member(vocab: Vocabularies, council_id: str) -> bool:
    council = vocab.councils.get(council_id)
    return bool(council and council.is_member)


def tag_text(doc: Document, vocab: Vocabularies) -> str:
    """The searchable words of a document's tags: theme labels, council names and places, the type's label."""
    parts = []
    for theme_id in doc.theme_ids:
        theme = vocab.themes.get(theme_id)
        if theme:
            parts.append(theme.label)
    for council_id in doc.practice_council_ids:
        council = vocab.councils.get(council_id)
        if council:
            parts += [council.name, council.place, *council.aliases, COUNCIL_TYPES.get(council.type, "")]
    doc_type = vocab.doc_types.get(doc.doc_type)
    if doc_type:
        parts.append(doc_type.label)
    return "\n".join(p for p in parts if p)


def stored_document(stored: dict[str, object]) -> Document:
    """Rebuild the Document from a hit's stored fields."""
    meta = json.loads(str(stored["meta"]))
    meta["body"] = stored.get("body", "")
    return Document.from_dict(meta)
