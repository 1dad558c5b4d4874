"""The error shapes of the server's APIs, in one place for the app and the route modules:
LibreTranslate answers `{"error": ...}`, DeepL `{"message": ..., "detail": ...}` (`error_response`,
`ApiError`, `add_handlers`); an exception a request raised becomes a status and a message
(`classify`); a request body both take is checked once (`parse_json`, `BadJson`). Messages are
the core's lines: they name settings, never a command-line flag."""

from __future__ import annotations

import json
import math
import re

from fastapi.responses import JSONResponse

from dilmanc.documents.archive import ArchiveTooLarge
from dilmanc.errors import DilmancError, InputError, UsageError
from dilmanc.server.batching import Busy, Stopped, Timeout


class ApiError(Exception):
    """An error answer: HTTP status, message, optional detail (DeepL)."""

    def __init__(self, status: int, message: str, detail: str | None = None) -> None:
        self.status = status
        self.message = message
        self.detail = detail
        super().__init__(message)


def is_deepl(path: str) -> bool:
    return path.startswith("/v2/") or path == "/v2"


def error_response(path: str, status: int, message: str, detail: str | None = None):
    if is_deepl(path):
        body = {"message": message}
        if detail:
            body["detail"] = detail
    else:
        body = {"error": message if not detail else f"{message}: {detail}"}
    return JSONResponse(body, status_code=status)


def one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


MAX_JSON_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadJson(ValueError):
    """A request body that is not JSON both APIs can take; `syntax` when it does not parse."""

    def __init__(self, reason: str, syntax: bool = False) -> None:
        self.syntax = syntax
        super().__init__(reason)


def parse_json(body: bytes):
    """The JSON value of a request body, checked once for every route: valid UTF-8, no
    NaN/Infinity, nested at most MAX_JSON_DEPTH deep, no lone surrogates (which no text
    can be encoded with), no number out of a float's range. BadJson otherwise."""

    def constant(name: str):
        raise BadJson(f"{name} is not a number JSON allows")

    try:
        data = json.loads(body, parse_constant=constant)
    except UnicodeDecodeError:
        raise BadJson("the body is not valid UTF-8") from None
    except RecursionError:
        raise BadJson(f"JSON nested more than {MAX_JSON_DEPTH} levels deep") from None
    except BadJson:
        raise
    except ValueError:
        raise BadJson("the body is not valid JSON", syntax=True) from None
    _check_json(data, 0)
    return data


def _check_json(value, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise BadJson(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise BadJson("a string holds a lone surrogate (not a character)")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise BadJson("a number is out of range")
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json(key, depth + 1)
            _check_json(item, depth + 1)


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


def add_handlers(app) -> None:
    """Errors raised by routes (ApiError) and by Starlette (404, 405) answered in the shape of
    the API whose path was asked."""
    from fastapi import Request
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(ApiError)
    async def api_error(request: Request, err: ApiError):
        if not getattr(request.state, "problem", None):
            request.state.problem = err.message
        return error_response(request.url.path, err.status, err.message, err.detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException):
        return error_response(request.url.path, err.status_code, str(err.detail))
