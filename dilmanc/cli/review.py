"""`dilmanc review`: the review workspace for one job, served on 127.0.0.1:PORT.

`dilmanc review FILE --to en -m MODEL [--tm TM]` translates FILE through the service layer
into a new job; `dilmanc review --report REPORT.json` opens a document already translated
with `dilmanc translate --report`; with neither, the page lists the jobs of `--data-dir` and
takes uploads. Approvals go into the translation memory `--tm` (the one `dilmanc translate
--tm` reads). Everything is checked (and FILE translated) before the port opens.
"""

from __future__ import annotations

from pathlib import Path

import typer

from dilmanc.cli.options import MEMORY_FILE, SOURCE
from dilmanc.errors import UsageError
from dilmanc.pipeline.settings import Settings


def review_command(
    file: str = typer.Argument(None, metavar="FILE", help="Document to translate and review."),
    report: str = typer.Option(
        None, "--report", metavar="REPORT", help="Review a document translated with --report."
    ),
    to: str = typer.Option("en", "--to", "-t", metavar="LANG", help="Target language."),
    source_code: str = SOURCE,
    model: list[str] = typer.Option(
        None, "--model", "-m", metavar="MODEL", help="Preset, hub id or model directory."
    ),
    glossary: list[str] = typer.Option(
        None, "--glossary", "-g", metavar="FILE", help="Glossary (repeatable)."
    ),
    tm: str = MEMORY_FILE,
    data_dir: str = typer.Option(
        None, "--data-dir", metavar="DIR", help="Where jobs are kept (default: $DILMANC_HOME)."
    ),
    port: int = typer.Option(8765, "--port", "-p", metavar="PORT", help="Port on 127.0.0.1."),
) -> None:
    """Review translations in the browser: edit, approve into the memory, export."""
    from dilmanc.cli.serve import _bind
    from dilmanc.pipeline.service import Service
    from dilmanc.review.jobs import JobStore
    from dilmanc.review.make import from_report, translate_file

    if file and report:
        raise UsageError("give FILE or --report, not both")
    settings = Settings(
        source=source_code,
        targets=(to,),
        models=tuple(model or ()),
        glossaries=tuple(glossary or ()),
        memory=tm,
    ).validate()
    store = JobStore(_folder(data_dir))
    service = Service(settings)
    path = "/review/"
    if file:
        if not Path(file).is_file():
            raise UsageError(f"{file}: no such file")
        job = translate_file(store, service.load(lazy=True), Path(file), to, owner=None)
        path = f"/review/jobs/{job.id}"
    elif report:
        job = from_report(
            store, Path(report), owner=None, glossary=service.glossary(), memory=service.memory()
        )
        path = f"/review/jobs/{job.id}"
    sock = _bind("127.0.0.1", port)
    typer.echo(f"review: http://127.0.0.1:{port}{path}  (Ctrl-C to stop)")
    try:
        _serve(store, service, sock)
    finally:
        sock.close()
        service.close()


def _folder(data_dir: str | None) -> Path:
    if data_dir:
        return Path(data_dir)
    from dilmanc.models.hub import dilmanc_home

    return dilmanc_home() / "review"


def _serve(store, service, sock) -> None:
    import uvicorn

    from dilmanc.review.web import review_app

    app = review_app(store, service)
    uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False)).run(sockets=[sock])
