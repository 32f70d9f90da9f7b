"""The harvester of members' news: feeds → new items → pages → read → tag → score → queue or skip.

Each night, before the index run, every feed in sources.yaml is fetched (conditionally: a 304 means
nothing new). Each entry's address is canonicalised; one seen before is not fetched again. A new page
is read with the corpus's HTML reader, tagged, and scored for relevance to co-operative practice
(`relevance`): relevant items go to the moderation queue unless the same address or text is already
there; the rest are recorded as skipped. A broken feed or page is reported with its reason and the run
goes on. A page that failed for a passing reason (a timeout, a 5xx) is tried again next run: its feed's
ETag and Last-Modified are then not kept, so the feed is read in full again.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import re
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from .. import settings
from ..errors import ParseError, VocabularyError
from ..exits import EXIT_FATAL, EXIT_OK, EXIT_REJECTED
from ..model import DocDate
from ..names import fold
from ..readers.common import clean_text
from ..readers.html import read_html_bytes
from ..tagging import THEME_THRESHOLD, Tagger
from ..vocab import Vocabularies, read_yaml_file
from .fetch import Fetched, Fetcher, FetchError
from .store import HubStore, QueueItem

RELEVANCE_THRESHOLD = 6
PRINCIPLE_WEIGHT = 2
EXIT_FAILED = EXIT_REJECTED  # some feeds or pages failed; the run went on
_HTTP = re.compile(r"^https?://[^\s<>\"']+$", re.I)
_TRACKING = re.compile(r"utm_.*|fbclid|gclid", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Source:
    """A member council's news feed, from sources.yaml."""

    council: str  # a councils.yaml id
    feed: str


@dataclass
class ItemNote:
    """One news item, or one feed, and what became of it."""

    url: str
    feed: str = ""
    title: str = ""
    reason: str = ""
    relevance: float | None = None
    reference: str = ""  # the queue item's reference, when queued or a duplicate of one
    retry: bool = False  # failed for a passing reason: tried again next run


@dataclass
class FeedNote:
    url: str
    council: str
    outcome: str  # "read", "not modified" or "failed"
    entries: int = 0
    new: int = 0  # entries whose address had not been seen before
    reason: str = ""


@dataclass
class HarvestReport:
    """What a harvest run did, for the terminal, for cron and as a JSON report."""

    sources: str = ""
    started: float = field(default_factory=time.time)
    finished: float = 0.0
    feeds: list[FeedNote] = field(default_factory=list)
    queued: list[ItemNote] = field(default_factory=list)
    skipped: list[ItemNote] = field(default_factory=list)
    duplicates: list[ItemNote] = field(default_factory=list)
    failed: list[ItemNote] = field(default_factory=list)  # feeds and pages
    forgotten: int = 0  # submitters whose name and email were deleted this run
    fatal: str = ""

    @property
    def exit_code(self) -> int:
        return EXIT_FATAL if self.fatal else EXIT_FAILED if self.failed else EXIT_OK

    def summary_line(self) -> str:
        """One line for cron mail and logs."""
        if self.fatal:
            return "coop-library harvest: stopped by a fatal error (see above)"
        answered = [f for f in self.feeds if f.outcome != "failed"]
        unchanged = sum(f.outcome == "not modified" for f in answered)
        return (
            f"coop-library harvest: {len(answered)} feeds read ({unchanged} unchanged); {len(self.queued)} queued, "
            f"{len(self.skipped)} skipped, {len(self.duplicates)} duplicate, {len(self.failed)} failed"
        )

    def problem_lines(self) -> list[str]:
        """One line per feed or page that failed, saying what was done about it."""
        return [
            f"FAILED {'feed ' if n.url == n.feed else ''}{n.url}: {n.reason} "
            f"({'tried again next run' if n.retry else 'not fetched again'})"
            for n in self.failed
        ]

    def to_json(self) -> str:
        data = asdict(self)
        data["exit_code"] = self.exit_code
        data["summary"] = self.summary_line()
        return json.dumps(data, indent=2, ensure_ascii=False)


