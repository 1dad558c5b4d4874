"""Cross-request batching: one worker thread per model merges the segments of requests that
arrive together into one engine call.

`BatchingEngine` wraps a loaded `Engine` and has the same interface, so every request keeps
its own `Pipeline` (segmentation, glossary, tags, cache) while the engine sees one big batch.
A request thread's `iter_results`/`translate_results` call becomes a `_Job` in a bounded
queue and waits for its results; the worker takes the oldest job, waits at most `window`
seconds for more jobs with the same languages and decoding options (only while requests
that have not submitted yet are known to be running, see `Activity`), merges them up to
`max_segments` (identical segments are decoded once), and hands the merged list to the
wrapped engine, which sorts it by length and decodes it in token-budget batches.

Only the worker thread calls the wrapped engine, so engine calls are serialized (tokenizers
and models are never used by two threads at once). A full queue raises `Busy` at once; a
request whose deadline passes raises `Timeout` and its queued job is dropped.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from dilmanc.engines.base import DecodeOptions, Engine, TranslationResult
from dilmanc.errors import DilmancError
from dilmanc.languages import Language

#: the monotonic time by which the current request must finish (set per request)
DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("DEADLINE", default=None)


class Busy(DilmancError):
    """The batch queue is full: the client should retry later (HTTP 429)."""


class Timeout(DilmancError):
    """The request's deadline passed before its segments were translated."""


class Stopped(DilmancError):
    """The batcher is shut down."""


def check_deadline() -> None:
    """Timeout when the current request's deadline (DEADLINE) has passed: for work that
    does not wait on a batcher, such as parsing an upload, between its steps."""
    deadline = DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise Timeout("the request timed out while reading the document")


