"""The vocabularies: themes, document types and the council register, validated on load."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import VocabularyError
from .names import NameIndex
from .thesaurus import SYNONYMS_FILE, Thesaurus, load_thesaurus
from .yamlsafe import YamlProblem, load_yaml

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
PRINCIPLES_FILE = "principles.yaml"
VOCABULARY_FILES = ("themes.yaml", "councils.yaml", "doc_types.yaml", PRINCIPLES_FILE, SYNONYMS_FILE)
TAGGING_FILES = ("themes.yaml", "councils.yaml", "doc_types.yaml", PRINCIPLES_FILE)  # what a document's tags depend on


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
    council_names: NameIndex = field(init=False)
    theme_names: NameIndex = field(init=False)
    principle_names: NameIndex = field(init=False)

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
    """Load and validate themes.yaml, councils.yaml, doc_types.yaml, principles.yaml and synonyms.yaml."""
    return Vocabularies(
        themes=_load_entries(folder / "themes.yaml", "themes", _theme),
        doc_types=_load_entries(folder / "doc_types.yaml", "doc_types", _doc_type),
        councils=_check_links(folder / "councils.yaml", _load_entries(folder / "councils.yaml", "councils", _council)),
        folder=folder,
        synonyms=load_thesaurus(folder),
        principles=_load_entries(folder / PRINCIPLES_FILE, "principles", _principle)
        if (folder / PRINCIPLES_FILE).exists()
        else {},
    )


def _load_entries(path: Path, key: str, build) -> dict:  # type: ignore[no-untyped-def]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise VocabularyError(str(path), [f"cannot be read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise VocabularyError(str(path), ["is not UTF-8 text"]) from None
    try:
        data = load_yaml(text)
    except YamlProblem as exc:
        raise VocabularyError(str(path), [f"line {exc.line}: {exc}" if exc.line else str(exc)]) from None
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise VocabularyError(str(path), [f"expected a top-level '{key}:' list"])
    entries: dict = {}
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


def _text(raw: dict, key: str, required: bool = True) -> str:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise ValueError(f"'{key}' is missing")
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ValueError(f"'{key}' should be text, got {type(value).__name__}")
    return str(value).strip()


def _strings(raw: dict, key: str) -> tuple[str, ...]:
    value = raw.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"'{key}' should be a list of text values")
    return tuple(v.strip() for v in value)


def _slug(raw: dict) -> str:
    value = _text(raw, "id")
    if not SLUG.match(value):
        raise ValueError(f"id {value!r} should be lowercase letters, digits and hyphens")
    return value


def _theme(raw: dict) -> Theme:
    return Theme(_slug(raw), _text(raw, "label"), _text(raw, "description"), _strings(raw, "signals"))


def _principle(raw: dict) -> Theme:
    return Theme(_slug(raw), _text(raw, "label"), _text(raw, "statement"), _strings(raw, "signals"))


def _doc_type(raw: dict) -> DocType:
    return DocType(_slug(raw), _text(raw, "label"), _text(raw, "description", required=False))


def _council(raw: dict) -> Council:
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
    )


def _check_links(path: Path, councils: dict[str, Council]) -> dict[str, Council]:
    problems = []
    for c in councils.values():
        for other in (*c.predecessors, *([c.successor] if c.successor else [])):
            if other not in councils:
                problems.append(f"{c.id!r}: links to {other!r}, which is not in the register")
    if problems:
        raise VocabularyError(str(path), problems)
    return councils
