"""The LibreTranslate API: field names, response shapes, status codes and error wording as
LibreTranslate answers them (its own API tests pass against these routes).

POST /translate, /detect, /translate_file, /suggest; GET /languages, /frontend/settings,
/health, /download_file/<name>; /spec is the OpenAPI document. Parameters come as a form or
as JSON (where `q` may be a list); an extension: `glossary` (an id from /v2/glossaries).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from dilmanc.documents.archive import ArchiveTooLarge
from dilmanc.errors import InputError, UsageError
from dilmanc.server.documents import file_answer, stored_file
from dilmanc.server.errors import ApiError, BadJson, parse_json
from dilmanc.server.glossaries import GlossaryNotFound

if TYPE_CHECKING:
    from dilmanc.server.state import Server

ALIASES = {"pb": "pt-br", "zh": "zh-hans", "zt": "zh-hant"}


async def params(request: Request) -> dict:
    """Request parameters: the JSON object, or query + form fields (files as UploadFile)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if ctype == "application/json":
        try:
            data = parse_json(body) if body.strip() else None
        except BadJson as err:
            message = "Invalid JSON format" if err.syntax else f"Invalid request: {err}"
            raise ApiError(400, message) from None
        if not isinstance(data, dict):
            raise ApiError(400, "Invalid JSON format")
        return data
    out: dict = dict(request.query_params)
    if ctype == "multipart/form-data":
        form = await request.form()
        for key, value in form.multi_items():
            out.setdefault(key, value)
        return out
    try:
        text = body.decode("utf-8")
        fields = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ApiError(400, "Invalid request: the body is not valid UTF-8") from None
    for key, value in fields:
        out[key] = value
    return out


def text_param(data: dict, name: str) -> str | None:
    value = data.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ApiError(400, f"Invalid request: {name} parameter must be a string")


