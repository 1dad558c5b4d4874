"""What both engines need from a model's tokenizer files: architecture, languages, a codec.

Two codecs share the language logic here (`LanguageFacts`):

* `ModelTokenizer` (this module) wraps the Hugging Face tokenizer for the transformers engine,
  which needs token ids for torch.
* `SpmCodec` (`dilmanc.engines.spm_codec`) drives sentencepiece and the model's vocabulary
  files directly for the CTranslate2 engine, so that path never imports transformers or torch.

Per architecture:

* NLLB-200: languages are the FLORES codes in the vocabulary (`azj_Latn`); a source is
  `[src_lang] + pieces + [</s>]` (NllbTokenizer's non-legacy layout), the target code is forced
  as the first target token.
* Marian (opus-mt): one source and one target language from the tokenizer config, the
  preset, or the `opus-mt-SRC-TGT` name; multi-target models mark the target with a `>>rus<<`
  token in front of the source.

Both codecs strip the text before encoding and never mutate shared state per call, so one
loaded codec serves concurrent callers. Missing or unreadable tokenizer files are found up front
(`check_tokenizer_files`) and reported as one ModelUnavailable line naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dilmanc.errors import ModelUnavailable
from dilmanc.languages import LANGUAGES, Language, resolve
from dilmanc.models.files import (
    MARIAN_FILES,
    NLLB_SPM,
    check_tokenizer_files,
    detect_architecture,
    json_or_empty,
    load_sentencepiece,
    read_json_file,
)

NLLB_CODE = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")
MARIAN_TARGET = re.compile(r"^>>([A-Za-z_]{2,8})<<$")
OPUS_NAME = re.compile(r"opus-mt-(?:tc-big-|tc-base-)?([a-z]{2,3}(?:_[a-zA-Z]+)?)-([a-z]{2,3})\b")


TOKENIZER_CLASSES = {
    "nllb": "NllbTokenizer",
    "marian": "MarianTokenizer",
}
DEFAULT_MAX_SOURCE_TOKENS = 512
# Whitespace and the invisible characters the NLLB normalizer turns into spaces: stripped from
# both ends before encoding (sentencepiece drops them, the tokenizers library would keep a "▁").
EDGE_SPACE = re.compile(r"^[\s\u200b\u2060\ufeff]+|[\s\u200b\u2060\ufeff]+$")


def strip_text(text: str) -> str:
    """`text` without leading/trailing whitespace or zero-width spaces."""
    return EDGE_SPACE.sub("", text)


def _resolve_or_none(code: str | None) -> Language | None:
    if not code:
        return None
    try:
        return resolve(code)
    except Exception:  # group codes like "mul", "zle": any language on that side
        return None


def max_source_tokens(directory: Path) -> int:
    """Source length limit: the model's positions (Hugging Face config.json), capped at 1024."""
    max_pos = int(json_or_empty(directory / "config.json").get("max_position_embeddings", 0) or 0)
    return min(1024, max_pos) if max_pos else DEFAULT_MAX_SOURCE_TOKENS


def model_languages(
    directory: Path,
    architecture: str,
    vocabulary: Iterable[str],
    pairs: tuple[tuple[str, str], ...] = (),
) -> tuple[dict[str, str], frozenset[str] | None, frozenset[str] | None]:
    """(language → token, source codes, target codes) of a model; codes are `Language.nllb`,
    None means any. `vocabulary` is every token the model knows."""
    if architecture == "nllb":
        codes = {tok: tok for tok in vocabulary if NLLB_CODE.match(tok)}
        return codes, frozenset(codes), frozenset(codes)
    # Marian: languages from the preset, the tokenizer config, or the opus-mt name.
    tok_config = json_or_empty(directory / "tokenizer_config.json")
    src_codes: set[str] = set()
    tgt_codes: set[str] = set()
    for src, tgt in pairs:
        src_codes.add(resolve(src).nllb)
        tgt_codes.add(resolve(tgt).nllb)
    if not pairs:
        src_code, tgt_code = tok_config.get("source_lang"), tok_config.get("target_lang")
        if not (src_code and tgt_code):
            name = json_or_empty(directory / "config.json").get("_name_or_path", "")
            source = json_or_empty(directory / "dilmanc.json").get("source", "")
            match = OPUS_NAME.search(f"{directory} {name} {source}")
            if match:
                src_code, tgt_code = match.groups()
        src_lang, tgt_lang = _resolve_or_none(src_code), _resolve_or_none(tgt_code)
        if src_lang:
            src_codes.add(src_lang.nllb)
        if tgt_lang:
            tgt_codes.add(tgt_lang.nllb)
    marks: dict[str, str] = {}
    for tok in vocabulary:
        match = MARIAN_TARGET.match(tok)
        lang = _resolve_or_none(match.group(1)) if match else None
        if lang and lang.nllb not in marks:
            marks[lang.nllb] = tok
    targets = frozenset(marks) if marks else frozenset(tgt_codes) or None
    return marks, frozenset(src_codes) or None, targets


