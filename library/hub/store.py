"""The Culture Hub's store: the moderation queue, accounts, sign-in attempts and harvest state, in SQLite.

One database file under the hub's data folder (``COOP_LIBRARY_DATA``), in WAL mode with full fsync, so a
submission is either stored whole or not at all: the row is written in one transaction, and the submitter is
told its reference only after the commit. Uploaded PDFs are written to a temporary file, flushed, fsynced and
renamed into ``uploads/`` before the row that names them is committed; a crash in between leaves at most an
unnamed file, never a row without its file. The schema is versioned: each migration runs once, in order.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

DATABASE = "hub.sqlite3"
UPLOADS = "uploads"
ORIGINS = ("submission", "harvest")
STATUSES = ("pending", "approved", "rejected")
LIST_FIELDS = ("themes", "principles", "councils")

MIGRATIONS: tuple[str, ...] = (
    # 1: the queue, accounts, sign-in attempts, harvest state and background runs.
    """
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        origin TEXT NOT NULL CHECK (origin IN ('submission', 'harvest')),
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
        title TEXT NOT NULL,
        council TEXT NOT NULL DEFAULT '',
        lead TEXT NOT NULL DEFAULT '',
        councils TEXT NOT NULL DEFAULT '[]',
        doc_type TEXT NOT NULL DEFAULT '',
        themes TEXT NOT NULL DEFAULT '[]',
        principles TEXT NOT NULL DEFAULT '[]',
        year INTEGER,
        date TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL,
        source_url TEXT NOT NULL DEFAULT '',
        canonical_url TEXT,
        text_hash TEXT NOT NULL DEFAULT '',
        pdf_name TEXT NOT NULL DEFAULT '',
        submitter_name TEXT NOT NULL DEFAULT '',
        submitter_email TEXT NOT NULL DEFAULT '',
        feed_url TEXT NOT NULL DEFAULT '',
        relevance REAL,
        received REAL NOT NULL,
        reviewed_by TEXT NOT NULL DEFAULT '',
        reviewed_at REAL,
        reason TEXT NOT NULL DEFAULT '',
        published_path TEXT NOT NULL DEFAULT '',
        forgotten INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX items_canonical_url ON items (canonical_url) WHERE canonical_url IS NOT NULL;
    CREATE INDEX items_text_hash ON items (text_hash);
    CREATE INDEX items_status ON items (status, received);
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('moderator')),
        disabled INTEGER NOT NULL DEFAULT 0,
        created REAL NOT NULL
    );
    CREATE TABLE attempts (key TEXT NOT NULL, at REAL NOT NULL);
    CREATE INDEX attempts_key ON attempts (key, at);
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        etag TEXT NOT NULL DEFAULT '',
        last_modified TEXT NOT NULL DEFAULT '',
        checked REAL,
        outcome TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE seen (url TEXT PRIMARY KEY, outcome TEXT NOT NULL, at REAL NOT NULL);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        started REAL NOT NULL,
        finished REAL,
        outcome TEXT NOT NULL DEFAULT '',
        requested_by TEXT NOT NULL DEFAULT ''
    );
    """,
)


class HubError(Exception):
    """A hub operation that cannot be done, with what to do about it."""


@dataclass
class QueueItem:
    """A submission or a harvested news item waiting for, or past, a moderator's decision."""

    title: str
    body: str
    origin: str = "submission"
    council: str = ""  # the council that submitted it or whose feed it came from: a register id
    lead: str = ""
    councils: list[str] = field(default_factory=list)
    doc_type: str = ""
    themes: list[str] = field(default_factory=list)
    principles: list[str] = field(default_factory=list)
    year: int | None = None
    date: str = ""
    summary: str = ""
    source_url: str = ""
    canonical_url: str | None = None
    text_hash: str = ""
    pdf_name: str = ""
    submitter_name: str = ""  # personal data: moderators only, never indexed, deleted after review
    submitter_email: str = ""
    feed_url: str = ""
    relevance: float | None = None
    received: float = 0.0
    id: int | None = None
    reference: str = ""
    status: str = "pending"
    reviewed_by: str = ""
    reviewed_at: float | None = None
    reason: str = ""
    published_path: str = ""
    forgotten: bool = False

    def public(self) -> dict[str, object]:
        """The item as `queue list --json` prints it, with no personal data."""
        return {
            "id": self.id, "status": self.status, "origin": self.origin, "title": self.title,
            "council": self.council, "source_url": self.source_url, "received": self.received,
        }  # fmt: skip


@dataclass
class Run:
    id: int
    kind: str
    started: float
    finished: float | None
    outcome: str
    requested_by: str


