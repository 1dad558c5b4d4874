"""Terminology: glossary files, Azerbaijani-aware matching, enforcement and verification.

from dilmanc.glossary import load_glossaries, TermEnforcer, term_accuracy
glossary = load_glossaries(["terms.tsv"], builtin=True)
segments = TermEnforcer(glossary, "inject").translate(sources, "en", translate_fn)
"""

from dilmanc.glossary.enforce import MODES, EnforcedSegment, TermEnforcer, summarize
from dilmanc.glossary.load import builtin_path, load_glossaries
from dilmanc.glossary.matcher import Match, find_terms
from dilmanc.glossary.model import Entry, Glossary, Problem
from dilmanc.glossary.verify import TermAccuracy, check_entry, term_accuracy

__all__ = [
    "MODES",
    "EnforcedSegment",
    "Entry",
    "Glossary",
    "Match",
    "Problem",
    "TermAccuracy",
    "TermEnforcer",
    "builtin_path",
    "check_entry",
    "find_terms",
    "load_glossaries",
    "summarize",
    "term_accuracy",
]
