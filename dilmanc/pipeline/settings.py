"""One settings object for a translation run, whoever starts it (CLI, eval, server).

`Settings` holds every choice that changes what comes out: languages, models, engine and
compute type, decoding, glossary and how it is enforced. `validate()` checks values cheaply,
before any model loads, with UsageErrors that name the setting (not a CLI flag), so the
service, `eval run` and the server share one set of rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dilmanc.engines.base import WORKLOADS, DecodeOptions
from dilmanc.engines.vmap import VMAP_MODES
from dilmanc.errors import SettingError, UsageError
from dilmanc.languages import Language, parse_targets, resolve

DEVICES = ("cpu", "cuda")
GLOSSARY_MODES = ("inject", "placeholder", "off")
NAME_STYLES = ("direct", "keep")
QE_MODES = ("on", "off")  # on: every detector, the model's signals where the engine gives them


def _at_least(name: str, value: int, minimum: int = 1) -> None:
    if value < minimum:
        raise SettingError(name, f"must be at least {minimum}, got {value}")


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SettingError(name, f"must be one of {', '.join(allowed)}, not {value!r}")


@dataclass(frozen=True)
class Settings:
    source: str = "az"
    targets: tuple[str, ...] = ("en",)  # (): every language the models write (`Service`)
    models: tuple[str, ...] = ()  # "MODEL" for every target, "LANG=MODEL" for one
    engine: str | None = None  # transformers | ctranslate2 | None (from the model directory)
    device: str = "cpu"
    threads: int = 0  # 0: chosen from the workload (`dilmanc.engines.base.thread_layout`)
    workload: str = "batch"  # "single": one sentence, one wide translator; "batch": several
    vmap: str = "off"  # CTranslate2 vocabulary map: "off", "auto" or a vmap file
    compute_type: str | None = None
    decode: DecodeOptions = field(default_factory=DecodeOptions)
    glossaries: tuple[str, ...] = ()
    builtin_glossary: bool = False
    glossary_mode: str = "inject"
    n_best: int = 4  # hypotheses weighed for segments with terms (1: only the best)
    overwrite: bool = False  # replace existing targets in bilingual files (PO, XLIFF)
    memory: str | None = None  # memory location: a SQLite file or a postgresql:// URL;
    # None: $DILMANC_HOME/memory.db
    use_tm: bool = True  # context and exact memory matches replace the model
    use_cache: bool = True  # machine output is cached and reused when nothing changed
    tm_threshold: float = 75.0  # fuzzy matches from this score are reported as suggestions
    names: str | None = None  # people's names as terms: "direct" | "keep" English style; None off
    name_files: tuple[str, ...] = ()  # user name tables (TSV), later ones win
    sheet_names: bool = False  # spreadsheets: worksheet names are translated too
    qe: str = "on"  # quality estimation of every translated unit: "on" | "off"

    @property
    def source_language(self) -> Language:
        return resolve(self.source)

    @property
    def target_languages(self) -> list[Language]:
        return parse_targets(",".join(self.targets))

    @property
    def uses_memory(self) -> bool:
        return self.use_tm or self.use_cache

    @property
    def uses_glossary(self) -> bool:
        """Whether terms are enforced and checked (a glossary, or people's names)."""
        return bool(self.glossaries or self.builtin_glossary or self.names)

    def validate(self) -> Settings:
        """Check every value (no model is loaded); UsageError naming the setting."""
        from dilmanc.engines.registry import normalize_engine

        source = self.source_language
        targets = self.target_languages if self.targets else []
        if source in targets:
            raise UsageError(f"source and target language are both {source.iso}")
        normalize_engine(self.engine)
        _one_of("device", self.device, DEVICES)
        _one_of("glossary_mode", self.glossary_mode, GLOSSARY_MODES)
        _one_of("qe", self.qe, QE_MODES)
        _one_of("workload", self.workload, WORKLOADS)
        if self.vmap not in VMAP_MODES and not Path(self.vmap).expanduser().is_file():
            raise SettingError("vmap", f"{self.vmap} is not a file (use auto, off or a vmap file)")
        if self.names is not None:
            _one_of("names", self.names, NAME_STYLES)
        d = self.decode
        _at_least("beam_size", d.beam_size)
        _at_least("max_length", d.max_length)
        _at_least("min_length", d.min_length, 0)
        if d.min_length > d.max_length:
            raise SettingError("min_length", f"{d.min_length} is above max length {d.max_length}")
        _at_least("batch_tokens", d.batch_tokens)
        _at_least("batch_size", d.batch_size, 0)
        _at_least("threads", self.threads, 0)
        _at_least("num_hypotheses", d.num_hypotheses)
        _at_least("n_best", self.n_best)
        if not 0 < self.tm_threshold <= 100:
            raise SettingError(
                "tm_threshold", f"must be above 0 and at most 100, got {self.tm_threshold}"
            )
        return self
