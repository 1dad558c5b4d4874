"""`Server`: the state every request shares — the `Service` (engines loaded once and wrapped
in cross-request batchers), the API glossary store, the document job queue, API keys with
quotas and rate limits, and the language identifier — with the checks a request passes
(keys, limits, readiness, languages) and `run`, which does a request's blocking work in a
worker thread under its deadline. The translation work itself is `services.Translations`'.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from dilmanc import __version__
from dilmanc.errors import DilmancError, UsageError
from dilmanc.languages import Language, resolve
from dilmanc.pipeline.service import Service
from dilmanc.server import logs
from dilmanc.server.auth import ApiKey, KeyStore, QuotaExceeded, RateLimiter
from dilmanc.server.batching import DEADLINE, Activity, BatchingEngine
from dilmanc.server.config import ServerConfig
from dilmanc.server.errors import ApiError, classify, is_deepl, one_line
from dilmanc.server.services import Translations

WRONG_KEYS = 10  # requests with a wrong key per minute per client address, then 429


class Server(Translations):
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
        """Load lingua's models of the server's languages now: loading holds the GIL for
        seconds, which must not happen while requests are being served."""
        from dilmanc.text import detect

        detect.warm(self.languages())
        self.detect_source(["Salam."])

    def languages(self) -> tuple[str, ...]:
        """The iso codes this server lists (its source and targets): what `/detect` and
        `source: auto` choose among, as LibreTranslate detects among its installed languages."""
        return (self.source.iso, *(t.iso for t in self.targets))

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
        from dilmanc.text.detect import detect_many

        if markup:
            texts = [html.unescape(re.sub(r"<[^>]*>", " ", text)) for text in texts]
        return detect_many([t for t in texts if t.strip()] or [""], self.languages())

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
