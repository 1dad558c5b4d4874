"""Loading engines by name, once per process: `load_engine(spec)` → a cached Engine.

The model spec is resolved by `dilmanc.models.resolve`; the engine class is chosen by name
from ENGINES (one module per engine, imported only when used; a new engine is one line
there, and its class builds itself from a resolved model with `open` and may say with
`claims(directory)` that a directory holds its model, so a model directory finds its engine
unasked). Loaded engines are cached per (directory, engine, device, compute type, threads)
under a lock, so NLLB serving English and Russian loads once and concurrent callers (the
server) never load a model twice.

`load_engine(spec, lazy=True)` resolves the spec now (a wrong name or a missing directory
fails at once) but loads the model only when a sentence first needs it
(`dilmanc.engines.lazy.LazyEngine`, one per key as well).
"""

from __future__ import annotations

import importlib
import threading

from dilmanc.engines.base import Engine
from dilmanc.errors import SettingError, UsageError
from dilmanc.models.convert import QUANTIZATIONS
from dilmanc.models.resolve import resolve_model

TORCH_COMPUTE_TYPES = ("float32", "float16", "bfloat16", "int8")
CT2_COMPUTE_TYPES = ("default", "auto", *QUANTIZATIONS)

#: engine name → "module:Class"; the class has a classmethod
#: `open(resolved, *, model, device, threads, compute_type, codec)`
ENGINES: dict[str, str] = {
    "transformers": "dilmanc.engines.transformers:TransformersEngine",
    "ctranslate2": "dilmanc.engines.ctranslate2:CT2Engine",
}
ALIASES = {"ct2": "ctranslate2", "ctranslate": "ctranslate2", "hf": "transformers"}
ALIASES["torch"] = "transformers"
#: engines whose languages and token counts the light codec reads before the model loads
#: (`load_engine(lazy=True)`); any other engine loads when it is made
LIGHT = frozenset({"transformers", "ctranslate2"})


def normalize_engine(engine: str | None) -> str | None:
    """The registered name of `engine` (aliases allowed); None for automatic."""
    if engine is None or engine.strip() in ("", "auto"):
        return None
    key = engine.strip().lower()
    key = ALIASES.get(key, key)
    if key not in ENGINES:
        raise SettingError("engine", f"{engine!r} is unknown (choose {' or '.join(ENGINES)})")
    return key


