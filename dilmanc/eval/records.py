"""Benchmark run records: one JSON file per run, the hypotheses in a text file beside it.

A record holds what is needed to reproduce and to trust a number: model (and its revision),
engine and compute type, decoding options, glossary files with their sha256, metrics with
their sacrebleu signatures, term accuracy, timings, peak memory, dilmanc version, date, and
the test set with its files' sha256 and translationese flag.

`RunRecord` is the one schema: `parse_record` is the only reader (every field the report and
gate use is type-checked there, and a damaged record is one line naming the file and field),
`record_json` the only writer. Format "dilmanc-eval-run/1" gained optional fields
(`engine_info`, `memory`) without a version bump: older records still read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError

from dilmanc import __version__
from dilmanc.errors import InputError
from dilmanc.fileio import read_text, write_text_atomic

RECORD_FORMAT = "dilmanc-eval-run/1"

Number = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(allow_inf_nan=False, ge=0)]
Fraction = Annotated[float, Field(allow_inf_nan=False, ge=0, le=1)]
Count = Annotated[int, Field(ge=0)]


@dataclass(kw_only=True)
class DataFileRef:
    path: str
    sha256: str


@dataclass(kw_only=True)
class TestsetRef:
    __test__ = False  # not a pytest class

    name: str
    pair: str
    files: Annotated[list[DataFileRef], Field(min_length=1)]
    segments: Annotated[int, Field(ge=1)]
    limit: Annotated[int, Field(ge=1)] | None = None
    licence: str = ""
    translationese: bool = False
    note: str = ""

    @property
    def sha256(self) -> str:
        """One hash for the data: the files' sha256 in order, plus the segment count used."""
        total = hashlib.sha256()
        for file in self.files:
            total.update(file.sha256.encode())
        total.update(f"|{self.segments}".encode())
        return total.hexdigest()

    @property
    def label(self) -> str:
        return f"{self.name} {self.pair} ({self.segments} segments)"


@dataclass(kw_only=True)
class GlossaryFileRef:
    path: str
    sha256: str | None = None  # None: the file was missing when the run was made


@dataclass(kw_only=True)
class GlossaryRef:
    files: list[GlossaryFileRef]
    sha256: str


@dataclass(kw_only=True)
class Metrics:
    bleu: Number
    chrf: Number
    ter: Number
    signatures: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> float:
        return getattr(self, name)


@dataclass(kw_only=True)
class DecodeSettings:
    beam_size: Annotated[int, Field(ge=1)]
    max_length: Annotated[int, Field(ge=1)] | None = None
    batch_tokens: Count | None = None
    batch_size: Count | None = None
    min_length: Count | None = None
    num_hypotheses: Count | None = None


@dataclass(kw_only=True)
class RunOptions:
    decode: DecodeSettings
    device: str = "cpu"
    threads: Count = 0
    glossary_mode: str | None = None
    n_best: Count | None = None


@dataclass(kw_only=True)
class TermCounts:
    hits: Count
    total: Count


@dataclass(kw_only=True)
class Timings:
    load_s: NonNegative | None = None
    translate_s: NonNegative | None = None
    score_s: NonNegative | None = None
    total_s: NonNegative | None = None
    segments_per_s: NonNegative | None = None


@dataclass(kw_only=True)
class EngineInfo:
    """What the engine reported at load time (`Engine.info()`), plus the model revision."""

    compute_type: str | None = None
    device: str | None = None
    threads: int | None = None
    directory: str | None = None
    revision: str | None = None  # hub commit, or "sha256:..." of a local model's files
    model: str | None = None
    engine: str | None = None
    architecture: str | None = None


@dataclass(kw_only=True)
class Memory:
    peak_rss_mib: NonNegative | None = None  # the process's high-water mark during the run


@dataclass(kw_only=True)
class RunRecord:
    format: Literal["dilmanc-eval-run/1"]
    dilmanc_version: str
    date: str
    model: str
    engine: str
    architecture: str = ""
    engine_info: EngineInfo | None = None
    options: RunOptions | None = None
    glossary: GlossaryRef | None = None
    testset: TestsetRef
    metrics: Metrics
    term_accuracy: Fraction | None = None
    term_counts: TermCounts | None = None
    timings: Timings = field(default_factory=Timings)
    memory: Memory | None = None
    pipeline: dict[str, Any] = field(default_factory=dict)
    hypotheses_file: str | None = None

    @property
    def compute_type(self) -> str | None:
        return self.engine_info.compute_type if self.engine_info else None

    @property
    def revision(self) -> str | None:
        return self.engine_info.revision if self.engine_info else None

    @property
    def beam(self) -> int | None:
        return self.options.decode.beam_size if self.options else None

    @property
    def max_length(self) -> int | None:
        return self.options.decode.max_length if self.options else None

    @property
    def glossary_mode(self) -> str | None:
        return self.options.glossary_mode if self.options else None

    @property
    def peak_rss_mib(self) -> float | None:
        return self.memory.peak_rss_mib if self.memory else None


