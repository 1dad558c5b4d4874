"""The decode stage: sentences through one leg's engine, their inline tags read back.

Inline tags travel into the model in their compact form. After decoding, pieces of tags the
model broke are removed from the text and each sentence's tags are checked (complete, well
nested, none invented): when the model kept them they stay where it put them. A sentence
whose output cannot be read back (tags lost, doubled, misnested or invented, or pieces of
tags in its text) is decoded once more without its tags, all such sentences of a batch
together (`_redecode`); when that plain output is clean it is used. Either way the tags are
then placed on the output words aligned to their source words by the engine's
cross-attention, or, as a last resort, back in source order at word boundaries — a tag is
never dropped (`TagOutcome` counts each case and the re-decodes).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from dilmanc.documents.base import TagOutcome
from dilmanc.engines.base import DecodeOptions, Leg, TranslationResult
from dilmanc.glossary.enforce import Candidate
from dilmanc.pipeline.outputs import SPACES
from dilmanc.qe import ModelSignals
from dilmanc.text.align import drop_spans, place_tags, word_alignment
from dilmanc.text.tagged import EMPTY, Edit, TaggedText, debris_spans, keep_inside, parse


@dataclass
class Decoded:
    """One leg's outputs with how their tags came through, the model's signals, and the empty
    tags each output did not hold exactly once (in the order of the sentences)."""

    texts: list[TaggedText]
    outcomes: list[TagOutcome]
    signals: list[ModelSignals]
    dropped: list[frozenset[int]]
    enforced: list | None = None  # the enforcer's EnforcedSegments, with a glossary


class Decoder:
    """A translate function over one leg, as the glossary enforcer calls it: `decoder(batch)`
    → outputs with their tags placed; with `n_best` > 1 a list of Candidates per sentence.
    It remembers, per output, how its tags came through, the model's signals (with `qe`) and
    its dropped placeholders, and the seconds spent in the engine."""

    def __init__(self, leg: Leg, options: DecodeOptions, qe: bool) -> None:
        self.leg, self.options, self.qe = leg, options, qe
        self.seconds = 0.0
        self.redecode_seconds = 0.0  # of `seconds`: finding garbled outputs, decoding again
        self._outcomes: dict[int, TagOutcome] = {}
        self._signals: dict[int, ModelSignals] = {}
        self._dropped: dict[int, frozenset[int]] = {}

    def __call__(
        self, batch: list[TaggedText], n_best: int = 1, suppress: Sequence[str] = ()
    ) -> list:
        started = time.perf_counter()
        options = self.options if n_best == 1 else replace(self.options, num_hypotheses=n_best)
        results = self._results(batch, options, suppress)
        redecoding = time.perf_counter()
        again = _redecode(self.leg, batch, results, options, suppress)
        self.redecode_seconds += time.perf_counter() - redecoding
        outputs: list = []
        for i, (segment, result) in enumerate(zip(batch, results, strict=True)):
            place = _place_plain if i in again else _place
            output = self._keep(segment, result, place(segment, result))
            if n_best == 1:
                outputs.append(output)
                continue
            candidates = [Candidate(output, result.score)]
            for alternative in result.alternatives:  # no attention of their own
                placed = place(segment, TranslationResult(alternative.text))
                other = self._keep(segment, alternative, placed, best=False)
                candidates.append(Candidate(other, alternative.score))
            outputs.append(candidates)
        self.seconds += time.perf_counter() - started
        return outputs

    def charge(self, stats) -> None:
        """Add this decoder's engine time (and the re-decode part of it) to a run's report."""
        stats.seconds["engine"] += self.seconds
        stats.redecode_seconds += self.redecode_seconds

    def _results(
        self, batch: list[TaggedText], options: DecodeOptions, suppress: Sequence[str]
    ) -> list[TranslationResult]:
        """Each group is one buffer (sorted by length together); attention, which costs, is
        asked for only where there are tags to place."""
        results: list = [None] * len(batch)
        for with_tags in (False, True):
            group = [i for i, segment in enumerate(batch) if segment.has_tags == with_tags]
            if not group:
                continue
            texts = [batch[i].render() for i in group]
            decoded = _decode(self.leg, texts, options, with_tags, suppress)
            for i, result in zip(group, decoded, strict=True):
                results[i] = result
        return results

    def _keep(
        self,
        segment: TaggedText,
        result: TranslationResult,
        placed: tuple[TaggedText, TagOutcome],
        best: bool = True,
    ) -> TaggedText:
        """Remember how `result`'s placed output came through; returns the output."""
        output, outcome = placed
        self._outcomes[id(output)] = outcome
        self._dropped[id(output)] = _dropped(segment, result.text)
        if self.qe:
            self._signals[id(output)] = ModelSignals.of(result, best=best)
        return output

    def decoded(self, outputs: list[TaggedText], enforced: list | None = None) -> Decoded:
        """What this decoder knows of `outputs` (the raw ones, before any glossary repair)."""
        return Decoded(
            [r.tagged for r in enforced] if enforced else outputs,
            [self._outcomes[id(o)] for o in outputs],
            [self._signals.get(id(o)) or ModelSignals() for o in outputs],
            [self._dropped[id(o)] for o in outputs],
            enforced,
        )


