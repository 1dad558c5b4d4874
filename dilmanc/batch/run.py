"""Planning a batch (what is left to do) and running it in this process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dilmanc.batch.inputs import Item
from dilmanc.batch.state import RunState
from dilmanc.batch.worker import Worker

# Called with (item, outcome) as each item finishes.
OnResult = Callable[[Item, dict], None]


@dataclass
class Summary:
    """What a run did: items translated, skipped as already done, failed (with the error)."""

    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (input, one-line error)
    units: int = 0
    cache_hits: int = 0  # sentences the machine cache served
    cache_new: int = 0  # sentences the models translated into the cache
    seconds: float = 0.0
    workers: dict = field(default_factory=dict)  # Ray: actors, threads per actor, CPUs

    def to_json(self) -> dict:
        return {
            "done": self.done,
            "skipped": self.skipped,
            "failed": [{"input": path, "error": error} for path, error in self.failed],
            "units": self.units,
            "cache_hits": self.cache_hits,
            "cache_new": self.cache_new,
            "seconds": round(self.seconds, 3),
            **({"workers": self.workers} if self.workers else {}),
        }


def plan(items: list[Item], state: RunState) -> tuple[list[tuple[Item, dict]], int]:
    """(items to translate with their input fingerprints, number already done). Inputs
    inside the output folder (earlier outputs) are left out."""
    out = state.out_dir.resolve()
    pending, skipped = [], 0
    for item in items:
        if Path(item.path).resolve().is_relative_to(out):
            continue
        fingerprint = state.fingerprint(item)
        if state.is_done(item, fingerprint):
            skipped += 1
        else:
            pending.append((item, fingerprint))
    return pending, skipped


def collect(
    results: Iterable[tuple[Item, dict]],
    fingerprints: dict[str, dict],
    state: RunState,
    summary: Summary,
    on_result: OnResult | None = None,
    memory=None,
) -> None:
    """Record each finished item in the run's manifest and count it in `summary`; the
    machine-cache entries a worker sent back (`"cache"`) go into `memory`."""
    for item, outcome in results:
        entries = outcome.pop("cache", None)
        if entries and memory is not None:
            memory.cache_put_many([tuple(entry) for entry in entries])
        summary.cache_hits += outcome.get("cache_hits", 0)
        summary.cache_new += outcome.get("cache_new", 0)
        state.record(item, fingerprints[item.relative], outcome)
        if outcome["status"] == "done":
            summary.done += 1
            summary.units += outcome.get("units", 0)
        else:
            summary.failed.append((item.path, outcome["error"]))
        if on_result is not None:
            on_result(item, outcome)


def run_local(
    pending: list[tuple[Item, dict]],
    state: RunState,
    worker_factory: Callable[[], Worker],
    summary: Summary,
    on_result: OnResult | None = None,
) -> Summary:
    """Translate `pending` with one worker in this process."""
    started = time.perf_counter()
    if pending:
        worker = worker_factory()
        try:
            results = _each(worker, [item for item, _ in pending])
            fingerprints = {item.relative: fp for item, fp in pending}
            collect(results, fingerprints, state, summary, on_result)
        finally:
            worker.close()
    summary.seconds += time.perf_counter() - started
    return summary


def _each(worker: Worker, items: list[Item]) -> Iterator[tuple[Item, dict]]:
    for item in items:
        yield item, worker.translate(item)
