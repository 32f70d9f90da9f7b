"""From what a person typed to a Whoosh query: plain words, syntax for those who know it, never a failure."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from whoosh import query as Q
from whoosh.qparser import MultifieldParser

from ...vocab import REGIONS, Theme, Vocabularies
from ...wording import is_frame_word, read_years
from ..parsed import Concept, ParsedQuery
from .analysis import text_analyzer

TEXT_FIELDS = ("title", "summary", "body")
FIELD_ALIASES = {
    "council": "council",
    "theme": "theme",
    "type": "type",
    "year": "year",
    "region": "region",
    "title": "title",
    "summary": "summary",
    "body": "body",
    "tags": "tags",
}
MAX_QUERY_CHARS = 500
_OPERATOR = r"(?:AND|OR|NOT|ANDNOT|ANDMAYBE)"
_SMALL_WORDS = {"and", "of", "on", "the", "for", "in", "to", "a"}
PLAIN_FIELDS = (*TEXT_FIELDS, "tags")  # a plain word also matches the labels of a document's tags
PROXIMITY_FIELDS = TEXT_FIELDS
PROXIMITY_SLOP = 4  # two searched words this close together (in order) count as near each other


class QueryBuilder:
    """Builds queries against one schema and one set of vocabularies."""

    def __init__(self, schema: Any, vocab: Vocabularies) -> None:  # schema: Whoosh's, which has no types
        self.vocab = vocab
        self.parser = MultifieldParser(list(PLAIN_FIELDS), schema)
        self.analyzer = text_analyzer()
        self.acronyms = self._acronym_phrases()
        self.expansions = {key: [self._analysed(p) for p in phrases] for key, phrases in self.acronyms.items()}
        self.thesaurus = vocab.synonyms.prepare(self._analysed)

    def parse(self, text: str, today: date | None = None) -> ParsedQuery:
        """Parse a query string; syntax that cannot be read is searched as plain words, with a notice.

        Years named in words ("since 2020", "in 2019", "last year", counted from `today`) are taken out
        and returned as `years`, for the search to use as its year filter.
        """
        notices = []
        text = " ".join(re.sub(r"(?<=\w)[?!.,;]+(?=\s|$)", "", text).split())
        if len(text) > MAX_QUERY_CHARS:
            text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]
            notices.append(f"Your search was very long, so only its first {MAX_QUERY_CHARS} characters were used.")
        text, years = read_years(text, today or date.today())
        parsed = self._parse_text(text, notices)
        parsed.years = years
        return parsed

    def _parse_text(self, text: str, notices: list[str]) -> ParsedQuery:
        if not text:
            return ParsedQuery(Q.Every(), [], notices, is_everything=True)
        problem = syntax_problem(text)
        if problem is None and not _uses_syntax(text):
            return self._plain(text, notices)
        if problem is None:
            try:
                parsed = self.parser.parse(text)
            except Exception as exc:  # the parser's own failures are many and undocumented
                problem = f"it could not be read ({type(exc).__name__})"
            else:
                free_text = re.sub(r"\b\w+:(?:\"[^\"]*\"|\S+)", " ", text)
                words = [
                    w
                    for w in re.findall(r"(?<![\w*?])[A-Za-z][\w'-]*(?![\w*?])", free_text)
                    if not re.fullmatch(_OPERATOR, w)
                ]
                resolved = self._resolve_field_terms(parsed, notices)
                return ParsedQuery(self._expand(resolved), words, notices)
        plain = re.sub(rf"[\"()\[\]{{}}*?^~:]|\b{_OPERATOR}\b", " ", text)
        notices.append(f"Your search {problem}, so it was searched as plain words.")
        return self._plain(" ".join(plain.split()) or "", notices)

    def _plain(self, text: str, notices: list[str]) -> ParsedQuery:
        words = text.split()
        analysed = [tuple(self._analysed(_bare(w))) for w in words]
        concepts: dict[tuple[str, ...], Concept] = {}  # one per distinct analysed form ("housing houses" is one)
        dropped: list[str] = []
        at = 0
        while at < len(words):
            end, added = self._synonyms_at(analysed, at)
            terms = tuple(t for a in analysed[at:end] for t in a)
            label = " ".join(_bare(w) for w in words[at:end])
            if end == at + 1 and not added and (not terms or is_frame_word(label)):
                dropped.append(label)
            elif terms and terms not in concepts:
                concepts[terms] = Concept(label, self._concept_query(terms, added), terms, added)
            at = end
        if not concepts:  # nothing but frame words ("council", "examples"): search them as typed
            for word, terms in zip(words, analysed, strict=True):
                if terms and terms not in concepts:
                    concepts[terms] = Concept(_bare(word), self._concept_query(terms, []), terms)
            dropped = []
        if not concepts:
            notices.append("Every word in your search is too common to search for, so everything is listed.")
            return ParsedQuery(Q.Every(), [], notices, is_everything=True)
        found = list(concepts.values())
        # Any distinctive word matches, so a word missing from every document never empties the list;
        # library.ranking ranks documents by a blend of their scores, how many words they hold and nearness.
        query = found[0].query if len(found) == 1 else Q.Or([c.query for c in found])
        return ParsedQuery(query, words, notices, concepts=found, dropped=dropped, near_pairs=_near_pairs(found))

    def _synonyms_at(self, analysed: list[tuple[str, ...]], at: int) -> tuple[int, list[str]]:
        """The longest run of words from `at` that the thesaurus or an acronym expands, and what it adds."""
        if not analysed[at]:
            return at + 1, []
        longest = max(self.thesaurus.longest, 1)
        for end in range(min(len(analysed), at + longest + 3), at, -1):
            if not analysed[end - 1]:
                continue
            terms = tuple(t for a in analysed[at:end] for t in a)
            if len(terms) > longest and end > at + 1:
                continue
            added = list(self.thesaurus.lookup(terms) or [])
            if len(terms) == 1:
                added += [p for p in self.acronyms.get(terms[0], []) if p not in added]
            if added:
                return end, added
        return at + 1, []

    def _concept_query(self, terms: tuple[str, ...], added: list[str]) -> Q.Query:
        alternatives = [_in_fields(terms)] + [_in_fields(tuple(self._analysed(p))) for p in added]
        alternatives = [a for a in alternatives if a is not None]
        return alternatives[0] if len(alternatives) == 1 else Q.Or(alternatives)

    def _acronym_phrases(self) -> dict[str, list[str]]:
        """Map each theme acronym (as indexed) to the phrases it stands for, as written in themes.yaml."""
        phrases_for: dict[str, list[str]] = {}
        for theme in self.vocab.themes.values():
            phrases = [theme.label, *[s for s in theme.signals if " " in s]]
            for acronym in (s for s in theme.signals if s.isupper() and " " not in s):
                key = self._analysed(acronym)
                for phrase in phrases:
                    words = phrase.lower().split()
                    initials = "".join(w[0] for w in words)
                    short = "".join(w[0] for w in words if w not in _SMALL_WORDS)
                    if key and acronym.lower() in (initials, short):
                        known = phrases_for.setdefault(key[0], [])
                        if all(self._analysed(p) != self._analysed(phrase) for p in known):
                            known.append(phrase.lower())
        return phrases_for

    def close_themes(self, parsed: ParsedQuery, limit: int = 4) -> list[Theme]:
        """Themes sharing a word (or a synonym's word) with a parsed search, most shared first.

        Only shared words count: "flood" is one letter from "food", but a food theme is no answer to floods.
        """
        wanted = {t for c in parsed.concepts for t in c.terms}
        wanted |= {t for c in parsed.concepts for phrase in c.added for t in self.analysed(phrase)}
        scored = []
        for theme in self.vocab.themes.values():
            words = set(self.analysed(" ".join([theme.label, theme.description, *theme.signals])))
            if wanted & words:
                scored.append((-len(wanted & words), theme.label, theme))
        return [theme for _, _, theme in sorted(scored)[:limit]]

    def analysed(self, text: str) -> list[str]:
        """Text as the index's analyzer sees it: lowercased, stemmed words without stop words."""
        return [t.text for t in self.analyzer(text)]

    _analysed = analysed

    def _expand(self, q: Q.Query) -> Q.Query:
        """Let an acronym also match the words it stands for."""
        if isinstance(q, Q.Term) and q.fieldname in TEXT_FIELDS and q.text in self.expansions:
            phrases = [
                Q.Phrase(q.fieldname, words) if len(words) > 1 else Q.Term(q.fieldname, words[0])
                for words in self.expansions[q.text]
            ]
            return Q.Or([q, *phrases])
        if isinstance(q, (Q.CompoundQuery, Q.Not)):
            return q.apply(self._expand)
        return q

    def _resolve_field_terms(self, q: Q.Query, notices: list[str]) -> Q.Query:
        """Accept names as well as ids in council:, theme: and type: terms."""
        if isinstance(q, (Q.Term, Q.Phrase)) and q.fieldname in ("council", "theme", "type", "region"):
            text = " ".join(q.words) if isinstance(q, Q.Phrase) else str(q.text)
            ident = self._resolve(q.fieldname, text)
            if ident is None:
                notices.append(f"There is no {q.fieldname} called {text!r}; try the lists beside the results.")
                return q
            return Q.Term(q.fieldname, ident, boost=q.boost)
        if isinstance(q, (Q.CompoundQuery, Q.Not)):
            return q.apply(lambda sub: self._resolve_field_terms(sub, notices))
        return q

    def _resolve(self, fieldname: str, value: str) -> str | None:
        if fieldname == "council":
            return self.vocab.council_names.resolve(value)[0]
        if fieldname == "theme":
            return self.vocab.theme_names.resolve(value)[0]
        if fieldname == "type":
            wanted = value.lower().replace(" ", "-")
            return next(
                (t.id for t in self.vocab.doc_types.values() if wanted in (t.id, t.label.lower().replace(" ", "-"))),
                None,
            )
        return value if value in REGIONS else None


def syntax_problem(text: str) -> str | None:
    """Say what is wrong with a query's syntax, or None if it looks well formed."""
    if text.count('"') % 2:
        return "has a quotation mark that is never closed"
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return "has a closing bracket without an opening one"
    if depth:
        return "has a bracket that is never closed"
    if re.search(rf"^{_OPERATOR}\b|\b(?:AND|OR|ANDNOT|ANDMAYBE|NOT)$|\b{_OPERATOR}\s+(?:AND|OR)\b", text):
        return "starts or ends with AND, OR or NOT"
    for name, value in re.findall(r"(?<![\w\"])([A-Za-z_]+):(\S*)", text):
        if name.lower() not in FIELD_ALIASES:
            return f"names a field {name!r} that does not exist (try council:, theme:, type:, year: or region:)"
        if not value:
            return f"has '{name}:' with nothing after it"
    return None


def _uses_syntax(text: str) -> bool:
    return bool(re.search(rf"[\"():*?\[\]]|\b{_OPERATOR}\b|(?:^|\s)[-+]\w", text))


def _bare(word: str) -> str:
    """A typed word without the punctuation around it."""
    return re.sub(r"[^\w'-]", " ", word).strip(" '-") or word


def _in_fields(terms: tuple[str, ...]) -> Q.Query | None:
    """Analysed words as a word or phrase in every plain-search field."""
    if not terms:
        return None
    if len(terms) == 1:
        return Q.Or([Q.Term(f, terms[0]) for f in PLAIN_FIELDS])
    return Q.Or([Q.Phrase(f, list(terms)) for f in PLAIN_FIELDS])


def _near_pairs(concepts: list[Concept]) -> list[tuple[int, int]]:
    """Indexes of each pair of neighbouring one-word concepts, whose nearness in a document adds to its score."""
    return [(i, i + 1) for i in range(len(concepts) - 1) if len(concepts[i].terms) == len(concepts[i + 1].terms) == 1]
