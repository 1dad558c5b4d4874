"""From `--model` to a local model directory and the engine that runs it.

`resolve_model(spec)` resolves a preset, hub id or directory:

* a directory with `model.bin` runs on CTranslate2, any other model directory on transformers;
* a preset name or hub id uses the CTranslate2 int8 conversion made by `models pull --ct2`
  when present, otherwise the Hugging Face cache snapshot; when neither is on disk it is
  downloaded (unless HF_HUB_OFFLINE is set) and otherwise a one-line ModelUnavailable says
  where it looked and what to run;
* `engine=` overrides; asking for CTranslate2 on a Hugging Face model converts it once into
  dilmanc's cache; any other registered engine gets the directory as it is and checks it
  when it opens;
* a directory that is neither is offered to `claim` (the engine registry asks the other
  registered engines whether the directory is theirs).

Loading the engine itself is `dilmanc.engines.registry.load_engine`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dilmanc.errors import ModelUnavailable, SettingError, UsageError
from dilmanc.languages import Language, resolve
from dilmanc.models import hub
from dilmanc.models.convert import QUANTIZATIONS, convert_to_ct2, is_ct2_dir, read_info
from dilmanc.models.presets import DEFAULT_MODEL, PRESETS, Preset, find_preset

log = logging.getLogger(__name__)
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model spec points: the directory to load and the engine that will load it."""

    spec: str
    directory: Path
    engine: str
    pairs: tuple[tuple[str, str], ...] = ()
    preset: Preset | None = None


def _looks_like_path(spec: str) -> bool:
    return spec.startswith((".", "/", "~")) or spec.count("/") > 1 or "\\" in spec


def _unknown_model(spec: str) -> UsageError:
    names = ", ".join(PRESETS)
    return UsageError(
        f"unknown model {spec!r}: not a preset ({names}), a hub id like owner/name, "
        "or an existing directory"
    )


BUILT_IN = (None, "ctranslate2", "transformers")  # what this module tells apart by itself


def resolve_model(
    spec: str,
    *,
    engine: str | None = None,
    download: bool | None = None,
    claim: Callable[[Path], str | None] | None = None,
) -> ResolvedModel:
    """Resolve a preset, hub id or directory to a local directory and engine (may download).
    `engine`: a registered engine name (`dilmanc.engines.registry.normalize_engine`) or None
    to choose from the directory; `claim(directory)`: the name of another engine whose model
    the directory holds, or None."""
    spec = spec.strip()
    if not spec:
        raise SettingError("model", "is empty")
    wanted = engine
    local = Path(spec).expanduser()
    if local.is_dir():
        return _resolve_dir(spec, local, wanted, claim)
    if local.exists():
        raise ModelUnavailable(f"{spec}: is a file, expected a model directory", setting="model")
    if _looks_like_path(spec):
        raise ModelUnavailable(f"{spec}: no such model directory", setting="model")
    preset = find_preset(spec)
    if preset is None and not HUB_ID.match(spec):
        raise _unknown_model(spec)
    return _resolve_hub(spec, preset, wanted, download, claim)


def _resolve_dir(
    spec: str, directory: Path, wanted: str | None, claim: Callable[[Path], str | None] | None
) -> ResolvedModel:
    info_pairs = tuple(tuple(p) for p in read_info(directory).get("pairs", ()))
    other = _other_engine(directory, wanted, claim)
    if other is not None:  # another registered engine: it checks the directory when it opens
        return ResolvedModel(spec, directory, other, info_pairs)
    if is_ct2_dir(directory):
        if wanted == "transformers":
            raise SettingError(
                "engine",
                f"{directory} is a CTranslate2 conversion; transformers needs the original "
                "Hugging Face model directory",
                template="{problem} ({option} transformers)",
            )
        return ResolvedModel(spec, directory, "ctranslate2", info_pairs)
    if not (directory / "config.json").is_file():
        raise ModelUnavailable(
            f"{directory} is not a model directory: no config.json (Hugging Face model) "
            "and no model.bin (CTranslate2 conversion)"
        )
    if not hub.has_weights(directory):
        raise ModelUnavailable(
            f"{directory} has no weights (model.safetensors or pytorch_model.bin)"
        )
    if wanted == "ctranslate2":
        # Keyed by path and weights' size and time, so a changed model is converted afresh.
        stamp = [str(directory.resolve())] + [
            f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}"
            for f in sorted(directory.iterdir())
            if f.name in hub.WEIGHT_FILES or f.name.startswith("model-")
        ]
        digest = hashlib.sha1("|".join(stamp).encode()).hexdigest()[:8]
        target = hub.ct2_dir(f"{directory.resolve().name}-{digest}")
        return ResolvedModel(spec, _ensure_ct2(directory, target, spec), "ctranslate2")
    return ResolvedModel(spec, directory, "transformers")


