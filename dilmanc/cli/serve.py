"""`dilmanc serve`: the LibreTranslate- and DeepL-compatible HTTP server.

Settings are checked and models loaded before the port is opened, so a bad option or a
missing model is one error line and exit 2/3, never a half-started server. Uvicorn then
serves until SIGTERM or Ctrl-C: in-flight requests finish, queued document jobs stay on disk.
`--new-key NAME --api-keys FILE` adds an API key to FILE, prints it once and exits.
"""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import sys
import threading
from pathlib import Path

import typer

from dilmanc.cli.options import (
    BEAM,
    DEVICE,
    ENGINE,
    GLOSSARY_MODE,
    MEMORY_FILE,
    MIN_LENGTH,
    NO_CACHE,
    NO_TM,
    SOURCE,
    VMAP,
)
from dilmanc.engines.base import DecodeOptions
from dilmanc.errors import ResourceUnavailable, UsageError
from dilmanc.pipeline.settings import Settings


def serve_command(
    model: list[str] = typer.Option(
        None,
        "--model",
        "-m",
        metavar="MODEL",
        help="Preset, hub id or model directory; LANG=MODEL picks one per target (repeatable).",
    ),
    to: str = typer.Option(
        None,
        "--to",
        "-t",
        metavar="LANGS",
        help="Target languages served (default: every one the models translate into).",
    ),
    source_code: str = SOURCE,
    engine: str = ENGINE,
    host: str = typer.Option("127.0.0.1", "--host", metavar="ADDRESS", help="Address to bind."),
    port: int = typer.Option(5000, "--port", "-p", metavar="PORT", help="Port to listen on."),
    api_keys: str = typer.Option(
        None, "--api-keys", metavar="FILE", help="Keys file; requests then need a key."
    ),
    new_key: str = typer.Option(
        None, "--new-key", metavar="NAME", help="Add a key NAME to --api-keys FILE, print it, exit."
    ),
    key_quota: int = typer.Option(
        None, "--key-quota", metavar="CHARS", help="With --new-key: characters the key may use."
    ),
    key_req_limit: int = typer.Option(
        None, "--key-req-limit", metavar="N", help="With --new-key: requests per minute."
    ),
    key_roles: str = typer.Option(
        "translate",
        "--key-roles",
        metavar="ROLES",
        help="With --new-key: translate, or translate,reviewer (may approve in /review).",
    ),
    review: bool = typer.Option(
        False, "--review", help="Serve the review workspace at /review (see 'dilmanc review')."
    ),
    allow_anonymous: bool = typer.Option(
        False, "--allow-anonymous", help="Serve a non-loopback address without API keys."
    ),
    char_limit: int = typer.Option(
        10_000, "--char-limit", metavar="N", help="Characters per text (-1: no limit)."
    ),
    batch_limit: int = typer.Option(
        128, "--batch-limit", metavar="N", help="Texts per request (-1: no limit)."
    ),
    req_limit: int = typer.Option(
        -1, "--req-limit", metavar="N", help="Requests per minute per key or client (-1: none)."
    ),
    timeout: float = typer.Option(60.0, "--timeout", metavar="SECONDS", help="Request timeout."),
    batch_window: float = typer.Option(
        5.0, "--batch-window-ms", metavar="MS", help="Wait this long to merge requests."
    ),
    max_batch: int = typer.Option(
        0, "--max-batch", metavar="N", help="Segments per merged engine call (0: engine's)."
    ),
    max_queue: int = typer.Option(
        4096, "--max-queue", metavar="N", help="Segments waiting before requests get 429."
    ),
    max_upload_mb: float = typer.Option(
        20.0, "--max-upload-mb", metavar="MB", help="Largest request body."
    ),
    data_dir: str = typer.Option(
        None, "--data-dir", metavar="DIR", help="Glossaries, document jobs and files."
    ),
    suggestions: bool = typer.Option(
        False, "--suggestions", help="Accept POST /suggest (stored in the translation memory)."
    ),
    cors_origins: str = typer.Option(
        "*",
        "--cors-origins",
        metavar="ORIGINS",
        help="Browser origins allowed on the LibreTranslate routes (comma-separated; *: any; "
        "none: no CORS).",
    ),
    metrics: bool = typer.Option(
        False, "--metrics", help="Serve GET /metrics in Prometheus format (for monitoring)."
    ),
    tm: str = MEMORY_FILE,
    no_tm: bool = NO_TM,
    no_cache: bool = NO_CACHE,
    no_files: bool = typer.Option(False, "--no-files", help="Turn document translation off."),
    glossary: list[str] = typer.Option(
        None, "--glossary", "-g", metavar="FILE", help="Glossary for every request (repeatable)."
    ),
    builtin_glossary: bool = typer.Option(
        False, "--builtin-glossary/--no-builtin-glossary", help="Also enforce the built-in one."
    ),
    glossary_mode: str = GLOSSARY_MODE,
    beam: int = BEAM,
    max_length: int = typer.Option(256, "--max-length", metavar="N", help="Longest output."),
    min_length: int = MIN_LENGTH,
    batch_tokens: int = typer.Option(2048, "--batch-tokens", metavar="N", help="Token budget."),
    device: str = DEVICE,
    threads: int = typer.Option(
        0, "--threads", metavar="N", help="CPU threads of one translator (0: several narrow)."
    ),
    vmap: str = VMAP,
    log_level: str = typer.Option("info", "--log-level", metavar="LEVEL", help="info, warning."),
    graceful: float = typer.Option(
        30.0, "--graceful-timeout", metavar="SECONDS", help="Wait for requests on shutdown."
    ),
) -> None:
    """Serve translation over HTTP: the LibreTranslate API and the DeepL API v2."""
    from dilmanc.server.auth import KeyStore

    if new_key is not None:
        if not api_keys:
            raise UsageError("--new-key needs --api-keys FILE (where the key is stored)")
        store = KeyStore.load(api_keys, create=True)
        roles = tuple(r.strip() for r in key_roles.split(",") if r.strip())
        token = store.add(new_key, char_quota=key_quota, req_limit=key_req_limit, roles=roles)
        typer.echo(token)
        return
    settings = Settings(
        source=source_code,
        targets=_targets(to),
        models=tuple(model or ()),
        engine=engine,
        device=device,
        threads=threads,
        vmap=vmap,
        decode=DecodeOptions(beam, max_length, batch_tokens, 0, min_length),
        glossaries=tuple(glossary or ()),
        builtin_glossary=builtin_glossary,
        glossary_mode=glossary_mode,
        memory=tm,
        use_tm=not no_tm,
        use_cache=not no_cache,
    ).validate()
    if not model:
        raise UsageError("no model given (use --model MODEL)")
    from dilmanc.server.config import ServerConfig

    config = ServerConfig(
        settings=settings,
        host=host,
        port=port,
        data_dir=Path(data_dir) if data_dir else None,
        api_keys=Path(api_keys) if api_keys else None,
        allow_anonymous=allow_anonymous,
        char_limit=char_limit,
        batch_limit=batch_limit,
        req_limit=req_limit,
        timeout=timeout,
        batch_window_ms=batch_window,
        max_batch=max_batch,
        max_queue=max_queue,
        max_upload_mb=max_upload_mb,
        suggestions=suggestions,
        review=review,
        cors_origins=_origins(cors_origins),
        files=not no_files,
        metrics=metrics,
        log_level=log_level,
    ).check()
    if api_keys:
        # a missing or broken keys file or usage database: one line, before loading models
        KeyStore.load(api_keys).usage.open().close()
    sock = _bind(host, port)
    try:
        run(config, sock, graceful)
    finally:
        sock.close()