class Activity:
    """How many translation requests are running (the app counts them), so the worker
    waits for requests that are about to submit and not for nobody."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def __enter__(self) -> Activity:
        with self._lock:
            self.count += 1
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self.count -= 1


@dataclass(eq=False)
class _Job:
    texts: list[str]
    key: tuple
    attention: bool
    owner: int  # the submitting thread
    done: threading.Event = field(default_factory=threading.Event)
    results: list[TranslationResult] | None = None
    error: BaseException | None = None
    abandoned: bool = False


@dataclass
class BatchStats:
    """Totals for /ready and the benchmark: engine calls, jobs and segments merged."""

    calls: int = 0
    jobs: int = 0
    segments: int = 0
    unique: int = 0
    busy: int = 0
    timeouts: int = 0
    engine_seconds: float = 0.0

    def to_json(self) -> dict:
        return {
            "engine_calls": self.calls,
            "jobs": self.jobs,
            "segments": self.segments,
            "unique_segments": self.unique,
            "rejected_busy": self.busy,
            "timeouts": self.timeouts,
            "engine_seconds": round(self.engine_seconds, 3),
            "segments_per_call": round(self.segments / self.calls, 2) if self.calls else 0.0,
        }


class BatchingEngine(Engine):
    """An Engine whose calls from many threads are merged into shared engine calls."""

    def __init__(
        self,
        inner: Engine,
        *,
        window: float = 0.005,
        max_segments: int | None = None,
        max_queue: int = 4096,
        activity: Activity | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        """`on_batch(segments)` is called after each merged engine call (metrics)."""
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.architecture = inner.architecture
        self.max_batch_size = inner.max_batch_size
        self.max_source_tokens = inner.max_source_tokens
        self.window = max(0.0, window)
        self.max_segments = max_segments or max(inner.max_batch_size, 1)
        self.max_queue = max_queue
        self.activity = activity
        self.on_batch = on_batch
        self.stats = BatchStats()
        self._pending: deque[_Job] = deque()
        self._queued = 0  # segments waiting
        self._cond = threading.Condition()
        self._stopping = False
        self._worker = threading.Thread(
            target=self._run, name=f"dilmanc-batcher-{inner.model}", daemon=True
        )
        self._worker.start()

    # --- what the Engine interface asks for: delegated ----------------------------------------
    def supports(self, source: Language, target: Language) -> bool:
        return self.inner.supports(source, target)

    def supported_targets(self) -> list[str]:
        return self.inner.supported_targets()

    def describe_languages(self) -> str:
        return self.inner.describe_languages()

    def _encode(self, texts: list[str], source: Language, target: Language) -> list[Any]:
        raise NotImplementedError("BatchingEngine decodes through its worker")  # never called

    def _translate_encoded(self, batch, source, target, **decode):  # pragma: no cover
        raise NotImplementedError("BatchingEngine decodes through its worker")

    def count_tokens(self, text: str, source: Language | None = None) -> int:
        return self.inner.count_tokens(text, source)

    def info(self) -> dict:
        return self.inner.info()

    # --- translating -------------------------------------------------------------------------
    def iter_results(
        self,
        texts: Iterable[str],
        source: Language,
        target: Language,
        options: DecodeOptions | None = None,
        *,
        buffer_size: int | None = None,
        return_attention: bool = False,
        suppress: Sequence[str] = (),
    ) -> Iterator[TranslationResult]:
        yield from self.translate_results(
            list(texts),
            source,
            target,
            options,
            return_attention=return_attention,
            suppress=suppress,
        )

    def translate_results(
        self,
        texts: list[str],
        source: Language,
        target: Language,
        options: DecodeOptions | None = None,
        *,
        return_attention: bool = False,
        batch_all: bool = False,
        suppress: Sequence[str] = (),
    ) -> list[TranslationResult]:
        self.check_pair(source, target)
        texts = list(texts)
        if not texts:
            return []
        options = options or DecodeOptions()
        key = (source, target, options, tuple(suppress))
        # a request's segments go in pieces of at most max_segments, so one large document
        # does not hold up the short requests that arrive while it is being translated
        step = self.max_segments
        jobs = [
            _Job(texts[i : i + step], key, return_attention, threading.get_ident())
            for i in range(0, len(texts), step)
        ]
        with self._cond:
            if self._stopping:
                raise Stopped("the server is shutting down")
            if self._queued + len(texts) > self.max_queue and self._pending:
                self.stats.busy += 1
                raise Busy(f"translation queue is full ({self._queued} segments waiting)")
            self._pending.extend(jobs)
            self._queued += len(texts)
            self._cond.notify_all()
        out: list[TranslationResult] = []
        deadline = DEADLINE.get()
        for job in jobs:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not job.done.wait(remaining):
                self._abandon(jobs)
                raise Timeout("the request timed out waiting for the translation engine")
            if job.error is not None:
                raise job.error
            out.extend(job.results or ())
        return out

    def _abandon(self, jobs: list[_Job]) -> None:
        with self._cond:
            self.stats.timeouts += 1
            for job in jobs:
                job.abandoned = True
                if job in self._pending:
                    self._pending.remove(job)
                    self._queued -= len(job.texts)

    # --- the worker ----------------------------------------------------------------------------
    def _owners_waiting(self) -> int:
        return len({job.owner for job in self._pending})

    def _take(self) -> list[_Job] | None:
        """The next merged call's jobs (same key), or None when stopping with nothing left."""
        with self._cond:
            while not self._pending:
                if self._stopping:
                    return None
                self._cond.wait()
            first = self._pending[0]
            deadline = time.monotonic() + self.window
            while not self._stopping:
                queued = sum(len(j.texts) for j in self._pending if j.key == first.key)
                if queued >= self.max_segments:
                    break
                running = self.activity.count if self.activity is not None else 0
                if running <= self._owners_waiting():  # nobody else is about to submit
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            taken: list[_Job] = []
            count = 0
            for job in list(self._pending):
                if job.key != first.key:
                    continue
                if taken and count + len(job.texts) > self.max_segments:
                    break
                taken.append(job)
                count += len(job.texts)
                self._pending.remove(job)
            self._queued -= count
            return taken

    def _run(self) -> None:
        while True:
            jobs = self._take()
            if jobs is None:
                return
            jobs = [job for job in jobs if not job.abandoned]
            if not jobs:
                continue
            self._decode(jobs)

    def _decode(self, jobs: list[_Job]) -> None:
        source, target, options, suppress = jobs[0].key
        index: dict[str, int] = {}
        unique: list[str] = []
        for job in jobs:
            for text in job.texts:
                if text not in index:
                    index[text] = len(unique)
                    unique.append(text)
        started = time.perf_counter()
        try:
            results = self.inner.translate_results(
                unique,
                source,
                target,
                options,
                return_attention=any(job.attention for job in jobs),
                **({"suppress": suppress} if suppress else {}),
            )
        except BaseException as err:  # every waiting request gets the error, the worker lives
            for job in jobs:
                job.error = err
                job.done.set()
            return
        finally:
            self.stats.engine_seconds += time.perf_counter() - started
        self.stats.calls += 1
        if self.on_batch is not None:
            self.on_batch(len(unique))
        self.stats.jobs += len(jobs)
        self.stats.segments += sum(len(job.texts) for job in jobs)
        self.stats.unique += len(unique)
        for job in jobs:
            job.results = [results[index[text]] for text in job.texts]
            job.done.set()

    def close(self, *, drop: bool = False) -> None:
        """Stop the worker (the wrapped engine stays loaded) once what is queued is finished,
        or with `drop` at once: queued jobs fail with Stopped, only the engine call under way
        finishes."""
        with self._cond:
            self._stopping = True
            if drop:
                for job in self._pending:
                    job.error = Stopped("the server is shutting down")
                    job.done.set()
                self._pending.clear()
                self._queued = 0
            self._cond.notify_all()
        self._worker.join()

    @property
    def queued(self) -> int:
        return self._queued
