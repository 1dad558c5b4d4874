"""Exports of a review job: the document in its own format with the job's targets (through
the format's own writer, so formatting is kept), the job as XLIFF 1.2, or as TMX."""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from dilmanc.documents.base import Origin, Translated, UnitState
from dilmanc.documents.registry import open_document, output_name
from dilmanc.errors import InputError
from dilmanc.languages import resolve
from dilmanc.review.jobs import Job, JobStore
from dilmanc.text.tagged import parse

XLIFF_STATE = {
    "new": "new",
    "machine": "translated",
    "memory": "translated",
    "needs-review": "needs-review-translation",
    "approved": "signed-off",
}


def _target(segment, unit) -> object:
    parsed = parse(segment.target, unit.source.tag_set())
    if not parsed.ok:
        raise InputError(f"{unit.location or unit.id}: target tags: {'; '.join(parsed.problems)}")
    return parsed.tagged


def export_document(store: JobStore, job: Job) -> tuple[bytes, str]:
    """The document with every segment's current target (approved or not): (bytes, name)."""
    document = open_document(store.source_path(job), format=job.format, source_iso=job.source_lang)
    by_id = {s.unit: s for s in job.segments}
    translations = {}
    for unit in document.units():
        segment = by_id.get(unit.id)
        if segment is None or not unit.translate:
            continue
        unit.state = UnitState.REVIEWED if segment.status == "approved" else unit.state
        origin = Origin.KEPT if segment.status == "approved" else Origin.MACHINE
        translations[unit.id] = Translated(unit, _target(segment, unit), origin)
    handle = io.BytesIO() if document.binary else io.StringIO()
    lang = resolve(job.target_lang)
    writer = document.writer(lang, handle)
    writer.add(list(translations.values()))
    writer.finish()
    data = handle.getvalue()
    if isinstance(data, str):
        data = data.encode(document.encoding)
    return data, output_name(job.name, job.target_lang, job.source_lang)


def export_xliff(job: Job) -> tuple[bytes, str]:
    """XLIFF 1.2: one trans-unit per segment, its state and the QE verdict as a note."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">',
        f"<file original={quoteattr(job.name)} source-language={quoteattr(job.source_lang)} "
        f'target-language={quoteattr(job.target_lang)} datatype="plaintext"><body>',
    ]
    for segment in job.segments:
        state = XLIFF_STATE.get(segment.status, "translated")
        note = f"<note>qe: {escape(segment.verdict)} {escape(' '.join(segment.reasons))}</note>"
        lines.append(
            f"<trans-unit id={quoteattr(segment.unit)}><source>{escape(segment.source)}</source>"
            f"<target state={quoteattr(state)}>{escape(segment.target)}</target>"
            f"{note if segment.verdict else ''}</trans-unit>"
        )
    lines.append("</body></file></xliff>")
    return "\n".join(lines).encode("utf-8"), Path(job.name).stem + f".{job.target_lang}.xlf"


def approved_units(job: Job, by: str | None = None, segments=None) -> list:
    """The job's approved segments as translation-memory units (origin "review")."""
    import time

    from dilmanc.memory import TMUnit

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    chosen = segments if segments is not None else job.segments
    return [
        TMUnit(
            s.source,
            s.target,
            job.source_lang,
            job.target_lang,
            prev=s.prev,
            next=s.next,
            origin="review",
            change_id=by,
            changed=stamp,
            created=stamp,
        )
        for s in chosen
        if s.status == "approved"
    ]


def export_tmx(job: Job, folder: Path) -> tuple[bytes, str]:
    """TMX of the job's approved segments."""
    from dilmanc.memory.tmx import write_tmx

    path = Path(folder) / f"{job.id}.tmx"
    write_tmx(path, approved_units(job), src_lang=job.source_lang)
    data = path.read_bytes()
    path.unlink()
    return data, Path(job.name).stem + f".{job.target_lang}.tmx"
