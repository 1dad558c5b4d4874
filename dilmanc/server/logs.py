"""JSON-lines logs: one object per line with time, level, event and fields.

A request produces one line ("request") with its id, route, status, characters and time,
the API key's name (never the key) and the client address. The text being translated is
never logged, at any level: only its length.
"""

from __future__ import annotations

import json
import logging
import time
from typing import IO

LOGGER = "dilmanc.server"
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.levelno >= logging.ERROR:
            entry["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup(level: str, stream: IO) -> logging.Logger:
    """Send dilmanc.server and uvicorn's own messages to `stream` as JSON lines (the command
    line passes standard error; a library user configures logging as usual)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    numeric = getattr(logging, level.upper(), logging.INFO)
    for name in (LOGGER, "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(numeric)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # our request line replaces it
    return logging.getLogger(LOGGER)


def logger(stream: IO | None = None, level: str = "info") -> logging.Logger:
    """The server's logger; with `stream`, a logger of its own writing there (one per app,
    so several servers in one process, as in tests, keep their lines apart)."""
    if stream is None:
        return logging.getLogger(LOGGER)
    own = logging.getLogger(f"{LOGGER}.{id(stream):x}")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    own.handlers[:] = [handler]
    own.setLevel(getattr(logging, level.upper(), logging.INFO))
    own.propagate = False
    return own
