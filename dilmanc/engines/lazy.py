"""An engine whose model loads when a sentence first needs it.

A run that the translation memory and the machine cache serve entirely translates nothing, so
it should not pay for loading a model (seconds, and for a Hugging Face model the import of
torch and transformers). `LazyEngine` answers everything a run asks before decoding from the
model's small files: the languages it serves (pair checks), its source token limit and token
counts (fitting over-long sentences), and what identifies its outputs (machine-cache keys,
`identity`). These come from the sentencepiece codec (`SpmCodec`, no torch, no transformers;
the Hugging Face tokenizer only for a model the codec cannot read), and stay the same once the
model has loaded, so a sentence is cut and keyed the same way in every run.

The model itself loads on the first decode, or on `load()`. A model that cannot load fails
there with its one-line ModelUnavailable; a spec that names no model fails earlier, when the
engine is made (`dilmanc.engines.registry.load_engine(..., lazy=True)` resolves it first).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dilmanc.engines.base import (
    DecodeOptions,
    Engine,
    TokenizedEngine,
    TranslationResult,
    thread_layout,
)
from dilmanc.errors import ModelUnavailable
from dilmanc.languages import Language

if TYPE_CHECKING:
    from dilmanc.models.resolve import ResolvedModel

TORCH_DTYPES = ("float32", "float16", "bfloat16")


def light_codec(resolved: ResolvedModel):
    """The language facts and token counts of a model without loading it: the sentencepiece
    codec, or the Hugging Face tokenizer for a directory the codec cannot read (tokenizer.json
    alone) — which then reports a broken file exactly as loading the model would."""
    from dilmanc.engines.spm_codec import SpmCodec

    try:
        return SpmCodec.load(resolved.directory, resolved.pairs)
    except ModelUnavailable:
        if resolved.engine == "ctranslate2":
            raise
    from dilmanc.engines.tokenization import ModelTokenizer

    return ModelTokenizer.load(resolved.directory, resolved.pairs)


def declared_compute_type(resolved: ResolvedModel, device: str, compute_type: str | None) -> str:
    """The compute type the model will run in, known before it loads: the one asked for, else
    CTranslate2's default for the device, else the dtype the Hugging Face config names."""
    if resolved.engine == "ctranslate2":
        from dilmanc.engines.ctranslate2 import default_compute_type

        return compute_type or default_compute_type(device)
    if compute_type:
        return compute_type
    from dilmanc.models.files import json_or_empty

    config = json_or_empty(Path(resolved.directory) / "config.json")
    named = config.get("dtype") or config.get("torch_dtype")
    return named if named in TORCH_DTYPES else "float32"


class LazyEngine(TokenizedEngine):
    """A resolved model that `loader(codec)` loads on first use (see the module docstring)."""

    def __init__(
        self,
        resolved: ResolvedModel,
        loader: Callable[[Any], Engine],
        *,
        model: str,
        device: str = "cpu",
        threads: int = 0,
        compute_type: str | None = None,
        vmap: str | None = "off",
        workload: str = "batch",
    ) -> None:
        from dilmanc.engines.vmap import fingerprint, resolve_vmap

        self.name = resolved.engine
        self.model = model
        self.directory = Path(resolved.directory)
        self.device = device
        inter, intra = thread_layout(threads, workload)
        self.threads = threads or inter * intra
        vmap_file = resolve_vmap(self.directory, vmap)
        self.vmap = f"{vmap_file} ({fingerprint(vmap_file)})" if vmap_file else None
        self.compute_type = declared_compute_type(resolved, device, compute_type)
        self.codec = light_codec(resolved)
        self.architecture = self.codec.architecture
        self._loader = loader
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def load(self) -> Engine:
        """The loaded engine (loading it now, once, if needed)."""
        with self._lock:
            if self._engine is None:
                started = time.perf_counter()
                self._engine = self._loader(self.codec)  # the codec is read once
                self.load_seconds = time.perf_counter() - started
            return self._engine

    # --- before loading: the codec --------------------------------------------------------------
    def _encode(self, texts: list[str], source: Language, target: Language) -> list[Any]:
        return self.codec.encode_tokens(texts, source, target)  # token counts (fitting)

    def identity(self) -> dict:
        return Engine.info(self)

    def info(self) -> dict:
        """The loaded engine's report once it has loaded; what is known before that."""
        return self._engine.info() if self._engine is not None else Engine.info(self)

    # --- decoding: the loaded engine --------------------------------------------------------------
    def _translate_encoded(self, batch, source, target, **decode):  # pragma: no cover
        raise NotImplementedError("LazyEngine decodes through the engine it loads")

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
        self.check_pair(source, target)
        yield from self.load().iter_results(
            texts,
            source,
            target,
            options,
            buffer_size=buffer_size,
            return_attention=return_attention,
            suppress=suppress,
        )

    def translate_results(
        self,
        texts: list[str],
        source: Language,
        target: Language,
        options: DecodeOptions | None = None,
        **kwargs,
    ) -> list[TranslationResult]:
        self.check_pair(source, target)
        return self.load().translate_results(texts, source, target, options, **kwargs)

    def score(self, sources, hypotheses, source, target):
        self.check_pair(source, target)
        return self.load().score(sources, hypotheses, source, target)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
