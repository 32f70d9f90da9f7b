"""A deterministic synthetic corpus in the real format: Markdown with front matter, drawn from the domain's words."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

from library.vocab import VOCABULARY_FILES, Vocabularies, load_vocabularies

BUNDLED = Path(__file__).resolve().parent.parent / "corpus"
YEARS = range(2012, 2026)
# Words the query parser treats specially or drops; the generator leaves them out so both engines read text alike.
_SKIP = {"and", "or", "not", "to", "andnot", "andmaybe", "coop", "coops", "near"}


def domain_words(corpus: Path = BUNDLED) -> tuple[list[str], list[int]]:
    """The bundled corpus's words and their frequencies: the generator samples text from this distribution."""
    counts: Counter[str] = Counter()
    for path in sorted(corpus.rglob("*.md")):
        if path.name == "README.md":
            continue
        text = path.read_text(encoding="utf-8").split("---", 2)[-1]
        counts.update(w for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in _SKIP)
    words = sorted(counts, key=lambda w: (-counts[w], w))
    return words, [counts[w] for w in words]


class CorpusGenerator:
    """Writes documents whose text, councils, themes, types and dates look like the real corpus."""

    def __init__(self, seed: int = 42, vocab: Vocabularies | None = None) -> None:
        self.seed = seed
        self.vocab = vocab or load_vocabularies(BUNDLED)
        self.words, self.weights = domain_words()
        self.councils = sorted(c.id for c in self.vocab.councils.values() if not c.abolished)
        self.themes = sorted(self.vocab.themes)
        self.types = sorted(self.vocab.doc_types)
        # A few councils write most of the case studies, as in the network.
        self.council_weights = [1.0 / (1 + i) ** 0.8 for i in range(len(self.councils))]

    def _sentence(self, rng: random.Random, length: int) -> str:
        words = rng.choices(self.words, self.weights, k=length)
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def document(self, number: int, revision: int = 0) -> tuple[str, str]:
        """Return (relative path, file text) of document `number`; a new revision changes its text."""
        rng = random.Random(f"{self.seed}-{number}-{revision}")
        shape = random.Random(f"{self.seed}-{number}")  # path, councils and date survive a revision
        year = shape.choice(YEARS)
        councils = shape.choices(self.councils, self.council_weights, k=shape.randint(1, 3))
        themes = shape.sample(self.themes, shape.randint(1, 3))
        title_words = rng.choices(self.words, self.weights, k=rng.randint(4, 8))
        title = " ".join(w.capitalize() for w in title_words)
        paragraphs = []
        remaining = rng.randint(300, 1000)
        while remaining > 0:
            sentences = [self._sentence(rng, rng.randint(8, 24)) for _ in range(rng.randint(2, 6))]
            paragraphs.append(" ".join(sentences))
            remaining -= sum(len(s.split()) for s in sentences)
        front = "\n".join(
            [
                "---",
                f'title: "{title}"',
                f"type: {shape.choice(self.types)}",
                f"councils: [{', '.join(dict.fromkeys(councils))}]",
                f"themes: [{', '.join(themes)}]",
                f"date: {year}-{shape.randint(1, 12):02d}-{shape.randint(1, 28):02d}",
                f'summary: "{self._sentence(rng, rng.randint(15, 30))}"',
                "---",
            ]
        )
        return f"{year}/doc-{number:06d}.md", front + "\n\n" + "\n\n".join(paragraphs) + "\n"

    def write(self, folder: Path, count: int) -> Path:
        """Write documents 0..count-1 and the vocabularies into folder."""
        folder.mkdir(parents=True, exist_ok=True)
        for name in VOCABULARY_FILES:
            (folder / name).write_bytes((BUNDLED / name).read_bytes())
        for number in range(count):
            self._put(folder, *self.document(number))
        return folder

    def nightly_change(self, folder: Path, count: int, night: int = 1) -> dict[str, int]:
        """Change 1% of the documents, add 0.5% new ones and delete 0.5%, as a night's publishing might."""
        rng = random.Random(f"{self.seed}-night-{night}")
        existing = sorted(range(count))
        changed = rng.sample(existing, max(1, count // 100))
        deleted = rng.sample([n for n in existing if n not in set(changed)], max(1, count // 200))
        added = range(count + (night - 1) * count, count + (night - 1) * count + max(1, count // 200))
        for number in changed:
            self._put(folder, *self.document(number, revision=night))
        for number in deleted:
            path, _ = self.document(number)
            (folder / path).unlink()
        for number in added:
            self._put(folder, *self.document(number))
        return {"changed": len(changed), "added": len(added), "deleted": len(deleted)}

    @staticmethod
    def _put(folder: Path, relative: str, text: str) -> None:
        path = folder / relative
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
