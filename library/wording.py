"""What a plain-words search says besides its topic: the years it names and the words that frame the question.

"has any council set up a housing commission since 2020?" is a topic ("housing commission"), a year
filter ("since 2020") and a question frame ("has any council set up a"). Searching the frame or the
years as words would widen and reorder the results, so they are taken out here and shown to the user.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

FIRST_YEAR, LAST_YEAR = 1800, 2200
_YEAR = r"((?:18|19|20|21)\d\d)"
# From a year phrase's match to the first and last years it names (None: open-ended).
YearRule: TypeAlias = Callable[[re.Match[str]], tuple[int | None, int | None]]
_TO = r"(?:to|until|till|through|and|-|–)"


@dataclass(frozen=True)
class YearPhrase:
    """Years named in words: the phrase as typed and the range it stands for (None for an open end)."""

    text: str
    year_from: int | None
    year_to: int | None

    def remove_from(self, text: str) -> str:
        """The search text without this phrase, for a link that removes the year filter it stands for."""
        pattern = r"\s+".join(re.escape(w) for w in self.text.split())
        return " ".join(re.sub(pattern, " ", text, count=1, flags=re.IGNORECASE).split())

    @property
    def description(self) -> str:
        """The range in plain words: '2016 to 2019', '2020 onwards', 'up to 2015', '2019'."""
        if self.year_from is not None and self.year_from == self.year_to:
            return str(self.year_from)
        if self.year_from is not None and self.year_to is not None:
            return f"{self.year_from} to {self.year_to}"
        if self.year_from is not None:
            return f"{self.year_from} onwards"
        return f"up to {self.year_to}"


def _patterns(today: date) -> list[tuple[re.Pattern[str], YearRule]]:
    """Year phrases, longest first, each with a function from its match to (from, to)."""
    this = today.year
    rules: list[tuple[str, YearRule]] = [
        (rf"\b(?:from|between)\s+{_YEAR}\s*{_TO}\s*{_YEAR}\b", lambda m: (int(m[1]), int(m[2]))),
        # A financial or school year: "2018-19", "2018/19", "in 2018-19".
        (rf"\b(?:(?:in|during|for)\s+)?{_YEAR}\s*[-/–]\s*(\d\d)\b(?![-/–]?\d)", lambda m: (int(m[1]), _century(m[1]) + int(m[2]))),
        (rf"\b{_YEAR}\s*(?:to|-|–)\s*{_YEAR}\b", lambda m: (int(m[1]), int(m[2]))),
        (r"\b(?:in\s+|during\s+|over\s+)?the\s+(?:last|past)\s+(\d{1,2})\s+years\b", lambda m: (this - int(m[1]) + 1, None)),
        (r"\b(?:in\s+|during\s+)?(?:the\s+)?last\s+year\b", lambda m: (this - 1, this - 1)),
        (r"\b(?:in\s+|during\s+)?this\s+year\b", lambda m: (this, this)),
        (rf"\b(?:since|from|after)\s+{_YEAR}\b", lambda m: (int(m[1]) + (m[0].lower().startswith("after")), None)),
        (rf"\b{_YEAR}\s+onwards?\b", lambda m: (int(m[1]), None)),
        (rf"\b(?:before|until|till|up\s+to|prior\s+to)\s+{_YEAR}\b",
         lambda m: (None, int(m[1]) - (m[0].lower().startswith(("before", "prior"))))),
        (rf"\b(?:in|during)\s+{_YEAR}\b", lambda m: (int(m[1]), int(m[1]))),
    ]  # fmt: skip
    return [(re.compile(pattern, re.IGNORECASE), rule) for pattern, rule in rules]


def _century(year: str) -> int:
    return int(year) // 100 * 100


def read_years(text: str, today: date) -> tuple[str, YearPhrase | None]:
    """Take the first year phrase out of a search: the rest of the text, and the phrase's range (or None)."""
    for pattern, rule in _patterns(today):
        found = pattern.search(text)
        if not found:
            continue
        start, end = rule(found)
        if start is not None and end is not None and start > end:
            start, end = end, start
        if any(y is not None and not FIRST_YEAR <= y <= LAST_YEAR for y in (start, end)):
            continue
        rest = " ".join((text[: found.start()] + " " + text[found.end() :]).split())
        return rest, YearPhrase(" ".join(found[0].split()), start, end)
    return text, None


# The framing of a question, not its topic. Two closed lists, not grown query by query:
# 1. English function words: the Snowball project's English stop-word list (determiners, pronouns,
#    auxiliaries, prepositions, conjunctions and question words), which every search engine knows.
SNOWBALL_STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
    herself it its itself they them their theirs themselves what which who whom this that these those am is are
    was were be been being have has had having do does did doing would should could ought i'm you're he's she's
    it's we're they're i've you've we've they've i'd you'd he'd she'd we'd they'd i'll you'll he'll she'll we'll
    they'll isn't aren't wasn't weren't hasn't haven't hadn't doesn't don't didn't won't wouldn't shan't shouldn't
    can't cannot couldn't mustn't let's that's who's what's here's there's when's where's why's how's a an the and
    but if or because as until while of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here there when where why how all
    any both each few more most other some such no nor not only own same so than too very""".split()  # noqa: SIM905
)
# 2. The words a request for precedents is framed in: who is asked about ("any council", "anyone"), the deed
#    asked after ("done", "set up", "tried"), the thing asked for ("examples", "something"), how much
#    ("many"), and the asking itself ("who do I contact about", "tell me", "looking for").
REQUEST_FRAME_WORDS = frozenset(
    """council councils authority authorities anyone anybody someone somebody anywhere somewhere anything something
    everything ever done tried try trying set example examples instance instances precedent precedents
    many much lots lot can may might will shall must contact contacts find found know tell show looking look
    want wanted please info""".split()  # noqa: SIM905
)
FRAME_WORDS = SNOWBALL_STOP_WORDS | REQUEST_FRAME_WORDS


def is_frame_word(word: str) -> bool:
    """Whether a word only frames the question ("has", "any", "council", "examples"), ignoring case."""
    return word.lower().strip("'") in FRAME_WORDS