def load_sources(path: Path, vocab: Vocabularies) -> list[Source]:
    """Read and check sources.yaml: each entry a known council and an http(s) feed; raise VocabularyError."""
    data = read_yaml_file(Path(path))
    if not isinstance(data, dict) or not isinstance(data.get("sources") or [], list):
        raise VocabularyError(str(path), ["expected a top-level 'sources:' list of {council, feed} entries"])
    sources: list[Source] = []
    problems: list[str] = []
    first_entry: dict[str, int] = {}  # canonical feed address: the entry that lists it
    for number, raw in enumerate(data.get("sources") or [], start=1):
        problem = _source_problem(raw, vocab)
        if not problem and canonical_url(raw["feed"]) in first_entry:
            problem = (
                f"feed {raw['feed'].strip()} is listed already, in entry {first_entry[canonical_url(raw['feed'])]}"
            )
        if problem:
            problems.append(f"entry {number}: {problem}")
            continue
        first_entry[canonical_url(raw["feed"])] = number
        sources.append(Source(vocab.council_names.resolve(str(raw["council"]))[0] or "", raw["feed"].strip()))
    if problems:
        raise VocabularyError(str(path), problems)
    return sources


def _source_problem(raw: object, vocab: Vocabularies) -> str:
    """What is wrong with one sources.yaml entry, or ""."""
    if not isinstance(raw, dict):
        return f"expected a mapping of council and feed, got {type(raw).__name__}"
    unknown = sorted(str(k) for k in raw if k not in ("council", "feed"))
    council, feed = raw.get("council"), raw.get("feed")
    if unknown:
        return f"unknown keys {', '.join(unknown)} (an entry has council and feed)"
    if not isinstance(council, (str, int)) or not str(council).strip():
        return "'council' is missing (a councils.yaml id)"
    ident, candidates = vocab.council_names.resolve(str(council))
    if ident is None and candidates:
        return f"council {council!r} could be any of {', '.join(candidates)}; use the id"
    if ident is None:
        return f"council {council!r} is not in councils.yaml; use a council's id"
    if not isinstance(feed, str) or not feed.strip():
        return "'feed' is missing (the address of the council's RSS or Atom feed)"
    try:
        canonical = canonical_url(feed)
    except ValueError:  # a port that is not a number
        canonical = ""
    if not _HTTP.match(feed.strip()) or not urlsplit(canonical).hostname:
        return f"feed {feed[:100]!r} should be an http or https address"
    return ""


def canonical_url(url: str) -> str:
    """The address an item is known by: scheme and host in lower case, no fragment, no tracking parameters."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port  # raises ValueError for a port that is not a number
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    kept = [p for p in parts.query.split("&") if p and not _TRACKING.fullmatch(unquote_plus(p.split("=", 1)[0]))]
    return urlunsplit((scheme, netloc, parts.path or "/", "&".join(kept), ""))


def relevance(tagger: Tagger, title: str, text: str) -> int:
    """Score a page's relevance to co-operative practice from the vocabularies' signals.

    Each theme and principle is scored as the tagger scores them (`ThemeRule.score`): one point for each of
    its signals found in the text, two more for each found in the title. The relevance is the sum of the
    scores of the themes that reach the tagger's THEME_THRESHOLD (2), so one stray word ("homes",
    "food") counts for nothing, plus PRINCIPLE_WEIGHT (2) times the sum of every principle's score: the
    principles' signals ("housing co-operative", "credit union", "social enterprise", "co-produced") are
    the network's own words for co-operative practice, so each counts double. An item is relevant at
    RELEVANCE_THRESHOLD (6) or more: a council's co-operative housing scheme or community energy
    co-operative scores well above it; a notice of bin collections or a road closure, whose words touch
    at most one theme in passing, scores below it. Skipped items are never fetched again, so the threshold
    leans towards asking a moderator.
    """
    folded_title, folded_text = fold(title), fold(text)
    themes = (rule.score(folded_title, folded_text) for rule in tagger.rules)
    principles = (rule.score(folded_title, folded_text) for rule in tagger.principle_rules)
    return sum(s for s in themes if s >= THEME_THRESHOLD) + PRINCIPLE_WEIGHT * sum(principles)


def harvest(
    store: HubStore, sources: list[Source], vocab: Vocabularies, fetcher: Fetcher, personal_data_days: int | None = None
) -> HarvestReport:
    """Read every feed, queue the new relevant items, and forget submitters' personal data past its time."""
    run = _Run(store, Tagger(vocab), fetcher, HarvestReport())
    for source in sources:
        run.read_feed(source)
    days = settings.get_int("personal_data_days") if personal_data_days is None else personal_data_days
    run.report.forgotten = store.forget_personal_data(days)
    run.report.finished = time.time()
    return run.report


