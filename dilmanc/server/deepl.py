"""The DeepL API v2, the subset translation tools use, answering as DeepL does.

POST /v2/translate (and GET, as older clients send it); GET|POST /v2/languages, /v2/usage,
/v2/glossary-language-pairs; /v2/glossaries (create from TSV/CSV entries, list, get, entries,
delete); /v2/document (upload → queued job, status, result as application/octet-stream).
Authentication: `Authorization: DeepL-Auth-Key KEY`, or `auth_key` among the parameters
(required only when the server has API keys). Errors are `{"message": ...}` with DeepL's
status codes: 400 bad request, 403 authorization, 404 not found, 413 too large, 429 too many
requests, 456 quota exceeded, 503 document not ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from dilmanc.documents.archive import ArchiveTooLarge
from dilmanc.errors import DilmancError, InputError, UsageError
from dilmanc.languages import Language, resolve
from dilmanc.server.documents import file_answer
from dilmanc.server.errors import ApiError, BadJson, parse_json
from dilmanc.server.glossaries import BadEntries, GlossaryNotFound
from dilmanc.server.jobs import JobNotFound, NotReady, WrongKey

if TYPE_CHECKING:
    from dilmanc.server.state import Server

SPLIT_SENTENCES = ("0", "1", "nonewlines")
TAG_HANDLING = ("xml", "html")
VARIANTS = {"en": ("EN-GB", "EN-US"), "pt": ("PT-PT", "PT-BR")}
NAMES = {"EN-GB": "English (British)", "EN-US": "English (American)"}


async def params(request: Request) -> dict:
    """JSON body, or query + form fields; repeated form fields (text=..&text=..) are lists."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    out: dict = {}
    for key, value in request.query_params.multi_items():
        _put(out, key, value)
    if ctype == "application/json":
        body = await request.body()
        try:
            data = parse_json(body) if body.strip() else {}
        except BadJson as err:
            raise ApiError(400, "Bad request", str(err)) from None
        if not isinstance(data, dict):
            raise ApiError(400, "Bad request", "the JSON body must be an object")
        out.update(data)
        return out
    if ctype == "multipart/form-data":
        form = await request.form()
        for key, value in form.multi_items():
            _put(out, key, value)
        return out
    body = await request.body()
    try:
        fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise ApiError(400, "Bad request", "the body is not valid UTF-8") from None
    for key, value in fields:
        _put(out, key, value)
    return out


def _put(out: dict, key: str, value) -> None:
    if key in out:
        old = out[key]
        out[key] = [*old, value] if isinstance(old, list) else [old, value]
    else:
        out[key] = value


def string(data: dict, name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, UploadFile):
        return None
    return str(value)


def flag(data: dict, name: str) -> bool | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true"):
        return True
    if text in ("0", "false"):
        return False
    raise ApiError(400, f"Value for '{name}' not supported.")


def tag_list(data: dict, name: str) -> tuple[str, ...]:
    value = data.get(name)
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(t.strip() for item in items for t in str(item).split(",") if t.strip())


def auth_token(request: Request, data: dict | None = None) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("deepl-auth-key "):
        return header[len("deepl-auth-key ") :].strip()
    return string(data or {}, "auth_key")


