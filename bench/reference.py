"""The reference: SQLite FTS5 (porter tokenizer, bm25 with the product's field weights) doing the product's work.

It reads files with the product's readers and tagger, so both pay the same for parsing and the figures
compare the engines; it matches, filters, counts facets and makes snippets with the same rules as
library.search (any distinctive word matches; words in more than half the documents only rank).
"""

from __future__ import annotations

import html
import os
import re
import sqlite3
from pathlib import Path

from library.engine.fields import tag_text
from library.ranking import COMMON_MIN_DOCUMENTS, COMMON_SHARE
from library.readers import content_hash, file_stat, read_file
from library.search import SearchRequest
from library.tagging import Tagger
from library.vocab import Vocabularies
from library.wording import FRAME_WORDS

FACETS = ("theme", "council", "type", "region", "principle", "status", "evidence", "organisation")
WEIGHTS = (3.0, 2.0, 1.0, 3.0)  # title, summary, body, tags: the product's field boosts
MAX_BYTES = 20 * 1024 * 1024
SCHEMA = """
CREATE TABLE IF NOT EXISTS docs(id INTEGER PRIMARY KEY, doc_id TEXT UNIQUE, path TEXT UNIQUE, size INT, mtime INT,
    hash TEXT, title TEXT, type TEXT, year INT, date_sort INT);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, summary, body, tags, tokenize='porter unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS facet(doc INT, field TEXT, value TEXT);
CREATE INDEX IF NOT EXISTS facet_value ON facet(field, value, doc);
CREATE INDEX IF NOT EXISTS facet_doc ON facet(doc, field);
"""