def _targets(to: str | None) -> tuple[str, ...]:
    """`--to` as settings targets; without it, () (every language the models write)."""
    if to is None:
        return ()
    targets = tuple(part.strip() for part in to.split(",") if part.strip())
    if not targets:
        raise UsageError("--to names no language (leave it out to serve every one)")
    return targets


def _origins(value: str) -> tuple[str, ...]:
    """--cors-origins: "*", "none", or origins such as https://app.example (scheme and host)."""
    origins = tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
    if origins in ((), ("none",)):
        return ()
    for origin in origins:
        if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
            raise UsageError(
                f"--cors-origins: {origin!r} is not an origin (e.g. https://app.example, *, none)"
            )
    return origins


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on such sockets;
    # without it a keep-alive client waits for a delayed ACK (~40 ms) on every response
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise ResourceUnavailable(f"cannot listen on {host}:{port} ({err.strerror})") from None
    return sock


def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        """Uvicorn's server, but a SIGTERM/SIGINT that stopped it gracefully ends the command
        with exit 0 instead of being raised again once serving is over."""

        @contextlib.contextmanager
        def capture_signals(self):
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            saved = {sig: signal.signal(sig, self.handle_exit) for sig in _SIGNALS}
            try:
                yield
            finally:
                for sig, handler in saved.items():
                    signal.signal(sig, handler)

    return Server


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run(config, sock: socket.socket, graceful: float) -> None:
    """Load the models, then serve on `sock` until SIGTERM/SIGINT."""
    import uvicorn

    from dilmanc.pipeline.service import Service
    from dilmanc.server import logs
    from dilmanc.server.app import create_app

    _Server = _server_class()
    logs.setup(config.log_level, sys.stderr)
    service = Service(config.settings).load()  # errors here are one CLI line
    app = create_app(config, service, wait=True)
    server = _Server(
        uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=graceful,
            lifespan="on",
        )
    )
    server.run(sockets=[sock])
