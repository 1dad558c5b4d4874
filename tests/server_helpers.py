"""A live dilmanc server on a free 127.0.0.1 port, in a thread of the test process.

`with live_server(config) as live:` → `live.url` ("http://127.0.0.1:PORT"), `live.app`,
`live.logs()` (the JSON log lines so far); leaving the block shuts the server down the way
SIGTERM does (in-flight requests finish, jobs stop) and waits for it.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from dilmanc.engines.base import DecodeOptions
from dilmanc.pipeline.settings import Settings
from dilmanc.server.app import create_app
from dilmanc.server.config import ServerConfig

AZ = [  # our own sentences (no third-party text in the repository)
    "Bu gün hava çox gözəldir və biz parka gedirik.",
    "Kitabxanada yeni kitablar var.",
    "Sabah səhər iclas saat onda başlayacaq.",
    "Uşaqlar məktəbə avtobusla gedirlər.",
]


@dataclass
class Live:
    url: str
    app: object
    stream: io.StringIO
    uvicorn: uvicorn.Server

    def logs(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]

    def requests(self) -> list[dict]:
        return [entry for entry in self.logs() if entry["event"] == "request"]

    def line_for(self, request_id: str) -> dict:
        """The request's log line (written just after its response: wait for it)."""
        deadline = time.monotonic() + 30
        while True:
            found = [e for e in self.requests() if e["request_id"] == request_id]
            if found or time.monotonic() > deadline:
                assert len(found) == 1, f"{len(found)} log lines for request {request_id}"
                return found[0]
            time.sleep(0.01)

    @property
    def server(self):
        return self.app.state.server


def config_for(model_dir: Path, data_dir: Path, targets=("en",), **changes) -> ServerConfig:
    settings = Settings(
        targets=tuple(targets),
        models=(str(model_dir),),
        decode=DecodeOptions(beam_size=1, max_length=12),
        use_tm=False,  # the model's own output, no memory file
        use_cache=False,
    )
    return ServerConfig(settings=settings, data_dir=data_dir, **changes)


@contextlib.contextmanager
def live_server(config: ServerConfig, service=None, graceful: float | None = None):
    """`graceful`: seconds in-flight requests get at shutdown (`--graceful-timeout`)."""
    stream = io.StringIO()
    app = create_app(config, service, wait=True, log_stream=stream)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="on",
            workers=1,
            timeout_graceful_shutdown=graceful,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start:\n" + stream.getvalue())
        time.sleep(0.02)
    try:
        yield Live(f"http://127.0.0.1:{port}", app, stream, server)
    finally:
        server.should_exit = True
        thread.join(timeout=120)
        sock.close()
        assert not thread.is_alive(), "the test server did not stop"


class DoubleService:
    """Builds a `Service` whose engine is a DictEngine (tests/doubles.py): instant, and it
    copies what reaches the model ("<en> text"), so glossary and markup effects are visible."""

    @staticmethod
    def make(targets=("en", "ru"), table=None, engine_class=None, **settings):
        """`engine_class`: a DictEngine subclass to use instead (e.g. a slow one)."""
        from doubles import DictEngine

        from dilmanc.pipeline.service import Service

        class _Service(Service):
            def engines(self):
                if self._engines is None:
                    engine = (engine_class or DictEngine)(table or {}, targets=tuple(targets))
                    self._engines = {t.iso: engine for t in self.targets}
                    self._made = dict(self._engines)  # what memory_stage asks for identity
                return self._engines

        settings = {"use_tm": False, "use_cache": False, **settings}
        return _Service(Settings(targets=tuple(targets), models=("dict-double",), **settings))


def double_config(data_dir: Path, targets=("en", "ru"), **changes) -> ServerConfig:
    return ServerConfig(
        settings=Settings(
            targets=tuple(targets), models=("dict-double",), use_tm=False, use_cache=False
        ),
        data_dir=data_dir,
        **changes,
    )
