"""The ASGI middleware around the app: the request id, the upload size limit and the one JSON
log line per request (`RequestMiddleware`), and CORS on the LibreTranslate routes."""

from __future__ import annotations

import asyncio
import time
import uuid

from fastapi.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect

from dilmanc.server.errors import ApiError, classify, error_response, is_deepl, one_line
from dilmanc.server.state import Server

SHUTTING_DOWN = "the server is shutting down"
CLIENT_GONE = 499  # logged for a request whose client went away before its answer (nginx's)


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
