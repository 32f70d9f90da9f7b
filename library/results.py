"""The project's own search types: what a search asks for and what it answers, as the CLI, API and pages see them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .answer import Answer
from .wording import YearPhrase

SORTS = ("relevance", "newest", "oldest")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class SearchRequest:
    """Everything a search can ask for; every field maps to a URL parameter."""

    query: str = ""
    theme: tuple[str, ...] = ()
    council: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    principle: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    organisation: tuple[str, ...] = ()
    members_only: bool = False  # only practice by councils the sources show in the network

    def selected(self, facet: str) -> tuple[str, ...]:
        return () if facet == "year" else getattr(self, facet)


@dataclass(slots=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(slots=True)
class Hit:
    id: str
    title: str
    type: str
    date: str
    year: int | None
    councils: list[dict[str, str]]
    themes: list[dict[str, str]]
    summary: str
    snippet: str
    lead: dict[str, str] | None = None  # who led it, {"id", "name", "kind"}: kind "council" or "organisation"
    lead_contact: str = ""
    missing: list[str] = field(default_factory=list)  # the search's distinctive words this document does not hold
    principles: list[dict[str, str]] = field(default_factory=list)  # the network principles it shows, {"id", "label"}
    organisations: list[dict[str, str]] = field(default_factory=list)  # other participants, {"id", "name"}
    status: dict[str, str] | None = None  # how far it had got, {"id", "label"}
    evidence: dict[str, str] = field(default_factory=dict)  # how we know what came of it, {"id", "label"}
    outcomes: str = ""
    sources: list[dict[str, str]] = field(default_factory=list)  # {"title", "url", "date", "publisher"}


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    pages: int
    notice: str | None
    suggestion: str | None
    results: list[Hit]
    facets: dict[str, list[FacetValue]]
    answer: Answer = field(default_factory=lambda: Answer(0, 0))
    generation: int = 0
    request: SearchRequest = field(default_factory=SearchRequest)  # as run: cleaned, with years read from words
    years: YearPhrase | None = None  # years named in the words of the search and used as the year filter
    corrected: bool = False  # whether these are the results for `suggestion` rather than for `query`

    def to_json(self) -> dict[str, object]:
        """The public JSON shape shared by the CLI and the API."""
        data = asdict(self)
        for key in ("generation", "request", "years", "answer"):
            data.pop(key)
        data["answer"] = self.answer.to_json()
        return data
