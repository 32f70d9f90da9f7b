"""Turn a RawDocument into a tagged Document: resolve declared tags, infer the missing ones."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from .model import DECLARED, INFERRED, DocDate, Document, Funding, Source, Tag
from .names import Gazetteer, NameIndex, fold
from .readers import RawDocument
from .readers.common import clean_text
from .vocab import DocType, Vocabularies

KNOWN_KEYS = {
    "id", "title", "type", "councils", "themes", "date", "year", "summary",
    "source_url", "lead_contact", "partners", "mentioned", "principles",
    "lead", "organisations", "status", "funding", "outcomes", "evidence", "evaluation_url", "sources",
    "written_for_library", "last_reviewed",
    "origin", "submitted_by", "harvested", "received", "reviewed_by", "reviewed_at",
}  # fmt: skip
PROVENANCE_KEYS = ("origin", "submitted_by", "harvested", "received", "reviewed_at")  # reviewed_by is not shown
FUNDING_KEYS = {"amount", "year", "source", "up_to", "shared"}
SOURCE_KEYS = {"title", "url", "date", "publisher"}
_HTTP = re.compile(r"^https?://[^\s<>\"']+$")
DEFAULT_TYPES = {".html": "press-release", ".htm": "press-release", ".pdf": "report"}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
THEME_THRESHOLD = 2
MAX_INFERRED_THEMES = 4
# Councils and themes are inferred from the start of a text: a document names who and what it is about
# early, and reading all of a 20 MB report would take minutes.
INFER_CHARS = 200_000


@dataclass
class ThemeRule:
    theme_id: str
    patterns: list[re.Pattern[str]] = field(default_factory=list)
    # For each pattern, a word every match of it contains: a substring test rules most patterns out at C speed,
    # so the regular expression runs only on texts that hold the word. Same answers, a fraction of the time.
    needles: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, theme_id: str, signals: Iterable[str]) -> ThemeRule:
        listed = list(signals)
        return cls(theme_id, [_signal_pattern(s) for s in listed], [_needle(s) for s in listed])

    def score(self, title: str, text: str) -> int:
        return self._hits(text) + 2 * self._hits(title)

    def _hits(self, text: str) -> int:
        return sum(
            1 for needle, p in zip(self.needles, self.patterns, strict=True) if needle in text and p.search(text)
        )


def _needle(signal: str) -> str:
    """The longest literal word of a signal's pattern: any text the pattern matches contains it."""
    if signal.isupper() and " " not in signal:
        return signal
    return max((w for w in re.split(r"[\s-]+", fold(signal)) if w), key=len, default="")


def _signal_pattern(signal: str) -> re.Pattern[str]:
    if signal.isupper() and " " not in signal:
        return re.compile(rf"(?<![A-Za-z]){re.escape(signal)}(?![A-Za-z])")
    words = [re.escape(w) for w in re.split(r"[\s-]+", fold(signal)) if w]
    return re.compile(r"(?<![a-z])" + r"[\s-]*".join(words) + r"(?![a-z])")


