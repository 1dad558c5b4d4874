"""Where models live on disk: the Hugging Face hub cache and dilmanc's CTranslate2 conversions.

Paths are read from the environment at call time (HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME,
DILMANC_HOME), so tests and users can point them elsewhere. Downloads only fetch the files
a translation needs, never TensorFlow/Flax/ONNX copies.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from dilmanc.errors import ModelUnavailable

# Files fetched by `models pull`: configs, tokenizers, and one copy of the weights.
WANTED_PATTERNS = ["*.json", "*.spm", "*.model", "*.txt"]
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
NETWORK_TIMEOUT_S = 10.0


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def offline() -> bool:
    """True when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) forbids network access."""
    return _truthy(os.environ.get("HF_HUB_OFFLINE")) or _truthy(
        os.environ.get("TRANSFORMERS_OFFLINE")
    )


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser()


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache (`HF_HUB_CACHE`, else `HF_HOME/hub`, else ~/.cache/...)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return _cache_home() / "huggingface" / "hub"


def dilmanc_home() -> Path:
    """dilmanc's own cache (`DILMANC_HOME`, else ~/.cache/dilmanc)."""
    if os.environ.get("DILMANC_HOME"):
        return Path(os.environ["DILMANC_HOME"]).expanduser()
    return _cache_home() / "dilmanc"


def slug(name: str) -> str:
    """A directory-safe name for a preset or hub id (`owner/name` → `owner--name`)."""
    return name.strip().replace("/", "--")


def ct2_dir(name: str, quantization: str = "int8") -> Path:
    """Where `models pull NAME --ct2` keeps the CTranslate2 conversion of `name`."""
    return dilmanc_home() / "ct2" / f"{slug(name)}-{quantization}"


def has_weights(directory: Path) -> bool:
    return any((directory / name).is_file() for name in WEIGHT_FILES) or any(
        directory.glob("model-*.safetensors")
    )


def cached_snapshot(repo_id: str) -> Path | None:
    """The cached snapshot of `repo_id` with config and weights (or a CTranslate2 model.bin),
    or None; never uses the network."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError

    try:
        path = Path(
            snapshot_download(repo_id, cache_dir=str(hf_cache_dir()), local_files_only=True)
        )
    except (OSError, ValueError, HFValidationError):
        return None
    if ((path / "config.json").is_file() and has_weights(path)) or (path / "model.bin").is_file():
        return path
    return None


def download(repo_id: str, *, quiet: bool = False) -> Path:
    """Fetch what a translation needs from the hub into the HF cache; ModelUnavailable if not."""
    where = hf_cache_dir()
    if offline():
        raise ModelUnavailable(
            f"cannot download {repo_id}: HF_HUB_OFFLINE is set and it is not in {where}"
        )
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.utils import disable_progress_bars, logging

    logging.set_verbosity_error()  # no retry chatter; failures become one line below
    if quiet:
        disable_progress_bars()
    try:
        # model_info is a single request (no retry loop), so an unreachable hub fails fast.
        info = HfApi().model_info(repo_id, timeout=NETWORK_TIMEOUT_S)
        files = {sibling.rfilename for sibling in info.siblings or ()}
        weights = next((name for name in (*WEIGHT_FILES, "model.bin") if name in files), None)
        patterns = list(WANTED_PATTERNS)
        if weights:
            patterns.append(weights)
        else:
            patterns.append("model-*.safetensors")
        path = snapshot_download(
            repo_id,
            cache_dir=str(where),
            allow_patterns=patterns,
            etag_timeout=NETWORK_TIMEOUT_S,
        )
    except Exception as err:  # network, auth, unknown repo: one line, no traceback
        text = str(err).strip().splitlines()
        reason = text[0] if text else type(err).__name__
        raise ModelUnavailable(
            f"cannot download {repo_id} from the Hugging Face hub into {where}: {reason[:200]}"
        ) from None
    return Path(path)


SNAPSHOT_COMMIT = re.compile(r"[\\/]snapshots[\\/]([0-9a-f]{40})(?:[\\/]|$)")
FINGERPRINT_FILES = ("config.json", "model.bin", *WEIGHT_FILES)


def model_fingerprint(directory: str | Path | None) -> str | None:
    """A cheap identity of a model's files, for cache keys: the hub commit of a snapshot,
    else a hash of the config and weight files' names, sizes and modification times (a
    changed model gets a new fingerprint; nothing is read)."""
    if directory is None:
        return None
    match = SNAPSHOT_COMMIT.search(str(directory))
    if match:
        return match.group(1)
    base = Path(directory)
    files = [base / name for name in FINGERPRINT_FILES if (base / name).is_file()]
    files += sorted(base.glob("model-*.safetensors"))
    if not files:
        return None
    stamp = "|".join(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files)
    return "stat:" + hashlib.sha1(f"{base.resolve()}|{stamp}".encode()).hexdigest()