_COLUMNS = [f.name for f in fields(QueueItem)]


class HubStore:
    """The hub's SQLite database and uploads folder. Safe to use from several threads and processes."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.uploads = self.folder / UPLOADS
        self.uploads.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / DATABASE
        self._migrate()

    # ---- connections and migrations

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction: committed when the block ends, rolled back if it raises."""
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def _migrate(self) -> None:
        with self.connect() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise HubError(
                    f"{self.path} was made by a newer version of this software (schema {version}); upgrade to open it"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in (s.strip() for s in script.split(";")):
                    if statement:
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        with self.connect() as db:
            return int(db.execute("PRAGMA user_version").fetchone()[0])

    # ---- the queue

    def add(self, item: QueueItem, pdf: bytes | None = None) -> QueueItem:
        """Store a new item, and its PDF if any, whole; return it with its id and reference."""
        if item.origin not in ORIGINS:
            raise HubError(f"origin {item.origin!r} should be one of {', '.join(ORIGINS)}")
        item.received = item.received or time.time()
        item.reference = item.reference or new_reference()
        item.status = "pending"
        if pdf is not None:
            item.pdf_name = self._write_upload(item.reference, pdf)
        row = _row(item)
        del row["id"]
        with self.connect() as db:
            cursor = db.execute(
                f"INSERT INTO items ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
            )
            item.id = inserted_id(cursor)
        return item

    def _write_upload(self, reference: str, data: bytes) -> str:
        name = f"{reference}.pdf"
        temporary = self.uploads / f".{name}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.uploads / name)
        _fsync_folder(self.uploads)
        return name

    def get(self, item_id: int) -> QueueItem | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        return _item(row) if row else None

    def by_reference(self, reference: str) -> QueueItem | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM items WHERE reference = ?", (reference,)).fetchone()
        return _item(row) if row else None

    def items(self, status: str | None = "pending", limit: int = 500) -> list[QueueItem]:
        """Items with this status (all if None), oldest first for pending ones, newest first otherwise."""
        with self.connect() as db:
            if status is None:
                rows = db.execute("SELECT * FROM items ORDER BY received DESC LIMIT ?", (limit,)).fetchall()
            else:
                order = "ASC" if status == "pending" else "DESC"
                rows = db.execute(
                    f"SELECT * FROM items WHERE status = ? ORDER BY received {order} LIMIT ?", (status, limit)
                ).fetchall()
        return [_item(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self.connect() as db:
            return {r["status"]: r["n"] for r in db.execute("SELECT status, count(*) AS n FROM items GROUP BY status")}

    def edit(self, item_id: int, **changes: object) -> QueueItem:
        """Change a pending item's proposed record (title, type, lead, councils, themes, principles, date, summary)."""
        allowed = {
            "title",
            "doc_type",
            "lead",
            "councils",
            "themes",
            "principles",
            "year",
            "date",
            "summary",
            "council",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise HubError(f"cannot edit {', '.join(sorted(unknown))}")
        item = self._pending(item_id)
        for key, value in changes.items():
            setattr(item, key, value)
        row = {k: v for k, v in _row(item).items() if k in changes}
        if row:
            with self.connect() as db:
                db.execute(
                    f"UPDATE items SET {', '.join(f'{k} = ?' for k in row)} WHERE id = ? AND status = 'pending'",
                    [*row.values(), item_id],
                )
        return item

    def decide(self, item_id: int, status: str, by: str, reason: str = "", published_path: str = "") -> QueueItem:
        """Approve or reject a pending item, recording who decided, when and why."""
        if status not in ("approved", "rejected"):
            raise HubError("an item is approved or rejected")
        self._pending(item_id)
        now = time.time()
        with self.connect() as db:
            changed = db.execute(
                "UPDATE items SET status = ?, reviewed_by = ?, reviewed_at = ?, reason = ?, published_path = ? "
                "WHERE id = ? AND status = 'pending'",
                (status, by, now, reason, published_path, item_id),
            ).rowcount
        if not changed:
            raise HubError(f"item {item_id} was decided by someone else meanwhile")
        decided = self.get(item_id)
        if decided is None:
            raise HubError(f"item {item_id} was deleted meanwhile")
        return decided

    def _pending(self, item_id: int) -> QueueItem:
        item = self.get(item_id)
        if item is None:
            raise HubError(f"there is no queue item {item_id}")
        if item.status != "pending":
            raise HubError(f"item {item_id} was already {item.status}")
        return item

    def known(self, canonical_url: str | None, text_hash: str) -> QueueItem | None:
        """An item already in the queue (in any status) with the same canonical address or the same text."""
        with self.connect() as db:
            row = None
            if canonical_url:
                row = db.execute("SELECT * FROM items WHERE canonical_url = ?", (canonical_url,)).fetchone()
            if row is None and text_hash:
                row = db.execute("SELECT * FROM items WHERE text_hash = ?", (text_hash,)).fetchone()
        return _item(row) if row else None

    def forget_personal_data(self, days: int, now: float | None = None) -> int:
        """Delete submitters' names and emails from items reviewed more than `days` ago; return how many."""
        cutoff = (now or time.time()) - days * 86400
        with self.connect() as db:
            return db.execute(
                "UPDATE items SET submitter_name = '', submitter_email = '', forgotten = 1 "
                "WHERE reviewed_at IS NOT NULL AND reviewed_at < ? AND forgotten = 0 "
                "AND (submitter_name != '' OR submitter_email != '')",
                (cutoff,),
            ).rowcount

    # ---- harvest state

    def feed_state(self, url: str) -> tuple[str, str]:
        """The ETag and Last-Modified a feed last answered with, for a conditional request."""
        with self.connect() as db:
            row = db.execute("SELECT etag, last_modified FROM feeds WHERE url = ?", (url,)).fetchone()
        return (row["etag"], row["last_modified"]) if row else ("", "")

    def save_feed_state(self, url: str, etag: str, last_modified: str, outcome: str) -> None:
        with self.connect() as db:
            db.execute(
                "INSERT INTO feeds (url, etag, last_modified, checked, outcome) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
                "checked = excluded.checked, outcome = excluded.outcome",
                (url, etag, last_modified, time.time(), outcome),
            )

    def seen(self, url: str) -> str | None:
        """What became of an item's address last time: 'queued', 'skipped' or 'duplicate'; None if never seen."""
        with self.connect() as db:
            row = db.execute("SELECT outcome FROM seen WHERE url = ?", (url,)).fetchone()
        return row["outcome"] if row else None

    def mark_seen(self, url: str, outcome: str) -> None:
        with self.connect() as db:
            db.execute(
                "INSERT INTO seen (url, outcome, at) VALUES (?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET outcome = excluded.outcome, at = excluded.at",
                (url, outcome, time.time()),
            )

    # ---- sign-in attempts

    def record_attempt(self, key: str, at: float | None = None) -> None:
        with self.connect() as db:
            db.execute("INSERT INTO attempts (key, at) VALUES (?, ?)", (key, at or time.time()))
            db.execute("DELETE FROM attempts WHERE at < ?", (time.time() - 86400,))

    def attempts_since(self, key: str, since: float) -> int:
        with self.connect() as db:
            return int(
                db.execute("SELECT count(*) FROM attempts WHERE key = ? AND at >= ?", (key, since)).fetchone()[0]
            )

    def clear_attempts(self, key: str) -> None:
        with self.connect() as db:
            db.execute("DELETE FROM attempts WHERE key = ?", (key,))

    # ---- background runs ("publish now")

    def start_run(self, kind: str, requested_by: str) -> int:
        with self.connect() as db:
            return inserted_id(
                db.execute(
                    "INSERT INTO runs (kind, started, requested_by) VALUES (?, ?, ?)", (kind, time.time(), requested_by)
                )
            )

    def finish_run(self, run_id: int, outcome: str) -> None:
        with self.connect() as db:
            db.execute("UPDATE runs SET finished = ?, outcome = ? WHERE id = ?", (time.time(), outcome, run_id))

    def last_run(self, kind: str) -> Run | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM runs WHERE kind = ? ORDER BY id DESC LIMIT 1", (kind,)).fetchone()
        return Run(**dict(row)) if row else None


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The row id an INSERT gave its new row."""
    if cursor.lastrowid is None:
        raise HubError("the database gave the new row no id")
    return cursor.lastrowid


def new_reference() -> str:
    """A submission's reference: short, unguessable, easy to read aloud (no 0/O or 1/I)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "CP-" + "".join(secrets.choice(alphabet) for _ in range(8))


def _row(item: QueueItem) -> dict[str, object]:
    row = asdict(item)
    for key in LIST_FIELDS:
        row[key] = json.dumps(row[key], ensure_ascii=False)
    row["forgotten"] = int(bool(row["forgotten"]))
    return row


def _item(row: sqlite3.Row) -> QueueItem:
    data = {key: row[key] for key in _COLUMNS}
    for key in LIST_FIELDS:
        data[key] = json.loads(data[key] or "[]")
    data["forgotten"] = bool(data["forgotten"])
    return QueueItem(**data)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
