"""Consistency checks on the entries of one glossary file: duplicate ids, conflicting terms,
forbidden renderings that are also accepted. Each problem carries its 1-based line number."""

from __future__ import annotations

from dilmanc.glossary.model import Entry, Problem, term_key


def check_entries(entries: list[Entry]) -> list[Problem]:
    problems: list[Problem] = []
    ids: dict[str, Entry] = {}
    terms: dict[str, Entry] = {}
    for entry in entries:
        if entry.id:
            first = ids.setdefault(entry.id, entry)
            if first is not entry:
                problems.append(
                    Problem(
                        "error",
                        entry.origin,
                        entry.line,
                        f"duplicate id {entry.id!r} (first at line {first.line})",
                    )
                )
        for variant in entry.az:
            key = term_key(variant)
            first = terms.setdefault(key, entry)
            if first is entry:
                continue
            if first.targets == entry.targets:
                problems.append(
                    Problem(
                        "warning",
                        entry.origin,
                        entry.line,
                        f"term {variant!r} repeats line {first.line} with the same targets",
                    )
                )
            else:
                theirs = ", ".join(f"{k}={v[0]}" for k, v in first.targets.items())
                problems.append(
                    Problem(
                        "error",
                        entry.origin,
                        entry.line,
                        f"term {variant!r} conflicts with line {first.line} ({theirs})",
                    )
                )
        for lang, bad in entry.forbidden.items():
            accepted = {v.casefold() for v in entry.accepted(lang)}
            for variant in bad:
                if variant.casefold() in accepted:
                    problems.append(
                        Problem(
                            "error",
                            entry.origin,
                            entry.line,
                            f"{lang} rendering {variant!r} is both accepted and forbidden",
                        )
                    )
    return problems