def _other_engine(
    directory: Path, wanted: str | None, claim: Callable[[Path], str | None] | None
) -> str | None:
    """The registered engine, other than the two built in, that runs `directory`: the one
    asked for, or the one claiming a directory that is neither CTranslate2 nor Hugging Face."""
    if wanted not in BUILT_IN:
        return wanted
    built_in = is_ct2_dir(directory) or (directory / "config.json").is_file()
    if wanted is None and claim is not None and not built_in:
        return claim(directory)
    return None


def _resolve_hub(
    spec: str,
    preset: Preset | None,
    wanted: str | None,
    download: bool | None,
    claim: Callable[[Path], str | None] | None = None,
) -> ResolvedModel:
    name = preset.name if preset else spec
    repo = preset.hub_id if preset else spec
    pairs = preset.pairs if preset else ()
    converted = hub.ct2_dir(name)  # where pull --ct2 and on-demand conversion put int8
    if wanted in (None, "ctranslate2"):
        for quantization in QUANTIZATIONS:  # int8 first, then any other `pull --quantization`
            if is_ct2_dir(hub.ct2_dir(name, quantization)):
                directory = hub.ct2_dir(name, quantization)
                return ResolvedModel(spec, directory, "ctranslate2", pairs, preset)
    snapshot = hub.cached_snapshot(repo)
    if snapshot is None:
        allowed = (not hub.offline()) if download is None else download
        if not allowed:
            raise ModelUnavailable(
                f"model {name} ({repo}) is not available offline: not in the Hugging Face "
                f"cache {hub.hf_cache_dir()} nor converted in {converted}; run "
                f"`dilmanc models pull {name}` when online",
                setting="model",
                template="{problem}, or pass {option} PATH",
            )
        log.info("downloading %s into %s", repo, hub.hf_cache_dir())
        try:
            snapshot = hub.download(repo, quiet=True)
        except ModelUnavailable as err:
            raise ModelUnavailable(
                f"model {name} ({repo}) is not cached in {hub.hf_cache_dir()} and cannot be "
                f"downloaded ({str(err).split(': ', 1)[-1]}); run `dilmanc models pull {name}` "
                "when online",
                setting="model",
                template="{problem}, or pass {option} PATH",
            ) from None
    other = _other_engine(snapshot, wanted, claim)
    if other is not None:
        return ResolvedModel(spec, snapshot, other, pairs, preset)
    if is_ct2_dir(snapshot):  # a hub repo that holds a CTranslate2 conversion
        if wanted == "transformers":
            raise SettingError(
                "engine",
                f"{repo} is a CTranslate2 model; transformers cannot run it",
                template="{problem} ({option} transformers)",
            )
        return ResolvedModel(spec, snapshot, "ctranslate2", pairs, preset)
    if wanted == "ctranslate2":
        return ResolvedModel(
            spec, _ensure_ct2(snapshot, converted, name, pairs), "ctranslate2", pairs, preset
        )
    return ResolvedModel(spec, snapshot, "transformers", pairs, preset)


def _ensure_ct2(
    source: Path, target: Path, name: str, pairs: tuple[tuple[str, str], ...] = ()
) -> Path:
    if not is_ct2_dir(target):
        log.info("converting %s to CTranslate2 int8 in %s", name, target)
        convert_to_ct2(
            source, target, quantization="int8", force=True, source_name=name, pairs=pairs
        )
    return target


def parse_model_options(values: list[str] | None, targets: list[Language]) -> dict[str, str]:
    """`--model` values → model spec per target ISO code.

    A plain `MODEL` applies to every target without its own `LANG=MODEL`; the default is
    DEFAULT_MODEL. `["en=opus-mt-az-en", "nllb-200-distilled-600M"]` with targets en, ru →
    {"en": "opus-mt-az-en", "ru": "nllb-200-distilled-600M"}.
    """
    target_codes = [lang.iso for lang in targets]
    default, per_target = split_model_options(values, target_codes)
    return {code: per_target.get(code, default or DEFAULT_MODEL) for code in target_codes}


def split_model_options(
    values: list[str] | None, targets: list[str] | None = None
) -> tuple[str | None, dict[str, str]]:
    """`--model` values → (the plain MODEL or None, {target ISO code: model of LANG=MODEL});
    with `targets`, a LANG that is not one of them is a UsageError."""
    default: str | None = None
    per_target: dict[str, str] = {}
    for value in values or []:
        lang_part, sep, model_part = value.partition("=")
        if sep and not Path(value).expanduser().exists():
            lang = resolve(lang_part)
            if targets is not None and lang.iso not in targets:
                raise SettingError(
                    "models", f"{value}: {lang.iso} is not a target ({','.join(targets)})"
                )
            if not model_part.strip():
                raise SettingError("models", f"{value}: no model after '='")
            if lang.iso in per_target:
                raise SettingError("models", f"given twice for {lang.iso}")
            per_target[lang.iso] = model_part.strip()
        else:
            if default is not None:
                raise SettingError(
                    "models",
                    f"given twice ({default}, {value}); use LANG=MODEL for per-target models",
                )
            default = value.strip()
    return default, per_target
