"""The review page: a FastAPI router (server-rendered Jinja2 templates, a little JavaScript
served from `static/`, nothing from a CDN) over a `JobStore` and a translation `Service`.

Callers are identified by the server's API keys (a cookie set by the login form, or an
`Authorization: Bearer KEY` header); without a keys object every caller is the local user
and may approve. A key sees only its own jobs; approving or editing needs the `reviewer`
role. An approval is saved in the job and stored in the service's translation memory as a
human-approved unit (origin "review"), so the next run with the same memory reuses it.
"""

from __future__ import annotations

import difflib
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from dilmanc.errors import DilmancError, InputError, UsageError
from dilmanc.review.export import approved_units, export_document, export_tmx, export_xliff
from dilmanc.review.jobs import JobStore
from dilmanc.review.make import translate_file
from dilmanc.text.tagged import parse

HERE = Path(__file__).parent
COOKIE = "dilmanc_review_key"
REVIEWER = "reviewer"
STATIC = {"review.js": "text/javascript", "review.css": "text/css"}
_TAG = re.compile(r"<(/?)g(\d+)>|<x(\d+)/>")
VERDICT_LABEL = {"ok": "OK", "review": "Review", "bad": "Bad", None: "Not estimated"}


_TOKEN = re.compile(r"</?g\d+>|<x\d+/>|\w+|\s+|[^\w\s]")


def _chip(tag: re.Match) -> str:
    closing, number, empty = tag.groups()
    label = number or empty
    kind = "end of tag" if closing else "tag" if number else "placeholder"
    shown = f"/{label}" if closing else label
    return (
        f'<span class="chip" contenteditable="false" data-tag="{escape(tag.group(0))}" '
        f'role="img" aria-label="{kind} {label}">{shown}</span>'
    )


def _terms_pattern(terms) -> tuple[re.Pattern | None, dict[str, str]]:
    """One pattern finding the terms' source forms as whole words (longest first), and each
    form's required rendering(s)."""
    rendering: dict[str, list[str]] = {}
    for term in terms or ():
        rendering.setdefault(term["source"], []).append(term["target"])
    if not rendering:
        return None, {}
    forms = sorted(rendering, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, forms)) + r")(?!\w)")
    return pattern, {k: " or ".join(v) for k, v in rendering.items()}


def _marked(text: str, pattern: re.Pattern | None, rendering: dict[str, str]) -> str:
    """`text` escaped, each glossary term in it a <mark> naming its required rendering."""
    if pattern is None:
        return str(escape(text))
    out, pos = [], 0
    for m in pattern.finditer(text):
        note = escape(f"glossary term, required rendering: {rendering[m.group(0)]}")
        word = escape(m.group(0))
        out.append(str(escape(text[pos : m.start()])))
        out.append(f'<mark class="term" title="{note}" aria-label="{word} ({note})">{word}</mark>')
        pos = m.end()
    out.append(str(escape(text[pos:])))
    return "".join(out)


def chips(compact: str, terms=None) -> Markup:
    """Compact tagged text as HTML: text escaped, each tag an atomic, labelled chip, and each
    of `terms` (the segment's glossary terms) found in the text marked with its rendering."""
    pattern, rendering = _terms_pattern(terms)
    out, pos = [], 0
    for m in _TAG.finditer(compact):
        out.append(_marked(compact[pos : m.start()], pattern, rendering))
        out.append(_chip(m))
        pos = m.end()
    out.append(_marked(compact[pos:], pattern, rendering))
    return Markup("".join(out))


