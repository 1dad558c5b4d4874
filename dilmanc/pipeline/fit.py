"""Over-long segments: split every segment that a model would cut into parts it reads whole.

Tokenizers truncate an input at the model's source limit (`Engine.max_source_tokens`), which
silently drops the rest of an over-long segment. `segment_fitter` returns the function the
pipeline applies to each line's pieces: a piece to translate that does not fit every target's
model is replaced by parts that do (`text.segment.split_long_tokens`: sentence punctuation,
then clause punctuation, then between words), so nothing is dropped. Engines without a token
limit (test doubles) get a character cap instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from dilmanc.text.segment import Fitted, Piece, fit_pieces

if TYPE_CHECKING:
    from dilmanc.engines.base import Engine
    from dilmanc.languages import Language

# Longest segment, in characters, sent to an engine that states no token limit.
DEFAULT_MAX_CHARS = 5000

# Tokens kept free below a model's limit: a count that reaches the limit may have been cut,
# and a multi-target Marian model adds its target token (>>rus<<) to each input.
_RESERVED = 2

Fitter = Callable[[list[Piece]], Fitted]


def segment_fitter(
    engines: Iterable[Engine],
    source: Language,
    *,
    max_tokens: int | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> Fitter:
    """A function that splits the pieces no engine in `engines` could read in full.

    The limit is the smallest `max_source_tokens` of the engines (or `max_tokens` when it is
    smaller). Token counts come from the engines' own tokenizers, which stop counting at
    their limit, so a part fits when its count stays below the limit.
    """
    engines = list(engines)
    limited = [e for e in engines if e.max_source_tokens]
    if not limited:
        return lambda pieces: fit_pieces(pieces, max_chars=max_chars)
    limit = min(e.max_source_tokens for e in limited) - _RESERVED
    if max_tokens is not None:
        limit = min(limit, max_tokens)
    limit = max(1, limit)

    def count(text: str) -> int:
        # A piece is at least one byte (byte fallback: exactly one), so a text whose UTF-8
        # length plus the special tokens stays within the limit fits without tokenizing.
        size = len(text.encode("utf-8")) + _RESERVED + 2
        if size <= limit:
            return size
        return max(engine.count_tokens(text, source) for engine in limited)

    return lambda pieces: fit_pieces(pieces, count_tokens=count, max_tokens=limit)
