"""The reference: SQLite FTS5 (porter tokenizer, bm25 with the product's field weights) doing the product's work.

It reads files with the product's readers and tagger and indexes what the product indexes
(library.engine.fields.document_fields), so both pay the same for parsing and the figures compare the
engines. It matches, filters, counts facets and makes snippets by the product's rules (library.search):
any distinctive word matches; a word in more than half the documents only ranks; each facet's counts
ignore the facet's own selection but respect the others' and the year range.

Built as someone who knows SQLite would build it:

- the build runs in one transaction with `synchronous=OFF`, and a build that wrote much of the index
  ends with FTS5's 'optimize' (one b-tree segment); reads use WAL, a memory-mapped file and a large cache;
- a search evaluates its MATCH once, materialising every matching row's id and bm25 score into numpy
  arrays; filters, the total and every facet's counts are numpy over those rows and per-facet arrays
  built once per index state (the product's own strategy, with bitsets), never SQL GROUP BYs;
- `snippet()` runs for the page's ten rows only;
- whether a word is common (in more than half the documents) is read from each term's document count,
  loaded once per index state from FTS5's own vocabulary table, as any engine reads a term dictionary.
"""

from __future__ import annotations

import html
import os
import re
import sqlite3
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from library.engine.fields import document_fields
from library.ranking import COMMON_MIN_DOCUMENTS, COMMON_SHARE
from library.readers import content_hash, file_stat, read_file
from library.search import SearchRequest
from library.tagging import Tagger
from library.vocab import REGIONS, Vocabularies
from library.wording import FRAME_WORDS

# The facets the product counts from keyword fields (library.facets.FACET_FIELDS but the year, read from a column).
FACETS = ("theme", "council", "type", "region", "principle", "status", "evidence", "organisation")
LISTS = frozenset({"theme", "council", "region", "principle", "organisation"})  # comma-separated lists, as indexed
WEIGHTS = (3.0, 2.0, 1.0, 3.0)  # title, summary, body, tags: the product's field boosts
MAX_BYTES = 20 * 1024 * 1024
OPTIMIZE_SHARE = 0.1  # a run that writes more than this share of the documents ends with FTS5's 'optimize'
SCHEMA = """
CREATE TABLE IF NOT EXISTS docs(id INTEGER PRIMARY KEY, doc_id TEXT UNIQUE, path TEXT UNIQUE, size INT, mtime INT,
    hash TEXT, title TEXT, summary TEXT, year INT, date_sort INT);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, summary, body, tags, tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS fts_terms USING fts5vocab(fts, 'row');
CREATE TABLE IF NOT EXISTS facet(doc INT, field TEXT, value TEXT);
CREATE INDEX IF NOT EXISTS facet_doc ON facet(doc);
"""
TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"


def porter_stems(texts: list[str]) -> dict[str, str]:
    """How FTS5's porter tokenizer analyses each text: its terms, space-separated (its Porter variant differs
    from Whoosh's on a few words)."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    stemmer = Stemmer(db)
    stems = {text: " ".join(stemmer.terms(text)) for text in texts}
    db.close()
    return stems


@dataclass(frozen=True)
class CorpusFile:
    """A corpus file a reference looked at: its shown path, stat and hash, and its index fields if it must be
    written (None when only its size or time changed)."""

    shown: str
    size: int
    mtime: int
    digest: str
    fields: dict[str, object] | None


def changed_files(
    corpus: Path, known: dict[str, tuple[int, int, str]], tagger: Tagger, vocab: Vocabularies,
    counts: dict[str, int], seen: set[str],
) -> Iterator[CorpusFile]:  # fmt: skip
    """The corpus's files that are new or changed since `known` (shown path -> size, mtime, hash), read and tagged
    as the product reads and tags them; files with the same size and time are counted unchanged and passed over,
    and files with only a new stat are counted unchanged and given with no fields. Every file's path goes into
    `seen`."""
    listed: dict[Path, frozenset[str]] = {}  # each folder's file names, to find sidecars as the indexer does
    for path in sorted(corpus.rglob("*.md")):
        shown = path.relative_to(corpus).as_posix()
        if "/" not in shown:
            continue
        seen.add(shown)
        if path.parent not in listed:
            listed[path.parent] = frozenset(os.listdir(path.parent))
        size, mtime = file_stat(path, listed[path.parent])
        old = known.get(shown)
        if old and (old[0], old[1]) == (size, mtime):
            counts["unchanged"] += 1
            continue
        digest = content_hash(path, MAX_BYTES)
        if old and old[2] == digest:
            counts["unchanged"] += 1
            yield CorpusFile(shown, size, mtime, digest, None)
            continue
        doc, _ = tagger.build(read_file(path, shown, MAX_BYTES), digest)
        yield CorpusFile(shown, size, mtime, digest, document_fields(doc, vocab))


class Stemmer:
    """FTS5's porter tokenizer, reached through a one-row table in memory and its vocabulary."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        db.execute(f"CREATE VIRTUAL TABLE temp.stem USING fts5(w, {TOKENIZE})")
        db.execute("CREATE VIRTUAL TABLE temp.stem_terms USING fts5vocab(temp, stem, 'instance')")

    def terms(self, text: str) -> list[str]:
        self.db.execute("DELETE FROM temp.stem")
        self.db.execute("INSERT INTO temp.stem(w) VALUES (?)", (text,))
        return [term for (term,) in self.db.execute("SELECT term FROM temp.stem_terms ORDER BY offset")]


