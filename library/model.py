"""The document model: what a file becomes once read and tagged."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date as _date
from typing import Any

DECLARED = "declared"
INFERRED = "inferred"


@dataclass(frozen=True)
class Tag:
    """A council or theme attached to a document, with where it came from."""

    value: str
    source: str = DECLARED


@dataclass(frozen=True, order=True)
class DocDate:
    """A full date, or a year alone when the day is not known."""

    year: int
    month: int = 0
    day: int = 0

    @classmethod
    def parse(cls, value: object) -> DocDate:
        """Read a date from YAML or text: 2016, '2016', '2016-07-05', date(2016, 7, 5)."""
        if isinstance(value, _date):
            return cls._checked(value.year, value.month, value.day)
        if isinstance(value, int) and not isinstance(value, bool):
            return cls._checked(value, 0, 0)
        text = str(value).strip()
        m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?", text)
        if not m:
            raise ValueError(f"{text!r} is not a date; write YYYY-MM-DD, or the year alone")
        year, month, day = (int(g) if g else 0 for g in m.groups())
        return cls._checked(year, month, day)

    @classmethod
    def _checked(cls, year: int, month: int, day: int) -> DocDate:
        if not 1800 <= year <= 2200:
            raise ValueError(f"year {year} is out of range")
        if month and day:
            _date(year, month, day)  # raises ValueError for impossible dates
        elif month and not 1 <= month <= 12:
            raise ValueError(f"month {month} is out of range")
        return cls(year, month, day)

    @property
    def iso(self) -> str:
        if self.month and self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @property
    def sort_key(self) -> int:
        return self.year * 10000 + self.month * 100 + self.day


@dataclass(frozen=True)
class Funding:
    """Money a source says a piece of practice received."""

    amount: int  # whole pounds
    year: int | None = None
    source: str = ""  # who gave it, as the source says ("CCIN Policy Lab grant")
    up_to: bool = False  # the source gives only a ceiling ("up to £10,000")
    shared: bool = False  # the amount was shared with other projects

    @property
    def text(self) -> str:
        words = ("up to " if self.up_to else "") + f"£{self.amount:,}"
        if self.year:
            words += f" ({self.year})"
        if self.source:
            words += f", {self.source}"
        if self.shared:
            words += ", shared with other projects"
        return words


@dataclass(frozen=True)
class Source:
    """A publication a document's facts come from."""

    title: str
    url: str = ""
    date: str = ""  # as DocDate.iso: a year, a month or a day
    publisher: str = ""
    id: str = ""  # the publications.yaml id, when it comes from the register

    @property
    def citation(self) -> str:
        """The source in words: title, publisher, date."""
        parts = [self.title] + [p for p in (self.publisher, self.date) if p]
        return ", ".join(parts)


@dataclass
class Document:
    """One piece of co-operative practice, ready to index."""

    id: str
    title: str
    doc_type: str
    councils: list[Tag] = field(default_factory=list)
    themes: list[Tag] = field(default_factory=list)
    date: DocDate | None = None
    summary: str = ""
    body: str = ""
    source_url: str = ""
    lead_contact: str = ""
    partners: list[str] = field(default_factory=list)
    mentioned: list[str] = field(default_factory=list)
    source_path: str = ""
    content_hash: str = ""
    doc_type_source: str = DECLARED
    principles: list[Tag] = field(default_factory=list)  # the network's principles the practice shows
    extra: dict[str, object] = field(default_factory=dict)
    lead: str = ""  # the council or organisation that led the practice; empty when the sources name none
    lead_kind: str = ""  # "council" or "organisation"
    lead_source: str = DECLARED  # inferred when the only declared council is taken as the lead
    organisations: list[str] = field(default_factory=list)  # organisations.yaml ids that took part
    status: str = ""  # a statuses.yaml id
    funding: list[Funding] = field(default_factory=list)
    outcomes: str = ""  # what came of it, as the sources report it
    evidence: str = ""  # an evidence.yaml id; empty means nothing reported
    evaluation_url: str = ""
    sources: list[Source] = field(default_factory=list)
    written_for_library: bool = False  # the library's own summary, not a council's or the network's publication
    last_reviewed: DocDate | None = None
    # Where a document from the Culture Hub came from: origin ("submission" or "harvest"), submitted_by (a
    # council), harvested (the feed), received, reviewed_at. Who reviewed it stays in the file, off the pages.
    provenance: dict[str, str] = field(default_factory=dict)

    @property
    def council_ids(self) -> list[str]:
        return [t.value for t in self.councils]

    @property
    def practice_council_ids(self) -> list[str]:
        """The councils that did the practice: those declared, or those inferred when none is declared.

        An annual report names every member; counting each of them as a precedent would overstate the answer.
        """
        declared = [t.value for t in self.councils if t.source == DECLARED]
        return declared or self.council_ids

    @property
    def lead_council_id(self) -> str | None:
        """The lead council, when a council led the practice."""
        return self.lead if self.lead_kind == "council" and self.lead else None

    @property
    def evidence_id(self) -> str:
        """How we know what came of it; nothing declared means nothing reported."""
        return self.evidence or "not-reported"

    @property
    def theme_ids(self) -> list[str]:
        return [t.value for t in self.themes]

    @property
    def principle_ids(self) -> list[str]:
        return [t.value for t in self.principles]

    @property
    def year(self) -> int | None:
        return self.date.year if self.date else None

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready dict of every field."""
        data = asdict(self)
        data["date"] = self.date.iso if self.date else None
        data["last_reviewed"] = self.last_reviewed.iso if self.last_reviewed else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Document:
        """Rebuild a Document from to_dict() output."""
        values: dict[str, Any] = dict(data)  # JSON as to_dict() wrote it
        values["councils"] = [Tag(**t) for t in values.get("councils", [])]
        values["themes"] = [Tag(**t) for t in values.get("themes", [])]
        values["principles"] = [Tag(**t) for t in values.get("principles", [])]
        values["funding"] = [Funding(**f) for f in values.get("funding", [])]
        values["sources"] = [Source(**s) for s in values.get("sources", [])]
        for key in ("date", "last_reviewed"):
            raw_date = values.get(key)
            values[key] = DocDate.parse(raw_date) if raw_date else None
        return cls(**values)