_ADAPTER = TypeAdapter(RunRecord)

_JSON_TYPES = {
    str: "a string",
    bool: "true/false",
    int: "a number",
    float: "a number",
    list: "a list",
    dict: "an object",
    type(None): "null",
}


def _one_line(error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"field {where!r} is missing"
    got = _JSON_TYPES.get(type(error.get("input")), type(error.get("input")).__name__)
    message = error["msg"].replace("Input should be", "should be")
    return f"field {where!r} {message} (got {got})"


def parse_record(text: str, source: str | Path) -> RunRecord:
    """JSON text → RunRecord; InputError naming `source` and the first bad field."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{source}: not valid JSON (line {err.lineno}: {err.msg})") from None
    if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
        raise InputError(f"{source}: not a dilmanc run record (expected format {RECORD_FORMAT})")
    try:
        return _ADAPTER.validate_json(text, strict=True)
    except ValidationError as err:
        errors = err.errors()
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(f"{source}: damaged run record: {_one_line(errors[0])}{more}") from None


def record_json(record: RunRecord) -> dict:
    """The JSON form of a record (the only serializer)."""
    return _ADAPTER.dump_python(record, mode="json")


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def slug(text: str) -> str:
    """A file-name-safe form of a model name: `Helsinki-NLP/opus-mt-az-en` → `opus-mt-az-en`."""
    tail = text.rstrip("/\\").replace("\\", "/").split("/")[-1] or text
    return re.sub(r"[^A-Za-z0-9._-]+", "_", tail).strip("._") or "model"


def new_record(**fields) -> RunRecord:
    """A record with format, version and date; `fields` (JSON-able) are checked by the schema."""
    data = {"format": RECORD_FORMAT, "dilmanc_version": __version__, "date": now_utc(), **fields}
    return parse_record(json.dumps(data, ensure_ascii=False), "new run record")


def write_run(out_dir: str | Path, record: RunRecord, hypotheses: list[str]) -> tuple[Path, Path]:
    """Write `<stem>.json` and `<stem>.hyp.txt` into out_dir; return both paths."""
    out = Path(out_dir)
    stamp = record.date.replace(":", "").replace("-", "")
    testset = record.testset
    stem = f"{testset.name}.{testset.pair}.{slug(record.model)}.{stamp}"
    json_path, hyp_path = out / f"{stem}.json", out / f"{stem}.hyp.txt"
    number = 1
    while json_path.exists() or hyp_path.exists():  # two runs in one second
        number += 1
        json_path, hyp_path = out / f"{stem}-{number}.json", out / f"{stem}-{number}.hyp.txt"
    record.hypotheses_file = hyp_path.name
    write_text_atomic(hyp_path, "".join(f"{line}\n" for line in hypotheses))
    text = json.dumps(record_json(record), ensure_ascii=False, indent=2) + "\n"
    write_text_atomic(json_path, text)
    return json_path, hyp_path


def load_run(path: str | Path) -> RunRecord:
    """Read and validate a run record; InputError (one line, file and field) if damaged."""
    return parse_record(read_text(path), path)


@dataclass
class Run:
    """A record read from disk, with its hypotheses; `label` is its place in a report (#1)."""

    path: Path
    record: RunRecord
    hypotheses: list[str]
    label: str = ""

    @property
    def name(self) -> str:
        return self.path.name.removesuffix(".json")


def load_hypotheses(path: str | Path, record: RunRecord) -> list[str]:
    """The record's stored hypotheses (beside it); InputError if absent or misaligned."""
    from dilmanc.eval.inputs import read_segments

    if not record.hypotheses_file:
        raise InputError(f"{path}: run record has no stored hypotheses ('hypotheses_file')")
    hyp_path = Path(path).parent / record.hypotheses_file
    if Path(record.hypotheses_file).name != record.hypotheses_file:
        raise InputError(f"{path}: field 'hypotheses_file' must be a file name beside the record")
    if not hyp_path.is_file():
        raise InputError(f"{path}: stored hypotheses {hyp_path} are missing")
    hyps = read_segments(hyp_path)
    if len(hyps) != record.testset.segments:
        raise InputError(
            f"{hyp_path}: {len(hyps)} lines but the record says {record.testset.segments} segments"
        )
    return hyps


def read_run(path: str | Path) -> Run:
    """A record and its hypotheses, both checked."""
    record = load_run(path)
    return Run(Path(path), record, load_hypotheses(path, record))