def porter_stems(words: list[str]) -> dict[str, str]:
    """How FTS5's porter tokenizer stems each word (its Porter variant differs from Whoosh's on a few words)."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(w, tokenize='porter unicode61 remove_diacritics 2')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    stems = {}
    for word in words:
        db.execute("DELETE FROM t")
        db.execute("INSERT INTO t(w) VALUES (?)", (word,))
        stems[word] = " ".join(term for (term,) in db.execute("SELECT term FROM v ORDER BY offset"))
    db.close()
    return stems


class Reference:
    """An FTS5 database built and searched the way the product builds and searches its index."""

    def __init__(self, path: Path, vocab: Vocabularies) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.executescript(SCHEMA)
        self.vocab = vocab
        self.tagger = Tagger(vocab)

    def close(self) -> None:
        self.db.close()

    def index(self, corpus: Path) -> dict[str, int]:
        """Bring the database up to date with the corpus: re-read files whose size or mtime changed."""
        known = {path: (doc, size, mtime, digest) for doc, path, size, mtime, digest in
                 self.db.execute("SELECT id, path, size, mtime, hash FROM docs")}  # fmt: skip
        seen, counts = set(), {"added": 0, "changed": 0, "deleted": 0, "unchanged": 0}
        listed: dict[Path, frozenset[str]] = {}  # each folder's file names, to find sidecars as the indexer does
        with self.db:
            for path in sorted(corpus.rglob("*.md")):
                shown = path.relative_to(corpus).as_posix()
                if "/" not in shown:
                    continue
                seen.add(shown)
                if path.parent not in listed:
                    listed[path.parent] = frozenset(os.listdir(path.parent))
                size, mtime = file_stat(path, listed[path.parent])
                old = known.get(shown)
                if old and (old[1], old[2]) == (size, mtime):
                    counts["unchanged"] += 1
                    continue
                digest = content_hash(path, MAX_BYTES)
                if old and old[3] == digest:
                    counts["unchanged"] += 1
                    continue
                doc, _ = self.tagger.build(read_file(path, shown, MAX_BYTES), digest)
                if old:
                    self._delete(old[0])
                counts["changed" if old else "added"] += 1
                self._insert(doc, shown, size, mtime, digest)
            for shown, (rowid, *_rest) in known.items():
                if shown not in seen:
                    self._delete(rowid)
                    counts["deleted"] += 1
        return counts

    def _insert(self, doc, shown: str, size: int, mtime: int, digest: str) -> None:
        cursor = self.db.execute(
            "INSERT INTO docs(doc_id, path, size, mtime, hash, title, type, year, date_sort) VALUES (?,?,?,?,?,?,?,?,?)",
            (doc.id, shown, size, mtime, digest, doc.title, doc.doc_type, doc.year or 0,
             doc.date.sort_key if doc.date else 0),
        )  # fmt: skip
        rowid = cursor.lastrowid
        self.db.execute("INSERT INTO fts(rowid, title, summary, body, tags) VALUES (?,?,?,?,?)",
                        (rowid, doc.title, doc.summary, doc.body, tag_text(doc, self.vocab)))  # fmt: skip
        regions = dict.fromkeys(self.vocab.councils[c].region_id for c in doc.council_ids if c in self.vocab.councils)
        rows = [(rowid, "theme", t) for t in doc.theme_ids] + [(rowid, "council", c) for c in doc.council_ids]
        rows += [(rowid, "type", doc.doc_type)] + [(rowid, "region", r) for r in regions]
        rows += [(rowid, "principle", p) for p in doc.principle_ids]
        rows += [(rowid, "status", doc.status)] if doc.status else []
        rows += [(rowid, "evidence", doc.evidence_id)] + [(rowid, "organisation", o) for o in doc.organisations]
        self.db.executemany("INSERT INTO facet(doc, field, value) VALUES (?,?,?)", rows)

    def _delete(self, rowid: int) -> None:
        self.db.execute("DELETE FROM docs WHERE id = ?", (rowid,))
        self.db.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
        self.db.execute("DELETE FROM facet WHERE doc = ?", (rowid,))

    def _words(self, text: str) -> list[str]:
        words = [w for w in re.findall(r"\w+", text.lower()) if len(w) > 1]
        return [w for w in words if w not in FRAME_WORDS] or words

    def search(self, request: SearchRequest) -> dict[str, object]:
        """Top results with snippets, the total and every facet's counts, as the product computes them."""
        db = self.db
        total_docs = db.execute("SELECT count(*) FROM docs").fetchone()[0]
        words = self._words(request.query)
        match = None
        if words:
            counts = {w: db.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (f'"{w}"',)).fetchone()[0]
                      for w in dict.fromkeys(words)}  # fmt: skip
            rare = [w for w, n in counts.items() if n <= COMMON_SHARE * total_docs]
            chosen = rare if total_docs >= COMMON_MIN_DOCUMENTS and rare else list(counts)
            match = " OR ".join(f'"{w}"' for w in chosen)
        conditions: list[str] = []
        params: list[str | int] = []
        if match:
            conditions.append("d.id IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.append(match)
        if request.year_from is not None:
            conditions.append("d.year >= ?")
            params.append(request.year_from)
        if request.year_to is not None:
            conditions.append("d.year <= ?")
            params.append(request.year_to)
        base_where = " AND ".join(conditions) or "1"

        def selection(field: str) -> tuple[str, list[str]]:
            values = list(request.selected(field))
            marks = ",".join("?" * len(values))
            return f"d.id IN (SELECT doc FROM facet WHERE field = '{field}' AND value IN ({marks}))", values

        chosen_filters = {f: selection(f) for f in FACETS if request.selected(f)}
        facets: dict[str, dict[str, int]] = {}
        for field in FACETS:
            where, args = [base_where], list(params)
            for other, (clause, values) in chosen_filters.items():
                if other != field:
                    where.append(clause)
                    args += values
            facets[field] = dict(db.execute(
                f"SELECT f.value, count(*) FROM docs d JOIN facet f ON f.doc = d.id AND f.field = '{field}' "
                f"WHERE {' AND '.join(where)} GROUP BY f.value", args))  # fmt: skip
        where, args = [base_where], list(params)
        for clause, values in chosen_filters.values():
            where.append(clause)
            args += values
        final = " AND ".join(where)
        facets["year"] = {str(y): n for y, n in db.execute(
            f"SELECT d.year, count(*) FROM docs d WHERE {final} AND d.year > 0 GROUP BY d.year", args)}  # fmt: skip
        total = db.execute(f"SELECT count(*) FROM docs d WHERE {final}", args).fetchone()[0]
        offset = (max(1, request.page) - 1) * request.per_page
        if match:
            rows = db.execute(
                f"SELECT d.doc_id, d.title, snippet(fts, 2, char(1), char(2), ' … ', 24), bm25(fts, ?, ?, ?, ?) AS score "
                f"FROM fts JOIN docs d ON d.id = fts.rowid WHERE fts MATCH ? AND {final} "
                f"ORDER BY score, d.date_sort DESC LIMIT ? OFFSET ?",
                [*WEIGHTS, match, *args, request.per_page, offset],
            ).fetchall()
        else:
            rows = db.execute(
                f"SELECT d.doc_id, d.title, substr(fts.summary, 1, 240), 0 FROM docs d JOIN fts ON fts.rowid = d.id "
                f"WHERE {final} ORDER BY d.date_sort DESC LIMIT ? OFFSET ?",
                [*args, request.per_page, offset],
            ).fetchall()
        results = [
            {"id": doc_id, "title": title,
             "snippet": html.escape(snippet or "").replace("\x01", "<mark>").replace("\x02", "</mark>")}
            for doc_id, title, snippet, _ in rows
        ]  # fmt: skip
        return {"total": total, "results": results, "facets": facets}
