"""The server's OpenAPI document (`/spec`, as LibreTranslate serves it, and `/openapi.json`).

Routes parse their parameters themselves (form fields, multipart or JSON alike, as the APIs
they imitate accept), so FastAPI sees no body to document. This module describes each
operation with pydantic models: its request body (per content type), its query and path
parameters, and every status it really answers with the body of each (the API's error JSON
for errors). `openapi(app)` lays these descriptions over FastAPI's generated document;
`OPERATIONS` must describe every route (tests check it, and run schemathesis against it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

JSON, FORM, MULTIPART = (
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- LibreTranslate ----------------------------------------------------------------------


class LtError(Model):
    error: str


class LtLanguage(Model):
    code: str
    name: str
    targets: list[str]


class LtTranslateRequest(Model):
    q: str | list[str] = Field(description="Text, or in JSON a list of texts.")
    source: str = Field(description='Source language code, or "auto".')
    target: str = Field(description="Target language code.")
    format: Literal["text", "html"] | None = None
    alternatives: int | None = Field(None, description="Further translations wanted.")
    api_key: str | None = None
    glossary: str | None = Field(None, description="A glossary id (dilmanc extension).")


class LtDetected(Model):
    confidence: float
    language: str


class LtTranslateResponse(Model):
    translatedText: str | list[str]  # noqa: N815 - the API's name
    detectedLanguage: LtDetected | list[LtDetected] | None = None  # noqa: N815
    alternatives: list[str] | list[list[str]] | None = None


class LtDetectRequest(Model):
    q: str | list[str]
    api_key: str | None = None


class LtFileRequest(Model):
    file: bytes = Field(json_schema_extra={"format": "binary"})
    source: str
    target: str
    api_key: str | None = None
    glossary: str | None = None


class LtFileResponse(Model):
    translatedFileUrl: str  # noqa: N815


class LtSuggestRequest(Model):
    q: str
    s: str
    source: str
    target: str
    api_key: str | None = None


class LtSuggestResponse(Model):
    success: bool


class Health(Model):
    status: Literal["ok", "loading", "error"]


class Ready(BaseModel):  # more fields may come; these are always there
    ready: bool
    models_loaded: bool
    error: str | None
    dilmanc: str
    source: str
    targets: list[str]
    uptime_seconds: float
    queue_segments: int
    batching: list[dict]
    jobs: dict[str, int]
    glossaries: int


class LtNamedLanguage(Model):
    code: str
    name: str


class LtSettingsLanguage(Model):
    source: LtNamedLanguage
    target: LtNamedLanguage


class LtSettings(BaseModel):
    charLimit: int  # noqa: N815
    frontendTimeout: int  # noqa: N815
    apiKeys: bool  # noqa: N815
    keyRequired: bool  # noqa: N815
    suggestions: bool
    filesTranslation: bool  # noqa: N815
    supportedFilesFormat: list[str]  # noqa: N815
    language: LtSettingsLanguage


# --- DeepL --------------------------------------------------------------------------------


class DeepLError(Model):
    message: str
    detail: str | None = None


class DeepLTranslateRequest(Model):
    text: list[str] = Field(description="Texts (in a form: the field repeated).")
    target_lang: str
    source_lang: str | None = None
    split_sentences: Literal["0", "1", "nonewlines"] | None = None
    preserve_formatting: bool | None = None
    tag_handling: Literal["xml", "html"] | None = None
    ignore_tags: str | list[str] | None = None
    glossary_id: str | None = None
    formality: str | None = None
    context: str | None = None
    outline_detection: bool | None = None
    auth_key: str | None = None


class DeepLTranslation(Model):
    detected_source_language: str
    text: str
    billed_characters: int


class DeepLTranslateResponse(Model):
    translations: list[DeepLTranslation]


class DeepLLanguagesRequest(Model):
    type: Literal["source", "target"] | None = None
    auth_key: str | None = None


class DeepLLanguage(Model):
    language: str
    name: str
    supports_formality: bool | None = None


class DeepLAuthRequest(Model):
    auth_key: str | None = None


class DeepLUsage(Model):
    character_count: int
    character_limit: int


class DeepLPair(Model):
    source_lang: str
    target_lang: str


class DeepLPairs(Model):
    supported_languages: list[DeepLPair]


class DeepLGlossaryRequest(Model):
    name: str
    source_lang: str
    target_lang: str
    entries: str = Field(description="TSV (source<TAB>target lines) or CSV.")
    entries_format: Literal["tsv", "csv"] | None = None
    auth_key: str | None = None


class DeepLGlossary(Model):
    glossary_id: str
    name: str
    ready: bool
    source_lang: str
    target_lang: str
    creation_time: str
    entry_count: int
    merged_entries: list[str] | None = Field(
        None, description="Entries that are one term for Azerbaijani matching (extension)."
    )


class DeepLGlossaries(Model):
    glossaries: list[DeepLGlossary]


class DeepLDocumentRequest(Model):
    file: bytes = Field(json_schema_extra={"format": "binary"})
    target_lang: str
    source_lang: str | None = None
    filename: str | None = None
    output_format: str | None = None
    glossary_id: str | None = None
    auth_key: str | None = None


class DeepLDocumentHandle(Model):
    document_id: str
    document_key: str


class DeepLDocumentKey(Model):
    document_key: str
    auth_key: str | None = None


class DeepLDocumentStatus(Model):
    document_id: str
    status: Literal["queued", "translating", "done", "error"]
    seconds_remaining: int | None = None
    billed_characters: int | None = None
    error_message: str | None = None


MODELS: list[type[BaseModel]] = [
    value
    for value in list(globals().values())
    if isinstance(value, type) and issubclass(value, BaseModel) and value not in (BaseModel, Model)
]

# --- the operations -----------------------------------------------------------------------

REASONS = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "Bad request",
    403: "Forbidden: a missing or wrong key, quota used up, or turned off on this server",
    404: "Not found",
    413: "Request too large",
    415: "Unsupported media type",
    429: "Too many requests",
    456: "Quota exceeded",
    500: "Translation failed (LibreTranslate answers a timeout this way)",
    503: "Models loading, the server shutting down, or the document not ready",
    504: "The request timed out",
}


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _content(answer) -> dict | None:
    """`Model`, `[Model]` (a JSON array), `(media type, schema)` or None (no body)."""
    if answer is None:
        return None
    if isinstance(answer, tuple):
        return {answer[0]: {"schema": answer[1]}}
    schema = {"type": "array", "items": _ref(answer[0])} if isinstance(answer, list) else None
    return {JSON: {"schema": schema or _ref(answer)}}


def _op(
    answers: dict[int, object],
    *,
    body: type[BaseModel] | None = None,
    types: tuple[str, ...] = (JSON, FORM),
    query: type[BaseModel] | None = None,
) -> dict:
    """One operation: its request body (in each content type) or query parameters, and the
    body of each status it answers."""
    responses = {}
    for status, answer in answers.items():
        responses[str(status)] = {"description": REASONS[status]}
        content = _content(answer)
        if content:
            responses[str(status)]["content"] = content
    out: dict = {"responses": responses}
    if body is not None:
        content = {kind: {"schema": _ref(body)} for kind in types}
        out["requestBody"] = {"required": True, "content": content}
    if query is not None:
        out["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in _properties(query).items()
        ]
    return out


def _properties(model: type[BaseModel]) -> dict:
    schema = model.model_json_schema()
    return {name: _plain(value) for name, value in schema["properties"].items()}


def _plain(schema: dict) -> dict:
    """A property's schema without pydantic's title and without `null` (a query parameter
    is left out rather than sent empty)."""
    schema = {k: v for k, v in schema.items() if k not in ("title", "default")}
    options = [s for s in schema.pop("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        schema.update(options[0])
    elif options:
        schema["anyOf"] = options
    return schema


def lt(ok: int, answer, *errors: int, **request) -> dict:
    """A LibreTranslate operation: errors are `{"error": ...}`."""
    return _op({ok: answer, **dict.fromkeys(errors, LtError)}, **request)


def deepl(ok: int, answer, *errors: int, **request) -> dict:
    """A DeepL operation: every one checks the key and the request size; errors are
    `{"message": ..., "detail": ...}`."""
    codes = sorted({403, 413, 429, *errors})
    return _op({ok: answer, **dict.fromkeys(codes, DeepLError)}, **request)


BINARY = {"type": "string", "format": "binary"}
FILE = ("application/octet-stream", BINARY)
TRANSLATING = (400, 403, 413, 429, 500, 503)  # what a LibreTranslate translation can answer
DOCUMENT_ERRORS = (400, 404, 456, 500, 503, 504)  # a DeepL upload is parsed and charged
OPERATIONS: dict[tuple[str, str], dict] = {
    # LibreTranslate
    ("GET", "/languages"): lt(200, [LtLanguage]),
    ("GET", "/health"): _op({200: Health, 503: Health}),
    ("GET", "/ready"): _op({200: Ready, 503: Ready}),
    ("GET", "/frontend/settings"): lt(200, LtSettings),
    ("POST", "/translate"): lt(200, LtTranslateResponse, *TRANSLATING, body=LtTranslateRequest),
    ("POST", "/detect"): lt(200, [LtDetected], 400, 403, 413, 429, body=LtDetectRequest),
    ("POST", "/translate_file"): lt(
        200, LtFileResponse, *TRANSLATING, body=LtFileRequest, types=(MULTIPART,)
    ),
    ("GET", "/download_file/{filename}"): lt(200, FILE, 400, 404),
    ("POST", "/suggest"): lt(
        200, LtSuggestResponse, 400, 403, 413, 429, 500, 503, body=LtSuggestRequest
    ),
    # DeepL
    ("POST", "/v2/translate"): deepl(
        200, DeepLTranslateResponse, 400, 404, 456, 500, 503, 504, body=DeepLTranslateRequest
    ),
    ("GET", "/v2/translate"): deepl(
        200, DeepLTranslateResponse, 400, 404, 456, 500, 503, 504, query=DeepLTranslateRequest
    ),
    ("GET", "/v2/languages"): deepl(200, [DeepLLanguage], 400, query=DeepLLanguagesRequest),
    ("POST", "/v2/languages"): deepl(200, [DeepLLanguage], 400, body=DeepLLanguagesRequest),
    ("GET", "/v2/usage"): deepl(200, DeepLUsage, query=DeepLAuthRequest),
    ("POST", "/v2/usage"): deepl(200, DeepLUsage, 400, body=DeepLAuthRequest),
    ("GET", "/v2/glossary-language-pairs"): deepl(200, DeepLPairs, query=DeepLAuthRequest),
    ("POST", "/v2/glossaries"): deepl(
        201, DeepLGlossary, 400, 500, 503, 504, body=DeepLGlossaryRequest
    ),
    ("GET", "/v2/glossaries"): deepl(200, DeepLGlossaries, query=DeepLAuthRequest),
    ("GET", "/v2/glossaries/{glossary_id}"): deepl(200, DeepLGlossary, 404),
    ("DELETE", "/v2/glossaries/{glossary_id}"): deepl(204, None, 404),
    ("GET", "/v2/glossaries/{glossary_id}/entries"): deepl(
        200, ("text/tab-separated-values", {"type": "string"}), 404, 415
    ),
    ("POST", "/v2/document"): deepl(
        200, DeepLDocumentHandle, *DOCUMENT_ERRORS, body=DeepLDocumentRequest, types=(MULTIPART,)
    ),
    ("POST", "/v2/document/{document_id}"): deepl(
        200, DeepLDocumentStatus, 400, 404, body=DeepLDocumentKey
    ),
    ("POST", "/v2/document/{document_id}/result"): deepl(
        200, FILE, 400, 404, 503, body=DeepLDocumentKey
    ),
}
PATH_PARAMETERS = {  # what the server hands out; anything else is simply not found
    "filename": {"type": "string", "pattern": "^[0-9a-f]{32}\\.[A-Za-z0-9._-]{1,200}$"},
    "glossary_id": {"type": "string", "maxLength": 100},
    "document_id": {"type": "string", "maxLength": 100},
}
SECURITY = {  # DeepL's header; the key may also come as auth_key (LibreTranslate: api_key)
    "DeepLAuthKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "DeepL-Auth-Key KEY (any key when the server has no keys file)",
    }
}


class Undocumented(Exception):
    """A route has no entry in OPERATIONS."""


def openapi(app) -> dict:
    """The OpenAPI document of `app`: FastAPI's, with OPERATIONS laid over each operation."""
    from fastapi.openapi.utils import get_openapi

    if app.openapi_schema is not None:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            described = OPERATIONS.get((method.upper(), path))
            if described is None:
                raise Undocumented(f"{method.upper()} {path} is not in dilmanc.server.spec")
            operation.update(described)
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    parameter["schema"] = PATH_PARAMETERS[parameter["name"]]
            if path.startswith("/v2/"):
                operation["security"] = [{"DeepLAuthKey": []}, {}]
    _, schemas = models_json_schema(
        [(model, "validation") for model in MODELS], ref_template="#/components/schemas/{model}"
    )
    schemas = schemas.get("$defs", {})
    _languages(schemas, app.state.server)
    spec["components"] = {"schemas": schemas, "securitySchemes": SECURITY}
    app.openapi_schema = spec
    return spec


