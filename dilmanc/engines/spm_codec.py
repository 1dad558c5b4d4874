"""The CTranslate2 engine's codec: sentencepiece and the model's own vocabulary files only.

`SpmCodec.load(directory)` reads what a converted (or hub) model directory carries and never
imports transformers or torch, so a CTranslate2 run starts in about the time CTranslate2 itself
needs. It reproduces the token strings the Hugging Face tokenizers give
(`convert_ids_to_tokens(tokenizer(text)["input_ids"])`) and their decoding
(`batch_decode(skip_special_tokens=True, clean_up_tokenization_spaces=False)`), which
tests/test_spm_codec.py checks against them on real-layout models:

* NLLB: `[src_lang] + pieces + [</s>]` from sentencepiece.bpe.model; language codes are the
  FLORES-style tokens of the vocabulary (CTranslate2's shared_vocabulary.json lists every token;
  a hub directory's tokenizer files are read with json as a fallback).
* Marian: source.spm pieces (`>>rus<<` first for multi-target models) + `</s>`, pieces missing
  from vocab.json become `<unk>`; output is decoded with target.spm.

Sources are truncated to `max_source_tokens` special tokens included, as the tokenizers do with
`truncation=True`. Special tokens are dropped when decoding; byte-fallback pieces (`<0xE2>`)
decode to their characters. Nothing is mutated per call: one codec serves concurrent callers.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from dilmanc.engines.tokenization import (
    LanguageFacts,
    max_source_tokens,
    model_languages,
    strip_text,
)
from dilmanc.errors import ModelUnavailable
from dilmanc.languages import Language
from dilmanc.models.files import (
    NLLB_SPM,
    check_tokenizer_files,
    detect_architecture,
    json_or_empty,
    load_sentencepiece,
    read_json_file,
)

#: CTranslate2's vocabulary files (older versions wrote .txt, one token per line)
CT2_VOCABULARIES = {
    "source": ("shared_vocabulary", "source_vocabulary"),
    "target": ("shared_vocabulary", "target_vocabulary"),
}
DEFAULT_SPECIALS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}
SPIECE_UNDERLINE = "\u2581"
NLLB_TOKEN_JSON = re.compile(r'"([a-z]{3}_[A-Z][a-z]{3})"')
NLLB_TOKEN_LINE = re.compile(r"^([a-z]{3}_[A-Z][a-z]{3})$", re.MULTILINE)


def ct2_vocabulary_file(directory: Path, side: str = "source") -> Path | None:
    """A CTranslate2 model's `side` vocabulary file, or None (not a CTranslate2 directory)."""
    for stem in CT2_VOCABULARIES[side]:
        for suffix in (".json", ".txt"):
            if (path := directory / f"{stem}{suffix}").is_file():
                return path
    return None


def ct2_vocabulary(directory: Path, side: str = "source") -> list[str] | None:
    """The tokens of a CTranslate2 model's `side` vocabulary, in id order; None if absent."""
    path = ct2_vocabulary_file(directory, side)
    if path is None:
        return None
    if path.suffix == ".txt":
        return path.read_text(encoding="utf-8").split("\n")[:-1]
    tokens = read_json_file(path)
    if not isinstance(tokens, list):
        raise ModelUnavailable(f"{path} is not a CTranslate2 vocabulary (a JSON list)")
    return [str(token) for token in tokens]


def nllb_codes_in(path: Path) -> list[str]:
    """The FLORES language codes listed in a vocabulary file, found without parsing it (NLLB's
    lists 256k tokens; CTranslate2 reads it again anyway)."""
    text = path.read_text(encoding="utf-8")
    pattern = NLLB_TOKEN_JSON if path.suffix == ".json" else NLLB_TOKEN_LINE
    return pattern.findall(text)


