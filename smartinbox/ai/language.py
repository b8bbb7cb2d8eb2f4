"""Language of a message (ISO 639-1), or "und" when there is no language to detect.

py3langid's model also knows labels that are not ISO 639-1 codes ("zxx": no linguistic
content) and gives low, spread-out probabilities for gibberish and very short texts; all of
those become "und", as does a message the gibberish head flags.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

# Fewer letters than this is too little text to name a language ("ok", "?!", "4829 1123").
MIN_LETTERS = 4
MIN_PROBABILITY = 0.5
GIBBERISH_CUTOFF = 0.5
# The gibberish head learned from English text; a sentence langid is sure about ("Hoe kan ik
# mijn wachtwoord wijzigen?") is language even when its letters look unusual to that head.
CONFIDENT = 0.9


@dataclass(frozen=True)
class DetectedLanguage:
    code: str
    confidence: float


class LanguageDetector:
    def __init__(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier: Any = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def detect(self, text: str, gibberish: float = 0.0) -> DetectedLanguage:
        letters = sum(ch.isalpha() for ch in text)
        if letters < MIN_LETTERS:
            return DetectedLanguage("und", 0.9)
        code, probability = self._identifier.classify(text)
        probability = float(probability)
        valid = len(code) == 2
        if gibberish >= GIBBERISH_CUTOFF and not (valid and probability >= CONFIDENT):
            return DetectedLanguage("und", round(float(gibberish), 4))
        if not valid or probability < MIN_PROBABILITY:
            return DetectedLanguage("und", round(max(1.0 - probability, 0.5), 4))
        return DetectedLanguage(str(code), round(probability, 4))


_shared: LanguageDetector | None = None
_shared_lock = threading.Lock()


def shared_detector() -> LanguageDetector:
    """One detector per process: its model is about 100 MB, and detecting changes nothing in it,
    so every engine and judge can use the same one from any thread."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LanguageDetector()
        return _shared