class Tagger:
    """Resolves names against the vocabularies and infers councils and themes from text."""

    def __init__(self, vocab: Vocabularies) -> None:
        self.vocab = vocab
        self.gazetteer = Gazetteer()
        for c in vocab.councils.values():
            self.gazetteer.add_names(c.id, c.name, *c.aliases)
            if c.place:
                self.gazetteer.add_place(c.id, c.place)
        self.rules = [ThemeRule.of(t.id, (t.label, *t.signals)) for t in vocab.themes.values()]
        self._acronyms = {t.id: [s for s in t.signals if s.isupper()] for t in vocab.themes.values()}
        self.principle_rules = [ThemeRule.of(p.id, (p.label, *p.signals)) for p in vocab.principles.values()]

    def infer_councils(self, text: str) -> list[str]:
        """Return the ids of councils named in the text, in order of first mention."""
        return [ident for ident, _ in self.gazetteer.find(text)]

    def infer_themes(self, title: str, text: str) -> list[str]:
        """Return the themes whose signals the text carries strongly enough."""
        folded_title, folded_text = fold(title), fold(text)
        scored = []
        for rule in self.rules:
            score = rule.score(folded_title, folded_text)
            score += sum(2 for a in self._acronyms[rule.theme_id] if re.search(rf"\b{a}\b", title + " " + text))
            if score >= THEME_THRESHOLD:
                scored.append((-score, rule.theme_id))
        return [theme_id for _, theme_id in sorted(scored)[:MAX_INFERRED_THEMES]]

    def infer_principles(self, title: str, text: str) -> list[str]:
        """Return the network principles whose signals the text carries strongly enough."""
        folded_title, folded_text = fold(title), fold(text)
        scored = [(-rule.score(folded_title, folded_text), rule.theme_id) for rule in self.principle_rules]
        return [pid for score, pid in sorted(scored) if -score >= THEME_THRESHOLD][:MAX_INFERRED_THEMES]

    def build(self, raw: RawDocument, content_hash: str) -> tuple[Document, list[str]]:
        """Make a Document from a file's raw metadata and text; return it with any warnings."""
        meta, warnings = raw.meta, list(raw.warnings)
        unknown = sorted(set(meta) - KNOWN_KEYS)
        if unknown:
            # Cleaned: the indexer prints warnings to a terminal, which would obey escape sequences in a key.
            warnings.append(f"unknown metadata keys kept but not used: {', '.join(clean_text(k) for k in unknown)}")
        suffix = PurePosixPath(raw.path).suffix.lower()
        title = _one_line(_text(meta, "title", warnings)) or _one_line(clean_text(raw.found_title))
        doc = Document(
            id=self._doc_id(raw, warnings),
            title=title or _title_from_path(raw.path),
            doc_type="",
            summary=_text(meta, "summary", warnings) or _first_words(raw.body, 40),
            body=raw.body,
            source_url=self._url(meta, warnings),
            lead_contact=_text(meta, "lead_contact", warnings),
            source_path=raw.path,
            content_hash=content_hash,
            extra={k: _stored(meta[k]) for k in unknown},
        )
        if not title:
            warnings.append("no title found; using the file name")
        doc.doc_type, doc.doc_type_source = self._doc_type(meta, suffix, warnings)
        doc.date = self._date(meta, raw.found_date, warnings)
        text = f"{doc.title}\n{doc.summary}\n{doc.body[:INFER_CHARS]}"
        doc.councils = self._tags(
            meta, "councils", self.vocab.council_names, "council register (councils.yaml)", warnings
        )
        if "councils" not in meta or (doc.councils == [] and meta.get("councils") not in ([], None)):
            doc.councils = [Tag(c, INFERRED) for c in self.infer_councils(text)]
        doc.themes = self._tags(meta, "themes", self.vocab.theme_names, "themes (themes.yaml)", warnings)
        if "themes" not in meta or (doc.themes == [] and meta.get("themes") not in ([], None)):
            doc.themes = [
                Tag(t, INFERRED) for t in self.infer_themes(doc.title, f"{doc.summary}\n{doc.body[:INFER_CHARS]}")
            ]
        doc.principles = self._tags(
            meta, "principles", self.vocab.principle_names, "principles (principles.yaml)", warnings
        )
        if "principles" not in meta or (doc.principles == [] and meta.get("principles") not in ([], None)):
            doc.principles = [
                Tag(p, INFERRED) for p in self.infer_principles(doc.title, f"{doc.summary}\n{doc.body[:INFER_CHARS]}")
            ]
        doc.mentioned = [
            t.value
            for t in self._tags(
                meta, "mentioned", self.vocab.council_names, "council register (councils.yaml)", warnings
            )
        ]
        self._record(doc, meta, warnings)
        return doc, warnings

    def _record(self, doc: Document, meta: dict[str, object], warnings: list[str]) -> None:
        """The network's record of the practice: who led and took part, how far it got, what came of it, sources."""
        doc.organisations = [
            t.value
            for t in self._tags(meta, "organisations", self.vocab.organisation_names, "organisations.yaml", warnings)
        ]
        for name in _list(meta, "partners", warnings):  # the older key: free text, kept as written when unknown
            ident, _ = self.vocab.organisation_names.resolve(name)
            if ident and ident not in doc.organisations:
                doc.organisations.append(ident)
            elif not ident:
                doc.partners.append(name)
        self._lead(doc, meta, warnings)
        doc.status = self._choice(meta, "status", self.vocab.statuses, "statuses.yaml", warnings)
        doc.evidence = self._choice(meta, "evidence", self.vocab.evidence, "evidence.yaml", warnings)
        doc.outcomes = _text(meta, "outcomes", warnings)
        doc.evaluation_url = self._url(meta, warnings, "evaluation_url")
        if doc.evidence == "independently-evaluated" and not doc.evaluation_url:
            warnings.append("evidence: independently-evaluated needs an evaluation_url naming the evaluation")
        doc.funding = _funding(meta.get("funding"), warnings)
        doc.sources = self._sources(meta.get("sources"), warnings)
        flag = meta.get("written_for_library")
        if flag is not None and not isinstance(flag, bool):
            warnings.append(f"written_for_library: expected true or false, got {flag!r}; ignored")
        doc.written_for_library = flag is True
        for key in PROVENANCE_KEYS:
            value = meta.get(key)
            if value not in (None, ""):
                doc.provenance[key] = value.isoformat() if hasattr(value, "isoformat") else clean_text(str(value))
        if doc.provenance.get("origin") not in (None, "submission", "harvest"):
            warnings.append(f"origin: {doc.provenance['origin'][:40]!r} should be submission or harvest; left out")
            del doc.provenance["origin"]
        if meta.get("last_reviewed") not in (None, ""):
            try:
                doc.last_reviewed = DocDate.parse(meta["last_reviewed"])
            except ValueError as exc:
                warnings.append(f"last_reviewed: {exc}")

    def _lead(self, doc: Document, meta: dict[str, object], warnings: list[str]) -> None:
        value = meta.get("lead")
        if value in (None, ""):
            declared = [t.value for t in doc.councils if t.source == DECLARED]
            if len(declared) == 1:  # one council did it: it led, though the front matter does not say so
                doc.lead, doc.lead_kind, doc.lead_source = declared[0], "council", INFERRED
            return
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            warnings.append("lead: expected one council or organisation; ignored")
            return
        name = clean_text(str(value))
        council, council_candidates = self.vocab.council_names.resolve(name)
        organisation, _ = self.vocab.organisation_names.resolve(name)
        if council:
            doc.lead, doc.lead_kind = council, "council"
            if council not in doc.council_ids:
                doc.councils.insert(0, Tag(council, DECLARED))
        elif organisation:
            doc.lead, doc.lead_kind = organisation, "organisation"
            if organisation not in doc.organisations:
                doc.organisations.insert(0, organisation)
        elif council_candidates:
            warnings.append(f"lead: {name!r} could be any of {', '.join(council_candidates)}; use the id")
        else:
            warnings.append(
                f"lead: {name!r} is in neither councils.yaml nor organisations.yaml; add it there or fix the spelling"
            )

    def _choice(
        self, meta: dict[str, object], key: str, vocabulary: dict[str, DocType], where: str, warnings: list[str]
    ) -> str:
        value = meta.get(key)
        if value in (None, ""):
            return ""
        wanted = fold(str(value)).strip().replace(" ", "-")
        for entry in vocabulary.values():
            if wanted in (entry.id, fold(entry.label).replace(" ", "-")):
                return str(entry.id)
        choices = ", ".join(vocabulary) or f"none: {where} is missing"
        warnings.append(f"{key}: {clean_text(str(value))[:60]!r} is not in {where} (one of: {choices}); left out")
        return ""

    def _sources(self, value: object, warnings: list[str]) -> list[Source]:
        if value in (None, ""):
            return []
        items = value if isinstance(value, list) else [value]
        out: list[Source] = []
        for item in items:
            if isinstance(item, str):
                publication = self.vocab.publications.get(item.strip())
                if publication is None:
                    warnings.append(
                        f"sources: {clean_text(item)[:60]!r} is not in publications.yaml; "
                        "name a listed id or write {title, url, date} out"
                    )
                    continue
                date = publication.date.iso if publication.date else ""
                out.append(Source(publication.title, publication.url, date, publication.publisher, publication.id))
            elif isinstance(item, dict):
                source = _source(item, warnings)
                if source:
                    out.append(source)
            else:
                warnings.append(f"sources: {item!r} should be a publications.yaml id or {{title, url, date}}; ignored")
        return out

    def _doc_id(self, raw: RawDocument, warnings: list[str]) -> str:
        declared = raw.meta.get("id")
        if declared is not None:
            text = str(declared).strip().strip("/")
            if _ID.match(text) and ".." not in text.split("/"):
                return text
            warnings.append(
                f"id {declared!r} is not usable (letters, digits, '.', '_', '-' and '/' only); using the file path"
            )
        return str(PurePosixPath(raw.path).with_suffix(""))

    def _doc_type(self, meta: dict[str, object], suffix: str, warnings: list[str]) -> tuple[str, str]:
        default = DEFAULT_TYPES.get(suffix, "report")
        value = meta.get("type")
        if value is None or value == "":
            return default, INFERRED
        wanted = fold(str(value)).strip().replace(" ", "-")
        for doc_type in self.vocab.doc_types.values():
            if wanted in (doc_type.id, fold(doc_type.label).replace(" ", "-")):
                return doc_type.id, DECLARED
        warnings.append(f"type {value!r} is not in doc_types.yaml; filed as {default!r}")
        return default, INFERRED

    def _date(self, meta: dict[str, object], found: str, warnings: list[str]) -> DocDate | None:
        for key in ("date", "year"):
            if meta.get(key) not in (None, ""):
                try:
                    return DocDate.parse(meta[key])
                except ValueError as exc:
                    warnings.append(f"{key}: {exc}")
        if found:
            try:
                return DocDate.parse(found)
            except ValueError:
                warnings.append(f"the page's date {found!r} could not be read")
        return None

    def _tags(self, meta: dict[str, object], key: str, names: NameIndex, where: str, warnings: list[str]) -> list[Tag]:
        tags: list[Tag] = []
        for value in _list(meta, key, warnings):
            ident, candidates = names.resolve(value)
            if ident is None and candidates:
                warnings.append(f"{key}: {value!r} could be any of {', '.join(candidates)}; use the id")
            elif ident is None:
                warnings.append(
                    f"{key}: {value!r} is not in the {where}; add it there or fix the spelling. Left untagged."
                )
            elif all(t.value != ident for t in tags):
                tags.append(Tag(ident, DECLARED))
        return tags

    def _url(self, meta: dict[str, object], warnings: list[str], key: str = "source_url") -> str:
        url = _text(meta, key, warnings)
        if url and not _HTTP.match(url):
            warnings.append(f"{key} {url[:80]!r} is not an http(s) address; left out")
            return ""
        return url