def _decode(
    leg: Leg, texts: list[str], options: DecodeOptions, attention: bool, suppress: Sequence[str]
):
    """`texts` through the leg's engine as one buffer (sorted by length together)."""
    return leg.engine.iter_results(
        texts,
        leg.source,
        leg.target,
        options,
        buffer_size=len(texts),
        return_attention=attention,
        suppress=suppress,
    )


def clean(output: str) -> str:
    """One segment's translation on one line: a stray line break would shift the layout."""
    if "\n" in output or "\r" in output:
        return " ".join(output.split())
    return output


def _dropped(segment: TaggedText, output: str) -> frozenset[int]:
    """The empty tags of `segment` that `output` does not hold exactly once."""
    wanted = {tag.id for _, tag in segment.tags if tag.kind == EMPTY}
    if not wanted:
        return frozenset()
    got = Counter(tag.id for _, tag in parse(clean(output)).tagged.tags if tag.kind == EMPTY)
    return frozenset(i for i in wanted if got[i] != 1)


def _place(segment: TaggedText, result: TranslationResult) -> tuple[TaggedText, TagOutcome]:
    """The engine's output as TaggedText with the segment's tags, and how they were placed."""
    text = clean(result.text)
    if not segment.has_tags:
        return TaggedText(text), TagOutcome()
    expected = segment.tag_set()
    count = len(expected)
    parsed = parse(text, expected)
    # pieces of tags the model broke (`</g1`, `1g10&gt;`) never reach the output
    debris = debris_spans(parsed.tagged.text, segment.text, {tag.id for tag in expected})
    if parsed.ok:
        tagged = parsed.tagged
        if debris:
            edits = [Edit(a, b) for a, b in _with_a_space(debris, tagged.text)]
            tagged = tagged.apply(edits).strip()
        return keep_inside(tagged, segment), TagOutcome(count, by_model=count)
    plain = parsed.tagged.text  # tags taken out, invented ones too
    alignment = None
    if result.attention:
        alignment = word_alignment(
            segment, result.source_tokens, text, plain, result.tokens, result.attention
        )
    plain, alignment = drop_spans(plain, debris, alignment)
    # the same words without the gaps removed tags left (the alignment counts words)
    placement = place_tags(segment, SPACES.sub(" ", plain).strip(), alignment)
    fallback = min(count, placement.fallback)
    outcome = TagOutcome(count, 0, count - fallback, fallback, emptied=placement.emptied)
    return placement.tagged, outcome


def _garbled(segment: TaggedText, output: str) -> bool:
    """Whether a tagged segment's output cannot be read back: its tags missing, doubled,
    misnested or invented, or pieces of the tag syntax left in its text."""
    if not segment.has_tags:
        return False
    expected = segment.tag_set()
    parsed = parse(clean(output), expected)
    ids = {tag.id for tag in expected}
    return not parsed.ok or bool(debris_spans(parsed.tagged.text, segment.text, ids))


def _plain(segment: TaggedText) -> str:
    """A tagged segment's words alone, for a decode without its tags."""
    return " ".join(segment.text.split())


def _redecode(
    leg: Leg,
    batch: list[TaggedText],
    results: list[TranslationResult],
    options: DecodeOptions,
    suppress: Sequence[str],
) -> set[int]:
    """Decode once more, as plain text and in one batch, the segments of `batch` whose output
    is `_garbled`; where the plain output is clean (no tags, no debris, not empty) it replaces
    the first in `results`. Returns the indices replaced (their tags go on by `_place_plain`)."""
    failed = [
        i
        for i, (segment, result) in enumerate(zip(batch, results, strict=True))
        if _plain(segment) and _garbled(segment, result.text)
    ]
    if not failed:
        return set()
    decoded = _decode(leg, [_plain(batch[i]) for i in failed], options, True, suppress)
    again: set[int] = set()
    for i, result in zip(failed, decoded, strict=True):
        text = clean(result.text)
        ids = {tag.id for _, tag in batch[i].tags}
        parsed = parse(text)
        if text.strip() and not parsed.tagged.tags and not debris_spans(text, batch[i].text, ids):
            results[i] = result
            again.add(i)
    return again


def _place_plain(segment: TaggedText, result: TranslationResult) -> tuple[TaggedText, TagOutcome]:
    """A plain re-decode of `segment` (see `_redecode`) with the segment's tags placed on it by
    the alignment or, as a last resort, in source order."""
    text = " ".join(clean(result.text).split())
    alignment = None
    if result.attention:
        sent = TaggedText(_plain(segment))  # the same words as segment.text, so the same indices
        alignment = word_alignment(
            sent, result.source_tokens, text, text, result.tokens, result.attention
        )
    placement = place_tags(segment, text, alignment)
    count = len(segment.tag_set())
    fallback = min(count, placement.fallback)
    outcome = TagOutcome(
        count, 0, count - fallback, fallback, redecoded=1, emptied=placement.emptied
    )
    return placement.tagged, outcome


def _with_a_space(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """`spans` to remove, each taking the space after it when there is one before it too
    (so removing `g1>` from `a g1> b` leaves `a b`)."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        spaced = start > 0 and text[start - 1].isspace() and end < len(text)
        if spaced and text[end].isspace():
            end += 1
        out.append((start, end))
    return out