@dataclass
class _Run:
    """One harvest: the store it writes to, the tagger, the fetcher and the report it fills in."""

    store: HubStore
    tagger: Tagger
    fetcher: Fetcher
    report: HarvestReport

    def read_feed(self, source: Source) -> None:
        """Fetch a feed and deal with each entry; keep its ETag unless an entry is to be tried again."""
        etag, last_modified = self.store.feed_state(source.feed)
        note = FeedNote(source.feed, source.council, "failed")
        self.report.feeds.append(note)
        try:
            fetched = self.fetcher.fetch_feed(source.feed, etag, last_modified)
            entries = [] if fetched.not_modified else _entries(fetched)
        except (FetchError, ParseError) as exc:
            note.reason = exc.reason
        except Exception as exc:  # a fault on one hostile feed must not stop the run
            note.reason = f"could not be read ({type(exc).__name__}: {str(exc)[:100]})"
        if note.reason:  # the feed is read in full next time, whatever its ETag said
            self.report.failed.append(ItemNote(source.feed, source.feed, reason=note.reason, retry=True))
            self.store.save_feed_state(source.feed, "", "", note.outcome)
            return
        if fetched.not_modified:
            note.outcome = "not modified"
            etag, last_modified = fetched.etag or etag, fetched.last_modified or last_modified
            self.store.save_feed_state(source.feed, etag, last_modified, note.outcome)
            return
        note.outcome, note.entries = "read", len(entries)
        retry = False
        for entry in entries:
            retry = self.read_entry(source, entry, fetched.url, note) or retry
        validators = ("", "") if retry else (fetched.etag, fetched.last_modified)
        self.store.save_feed_state(source.feed, *validators, note.outcome)

    def read_entry(self, source: Source, entry: dict[str, Any], feed_url: str, note: FeedNote) -> bool:
        """Deal with one feed entry; return True when it failed for a passing reason and is to be tried again."""
        title = " ".join(clean_text(str(entry.get("title") or "")).split())
        link = str(entry.get("link") or "").strip()
        try:
            url = canonical_url(urljoin(feed_url, link)) if link else ""
        except ValueError:
            url = ""
        if not _HTTP.match(url):
            reason = f"entry {title[:60]!r} has no web address"
            self.report.failed.append(ItemNote(link or source.feed, source.feed, title, reason))
            return False
        if self.store.seen(url) is not None:
            return False
        note.new += 1
        item = ItemNote(url, source.feed, title)
        try:
            queued = _read_page(self.fetcher.fetch_page(url), url, source, entry, title, self.tagger)
        except FetchError as exc:
            item.reason, item.retry = exc.reason, exc.transient
        except ParseError as exc:
            item.reason = exc.reason
        except Exception as exc:  # a fault reading or tagging one hostile page must not stop the run
            item.reason = f"could not be read ({type(exc).__name__}: {str(exc)[:100]})"
        if item.reason:
            self.report.failed.append(item)
            if not item.retry:
                self.store.mark_seen(url, "failed")  # not fetched again: reported once, not every night
            return item.retry
        item.title, item.relevance = queued.title, queued.relevance
        if (queued.relevance or 0) < RELEVANCE_THRESHOLD:
            self.report.skipped.append(item)
            self.store.mark_seen(url, "skipped")
        else:
            self.queue(url, queued, item)
        return False

    def queue(self, url: str, queued: QueueItem, item: ItemNote) -> None:
        """Add a relevant item to the queue, unless its address or its text is there already."""
        known = self.store.known(queued.canonical_url, queued.text_hash) or self.store.known(url, "")
        if known is None:
            try:
                item.reference = self.store.add(queued).reference
                self.report.queued.append(item)
                self.store.mark_seen(url, "queued")
                return
            except sqlite3.IntegrityError:  # another run queued the same address meanwhile
                known = self.store.known(queued.canonical_url, "")
        same = "address" if known and known.canonical_url in (url, queued.canonical_url) else "text"
        item.reference = known.reference if known else ""
        item.reason = f"the same {same} is in the queue already, as {item.reference}"
        self.report.duplicates.append(item)
        self.store.mark_seen(url, "duplicate")