def lang_code(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    return {v: k for k, v in ALIASES.items()}.get(value, value)


def router(server: Server) -> APIRouter:
    api = APIRouter()
    config = server.config

    def glossary_for(data: dict, owner: str | None):
        glossary_id = text_param(data, "glossary")
        if not glossary_id:
            return None
        try:
            return server.glossaries.get(glossary_id, owner)
        except GlossaryNotFound:
            raise ApiError(400, f"Invalid request: glossary {glossary_id} not found") from None

    @api.get("/languages")
    async def languages():
        """Supported languages: the source with the targets it translates into."""
        out = [
            {
                "code": server.source.iso,
                "name": server.source.name,
                "targets": [t.iso for t in server.targets],
            }
        ]
        out += [{"code": t.iso, "name": t.name, "targets": []} for t in server.targets]
        return out

    @api.get("/health")
    async def health():
        """{"status": "ok"} once models are loaded; 503 {"status": "loading"} before."""
        if server.loaded.is_set():
            return {"status": "ok"}
        status = "error" if server.load_error else "loading"
        return JSONResponse({"status": status}, status_code=503)

    @api.get("/ready")
    async def ready():
        """Readiness with details (models, queue, batching, jobs)."""
        return JSONResponse(server.ready_json(), status_code=200 if server.loaded.is_set() else 503)

    @api.get("/frontend/settings")
    async def frontend_settings():
        from dilmanc.server.documents import extensions

        source, target = server.source, server.targets[0]
        return {
            "charLimit": config.char_limit,
            "frontendTimeout": int(config.timeout * 1000),
            "apiKeys": server.keys is not None,
            "keyRequired": server.keys is not None,
            "suggestions": config.suggestions,
            "filesTranslation": config.files,
            "supportedFilesFormat": extensions() if config.files else [],
            "language": {
                "source": {"code": source.iso, "name": source.name},
                "target": {"code": target.iso, "name": target.name},
            },
        }

    @api.post("/translate")
    async def translate(request: Request):
        """Translate text: q (string, or in JSON a list), source (or "auto"), target,
        format text|html, alternatives, api_key; extensions: glossary (an id), qe (true: each
        translation's quality estimate in "qe": verdict ok|review|bad, score, reasons)."""
        data = await params(request)
        key = server.authorize(request, text_param(data, "api_key"))
        q = data.get("q")
        source = lang_code(text_param(data, "source"))
        target_code = lang_code(text_param(data, "target"))
        text_format = text_param(data, "format")
        if not q:
            raise ApiError(400, "Invalid request: missing q parameter")
        if not source:
            raise ApiError(400, "Invalid request: missing source parameter")
        if not target_code:
            raise ApiError(400, "Invalid request: missing target parameter")
        try:
            count = max(0, int(data.get("alternatives") or 0))
        except (TypeError, ValueError):
            raise ApiError(400, "Invalid request: alternatives parameter is not a number") from None
        limit = config.alternatives_limit
        if limit != -1 and count > limit:
            raise ApiError(400, f"Invalid request: alternatives parameter must be <= {limit}")
        batch = isinstance(q, list)
        if batch and not all(isinstance(item, str) for item in q):
            raise ApiError(400, "Invalid request: q must be a string or a list of strings")
        if not batch and not isinstance(q, str):
            raise ApiError(400, "Invalid request: q must be a string or a list of strings")
        if not batch and not request.headers.get("content-type", "").startswith("application/json"):
            q = "\n".join(q.splitlines())
        texts = q if batch else [q]
        if batch:
            server.check_batch(request, len(texts))
        if config.char_limit != -1:
            for text in texts:
                if len(text) > config.char_limit:
                    raise ApiError(
                        400,
                        f"Invalid request: request ({len(text)}) exceeds text limit "
                        f"({config.char_limit})",
                    )
        detection = None
        if source == "auto":
            markup = text_format == "html"
            detection = await server.run(request, server.detect_source, texts, markup)
            if not server.accepts(detection):
                raise ApiError(400, f"{detection.language} is not supported")
        elif not server.is_source(source):
            raise ApiError(400, f"{source} is not supported")
        target = server.target(target_code)
        if target is None:
            raise ApiError(400, f"{target_code} is not supported")
        text_format = text_format or "text"
        if text_format not in ("text", "html"):
            raise ApiError(400, f"{text_format} format is not supported")
        glossary = glossary_for(data, key.name if key and server.keys else None)
        server.charge(request, key, sum(len(text) for text in texts))
        markup = "html" if text_format == "html" else None
        estimates: list | None = [] if _flag(data.get("qe")) else None
        outputs = await server.run(
            request,
            server.translate_texts,
            texts,
            target,
            glossary=glossary,
            markup=markup,
            qe=estimates,
        )
        result: dict = {"translatedText": outputs if batch else outputs[0]}
        if estimates is not None:
            shown = [_estimate(found) for found in estimates]
            result["qe"] = shown if batch else shown[0]
        if detection is not None:
            found = {"confidence": detection.confidence, "language": server.source.iso}
            result["detectedLanguage"] = [found] * len(texts) if batch else found
        if count > 0:
            alts = []
            for text, output in zip(texts, outputs, strict=True):
                if markup:
                    alts.append([])  # as LibreTranslate: none for HTML
                    continue
                found = await server.run(
                    request, server.alternatives, text, target, count, glossary=glossary
                )
                alts.append(list(dict.fromkeys(a for a in found if a and a != output)))
            result["alternatives"] = alts if batch else alts[0]
        return result

    @api.post("/detect")
    async def detect(request: Request):
        """The likeliest of the server's languages for q (as LibreTranslate answers among its
        installed ones): [{"confidence": 0-100, "language": code}]."""
        from dilmanc.text.detect import detect as identify

        data = await params(request)
        server.authorize(request, text_param(data, "api_key"))
        q = data.get("q")
        if not q:
            raise ApiError(400, "Invalid request: missing q parameter")
        if isinstance(q, list):
            if not all(isinstance(item, str) for item in q):
                raise ApiError(400, "Invalid request: q must be a string or a list of strings")
            q = "\n".join(q)
        elif not isinstance(q, str):
            raise ApiError(400, "Invalid request: q must be a string or a list of strings")
        if config.char_limit != -1 and len(q) > config.char_limit:
            raise ApiError(
                400,
                f"Invalid request: request ({len(q)}) exceeds text limit ({config.char_limit})",
            )
        request.state.chars = len(q)
        # needs no translation model: works while loading
        found = await run_in_threadpool(identify, q, among=server.languages())
        return [item.to_json() for item in found]

    @api.post("/translate_file")
    async def translate_file(request: Request):
        """Translate a document (any format dilmanc reads); answers {"translatedFileUrl"}."""
        from dilmanc.server.documents import extensions, result_name, safe_name

        if not config.files:
            raise ApiError(403, "Files translation are disabled on this server.")
        data = await params(request)
        key = server.authorize(request, text_param(data, "api_key"))
        source = lang_code(text_param(data, "source"))
        target_code = lang_code(text_param(data, "target"))
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(400, "Invalid request: missing file parameter")
        if not source:
            raise ApiError(400, "Invalid request: missing source parameter")
        if not target_code:
            raise ApiError(400, "Invalid request: missing target parameter")
        filename = safe_name(upload.filename)
        if not filename:
            raise ApiError(400, "Invalid request: empty file")
        suffix = Path(filename).suffix.lower()
        if suffix not in extensions() and suffix != f".{server.source.iso}":
            raise ApiError(400, "Invalid request: file format not supported")
        if source != "auto" and not server.is_source(source):
            raise ApiError(400, f"{source} is not supported")
        target = server.target(target_code)
        if target is None:
            raise ApiError(400, f"{target_code} is not supported")
        glossary = glossary_for(data, key.name if key and server.keys else None)
        content = await upload.read()
        out_name = result_name(filename, target.iso, server.source.iso)
        stored = await server.run(
            request,
            _translate_upload,
            server,
            request,
            key,
            content,
            filename,
            out_name,
            target,
            glossary,
        )
        url = str(request.base_url).rstrip("/") + f"/download_file/{stored}"
        return {"translatedFileUrl": url}

    @api.get("/download_file/{filename}")
    async def download_file(filename: str):
        if not config.files:
            raise ApiError(400, "Files translation are disabled on this server.")
        path = stored_file(server.files_dir, filename)
        if path is None:
            raise ApiError(400, "Invalid filename")
        if not path.is_file():
            raise ApiError(404, "File not found")
        download = filename.split(".", 1)[1] if "." in filename else filename
        return file_answer(path, download)

    @api.post("/suggest")
    async def suggest(request: Request):
        """Store a better translation (in the translation memory when one is configured)."""
        if server.suggestion_sink is None:
            raise ApiError(403, "Suggestions are disabled on this server.")
        data = await params(request)
        server.authorize(request, text_param(data, "api_key"))
        q, s = text_param(data, "q"), text_param(data, "s")
        source = lang_code(text_param(data, "source"))
        target = lang_code(text_param(data, "target"))
        for name, value in (("q", q), ("s", s), ("source", source), ("target", target)):
            if not value:
                raise ApiError(400, f"Invalid request: missing {name} parameter")
        if not server.is_source(source):
            raise ApiError(400, f"{source} is not supported")
        if server.target(target) is None:
            raise ApiError(400, f"{target} is not supported")
        await server.run(request, server.suggestion_sink, q, s, source, target)
        return {"success": True}

    return api


def _translate_upload(
    server: Server, request, key, content: bytes, filename, out_name, target, glossary
) -> str:
    """Parse, charge, translate into the files folder; the stored name (uuid.name)."""
    import tempfile
    import uuid

    from dilmanc.server.documents import characters, load, translate_path

    server.expire_files()
    with tempfile.TemporaryDirectory(dir=server.files_dir) as tmp:
        path = Path(tmp) / filename
        path.write_bytes(content)
        try:
            document = load(path, server.source.iso)
            chars = characters(document)
        except ArchiveTooLarge as err:
            raise ApiError(413, f"Request too large: {err}") from None
        except (InputError, UsageError) as err:
            raise ApiError(400, f"Invalid request: {err}") from None
        server.charge(request, key, chars)
        stored = f"{uuid.uuid4().hex}.{out_name}"
        pipeline = server.pipeline()
        translate_path(
            server.service,
            pipeline,
            document,
            target,
            server.files_dir / stored,
            context=server.context(pipeline, glossary),
        )
    return stored


def _flag(value) -> bool:
    """A boolean request parameter: JSON true, or "true"/"1"/"yes" in a form."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return value is True or value == 1


def _estimate(found) -> dict:
    """One translation's quality estimate for the `qe` extension field."""
    if found is None:  # nothing was translated (an empty or untranslatable text)
        return {"verdict": "ok", "score": None, "reasons": []}
    return {"verdict": found.verdict, "score": found.to_json()["score"], "reasons": found.reasons}