@dataclass
class Facet:
    """One facet's (document position, value number) pairs, and its values."""

    values: list[str]
    number: dict[str, int]
    docs: np.ndarray  # int64 positions
    codes: np.ndarray  # int64 value numbers

    def selection(self, chosen: list[str], size: int) -> np.ndarray:
        flags = np.zeros(size, dtype=bool)
        codes = [self.number[v] for v in chosen if v in self.number]
        if codes:
            flags[self.docs[np.isin(self.codes, codes)]] = True
        return flags

    def counts(self, mask: np.ndarray) -> dict[str, int]:
        tally = np.bincount(self.codes[mask[self.docs]], minlength=len(self.values))
        return {self.values[code]: int(tally[code]) for code in np.flatnonzero(tally)}


@dataclass
class Loaded:
    """What searches read of one state of the database, built once after each change."""

    rowids: np.ndarray  # every document's rowid, ascending; a document's position is its place here
    slot: np.ndarray  # rowid -> position
    years: np.ndarray
    dates: np.ndarray
    facets: dict[str, Facet]
    document_counts: dict[str, int]  # each term's number of documents

    @property
    def size(self) -> int:
        return len(self.rowids)


def known_values(vocab: Vocabularies) -> dict[str, Container[str]]:
    """Each facet's vocabulary: a request's values outside it are left out, as library.search does."""
    return {
        "theme": vocab.themes, "council": vocab.councils, "type": vocab.doc_types, "region": REGIONS,
        "principle": vocab.principles, "status": vocab.statuses, "evidence": vocab.evidence,
        "organisation": vocab.organisations,
    }  # fmt: skip


def unsupported(request: SearchRequest) -> None:
    """Refuse what the references do not do: the members-only filter (the benchmark's searches never ask it)."""
    if request.members_only:
        raise ValueError("the references have no members-only filter")


def frame_filtered(text: str) -> list[str]:
    """The words of a query, less those that only frame a question (as the product's parser drops them)."""
    words = [w for w in re.findall(r"\w+", text.lower()) if len(w) > 1]
    return [w for w in words if w not in FRAME_WORDS] or words


def chosen_words(counts: dict[str, int], documents: int) -> list[str]:
    """The words that match, by the product's rule (library.engine.whoosh.matching.concept_matches).

    A word in more than half the documents (once there are enough) is common: it neither widens the
    matches nor is needed. With no distinctive word in any document, the common words match instead.
    """
    words = list(counts)
    rare = (
        [w for w, n in counts.items() if n <= COMMON_SHARE * documents] if documents >= COMMON_MIN_DOCUMENTS else words
    )
    if not rare:
        return words
    common = [w for w in words if w not in rare]
    if not any(counts[w] for w in rare) and common:
        return common
    return rare


def facet_rows(fields: dict[str, object]) -> list[tuple[str, str]]:
    """A document's (facet, value) pairs as the product's index holds them: lists split, empty items dropped."""
    rows = []
    for name in FACETS:
        if name not in fields:
            continue
        value = str(fields[name])
        items = [v.strip() for v in value.split(",")] if name in LISTS else [value]
        rows += [(name, v) for v in dict.fromkeys(items) if v or name not in LISTS]
    return rows