def _entries(fetched: Fetched) -> list[dict[str, Any]]:
    """The feed's entries, parsed by feedparser from the fetched bytes (it is never given an address)."""
    import feedparser

    headers = {"content-location": fetched.url}
    if fetched.content_type:
        headers["content-type"] = fetched.content_type + (f"; charset={fetched.charset}" if fetched.charset else "")
    try:
        parsed = feedparser.parse(io.BytesIO(fetched.content), response_headers=headers)
    except Exception as exc:  # feedparser's own faults on hostile input: the feed is broken, the run goes on
        reason = f"is not a feed that can be read ({type(exc).__name__}: {str(exc)[:100]})"
        raise ParseError(fetched.url, reason) from None
    if not parsed.entries and (parsed.bozo or not parsed.version):
        problem = parsed.get("bozo_exception") or "no RSS or Atom markup"
        raise ParseError(fetched.url, f"is not an RSS or Atom feed that can be read ({str(problem)[:160]})")
    return list(parsed.entries)


def _read_page(page: Fetched, url: str, source: Source, entry: dict[str, Any], title: str, tagger: Tagger) -> QueueItem:
    """Read, tag and score a fetched page, as the queue item it would become."""
    if page.content_type and "html" not in page.content_type:
        raise ParseError(url, f"is {page.content_type[:60]}, not a web page")
    raw = read_html_bytes(_as_utf8(page), page.url)
    text_hash = hashlib.sha256(" ".join(raw.body.split()).encode("utf-8")).hexdigest()
    doc, _ = tagger.build(raw, text_hash)
    title = title or doc.title
    date = doc.date or _entry_date(entry)
    councils = list(dict.fromkeys([source.council, *doc.council_ids]))
    return QueueItem(
        title=title,
        body=doc.body,
        origin="harvest",
        council=source.council,
        councils=councils,
        doc_type="press-release" if "press-release" in tagger.vocab.doc_types else "",
        themes=doc.theme_ids,
        principles=doc.principle_ids,
        year=date.year if date else None,
        date=date.iso if date else "",
        summary=doc.summary,
        source_url=page.url,
        canonical_url=canonical_url(page.url),
        text_hash=text_hash,
        feed_url=source.feed,
        relevance=relevance(tagger, title, f"{doc.summary}\n{doc.body}"),
    )


def _as_utf8(page: Fetched) -> bytes:
    """The page's bytes as UTF-8, decoded with the charset its header or <meta> declares.

    Undeclared or UTF-8 bytes are left to the reader, which reads UTF-8 and falls back to Windows-1252.
    """
    data = page.content
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data  # a byte order mark outranks any declaration
    meta = _META_CHARSET.search(data[:4096])
    declared = page.charset or (meta.group(1).decode("ascii") if meta else "")
    try:
        codec = codecs.lookup(declared).name if declared else "utf-8"
    except LookupError:
        return data
    if codec.startswith(("utf-16", "utf-32")) and not page.charset:
        return data  # a page that can say so in <meta> is not UTF-16 (as browsers reason)
    if codec in ("latin-1", "ascii", "iso8859-1"):
        codec = "cp1252"  # browsers read these labels as Windows-1252, whose curly quotes and £ pages use
    if codec == "utf-8":
        return data
    return data.decode(codec, errors="replace").encode("utf-8")


def _entry_date(entry: dict[str, Any]) -> DocDate | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if not stamp:
        return None
    try:
        return DocDate.parse(f"{stamp.tm_year:04d}-{stamp.tm_mon:02d}-{stamp.tm_mday:02d}")
    except (ValueError, AttributeError):
        return None
