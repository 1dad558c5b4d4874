"""`create_app(config)` → the FastAPI application serving the LibreTranslate and DeepL APIs.

The `Server` (`state`) holds what every request shares; its translation work is `services`';
route modules (`libretranslate`, `deepl`) parse and answer requests in their API's shapes
and call `Server.translate_texts`, `Server.alternatives` or the job queue; nothing else
builds engines, glossaries or pipelines. `middleware` gives each request its id, size limit
and log line; `startup` loads the models and adds the review workspace and `/metrics`.

Requests run their blocking work in worker threads with a deadline (`--timeout`); errors
become the API's error JSON (LibreTranslate `{"error": ...}`, DeepL `{"message": ...}`,
`errors`) with one log line, and the server keeps serving. Both APIs read JSON bodies
through `parse_json`, which refuses what no route can take (deep nesting, lone surrogates,
infinite numbers) as a 400; answers never carry the server's file paths. The LibreTranslate
routes answer CORS.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from dilmanc import __version__
from dilmanc.pipeline.service import Service
from dilmanc.server import logs
from dilmanc.server.config import ServerConfig
from dilmanc.server.errors import add_handlers
from dilmanc.server.middleware import LibreTranslateCors, RequestMiddleware
from dilmanc.server.startup import lifespan, metrics_route, review_router
from dilmanc.server.state import Server


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

    app = FastAPI(
        title="dilmanc",
        version=__version__,
        description="Azerbaijani translation: LibreTranslate and DeepL v2 compatible API.",
        openapi_url="/spec",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan(server, wait),
    )
    app.state.server = server

    add_handlers(app)
    app.include_router(libretranslate.router(server))
    app.include_router(deepl.router(server))
    if config.review:
        app.include_router(review_router(server))
    app.openapi = lambda: spec.openapi(app)  # every route described: dilmanc.server.spec

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json():
        return JSONResponse(app.openapi())

    if server.metrics is not None:
        metrics_route(app, server.metrics)

    app.add_middleware(RequestMiddleware, server=server)
    if config.cors_origins:  # outermost: error answers get the headers too
        app.add_middleware(LibreTranslateCors, origins=tuple(config.cors_origins))
    return app
