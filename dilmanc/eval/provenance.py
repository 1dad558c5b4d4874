"""What a run record says about where its numbers came from: model revision, peak memory.

`model_revision(directory)`: the Hugging Face commit when the model is a hub snapshot
(`.../snapshots/<commit>/`), else "sha256:<hex>" over the model directory's config and
weight files (content, so a retrained model under the same path is told apart).

Peak memory is the process's resident-set high-water mark (`VmHWM`). `reset_peak_rss()`
clears it (Linux `clear_refs` 5) so that a run made inside a longer-lived process reports
its own peak; where that is not possible the value is the process's peak so far.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from dilmanc.models.hub import SNAPSHOT_COMMIT

_MODEL_FILES = (
    "config.json",
    "model.bin",
    "model.safetensors",
    "pytorch_model.bin",
    "generation_config.json",
)


def model_revision(directory: str | Path | None) -> str | None:
    """Hub commit of a snapshot directory, else sha256 of its config and weights."""
    if directory is None:
        return None
    match = SNAPSHOT_COMMIT.search(str(directory))
    if match:
        return match.group(1)
    base = Path(directory)
    files = [base / name for name in _MODEL_FILES if (base / name).is_file()]
    files += sorted(base.glob("model-*.safetensors"))
    if not files:
        return None
    total = hashlib.sha256()
    for path in files:
        total.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            total.update(hashlib.file_digest(handle, "sha256").digest())
    return "sha256:" + total.hexdigest()


def reset_peak_rss() -> bool:
    """Reset this process's peak RSS counter; False when the system does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mib() -> float | None:
    """This process's peak resident memory in MiB (VmHWM; ru_maxrss where /proc is absent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    try:
        import resource
    except ImportError:
        return None
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