class LanguageFacts:
    """Language questions both codecs answer from `architecture`, `lang_tokens`, `sources`,
    `targets` (set by the subclass)."""

    architecture: str
    lang_tokens: dict[str, str]  # Language.nllb → its token (NLLB code, Marian >>rus<<)
    sources: frozenset[str] | None  # Language.nllb codes; None: any
    targets: frozenset[str] | None
    max_source_tokens: int

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

    def _keep(self) -> int:
        """Text tokens kept before the special tokens (NLLB: language + </s>, Marian: </s>)."""
        return max(0, self.max_source_tokens - (2 if self.architecture == "nllb" else 1))


def _diagnose(directory: Path, architecture: str) -> None:
    """Raise ModelUnavailable naming the first present tokenizer file that cannot be read."""
    names = MARIAN_FILES if architecture == "marian" else (NLLB_SPM, "tokenizer.json")
    for name in names:
        path = directory / name
        if not path.is_file():
            continue
        if name.endswith((".spm", ".model")):
            load_sentencepiece(path)
        else:
            read_json_file(path)


@dataclass
class ModelTokenizer(LanguageFacts):
    """A loaded Hugging Face tokenizer plus the language facts of its model (transformers)."""

    directory: Path
    tokenizer: object
    architecture: str
    lang_tokens: dict[str, str]
    sources: frozenset[str] | None
    targets: frozenset[str] | None
    max_source_tokens: int = DEFAULT_MAX_SOURCE_TOKENS

    @classmethod
    def load(cls, directory: Path, pairs: tuple[tuple[str, str], ...] = ()) -> ModelTokenizer:
        """Load the tokenizer in `directory`; `pairs` (from a preset) name Marian directions."""
        architecture = detect_architecture(directory)
        check_tokenizer_files(directory, architecture, need_spm=False)
        # Sentencepiece models are checked here: transformers misreports a corrupt one (e.g.
        # as a missing `tiktoken`). tokenizer.json is parsed by transformers itself.
        for name in (*MARIAN_FILES[:2], NLLB_SPM):
            if (directory / name).is_file():
                load_sentencepiece(directory / name)
        import transformers

        # The class is named explicitly: a CTranslate2 directory's config.json is CTranslate2's
        # own, and hub opus-mt tokenizer configs carry no tokenizer_class for AutoTokenizer.
        # split_special_tokens: text that spells "</s>" or "eng_Latn" stays text.
        tokenizer_class = getattr(transformers, TOKENIZER_CLASSES[architecture])
        try:
            tokenizer = tokenizer_class.from_pretrained(str(directory), split_special_tokens=True)
        except Exception as err:  # broken tokenizer files
            _diagnose(directory, architecture)
            line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelUnavailable(f"cannot load the tokenizer in {directory}: {line}") from None
        lang_tokens, sources, targets = model_languages(
            directory, architecture, tokenizer.get_vocab(), pairs
        )
        return cls(
            directory,
            tokenizer,
            architecture,
            lang_tokens,
            sources,
            targets,
            max_source_tokens(directory),
        )

    # --- codec --------------------------------------------------------------------------------
    def encode_ids(self, texts: list[str], source: Language, target: Language) -> list[list[int]]:
        """Source token ids with the special tokens the model expects.

        The special tokens are added here rather than by the tokenizer, whose NLLB source
        language is shared state: nothing on the tokenizer changes per call (thread-safe).
        """
        tok = self.tokenizer
        texts = [strip_text(text) for text in texts]
        prefix: list[int] = []
        if self.architecture == "nllb":
            prefix = [tok.convert_tokens_to_ids(self.lang_tokens.get(source.nllb, tok.unk_token))]
        elif self.target_token(target):
            mark = self.target_token(target)
            texts = [f"{mark} {text}" for text in texts]
        encoded = tok(texts, add_special_tokens=False)["input_ids"]
        keep, eos = self._keep(), tok.eos_token_id
        return [prefix + list(ids[:keep]) + [eos] for ids in encoded]

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
