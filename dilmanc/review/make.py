"""Making review jobs: translate a document through the service layer (`translate_file`), or
take a document already translated with `dilmanc translate --report` (`from_report`)."""

from __future__ import annotations

import io
import json
import shutil
import time
from pathlib import Path

from dilmanc.documents.base import Origin, Translated
from dilmanc.documents.registry import open_document
from dilmanc.errors import InputError, UsageError
from dilmanc.fileio import read_text
from dilmanc.languages import resolve
from dilmanc.review.jobs import Job, JobStore, Segment

STATUS_OF_ORIGIN = {
    Origin.MACHINE: "machine",
    Origin.CACHE: "machine",
    Origin.TM_CONTEXT: "memory",
    Origin.TM_EXACT: "memory",
    Origin.KEPT: "new",
}


def _status(item: Translated) -> str:
    if item.origin == Origin.KEPT and item.unit.state.value == "reviewed":
        return "approved"
    if item.needs_review:
        return "needs-review"
    return STATUS_OF_ORIGIN.get(item.origin, "machine")


def terms_of(glossary, text: str, target: str) -> list[dict]:
    """The glossary terms found in `text` with their required rendering in `target`."""
    if glossary is None:
        return []
    out, seen = [], set()
    for match in glossary.matcher.find(text):
        rendering = match.entry.target(target)
        if rendering and (match.text, rendering) not in seen:
            seen.add((match.text, rendering))
            out.append({"source": match.text, "target": rendering})
    return out


MATCH_LIMIT = 5  # memory matches kept per segment (the page inserts them with Alt+1..5)


def matches_of(memory, segment: Segment, source_lang: str, target_lang: str) -> list[dict]:
    """The memory's matches for `segment`'s source (`Memory.lookup`: context, exact, then
    fuzzy ≥ 75), best first, as plain data kept in the job; none without a memory."""
    if memory is None:
        return []
    found = memory.lookup(
        segment.source,
        source_lang,
        target_lang,
        prev=segment.prev,
        next=segment.next,
        limit=MATCH_LIMIT,
    )
    return [
        {
            "kind": m.kind,
            "score": m.score,
            "source": m.unit.source,
            "target": m.target,
            "origin": m.unit.origin,
        }
        for m in found
    ]


def _add_matches(job: Job, memory) -> Job:
    for segment in job.segments:
        segment.matches = matches_of(memory, segment, job.source_lang, job.target_lang)
    return job


def segment_of(item: Translated, glossary, target: str) -> Segment:
    qe = item.qe
    return Segment(
        unit=item.unit.id,
        location=item.unit.location,
        source=item.unit.source.render(),
        target=item.target.render(),
        status=_status(item),
        verdict=qe.verdict if qe is not None else None,
        score=qe.score if qe is not None else None,
        reasons=list(qe.reasons) if qe is not None else [],
        detail=qe.describe() if qe is not None and qe.needs_review else "",
        terms=terms_of(glossary, item.unit.source.text, target),
        prev=item.unit.prev,
        next=item.unit.next,
    )


def _copy_source(store: JobStore, job: Job, path: Path) -> None:
    destination = store.source_path(job)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, destination)


def translate_file(
    store: JobStore,
    service,
    path: Path,
    target: str,
    *,
    owner: str | None,
    name: str | None = None,
    pipeline=None,
) -> Job:
    """Translate the document at `path` into `target` through `service` (a
    `dilmanc.pipeline.service.Service`) and store the result as a new job."""
    lang = resolve(target)
    if lang.iso not in [t.iso for t in service.targets]:
        served = ", ".join(t.iso for t in service.targets)
        raise UsageError(f"target {lang.iso} is not served here (served: {served})")
    document = open_document(path, source_iso=service.source.iso)
    document.check_target(lang)
    items: list[Translated] = []
    handle = io.BytesIO() if document.binary else io.StringIO()
    service.translate_document(
        document, {lang.iso: handle}, pipeline or service.pipeline(), on_chunk=items.extend
    )
    glossary = service.glossary()
    job = Job(
        id=store.new_id(),
        name=name or Path(path).name,
        format=document.format,
        source_lang=service.source.iso,
        target_lang=lang.iso,
        owner=owner,
        created=time.time(),
        segments=[segment_of(i, glossary, lang.iso) for i in items if i.unit.translate],
    )
    _add_matches(job, service.memory())
    _copy_source(store, job, Path(path))
    return store.save(job)


def from_report(
    store: JobStore, report_path: Path, *, owner: str | None, glossary=None, memory=None
) -> Job:
    """A job from a document translated with `--report`: its input and (first) output are
    read back unit by unit (the output has the input's structure), its QE verdicts taken from
    the report, its memory matches looked up in `memory` (a `Memory`, or None)."""
    try:
        report = json.loads(read_text(report_path))
        run = report.get("run", report)
        source = run["languages"]["source"]
        entry = report["documents"][0]
        target = run["languages"]["targets"][0]
    except (ValueError, KeyError, IndexError, TypeError) as err:
        raise InputError(f"{report_path}: not a dilmanc translate report ({err})") from None
    input_path = Path(entry["input"])
    output = next((Path(o) for o in entry.get("outputs", []) if Path(o).is_file()), None)
    if not input_path.is_file() or output is None:
        raise InputError(f"{report_path}: its input or output file is missing")
    src_units = [u for u in open_document(input_path, source_iso=source).units() if u.translate]
    tgt_units = [u for u in open_document(output, source_iso=source).units() if u.translate]
    if len(src_units) != len(tgt_units):
        raise InputError(f"{output}: its units do not match those of {input_path}")
    verdicts = {v["unit"]: v for v in entry.get("review", []) if v.get("target") == target}
    segments = []
    for src, tgt in zip(src_units, tgt_units, strict=True):
        found = verdicts.get(src.id, {})
        verdict = found.get("verdict")
        segments.append(
            Segment(
                unit=src.id,
                location=src.location,
                source=src.source.render(),
                target=tgt.source.render(),
                status="needs-review" if verdict in ("review", "bad") else "machine",
                verdict=verdict,
                score=found.get("score"),
                reasons=list(found.get("reasons", [])),
                detail=found.get("detail", ""),
                terms=terms_of(glossary, src.source.text, target),
                prev=src.prev,
                next=src.next,
            )
        )
    job = Job(
        id=store.new_id(),
        name=input_path.name,
        format=entry.get("format", ""),
        source_lang=source,
        target_lang=target,
        owner=owner,
        created=time.time(),
        segments=segments,
    )
    _add_matches(job, memory)
    _copy_source(store, job, input_path)
    return store.save(job)
