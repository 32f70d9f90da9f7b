"""From what a person typed to a Whoosh query: plain words, syntax for those who know it, never a failure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query as Q
from whoosh.qparser import MultifieldParser

from .analysis import text_analyzer
from .vocab import REGIONS, Vocabularies

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
}
MAX_QUERY_CHARS = 500
_OPERATOR = r"(?:AND|OR|NOT|ANDNOT|ANDMAYBE)"
_SMALL_WORDS = {"and", "of", "on", "the", "for", "in", "to", "a"}
# Words that frame a question rather than say what it is about: "has any council set up ...".
QUESTION_WORDS = frozenset(
    [
        "has",
        "have",
        "had",
        "any",
        "anyone",
        "anywhere",
        "did",
        "does",
        "do",
        "done",
        "which",
        "what",
        "who",
        "whom",
        "how",
        "where",
        "why",
        "there",
        "been",
        "ever",
        "set",
        "up",
        "tried",
        "example",
        "examples",
    ]
)


@dataclass
class ParsedQuery:
    query: Q.Query
    words: list[str] = field(default_factory=list)  # plain words, for "did you mean"
    notices: list[str] = field(default_factory=list)
    is_everything: bool = False
    word_queries: list[Q.Query] = field(default_factory=list)  # plain words: more words matched ranks first
    word_labels: list[str] = field(default_factory=list)  # the word each of word_queries came from


class QueryBuilder:
    """Builds queries against one schema and one set of vocabularies."""

    def __init__(self, schema, vocab: Vocabularies) -> None:  # type: ignore[no-untyped-def]
        self.vocab = vocab
        self.parser = MultifieldParser(list(TEXT_FIELDS), schema)
        self.analyzer = text_analyzer()
        self.expansions = self._acronym_expansions()

    def parse(self, text: str) -> ParsedQuery:
        """Parse a query string; syntax that cannot be read is searched as plain words, with a notice."""
        notices = []
        text = " ".join(re.sub(r"(?<=\w)[?!.,;]+(?=\s|$)", "", text).split())
        if len(text) > MAX_QUERY_CHARS:
            text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]
            notices.append(f"Your search was very long, so only its first {MAX_QUERY_CHARS} characters were used.")
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
        topic_words = [w for w in words if w.lower() not in QUESTION_WORDS] or words
        parts: dict[str, Q.Query] = {}  # one query per distinct analysed word ("housing houses" is one)
        labels = []
        for word in topic_words:
            sub = self.parser.parse(re.sub(r"[^\w'-]", " ", word).strip() or "")
            if sub is not Q.NullQuery and repr(sub) not in parts:
                parts[repr(sub)] = self._expand(sub)
                labels.append(word)
        if not parts:
            notices.append("Every word in your search is too common to search for, so everything is listed.")
            return ParsedQuery(Q.Every(), [], notices, is_everything=True)
        queries = list(parts.values())
        # Any distinctive word matches, so a word missing from every document never empties the list;
        # documents holding more of the words rank first (see library.matching).
        query = queries[0] if len(queries) == 1 else Q.Or(queries)
        return ParsedQuery(query, words, notices, word_queries=queries, word_labels=labels)

    def _acronym_expansions(self) -> dict[str, list[list[str]]]:
        """Map each theme acronym (as indexed) to the analysed words of the phrases it stands for."""
        expansions: dict[str, list[list[str]]] = {}
        for theme in self.vocab.themes.values():
            phrases = [theme.label, *[s for s in theme.signals if " " in s]]
            for acronym in (s for s in theme.signals if s.isupper() and " " not in s):
                for phrase in phrases:
                    words = phrase.lower().split()
                    initials = "".join(w[0] for w in words)
                    short = "".join(w[0] for w in words if w not in _SMALL_WORDS)
                    if acronym.lower() in (initials, short):
                        key = self._analysed(acronym)
                        if key and self._analysed(phrase) not in expansions.get(key[0], []):
                            expansions.setdefault(key[0], []).append(self._analysed(phrase))
        return expansions

    def _analysed(self, text: str) -> list[str]:
        return [t.text for t in self.analyzer(text)]

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
