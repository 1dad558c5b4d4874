"""A third engine for the registry tests: a word-for-word dictionary in `wordlist.json`.

It is a real `Engine` (the tokenized-batching template: `_encode` and `_translate_encoded`)
that no part of dilmanc knows by name: the tests register it with one line in
`dilmanc.engines.registry.ENGINES`, which is all a new engine needs. Unknown words, numbers
and placeholders are copied; the model directory holds
`{"source": "az", "target": "en", "words": {"salam": "hello", ...}}`.
"""

from __future__ import annotations

import json
from pathlib import Path

from dilmanc.engines.base import Engine, TranslationResult
from dilmanc.errors import ModelUnavailable
from dilmanc.languages import Language

FILE = "wordlist.json"


class WordListEngine(Engine):
    name = "wordlist"
    architecture = "wordlist"

    def __init__(self, directory: Path, *, model: str, source: str, target: str, words: dict):
        self.directory, self.model = directory, model
        self.source, self.target, self.words = source, target, words
        self.device, self.compute_type, self.threads = "cpu", None, 1

    @classmethod
    def claims(cls, directory: Path) -> bool:
        return (Path(directory) / FILE).is_file()

    @classmethod
    def open(cls, resolved, *, model, device, threads, compute_type, codec=None, **options):
        try:
            data = json.loads((resolved.directory / FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ModelUnavailable(f"{resolved.directory}: no readable {FILE} ({err})") from None
        return cls(resolved.directory, model=model, **data)

    def supports(self, source: Language, target: Language) -> bool:
        return (source.iso, target.iso) == (self.source, self.target)

    def supported_targets(self) -> list[str]:
        return [self.target]

    def describe_languages(self) -> str:
        return f"{self.source}→{self.target}"

    def _encode(self, texts, source, target):
        return [text.split() for text in texts]

    def _translate_encoded(self, batch, source, target, **decode) -> list[TranslationResult]:
        return [
            TranslationResult(" ".join(self.words.get(w.lower(), w) for w in words))
            for words in batch
        ]
