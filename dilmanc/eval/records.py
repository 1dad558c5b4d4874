"""Benchmark run records: one JSON file per run, the hypotheses in a text file beside it.

A record holds what is needed to reproduce and to trust a number: model, engine, decoding
options, glossary hash, metrics with their sacrebleu signatures, term accuracy, timings,
dilmanc version, date, and the test set with its files' sha256 and translationese flag.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from dilmanc import __version__
from dilmanc.errors import InputError
from dilmanc.fileio import read_text, write_text_atomic

RECORD_FORMAT = "dilmanc-eval-run/1"


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def slug(text: str) -> str:
    """A file-name-safe form of a model name: `Helsinki-NLP/opus-mt-az-en` → `opus-mt-az-en`."""
    tail = text.rstrip("/\\").replace("\\", "/").split("/")[-1] or text
    return re.sub(r"[^A-Za-z0-9._-]+", "_", tail).strip("._") or "model"


def new_record(**fields) -> dict:
    """A record skeleton with format, version and date; `fields` are added as given."""
    return {"format": RECORD_FORMAT, "dilmanc_version": __version__, "date": now_utc(), **fields}


def write_run(out_dir: str | Path, record: dict, hypotheses: list[str]) -> tuple[Path, Path]:
    """Write `<stem>.json` and `<stem>.hyp.txt` into out_dir; return both paths."""
    out = Path(out_dir)
    stamp = record["date"].replace(":", "").replace("-", "")
    testset = record["testset"]
    stem = f"{testset['name']}.{testset['pair']}.{slug(record['model'])}.{stamp}"
    json_path, hyp_path = out / f"{stem}.json", out / f"{stem}.hyp.txt"
    number = 1
    while json_path.exists() or hyp_path.exists():  # two runs in one second
        number += 1
        json_path, hyp_path = out / f"{stem}-{number}.json", out / f"{stem}-{number}.hyp.txt"
    record["hypotheses_file"] = hyp_path.name
    write_text_atomic(hyp_path, "".join(f"{line}\n" for line in hypotheses))
    write_text_atomic(json_path, json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    return json_path, hyp_path


def load_run(path: str | Path) -> dict:
    """Read a run record; InputError if it is not JSON or not a dilmanc run record."""
    try:
        record = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not valid JSON (line {err.lineno}: {err.msg})") from None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        raise InputError(f"{path}: not a dilmanc run record (expected format {RECORD_FORMAT})")
    for key in ("model", "testset", "metrics"):
        if key not in record:
            raise InputError(f"{path}: run record has no {key!r}")
    return record