def _funding(value: object, warnings: list[str]) -> list[Funding]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if not isinstance(item, dict):
            warnings.append(f"funding: {item!r} should be a mapping of amount, year and source; ignored")
            continue
        unknown = sorted(str(k) for k in set(item) - FUNDING_KEYS)
        if unknown:
            warnings.append(f"funding: unknown keys {', '.join(clean_text(k) for k in unknown)} ignored")
        amount, year = item.get("amount"), item.get("year")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            warnings.append(f"funding: amount {amount!r} should be whole pounds, such as 10000; ignored")
            continue
        if year is not None and (not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2200):
            warnings.append(f"funding: year {year!r} should be a year such as 2019; left out")
            year = None
        flags = {k: item.get(k, False) for k in ("up_to", "shared")}
        for key, flag in flags.items():
            if not isinstance(flag, bool):
                warnings.append(f"funding: {key} should be true or false; read as false")
                flags[key] = False
        source = item.get("source")
        out.append(Funding(amount, year, clean_text(str(source)) if source else "", flags["up_to"], flags["shared"]))
    return out


def _source(item: dict[str, Any], warnings: list[str]) -> Source | None:
    unknown = sorted(str(k) for k in set(item) - SOURCE_KEYS)
    if unknown:
        warnings.append(f"sources: unknown keys {', '.join(clean_text(k) for k in unknown)} ignored")
    title = _text(item, "title", warnings)
    if not title:
        warnings.append("sources: an entry written out needs a title; ignored")
        return None
    url = _text(item, "url", warnings)
    if url and not _HTTP.match(url):
        warnings.append(f"sources: url {url[:80]!r} is not an http(s) address; left out")
        url = ""
    date = ""
    if item.get("date") not in (None, ""):
        try:
            date = DocDate.parse(item["date"]).iso
        except ValueError as exc:
            warnings.append(f"sources: date: {exc}")
    return Source(title, url, date, _text(item, "publisher", warnings))


