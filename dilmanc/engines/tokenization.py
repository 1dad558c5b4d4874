"""What both engines need from a model's Hugging Face tokenizer: architecture, languages, codec.

`ModelTokenizer(directory)` loads the tokenizer files of a hub snapshot or of a CTranslate2
conversion (which carries copies of them) and knows, per architecture:

* NLLB-200: languages are the FLORES codes in the vocabulary (`azj_Latn`); the source code is
  set as `tokenizer.src_lang`, the target code is forced as the first target token.
* Marian (opus-mt): one source and one target language from the tokenizer config, the
  preset, or the `opus-mt-SRC-TGT` name; multi-target models mark the target with a `>>rus<<`
  token in front of the source.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from dilmanc.errors import ModelUnavailable
from dilmanc.languages import LANGUAGES, Language, resolve

NLLB_CODE = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")
MARIAN_TARGET = re.compile(r"^>>([A-Za-z_]{2,8})<<$")
OPUS_NAME = re.compile(r"opus-mt-(?:tc-big-|tc-base-)?([a-z]{2,3}(?:_[a-zA-Z]+)?)-([a-z]{2,3})\b")

#: tokenizer files a self-contained model directory needs (copied by `models convert`)
TOKENIZER_FILES = (
    "source.spm",
    "target.spm",
    "vocab.json",
    "target_vocab.json",
    "sentencepiece.bpe.model",
    "spm.model",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "generation_config.json",
)


TOKENIZER_CLASSES = {
    "nllb": "NllbTokenizer",
    "marian": "MarianTokenizer",
}


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def detect_architecture(directory: Path) -> str:
    """ "nllb" or "marian" from the tokenizer files and config of `directory`."""
    tok_class = str(_json(directory / "tokenizer_config.json").get("tokenizer_class", ""))
    model_type = str(_json(directory / "config.json").get("model_type", ""))
    if "Marian" in tok_class or (directory / "source.spm").exists() or model_type == "marian":
        return "marian"
    if "M2M100" in tok_class:
        raise ModelUnavailable(
            f"{directory}: M2M100 models (__xx__ language tokens) are not supported; "
            "use an NLLB-200 or Marian (opus-mt) model"
        )
    if "Nllb" in tok_class or (directory / "sentencepiece.bpe.model").exists():
        return "nllb"
    raise ModelUnavailable(
        f"{directory}: cannot tell the model type (expected Marian source.spm/target.spm or an "
        "NLLB sentencepiece.bpe.model with its tokenizer files)"
    )


def _resolve_or_none(code: str | None) -> Language | None:
    if not code:
        return None
    try:
        return resolve(code)
    except Exception:  # group codes like "mul", "zle": any language on that side
        return None


@dataclass
class ModelTokenizer:
    """A loaded tokenizer plus the language facts of its model."""

    directory: Path
    tokenizer: object
    architecture: str
    lang_tokens: dict[str, str]  # Language.nllb → its token (NLLB code, Marian >>rus<<)
    sources: frozenset[str] | None  # Language.nllb codes; None: any
    targets: frozenset[str] | None
    max_source_tokens: int = 512

    @classmethod
    def load(cls, directory: Path, pairs: tuple[tuple[str, str], ...] = ()) -> ModelTokenizer:
        """Load the tokenizer in `directory`; `pairs` (from a preset) name Marian directions."""
        import transformers

        architecture = detect_architecture(directory)
        # The class is named explicitly: a CTranslate2 directory's config.json is CTranslate2's
        # own, and hub opus-mt tokenizer configs carry no tokenizer_class for AutoTokenizer.
        tokenizer_class = getattr(transformers, TOKENIZER_CLASSES[architecture])
        try:
            tokenizer = tokenizer_class.from_pretrained(str(directory))
        except Exception as err:  # broken or missing tokenizer files
            line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelUnavailable(f"cannot load the tokenizer in {directory}: {line}") from None
        vocab = tokenizer.get_vocab()
        config = _json(directory / "config.json")
        max_pos = int(config.get("max_position_embeddings", 0) or 0)
        max_source = min(1024, max_pos) if max_pos else 512

        if architecture == "nllb":
            codes = {tok: tok for tok in vocab if NLLB_CODE.match(tok)}
            return cls(
                directory,
                tokenizer,
                architecture,
                codes,
                frozenset(codes),
                frozenset(codes),
                max_source,
            )
        # Marian: languages from the preset, the tokenizer config, or the opus-mt name.
        tok_config = _json(directory / "tokenizer_config.json")
        src_codes: set[str] = set()
        tgt_codes: set[str] = set()
        for src, tgt in pairs:
            src_codes.add(resolve(src).nllb)
            tgt_codes.add(resolve(tgt).nllb)
        if not pairs:
            src_code, tgt_code = tok_config.get("source_lang"), tok_config.get("target_lang")
            if not (src_code and tgt_code):
                names = f"{directory} {config.get('_name_or_path', '')}"
                match = OPUS_NAME.search(names)
                if match:
                    src_code, tgt_code = match.groups()
            src_lang, tgt_lang = _resolve_or_none(src_code), _resolve_or_none(tgt_code)
            if src_lang:
                src_codes.add(src_lang.nllb)
            if tgt_lang:
                tgt_codes.add(tgt_lang.nllb)
        marks = {}
        for tok in vocab:
            match = MARIAN_TARGET.match(tok)
            lang = _resolve_or_none(match.group(1)) if match else None
            if lang and lang.nllb not in marks:
                marks[lang.nllb] = tok
        targets = frozenset(marks) if marks else frozenset(tgt_codes) or None
        return cls(
            directory,
            tokenizer,
            architecture,
            marks,
            frozenset(src_codes) or None,
            targets,
            max_source,
        )

    # --- languages ----------------------------------------------------------------------------
    def supports(self, source: Language, target: Language) -> bool:
        ok_source = self.sources is None or source.nllb in self.sources
        ok_target = self.targets is None or target.nllb in self.targets
        return ok_source and ok_target

    def supported_targets(self) -> list[str]:
        if self.targets is None:
            return ["any"]
        return sorted(_display(code) for code in self.targets)

    def describe(self) -> str:
        if self.architecture == "nllb":
            known = [lang.iso for lang in LANGUAGES if lang.nllb in (self.targets or ())]
            return (
                f"{len(self.targets or ())} NLLB languages in any "
                f"direction (among them {', '.join(known)})"
            )
        sources = "any" if self.sources is None else ",".join(sorted(map(_display, self.sources)))
        targets = ",".join(self.supported_targets())
        return f"{sources}→{targets}"

    def target_token(self, target: Language) -> str | None:
        """Token forcing/marking `target`: NLLB language token, Marian `>>rus<<`."""
        return self.lang_tokens.get(target.nllb)

    # --- codec --------------------------------------------------------------------------------
    def encode_ids(self, texts: list[str], source: Language, target: Language) -> list[list[int]]:
        """Source token ids with the special tokens the model expects."""
        tok = self.tokenizer
        if self.architecture == "nllb":
            tok.src_lang = source.nllb
        elif self.architecture == "marian" and self.target_token(target):
            mark = self.target_token(target)
            texts = [f"{mark} {text}" for text in texts]
        encoded = tok(
            texts, add_special_tokens=True, truncation=True, max_length=self.max_source_tokens
        )
        return [list(ids) for ids in encoded["input_ids"]]

    def encode_tokens(
        self, texts: list[str], source: Language, target: Language
    ) -> list[list[str]]:
        return [
            self.tokenizer.convert_ids_to_tokens(ids)
            for ids in self.encode_ids(texts, source, target)
        ]

    def target_pieces(self, text: str) -> list[str]:
        """`text` as target-side pieces, no special tokens (for suppressing a rendering)."""
        tok = self.tokenizer
        if self.architecture == "marian":
            ids = tok(text_target=text, add_special_tokens=False)["input_ids"]
            return tok.convert_ids_to_tokens(ids)
        return tok.tokenize(text)

    def decode_ids(self, sequences: list[list[int]]) -> list[str]:
        return [
            text.strip()
            for text in self.tokenizer.batch_decode(
                sequences, skip_special_tokens=True, clean_up_tokenization_spaces=False
            )
        ]

    def decode_tokens(self, sequences: list[list[str]]) -> list[str]:
        return self.decode_ids([self.tokenizer.convert_tokens_to_ids(seq) for seq in sequences])


def _display(nllb_code: str) -> str:
    for lang in LANGUAGES:
        if lang.nllb == nllb_code:
            return lang.iso
    return nllb_code


def quiet_transformers() -> None:
    """No progress bars or generation warnings from transformers on the user's terminal."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers is a dependency
        pass
