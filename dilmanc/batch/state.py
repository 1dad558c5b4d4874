"""The run directory of a batch (`OUT/.dilmanc-batch/`): which items are finished.

`manifest.jsonl` gets one JSON line per finished item, appended and fsynced as soon as the
item's outputs are in place (outputs are renamed into place whole, so an output on disk is
complete). An item counts as done when its last line says so for the same input (size,
mtime, and — when those changed — content hash), the same settings hash and outputs that
are all still there; everything else is translated again. A crash between an output's
rename and its manifest line only means that item is translated again into the same names:
no duplicate, no partial file. A line cut short by a crash is ignored. One run at a time
writes an output folder (a lock file says so).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from dilmanc import __version__
from dilmanc.batch.inputs import Item
from dilmanc.errors import UsageError
from dilmanc.fileio import output_error

RUN_DIR = ".dilmanc-batch"
MANIFEST = "manifest.jsonl"
# Settings that change how fast a run is, not what it writes.
_SPEED_ONLY = ("threads",)


def settings_hash(settings, **extra) -> str:
    """A sha256 over every setting that changes outputs (threads aside), the glossary files'
    contents, dilmanc's version and `extra` (input format, encoding)."""
    from dilmanc.pipeline.service import glossary_files

    values = {k: v for k, v in dataclasses.asdict(settings).items() if k not in _SPEED_ONLY}
    values.update(extra, version=__version__)
    if settings.uses_glossary:
        values["glossary_files"] = [g.sha256 for g in glossary_files(settings)]
    data = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class RunState:
    """The finished items of the batch writing into `out_dir` with settings hash `settings`."""

    def __init__(self, out_dir: str | Path, settings: str) -> None:
        self.out_dir = Path(out_dir)
        self.directory = self.out_dir / RUN_DIR
        self.settings = settings
        self.records: dict[str, dict] = {}
        self._handle = None
        self._lock = None

    def __enter__(self) -> RunState:
        from filelock import FileLock, Timeout

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise output_error(self.directory, err) from None
        self._lock = FileLock(self.directory / "lock")
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise UsageError(
                f"another batch run is writing into {self.out_dir}; wait for it to finish"
            ) from None
        self.records = self._read()
        self._handle = open(self.directory / MANIFEST, "a", encoding="utf-8")  # noqa: SIM115
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None:
            self._handle.close()
        if self._lock is not None:
            self._lock.release()

    def _read(self) -> dict[str, dict]:
        records: dict[str, dict] = {}
        path = self.directory / MANIFEST
        if not path.exists():
            return records
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                    records[record["item"]] = record
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a crash
        return records

    def fingerprint(self, item: Item) -> dict:
        """size, mtime_ns and sha256 of the item's input; the hash of the last record is
        reused when size and mtime are unchanged, so a re-run reads no unchanged input."""
        stat = os.stat(item.path)
        old = self.records.get(item.relative, {})
        same = old.get("size") == stat.st_size and old.get("mtime_ns") == stat.st_mtime_ns
        sha = old["sha256"] if same and old.get("sha256") else file_sha256(item.path)
        return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha}

    def is_done(self, item: Item, fingerprint: dict) -> bool:
        """Whether the item was translated from this very input with these settings and
        every output of it is still there."""
        old = self.records.get(item.relative)
        return bool(
            old
            and old.get("status") == "done"
            and old.get("settings") == self.settings
            and old.get("sha256") == fingerprint["sha256"]
            and old.get("outputs")
            and all((self.out_dir / p).is_file() for p in old["outputs"])
        )

    def record(self, item: Item, fingerprint: dict, result: dict) -> None:
        """Append the item's outcome (`result`: status, outputs, error ...) durably."""
        record = {"item": item.relative, "path": item.path, **fingerprint}
        record.update(result, settings=self.settings)
        try:
            self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as err:
            raise output_error(self.directory / MANIFEST, err) from None
        self.records[item.relative] = record
