"""`create_app(config)` → the FastAPI application serving the LibreTranslate and DeepL APIs.

The `Server` object holds what every request shares: the `Service` (engines loaded once and
wrapped in cross-request batchers), the API glossary store, the document job queue, API keys
with quotas and rate limits, and the language identifier. Route modules (`libretranslate`,
`deepl`) parse and answer requests in their API's shapes and call `Server.translate_texts`,
`Server.translate_upload` or the job queue; nothing else builds engines, glossaries or
pipelines.

Requests run their blocking work in worker threads with a deadline (`--timeout`); errors
become the API's error JSON (LibreTranslate `{"error": ...}`, DeepL `{"message": ...}`) with
one log line, and the server keeps serving. Both APIs read JSON bodies through `parse_json`,
which refuses what no route can take (deep nesting, lone surrogates, infinite numbers) as a
400; answers never carry the server's file paths. The LibreTranslate routes answer CORS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from dilmanc import __version__
from dilmanc.documents.archive import ArchiveTooLarge
from dilmanc.errors import DilmancError, InputError, SettingError, UsageError
from dilmanc.languages import Language, resolve
from dilmanc.pipeline.service import Service
from dilmanc.pipeline.settings import Settings
from dilmanc.server import logs
from dilmanc.server.auth import ApiKey, KeyStore, QuotaExceeded, RateLimiter
from dilmanc.server.batching import DEADLINE, Activity, BatchingEngine, Busy, Stopped, Timeout
from dilmanc.server.errors import ApiError, error_response, is_deepl, one_line

LOOPBACK = ("127.0.0.1", "localhost", "::1")
SHUTTING_DOWN = "the server is shutting down"
WRONG_KEYS = 10  # requests with a wrong key per minute per client address, then 429
CLIENT_GONE = 499  # logged for a request whose client went away before its answer (nginx's)


@dataclass
class ServerConfig:
    """Everything `dilmanc serve` decides; `create_app(config)` needs nothing else."""

    settings: Settings = field(default_factory=Settings)
    host: str = "127.0.0.1"
    port: int = 5000
    data_dir: Path | None = None  # glossaries, jobs, files (default: $DILMANC_HOME/server)
    api_keys: Path | None = None  # keys file: keys are required when set
    allow_anonymous: bool = False  # serve a non-loopback address without keys
    char_limit: int = 10_000  # characters per request (-1: none)
    batch_limit: int = 128  # texts per request (-1: none)
    req_limit: int = -1  # requests per minute per key or client (-1: none)
    timeout: float = 60.0  # seconds a request may take
    batch_window_ms: float = 5.0
    max_batch: int = 0  # segments per merged engine call (0: the engine's batch size)
    max_queue: int = 4096  # segments waiting for the engines before 429
    max_upload_mb: float = 20.0
    alternatives_limit: int = 5
    suggestions: bool = False  # POST /suggest (into the service's translation memory)
    review: bool = False  # the review workspace at /review (dilmanc.review)
    files: bool = True  # document translation on
    file_ttl: float = 3600.0
    log_level: str = "info"
    # browser origins allowed on the LibreTranslate routes ("*": any; empty: no CORS)
    cors_origins: tuple[str, ...] = ("*",)
    metrics: bool = False  # GET /metrics in Prometheus format (dilmanc.server.metrics)

    def directory(self) -> Path:
        if self.data_dir is not None:
            return Path(self.data_dir)
        from dilmanc.models.hub import dilmanc_home

        return dilmanc_home() / "server"

    def check(self) -> ServerConfig:
        """Refuse an unsafe or impossible configuration (UsageError, one line)."""
        self.settings.validate()
        if self.host not in LOOPBACK and self.api_keys is None and not self.allow_anonymous:
            raise SettingError(
                "api_keys",
                f"serving {self.host} without API keys",
                template="{problem}: pass {option} FILE, or {allow_anonymous} if that is intended",
            )
        for name in ("timeout", "max_upload_mb"):
            if getattr(self, name) <= 0:
                raise SettingError(name, "must be positive")
        if self.batch_window_ms < 0 or self.max_queue < 1:
            raise UsageError("batch window must be >= 0 and the queue at least 1")
        return self


class Server:
    """The state shared by all requests (see the module docstring)."""

    def __init__(
        self,
        config: ServerConfig,
        service: Service | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        from dilmanc.server.glossaries import Enforcers, GlossaryStore
        from dilmanc.server.jobs import JobQueue

        self.config = config.check()
        self.log = log or logs.logger()
        self.service = service or Service(config.settings)
        self.source: Language = self.service.source
        self.targets: list[Language] = list(self.service.targets)
        self.activity = Activity()
        self.batchers: list[BatchingEngine] = []
        self.loaded = threading.Event()
        self.load_error: str | None = None
        base = config.directory()
        base.mkdir(parents=True, exist_ok=True)
        self.glossaries = GlossaryStore(
            base / "glossaries", self.source.iso, [t.iso for t in self.targets]
        )
        self.enforcers = Enforcers(self._enforcer)
        self.jobs = JobQueue(base / "jobs", self._run_job, ttl=config.file_ttl)
        self.files_dir = base / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.keys = KeyStore.load(config.api_keys) if config.api_keys else None
        if self.keys is not None:
            self.keys.usage.open()  # a usage database that cannot be opened: now, not later
        self.limiter = RateLimiter()
        self.started = time.time()
        self.chars_total = 0
        self._chars_lock = threading.Lock()
        self.suggestion_sink = self._suggestion_sink()
        self.metrics = self._metrics() if config.metrics else None

    def _metrics(self):
        from dilmanc.server.metrics import Metrics

        return Metrics(lambda: sum(b.queued for b in self.batchers), self.jobs.counts)

    def counted(self, pipeline):
        """`pipeline` once it has run: its sentences counted by origin in the metrics."""
        if self.metrics is not None:
            self.metrics.pipeline(pipeline.stats)
        return pipeline

    # --- lifecycle ---------------------------------------------------------------------------
    def load(self) -> None:
        """Load models (once) and put a batcher in front of each; idempotent."""
        if self.loaded.is_set():
            return
        try:
            self.warm_detector()
            self.service.load()
            window = self.config.batch_window_ms / 1000

            made: dict[int, BatchingEngine] = {}

            def batched(engine):  # one batcher per model, in front of each leg
                if id(engine) not in made:
                    made[id(engine)] = BatchingEngine(
                        engine,
                        window=window,
                        max_segments=self.config.max_batch or None,
                        max_queue=self.config.max_queue,
                        activity=self.activity,
                        on_batch=self.metrics.batch if self.metrics is not None else None,
                    )
                    self.batchers.append(made[id(engine)])
                return made[id(engine)]

            self.service.wrap_engines(lambda engine: engine.with_legs(batched))
        except DilmancError as err:
            self.load_error = str(err)
            self.log.error("load failed", extra={"problem": str(err)})
            raise
        self.loaded.set()
        self.log.info(
            "models loaded",
            extra={
                "seconds": round(self.service.load_seconds, 2),
                "targets": [t.iso for t in self.targets],
            },
        )

    def start(self) -> None:
        if self.config.files:
            self.jobs.start()

    def warm_detector(self) -> None:
        """Load lingua's language models now: loading holds the GIL for seconds, which must
        not happen while requests are being served."""
        from dilmanc.text import detect

        detect.warm()
        self.detect_source(["Salam."])

    def stop(self) -> None:
        """Called once requests finished or were cut off by the graceful timeout: drop the
        engine work still queued (nobody waits for it; the engine call under way finishes),
        stop jobs (the one interrupted and the queued ones stay queued), close the usage
        database (every charge is on disk already)."""
        self.jobs.request_stop()
        for batcher in self.batchers:
            batcher.close(drop=True)
        self.jobs.stop()
        if self.keys is not None:
            self.keys.close()
        self.log.info("stopped", extra={"jobs": self.jobs.counts()})

    # --- requests ----------------------------------------------------------------------------
    def authorize(self, request: Request, token: str | None) -> ApiKey | None:
        """The caller's key (None without keys); raises ApiError for bad keys and limits."""
        deepl = is_deepl(request.url.path)
        key = None
        address = request.client.host if request.client else "?"
        if self.keys is not None:
            key = self.keys.lookup(token)
            if key is None:
                self._refuse(deepl, token, address)
            request.state.key = key.name
        client = key.name if key else address
        limit = key.req_limit if key and key.req_limit else self.config.req_limit
        if not self.limiter.allow(client, limit):
            if deepl:
                raise ApiError(429, "Too many requests")
            raise ApiError(429, f"Slowdown: {limit} per 1 minute")
        return key

    def _refuse(self, deepl: bool, token: str | None, address: str) -> None:
        """Raise the API's error for a missing or wrong key; wrong keys are counted against
        the client address, and past WRONG_KEYS a minute they get 429."""
        if token and not self.limiter.allow(f"wrong key:{address}", WRONG_KEYS):
            if deepl:
                raise ApiError(429, "Too many requests", "too many wrong auth keys")
            raise ApiError(429, f"Slowdown: {WRONG_KEYS} wrong API keys per 1 minute")
        if deepl:
            raise ApiError(403, "Authorization failure: invalid or missing auth key")
        if token:
            raise ApiError(403, "Invalid API key")
        raise ApiError(400, "Please contact the server operator to get an API key")

    def charge(self, request: Request, key: ApiKey | None, chars: int) -> None:
        request.state.chars = getattr(request.state, "chars", 0) + chars
        if key is not None and self.keys is not None:
            try:
                self.keys.charge(key, chars)
            except QuotaExceeded as err:
                if is_deepl(request.url.path):
                    raise ApiError(456, "Quota exceeded", str(err)) from None
                raise ApiError(403, f"Quota exceeded: {err}") from None
        with self._chars_lock:
            self.chars_total += chars
        if self.metrics is not None:
            self.metrics.characters.inc(chars)

    def check_batch(self, request: Request, count: int) -> None:
        """The one texts-per-request limit (`batch_limit`) of both APIs, in each one's words."""
        limit = self.config.batch_limit
        if limit == -1 or count <= limit:
            return
        if is_deepl(request.url.path):
            raise ApiError(400, f"Too many texts ({count}); the limit is {limit}.")
        raise ApiError(400, f"Invalid request: request ({count}) exceeds text limit ({limit})")

    def usage(self, key: ApiKey | None) -> tuple[int, int | None]:
        if key is not None:
            return self.keys.used(key), key.char_quota
        return self.chars_total, None

    def require_ready(self) -> None:
        if not self.loaded.is_set():
            raise ApiError(503, self.load_error or "models are loading; try again shortly")

    def target(self, code: str | None) -> Language | None:
        """The served target language for `code`, or None."""
        if not code:
            return None
        try:
            lang = resolve(code)
        except UsageError:
            return None
        return lang if lang in self.targets else None

    def detect_source(self, texts: list[str], markup: bool = False):
        """The language of `texts` among the ones this server knows (its source and targets):
        the question for `source: auto` is whether this is the source or a translation.
        Markup is left out of what the identifier reads."""
        import html

        from dilmanc.text.detect import detect_many

        if markup:
            texts = [html.unescape(re.sub(r"<[^>]*>", " ", text)) for text in texts]
        among = (self.source.iso, *(t.iso for t in self.targets))
        return detect_many([t for t in texts if t.strip()] or [""], among)

    def accepts(self, detection) -> bool:
        """Whether auto-detected text is translated: it is the source language, or nothing
        else is likely (short or neutral text)."""
        return self.is_source(detection.language) or detection.confidence < 50

    def is_source(self, code: str) -> bool:
        try:
            return resolve(code) == self.source
        except UsageError:
            return False

    async def run(self, request: Request, work, *args, **kwargs):
        """Run blocking `work` in a worker thread under the request deadline."""
        self.require_ready()
        token = DEADLINE.set(time.monotonic() + self.config.timeout)
        try:
            with self.activity:
                return await run_in_threadpool(work, *args, **kwargs)
        except ApiError:
            raise
        except Exception as err:
            code, message = classify(err, request.url.path)
            request.state.problem = f"{type(err).__name__}: {one_line(err)}"
            raise ApiError(code, message) from err
        finally:
            DEADLINE.reset(token)

    def pipeline(self):
        """A request's pipeline (its stats are the request's, counted in the metrics)."""
        return self.service.pipeline()

    def context(self, pipeline, glossary=None):
        """A request's context on `pipeline`: with an API glossary, its enforcer (built once,
        reused) instead of the service's."""
        if glossary is None:
            return pipeline.defaults
        return pipeline.context(enforcer=self.enforcers.get(glossary))

    def _enforcer(self, glossary):
        enforcer = self.service.enforcer(extra=glossary)
        enforcer.glossary.matcher  # noqa: B018 - compiled now, once, not by each request
        if self.service.memory() is not None:
            enforcer.glossary.content_hash  # noqa: B018 - in the memory's cache keys
        return enforcer

    def create_glossary(self, *args, **kwargs):
        """`GlossaryStore.create`, and its enforcer prepared now (seconds for a large
        glossary) rather than by the first request that uses it."""
        item = self.glossaries.create(*args, **kwargs)
        self.enforcers.get(item)
        return item

    def translate_texts(
        self,
        texts: list[str],
        target: Language,
        *,
        glossary=None,
        markup: str | None = None,
        ignore_tags: tuple[str, ...] = (),
        qe: list | None = None,
    ) -> list[str]:
        """Translate each text (plain: layout kept; markup "html"/"xml": through the HTML
        document format) in one pipeline, so all their sentences go to the engine together;
        with `qe` (a list) each text's quality estimate is appended to it."""
        from dilmanc.server.translate import translate_markup_texts, translate_plain

        pipeline = self.pipeline()
        context = self.context(pipeline, glossary)
        try:
            if markup:
                return translate_markup_texts(
                    self.service, pipeline, texts, target, ignore_tags, qe, context
                )
            return translate_plain(pipeline, texts, target, qe, context)
        finally:
            self.counted(pipeline)

    def alternatives(self, text: str, target: Language, count: int, *, glossary=None) -> list[str]:
        """Up to `count` further translations of `text` (`Pipeline.alternatives`: the same
        stages as a translation, verified against the request's glossary)."""
        pipeline = self.pipeline()
        try:
            return pipeline.alternatives(text, target, count, self.context(pipeline, glossary))
        finally:
            self.counted(pipeline)

    # --- documents ---------------------------------------------------------------------------
    def _run_job(self, record, input_path: Path, output_path: Path, stop) -> int:
        from dilmanc.server.documents import load, translate_path

        self.loaded.wait()
        glossary = None
        if record.glossary_id:
            glossary = self.glossaries.get(record.glossary_id)
        document = load(input_path, self.source.iso)
        total = document.size

        def progress(units: int) -> None:
            self.jobs.advance(record.id, units, total)

        pipeline = self.pipeline()
        try:
            result = translate_path(
                self.service,
                pipeline,
                document,
                resolve(record.target),
                output_path,
                stop=stop,
                progress=progress,
                context=self.context(pipeline, glossary),
            )
        finally:
            self.counted(pipeline)
        self.log.info(
            "document job",
            extra={
                "job": record.id,
                "status": "done",
                "characters": result.characters,
                "units": result.report.units,
            },
        )
        return result.characters

    def expire_files(self) -> None:
        now = time.time()
        for path in self.files_dir.iterdir():
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > self.config.file_ttl:
                    path.unlink()

    # --- suggestions ----------------------------------------------------------------------------
    def _suggestion_sink(self):
        """Where /suggest puts a suggestion: the translation memory the service uses (as a
        unit with origin "suggestion"), else a JSON-lines file in the data folder."""
        if not self.config.suggestions:
            return None
        if self.service.settings.use_tm:
            from dilmanc.memory import TMUnit

            service = self.service

            def to_memory(q: str, s: str, source: str, target: str) -> None:
                memory = service.memory()
                memory.add_units([TMUnit(q, s, source, target, origin="suggestion")])

            return to_memory
        path = self.config.directory() / "suggestions.jsonl"
        lock = threading.Lock()

        def to_file(q: str, s: str, source: str, target: str) -> None:
            line = json.dumps(
                {"q": q, "s": s, "source": source, "target": target, "time": time.time()},
                ensure_ascii=False,
            )
            with lock, open(path, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())

        return to_file

    def ready_json(self) -> dict:
        return {
            "ready": self.loaded.is_set(),
            "models_loaded": self.loaded.is_set(),
            "error": self.load_error,
            "dilmanc": __version__,
            "source": self.source.iso,
            "targets": [t.iso for t in self.targets],
            "uptime_seconds": round(time.time() - self.started, 1),
            "queue_segments": sum(b.queued for b in self.batchers),
            "batching": [b.stats.to_json() for b in self.batchers],
            "jobs": self.jobs.counts(),
            "glossaries": len(self.glossaries.list()),
        }


