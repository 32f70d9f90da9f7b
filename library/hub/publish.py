"""A moderator's decision: an approved item becomes a Markdown document in the corpus, with its provenance.

Approval writes ``hub/<year>/<slug>.md`` under the corpus folder atomically (a temporary file in the same
folder, flushed, fsynced and renamed over the target), and records the path in the queue before writing, so a
crash mid-approval is finished by approving again: the same path is written, never a second copy. The next
index run publishes the document. The submitter's name and email never reach the corpus or the index.
"""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import yaml

from ..vocab import Vocabularies
from .store import HubError, HubStore, QueueItem

HUB_FOLDER = "hub"
MAX_SLUG = 80


def approve(store: HubStore, item_id: int, by: str, corpus: Path, vocab: Vocabularies) -> QueueItem:
    """Write the item's document into the corpus and mark it approved; return it with `published_path`."""
    item = store.get(item_id)
    if item is None:
        raise HubError(f"there is no queue item {item_id}")
    if item.status != "pending":
        raise HubError(f"item {item_id} was already {item.status}")
    relative = item.published_path or _free_path(Path(corpus), item)
    if not item.published_path:
        with store.connect() as db:  # remember the path first: approving again after a crash reuses it
            db.execute("UPDATE items SET published_path = ? WHERE id = ?", (relative, item_id))
    now = datetime.now(tz=UTC)
    write_atomically(Path(corpus) / relative, document_text(item, vocab, by, now))
    return store.decide(item_id, "approved", by, published_path=relative)


def reject(store: HubStore, item_id: int, by: str, reason: str) -> QueueItem:
    reason = " ".join(reason.split())
    if not reason:
        raise HubError("say why the item is rejected: the reason is kept with it")
    return store.decide(item_id, "rejected", by, reason=reason[:2000])


def document_text(item: QueueItem, vocab: Vocabularies, reviewer: str, reviewed: datetime) -> str:
    """The Markdown document an approved item becomes: front matter with its record and provenance, then its text."""
    front: dict[str, object] = {"title": item.title, "type": item.doc_type or "case-study"}
    council = item.council if item.council in vocab.councils else ""
    lead = item.lead or council
    if lead:
        front["lead"] = lead
    councils = list(dict.fromkeys([*([lead] if lead in vocab.councils else []), *item.councils]))
    front["councils"] = councils
    for key in ("themes", "principles"):
        if getattr(item, key):
            front[key] = list(getattr(item, key))
    if item.date:
        front["date"] = item.date
    elif item.year:
        front["year"] = item.year
    if item.summary:
        front["summary"] = item.summary
    if item.source_url:
        front["source_url"] = item.source_url
    who = vocab.councils[council].name if council else "a member of the network"
    received = datetime.fromtimestamp(item.received, tz=UTC)
    if item.source_url:
        front["sources"] = [
            {"title": item.title, "url": item.source_url, "publisher": who, "date": received.date().isoformat()}
        ]
    front["origin"] = item.origin
    if item.origin == "submission":
        front["submitted_by"] = who
    else:
        front["harvested"] = item.feed_url or item.source_url
    front["received"] = received.isoformat(timespec="seconds")
    front["reviewed_by"] = reviewer
    front["reviewed_at"] = reviewed.isoformat(timespec="seconds")
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    body = item.body.replace("\r\n", "\n").strip()
    return f"---\n{header}---\n\n{body}\n"


def slug(title: str) -> str:
    """'Oldham's Co-operative Energy Plan' -> 'oldhams-co-operative-energy-plan'."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.replace("'", "")).strip("-")
    return words[:MAX_SLUG].rstrip("-") or "untitled"


def _free_path(corpus: Path, item: QueueItem) -> str:
    year = item.year or (int(item.date[:4]) if item.date[:4].isdigit() else None)
    year = year or datetime.fromtimestamp(item.received, tz=UTC).year
    base = f"{HUB_FOLDER}/{year}/{slug(item.title)}"
    for number in range(1, 1000):
        relative = f"{base}.md" if number == 1 else f"{base}-{number}.md"
        if not (corpus / relative).exists():
            return relative
    raise HubError(f"too many documents are called {base}")


def write_atomically(path: Path, text: str) -> None:
    """Write a file so a reader sees the old one or the whole new one, never a part, even across a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