def _languages(schemas: dict, server) -> None:
    """Language parameters list the codes this server serves (each API's spelling)."""
    from dilmanc.server.deepl import VARIANTS

    source = server.source.iso
    targets = [t.iso for t in server.targets]
    deepl_targets = [v for t in targets for v in (t.upper(), *VARIANTS.get(t, ()))]
    codes = {
        ("LtTranslateRequest", "source"): [source, "auto"],
        ("LtFileRequest", "source"): [source, "auto"],
        ("LtSuggestRequest", "source"): [source],
        ("DeepLTranslateRequest", "source_lang"): [source.upper()],
        ("DeepLDocumentRequest", "source_lang"): [source.upper()],
        ("DeepLGlossaryRequest", "source_lang"): [source],
        ("DeepLTranslateRequest", "target_lang"): deepl_targets,
        ("DeepLDocumentRequest", "target_lang"): deepl_targets,
        ("DeepLGlossaryRequest", "target_lang"): targets,
        **{(name, "target"): targets for name in ("LtTranslateRequest", "LtFileRequest")},
        ("LtSuggestRequest", "target"): targets,
    }
    for (model, name), values in codes.items():
        prop = schemas[model]["properties"][name]
        nullable = any(s.get("type") == "null" for s in prop.get("anyOf", ()))
        enum = {"enum": values}
        prop.pop("type", None)
        prop["anyOf"] = [enum, {"type": "null"}] if nullable else [enum]
