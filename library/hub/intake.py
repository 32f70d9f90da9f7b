"""What a council officer sends, turned into a queue item: council names resolved, the PDF checked, submissions limited.

Everything here speaks to the officer: a HubError's message says what is wrong and what to do, in words for
someone who is not a programmer, and the web form shows it next to the field it is about.
"""

from __future__ import annotations

import io
import math
import re
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ParseError
from ..readers.common import clean_text
from ..readers.pdf import read_pdf
from ..vocab import Vocabularies
from .store import HubError, HubStore, QueueItem

MAX_PDF_BYTES = 10 * 1024 * 1024
MAX_URL = 2000
# Submissions from one address: this many in the window, then it waits. Enough for an officer sending a few
# pieces of practice in one sitting; too few for a script filling the queue.
SUBMISSIONS_PER_WINDOW = 5
SUBMIT_WINDOW_SECONDS = 60 * 60

_SEPARATORS = re.compile(r"[,;\n]+")


def pdf_text(data: bytes) -> str:
    """The text of an uploaded PDF ('' when it has none, such as a scan); HubError if it is not a usable PDF."""
    if len(data) > MAX_PDF_BYTES:
        raise HubError(f"The PDF is larger than {MAX_PDF_BYTES // (1024 * 1024)} MB. Attach a smaller file.")
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise HubError("The file is not a PDF. Save your document as a PDF and attach that, or paste its text.")
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise HubError("The PDF is protected by a password. Attach a copy saved without a password.")
        pages = len(reader.pages)
    except HubError:
        raise
    except Exception:  # pypdf raises many kinds of error on damaged and hostile files
        raise HubError(
            "The PDF could not be opened: it may be damaged. Save it again and attach the new copy."
        ) from None
    if pages < 1:
        raise HubError("The PDF has no pages. Attach the finished document.")
    with tempfile.TemporaryDirectory(prefix="coop-upload-") as folder:
        path = Path(folder) / "upload.pdf"
        path.write_bytes(data)
        try:
            return read_pdf(path, "upload.pdf", MAX_PDF_BYTES).body
        except ParseError:  # no text to extract (a scan), or too costly to read: the moderator reads the PDF
            return ""


def resolve_council(vocab: Vocabularies, name: str) -> str:
    """The register id of a council given by id or name; HubError naming the choices when it is unknown or unclear."""
    typed = " ".join(name.split())
    found, candidates = vocab.council_names.resolve(typed)
    if found:
        return found
    if candidates:
        names = ", ".join(vocab.councils[c].name for c in candidates[:6] if c in vocab.councils)
        raise HubError(f"“{typed}” could be more than one council: {names}. Write the council's full name.")
    raise HubError(f"We could not find a council called “{typed}”. Choose one from the list, such as Oldham Council.")


def resolve_councils(vocab: Vocabularies, names: str) -> list[str]:
    """Register ids of councils written one after another, separated by commas; HubError naming any not found."""
    found: list[str] = []
    problems: list[str] = []
    for name in (n.strip() for n in _SEPARATORS.split(names)):
        if not name:
            continue
        try:
            council = resolve_council(vocab, name)
        except HubError as exc:
            problems.append(str(exc))
            continue
        if council not in found:
            found.append(council)
    if problems:
        raise HubError(" ".join(problems))
    return found


def council_names(vocab: Vocabularies, ids: list[str]) -> str:
    """Councils' names separated by commas, as a moderator edits them."""
    return ", ".join(vocab.councils[c].name if c in vocab.councils else c for c in ids)


def is_web_address(url: str) -> bool:
    """Whether a source address is an http or https address a browser can follow, not javascript: or data:."""
    parts = urlsplit(url)
    return (
        len(url) <= MAX_URL
        and parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not any(c.isspace() for c in url)
    )


def submission(
    vocab: Vocabularies,
    *,
    title: str,
    council: str,
    doc_type: str,
    themes: list[str],
    principles: list[str],
    year: int | None,
    summary: str,
    body: str,
    source_url: str,
    submitter_name: str,
    submitter_email: str,
) -> QueueItem:
    """The queue item an officer's form becomes: the council resolved, the record proposed, the text tidied."""
    council_id = resolve_council(vocab, council)
    if source_url and not is_web_address(source_url):
        raise HubError("The web address should start with https:// or http://, such as https://www.oldham.gov.uk/news")
    return QueueItem(
        origin="submission",
        title=" ".join(title.split()),
        council=council_id,
        lead=council_id,
        councils=[council_id],
        doc_type=doc_type if doc_type in vocab.doc_types else "case-study",
        themes=[t for t in themes if t in vocab.themes],
        principles=[p for p in principles if p in vocab.principles],
        year=year,
        summary=clean_text(summary),
        body=clean_text(body),
        source_url=source_url.strip(),
        submitter_name=" ".join(submitter_name.split()),
        submitter_email=submitter_email.strip(),
    )


def submission_wait(store: HubStore, address: str, now: float | None = None) -> int:
    """Seconds before this address may submit again; 0 when it may submit now."""
    now = now or time.time()
    with store.connect() as db:  # the oldest attempt that still counts against the limit
        row = db.execute(
            "SELECT at FROM attempts WHERE key = ? AND at >= ? ORDER BY at DESC LIMIT 1 OFFSET ?",
            (_submit_key(address), now - SUBMIT_WINDOW_SECONDS, SUBMISSIONS_PER_WINDOW - 1),
        ).fetchone()
    return 0 if row is None else max(1, math.ceil(row["at"] + SUBMIT_WINDOW_SECONDS - now))


def record_submission(store: HubStore, address: str) -> None:
    """Count a submission (stored or caught by the honeypot) against its address's limit."""
    store.record_attempt(_submit_key(address))


def _submit_key(address: str) -> str:
    return f"submit:{address.strip().lower()}"
