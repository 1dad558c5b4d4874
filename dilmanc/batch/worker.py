"""One batch worker: a `Service` built once (engines load once), translating items one by one
into the output folder with the writes and names of `dilmanc translate`."""

from __future__ import annotations

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
    ) -> None:
        from dilmanc.pipeline.service import Service

        self.out_dir = Path(out_dir)
        self.fmt, self.encoding, self.retries = fmt, encoding, retries
        self.service = Service(settings)
        self.service.load(lazy=True)  # a model loads when a sentence needs it
        self.pipeline = self.service.pipeline()
        self.targets = [t.iso for t in self.service.targets]

    def translate(self, item: Item) -> dict:
        """`{"status": "done", "outputs": [...], "units": n, "seconds": s}` or a failure."""
        for attempt in range(self.retries + 1):
            started = time.perf_counter()
            try:
                return self._translate(item, started)
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

    def close(self) -> None:
        """Write pending cache entries and close the memory."""
        self.service.close()