def router(server: Server) -> APIRouter:
    api = APIRouter(prefix="/v2")

    def authorize(request: Request, data: dict | None = None):
        return server.authorize(request, auth_token(request, data))

    def owner(key) -> str | None:
        return key.name if key is not None and server.keys is not None else None

    def source_language(code: str | None) -> Language | None:
        if code is None or not code.strip():
            return None
        try:
            lang = resolve(code.strip().split("-")[0])
        except UsageError:
            raise ApiError(400, "Value for 'source_lang' not supported.") from None
        if lang != server.source:
            raise ApiError(400, "Value for 'source_lang' not supported.")
        return lang

    def target_language(code: str | None) -> Language:
        if not code or not code.strip():
            raise ApiError(400, "Parameter 'target_lang' not specified.")
        target = server.target(code.strip().split("-")[0])
        if target is None:
            raise ApiError(400, "Value for 'target_lang' not supported.")
        return target

    def glossary_for(data: dict, source: Language | None, target: Language, key):
        glossary_id = string(data, "glossary_id")
        if not glossary_id:
            return None
        if source is None:
            raise ApiError(400, "Use of a glossary requires the source_lang parameter to be set.")
        try:
            item = server.glossaries.get(glossary_id, owner(key))
        except GlossaryNotFound:
            raise ApiError(404, "Glossary not found", f"no glossary {glossary_id}") from None
        if item.info.target_lang != target.iso:
            raise ApiError(400, "Glossary does not match the language pair.")
        return item

    # --- text ------------------------------------------------------------------------------------
    @api.post("/translate")
    async def translate(request: Request):
        data = await params(request)
        key = authorize(request, data)
        texts = data.get("text")
        if texts is None or texts == []:
            raise ApiError(400, "Parameter 'text' not specified.")
        texts = texts if isinstance(texts, list) else [texts]
        if not all(isinstance(text, str) for text in texts):
            raise ApiError(400, "Value for 'text' not supported.")
        config = server.config
        server.check_batch(request, len(texts))
        if config.char_limit != -1 and any(len(text) > config.char_limit for text in texts):
            raise ApiError(413, f"Request too large: a text exceeds {config.char_limit} characters")
        source = source_language(string(data, "source_lang"))
        target = target_language(string(data, "target_lang"))
        split = string(data, "split_sentences")
        if split is not None and split not in SPLIT_SENTENCES:
            raise ApiError(400, "Value for 'split_sentences' not supported.")
        flag(data, "preserve_formatting")  # layout is always preserved; the value is checked
        handling = string(data, "tag_handling")
        if handling is not None and handling not in TAG_HANDLING:
            raise ApiError(400, "Value for 'tag_handling' not supported.")
        ignore = tag_list(data, "ignore_tags")
        glossary = glossary_for(data, source, target, key)
        if source is None:
            found = await server.run(request, server.detect_source, texts, bool(handling))
            if not server.accepts(found):
                raise ApiError(
                    400, f"Detected source language {found.language.upper()} is not supported."
                )
        chars = sum(len(text) for text in texts)
        server.charge(request, key, chars)
        outputs = await server.run(
            request,
            server.translate_texts,
            texts,
            target,
            glossary=glossary,
            markup=handling,
            ignore_tags=ignore,
        )
        detected = server.source.iso.upper()
        return {
            "translations": [
                {"detected_source_language": detected, "text": out, "billed_characters": len(src)}
                for src, out in zip(texts, outputs, strict=True)
            ]
        }

    # GET with the parameters in the query (auth_key=...): older clients, as DeepL took it
    api.add_api_route("/translate", translate, methods=["GET"], operation_id="translate_get")

    # --- information -----------------------------------------------------------------------------
    async def languages(request: Request):
        data = await params(request)
        authorize(request, data)
        kind = string(data, "type")
        kind = "source" if kind is None else kind
        if kind not in ("source", "target"):
            raise ApiError(400, "Value for 'type' not supported.")
        if kind == "source":
            return [{"language": server.source.iso.upper(), "name": server.source.name}]
        out = []
        for target in server.targets:
            for code in VARIANTS.get(target.iso, (target.iso.upper(),)):
                name = NAMES.get(code, target.name)
                out.append({"language": code, "name": name, "supports_formality": False})
        return out

    @api.api_route("/glossary-language-pairs", methods=["GET"])
    async def glossary_pairs(request: Request):
        authorize(request)
        return {
            "supported_languages": [
                {"source_lang": server.source.iso, "target_lang": t.iso} for t in server.targets
            ]
        }

    async def usage(request: Request):
        key = authorize(request)
        used, quota = server.usage(key)
        return {"character_count": used, "character_limit": quota if quota is not None else 10**12}

    for path, endpoint in (("/languages", languages), ("/usage", usage)):
        name = path.strip("/")
        api.add_api_route(path, endpoint, methods=["GET"], operation_id=f"{name}_get")
        api.add_api_route(path, endpoint, methods=["POST"], operation_id=f"{name}_post")

    # --- glossaries ------------------------------------------------------------------------------
    @api.post("/glossaries")
    async def create_glossary(request: Request):
        data = await params(request)
        key = authorize(request, data)
        name = string(data, "name")
        source, target = string(data, "source_lang"), string(data, "target_lang")
        entries = string(data, "entries")
        entries_format = string(data, "entries_format") or "tsv"
        for field, value in (
            ("name", name),
            ("source_lang", source),
            ("target_lang", target),
            ("entries", entries),
        ):
            if not value:
                raise ApiError(400, f"Parameter '{field}' not specified.")
        try:
            item = await server.run(
                request,
                server.create_glossary,
                name,
                source,
                target,
                entries,
                entries_format,
                owner(key),
            )
        except ApiError as err:
            cause = err.__cause__
            if isinstance(cause, BadEntries):
                raise ApiError(400, "Invalid glossary entries provided", str(cause)) from None
            if isinstance(cause, (UsageError, DilmancError)):
                raise ApiError(400, "Bad request", str(cause)) from None
            raise
        return JSONResponse(item.info.to_json(), status_code=201)

    @api.get("/glossaries")
    async def list_glossaries(request: Request):
        key = authorize(request)
        return {"glossaries": [g.info.to_json() for g in server.glossaries.list(owner(key))]}

    def find(glossary_id: str, key):
        try:
            return server.glossaries.get(glossary_id, owner(key))
        except GlossaryNotFound:
            raise ApiError(404, "Glossary not found") from None

    @api.get("/glossaries/{glossary_id}")
    async def get_glossary(glossary_id: str, request: Request):
        key = authorize(request)
        return find(glossary_id, key).info.to_json()

    @api.get("/glossaries/{glossary_id}/entries")
    async def glossary_entries(glossary_id: str, request: Request):
        key = authorize(request)
        accept = request.headers.get("accept", "text/tab-separated-values")
        if not any(t in accept for t in ("text/tab-separated-values", "*/*", "text/*")):
            raise ApiError(415, "Unsupported Media Type", "entries are served as TSV")
        item = find(glossary_id, key)
        return Response(item.entries_tsv(), media_type="text/tab-separated-values")

    @api.delete("/glossaries/{glossary_id}")
    async def delete_glossary(glossary_id: str, request: Request):
        key = authorize(request)
        try:
            server.glossaries.delete(glossary_id, owner(key))
        except GlossaryNotFound:
            raise ApiError(404, "Glossary not found") from None
        return Response(status_code=204)

    # --- documents -------------------------------------------------------------------------------
    @api.post("/document")
    async def upload(request: Request):
        from dilmanc.server.documents import characters, extensions, load, result_name, safe_name

        if not server.config.files:
            raise ApiError(403, "Document translation is disabled on this server.")
        data = await params(request)
        key = authorize(request, data)
        upload = data.get("file")
        if isinstance(upload, list):
            upload = upload[0]
        if not isinstance(upload, UploadFile):
            raise ApiError(400, "Parameter 'file' not specified.")
        filename = safe_name(string(data, "filename") or upload.filename)
        if not filename:
            raise ApiError(400, "Parameter 'filename' not specified.")
        source = source_language(string(data, "source_lang"))
        target = target_language(string(data, "target_lang"))
        suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if f".{suffix}" not in extensions():
            raise ApiError(400, "Invalid file data.", f"unsupported file type .{suffix}")
        wanted = string(data, "output_format")
        if wanted and wanted.lower().lstrip(".") != suffix:
            raise ApiError(400, "Value for 'output_format' not supported.")
        glossary = glossary_for(data, source, target, key)
        content = await upload.read()
        out_name = result_name(filename, target.iso, server.source.iso)

        def check_and_queue():
            import tempfile
            from pathlib import Path

            with tempfile.TemporaryDirectory(dir=server.files_dir) as tmp:
                path = Path(tmp) / filename
                path.write_bytes(content)
                try:
                    chars = characters(load(path, server.source.iso))
                except ArchiveTooLarge as err:
                    raise ApiError(413, "Request too large", str(err)) from None
                except (InputError, UsageError) as err:
                    raise ApiError(400, "Invalid file data.", str(err)) from None
            server.charge(request, key, chars)
            return server.jobs.submit(
                content,
                filename,
                out_name,
                source=server.source.iso,
                target=target.iso,
                glossary_id=glossary.info.glossary_id if glossary else None,
                owner=owner(key),
            )

        record, document_key = await server.run(request, check_and_queue)
        return {"document_id": record.id, "document_key": document_key}

    def job(document_id: str, data: dict):
        try:
            return server.jobs.get(document_id, string(data, "document_key"))
        except JobNotFound:
            raise ApiError(404, "Document not found") from None
        except WrongKey:
            raise ApiError(403, "Invalid document_key") from None

    @api.post("/document/{document_id}")
    async def status(document_id: str, request: Request):
        data = await params(request)
        authorize(request, data)
        return server.jobs.status(job(document_id, data))

    @api.post("/document/{document_id}/result")
    async def result(document_id: str, request: Request):
        data = await params(request)
        authorize(request, data)
        job(document_id, data)
        try:
            record, path = server.jobs.result(document_id, string(data, "document_key"))
        except NotReady as err:
            raise ApiError(503, "Document not ready", str(err)) from None
        return file_answer(path, record.output_name)

    return api
