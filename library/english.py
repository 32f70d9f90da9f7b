"""Whether a word is English: wordfreq's frequency list, which holds British spellings and rare real words.

A word the list holds often enough is a word. A rare entry is also a word, unless a single edit turns it
into an entry far more frequent: the list is drawn from real text, so it also holds common misspellings
("goverment", "recieve"), and those sit just beside the word their writers meant.
"""

from __future__ import annotations

import string
from functools import lru_cache

from wordfreq import zipf_frequency

COMMON_ZIPF = 3.0  # about one use in a million words: a word anyone would recognise ("hire", "heat", "teaching")
MISSPELLING_GAP = 1.5  # a rare entry 30 times less frequent than a one-edit neighbour is that neighbour misspelled
_LETTERS = string.ascii_lowercase


def zipf(word: str) -> float:
    """The word's frequency in English on the Zipf scale (0 when unknown, 7 for 'the')."""
    return zipf_frequency(word, "en")


@lru_cache(maxsize=20_000)
def is_english_word(word: str) -> bool:
    """Whether a lowercase word is a real English word rather than a misspelling or a made-up string."""
    frequency = zipf(word)
    if frequency >= COMMON_ZIPF:
        return True
    if frequency == 0:
        return False
    return not any(zipf(near) >= frequency + MISSPELLING_GAP for near in one_edit(word))


def one_edit(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away from a word (Norvig's edits1)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return set(deletes + transposes + replaces + inserts) - {word}
