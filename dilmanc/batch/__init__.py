"""Batch translation of archives: many documents, resumable, locally or on a Ray cluster.

`find_inputs` turns a folder, a glob or a manifest (JSONL/CSV of paths) into `Item`s;
`RunState` keeps the run directory (`OUT/.dilmanc-batch/`) and its manifest of finished items,
so a re-run translates only what is missing; `Worker` translates items through the one service
layer (`dilmanc.pipeline.service.Service`), writing outputs as `dilmanc translate` does;
`run_local` runs workers in this process and `run_ray` (in `dilmanc.batch.cluster`) over a Ray
Data actor pool; `dilmanc.batch.texts` does the same for a corpus of texts with ids.
"""

from dilmanc.batch.inputs import Item, find_inputs
from dilmanc.batch.run import Summary, plan, run_local
from dilmanc.batch.state import RunState, settings_hash
from dilmanc.batch.worker import Worker

__all__ = [
    "Item",
    "RunState",
    "Summary",
    "Worker",
    "find_inputs",
    "plan",
    "run_local",
    "settings_hash",
]
