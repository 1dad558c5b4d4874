"""The per-document context every pipeline stage reads: what one document (or one request)
is translated under — its glossary enforcer, whether quality is estimated, where progress
goes. It is frozen: a stage never changes it, and two documents translated at once through
one `Pipeline` each pass their own (`Pipeline.context(...)` makes one from the pipeline's
defaults)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dilmanc.engines.base import Leg
    from dilmanc.glossary import TermEnforcer

# Called with the number of units finished (a progress bar's `advance`).
Advance = Callable[[int], None]


@dataclass(frozen=True)
class RunContext:
    """One document's settings for the stages (see the module docstring)."""

    enforcer: TermEnforcer | None = None
    qe: bool = True  # quality estimation of every translated sentence
    progress: Advance | None = None
    # later pivot legs' enforcers, made once per context from `enforcer` (a memo, not state)
    _legs: dict = field(default_factory=dict, compare=False, repr=False)

    def but(self, **changes) -> RunContext:
        """This context with `changes` (a fresh memo of leg enforcers)."""
        return replace(self, _legs={}, **changes)

    @property
    def cache_key(self) -> tuple:
        """What a run's sentence cache is kept apart by: translations made under another
        glossary, or without a QE verdict, are not reused."""
        return (self.enforcer, self.qe)

    def leg_enforcer(self, index: int, leg: Leg) -> TermEnforcer | None:
        """The enforcer of a leg: the context's on the first; a later pivot leg maps the
        pivot-language terms to the target's."""
        if index == 0 or self.enforcer is None:
            return self.enforcer
        key = (leg.source.iso, leg.target.iso)
        if key not in self._legs:
            from dilmanc.glossary import TermEnforcer
            from dilmanc.glossary.pivot import pivot_glossary

            enforcer = self.enforcer
            glossary = pivot_glossary(enforcer.glossary, *key)
            self._legs[key] = TermEnforcer(glossary, enforcer.mode, n_best=enforcer.n_best)
        return self._legs[key]
