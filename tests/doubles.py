"""Test doubles: Engines that translate by dictionary or by a function, counting calls.

`DictEngine({"Salam.": "Hello."})` returns the dictionary entry for a known segment and
`"<{target iso}> {segment}"` for any other, so tests can see which text reached the model.
`calls` lists every decoded batch (target iso, texts); `seen` counts each segment over all of
them. It runs through the real `Engine` base class, so batching and pair checks are exercised.
`ScriptedEngine(respond)` returns `respond(segment)`: a model that loses or garbles tags.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from dilmanc.engines.base import Engine
from dilmanc.languages import Language


class DictEngine(Engine):
    """A deterministic, instant Engine for pipeline, glossary and CLI tests."""

    name = "dict"

    def __init__(
        self,
        table: dict[str, str] | None = None,
        *,
        model: str = "dict-double",
        targets: tuple[str, ...] = ("en", "ru"),
        source: str = "az",
    ) -> None:
        self.model = model
        self.table = dict(table or {})
        self.targets = targets
        self.source = source
        self.calls: list[tuple[str, list[str]]] = []  # (target iso, batch)
        self.seen: Counter[str] = Counter()

    def supports(self, source: Language, target: Language) -> bool:
        return source.iso == self.source and target.iso in self.targets

    def supported_targets(self) -> list[str]:
        return list(self.targets)

    def describe_languages(self) -> str:
        return ", ".join(f"{self.source}→{iso}" for iso in self.targets)

    def _encode(self, texts: list[str], source: Language, target: Language) -> list[list[str]]:
        return [text.split(" ") for text in texts]  # one "token" per space-separated word

    def _translate_encoded(
        self, batch: list[list[str]], source: Language, target: Language, **decode: int
    ) -> list[str]:
        texts = [" ".join(tokens) for tokens in batch]
        self.calls.append((target.iso, texts))
        self.seen.update(texts)
        return [self.table.get(text, f"<{target.iso}> {text}") for text in texts]

    @property
    def segments_translated(self) -> int:
        """How many segments the engine was asked to translate, over all calls."""
        return sum(len(batch) for _, batch in self.calls)


class ScriptedEngine(DictEngine):
    """An Engine whose output is `respond(segment)`: a model that shortens, loses or garbles
    the tags it was sent (no attention, so tags it loses are placed by the fallback)."""

    name = "scripted"

    def __init__(self, respond: Callable[[str], str], **kwargs) -> None:
        super().__init__(model="scripted-double", **kwargs)
        self.respond = respond

    def _translate_encoded(
        self, batch: list[list[str]], source: Language, target: Language, **decode: int
    ) -> list[str]:
        texts = [" ".join(tokens) for tokens in batch]
        self.calls.append((target.iso, texts))
        self.seen.update(texts)
        return [self.respond(text) for text in texts]


def use_for_every_model(monkeypatch, engine: Engine) -> Engine:
    """Make every `--model` (any spec) load `engine`, for CLI tests without real models."""
    monkeypatch.setattr("dilmanc.engines.registry.load_engine", lambda spec, **kwargs: engine)
    return engine


def translate_document(document, engine: Engine, target: str = "en") -> dict:
    """Every unit of `document` through a Pipeline over `engine`: unit id → Translated."""
    from dilmanc.languages import resolve
    from dilmanc.pipeline.pipeline import Pipeline

    out: dict = {}
    pipeline = Pipeline({target: engine}, resolve("az"))
    emit = lambda _, chunk: out.update({t.unit.id: t for t in chunk})  # noqa: E731
    pipeline.translate_units(document.units(), [resolve(target)], emit)
    return out


class CarelessEngine(DictEngine):
    """A model that mangles what it takes for words: the table's entry (or the text itself)
    comes back with no-break spaces and bidi marks dropped, a space after every `%`, the `$`
    of `${…}` dropped, references spaced out (`& nbsp;`), and ICU keywords translated ("plural" →
    "cəm"); inline tags (`<g1>…</g1>`, `<x2/>`) are copied, unless `drop_tags` removes the
    empty ones. `calls`/`seen` record what reached it, as in DictEngine."""

    name = "careless"

    def __init__(self, table: dict[str, str] | None = None, *, drop_tags: bool = False) -> None:
        super().__init__(table)
        self.drop_tags = drop_tags

    def _translate_encoded(
        self, batch: list[list[str]], source: Language, target: Language, **decode: int
    ) -> list[str]:
        texts = [" ".join(tokens) for tokens in batch]
        self.calls.append((target.iso, texts))
        self.seen.update(texts)
        return [self.mangle(self.table.get(text, text)) for text in texts]

    def mangle(self, text: str) -> str:
        text = re.sub("[\u00a0\u202f\u200e\u200f]", "", text)
        text = re.sub(r"%(?=\S)", "% ", text)
        text = re.sub(r"&(?=[#A-Za-z])", "& ", text.replace("${", "{"))
        text = re.sub(r"\bplural\b", "cəm", text)
        return re.sub(r"<x\d+/>", "", text) if self.drop_tags else text


def translate_and_write(document, engine: Engine, iso: str = "en"):
    """`document` through a Pipeline on `engine` from Azerbaijani into `iso`: (what its writer
    wrote, the pipeline's report)."""
    import io

    from dilmanc.languages import resolve
    from dilmanc.pipeline.pipeline import Pipeline

    lang = resolve(iso)
    pipeline = Pipeline({iso: engine}, resolve("az"))
    done: dict = {}
    pipeline.translate_units(
        document.units(), [lang], lambda _, chunk: done.update({t.unit.id: t for t in chunk})
    )
    out = io.BytesIO() if document.binary else io.StringIO()
    document.write(out, lang, done)
    return out.getvalue(), pipeline.report()
