"""Text requests through a pipeline under a request's context (its glossary, QE): many plain
texts in one pipeline run, markup texts through the HTML document format. (Alternatives are
the pipeline's own: `Pipeline.alternatives`.)
"""

from __future__ import annotations

import re

from dilmanc.documents.plaintext import TextDocument
from dilmanc.languages import Language
from dilmanc.pipeline.pipeline import Pipeline, RunContext
from dilmanc.pipeline.service import Service
from dilmanc.qe import worst

# Marks the elements of DeepL's `ignore_tags` so the HTML format keeps them untranslated;
# removed from the output (the format writes untranslated markup back byte for byte).
IGNORE_MARK = ' translate="no" data-dilmanc-ignore=""'


def translate_plain(
    pipeline: Pipeline,
    texts: list[str],
    target: Language,
    qe: list | None = None,
    context: RunContext | None = None,
) -> list[str]:
    """Each text translated with its layout (lines, blank lines, endings) kept; the sentences
    of all texts reach the engine together. With `qe` (a list), each text's quality estimate
    (the worst of its units'; None when nothing was translated) is appended to it."""
    units = []
    for index, text in enumerate(texts):
        for unit in TextDocument.from_text(text).units():
            unit.id = f"{index}:{unit.id}"
            units.append(unit)
    parts: list[list[str]] = [[] for _ in texts]
    found: list[list] = [[] for _ in texts]

    def emit(_iso: str, chunk) -> None:
        for item in chunk:
            index = int(item.unit.id.partition(":")[0])
            parts[index].append(item.target.text + item.unit.extra)
            if item.qe is not None:
                found[index].append(item.qe)

    pipeline.translate_units(units, [target], emit, _with_qe(pipeline, context, qe))
    if qe is not None:
        qe.extend(worst(*each) if each else None for each in found)
    return ["".join(part) for part in parts]


def mark_ignored(text: str, tags: tuple[str, ...]) -> str:
    for tag in tags:
        pattern = re.compile(rf"<({re.escape(tag)})(?=[\s/>])", re.IGNORECASE)
        text = pattern.sub(lambda m: f"<{m.group(1)}{IGNORE_MARK}", text)
    return text


def translate_markup_texts(
    service: Service,
    pipeline: Pipeline,
    texts: list[str],
    target: Language,
    ignore_tags: tuple[str, ...] = (),
    qe: list | None = None,
    context: RunContext | None = None,
) -> list[str]:
    """HTML/XML fragments or pages through the HTML document format (inline tags move with
    the words, everything else is kept byte for byte); `qe` as for `translate_plain`."""
    from dilmanc.server.documents import translate_markup

    context = _with_qe(pipeline, context, qe)
    out = []
    for text in texts:
        found: list = []
        if not text.strip():
            out.append(text)
        else:
            marked = mark_ignored(text, ignore_tags) if ignore_tags else text
            result = translate_markup(
                service, pipeline, marked, target, on_chunk=_noter(found), context=context
            )
            out.append(result.replace(IGNORE_MARK, "") if ignore_tags else result)
        if qe is not None:
            qe.append(worst(*found) if found else None)
    return out


def _noter(found: list):
    """An `on_chunk` that keeps the chunk's quality estimates in `found`."""
    return lambda chunk: found.extend(t.qe for t in chunk if t.qe is not None)


def _with_qe(pipeline: Pipeline, context: RunContext | None, qe: list | None) -> RunContext:
    """`context` (default: the pipeline's), with quality estimation on when `qe` is asked."""
    context = context or pipeline.defaults
    return context.but(qe=True) if qe is not None else context
