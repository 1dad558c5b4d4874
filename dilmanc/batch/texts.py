"""A corpus of texts with ids (`{"id": ..., "text": ...}` per JSONL line, or a Parquet table
with `id` and `text` columns) translated in batches of texts, resumable by id.

The texts are cut into batches of `BATCH_TEXTS`; a worker translates a batch into every target
(sentences batched across its texts) and returns the translations; the driver writes them to a
part file in the run directory (`OUT/.dilmanc-batch/texts/`, renamed into place whole) and
records the part, with its ids, in the run's manifest. A re-run translates only the ids whose
text (by sha256) has no translation with the same settings yet. When every text is done, the
output `OUT/<stem>.translated.jsonl` (or `.parquet`) is written atomically: `id` and one column
per target, in input order.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dilmanc.batch.inputs import Item
from dilmanc.batch.run import OnResult, Summary, collect
from dilmanc.batch.state import RunState
from dilmanc.errors import InputError, ResourceUnavailable
from dilmanc.fileio import read_text, write_text_atomic

BATCH_TEXTS = 64
PARTS = "texts"


@dataclass(frozen=True)
class Text:
    id: object  # as in the input (a string or a number)
    text: str

    @property
    def key(self) -> str:
        return json.dumps(self.id)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def is_text_table(spec: str) -> bool:
    """Whether `spec` is a corpus of texts: a .parquet file, or a .jsonl file whose first
    line is an object with a "text" field (a .jsonl of paths is a manifest of documents)."""
    path = Path(spec)
    if not path.is_file():
        return False
    if path.suffix.lower() == ".parquet":
        return True
    if path.suffix.lower() != ".jsonl":
        return False
    first = next((line for line in read_text(path).splitlines() if line.strip()), "")
    try:
        value = json.loads(first)
    except json.JSONDecodeError:
        return False
    return isinstance(value, dict) and "text" in value


def read_texts(path: str | Path) -> list[Text]:
    """The texts of a corpus file; InputError for a bad line, a missing id or text, or an id
    given twice."""
    path = Path(path)
    rows = _parquet_rows(path) if path.suffix.lower() == ".parquet" else _jsonl_rows(path)
    texts, seen = [], set()
    for where, row in rows:
        value, text = row.get("id"), row.get("text")
        if value is None or isinstance(value, (dict, list)) or not isinstance(text, str):
            raise InputError(f"{path}:{where}: expected an id and a text")
        item = Text(value, text)
        if item.key in seen:
            raise InputError(f"{path}:{where}: id {item.key} appears twice")
        seen.add(item.key)
        texts.append(item)
    if not texts:
        raise InputError(f"{path}: no texts")
    return texts


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict]]:
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{path}:{number}: not JSON ({err.msg})") from None
        yield number, row if isinstance(row, dict) else {}


def _parquet_rows(path: Path) -> Iterator[tuple[str, dict]]:
    parquet = _pyarrow_parquet()
    try:
        table = parquet.read_table(path, columns=["id", "text"])
    except Exception as err:  # noqa: BLE001 - pyarrow's errors: a bad file, missing columns
        problem = " ".join(str(err).split())[:200]
        raise InputError(
            f"{path}: not a Parquet table with id and text columns: {problem}"
        ) from None
    for number, row in enumerate(table.to_pylist(), 1):
        yield f"row {number}", row


def _pyarrow_parquet():
    try:
        import pyarrow.parquet as parquet
    except ImportError:
        raise ResourceUnavailable("Parquet needs pyarrow: pip install dilmanc[ray]") from None
    return parquet


# --- the run ------------------------------------------------------------------------------------


def output_path(out_dir: str | Path, source: str | Path) -> Path:
    source = Path(source)
    return Path(out_dir) / f"{source.stem}.translated{source.suffix.lower()}"


def finished(state: RunState) -> dict[str, dict]:
    """id key → its part-file line (sha256 and translations) for the texts translated with
    this run's settings, read from the part files the manifest records as done."""
    done: dict[str, dict] = {}
    for record in state.records.values():
        if not record["item"].startswith(f"{PARTS}/") or record.get("status") != "done":
            continue
        part = state.directory / record["item"]
        if record.get("settings") != state.settings or not part.is_file():
            continue
        for line in read_text(part).splitlines():
            row = json.loads(line)
            done[json.dumps(row["id"])] = row
    return done


def plan_texts(texts: list[Text], done: dict[str, dict]) -> tuple[list[list[Text]], int]:
    """(batches of texts still to translate, number already done)."""
    pending = [t for t in texts if done.get(t.key, {}).get("sha256") != t.sha256]
    batches = [pending[i : i + BATCH_TEXTS] for i in range(0, len(pending), BATCH_TEXTS)]
    return batches, len(texts) - len(pending)


def batch_rows(batches: list[list[Text]]) -> list[dict]:
    """The batches as rows for a worker or a Ray dataset (JSON: ids and texts)."""
    stamp = f"{int(time.time())}-{uuid.uuid4().hex[:8]}"
    return [
        {
            "part": f"{PARTS}/{stamp}-{number:05}.jsonl",
            "texts": json.dumps([[t.id, t.text] for t in batch], ensure_ascii=False),
        }
        for number, batch in enumerate(batches)
    ]


def record_parts(
    results: Iterable[tuple[dict, dict]],
    state: RunState,
    summary: Summary,
    on_result: OnResult | None = None,
    memory=None,
) -> None:
    """Write each finished batch's part file, then record it (`collect`)."""

    def written() -> Iterator[tuple[Item, dict]]:
        for row, outcome in results:
            item = Item(row["part"], row["part"])
            if outcome["status"] == "done":
                lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in outcome.pop("rows")]
                write_text_atomic(state.directory / row["part"], "".join(lines))
                outcome["outputs"] = [f"{state.directory.name}/{row['part']}"]
            yield item, outcome

    (state.directory / PARTS).mkdir(exist_ok=True)
    done, units = summary.done, summary.units
    try:
        collect(written(), _Fingerprints(), state, summary, on_result, memory)
    finally:  # a corpus counts texts, not batches
        summary.done = done + summary.units - units


class _Fingerprints(dict):
    """A part has no input file of its own: its fingerprint is empty."""

    def __missing__(self, key: str) -> dict:
        return {}


def run_texts_local(rows: list[dict], state: RunState, worker_factory, summary, on_result=None):
    """Translate the batches `rows` with one worker in this process."""
    started = time.perf_counter()
    if rows:
        worker = worker_factory()
        try:
            results = ((row, worker.translate_texts(row["texts"])) for row in rows)
            record_parts(results, state, summary, on_result)
        finally:
            worker.close()
    summary.seconds += time.perf_counter() - started
    return summary


def write_output(texts: list[Text], done: dict[str, dict], targets: list[str], path: Path):
    """`id` and one column per target, in input order, written whole (JSONL or Parquet)."""
    rows = [{"id": t.id, **{iso: done[t.key][iso] for iso in targets}} for t in texts]
    if path.suffix == ".parquet":
        import pyarrow as arrow

        from dilmanc.fileio import atomic_writer

        with atomic_writer(path, None, binary=True) as handle:
            _pyarrow_parquet().write_table(arrow.Table.from_pylist(rows), handle)
    else:
        write_text_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
