"""One batch worker: a `Service` built once (engines load once), translating items one by one
into the output folder with the writes and names of `dilmanc translate`.

The machine cache goes through a `CacheCollector`: the entries an item adds are counted and,
with `share_cache`, written to the memory at once (one process, or a PostgreSQL memory that
every worker shares); without it they travel back with the item's outcome (`"cache"`) for the
driver to merge into its SQLite memory, which the workers only read."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from dilmanc.batch.inputs import Item
from dilmanc.errors import DilmancError, InputError, UsageError

# Errors that another attempt cannot cure (the input itself is wrong): not retried.
_FINAL = (InputError, UsageError)


def one_line(err: BaseException) -> str:
    """The error as one line: dilmanc's own message, else `Type: message`."""
    text = str(err) if isinstance(err, DilmancError) else f"{type(err).__name__}: {err}"
    return " ".join(text.split()) or type(err).__name__


class Worker:
    """Translates items into `out_dir`; `translate(item)` never raises for a bad item: it
    returns `{"status": "failed", "error": ...}` after `retries` more attempts (none for an
    input the reader rejects)."""

    def __init__(
        self,
        settings,
        out_dir: str | Path,
        *,
        fmt: str | None = None,
        encoding: str | None = None,
        retries: int = 2,
        share_cache: bool = True,
    ) -> None:
        from dilmanc.pipeline.service import Service

        self.out_dir = Path(out_dir)
        self.fmt, self.encoding, self.retries = fmt, encoding, retries
        self.service = Service(settings)
        self.service.load(lazy=True)  # a model loads when a sentence needs it
        self.cache = self.service.wrap_memory(CacheCollector)
        self.share_cache = share_cache
        self.pipeline = self.service.pipeline()
        self.targets = [t.iso for t in self.service.targets]

    def translate(self, item: Item) -> dict:
        """`{"status": "done", "outputs": [...], "units": n, "seconds": s}` or a failure."""
        return self._attempts(lambda started: self._translate(item, started))

    def translate_texts(self, texts: str) -> dict:
        """A batch of texts (JSON `[[id, text], ...]`) into every target: `{"status": "done",
        "rows": [{"id", "sha256", iso: translation ...}], ...}` or a failure."""
        pairs = json.loads(texts)

        def run(started: float) -> dict:
            out = self.pipeline.translate_texts([t for _, t in pairs], self.service.targets)
            rows = [
                {"id": key, "sha256": hashlib.sha256(text.encode()).hexdigest()}
                | {iso: out[iso][n] for iso in self.targets}
                for n, (key, text) in enumerate(pairs)
            ]
            seconds = round(time.perf_counter() - started, 4)
            return {"status": "done", "rows": rows, "units": len(rows), "seconds": seconds}

        return self._attempts(run)

    def _attempts(self, run) -> dict:
        """`run(started)`'s outcome, tried up to `retries` more times; a failure recorded."""
        for attempt in range(self.retries + 1):
            started = time.perf_counter()
            try:
                return self._with_cache(run(started))
            except _FINAL as err:
                return {"status": "failed", "error": one_line(err), "attempts": attempt + 1}
            except Exception as err:  # noqa: BLE001 - recorded, the run goes on
                error = err
        return {"status": "failed", "error": one_line(error), "attempts": self.retries + 1}

    def _translate(self, item: Item, started: float) -> dict:
        from dilmanc.documents.registry import open_document, output_paths

        source = self.service.source
        document = open_document(
            item.path, format=self.fmt, encoding=self.encoding, source_iso=source.iso
        )
        for target in self.service.targets:
            document.check_target(target)
        if getattr(document, "single_target", False) and len(self.targets) > 1:
            raise UsageError(
                f"{document.label}: a {document.format} file holds one target language; "
                "translate it with one target at a time"
            )
        relative = Path(item.relative)
        outputs = output_paths(relative, self.targets, source.iso, Path("."))
        paths = {iso: self.out_dir / path for iso, path in outputs.items()}
        report = self.service.write_document(document, paths, self.pipeline)
        return {
            "status": "done",
            "outputs": [path.as_posix() for path in outputs.values()],
            "units": report.units,
            "seconds": round(time.perf_counter() - started, 4),
        }

    def _with_cache(self, outcome: dict) -> dict:
        """The outcome with the cache's counts (and, unshared, the new entries)."""
        if self.cache is None:
            return outcome
        hits, entries = self.cache.take()
        outcome.update(cache_hits=hits, cache_new=len(entries))
        if self.share_cache:
            self.cache.memory.cache_put_many(entries)
        else:
            outcome["cache"] = entries
        return outcome

    def close(self) -> None:
        """Write pending cache entries and close the memory."""
        self.service.close()


class CacheCollector:
    """A memory (`dilmanc.memory.Memory`) whose new machine-cache entries are held back
    until `take()`; everything else goes to the memory itself."""

    def __init__(self, memory) -> None:
        self.memory = memory
        self.new: dict[str, str] = {}
        self.hits = 0

    def __getattr__(self, name: str):
        return getattr(self.memory, name)

    def cache_get_many(self, keys: list[str]) -> dict[str, str]:
        found = {key: self.new[key] for key in keys if key in self.new}
        found.update(self.memory.cache_get_many([k for k in keys if k not in found]))
        self.hits += len(found)
        return found

    def cache_put_many(self, items) -> None:
        self.new.update(items)

    def take(self) -> tuple[int, list[tuple[str, str]]]:
        """(cache hits, new entries) since the last call."""
        hits, entries = self.hits, list(self.new.items())
        self.hits, self.new = 0, {}
        return hits, entries
