"""Run a module or script, then record this process's peak RSS: `_rss.py OUT -m MODULE ARGS`.

`ru_maxrss` from `wait4` is useless here: a child spawned with fork/vfork inherits the parent's
high-water mark across exec. `VmHWM` belongs to the address space made at exec, so it is the
child's own peak. The wrapped program runs exactly as under `python -m MODULE` / `python SCRIPT`.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource  # not Linux: best effort

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    out, mode, target, *rest = sys.argv[1:]
    sys.argv = [target, *rest]
    code: int | str | None = 0
    try:
        if mode == "-m":
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, str(Path(target).resolve().parent))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as err:
        code = err.code
    finally:
        Path(out).write_text(f"{peak_rss_mib():.1f}\n", encoding="utf-8")
    sys.exit(code)


if __name__ == "__main__":
    main()
