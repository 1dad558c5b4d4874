"""CTranslate2 conversion of a Hugging Face model directory into a self-contained directory.

The output holds `model.bin`, CTranslate2's config and vocabulary, copies of the tokenizer
files (so the CTranslate2 engine can tokenize without the original), and `dilmanc.json`
recording where it came from. It is written to a temporary directory and renamed into place.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from dilmanc.errors import ModelUnavailable, SettingError, UsageError
from dilmanc.models.files import (
    TOKENIZER_FILES,
    check_tokenizer_files,
    detect_architecture,
    quiet_transformers,
)
from dilmanc.models.hub import has_weights

QUANTIZATIONS = (
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
)
INFO_FILE = "dilmanc.json"


def is_ct2_dir(directory: Path) -> bool:
    return (directory / "model.bin").is_file()


def read_info(directory: Path) -> dict:
    """`dilmanc.json` of a conversion (source, architecture, pairs), or {}."""
    try:
        return json.loads((directory / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def convert_to_ct2(
    source: str | Path,
    output: str | Path,
    *,
    quantization: str = "int8",
    force: bool = False,
    source_name: str | None = None,
    pairs: tuple[tuple[str, str], ...] = (),
) -> Path:
    """Convert the Hugging Face model in `source` to CTranslate2 in `output`; return `output`."""
    src, out = Path(source), Path(output)
    if quantization not in QUANTIZATIONS:
        raise UsageError(
            f"unknown quantization {quantization!r} (choose from {', '.join(QUANTIZATIONS)})"
        )
    if out.exists() and not force:
        raise SettingError(
            "force", f"{out} already exists", template="{problem}; pass {option} to replace it"
        )
    if not (src / "config.json").is_file() or not has_weights(src):
        raise ModelUnavailable(
            f"{src} is not a Hugging Face model directory (needs config.json and "
            "model.safetensors or pytorch_model.bin)"
        )
    architecture = detect_architecture(src)
    # The CTranslate2 engine tokenizes with these files: refuse a conversion that cannot run.
    check_tokenizer_files(src, architecture)

    from ctranslate2.converters import TransformersConverter

    quiet_transformers()

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.part-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    copy_files = [name for name in TOKENIZER_FILES if (src / name).is_file()]
    try:
        TransformersConverter(str(src), copy_files=copy_files).convert(
            str(tmp), quantization=quantization, force=True
        )
        info = {
            "source": source_name or str(src),
            "architecture": architecture,
            "quantization": quantization,
            "pairs": [list(pair) for pair in pairs],
        }
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        _replace_dir(tmp, out)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, Exception) and not isinstance(err, (UsageError, ModelUnavailable)):
            text = str(err).strip().splitlines()
            reason = text[0] if text else type(err).__name__
            raise ModelUnavailable(f"cannot convert {src} to CTranslate2: {reason}") from None
        raise
    return out


def _replace_dir(new: Path, target: Path) -> None:
    """Move `new` to `target`, replacing an existing `target` only once `new` is complete."""
    if not target.exists():
        os.replace(new, target)
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(old, target)
        raise
    with contextlib.suppress(OSError):
        shutil.rmtree(old)
