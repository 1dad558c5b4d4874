"""What a model directory holds: its architecture and the tokenizer files it needs.

Shared by model management (conversion copies the tokenizer files) and by the engines' codecs
(which load them), so neither package imports the other for it. Missing or unreadable files
are one ModelUnavailable line naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from dilmanc.errors import ModelUnavailable

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


MARIAN_FILES = ("source.spm", "target.spm", "vocab.json")


NLLB_SPM = "sentencepiece.bpe.model"


#: what each tokenizer file is, for error messages

FILE_ROLES = {
    "source.spm": "the source sentencepiece model",
    "target.spm": "the target sentencepiece model",
    "vocab.json": "the token vocabulary",
    NLLB_SPM: "the sentencepiece model",
    "tokenizer.json": "the Hugging Face tokenizer",
}


def json_or_empty(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_json_file(path: Path) -> dict | list:
    """A tokenizer JSON file, or ModelUnavailable naming it and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelUnavailable(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or type(err).__name__
        raise ModelUnavailable(f"cannot read {path}: {reason}") from None
    try:
        return json.loads(text)
    except ValueError as err:
        raise ModelUnavailable(
            f"{path} is not valid JSON (line {err.lineno}, column {err.colno}): "
            "the file is truncated or corrupt"
        ) from None


def detect_architecture(directory: Path) -> str:
    """ "nllb" or "marian" from the tokenizer files and configs of `directory`."""
    config = json_or_empty(directory / "config.json")
    tok_config = json_or_empty(directory / "tokenizer_config.json")
    tok_class = str(tok_config.get("tokenizer_class") or config.get("tokenizer_class") or "")
    model_type = str(config.get("model_type", ""))
    # what `models convert` recorded (a CTranslate2 config.json names no model type)
    recorded = str(json_or_empty(directory / "dilmanc.json").get("architecture", ""))
    has_marian_spm = any((directory / name).exists() for name in ("source.spm", "target.spm"))
    if "Marian" in tok_class or model_type == "marian" or recorded == "marian" or has_marian_spm:
        return "marian"
    if "M2M100" in tok_class:
        raise ModelUnavailable(
            f"{directory}: M2M100 models (__xx__ language tokens) are not supported; "
            "use an NLLB-200 or Marian (opus-mt) model"
        )
    if "Nllb" in tok_class or recorded == "nllb" or (directory / NLLB_SPM).exists():
        return "nllb"
    raise ModelUnavailable(
        f"{directory}: cannot tell the model type: no tokenizer files (expected Marian "
        f"source.spm, target.spm and vocab.json, or NLLB {NLLB_SPM})"
    )


def check_tokenizer_files(directory: Path, architecture: str, *, need_spm: bool = True) -> None:
    """ModelUnavailable naming the first tokenizer file `architecture` needs that is missing.

    Marian needs source.spm, target.spm and vocab.json (or, converted, CTranslate2's
    shared_vocabulary.json). NLLB needs sentencepiece.bpe.model; with
    `need_spm=False` (the Hugging Face tokenizer, which can load tokenizer.json alone) either
    of the two will do.
    """
    if architecture == "marian":
        for name in MARIAN_FILES:
            if name == "vocab.json" and (directory / "shared_vocabulary.json").is_file():
                continue  # a CTranslate2 directory lists the same tokens there
            if not (directory / name).is_file():
                raise ModelUnavailable(
                    f"{directory / name} is missing ({FILE_ROLES[name]}): a Marian model needs "
                    "source.spm, target.spm and vocab.json next to its weights"
                )
        return
    if (directory / NLLB_SPM).is_file():
        return
    if not need_spm and (directory / "tokenizer.json").is_file():
        return
    also = "" if need_spm else " and so is tokenizer.json"
    raise ModelUnavailable(
        f"{directory / NLLB_SPM} is missing ({FILE_ROLES[NLLB_SPM]}){also}: an NLLB model "
        "needs its tokenizer files next to its weights"
    )


def load_sentencepiece(path: Path):
    """A `sentencepiece.SentencePieceProcessor` for `path`, or one clear ModelUnavailable line."""
    import sentencepiece

    if not path.is_file():
        raise ModelUnavailable(f"{path} is missing ({FILE_ROLES.get(path.name, 'tokenizer')})")
    size = path.stat().st_size
    try:
        return sentencepiece.SentencePieceProcessor(model_file=str(path))
    except (RuntimeError, OSError) as err:
        detail = "empty file" if size == 0 else f"{size} bytes"
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if "parse" in reason or size == 0:
            reason = "truncated or corrupt"
        raise ModelUnavailable(
            f"{path} is not a readable sentencepiece model ({reason}, {detail})"
        ) from None


def quiet_transformers() -> None:
    """No progress bars or generation warnings from transformers on the user's terminal."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers is a dependency
        pass