# --- the ASGI app ---------------------------------------------------------------------------


class RequestMiddleware:
    """Request id, upload size limit, and the one JSON log line per request."""

    def __init__(self, app, server: Server) -> None:
        self.app = app
        self.server = server
        self.max_bytes = int(server.config.max_upload_mb * 1024 * 1024)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        request_id = (
            headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex[:16]
        )
        state = scope.setdefault("state", {})
        state.update(request_id=request_id, chars=0, key=None)
        path = scope.get("path", "")
        started = time.perf_counter()
        status = [500]
        sent = [False]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                sent[0] = True
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        received = [0]
        limit = self.max_bytes
        gone = [False]  # the client disconnected

        async def receive_wrapper():
            message = await receive()
            if message["type"] == "http.disconnect":
                gone[0] = True
            elif message["type"] == "http.request":
                received[0] += len(message.get("body", b""))
                if received[0] > limit:
                    raise ApiError(413, _too_large(limit))
            return message

        try:
            length = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            length = 0
        try:
            if length > limit:
                status[0] = 413
                response = error_response(path, 413, _too_large(limit))
                await response(scope, receive, send_wrapper)
                return
            await self.app(scope, receive_wrapper, send_wrapper)
        except ApiError as err:  # the body grew past the limit while being read
            if not sent[0]:
                response = error_response(path, err.status, err.message)
                await response(scope, receive, send_wrapper)
        except asyncio.CancelledError:  # cut off at the end of the graceful shutdown period
            state["problem"] = SHUTTING_DOWN
            if not sent[0]:
                await error_response(path, 503, SHUTTING_DOWN)(scope, receive, send_wrapper)
        except ClientDisconnect:  # nobody to answer: not a server error
            gone[0] = True
        except Exception as err:  # a bug: one log line, an error answer, keep serving
            state["problem"] = f"{type(err).__name__}: {one_line(err)}"
            if not sent[0]:
                code, message = classify(err, path)
                await error_response(path, code, message)(scope, receive, send_wrapper)
        finally:
            if gone[0] and not sent[0]:
                status[0] = CLIENT_GONE
                state["problem"] = "the client disconnected"
            route = scope.get("route")
            fields = {
                "request_id": request_id,
                "method": scope.get("method"),
                "route": getattr(route, "path", path),
                "status": status[0],
                "characters": state.get("chars", 0),
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "client": (scope.get("client") or ("?",))[0],
            }
            if state.get("key"):
                fields["key"] = state["key"]
            if state.get("problem"):
                fields["problem"] = state["problem"]
            level = 40 if status[0] >= 500 else 20
            self.server.log.log(level, "request", extra=fields)
            if self.server.metrics is not None:
                seconds = time.perf_counter() - started
                named = getattr(route, "path", None)
                self.server.metrics.request(named, fields["method"], status[0], seconds)


