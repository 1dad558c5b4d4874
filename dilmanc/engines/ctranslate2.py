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
    available_cores,
    suppression_variants,
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
    def open(cls, resolved, *, model, device, threads, compute_type, codec=None) -> CT2Engine:
        """The engine of a resolved model (`dilmanc.engines.registry`)."""
        from dilmanc.engines.spm_codec import SpmCodec

        return cls(
            resolved.directory,
            model=model,
            device=device,
            threads=threads,
            compute_type=compute_type,
            pairs=resolved.pairs,
            codec=codec if isinstance(codec, SpmCodec) else None,
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
    ) -> None:
        """`codec`: the directory's codec when already read (a lazily loaded engine's)."""
        import ctranslate2

        self.directory = Path(directory)
        self.model = model or str(directory)
        self.device = device
        self.threads = threads or available_cores()
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
            self.translator = ctranslate2.Translator(
                str(self.directory),
                device=device,
                compute_type=self.compute_type,
                inter_threads=1,
                intra_threads=self.threads,
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
        prefix_token = None
        if self.architecture == "nllb":
            prefix_token = self.codec.target_token(target)
        # The target prefix counts towards the decoding lengths.
        extra = 1 if prefix_token else 0
        suppressed = [self.codec.target_pieces(text) for text in suppression_variants(suppress)]
        results = self.translator.translate_batch(
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
        )
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

    def close(self) -> None:
        self.translator = None
