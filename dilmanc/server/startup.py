"""What `create_app` puts together besides the API routes: loading the models at start-up
(in the background, or waited for), the review workspace and the Prometheus route."""

from __future__ import annotations

import contextlib
import threading

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from dilmanc.errors import DilmancError, UsageError
from dilmanc.server.auth import ApiKey, QuotaExceeded
from dilmanc.server.state import Server


def lifespan(server: Server, wait: bool):
    """The app's lifespan: models load (in a thread unless `wait`), jobs start; at the end the
    server stops."""

    @contextlib.asynccontextmanager
    async def run(app):
        if wait:
            await run_in_threadpool(server.load)
        else:
            threading.Thread(target=_load_quietly, args=(server,), daemon=True).start()
        server.start()
        try:
            yield
        finally:
            await run_in_threadpool(server.stop)

    return run


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


def metrics_route(app: FastAPI, metrics) -> None:
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
