"""Text requests through a pipeline: many plain texts in one pipeline run, markup texts
through the HTML document format, and n-best alternatives.
"""

from __future__ import annotations

import re
from dataclasses import replace

from dilmanc.documents.plaintext import TextDocument
from dilmanc.languages import Language
from dilmanc.pipeline.pipeline import Pipeline, segment_unit
from dilmanc.pipeline.service import Service
from dilmanc.qe import worst
from dilmanc.text.tagged import TaggedText

# Marks the elements of DeepL's `ignore_tags` so the HTML format keeps them untranslated;
# removed from the output (the format writes untranslated markup back byte for byte).
IGNORE_MARK = ' translate="no" data-dilmanc-ignore=""'


def translate_plain(
    pipeline: Pipeline, texts: list[str], target: Language, qe: list | None = None
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

    if qe is not None:
        pipeline.use_qe()
    pipeline.translate_units(units, [target], emit)
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
) -> list[str]:
    """HTML/XML fragments or pages through the HTML document format (inline tags move with
    the words, everything else is kept byte for byte); `qe` as for `translate_plain`."""
    from dilmanc.server.documents import translate_markup

    if qe is not None:
        pipeline.use_qe()
    out = []
    for text in texts:
        found: list = []
        if not text.strip():
            out.append(text)
        else:
            marked = mark_ignored(text, ignore_tags) if ignore_tags else text
            result = translate_markup(service, pipeline, marked, target, on_chunk=_noter(found))
            out.append(result.replace(IGNORE_MARK, "") if ignore_tags else result)
        if qe is not None:
            qe.append(worst(*found) if found else None)
    return out


def _noter(found: list):
    """An `on_chunk` that keeps the chunk's quality estimates in `found`."""
    return lambda chunk: found.extend(t.qe for t in chunk if t.qe is not None)


def alternatives(pipeline: Pipeline, text: str, target: Language, count: int) -> list[str]:
    """Up to `count` further translations of `text`: the model's hypotheses 2..count+1 of
    each sentence, joined with the text's own layout (the glossary is not enforced on them)."""
    engine = pipeline.engines[target.iso]
    pieces: list[tuple[str, bool]] = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        found, _ = segment_unit(TaggedText(body), pipeline.source.iso)
        for tagged, translate in found:
            pieces.append((tagged.text, translate and bool(tagged.text.strip())))
        pieces.append((line[len(body) :], False))
    sentences = list(dict.fromkeys(piece for piece, translate in pieces if translate))
    if not sentences:
        return []
    options = replace(pipeline.decode, num_hypotheses=count + 1)
    results = engine.translate_results(sentences, pipeline.source, target, options)
    pairs = zip(sentences, results, strict=True)
    by_text = {sentence: result.hypotheses for sentence, result in pairs}
    out = []
    for k in range(1, count + 1):
        parts = []
        for piece, translate in pieces:
            if translate:
                hypotheses = by_text[piece]
                parts.append(" ".join(hypotheses[min(k, len(hypotheses) - 1)].text.split()))
            else:
                parts.append(piece)
        out.append("".join(parts))
    return out
