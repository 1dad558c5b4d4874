"""Pivot translation: two engines in a row, source → pivot language → target.

OPUS-MT has az→en and en→ru but no az→ru; `opus-mt-az-en+opus-mt-en-ru` (the preset
`opus-mt-az-en-ru`) chains them, which gives a route to Russian under Apache-2.0 where
NLLB-200 is CC-BY-NC. `PivotEngine` is an Engine, so anything that translates can use it;
it says its two legs (`legs`), which the pipeline runs itself, so that a glossary's English
term is enforced on the first leg and mapped to the Russian term on the second
(`dilmanc.glossary.pivot.pivot_glossary`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from dilmanc.engines.base import DecodeOptions, Engine, Leg, TranslationResult
from dilmanc.languages import Language, resolve


class PivotEngine(Engine):
    """`first` translates into `pivot`, `second` from `pivot` into the target."""

    name = "pivot"

    def __init__(self, first: Engine, second: Engine, pivot: Language | None = None) -> None:
        self.first = first
        self.second = second
        self.pivot = pivot or resolve("en")
        self.model = f"{first.model}+{second.model}"
        self.architecture = f"{first.architecture}+{second.architecture}"

    def legs(self, source: Language, target: Language) -> list[Leg]:
        return [Leg(self.first, source, self.pivot), Leg(self.second, self.pivot, target)]

    def with_legs(self, wrap) -> PivotEngine:
        return PivotEngine(self.first.with_legs(wrap), self.second.with_legs(wrap), self.pivot)

    def supports(self, source: Language, target: Language) -> bool:
        return self.first.supports(source, self.pivot) and self.second.supports(self.pivot, target)

    def supported_targets(self) -> list[str]:
        return self.second.supported_targets()

    def describe_languages(self) -> str:
        return (
            f"{self.first.describe_languages()} then {self.second.describe_languages()} "
            f"(pivot {self.pivot.iso})"
        )

    @property
    def max_source_tokens(self) -> int | None:  # type: ignore[override]
        return self.first.max_source_tokens

    def count_tokens(self, text: str, source: Language | None = None) -> int:
        return self.first.count_tokens(text, source)

    def _encode(self, texts, source, target):  # pragma: no cover - legs encode for themselves
        raise NotImplementedError

    def _translate_encoded(self, batch, source, target, **decode):  # pragma: no cover
        raise NotImplementedError

    def iter_results(
        self,
        texts: Iterable[str],
        source: Language,
        target: Language,
        options: DecodeOptions | None = None,
        *,
        buffer_size: int | None = None,
        return_attention: bool = False,
        suppress: Sequence[str] = (),
    ) -> Iterator[TranslationResult]:
        """The second leg's results over the first leg's best outputs (attention, when asked
        for, is the second leg's over the pivot text)."""
        self.check_pair(source, target)
        single = DecodeOptions(**{**(options or DecodeOptions()).as_dict(), "num_hypotheses": 1})
        middle = (
            r.text
            for r in self.first.iter_results(
                texts, source, self.pivot, single, buffer_size=buffer_size
            )
        )
        yield from self.second.iter_results(
            middle,
            self.pivot,
            target,
            options,
            buffer_size=buffer_size,
            return_attention=return_attention,
            suppress=suppress,
        )

    def _translate_buffer(self, buffer, source, target, options, return_attention, **extra):
        return list(
            self.iter_results(
                buffer, source, target, options, buffer_size=len(buffer) or 1,
                return_attention=return_attention, suppress=extra.get("suppress", ()),
            )
        )  # fmt: skip

    def load(self) -> Engine:
        self.first.load()
        self.second.load()
        return self

    @property
    def load_seconds(self) -> float:  # type: ignore[override]
        return self.first.load_seconds + self.second.load_seconds

    def info(self) -> dict:
        return self._combined(self.first.info(), self.second.info())

    def identity(self) -> dict:
        return self._combined(self.first.identity(), self.second.identity())

    def _combined(self, first: dict, second: dict) -> dict:
        return {
            "model": self.model,
            "engine": f"{first['engine']}+{second['engine']}",
            "architecture": self.architecture,
            "directory": f"{first['directory']}+{second['directory']}",
            "device": first["device"],
            "compute_type": f"{first['compute_type']}+{second['compute_type']}",
            "threads": first["threads"],
            "legs": [first, second],
        }
