"""How much a piece of work raises a fresh Python process's peak memory (issue 18: bombs).

`peak_growth(setup, work)` runs `setup`, resets the process's peak resident size
(/proc/self/clear_refs), runs `work` (which sets `result` to anything JSON can hold) and
returns (growth of the peak over the resident size before `work`, in bytes; `result`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from conftest import ROOT

PROBE = """
import json


def kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])


{setup}
try:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the peak (VmHWM) starts again from the resident size
except OSError:
    pass
before = kb("VmRSS:")
result = None
{work}
print(json.dumps({{"growth": (kb("VmHWM:") - before) * 1024, "result": result}}))
"""


def peak_growth(setup: str, work: str, timeout: float = 300) -> tuple[int, object]:
    code = PROBE.format(setup=textwrap.dedent(setup), work=textwrap.dedent(work))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]),
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return found["growth"], found["result"]
