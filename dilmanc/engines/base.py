"""The engine interface (`Translator`) and the template most backends build on (`Engine`).

`Translator` is what the pipeline, the server and the evaluator use: languages, rich results,
legs, identity. `Engine` implements it with token-budget batching: subclasses encode
segments into model tokens (`_encode`) and decode batches of encoded segments
(`_translate_encoded`); the base class does everything else once: pair checks, empty
segments, sorting by length, batches bounded by a token budget, and streaming over
iterables with results in input order.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from dilmanc.errors import UsageError
from dilmanc.languages import Language

if TYPE_CHECKING:
    from dilmanc.engines.tokenization import ModelTokenizer

DEFAULT_BEAM_SIZE = 4
DEFAULT_MAX_LENGTH = 256
DEFAULT_BATCH_TOKENS = 2048
DEFAULT_MAX_BATCH_SIZE = 64


@dataclass(frozen=True)
class DecodeOptions:
    """How an engine decodes: beam width, output length, batch limits, n-best size."""

    beam_size: int = DEFAULT_BEAM_SIZE
    max_length: int = DEFAULT_MAX_LENGTH
    batch_tokens: int = DEFAULT_BATCH_TOKENS  # token budget per batch (incl. padding)
    batch_size: int = 0  # most segments per batch; 0 = the engine's default
    min_length: int = 0  # shortest output in tokens; benchmarks set min = max (fixed work)
    num_hypotheses: int = 1  # n-best size (1: only the best)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Hypothesis:
    """One further entry of an n-best list."""

    text: str
    score: float | None = None


@dataclass(frozen=True)
class TranslationResult:
    """What an engine returns for one segment.

    `score` is the model's log-probability score of `text` (None when the engine gives
    none). With attention requested, `source_tokens` are the pieces the model read (special
    tokens included), `tokens` the output pieces (special tokens removed) and `attention[i][j]`
    the weight of output piece i on source piece j: the alignment used to place tags.
    `alternatives` holds hypotheses 2..n when an n-best list was asked for.
    """

    text: str
    score: float | None = None
    tokens: tuple[str, ...] = ()
    source_tokens: tuple[str, ...] = ()
    attention: Sequence[Sequence[float]] | None = None
    alternatives: tuple[Hypothesis, ...] = ()

    @property
    def hypotheses(self) -> tuple[Hypothesis, ...]:
        """The whole n-best list, best first."""
        return (Hypothesis(self.text, self.score), *self.alternatives)


@dataclass(frozen=True)
class Leg:
    """One model call of a translation: `engine` from `source` into `target`."""

    engine: Translator
    source: Language
    target: Language


@runtime_checkable
class Translator(Protocol):
    """What every translation backend offers, however it decodes (`Engine` is the template
    for tokenizer-batched models; a remote or rule-based backend may implement this alone)."""

    name: str
    model: str
    architecture: str
    max_batch_size: int
    max_source_tokens: int | None
    load_seconds: float

    def supports(self, source: Language, target: Language) -> bool: ...
    def supported_targets(self) -> list[str]: ...
    def describe_languages(self) -> str: ...
    def check_pair(self, source: Language, target: Language) -> None: ...
    def count_tokens(self, text: str, source: Language | None = None) -> int: ...

    def translate_results(
        self,
        texts: list[str],
        source: Language,
        target: Language,
        options: DecodeOptions | None = None,
        *,
        return_attention: bool = False,
        batch_all: bool = False,
    ) -> list[TranslationResult]: ...

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
    ) -> Iterator[TranslationResult]: ...

    def legs(self, source: Language, target: Language) -> list[Leg]:
        """The model calls that make `source`→`target` (one, or more for a pivot): the
        pipeline runs each leg itself (glossary, tags, checks per leg)."""
        ...

    def with_legs(self, wrap) -> Translator:
        """This translator with each leg's engine replaced by `wrap(engine)` (the server puts
        a batcher in front of each model)."""
        ...

    def info(self) -> dict: ...
    def identity(self) -> dict: ...
    def load(self) -> Translator: ...
    def close(self) -> None: ...


def _as_result(value: TranslationResult | str) -> TranslationResult:
    return value if isinstance(value, TranslationResult) else TranslationResult(value)


def available_cores() -> int:
    """CPU cores this process may run on (respects affinity masks and cgroup cpusets)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


