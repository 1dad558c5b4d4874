"""The CTranslate2 engine: a converted model directory (`model.bin` + the tokenizer files).

Source text is tokenized with sentencepiece and the model's own vocabulary files
(`SpmCodec`: no torch, no transformers), NLLB sources carrying their language token. NLLB gets
`target_prefix=[[lang_token]]`, which is stripped from the output; Marian decodes with its
target sentencepiece model. Compute type follows the device: int8 on CPU, int8_float16 on CUDA.
"""

from __future__ import annotations

from pathlib import Path

from dilmanc.engines.base import (
    Hypothesis,
    TokenizedEngine,
    TranslationResult,
    suppression_variants,
    thread_layout,
)
from dilmanc.engines.spm_codec import SpmCodec
from dilmanc.errors import ModelUnavailable
from dilmanc.languages import Language

DEFAULT_COMPUTE_TYPES = {"cpu": "int8", "cuda": "int8_float16"}


def default_compute_type(device: str) -> str:
    return DEFAULT_COMPUTE_TYPES.get(device, "default")


class CT2Engine(TokenizedEngine):
    name = "ctranslate2"

    @classmethod
    def open(
        cls, resolved, *, model, device, threads, compute_type, codec=None, **options
    ) -> CT2Engine:
        """The engine of a resolved model (`dilmanc.engines.registry`); `options`: `vmap`
        and `workload` (see `__init__`)."""
        from dilmanc.engines.spm_codec import SpmCodec

        return cls(
            resolved.directory,
            model=model,
            device=device,
            threads=threads,
            compute_type=compute_type,
            pairs=resolved.pairs,
            codec=codec if isinstance(codec, SpmCodec) else None,
            **options,
        )

    def __init__(
        self,
        directory: str | Path,
        *,
        model: str | None = None,
        device: str = "cpu",
        threads: int = 0,
        compute_type: str | None = None,
        pairs: tuple[tuple[str, str], ...] = (),
        codec: SpmCodec | None = None,
        vmap: str | None = "off",
        workload: str = "batch",
    ) -> None:
        """`codec`: the directory's codec when already read (a lazily loaded engine's);
        `vmap`: "off", "auto" (the model's vmap.txt if it has one) or a vmap file
        (`dilmanc.engines.vmap`); `workload`: "single" or "batch" chooses the threads layout
        when `threads` is 0 (`thread_layout`)."""
        import ctranslate2

        from dilmanc.engines.vmap import fingerprint, model_directory_with, resolve_vmap

        self.directory = Path(directory)
        self.model = model or str(directory)
        self.device = device
        self.inter_threads, intra = thread_layout(threads, workload)
        self.threads = threads or self.inter_threads * intra
        vmap_file = resolve_vmap(self.directory, vmap)
        self.vmap = f"{vmap_file} ({fingerprint(vmap_file)})" if vmap_file else None
        self.compute_type = compute_type or default_compute_type(device)
        if device == "cuda" and ctranslate2.get_cuda_device_count() == 0:
            raise ModelUnavailable(
                "cuda: CTranslate2 sees no CUDA device",
                setting="device",
                template="{option} {problem}; use {option} cpu",
            )
        if device not in ("cpu", "cuda"):
            raise ModelUnavailable(f"unknown device {device!r} (use cpu or cuda)")
        if not (self.directory / "model.bin").is_file():
            raise ModelUnavailable(f"{self.directory} has no model.bin (not a CTranslate2 model)")
        self.codec = codec or SpmCodec.load(self.directory, pairs)
        self.architecture = self.codec.architecture
        try:
            loaded = model_directory_with(self.directory, vmap_file) if vmap_file else directory
            self.translator = ctranslate2.Translator(
                str(loaded),
                device=device,
                compute_type=self.compute_type,
                inter_threads=self.inter_threads,
                intra_threads=intra,
            )
        except (RuntimeError, ValueError, OSError) as err:
            line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelUnavailable(
                f"cannot load the CTranslate2 model in {directory}: {line}"
            ) from None

    def _encode(self, texts: list[str], source: Language, target: Language) -> list[list[str]]:
        return self.codec.encode_tokens(texts, source, target)

    def _translate_encoded(
        self,
        batch: list[list[str]],
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
        decode = {
            "beam_size": beam_size,
            "max_length": max_length,
            "min_length": min_length,
            "num_hypotheses": num_hypotheses,
            "return_attention": return_attention,
            "suppress": suppress,
        }
        results = self._submit(batch, target, **decode)
        return self._results(batch, target, results, return_attention)

    def _translate_batches(self, batches, source, target, **decode):
        """With several translators (inter_threads > 1) every batch is submitted at once and
        CTranslate2 decodes them side by side; results are read in order."""
        if self.inter_threads < 2 or len(batches) < 2:
            return super()._translate_batches(batches, source, target, **decode)
        pending = [self._submit(batch, target, asynchronous=True, **decode) for batch in batches]
        return [
            self._results(
                batch, target, [item.result() for item in waiting], decode.get("return_attention")
            )
            for batch, waiting in zip(batches, pending, strict=True)
        ]

    def _prefix(self, target: Language) -> str | None:
        return self.codec.target_token(target) if self.architecture == "nllb" else None

    def _submit(
        self,
        batch: list[list[str]],
        target: Language,
        *,
        beam_size: int,
        max_length: int,
        min_length: int,
        num_hypotheses: int = 1,
        return_attention: bool = False,
        suppress: tuple[str, ...] = (),
        asynchronous: bool = False,
    ):
        prefix_token = self._prefix(target)
        # The target prefix counts towards the decoding lengths.
        extra = 1 if prefix_token else 0
        suppressed = [self.codec.target_pieces(text) for text in suppression_variants(suppress)]
        return self.translator.translate_batch(
            batch,
            target_prefix=[[prefix_token]] * len(batch) if prefix_token else None,
            beam_size=beam_size,
            num_hypotheses=num_hypotheses,
            return_scores=True,
            return_attention=return_attention,
            max_decoding_length=max_length + extra,
            min_decoding_length=(min_length + extra) if min_length else 1,
            max_input_length=self.codec.max_source_tokens,
            suppress_sequences=[seq for seq in suppressed if seq] or None,
            use_vmap=self.vmap is not None,
            asynchronous=asynchronous,
        )

    def _results(
        self, batch, target: Language, results, return_attention=False
    ) -> list[TranslationResult]:
        prefix_token = self._prefix(target)
        out = []
        for tokens_in, result in zip(batch, results, strict=True):
            hypotheses = []
            for tokens in result.hypotheses:
                if prefix_token and tokens and tokens[0] == prefix_token:
                    tokens = tokens[1:]
                hypotheses.append(tokens)
            texts = self.codec.decode_tokens(hypotheses)
            scores = list(result.scores) if result.scores else [None] * len(texts)
            attention = None
            if return_attention and result.attention:
                rows = result.attention[0]
                if prefix_token and len(rows) > len(hypotheses[0]):
                    rows = rows[len(rows) - len(hypotheses[0]) :]
                attention = rows  # lists as CTranslate2 returns them (no copy)
            out.append(
                TranslationResult(
                    texts[0],
                    scores[0],
                    tokens=tuple(hypotheses[0]),
                    source_tokens=tuple(tokens_in),
                    attention=attention,
                    alternatives=tuple(
                        Hypothesis(text, score)
                        for text, score in zip(texts[1:], scores[1:], strict=True)
                    ),
                )
            )
        return out

    def _score_pairs(self, sources, hypotheses, source, target) -> list[float]:
        """CTranslate2 `score_batch`: per-token log-probabilities of each hypothesis (the
        NLLB language token left out), their mean."""
        prefix = self._prefix(target)
        targets = [[prefix] * bool(prefix) + self.codec.target_pieces(text) for text in hypotheses]
        results = self.translator.score_batch(
            self._encode(sources, source, target),
            targets,
            max_input_length=self.codec.max_source_tokens,
        )
        skip = 1 if prefix else 0
        return [_mean(result.log_probs[skip:]) for result in results]

    def close(self) -> None:
        self.translator = None


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
