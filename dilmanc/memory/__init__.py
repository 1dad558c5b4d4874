"""Translation memory (human-approved pairs) and translation cache (machine output), kept apart
in one SQLite file. See `store.Memory`, and `tmx` / `importers` for the file formats."""

from dilmanc.memory.model import IngestResult, InlineCode, MemoryStats, TMMatch, TMUnit
from dilmanc.memory.store import SCHEMA_VERSION, Memory, cache_key, default_path, glossary_hash

__all__ = [
    "SCHEMA_VERSION",
    "IngestResult",
    "InlineCode",
    "Memory",
    "MemoryStats",
    "TMMatch",
    "TMUnit",
    "cache_key",
    "default_path",
    "glossary_hash",
]
