"""The vocabularies: themes, document types and the council register, validated on load."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .errors import VocabularyError
from .model import DocDate
from .names import NameIndex
from .thesaurus import SYNONYMS_FILE, Thesaurus, load_thesaurus
from .yamlsafe import YamlProblem, load_yaml


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


_Entry = TypeVar("_Entry", bound=_Identified)  # a vocabulary entry: anything with an id


SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
GSS = re.compile(r"^[ENSW]\d{8}$")
NATIONS = {"england", "wales", "scotland", "northern-ireland"}
REGIONS = {
    "north-east": "North East",
    "north-west": "North West",
    "yorkshire-and-the-humber": "Yorkshire and the Humber",
    "east-midlands": "East Midlands",
    "west-midlands": "West Midlands",
    "east-of-england": "East of England",
    "london": "London",
    "south-east": "South East",
    "south-west": "South West",
    "wales": "Wales",
    "scotland": "Scotland",
    "northern-ireland": "Northern Ireland",
}
COUNCIL_TYPES = {
    "unitary": "Unitary authority",
    "district": "District council",
    "metropolitan": "Metropolitan borough",
    "london-borough": "London borough",
    "county": "County council",
    "welsh-council": "Welsh council",
    "scottish-council": "Scottish council",
    "northern-ireland-council": "Northern Ireland council",
    "combined-authority": "Combined authority",
    "town-council": "Town council",
    "parish-council": "Parish council",
    "community-council": "Community council",
    "sui-generis": "Sui generis authority",
}
MEMBERSHIP_LEVELS = {"full": "Full member", "associate": "Associate member", "affiliate": "Affiliate member"}
PRINCIPLES_FILE = "principles.yaml"
ORGANISATIONS_FILE = "organisations.yaml"
STATUSES_FILE = "statuses.yaml"
EVIDENCE_FILE = "evidence.yaml"
PUBLICATIONS_FILE = "publications.yaml"
NETWORK_FILE = "network.yaml"
SOURCES_FILE = "sources.yaml"  # members' news feeds for the harvester
# What a document's tags depend on: a change to one of these re-tags every document.
TAGGING_FILES = (
    "themes.yaml", "councils.yaml", "doc_types.yaml", PRINCIPLES_FILE, ORGANISATIONS_FILE, STATUSES_FILE,
    EVIDENCE_FILE, PUBLICATIONS_FILE,
)  # fmt: skip
VOCABULARY_FILES = (*TAGGING_FILES, SYNONYMS_FILE, NETWORK_FILE, SOURCES_FILE)  # never read as documents


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    description: str
    signals: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocType:
    id: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Membership:
    """A year in which a source shows a council in the network, and in what capacity."""

    year: int
    source: str  # a publications.yaml id
    level: str = ""  # full, associate or affiliate; empty when the source does not say
    role: str = ""  # a part it played that year, as the source gives it (a regional lead, a board seat)

    @property
    def level_label(self) -> str:
        return MEMBERSHIP_LEVELS.get(self.level, "Member (level not stated)")


@dataclass(frozen=True)
class Organisation:
    """A body other than a council that leads or takes part in practice: the network itself, a charity, a party."""

    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    part_of: str = ""


@dataclass(frozen=True)
class Publication:
    """A published source that documents are drawn from."""

    id: str
    title: str
    publisher: str = ""
    date: DocDate | None = None
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class Council:
    id: str
    name: str
    nation: str
    type: str
    place: str = ""
    aliases: tuple[str, ...] = ()
    gss: str = ""
    region: str = ""
    predecessors: tuple[str, ...] = ()
    successor: str = ""
    abolished: int | None = None
    membership: tuple[Membership, ...] = ()  # the years the sources show it in the network

    @property
    def is_member(self) -> bool:
        return bool(self.membership)

    @property
    def region_id(self) -> str:
        """The region facet value: the English region, or the nation elsewhere."""
        return self.region if self.nation == "england" and self.region else self.nation


@dataclass
class Vocabularies:
    """Everything the tagger and the search need to know about names."""

    themes: dict[str, Theme]
    doc_types: dict[str, DocType]
    councils: dict[str, Council]
    folder: Path
    synonyms: Thesaurus = field(default_factory=Thesaurus)
    principles: dict[str, Theme] = field(default_factory=dict)  # the network's principles, shaped as themes
    organisations: dict[str, Organisation] = field(default_factory=dict)
    organisation_kinds: dict[str, str] = field(default_factory=dict)  # kind id: label
    statuses: dict[str, DocType] = field(default_factory=dict)  # how far a piece of practice had got
    evidence: dict[str, DocType] = field(default_factory=dict)  # how we know what came of it
    publications: dict[str, Publication] = field(default_factory=dict)
    council_names: NameIndex = field(init=False)
    theme_names: NameIndex = field(init=False)
    principle_names: NameIndex = field(init=False)
    organisation_names: NameIndex = field(init=False)

    def __post_init__(self) -> None:
        self.council_names = NameIndex()
        for c in self.councils.values():
            self.council_names.add(c.id, c.id, c.name, c.place, *c.aliases)
        self.theme_names = NameIndex()
        for t in self.themes.values():
            self.theme_names.add(t.id, t.id, t.label)
        self.principle_names = NameIndex()
        for p in self.principles.values():
            self.principle_names.add(p.id, p.id, p.label)
        self.organisation_names = NameIndex()
        for o in self.organisations.values():
            self.organisation_names.add(o.id, o.id, o.name, *o.aliases)


def tagging_fingerprint(folder: Path) -> dict[str, str]:
    """The SHA-256 of each vocabulary file that tagging reads: a change to one means documents need re-tagging."""
    fingerprint = {}
    for name in TAGGING_FILES:
        try:
            fingerprint[name] = hashlib.sha256((Path(folder) / name).read_bytes()).hexdigest()
        except OSError:
            fingerprint[name] = ""
    return fingerprint


def vocabulary_folder(corpus: Path) -> Path:
    """Vocabularies live in the corpus folder, else in the bundled corpus."""
    if (Path(corpus) / "themes.yaml").exists():
        return Path(corpus)
    return Path(__file__).resolve().parent.parent / "corpus"


def load_vocabularies(folder: Path) -> Vocabularies:
    """Load and validate the vocabularies: themes, councils, document types, principles, organisations,
    statuses, evidence levels, publications and synonyms. Files other than the first three are optional."""
    folder = Path(folder)
    themes = _load_entries(folder / "themes.yaml", "themes", _theme)
    doc_types = _load_entries(folder / "doc_types.yaml", "doc_types", _doc_type)
    publications = _optional(folder, PUBLICATIONS_FILE, "publications", _publication)
    councils = _load_entries(folder / "councils.yaml", "councils", _council)
    # Membership cites publications.yaml; a register used without it (an older corpus) is not checked for that.
    _check_links(
        folder / "councils.yaml", councils, set(publications) if (folder / PUBLICATIONS_FILE).exists() else None
    )
    kinds, organisations = _load_organisations(folder / ORGANISATIONS_FILE)
    clashes = sorted(set(organisations) & set(councils))
    if clashes:
        raise VocabularyError(
            str(folder / ORGANISATIONS_FILE),
            [f"id {c!r} is also a council's id in councils.yaml; give the organisation another id" for c in clashes],
        )
    return Vocabularies(
        themes=themes,
        doc_types=doc_types,
        councils=councils,
        folder=folder,
        synonyms=load_thesaurus(folder),
        principles=_optional(folder, PRINCIPLES_FILE, "principles", _principle),
        organisations=organisations,
        organisation_kinds=kinds,
        statuses=_optional(folder, STATUSES_FILE, "statuses", _doc_type),
        evidence=_optional(folder, EVIDENCE_FILE, "evidence", _doc_type),
        publications=publications,
    )


def _optional(folder: Path, name: str, key: str, build: Callable[[dict[str, Any]], _Entry]) -> dict[str, _Entry]:
    return _load_entries(folder / name, key, build) if (folder / name).exists() else {}


def _load_organisations(path: Path) -> tuple[dict[str, str], dict[str, Organisation]]:
    if not path.exists():
        return {}, {}
    data = read_yaml_file(path)
    kinds = data.get("kinds") if isinstance(data, dict) else None
    if not isinstance(kinds, dict) or not all(isinstance(k, str) and SLUG.match(k) for k in kinds):
        raise VocabularyError(str(path), ["expected a top-level 'kinds:' mapping of kind ids to labels"])
    kinds = {k: str(v) for k, v in kinds.items()}
    organisations = _load_entries(path, "organisations", lambda raw: _organisation(raw, kinds), data)
    problems = [
        f"{o.id!r}: part_of {o.part_of!r} is not in the register"
        for o in organisations.values()
        if o.part_of and o.part_of not in organisations
    ]
    if problems:
        raise VocabularyError(str(path), problems)
    return kinds, organisations


def read_yaml_file(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise VocabularyError(str(path), [f"cannot be read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise VocabularyError(str(path), ["is not UTF-8 text"]) from None
    try:
        return load_yaml(text)
    except YamlProblem as exc:
        raise VocabularyError(str(path), [f"line {exc.line}: {exc}" if exc.line else str(exc)]) from None


def _load_entries(
    path: Path, key: str, build: Callable[[dict[str, Any]], _Entry], data: object = None
) -> dict[str, _Entry]:
    if data is None:
        data = read_yaml_file(path)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise VocabularyError(str(path), [f"expected a top-level '{key}:' list"])
    entries: dict[str, _Entry] = {}
    problems: list[str] = []
    gss_seen: dict[str, str] = {}
    for number, raw in enumerate(data[key], start=1):
        label = f"entry {number}"
        if not isinstance(raw, dict):
            problems.append(f"{label}: expected a mapping of keys, got {type(raw).__name__}")
            continue
        entry_id = raw.get("id")
        label = f"entry {number} ({entry_id!r})"
        try:
            entry = build(raw)
        except ValueError as exc:
            problems.append(f"{label}: {exc}")
            continue
        if entry.id in entries:
            problems.append(f"{label}: id {entry.id!r} is used twice")
        entries[entry.id] = entry
        gss = getattr(entry, "gss", "")
        if gss:
            if gss in gss_seen:
                problems.append(f"{label}: GSS code {gss} is also given to {gss_seen[gss]!r}")
            gss_seen[gss] = entry.id
    if problems:
        raise VocabularyError(str(path), problems)
    return entries


def _text(raw: dict[str, Any], key: str, required: bool = True) -> str:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise ValueError(f"'{key}' is missing")
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ValueError(f"'{key}' should be text, got {type(value).__name__}")
    return str(value).strip()


def _strings(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"'{key}' should be a list of text values")
    return tuple(v.strip() for v in value)


def _slug(raw: dict[str, Any]) -> str:
    value = _text(raw, "id")
    if not SLUG.match(value):
        raise ValueError(f"id {value!r} should be lowercase letters, digits and hyphens")
    return value


def _theme(raw: dict[str, Any]) -> Theme:
    return Theme(_slug(raw), _text(raw, "label"), _text(raw, "description"), _strings(raw, "signals"))


def _principle(raw: dict[str, Any]) -> Theme:
    return Theme(_slug(raw), _text(raw, "label"), _text(raw, "statement"), _strings(raw, "signals"))


def _doc_type(raw: dict[str, Any]) -> DocType:
    return DocType(_slug(raw), _text(raw, "label"), _text(raw, "description", required=False))


def _council(raw: dict[str, Any]) -> Council:
    nation = _text(raw, "nation")
    if nation not in NATIONS:
        raise ValueError(f"nation {nation!r} should be one of {', '.join(sorted(NATIONS))}")
    kind = _text(raw, "type")
    if kind not in COUNCIL_TYPES:
        raise ValueError(f"type {kind!r} should be one of {', '.join(COUNCIL_TYPES)}")
    region = _text(raw, "region", required=False)
    if region and region not in REGIONS:
        raise ValueError(f"region {region!r} should be one of {', '.join(REGIONS)}")
    if nation == "england" and not region:
        raise ValueError("English councils need a 'region'")
    gss = _text(raw, "gss", required=False)
    if gss and not GSS.match(gss):
        raise ValueError(f"GSS code {gss!r} should be a letter and eight digits, like E08000004")
    abolished = raw.get("abolished")
    if abolished is not None and not isinstance(abolished, int):
        raise ValueError("'abolished' should be a year")
    return Council(
        id=_slug(raw),
        name=_text(raw, "name"),
        nation=nation,
        type=kind,
        place=_text(raw, "place", required=False),
        aliases=_strings(raw, "aliases"),
        gss=gss,
        region=region,
        predecessors=_strings(raw, "predecessors"),
        successor=_text(raw, "successor", required=False),
        abolished=abolished,
        membership=_memberships(raw.get("membership")),
    )


def _memberships(value: object) -> tuple[Membership, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError("'membership' should be a list of {year, source, level, role}")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise ValueError("each 'membership' entry should be a mapping of year, source, level and role")
        unknown = sorted(set(item) - {"year", "source", "level", "role"})
        if unknown:
            raise ValueError(f"membership: unknown keys {', '.join(map(str, unknown))}")
        year = item.get("year")
        if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2200:
            raise ValueError(f"membership: year {year!r} should be a year such as 2014")
        level = _text(item, "level", required=False)
        if level and level not in MEMBERSHIP_LEVELS:
            raise ValueError(f"membership: level {level!r} should be one of {', '.join(MEMBERSHIP_LEVELS)}")
        out.append(Membership(year, _text(item, "source"), level, _text(item, "role", required=False)))
    return tuple(sorted(out, key=lambda m: m.year))


def _organisation(raw: dict[str, Any], kinds: dict[str, str]) -> Organisation:
    kind = _text(raw, "kind")
    if kind not in kinds:
        raise ValueError(f"kind {kind!r} should be one of {', '.join(kinds)}")
    return Organisation(
        _slug(raw), _text(raw, "name"), kind, _strings(raw, "aliases"), _text(raw, "part_of", required=False)
    )


def _publication(raw: dict[str, Any]) -> Publication:
    url = _text(raw, "url", required=False)
    if url and not re.match(r"^https?://[^\s<>\"']+$", url):
        raise ValueError(f"url {url[:80]!r} should be an http(s) address")
    date = raw.get("date")
    try:
        parsed = DocDate.parse(date) if date not in (None, "") else None
    except ValueError as exc:
        raise ValueError(f"date: {exc}") from None
    return Publication(
        _slug(raw), _text(raw, "title"), _text(raw, "publisher", required=False), parsed, url,
        _text(raw, "note", required=False),
    )  # fmt: skip


def _check_links(path: Path, councils: dict[str, Council], publications: set[str] | None) -> dict[str, Council]:
    problems = []
    for c in councils.values():
        for other in (*c.predecessors, *([c.successor] if c.successor else [])):
            if other not in councils:
                problems.append(f"{c.id!r}: links to {other!r}, which is not in the register")
        for m in c.membership:
            if publications is not None and m.source not in publications:
                problems.append(
                    f"{c.id!r}: membership in {m.year} cites {m.source!r}, which is not in publications.yaml"
                )
    if problems:
        raise VocabularyError(str(path), problems)
    return councils
