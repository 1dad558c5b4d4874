"""Running a batch on Ray (an optional extra: `pip install dilmanc[ray]`).

The pending items become a Ray Data dataset, one item per block; `map_batches` sends them
through a pool of actors, each building one `Worker` (one `Service`: engines load once per
actor) with `threads` CTranslate2 threads, as many actors as fit the cluster's CPUs
(actors × threads ≤ CPUs). Actors write the outputs themselves, atomically and under the
names `translate` uses, so the output folder must be shared by the nodes (one machine, or a
network file system). The driver records each finished item in the run's manifest as its
result streams back. An actor that dies is restarted by Ray and its item tried again; the
item's temporaries are removed by the next write of the same output.

With a SQLite memory the actors only read it: each item's new machine-cache entries come
back with its result and the driver writes them (one writer, no lock contention across
nodes), so the next run over the same archive is served from the cache. A PostgreSQL
memory is shared: actors read and write it directly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import time
from pathlib import Path

from dilmanc.batch.inputs import Item
from dilmanc.batch.run import OnResult, Summary, collect
from dilmanc.batch.state import RunState
from dilmanc.batch.worker import Worker
from dilmanc.errors import DilmancError, ResourceUnavailable, UsageError
from dilmanc.memory.backend import scheme_of

INSTALL_HINT = "Ray is not installed: pip install dilmanc[ray]"


def require_ray():
    """The `ray` module, or ResourceUnavailable naming the extra to install."""
    try:
        import ray
        import ray.data  # noqa: F401 - the Data library is the part used
    except ImportError:
        raise ResourceUnavailable(INSTALL_HINT) from None
    return ray


def connect(address: str):
    """Join the Ray cluster at `address` ("auto": the one started on this machine with
    `ray start --head`; "local": a new one in this process), unless already connected."""
    ray = require_ray()
    for name in ("ray", "ray.data"):  # Ray's notes stay out of the user's terminal
        logging.getLogger(name).setLevel(logging.ERROR)
    if not ray.is_initialized():
        try:
            ray.init(
                address=None if address == "local" else address,
                log_to_driver=False,
                logging_level="ERROR",
                configure_logging=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as err:
            problem = " ".join(str(err).split())[:200]
            raise ResourceUnavailable(
                f"cannot reach a Ray cluster at {address}: {problem}"
            ) from None
    return ray


def pool_size(cpus: int, workers: int, threads: int) -> tuple[int, int]:
    """(actors, threads per actor) with actors × threads ≤ cpus; 0 means choose."""
    if workers and threads:
        if workers * threads > cpus:
            raise UsageError(
                f"workers × threads ({workers} × {threads}) exceeds the cluster's {cpus} CPUs"
            )
        return workers, threads
    if workers:
        return workers, max(1, cpus // workers) if workers <= cpus else 1
    threads = threads or 1
    return max(1, cpus // threads), threads


class RayWorker:
    """The actor: one `Worker`, called with batches of items (`path`, `relative`)."""

    def __init__(self, settings, out_dir: str, fmt, encoding, retries: int, share_cache) -> None:
        self.worker = Worker(
            settings, out_dir, fmt=fmt, encoding=encoding, retries=retries, share_cache=share_cache
        )

    def __call__(self, batch: dict) -> dict:
        if "texts" in batch:  # batches of texts of a corpus
            outcomes = [self.worker.translate_texts(str(texts)) for texts in batch["texts"]]
            return {"part": [str(p) for p in batch["part"]], "outcome": _dumps(outcomes)}
        relatives, outcomes = [], []
        for path, relative in zip(batch["path"], batch["relative"], strict=True):
            outcomes.append(self.worker.translate(Item(str(path), str(relative))))
            relatives.append(str(relative))
        return {"relative": relatives, "outcome": _dumps(outcomes)}

    def __del__(self) -> None:
        worker = getattr(self, "worker", None)
        if worker is not None:
            worker.close()


def run_ray(
    pending: list[tuple[Item, dict]],
    state: RunState,
    settings,
    summary: Summary,
    *,
    address: str,
    workers: int = 0,
    fmt: str | None = None,
    encoding: str | None = None,
    retries: int = 2,
    on_result: OnResult | None = None,
) -> Summary:
    """Translate `pending` over a Ray Data actor pool (see the module docstring)."""
    by_name = {item.relative: item for item, _ in pending}
    rows = [{"path": item.path, "relative": item.relative} for item, _ in pending]
    fingerprints = {item.relative: fp for item, fp in pending}

    def record(results, memory) -> None:
        found = ((by_name[row["relative"]], outcome) for row, outcome in results)
        collect(found, fingerprints, state, summary, on_result, memory)

    extra = {"fmt": fmt, "encoding": encoding}
    return _run(rows, record, state, settings, summary, address, workers, retries, extra)


def run_ray_texts(
    rows: list[dict],
    state: RunState,
    settings,
    summary: Summary,
    *,
    address: str,
    workers: int = 0,
    retries: int = 2,
    on_result: OnResult | None = None,
) -> Summary:
    """Translate batches of texts (`dilmanc.batch.texts.batch_rows`) over the actor pool; the
    driver writes each batch's part file and records it."""
    from dilmanc.batch.texts import record_parts

    def record(results, memory) -> None:
        record_parts(results, state, summary, on_result, memory)

    return _run(rows, record, state, settings, summary, address, workers, retries, {})


def _run(rows, record, state, settings, summary, address, workers, retries, extra) -> Summary:
    """Stream `rows` through the actor pool; `record(results, memory)` takes the (row,
    outcome) pairs as they come back."""
    started = time.perf_counter()
    ray = connect(address)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    actors, threads = pool_size(cpus, workers, settings.threads)
    summary.workers = {"actors": actors, "threads": threads, "cpus": cpus}
    if rows:
        merged = settings.use_cache and scheme_of(settings.memory) == "sqlite"
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            RayWorker,
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=min(actors, len(rows))),
            num_cpus=threads,
            fn_constructor_kwargs={
                "settings": dataclasses.replace(settings, threads=threads),
                "out_dir": str(Path(state.out_dir).resolve()),
                "retries": retries,
                "share_cache": not merged,
                **{"fmt": None, "encoding": None, **extra},
            },
        )
        results = (_unpack(row) for row in dataset.iter_rows())
        with _driver_memory(settings, merged) as memory:
            try:
                record(results, memory)
            except DilmancError:
                raise
            except Exception as err:  # Ray's wrapping of an actor's error: one line, resumable
                raise ResourceUnavailable(
                    f"the Ray run stopped ({summary.done} items done, recorded): {_cause(err)}"
                ) from None
    summary.seconds += time.perf_counter() - started
    return summary


def _unpack(row: dict) -> tuple[dict, dict]:
    outcome = json.loads(row.pop("outcome"))
    return row, outcome


def _dumps(outcomes: list[dict]) -> list[str]:
    return [json.dumps(outcome, ensure_ascii=False) for outcome in outcomes]


@contextlib.contextmanager
def _driver_memory(settings, merged: bool):
    """The SQLite memory the driver merges the actors' new cache entries into (opened before
    any actor reads it), or None when actors write the cache themselves (PostgreSQL, or off)."""
    if not merged:
        yield None
        return
    from dilmanc.memory import Memory

    memory = Memory.open(settings.memory)
    try:
        yield memory
    finally:
        memory.close()


def _cause(err: BaseException) -> str:
    """The innermost error's one line (Ray wraps an actor's exception more than once)."""
    from dilmanc.batch.worker import one_line

    while err.__cause__ is not None:
        err = err.__cause__
    return one_line(err)[:300]