class LibreTranslateCors:
    """CORS (FastAPI's CORSMiddleware) on the LibreTranslate routes, as LibreTranslate answers
    every request, so browser extensions and web apps can call them; the DeepL routes have
    none, as DeepL's API has none (a browser must not hold a DeepL key)."""

    def __init__(self, app, origins: tuple[str, ...]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
            max_age=3600,
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not is_deepl(scope.get("path", "")):
            return await self.cors(scope, receive, send)
        return await self.app(scope, receive, send)


def _too_large(limit: int) -> str:
    return f"Request too large: the limit is {limit // (1024 * 1024)} MB"


def create_app(
    config: ServerConfig,
    service: Service | None = None,
    *,
    wait: bool = False,
    log_stream=None,
) -> FastAPI:
    """The FastAPI app (`app.state.server` is its `Server`). Models load in a background
    thread at start-up and `/health` answers 503 until they are; with `wait` start-up waits
    for them (the CLI loads the service first, so errors are reported before serving)."""
    from dilmanc.server import deepl, libretranslate, spec

    if log_stream is not None and not logging.getLogger(logs.LOGGER).handlers:
        logs.setup(config.log_level, log_stream)
    server = Server(config, service, log=logs.logger(log_stream, config.log_level))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if wait:
            await run_in_threadpool(server.load)
        else:
            threading.Thread(target=_load_quietly, args=(server,), daemon=True).start()
        server.start()
        try:
            yield
        finally:
            await run_in_threadpool(server.stop)

    app = FastAPI(
        title="dilmanc",
        version=__version__,
        description="Azerbaijani translation: LibreTranslate and DeepL v2 compatible API.",
        openapi_url="/spec",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.server = server

    @app.exception_handler(ApiError)
    async def api_error(request: Request, err: ApiError):
        if not getattr(request.state, "problem", None):
            request.state.problem = err.message
        return error_response(request.url.path, err.status, err.message, err.detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException):
        return error_response(request.url.path, err.status_code, str(err.detail))

    app.include_router(libretranslate.router(server))
    app.include_router(deepl.router(server))
    if config.review:
        app.include_router(review_router(server))
    app.openapi = lambda: spec.openapi(app)  # every route described: dilmanc.server.spec

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json():
        return JSONResponse(app.openapi())

    if server.metrics is not None:
        _metrics_route(app, server.metrics)

    app.add_middleware(RequestMiddleware, server=server)
    if config.cors_origins:  # outermost: error answers get the headers too
        app.add_middleware(LibreTranslateCors, origins=tuple(config.cors_origins))
    return app


def review_router(server: Server):
    """The review workspace (`dilmanc.review.web`) over this server's service, keys and
    data folder; uploads are translated with the server's pipeline and charged to the key."""
    from dilmanc.review.jobs import JobStore
    from dilmanc.review.web import review_router as make_router

    def charge(key: ApiKey, chars: int) -> None:
        if server.keys is not None:
            try:
                server.keys.charge(key, chars)
            except QuotaExceeded as err:
                raise UsageError(f"quota exceeded: {err}") from None

    return make_router(
        JobStore(server.config.directory() / "review"),
        server.service,
        keys=server.keys,
        pipeline=server.pipeline,
        charge=charge,
        max_upload_bytes=int(server.config.max_upload_mb * 1024 * 1024),
    )


def _metrics_route(app: FastAPI, metrics) -> None:
    """GET /metrics for Prometheus: an operator's route, outside the API's OpenAPI document
    (it is no translation API and takes no key; bind it where only the scraper can reach)."""
    from fastapi.responses import Response

    from dilmanc.server.metrics import CONTENT_TYPE

    @app.get("/metrics", include_in_schema=False)
    async def scrape():
        return Response(metrics.render(), media_type=CONTENT_TYPE)


def _load_quietly(server: Server) -> None:
    with contextlib.suppress(DilmancError):
        server.load()


def classify(err: BaseException, path: str) -> tuple[int, str]:
    """HTTP status and message for an exception a request raised."""
    deepl = is_deepl(path)
    if isinstance(err, Busy):
        return 429, ("Too many requests: " if deepl else "Slowdown: ") + str(err)
    if isinstance(err, Timeout):
        return (504, str(err)) if deepl else (500, f"Cannot translate text: {err}")
    if isinstance(err, Stopped):
        return 503, str(err)
    if isinstance(err, ArchiveTooLarge):
        return 413, f"Request too large: {err}"
    if isinstance(err, (UsageError, InputError)):
        return 400, str(err)
    if isinstance(err, DilmancError):
        return 500, ("" if deepl else "Cannot translate text: ") + str(err)
    # an OSError's message names its file: the server's folders stay out of answers
    reason = (err.strerror or type(err).__name__) if isinstance(err, OSError) else one_line(err)
    return 500, ("Internal error: " if deepl else "Cannot translate text: ") + reason