def _content(value) -> str | None:
    """A special token's text from a tokenizer config value (a string or an AddedToken dict)."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) and value else None


def special_tokens(directory: Path) -> tuple[dict[str, str], set[str]]:
    """(role → token for bos/eos/unk/pad/mask, every token marked special) from the Hugging Face
    tokenizer files of `directory`, read with json; defaults where the files say nothing."""
    roles = dict(DEFAULT_SPECIALS)
    marked: set[str] = set()
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        config = json_or_empty(directory / name)
        for role in DEFAULT_SPECIALS:
            token = _content(config.get(role))
            if token:
                roles[role] = token
        for key in ("additional_special_tokens", "extra_special_tokens"):
            extra = config.get(key)
            if isinstance(extra, dict):
                extra = list(extra.values())
            if isinstance(extra, list):
                marked.update(tok for tok in map(_content, extra) if tok)
        decoder = config.get("added_tokens_decoder")
        if isinstance(decoder, dict):
            marked.update(
                tok
                for entry in decoder.values()
                if isinstance(entry, dict) and entry.get("special") and (tok := _content(entry))
            )
    marked.update(json_or_empty(directory / "added_tokens.json"))
    return roles, marked


def _hub_nllb_tokens(directory: Path) -> list[str]:
    """Added tokens of a hub NLLB directory without a CTranslate2 vocabulary (tokenizer.json is
    parsed only when the small files list no language codes)."""
    _, marked = special_tokens(directory)
    if any(tok[3:4] == "_" for tok in marked):
        return sorted(marked)
    path = directory / "tokenizer.json"
    if path.is_file():
        data = read_json_file(path)
        added = data.get("added_tokens", []) if isinstance(data, dict) else []
        return [tok for entry in added if isinstance(entry, dict) and (tok := _content(entry))]
    return []


class SpmCodec(LanguageFacts):
    """Sentencepiece encoding/decoding with the special tokens of an NLLB or Marian model."""

    def __init__(
        self,
        directory: Path,
        architecture: str,
        source_spm,
        target_spm,
        known: frozenset[str] | set[str] | None,
        lang_tokens: dict[str, str],
        sources: frozenset[str] | None,
        targets: frozenset[str] | None,
        specials: dict[str, str],
        skip: frozenset[str],
        max_source: int,
    ) -> None:
        self.directory = directory
        self.architecture = architecture
        self.source_spm = source_spm
        self.target_spm = target_spm
        self._known = known  # tokens the model knows (None: every sentencepiece piece)
        self.lang_tokens = lang_tokens
        self.sources = sources
        self.targets = targets
        self.unk = specials["unk_token"]
        self.eos = specials["eos_token"]
        self._skip = skip  # dropped when decoding
        self._unk_id = source_spm.unk_id()
        self.max_source_tokens = max_source

    @classmethod
    def load(cls, directory: str | Path, pairs: tuple[tuple[str, str], ...] = ()) -> SpmCodec:
        """The codec of the model in `directory`; `pairs` (from a preset) name Marian
        directions. ModelUnavailable (one line naming the file) if a file is missing or bad."""
        directory = Path(directory)
        architecture = detect_architecture(directory)
        check_tokenizer_files(directory, architecture)
        roles, marked = special_tokens(directory)
        if architecture == "marian":
            # CTranslate2's own list is vocab.json's tokens in id order, and parses faster.
            vocabulary = ct2_vocabulary(directory)
            if vocabulary is None:
                vocab = read_json_file(directory / "vocab.json")
                if not isinstance(vocab, dict):
                    raise ModelUnavailable(f"{directory / 'vocab.json'} is not a token → id map")
                vocabulary = list(vocab)
            known: frozenset[str] | None = frozenset(vocabulary)
            vocabulary = [tok for tok in vocabulary if tok.startswith(">>")]  # target marks
            source_spm = load_sentencepiece(directory / "source.spm")
            target_spm = load_sentencepiece(directory / "target.spm")
            skip = {roles["eos_token"], roles["unk_token"], roles["pad_token"]}
        else:
            source_spm = target_spm = load_sentencepiece(directory / NLLB_SPM)
            # NLLB's vocabulary is the sentencepiece pieces plus added tokens: every piece is
            # known, so only the language codes are needed.
            known = None
            listed = ct2_vocabulary_file(directory)
            vocabulary = nllb_codes_in(listed) if listed else _hub_nllb_tokens(directory)
            skip = set(roles.values()) | marked
        lang_tokens, sources, targets = model_languages(directory, architecture, vocabulary, pairs)
        if architecture == "nllb":
            if not lang_tokens:
                raise ModelUnavailable(
                    f"{directory}: no NLLB language codes (such as eng_Latn) in the model "
                    "vocabulary (shared_vocabulary.json or tokenizer.json)"
                )
            skip |= set(lang_tokens.values())
        return cls(
            directory,
            architecture,
            source_spm,
            target_spm,
            known,
            lang_tokens,
            sources,
            targets,
            roles,
            frozenset(skip),
            max_source_tokens(directory),
        )

    # --- encoding -----------------------------------------------------------------------------
    def _pieces(self, texts: list[str]) -> list[list[str]]:
        spm, unk_id, unk, known = self.source_spm, self._unk_id, self.unk, self._known
        out = []
        for ids in spm.encode([strip_text(text) for text in texts]):
            pieces = spm.id_to_piece(ids)
            out.append(
                [
                    unk if i == unk_id or (known is not None and piece not in known) else piece
                    for i, piece in zip(ids, pieces, strict=True)
                ]
            )
        return out

    def encode_tokens(
        self, texts: list[str], source: Language, target: Language
    ) -> list[list[str]]:
        """Source token strings with the special tokens the model expects (CTranslate2 input)."""
        keep, eos = self._keep(), self.eos
        if self.architecture == "nllb":
            lang = self.lang_tokens.get(source.nllb, self.unk)
            return [[lang, *pieces[:keep], eos] for pieces in self._pieces(texts)]
        mark = self.target_token(target)
        prefix = [mark] if mark else []
        return [[*(prefix + pieces)[:keep], eos] for pieces in self._pieces(texts)]

    def target_pieces(self, text: str) -> list[str]:
        """`text` as target-side pieces, no special tokens (for suppressing a rendering)."""
        known = self._known
        pieces = self.target_spm.encode(strip_text(text), out_type=str)
        return [p if known is None or p in known else self.unk for p in pieces]

    # --- decoding -----------------------------------------------------------------------------
    def decode_tokens(self, sequences: list[list[str]]) -> list[str]:
        """Target strings from output token strings, special tokens dropped."""
        spm, skip = self.target_spm, self._skip
        out = []
        for tokens in sequences:
            pieces = [tok for tok in tokens if tok not in skip]
            # sentencepiece copies pieces it does not know verbatim, underlines included
            out.append(spm.decode_pieces(pieces).replace(SPIECE_UNDERLINE, " ").strip())
        return out

    # --- ids (positions in CTranslate2's vocabulary) ------------------------------------------
    @cached_property
    def _source_vocabulary(self) -> dict[str, int]:
        tokens = ct2_vocabulary(self.directory, "source")
        if tokens is None:
            raise ModelUnavailable(f"{self.directory} has no CTranslate2 vocabulary file")
        return {token: i for i, token in enumerate(tokens)}

    @cached_property
    def _target_vocabulary(self) -> list[str]:
        tokens = ct2_vocabulary(self.directory, "target")
        if tokens is None:
            raise ModelUnavailable(f"{self.directory} has no CTranslate2 vocabulary file")
        return tokens

    def encode_ids(self, texts: list[str], source: Language, target: Language) -> list[list[int]]:
        vocab = self._source_vocabulary
        unk = vocab.get(self.unk, 0)
        return [
            [vocab.get(tok, unk) for tok in tokens]
            for tokens in self.encode_tokens(texts, source, target)
        ]

    def decode_ids(self, sequences: list[list[int]]) -> list[str]:
        vocab = self._target_vocabulary
        return self.decode_tokens([[vocab[i] for i in ids] for ids in sequences])