def _text(meta: dict[str, object], key: str, warnings: list[str]) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        warnings.append(f"{key}: expected text, got a {type(value).__name__}; ignored")
        return ""
    return clean_text(str(value))


def _list(meta: dict[str, object], key: str, warnings: list[str]) -> list[str]:
    value = meta.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, (str, int)):
        value = [part for part in str(value).split(",")] if key != "partners" else [value]
    if not isinstance(value, list):
        warnings.append(f"{key}: expected a list; ignored")
        return []
    out = []
    for item in value:
        if isinstance(item, (str, int, float)) and clean_text(str(item)):
            out.append(clean_text(str(item)))
        else:
            warnings.append(f"{key}: {item!r} is not a name; ignored")
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _first_words(text: str, count: int) -> str:
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def _title_from_path(path: str) -> str:
    stem = clean_text(PurePosixPath(path).stem.replace("-", " ").replace("_", " "))
    return _one_line(stem).capitalize() or "Untitled"


def _stored(value: object) -> object:
    """Metadata as the index stores it: JSON's types, with text keys (YAML allows a date as a key; JSON does not)."""
    if isinstance(value, dict):
        return {str(k): _stored(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_stored(v) for v in value]
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)


def record_gaps(doc: Document) -> list[str]:
    """What the network's record of a document lacks: declared principles, a status, its sources."""
    gaps = []
    if not any(t.source == DECLARED for t in doc.principles):
        gaps.append("no principles: declared (the page shows suggested ones); name the principles the practice shows")
    if not doc.status:
        gaps.append("no status: say how far it had got (statuses.yaml)")
    if not doc.sources:
        gaps.append("no sources: name the publications its facts come from (publications.yaml, or {title, url, date})")
    return gaps
