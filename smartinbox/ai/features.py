"""Text features for the triage heads: TF-IDF n-grams, MiniLM vectors and a few style cues.

The style cues (exclamation marks, capitals, digits, vowel ratio...) carry what both text
representations lose: "HELP!!!" and "help" tokenise alike, and keyboard mashing has no
vocabulary to speak of. They are fixed transforms, so nothing about them needs fitting.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

FloatMatrix = npt.NDArray[np.float32]

STYLE_NAMES = (
    "exclamations",
    "questions",
    "caps_ratio",
    "caps_words",
    "digit_ratio",
    "symbol_ratio",
    "length",
    "words",
    "vowel_ratio",
    "repeat_ratio",
    "has_url",
    "has_money",
    "emoji",
    "longest_consonant_run",
)
_URL_RE = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|net|org|info|biz|co|io|xyz)\b", re.I)
_MONEY_RE = re.compile(r"[$£€]\s?\d|\d\s?(?:usd|eur|gbp|btc|eth)\b", re.I)
_CONSONANT_RUN_RE = re.compile(r"[bcdfghjklmnpqrstvwxz]+", re.I)
_VOWELS = set("aeiouyAEIOUYàáâäèéêëìíîïòóôöùúûü")


def style_vector(text: str) -> list[float]:
    letters = [ch for ch in text if ch.isalpha()]
    n_letters = max(len(letters), 1)
    n_chars = max(len(text), 1)
    words = text.split()
    caps_words = sum(1 for w in words if len(w) > 1 and w.isupper())
    repeats = sum(1 for a, b in itertools.pairwise(text) if a == b and a.isalnum())
    runs = [len(m) for m in _CONSONANT_RUN_RE.findall(text)]
    return [
        math.log1p(text.count("!")),
        math.log1p(text.count("?")),
        sum(ch.isupper() for ch in letters) / n_letters,
        min(caps_words, 5) / 5,
        sum(ch.isdigit() for ch in text) / n_chars,
        sum(not ch.isalnum() and not ch.isspace() for ch in text) / n_chars,
        math.log1p(len(text)) / 8,
        math.log1p(len(words)) / 5,
        sum(ch in _VOWELS for ch in letters) / n_letters,
        repeats / n_chars,
        float(bool(_URL_RE.search(text))),
        float(bool(_MONEY_RE.search(text))),
        min(sum(ord(ch) > 0x2500 for ch in text), 5) / 5,
        min(max(runs, default=0), 8) / 8,
    ]


def style_matrix(texts: Sequence[str]) -> FloatMatrix:
    return np.array([style_vector(t) for t in texts], dtype=np.float32).reshape(
        len(texts), len(STYLE_NAMES)
    )


class TfidfFeaturizer:
    """Word 1-2 grams and character 2-5 grams (within word boundaries), each TF-IDF weighted."""

    def __init__(self, max_word_features: int = 40_000, max_char_features: int = 60_000) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.word: Any = TfidfVectorizer(
            ngram_range=(1, 2),
            min_df=2,
            max_features=max_word_features,
            sublinear_tf=True,
            lowercase=True,
            token_pattern=r"(?u)\b\w+\b",  # noqa: S106 (a regex, not a secret)
            dtype=np.float32,
        )
        self.char: Any = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            min_df=2,
            max_features=max_char_features,
            sublinear_tf=True,
            lowercase=True,
            dtype=np.float32,
        )

    def fit(self, texts: Sequence[str]) -> TfidfFeaturizer:
        self.word.fit(texts)
        self.char.fit(texts)
        return self

    def state(self) -> tuple[dict[str, Any], dict[str, npt.NDArray[np.float32]]]:
        """Vocabularies (JSON-able) and IDF weights: enough to rebuild without pickle."""
        vocab = {
            "word": {term: int(i) for term, i in sorted(self.word.vocabulary_.items())},
            "char": {term: int(i) for term, i in sorted(self.char.vocabulary_.items())},
        }
        weights = {
            "word_idf": self.word.idf_.astype(np.float32),
            "char_idf": self.char.idf_.astype(np.float32),
        }
        return vocab, weights

    @classmethod
    def from_state(
        cls, vocab: dict[str, Any], weights: dict[str, npt.NDArray[np.float32]]
    ) -> TfidfFeaturizer:
        featurizer = cls()
        featurizer.word.set_params(vocabulary=vocab["word"])
        featurizer.char.set_params(vocabulary=vocab["char"])
        featurizer.word.idf_ = weights["word_idf"]
        featurizer.char.idf_ = weights["char_idf"]
        return featurizer

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return sparse.hstack(
            [self.word.transform(texts), self.char.transform(texts)], format="csr"
        ).astype(np.float32)


# How the three feature families are combined for each model variant. Embedding and style
# columns are scaled so that no family swamps the others under one regularisation strength.
VARIANTS = ("tfidf", "minilm", "combined")
EMBEDDING_SCALE = 2.0
STYLE_SCALE = 1.0


def assemble(
    variant: str,
    tfidf: sparse.csr_matrix | None,
    embeddings: FloatMatrix | None,
    style: FloatMatrix,
) -> sparse.csr_matrix | FloatMatrix:
    style_part = style * STYLE_SCALE
    if variant == "tfidf":
        assert tfidf is not None
        return sparse.hstack([tfidf, sparse.csr_matrix(style_part)], format="csr")
    if variant == "minilm":
        assert embeddings is not None
        return np.hstack([embeddings * EMBEDDING_SCALE, style_part]).astype(np.float32)
    if variant == "combined":
        assert tfidf is not None and embeddings is not None
        dense = sparse.csr_matrix(np.hstack([embeddings * EMBEDDING_SCALE, style_part]))
        return sparse.hstack([tfidf, dense], format="csr")
    raise ValueError(f"unknown feature variant {variant!r}")
