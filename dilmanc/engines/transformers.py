"""The transformers engine: `AutoModelForSeq2SeqLM` for MarianMT and NLLB-200 (M2M100) on torch.

NLLB: the tokenizer's `src_lang` is the source code and `generate` gets
`forced_bos_token_id` = the target language token. Marian: the plain model, with a `>>rus<<`
token in front of the source when the model is multi-target. `compute_type` may pick
float16/bfloat16 weights or torch dynamic int8 quantization (CPU).
"""

from __future__ import annotations

from pathlib import Path

from dilmanc.engines.base import TokenizedEngine, available_cores
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
            raise ModelUnavailable("--device cuda: torch sees no CUDA device; use --device cpu")
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
    ) -> list[str]:
        import torch

        padded = self.codec.tokenizer.pad(
            {"input_ids": batch}, padding=True, return_tensors="pt"
        ).to(self.device)
        options: dict = {
            "num_beams": beam_size,
            "max_new_tokens": max_length,
            "do_sample": False,
        }
        if min_length:
            options["min_new_tokens"] = min_length
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
        return self.codec.decode_ids(output.tolist())

    def close(self) -> None:
        self.net = None
