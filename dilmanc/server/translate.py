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
from dilmanc.text.tagged import TaggedText

# Marks the elements of DeepL's `ignore_tags` so the HTML format keeps them untranslated;
# removed from the output (the format writes untranslated markup back byte for byte).
IGNORE_MARK = ' translate="no" data-dilmanc-ignore=""'


def translate_plain(pipeline: Pipeline, texts: list[str], target: Language) -> list[str]:
    """Each text translated with its layout (lines, blank lines, endings) kept; the sentences
    of all texts reach the engine together."""
    units = []
    for index, text in enumerate(texts):
        for unit in TextDocument.from_text(text).units():
            unit.id = f"{index}:{unit.id}"
            units.append(unit)
    parts: list[list[str]] = [[] for _ in texts]

    def emit(_iso: str, chunk) -> None:
        for item in chunk:
            parts[int(item.unit.id.partition(":")[0])].append(item.target.text + item.unit.extra)

    pipeline.translate_units(units, [target], emit)
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
) -> list[str]:
    """HTML/XML fragments or pages through the HTML document format (inline tags move with
    the words, everything else is kept byte for byte)."""
    from dilmanc.server.documents import translate_markup

    out = []
    for text in texts:
        if not text.strip():
            out.append(text)
            continue
        marked = mark_ignored(text, ignore_tags) if ignore_tags else text
        result = translate_markup(service, pipeline, marked, target)
        out.append(result.replace(IGNORE_MARK, "") if ignore_tags else result)
    return out


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
