"""The transformers engine: `AutoModelForSeq2SeqLM` for MarianMT and NLLB-200 (M2M100) on torch.

NLLB: the tokenizer's `src_lang` is the source code and `generate` gets
`forced_bos_token_id` = the target language token. Marian: the plain model, with a `>>rus<<`
token in front of the source when the model is multi-target. `compute_type` may pick
float16/bfloat16 weights or torch dynamic int8 quantization (CPU).
"""

from __future__ import annotations

import threading
from pathlib import Path

from dilmanc.engines.base import (
    Hypothesis,
    TokenizedEngine,
    TranslationResult,
    available_cores,
    suppression_variants,
)
from dilmanc.engines.tokenization import ModelTokenizer
from dilmanc.errors import ModelUnavailable
from dilmanc.languages import Language


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _quantize_dynamic_int8(net):
    """torch dynamic int8 quantization of every Linear layer (weights int8, CPU only)."""
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # deprecated in favour of torchao, still the stock path
        warnings.simplefilter("ignore")
        return quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)


class TransformersEngine(TokenizedEngine):
    name = "transformers"

    @classmethod
    def open(
        cls, resolved, *, model, device, threads, compute_type, codec=None
    ) -> TransformersEngine:
        """The engine of a resolved model (`dilmanc.engines.registry`)."""
        from dilmanc.engines.registry import _torch_compute_type
        from dilmanc.models.files import quiet_transformers

        quiet_transformers()
        return cls(
            resolved.directory,
            model=model,
            device=device,
            threads=threads,
            pairs=resolved.pairs,
            compute_type=_torch_compute_type(compute_type),
        )

    def __init__(
        self,
        directory: str | Path,
        *,
        model: str | None = None,
        device: str = "cpu",
        threads: int = 0,
        pairs: tuple[tuple[str, str], ...] = (),
        compute_type: str | None = None,
    ) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM

        self.directory = Path(directory)
        self.model = model or str(directory)
        self.device = device
        self.threads = threads or available_cores()
        if device == "cuda" and not torch.cuda.is_available():
            raise ModelUnavailable(
                "cuda: torch sees no CUDA device",
                setting="device",
                template="{option} {problem}; use {option} cpu",
            )
        if device not in ("cpu", "cuda"):
            raise ModelUnavailable(f"unknown device {device!r} (use cpu or cuda)")
        torch.set_num_threads(self.threads)
        self.codec = ModelTokenizer.load(self.directory, pairs)
        self.architecture = self.codec.architecture
        kwargs = {}
        if compute_type in ("float32", "float16", "bfloat16"):
            kwargs["dtype"] = getattr(torch, compute_type)
        elif compute_type == "int8" and device != "cpu":
            raise ModelUnavailable("torch dynamic int8 quantization runs on CPU only")
        try:
            net = AutoModelForSeq2SeqLM.from_pretrained(str(self.directory), **kwargs)
        except Exception as err:
            raise ModelUnavailable(
                f"cannot load the model in {self.directory}: {_first_line(err)}"
            ) from None
        self.net = net.to(device).eval()
        self._attention_lock = threading.Lock()
        self.compute_type = str(next(self.net.parameters()).dtype).removeprefix("torch.")
        if compute_type == "int8":
            self.net = _quantize_dynamic_int8(self.net)
            self.compute_type = "int8"

    def _encode(self, texts: list[str], source: Language, target: Language) -> list[list[int]]:
        return self.codec.encode_ids(texts, source, target)

    def _translate_encoded(
        self,
        batch: list[list[int]],
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
        import torch

        padded = self.codec.tokenizer.pad(
            {"input_ids": batch}, padding=True, return_tensors="pt"
        ).to(self.device)
        options: dict = {
            "num_beams": beam_size,
            "num_return_sequences": num_hypotheses,
            "max_new_tokens": max_length,
            "do_sample": False,
            "return_dict_in_generate": True,
            "output_scores": True,
        }
        if min_length:
            options["min_new_tokens"] = min_length
        if suppress:
            tok = self.codec.tokenizer
            options["bad_words_ids"] = [
                tok.convert_tokens_to_ids(self.codec.target_pieces(text))
                for text in suppression_variants(suppress)
            ]
        if self.architecture == "nllb":
            # The target language token is the first generated token; it counts as one.
            options["forced_bos_token_id"] = self.codec.tokenizer.convert_tokens_to_ids(
                self.codec.target_token(target)
            )
            options["max_new_tokens"] = max_length + 1
            if min_length:
                options["min_new_tokens"] = min_length + 1
        with torch.inference_mode():
            output = self.net.generate(
                input_ids=padded["input_ids"], attention_mask=padded["attention_mask"], **options
            )
        sequences = output.sequences.tolist()
        texts = self.codec.decode_ids(sequences)
        scores = getattr(output, "sequences_scores", None)
        scores = scores.tolist() if scores is not None else [None] * len(texts)
        attention = None
        if return_attention:
            best = output.sequences[::num_hypotheses]
            attention = self._attention(padded, best)
        out = []
        for i, ids in enumerate(batch):
            first = i * num_hypotheses
            tokens, rows = (), None
            if attention is not None:
                tokens, rows = attention[i]
            out.append(
                TranslationResult(
                    texts[first],
                    scores[first],
                    tokens=tokens,
                    source_tokens=tuple(self.codec.tokenizer.convert_ids_to_tokens(ids)),
                    attention=rows,
                    alternatives=tuple(
                        Hypothesis(texts[k], scores[k])
                        for k in range(first + 1, first + num_hypotheses)
                    ),
                )
            )
        return out

    def _attention(self, padded, sequences) -> list[tuple[tuple[str, ...], tuple]]:
        """Cross-attention of the last decoder layer's first head for each chosen output,
        by one forced decoding pass (beam search does not keep per-beam attention): the same
        head CTranslate2 returns. Rows of special tokens (language code, EOS, padding) are
        dropped; source columns are kept for every input piece, padding excluded."""
        import torch

        # Fused attention kernels return no weights: switch to eager for this one pass.
        with self._attention_lock, torch.inference_mode():
            fused = self.net.config._attn_implementation
            self.net.set_attn_implementation("eager")
            try:
                forward = self.net(
                    input_ids=padded["input_ids"],
                    attention_mask=padded["attention_mask"],
                    decoder_input_ids=sequences[:, :-1],
                    output_attentions=True,
                )
            finally:
                self.net.set_attn_implementation(fused)
        weights = forward.cross_attentions[-1][:, 0]  # [batch, target, source]
        special = set(self.codec.tokenizer.all_special_ids)
        out = []
        for b, sequence in enumerate(sequences.tolist()):
            produced = sequence[1:]  # row j predicts sequence[j + 1]
            source_len = int(padded["attention_mask"][b].sum())
            keep = [j for j, token in enumerate(produced) if token not in special]
            tokens = tuple(self.codec.tokenizer.convert_ids_to_tokens([produced[j] for j in keep]))
            rows = tuple(tuple(weights[b, j, :source_len].tolist()) for j in keep)
            out.append((tokens, rows))
        return out

    def _score_pairs(self, sources, hypotheses, source, target) -> list[float]:
        """Forced decoding with the hypotheses as labels: the mean log-probability of their
        pieces and end of sentence (NLLB's forced language token left out)."""
        import torch

        tok = self.codec.tokenizer
        lang = self.codec.target_token(target) if self.architecture == "nllb" else None
        head = [tok.convert_tokens_to_ids(lang)] if lang else []
        labels = [
            head + tok.convert_tokens_to_ids(self.codec.target_pieces(text)) + [tok.eos_token_id]
            for text in hypotheses
        ]
        width = max(map(len, labels))
        padded = self.codec.tokenizer.pad(
            {"input_ids": self._encode(sources, source, target)}, padding=True, return_tensors="pt"
        ).to(self.device)
        label_ids = torch.tensor([ids + [-100] * (width - len(ids)) for ids in labels])
        with torch.inference_mode():
            logits = self.net(**padded, labels=label_ids.to(self.device)).logits.float()
        picked = (
            torch.log_softmax(logits, dim=-1)
            .gather(-1, label_ids.clamp(min=0).unsqueeze(-1).to(self.device))
            .squeeze(-1)
        )
        mask = label_ids.to(self.device) != -100
        mask[:, : len(head)] = False
        return (picked * mask).sum(-1).div(mask.sum(-1).clamp(min=1)).tolist()

    def close(self) -> None:
        self.net = None