def engine_class(name: str) -> type[Engine]:
    module, _, cls = ENGINES[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def claimed_by(directory) -> str | None:
    """The registered engine, other than the two the resolver knows, whose class `claims`
    `directory` (a classmethod saying whether the directory holds its model); None if none."""
    for name in ENGINES:
        if name not in LIGHT:
            claims = getattr(engine_class(name), "claims", None)
            if claims is not None and claims(directory):
                return name
    return None


_LOADED: dict[tuple, Engine] = {}
_LAZY: dict[tuple, Engine] = {}
_LOCK = threading.Lock()


def load_engine(
    spec: str,
    *,
    engine: str | None = None,
    device: str = "cpu",
    threads: int = 0,
    compute_type: str | None = None,
    download: bool | None = None,
    lazy: bool = False,
    vmap: str | None = "off",
    workload: str = "batch",
) -> Engine:
    """Load (or reuse) the engine for `spec`: preset name, hub id or local directory, or two
    of them joined by "+" (a pivot: source → English → target). With `lazy`, the spec is
    resolved and checked now and the model loads when it first translates. `vmap` and
    `workload`: CTranslate2's vocabulary map and threads layout (`CT2Engine`)."""
    from pathlib import Path

    from dilmanc.models.presets import PIVOTS

    spec = PIVOTS.get(spec.strip(), spec)
    if "+" in spec and not Path(spec).expanduser().exists():
        legs = [part.strip() for part in spec.split("+")]
        if len(legs) != 2 or not all(legs):
            raise SettingError("models", f"{spec}: a pivot is two models joined by '+'")
        options = {"engine": engine, "device": device, "threads": threads, "lazy": lazy}
        options.update(vmap=vmap, workload=workload)
        first, second = (
            load_engine(leg, compute_type=compute_type, download=download, **options)
            for leg in legs
        )
        from dilmanc.engines.pivot import PivotEngine

        return PivotEngine(first, second, _pivot_language(first))
    if device not in ("cpu", "cuda"):
        raise UsageError(f"unknown device {device!r} (use cpu or cuda)")
    if threads < 0:
        raise SettingError("threads", f"must be 0 (all cores) or positive, got {threads}")
    resolved = resolve_model(
        spec, engine=normalize_engine(engine), download=download, claim=claimed_by
    )
    if resolved.engine == "ctranslate2" and compute_type not in (None, *CT2_COMPUTE_TYPES):
        raise UsageError(
            f"unknown CTranslate2 compute type {compute_type!r} "
            f"(choose from {', '.join(CT2_COMPUTE_TYPES)})"
        )
    extra = _ct2_options(resolved, vmap, workload)
    key = (str(resolved.directory.resolve()), resolved.engine, device, compute_type, threads)
    key += tuple(sorted(extra.items()))

    def loaded(codec=None) -> Engine:
        with _LOCK:
            if key not in _LOADED:
                _LOADED[key] = _load(resolved, spec, device, threads, compute_type, codec, extra)
            return _LOADED[key]

    if not lazy or resolved.engine not in LIGHT:
        return loaded()
    from dilmanc.engines.lazy import LazyEngine

    if resolved.engine == "transformers":
        declared = _torch_compute_type(compute_type)  # a CTranslate2-only type fails now
    else:
        declared = compute_type
    with _LOCK:
        if key not in _LAZY:
            options = {"device": device, "threads": threads, "compute_type": declared}
            _LAZY[key] = LazyEngine(resolved, loaded, model=spec, **options, **extra)
        return _LAZY[key]


def _ct2_options(resolved, vmap: str | None, workload: str) -> dict:
    """The CTranslate2-only options (`vmap`, `workload`) checked; {} for other engines,
    which take a vmap file nowhere."""
    from dilmanc.engines.base import WORKLOADS
    from dilmanc.engines.vmap import resolve_vmap

    if workload not in WORKLOADS:
        raise SettingError("workload", f"must be one of {', '.join(WORKLOADS)}, not {workload!r}")
    if resolved.engine != "ctranslate2":
        if vmap not in (None, "off", "auto"):
            raise SettingError("vmap", "a vocabulary map needs a CTranslate2 model")
        return {}
    resolve_vmap(resolved.directory, vmap)  # a missing file fails now
    return {"vmap": vmap or "off", "workload": workload}


def _load(
    resolved,
    spec: str,
    device: str,
    threads: int,
    compute_type: str | None,
    codec=None,
    extra: dict | None = None,
) -> Engine:
    """The engine for a resolved model; `codec`: a codec already read (a LazyEngine's);
    `extra`: engine-specific options (`_ct2_options`)."""
    return engine_class(resolved.engine).open(
        resolved, model=spec, device=device, threads=threads, compute_type=compute_type,
        codec=codec, **(extra or {}),
    )  # fmt: skip


def _pivot_language(first: Engine):
    """The language the first leg writes: its only target, else English."""
    from dilmanc.languages import resolve

    targets = [t for t in first.supported_targets() if t != "any"]
    return resolve(targets[0] if len(targets) == 1 else "en")


def _torch_compute_type(compute_type: str | None) -> str | None:
    if compute_type in (None, "default", "auto"):
        return None
    if compute_type not in TORCH_COMPUTE_TYPES:
        raise UsageError(
            f"compute type {compute_type} is for CTranslate2; transformers takes "
            + ", ".join(TORCH_COMPUTE_TYPES)
        )
    return compute_type


def clear_cache() -> None:
    """Forget loaded engines (tests; long-lived processes switching models)."""
    with _LOCK:
        _LOADED.clear()
        _LAZY.clear()
