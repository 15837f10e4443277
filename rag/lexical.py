"""The lexical signal: BM25 over chunk text, with tokens that keep codes like CHG-031 whole."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer
from numpy.typing import NDArray

TOKEN = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "there",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


DASHES = re.compile(r"[‐‑‒–—−]")
# Shorter words are not split into two, nor into a part shorter than MIN_PART ("gearbox" is
# not "gear" + "box", which would find the glove box).
MIN_COMPOUND = 8
MIN_PART = 4
# A question quotes a passage when this many of its words (stopwords aside) stand in it in the
# same order, as a message read off a display does ("the display says check fuel tank cap");
# the quote tells apart no more than this many passages, else it is only common wording.
MIN_QUOTED_WORDS = 4
MAX_QUOTING_PASSAGES = 2
# A question names a table row when it holds this many of the words of the row's label, and
# this share of them.
MIN_ROW_WORDS = 3
ROW_NAMED_SHARE = 0.8


def tokenize(text: str) -> list[str]:
    """Lower-case terms; every kind of dash counts as "-", so "0–100" matches "0-100"."""
    return [t for t in TOKEN.findall(DASHES.sub("-", text.lower())) if t not in STOPWORDS]


# A word matches as written and by its stem (Snowball's English stemmer): "replaced" finds
# "replace at 150,000 km", "towing" finds "tow", and the word as written still counts twice.
# A stem is marked, so that it never meets a word written that way.
_STEMMER = Stemmer.Stemmer("english")
STEM = "~"


def stem_word(word: str) -> str:
    """One word's stem (a lower-case token)."""
    return str(_STEMMER.stemWord(word))


def stems(text: str) -> list[str]:
    """The stems of a text's tokens."""
    return _STEMMER.stemWords(tokenize(text))


def terms(tokens: list[str]) -> list[str]:
    """What the index matches for these tokens: each as written, and its stem."""
    return [*tokens, *(STEM + stem for stem in _STEMMER.stemWords(tokens))]


class LexicalIndex:
    """BM25 scores for every chunk at once, so filters can be applied as a mask."""

    def __init__(
        self,
        documents: Sequence[str],
        rows: Sequence[str] = (),
        row_parents: Sequence[int] = (),
    ) -> None:
        """`rows`: the labels of the passages' table rows (`row_parents[i]` holds row i)."""
        self.size = len(documents)
        labels = [set(stems(row)) for row in rows]
        self._row_sizes = [len(label) for label in labels]
        self._row_parents = list(row_parents)
        self._rows_with: dict[str, list[int]] = {}  # each stem's rows
        for row, label in enumerate(labels):
            for stem in label:
                self._rows_with.setdefault(stem, []).append(row)
        self._bm25 = bm25s.BM25()
        self._vocabulary: set[str] = set()
        # Every passage's terms in order (" a b c "), to check a quote in the passages that
        # hold all its words.
        self._lines: list[str] = []
        if documents:
            corpus = [tokenize(d) or ["_empty_"] for d in documents]
            self._vocabulary = {t for tokens in corpus for t in tokens}
            self._bm25.index([terms(tokens) for tokens in corpus], show_progress=False)
            self._lines = [f" {' '.join(tokens)} " for tokens in corpus]

    def scores(self, query: str) -> NDArray[np.float32]:
        tokens = terms([part for t in tokenize(query) for part in self.split(t)])
        if not self.size or not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def named_rows(self, query: str) -> list[int]:
        """The passages holding a table row the query names: at least MIN_ROW_WORDS words of
        the row's label, and nearly all of them, are the query's ("how much engine oil goes in
        at an oil change with filter" names "Engine oil change quantity with oil filter"). The
        row naming the most words wins; none when more than MAX_QUOTING_PASSAGES tie."""
        counts: Counter[int] = Counter()
        for stem in set(stems(query)):
            counts.update(self._rows_with.get(stem, ()))
        best, found = 0, set[int]()
        for row, named in counts.items():
            if named < MIN_ROW_WORDS or named < ROW_NAMED_SHARE * self._row_sizes[row]:
                continue
            if named > best:
                best, found = named, set()
            if named == best:
                found.add(self._row_parents[row])
        return sorted(found) if len(found) <= MAX_QUOTING_PASSAGES else []

    def split(self, token: str) -> list[str]:
        """A word the documents write as two ("sparkplugs" for spark plugs, "cambelt"), as those
        two; any other token as it is."""
        if token in self._vocabulary or len(token) < MIN_COMPOUND or not token.isalpha():
            return [token]
        for cut in range(MIN_PART, len(token) - MIN_PART + 1):
            head, tail = token[:cut], token[cut:]
            if head in self._vocabulary and tail in self._vocabulary:
                return [head, tail]
        return [token]

    def holding(self, token: str) -> NDArray[np.int32]:
        """The passages a term occurs in, in order (read off the BM25 index's term columns)."""
        column = self._bm25.vocab_dict.get(token) if self.size else None
        if column is None:
            return np.zeros(0, dtype=np.int32)
        matrix = self._bm25.scores
        indices = matrix["indices"][matrix["indptr"][column] : matrix["indptr"][column + 1]]
        return np.asarray(indices, dtype=np.int32)

    def quoted(self, query: str) -> list[int]:
        """The passages the query quotes: those holding the longest run of its words, in
        order, of at least MIN_QUOTED_WORDS, when no more than MAX_QUOTING_PASSAGES do. Only
        the passages that hold every word of a run are read, so a search costs the same in a
        large knowledge base."""
        tokens = tokenize(query)
        if len(tokens) < MIN_QUOTED_WORDS:
            return []
        postings = {token: self.holding(token) for token in tokens}
        for size in range(len(tokens), MIN_QUOTED_WORDS - 1, -1):
            found: set[int] = set()
            for start in range(len(tokens) - size + 1):
                run = tokens[start : start + size]
                columns = sorted((postings[t] for t in set(run)), key=len)
                candidates = columns[0]
                for column in columns[1:]:
                    if not len(candidates):
                        break
                    candidates = np.intersect1d(candidates, column, assume_unique=True)
                needle = f" {' '.join(run)} "
                found.update(int(i) for i in candidates if needle in self._lines[i])
            if found:
                return sorted(found) if len(found) <= MAX_QUOTING_PASSAGES else []
        return []