def diff(old: str, new: str) -> Markup:
    """How `new` (a segment's source) differs from `old` (a memory match's source), word by
    word: <del> what only the match has, <ins> what only the segment has (each with a
    screen-reader word, so neither relies on colour)."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(chips("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(
                f'<del><span class="sr-only">match has: </span>{chips("".join(a[i1:i2]))}</del>'
            )
        if j2 > j1:
            out.append(
                f'<ins><span class="sr-only">source has: </span>{chips("".join(b[j1:j2]))}</ins>'
            )
    return Markup("".join(out))


class Caller:
    def __init__(self, name: str | None, can_review: bool, key=None) -> None:
        self.name = name
        self.can_review = can_review
        self.key = key


def review_router(
    store: JobStore,
    service,
    *,
    keys=None,
    pipeline: Callable[[], object] | None = None,
    charge: Callable[[object, int], None] | None = None,
    max_upload_bytes: int = 20 * 1024 * 1024,
) -> APIRouter:
    """The /review routes. `keys` has `lookup(token) → key | None` (a key has `name` and
    `roles`); `pipeline()` gives the pipeline uploads are translated with; `charge(key,
    chars)` counts an upload against its key's quota."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["chips"] = chips
    templates.env.filters["diff"] = diff
    templates.env.globals["verdict_label"] = VERDICT_LABEL
    router = APIRouter(prefix="/review", include_in_schema=False)
    targets = [t.iso for t in service.targets]

    def caller(request: Request) -> Caller | None:
        if keys is None:
            return Caller(None, True)
        token = request.cookies.get(COOKIE)
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        key = keys.lookup(token)
        if key is None:
            return None
        return Caller(key.name, REVIEWER in getattr(key, "roles", ()), key)

    def need(request: Request) -> Caller:
        who = caller(request)
        if who is None:
            raise HTTPException(403, "sign in with an API key")
        return who

    def job_or_404(job_id: str, who: Caller):
        try:
            return store.get(job_id, who.name)
        except InputError:
            raise HTTPException(404, f"no such job: {job_id}") from None

    @router.get("/static/{name}")
    def static(name: str):
        if name not in STATIC:
            raise HTTPException(404, "not found")
        return FileResponse(HERE / "static" / name, media_type=STATIC[name])

    @router.get("/", response_class=HTMLResponse)
    def index(request: Request, error: str = ""):
        who = caller(request)
        jobs = store.list(who.name) if who else []
        return templates.TemplateResponse(
            request,
            "index.html",
            {"who": who, "jobs": jobs, "targets": targets, "error": error, "keys": keys},
        )

    @router.post("/login")
    def login(key: str = Form(...)):
        answer = RedirectResponse("/review/", status_code=303)
        answer.set_cookie(COOKIE, key.strip(), httponly=True, samesite="strict")
        return answer

    @router.post("/jobs")
    async def upload(request: Request, file: UploadFile = File(...), target: str = Form(...)):
        who = need(request)
        data = await file.read(max_upload_bytes + 1)
        if len(data) > max_upload_bytes:
            raise HTTPException(413, "the file is too large")
        name = Path(file.filename or "document.txt").name

        def work():
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / name
                path.write_bytes(data)
                job = translate_file(
                    store,
                    service,
                    path,
                    target,
                    owner=who.name,
                    pipeline=pipeline() if pipeline else None,
                )
            if charge is not None and who.key is not None:
                charge(who.key, sum(len(s.source) for s in job.segments))
            return job

        try:
            job = await run_in_threadpool(work)
        except DilmancError as err:
            return RedirectResponse(f"/review/?error={_quote(str(err))}", status_code=303)
        return RedirectResponse(f"/review/jobs/{job.id}", status_code=303)

    @router.get("/jobs/{job_id}", response_class=HTMLResponse)
    def page(request: Request, job_id: str):
        who = need(request)
        job = job_or_404(job_id, who)
        return templates.TemplateResponse(
            request, "job.html", {"job": job, "who": who, "counts": job.counts()}
        )

    @router.post("/jobs/{job_id}/segments/{index}")
    async def save(request: Request, job_id: str, index: int):
        who = need(request)
        if not who.can_review:
            raise HTTPException(403, "this key may not review (it needs the reviewer role)")
        body = await request.json()
        target, approve = body.get("target"), bool(body.get("approve"))
        if not isinstance(target, str):
            raise HTTPException(400, "target must be a string")
        job = job_or_404(job_id, who)
        try:
            segment = job.segment(index)
        except UsageError as err:
            raise HTTPException(404, str(err)) from None
        expected = parse(segment.source).tagged.tag_set()
        problems = parse(target, expected).problems
        if problems:
            raise HTTPException(400, "tags: " + "; ".join(problems))

        def work():
            saved_job, saved = store.update(
                job_id, who.name, index, target, approve=approve, by=who.name
            )
            memory = service.memory() if approve else None
            if memory is not None:
                memory.add_units(approved_units(saved_job, who.name, [saved]))
            return saved

        saved = await run_in_threadpool(work)
        return {"index": index, "status": saved.status, "target": saved.target}

    @router.get("/jobs/{job_id}/export")
    def export(request: Request, job_id: str, kind: str = "document"):
        who = need(request)
        job = job_or_404(job_id, who)
        try:
            if kind == "document":
                data, name = export_document(store, job)
            elif kind == "xliff":
                data, name = export_xliff(job)
            elif kind == "tmx":
                data, name = export_tmx(job, store.folder_of(job.id))
            else:
                raise HTTPException(400, "kind must be document, xliff or tmx")
        except DilmancError as err:
            raise HTTPException(400, str(err)) from None
        return Response(
            data,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{_quote(name)}"'},
        )

    return router


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def review_app(store: JobStore, service, **kwargs):
    """A FastAPI app serving only the review workspace (`dilmanc review`)."""
    from fastapi import FastAPI

    app = FastAPI(title="dilmanc review", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(review_router(store, service, **kwargs))

    @app.get("/")
    def root():
        return RedirectResponse("/review/")

    return app
