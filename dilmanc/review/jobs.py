"""Review jobs on disk: `DIR/<job id>/job.json` and the source document next to it.

A job is one source document in one target language: per translatable unit its source and
target (dilmanc's compact tagged form, `<g1>…</g1>`, `<x2/>`), its status (new, machine,
memory, needs-review, approved), the QE verdict with its reasons, the glossary terms found in
its source with their required rendering, the translation-memory matches found for its source
when the job was made, and its history of edits. A job belongs to the key
that made it (`owner`; None when the workspace runs without keys) and is visible to it only.
Every save replaces job.json atomically.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dilmanc.errors import InputError, UsageError
from dilmanc.fileio import read_text, write_text_atomic

STATUSES = ("new", "machine", "memory", "needs-review", "approved")
VERDICTS = ("ok", "review", "bad")


@dataclass
class Segment:
    unit: str  # the document unit's id
    location: str
    source: str  # compact tagged form
    target: str
    status: str = "machine"
    verdict: str | None = None  # ok | review | bad (None: not estimated)
    score: float | None = None
    reasons: list[str] = field(default_factory=list)
    detail: str = ""
    terms: list[dict] = field(default_factory=list)  # [{"source": az, "target": rendering}]
    # memory matches, best first: [{"kind", "score", "source", "target", "origin"}]
    matches: list[dict] = field(default_factory=list)
    prev: str | None = None  # neighbouring sources (memory context)
    next: str | None = None
    history: list[dict] = field(default_factory=list)  # [{"time", "by", "target", "status"}]

    @property
    def flagged(self) -> bool:
        return self.verdict in ("review", "bad") and self.status != "approved"


@dataclass
class Job:
    id: str
    name: str  # the document's file name
    format: str
    source_lang: str
    target_lang: str
    owner: str | None
    created: float
    segments: list[Segment]

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Job:
        segments = [Segment(**s) for s in data.pop("segments")]
        return cls(**data, segments=segments)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for segment in self.segments:
            out[segment.status] += 1
        return out

    def segment(self, index: int) -> Segment:
        if not 0 <= index < len(self.segments):
            raise UsageError(f"job {self.id} has no segment {index}")
        return self.segments[index]


class JobStore:
    """Jobs in a folder (see the module docstring); safe to share between request threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def new_id(self) -> str:
        return secrets.token_hex(8)

    def folder_of(self, job_id: str) -> Path:
        if not job_id.isalnum():
            raise InputError(f"no such job: {job_id!r}")
        return self.folder / job_id

    def source_path(self, job: Job) -> Path:
        return self.folder_of(job.id) / ("source" + Path(job.name).suffix)

    def save(self, job: Job) -> Job:
        folder = self.folder_of(job.id)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            write_text_atomic(folder / "job.json", json.dumps(job.to_json(), ensure_ascii=False))
        return job

    def get(self, job_id: str, owner: str | None) -> Job:
        """The job, if `owner` may see it; InputError ("no such job") otherwise."""
        path = self.folder_of(job_id) / "job.json"
        if not path.is_file():
            raise InputError(f"no such job: {job_id}")
        job = Job.from_json(json.loads(read_text(path)))
        if job.owner != owner:
            raise InputError(f"no such job: {job_id}")
        return job

    def list(self, owner: str | None) -> list[Job]:
        jobs = []
        for path in sorted(self.folder.glob("*/job.json")):
            data = json.loads(read_text(path))
            if data.get("owner") == owner:
                jobs.append(Job.from_json(data))
        return sorted(jobs, key=lambda j: j.created, reverse=True)

    def update(
        self,
        job_id: str,
        owner: str | None,
        index: int,
        target: str,
        *,
        approve: bool,
        by: str | None,
    ) -> tuple[Job, Segment]:
        """Set segment `index`'s target (and approve it): the saved job and the segment."""
        with self._lock:
            job = self.get(job_id, owner)
            segment = job.segment(index)
            if target != segment.target:
                segment.history.append(
                    {
                        "time": time.time(),
                        "by": by,
                        "target": segment.target,
                        "status": segment.status,
                    }
                )
                segment.target = target
                if segment.status == "approved" and not approve:
                    segment.status = "needs-review"
            if approve:
                segment.status = "approved"
            folder = self.folder_of(job.id)
            write_text_atomic(folder / "job.json", json.dumps(job.to_json(), ensure_ascii=False))
        return job, segment