class Reference:
    """An FTS5 database built and searched the way the product builds and searches its index."""

    def __init__(self, path: Path, vocab: Vocabularies) -> None:
        # Autocommit: the build opens its own transaction, and a search's statements (the stemmer's table in
        # memory) open none that would be left open.
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        for pragma in ("journal_mode=WAL", "mmap_size=1073741824", "cache_size=-262144", "temp_store=MEMORY"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(SCHEMA)
        self.vocab = vocab
        self.known = known_values(vocab)
        self.tagger = Tagger(vocab)
        self.stemmer = Stemmer(self.db)
        self._loaded: Loaded | None = None

    def close(self) -> None:
        self.db.close()

    def index(self, corpus: Path) -> dict[str, int]:
        """Bring the database up to date with the corpus: re-read files whose size or mtime changed."""
        known = {path: (doc, size, mtime, digest) for doc, path, size, mtime, digest in
                 self.db.execute("SELECT id, path, size, mtime, hash FROM docs")}  # fmt: skip
        seen: set[str] = set()
        counts = {"added": 0, "changed": 0, "deleted": 0, "unchanged": 0}
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("BEGIN")
        try:
            stored = {shown: (size, mtime, digest) for shown, (_, size, mtime, digest) in known.items()}
            for item in changed_files(corpus, stored, self.tagger, self.vocab, counts, seen):
                if item.fields is None:
                    continue
                old = known.get(item.shown)
                if old:
                    self._delete(old[0])
                counts["changed" if old else "added"] += 1
                self._insert(item.fields, item.shown, item.size, item.mtime, item.digest)
            for shown, (rowid, *_rest) in known.items():
                if shown not in seen:
                    self._delete(rowid)
                    counts["deleted"] += 1
            written = counts["added"] + counts["changed"] + counts["deleted"]
            if written > OPTIMIZE_SHARE * max(len(seen), 1):
                self.db.execute("INSERT INTO fts(fts) VALUES('optimize')")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        finally:
            self.db.execute("PRAGMA synchronous=NORMAL")
        if written or self._loaded is None:
            self._loaded = self._load()
        return counts

    def _insert(self, fields: dict[str, object], shown: str, size: int, mtime: int, digest: str) -> None:
        cursor = self.db.execute(
            "INSERT INTO docs(doc_id, path, size, mtime, hash, title, summary, year, date_sort) VALUES (?,?,?,?,?,?,?,?,?)",
            (fields["id"], shown, size, mtime, digest, fields["title"], fields["summary"], fields.get("year", 0),
             fields["date_sort"]),
        )  # fmt: skip
        rowid = cursor.lastrowid
        self.db.execute("INSERT INTO fts(rowid, title, summary, body, tags) VALUES (?,?,?,?,?)",
                        (rowid, fields["title"], fields["summary"], fields["body"], fields["tags"]))  # fmt: skip
        self.db.executemany("INSERT INTO facet(doc, field, value) VALUES (?,?,?)",
                            [(rowid, name, value) for name, value in facet_rows(fields)])  # fmt: skip

    def _delete(self, rowid: int) -> None:
        self.db.execute("DELETE FROM docs WHERE id = ?", (rowid,))
        self.db.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
        self.db.execute("DELETE FROM facet WHERE doc = ?", (rowid,))

    def _load(self) -> Loaded:
        """The arrays and term counts every search reads, built once for the database as it now is."""
        rows = np.array(self.db.execute("SELECT id, year, date_sort FROM docs ORDER BY id").fetchall(), dtype=np.int64)
        rows = rows.reshape(-1, 3)
        rowids = rows[:, 0]
        slot = np.full(int(rowids.max(initial=0)) + 1, -1, dtype=np.int64)
        slot[rowids] = np.arange(len(rowids))
        pairs: dict[str, tuple[list[int], list[str]]] = {name: ([], []) for name in FACETS}
        for doc, name, value in self.db.execute("SELECT doc, field, value FROM facet"):
            docs, values = pairs[name]
            docs.append(doc)
            values.append(value)
        facets = {}
        for name, (docs, values) in pairs.items():
            names = sorted(set(values))
            number = {v: i for i, v in enumerate(names)}
            codes = np.fromiter((number[v] for v in values), dtype=np.int64, count=len(values))
            facets[name] = Facet(names, number, slot[np.array(docs, dtype=np.int64)], codes)
        counts = dict(self.db.execute("SELECT term, doc FROM fts_terms"))
        return Loaded(rowids, slot, rows[:, 1], rows[:, 2], facets, counts)

    @property
    def loaded(self) -> Loaded:
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    def _document_count(self, word: str) -> int:
        terms = self.stemmer.terms(word)
        if len(terms) == 1:
            return self.loaded.document_counts.get(terms[0], 0)
        found = self.db.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (f'"{word}"',)).fetchone()
        return int(found[0])  # a word the tokenizer splits is a phrase: counted by matching it (rare in searches)

    def search(self, request: SearchRequest) -> dict[str, object]:
        """Top results with snippets, the total and every facet's counts, as the product computes them.

        Returns {"total", "ids" (the page's document ids, best first), "results" (id, title, snippet) and
        "facets" (each facet's non-zero counts, the year's as strings)}.
        """
        unsupported(request)
        loaded, db = self.loaded, self.db
        size = loaded.size
        words = frame_filtered(request.query)
        match = None
        scores = np.zeros(size, dtype=np.float64)
        if words:
            counts = {w: self._document_count(w) for w in dict.fromkeys(words)}
            match = " OR ".join(f'"{w}"' for w in chosen_words(counts, size))
            found = np.array(db.execute("SELECT rowid, bm25(fts, ?, ?, ?, ?) FROM fts WHERE fts MATCH ?",
                                        [*WEIGHTS, match]).fetchall(), dtype=np.float64).reshape(-1, 2)  # fmt: skip
            positions = loaded.slot[found[:, 0].astype(np.int64)]
            matched = np.zeros(size, dtype=bool)
            matched[positions] = True
            scores[positions] = found[:, 1]
        else:
            matched = np.ones(size, dtype=bool)
        base = matched
        if request.year_from is not None or request.year_to is not None:
            low = request.year_from if request.year_from is not None else -1
            high = request.year_to if request.year_to is not None else 10**6
            base = matched & (loaded.years > 0) & (loaded.years >= low) & (loaded.years <= high)
        selections = {}
        for name in FACETS:
            chosen = [v for v in dict.fromkeys(request.selected(name)) if v in self.known[name]]
            if chosen:
                selections[name] = loaded.facets[name].selection(chosen, size)
        final = base.copy()
        for flags in selections.values():
            final &= flags
        facets: dict[str, dict[str, int]] = {}
        for name in FACETS:
            mask = base
            for other, flags in selections.items():
                if other != name:
                    mask = mask & flags
            facets[name] = loaded.facets[name].counts(mask)
        dated = final & (loaded.years > 0)
        years, tally = np.unique(loaded.years[dated], return_counts=True)
        facets["year"] = {str(int(y)): int(n) for y, n in zip(years, tally, strict=True)}
        total = int(final.sum())
        page = self._page(loaded, final, scores, request, bool(match))
        results = self._results(page, match)
        return {"total": total, "ids": [r["id"] for r in results], "results": results, "facets": facets}

    @staticmethod
    def _page(loaded: Loaded, final: np.ndarray, scores: np.ndarray, request: SearchRequest, ranked: bool) -> list[int]:
        """The page's rowids: best bm25 first (lower is better in FTS5), newest first among equals."""
        candidates = np.flatnonzero(final)
        dates = loaded.dates[candidates]
        if request.sort == "oldest":
            order = np.lexsort((candidates, dates))
        elif request.sort == "newest" or not ranked:
            order = np.lexsort((candidates, -dates))
        else:
            order = np.lexsort((candidates, -dates, scores[candidates]))
        first = (max(1, request.page) - 1) * request.per_page
        return [int(r) for r in loaded.rowids[candidates[order[first : first + request.per_page]]]]

    def _results(self, rowids: list[int], match: str | None) -> list[dict[str, str]]:
        if not rowids:
            return []
        marks = ",".join("?" * len(rowids))
        if match:
            found = self.db.execute(
                f"SELECT d.id, d.doc_id, d.title, snippet(fts, 2, char(1), char(2), ' … ', 24) FROM fts "
                f"JOIN docs d ON d.id = fts.rowid WHERE fts MATCH ? AND fts.rowid IN ({marks})",
                [match, *rowids],
            )
        else:
            found = self.db.execute(f"SELECT id, doc_id, title, substr(summary, 1, 240) FROM docs WHERE id IN ({marks})",
                                    rowids)  # fmt: skip
        rows = {rowid: (doc_id, title, text) for rowid, doc_id, title, text in found}
        return [
            {"id": rows[r][0], "title": rows[r][1],
             "snippet": html.escape(rows[r][2] or "").replace("\x01", "<mark>").replace("\x02", "</mark>")}
            for r in rowids
        ]  # fmt: skip
