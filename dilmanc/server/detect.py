"""Language identification with lingua (a statistical n-gram identifier that knows
Azerbaijani), over the languages dilmanc knows, built once on first use.

`detect(text)` → [Detection(language iso, confidence 0-100)], best first (at most 3).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from dilmanc.languages import LANGUAGES

_LOCK = threading.Lock()
_DETECTOR = None
_TO_ISO: dict = {}


@dataclass(frozen=True)
class Detection:
    language: str
    confidence: float  # 0-100

    def to_json(self) -> dict:
        return {"confidence": self.confidence, "language": self.language}


def _detector():
    global _DETECTOR
    with _LOCK:
        if _DETECTOR is None:
            from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

            wanted = []
            for lang in LANGUAGES:
                code = getattr(IsoCode639_1, lang.iso.upper(), None)
                if code is None:
                    continue
                found = Language.from_iso_code_639_1(code)
                wanted.append(found)
                _TO_ISO[found] = lang.iso
            _DETECTOR = LanguageDetectorBuilder.from_languages(*wanted).build()
        return _DETECTOR


def warm() -> None:
    """Build the detector and load the Azerbaijani, English and Russian models now."""
    detect("Bu gün hava gözəldir. Hello. Привет.")


def detect(text: str, top: int = 3) -> list[Detection]:
    """The likeliest languages of `text`; English with confidence 0 when nothing is found
    (as LibreTranslate answers)."""
    detector = _detector()
    values = detector.compute_language_confidence_values(text)
    out = [
        Detection(_TO_ISO[value.language], round(value.value * 100, 1))
        for value in values[:top]
        if value.value > 0
    ]
    return out or [Detection("en", 0.0)]


def detect_many(texts: list[str]) -> Detection:
    """One language for several texts (a batch request): the best guess for all of them."""
    return detect("\n".join(texts), top=1)[0]