WORKLOADS = ("batch", "single")


def thread_layout(threads: int = 0, workload: str = "batch", cores: int = 0) -> tuple[int, int]:
    """(inter_threads, intra_threads) for an engine: `threads` > 0 is one translator that
    wide; otherwise the work decides. A single sentence gets one translator over every core;
    batches (files, `batch`, the server) get several narrow translators decoding batches side
    by side, at most 4 threads each (inter × intra ≤ cores)."""
    if threads > 0:
        return 1, threads
    cores = cores or available_cores()
    if workload == "single":
        return 1, cores
    intra = min(4, max(1, cores // 4)) if cores >= 8 else 1
    return max(1, cores // intra), intra


def plan_batches(
    lengths: Sequence[int], batch_tokens: int, max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
) -> list[list[int]]:
    """Group indices into batches sorted by length (longest first).

    A batch costs `len(batch) * longest member` padded tokens; it grows while that cost stays
    within `batch_tokens` and it has fewer than `max_batch_size` members. A segment longer than
    the whole budget still gets a batch of its own.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        size = max(1, lengths[i])
        width = max(longest, size)
        if current and (
            width * (len(current) + 1) > batch_tokens or len(current) >= max_batch_size
        ):
            batches.append(current)
            current, width = [], size
        current.append(i)
        longest = width
    if current:
        batches.append(current)
    if len(batches) >= 2 and 2 * len(batches[-1]) < len(batches[-2]):
        # A short leftover batch runs inefficiently: share the last two batches' members out
        # evenly. Each half is no larger than the old second-to-last batch and no longer, so
        # both limits still hold (measured ~6% faster on opus-mt base, benchmarks/).
        tail = batches.pop()
        merged = batches.pop() + tail
        half = (len(merged) + 1) // 2
        batches += [merged[:half], merged[half:]]
    return batches


class Engine(abc.ABC):
    """One loaded translation model. `name` is the backend, `model` what the user asked for."""

    name: str = ""
    model: str = ""
    #: "nllb" or "marian"
    architecture: str = ""
    #: largest number of segments decoded together
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    #: most source tokens the model reads (its tokenizer cuts longer inputs); None: no limit
    max_source_tokens: int | None = None

    # --- what subclasses provide -------------------------------------------------------------
    @abc.abstractmethod
    def supports(self, source: Language, target: Language) -> bool:
        """Whether this model can translate from `source` into `target`."""

    @abc.abstractmethod
    def supported_targets(self) -> list[str]:
        """Target language codes this model can produce, for error messages."""

    @abc.abstractmethod
    def describe_languages(self) -> str:
        """Human-readable summary of supported directions, e.g. "az→en" or "202 NLLB codes"."""

    @abc.abstractmethod
    def _encode(self, texts: list[str], source: Language, target: Language) -> list[Any]:
        """Model input for each text (a sized sequence: `len()` is its token count)."""

    @abc.abstractmethod
    def _translate_encoded(
        self,
        batch: list[Any],
        source: Language,
        target: Language,
        *,
        beam_size: int,
        max_length: int,
        min_length: int,
        num_hypotheses: int = 1,
        return_attention: bool = False,
        suppress: tuple[str, ...] = (),
    ) -> list[TranslationResult]:
        """Decode one batch of `_encode` outputs (test doubles may return plain strings);
        `suppress` lists target-language strings the output must not contain."""

    # --- shared behaviour ---------------------------------------------------------------------
    def count_tokens(self, text: str, source: Language | None = None) -> int:
        """Source tokens the model sees for `text` (special tokens included)."""
        from dilmanc.languages import resolve

        src = source or resolve("az")
        return len(self._encode([text], src, src)[0])

    def check_pair(self, source: Language, target: Language) -> None:
        """UsageError naming what the model supports when it cannot do `source`→`target`."""
        if not self.supports(source, target):
            raise UsageError(
                f"model {self.model} cannot translate {source.iso}→{target.iso}; "
                f"it supports {self.describe_languages()}"
            )

    def translate_batch(
        self,
        texts: list[str],
        source: Language,
        target: Language,
        *,
        beam_size: int = DEFAULT_BEAM_SIZE,
        max_length: int = DEFAULT_MAX_LENGTH,
        min_length: int = 0,
    ) -> list[str]:
        """Translate `texts` as given (one decode call); blank texts come back empty."""
        options = DecodeOptions(beam_size=beam_size, max_length=max_length, min_length=min_length)
        results = self.translate_results(texts, source, target, options, batch_all=True)
        return [result.text for result in results]

    def translate_iterable(
        self,
        texts: Iterable[str],
        source: Language,
        target: Language,
        *,
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
        max_batch_size: int | None = None,
        buffer_size: int | None = None,
        beam_size: int = DEFAULT_BEAM_SIZE,
        max_length: int = DEFAULT_MAX_LENGTH,
        min_length: int = 0,
    ) -> Iterator[str]:
        """Stream translations of `texts` in input order (see `iter_results`)."""
        options = DecodeOptions(
            beam_size=beam_size,
            max_length=max_length,
            batch_tokens=batch_tokens,
            batch_size=max_batch_size or 0,
            min_length=min_length,
        )
        for result in self.iter_results(texts, source, target, options, buffer_size=buffer_size):
            yield result.text

    def translate_results(
        self,
        texts: list[str],
        source: Language,
        target: Language,
        options: DecodeOptions | None = None,
        *,
        return_attention: bool = False,
        batch_all: bool = False,
    ) -> list[TranslationResult]:
        """Rich results for `texts`, batched by the token budget (`batch_all`: one batch)."""
        options = options or DecodeOptions()
        if batch_all:
            self.check_pair(source, target)
            return self._translate_buffer(
                list(texts), source, target, options, return_attention, one_batch=True
            )
        return list(
            self.iter_results(
                texts, source, target, options, buffer_size=len(texts) or 1,
                return_attention=return_attention,
            )
        )  # fmt: skip

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
        """Stream results of `texts` in input order (`suppress`: target strings never to
        produce, e.g. a glossary's forbidden renderings).

        Reads up to `buffer_size` segments at a time (memory stays bounded by the buffer),
        sorts them by token length, decodes batches of at most `options.batch_tokens` padded
        tokens and `options.batch_size` segments, and yields the buffer's results in order.
        """
        options = options or DecodeOptions()
        self.check_pair(source, target)
        if options.batch_tokens < 1:
            raise UsageError(f"token budget must be positive, got {options.batch_tokens}")
        size_cap = options.batch_size or self.max_batch_size
        buffer_cap = buffer_size or max(256, 16 * size_cap)
        extra = {"suppress": tuple(suppress)} if suppress else {}
        buffer: list[str] = []
        for text in texts:
            buffer.append(text)
            if len(buffer) >= buffer_cap:
                yield from self._translate_buffer(
                    buffer, source, target, options, return_attention, **extra
                )
                buffer = []
        if buffer:
            yield from self._translate_buffer(
                buffer, source, target, options, return_attention, **extra
            )

    def _translate_buffer(
        self,
        buffer: list[str],
        source: Language,
        target: Language,
        options: DecodeOptions,
        return_attention: bool,
        *,
        one_batch: bool = False,
        suppress: tuple[str, ...] = (),
    ) -> list[TranslationResult]:
        keep = [i for i, text in enumerate(buffer) if text.strip()]
        out = [TranslationResult("")] * len(buffer)
        if not keep:
            return out
        encoded = self._encode([buffer[i] for i in keep], source, target)
        decode = {
            "beam_size": max(options.beam_size, options.num_hypotheses),
            "max_length": options.max_length,
            "min_length": options.min_length,
        }
        if options.num_hypotheses > 1:
            decode["num_hypotheses"] = options.num_hypotheses
        if return_attention:
            decode["return_attention"] = True
        if suppress:
            decode["suppress"] = suppress
        if one_batch:
            batches = [list(range(len(encoded)))]
        else:
            size_cap = options.batch_size or self.max_batch_size
            batches = plan_batches([len(e) for e in encoded], options.batch_tokens, size_cap)
        decoded = self._translate_batches(
            [[encoded[j] for j in batch] for batch in batches], source, target, **decode
        )
        for batch, results in zip(batches, decoded, strict=True):
            for j, result in zip(batch, results, strict=True):
                out[keep[j]] = _as_result(result)
        return out

    def _translate_batches(
        self, batches: list[list[Any]], source: Language, target: Language, **decode
    ) -> list[list[TranslationResult]]:
        """Decode several batches (one after another here; an engine with several workers
        decodes them side by side)."""
        return [self._translate_encoded(batch, source, target, **decode) for batch in batches]

    def score(
        self, sources: list[str], hypotheses: list[str], source: Language, target: Language
    ) -> list[float | None] | None:
        """The model's length-normalised log-probability of each given translation of each
        source (forced decoding; None for a blank pair), or None when this engine cannot
        score (a pivot, a test double)."""
        return None

    def legs(self, source: Language, target: Language) -> list[Leg]:
        """One leg: this engine translates `source`→`target` itself."""
        return [Leg(self, source, target)]

    def with_legs(self, wrap) -> Translator:
        return wrap(self)

    def info(self) -> dict:
        """What a run report should say about this engine (JSON-able)."""
        fields = ("model", "name", "architecture", "directory", "device", "compute_type", "threads")
        fields += ("vmap",) if getattr(self, "vmap", None) else ()
        info = {key: getattr(self, key, None) for key in fields}
        info["engine"] = info.pop("name")
        info["directory"] = str(info["directory"]) if info["directory"] is not None else None
        return info

    def identity(self) -> dict:
        """`info()` as known before the model loads, the same whether it has loaded or not:
        what identifies this engine's outputs (machine-cache keys)."""
        return self.info()

    def load(self) -> Engine:
        """Load the model now if it loads lazily (`dilmanc.engines.lazy`); returns the engine
        that decodes. Engines loaded when made return themselves."""
        return self

    #: seconds spent loading the model on first use (lazily loaded engines)
    load_seconds: float = 0.0

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release model memory early (engines are otherwise freed with the process)."""


def suppression_variants(strings: Sequence[str]) -> list[str]:
    """Each string as written and with a capital first letter (sentence-initial)."""
    out: dict[str, None] = {}
    for text in strings:
        text = text.strip()
        if text:
            out[text] = None
            out[text[0].upper() + text[1:]] = None
    return list(out)


class TokenizedEngine(Engine):
    """An engine over a Hugging Face tokenizer (`self.codec`, a ModelTokenizer), which knows
    the directions the model supports; the transformers and CTranslate2 engines share it."""

    codec: ModelTokenizer

    def supports(self, source: Language, target: Language) -> bool:
        return self.codec.supports(source, target)

    def supported_targets(self) -> list[str]:
        return self.codec.supported_targets()

    def describe_languages(self) -> str:
        return self.codec.describe()

    @property
    def max_source_tokens(self) -> int | None:  # type: ignore[override]
        return self.codec.max_source_tokens

    def score(
        self, sources: list[str], hypotheses: list[str], source: Language, target: Language
    ) -> list[float | None] | None:
        self.check_pair(source, target)
        keep = [
            i
            for i, (s, h) in enumerate(zip(sources, hypotheses, strict=True))
            if s.strip() and h.strip()
        ]
        out: list[float | None] = [None] * len(sources)
        if keep:
            found = self._score_pairs(
                [sources[i] for i in keep], [hypotheses[i] for i in keep], source, target
            )
            for i, value in zip(keep, found, strict=True):
                out[i] = value
        return out

    def _score_pairs(
        self, sources: list[str], hypotheses: list[str], source: Language, target: Language
    ) -> list[float]:
        """Mean log-probability of each hypothesis' pieces (end of sentence included) given
        its source, for non-blank pairs."""
        raise NotImplementedError
