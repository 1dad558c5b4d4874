"""Document jobs queued on disk: upload → queued → translating → done | error.

Each job is a folder `<jobs>/<id>/` with `job.json` (its record, rewritten atomically on
every change), the uploaded file under `input/` and, once done, the translation under
`output/` (written atomically by the document writer). One worker thread runs the jobs
oldest first. On stop the worker finishes no new job; a job being translated is interrupted
between chunks and goes back to `queued`, with no output left behind. At start, jobs found
`translating` (the process died) are queued again, so queued work survives restarts.
Finished jobs and their files are removed `ttl` seconds after they finished.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import secrets
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from dilmanc.errors import DilmancError
from dilmanc.fileio import atomic_writer, read_text, write_text_atomic

QUEUED, TRANSLATING, DONE, ERROR = "queued", "translating", "done", "error"


class JobNotFound(DilmancError):
    pass


class WrongKey(DilmancError):
    pass


class NotReady(DilmancError):
    pass


@dataclass
class JobRecord:
    id: str
    key_sha256: str
    filename: str
    output_name: str
    source: str
    target: str
    glossary_id: str | None
    owner: str | None
    created: float
    status: str = QUEUED
    finished: float | None = None
    billed_characters: int | None = None
    error_message: str | None = None
    started: float | None = None  # when it was last taken up for translating

    def to_status(self, seconds_remaining: int = 1) -> dict:
        """The record as DeepL's document status: `seconds_remaining` (an integer) only
        while translating, as DeepL's schema says."""
        out: dict = {"document_id": self.id, "status": self.status}
        if self.status == TRANSLATING:
            out["seconds_remaining"] = max(0, int(seconds_remaining))
        if self.billed_characters is not None:
            out["billed_characters"] = self.billed_characters
        if self.status == ERROR:
            out["error_message"] = self.error_message or "unknown error"
        return out


# Runs one job: (record, input file, output file, should_stop) → characters translated.
Runner = Callable[[JobRecord, Path, Path, Callable[[], bool]], int]


class JobQueue:
    def __init__(self, directory: Path, runner: Runner, *, ttl: float = 3600.0) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.runner = runner
        self.ttl = ttl
        self._lock = threading.Condition()
        self._records: dict[str, JobRecord] = {}
        self._progress: dict[str, tuple[int, int]] = {}  # id → (units done, units in all)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._recover()

    # --- disk --------------------------------------------------------------------------------
    def _folder(self, job_id: str) -> Path:
        return self.directory / job_id

    def _save(self, record: JobRecord) -> None:
        write_text_atomic(self._folder(record.id) / "job.json", json.dumps(asdict(record)) + "\n")

    def _recover(self) -> None:
        for folder in sorted(self.directory.iterdir()):
            meta = folder / "job.json"
            if not meta.is_file():
                shutil.rmtree(folder, ignore_errors=True)  # an upload that never completed
                continue
            try:
                record = JobRecord(**json.loads(read_text(meta)))
            except (ValueError, TypeError, DilmancError):
                continue
            if record.status == TRANSLATING:
                record.status = QUEUED
                self._save(record)
            self._records[record.id] = record

    # --- clients -------------------------------------------------------------------------------
    def submit(
        self,
        data: bytes,
        filename: str,
        output_name: str,
        *,
        source: str,
        target: str,
        glossary_id: str | None = None,
        owner: str | None = None,
    ) -> tuple[JobRecord, str]:
        """Store an upload as a queued job; returns the record and its document key."""
        job_id = uuid.uuid4().hex.upper()
        key = secrets.token_hex(32).upper()
        folder = self._folder(job_id)
        with atomic_writer(folder / "input" / filename, binary=True) as handle:
            handle.write(data)
        record = JobRecord(
            job_id,
            hashlib.sha256(key.encode()).hexdigest(),
            filename,
            output_name,
            source,
            target,
            glossary_id,
            owner,
            time.time(),
        )
        self._save(record)  # the job exists from here on
        with self._lock:
            self._records[job_id] = record
            self._lock.notify_all()
        return record, key

    def get(self, job_id: str, key: str | None) -> JobRecord:
        record = self._records.get(job_id)
        if record is None:
            raise JobNotFound(f"document {job_id} not found")
        if not key or hashlib.sha256(key.encode()).hexdigest() != record.key_sha256:
            raise WrongKey("document_key does not match this document")
        return record

    def result(self, job_id: str, key: str | None) -> tuple[JobRecord, Path]:
        record = self.get(job_id, key)
        if record.status != DONE:
            raise NotReady(f"document {job_id} is {record.status}")
        return record, self._folder(job_id) / "output" / record.output_name

    def status(self, record: JobRecord) -> dict:
        """DeepL's status of `record`, with an estimate of the seconds left if translating."""
        return record.to_status(self.seconds_remaining(record))

    def advance(self, job_id: str, units: int, total: int) -> None:
        """The runner's progress: `units` more of the document's `total` are translated."""
        with self._lock:
            done, _ = self._progress.get(job_id, (0, 0))
            self._progress[job_id] = (done + units, total)

    def seconds_remaining(self, record: JobRecord) -> int:
        """From the pace so far (at least 1 while translating); before the first chunk is
        done, the time spent so far, as a guess that it takes as long again."""
        done, total = self._progress.get(record.id, (0, 0))
        elapsed = max(0.0, time.time() - (record.started or time.time()))
        if done and total:
            return max(1, math.ceil(elapsed * max(0, total - done) / done))
        return max(1, math.ceil(elapsed))

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys((QUEUED, TRANSLATING, DONE, ERROR), 0)
        for record in list(self._records.values()):
            out[record.status] = out.get(record.status, 0) + 1
        return out

    # --- the worker ------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="dilmanc-jobs", daemon=True)
            self._thread.start()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def request_stop(self) -> None:
        """Start no further job; the one running stops after its current chunk."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()

    def stop(self) -> None:
        """Stop after the current chunk and wait; queued jobs stay queued on disk."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _next(self) -> JobRecord | None:
        with self._lock:
            while not self._stop.is_set():
                queued = [r for r in self._records.values() if r.status == QUEUED]
                if queued:
                    return min(queued, key=lambda r: r.created)
                self._lock.wait(timeout=60.0)
                self._expire()
            return None

    def _expire(self) -> None:
        now = time.time()
        for record in list(self._records.values()):
            if record.finished is not None and now - record.finished > self.ttl:
                self._records.pop(record.id, None)
                shutil.rmtree(self._folder(record.id), ignore_errors=True)

    def _run(self) -> None:
        from dilmanc.server.batching import Stopped
        from dilmanc.server.documents import Interrupted

        while (record := self._next()) is not None:
            record.status, record.started = TRANSLATING, time.time()
            self._progress.pop(record.id, None)
            self._save(record)
            folder = self._folder(record.id)
            try:
                chars = self.runner(
                    record,
                    folder / "input" / record.filename,
                    folder / "output" / record.output_name,
                    self._stop.is_set,
                )
            except (Interrupted, Stopped):  # the server stops: the next run does it
                record.status = QUEUED
                self._save(record)
                continue
            except DilmancError as err:
                record.status, record.error_message = ERROR, str(err)
            except Exception as err:  # a bug must not stop the queue
                record.status, record.error_message = ERROR, f"{type(err).__name__}: {err}"
            else:
                record.status, record.billed_characters = DONE, chars
            record.finished = time.time()
            self._progress.pop(record.id, None)
            self._save(record)
            if record.status == DONE:
                with contextlib.suppress(OSError):
                    (folder / "input" / record.filename).unlink()
