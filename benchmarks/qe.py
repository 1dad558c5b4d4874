"""Quality-estimation calibration: detector precision and recall on injected faults.

    python benchmarks/qe.py                         # all NTREX lines, az→en and az→ru
    python benchmarks/qe.py --lines 300 --json qe.json
    python benchmarks/qe.py --fit-length            # the length-ratio distribution per pair

NTREX-128 references (read at run time from the shared data folder, never copied) stand in
for correct outputs of az→en and az→ru. Each line is scored clean and with each fault that
applies to it injected into the reference (seeded):
* untranslated: the output is another line's Azerbaijani source;
* copy: the output is the line's own source;
* loop: an n-gram (1-3 words) of the output repeated 4-6 times, the rest cut or kept;
* number: one number of the output changed (lines whose source and output share one);
* term: the required rendering of a glossary term dropped. The glossary is built at run time
  from the sample: for a line, a word found in no other source paired with a word found in no
  other reference (every clean line then satisfies its own entry);
* truncate: only the first 40-60% of the output's words;
* unrelated: another line's reference in the same language.

A detector's recall is the share of its faults it flags; its precision is the share of its
flags (on clean lines and on its own faults) that are faults: flagging a loop as too long is
not held against the length detector. No model runs here, so model signals (score, margin,
attention) are not measured.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dilmanc.glossary import Entry, Glossary  # noqa: E402
from dilmanc.glossary.verify import check_terms, expected_terms  # noqa: E402
from dilmanc.qe import Segment, assess  # noqa: E402
from dilmanc.qe.entities import numbers  # noqa: E402

DATA = Path(os.environ.get("DILMANC_SHARED", ROOT.parent / "shared")) / "data" / "ntrex128"
FILES = {
    "az": "newstest2019-ref.aze-Latn.txt",
    "en": "newstest2019-src.eng.txt",
    "ru": "newstest2019-ref.rus.txt",
}
FAULTS = ("untranslated", "copy", "loop", "number", "term", "truncate", "unrelated")
# detector (reasons it reports) → the faults it is meant to catch
DETECTORS = {
    "language": ({"untranslated", "language"}, {"untranslated", "copy"}),
    "copy": ({"copy"}, {"copy"}),
    "loop": ({"loop"}, {"loop"}),
    "number": ({"number"}, {"number"}),
    "term": ({"term"}, {"term"}),
    "length": ({"length"}, {"truncate"}),
    "any": (None, set(FAULTS)),
}
TARGETS = ("en", "ru")
_WORD = re.compile(r"[^\W\d_]{6,}")


def read_lines(data: Path = DATA) -> dict[str, list[str]]:
    out = {}
    for lang, name in FILES.items():
        path = data / name
        if not path.exists():
            raise SystemExit(f"NTREX file missing: {path} (set DILMANC_SHARED)")
        out[lang] = path.read_text(encoding="utf-8").splitlines()
    return out


def hapax_glossary(sources: list[str], targets: dict[str, list[str]]) -> Glossary:
    """Per line, a source word found in no other line paired with such a target word."""

    def singles(lines: list[str]) -> list[list[str]]:
        words = [[w for w in _WORD.findall(line) if w.islower()] for line in lines]
        counts = Counter(w.casefold()[:5] for ws in words for w in set(ws))
        return [[w for w in ws if counts[w.casefold()[:5]] == 1] for ws in words]

    src = singles(sources)
    per_lang = {lang: singles(lines) for lang, lines in targets.items()}
    entries = []
    for i, words in enumerate(src):
        outs = {lang: found[i][0] for lang, found in per_lang.items() if found[i]}
        if words and len(outs) == len(targets):
            entries.append(Entry((words[0],), {k: (v,) for k, v in outs.items()}, id=f"l{i}"))
    return Glossary(entries)


def _change_number(text: str, keep: set[str], rng: random.Random) -> str | None:
    spots = [m for m in re.finditer(r"\d+", text) if str(int(m.group())) in keep]
    if not spots:
        return None
    m = rng.choice(spots)
    value = int(m.group())
    new = value + rng.choice([1, 2, 3, 7, 10]) * rng.choice([-1, 1])
    new = abs(new) if new != value and abs(new) != value else value + 1
    return text[: m.start()] + str(new) + text[m.end() :]


def _loop(text: str, rng: random.Random) -> str:
    words = text.split()
    cut = rng.randint(min(2, len(words)), len(words))
    n = min(rng.randint(1, 3), cut)
    gram = words[cut - n : cut]
    repeats = rng.randint(4, 6)
    tail = words[cut:] if rng.random() < 0.5 else []
    return " ".join(words[:cut] + gram * repeats + tail)


def inject(
    index: int, lang: str, lines: dict[str, list[str]], glossary: Glossary, rng: random.Random
) -> dict[str, str]:
    """The faulty outputs of line `index` into `lang`, per fault (those that apply)."""
    source, ref, count = lines["az"][index], lines[lang][index], len(lines["az"])
    other = (index + rng.randint(1, count - 1)) % count
    out = {
        "untranslated": lines["az"][other],
        "copy": source,
        "loop": _loop(ref, rng),
        "unrelated": lines[lang][other],
    }
    words = ref.split()
    if len(words) >= 4:
        out["truncate"] = " ".join(words[: max(1, round(len(words) * rng.uniform(0.4, 0.6)))])
    shared = set(numbers(source)) & set(numbers(ref))
    changed = _change_number(ref, shared, rng) if shared else None
    if changed is not None:
        out["number"] = changed
    for match in expected_terms(source, glossary, lang):
        for rendering in match.entry.accepted(lang):
            if rendering in ref:
                dropped = re.sub(r"\s*" + re.escape(rendering) + r"\w*", "", ref, count=1)
                out["term"] = dropped
                break
        if "term" in out:
            break
    return out


def score(source: str, output: str, lang: str, glossary: Glossary) -> set[str]:
    terms = check_terms(output, expected_terms(source, glossary, lang), lang)
    return set(assess(Segment(source, output, "az", lang, terms=terms)).reasons)


def measure(count: int | None = None, seed: int = 1, data: Path = DATA) -> dict:
    lines = read_lines(data)
    total = len(lines["az"])
    rng = random.Random(seed)
    sample = sorted(rng.sample(range(total), count)) if count and count < total else range(total)
    glossary = hapax_glossary(lines["az"], {t: lines[t] for t in TARGETS})
    rows: list[tuple[str, set[str]]] = []  # (fault or "clean", reasons)
    for lang in TARGETS:
        for i in sample:
            source = lines["az"][i]
            rows.append(("clean", score(source, lines[lang][i], lang, glossary)))
            for fault, output in inject(i, lang, lines, glossary, rng).items():
                rows.append((fault, score(source, output, lang, glossary)))
    table = {}
    for name, (reasons, faults) in DETECTORS.items():

        def flagged(found: set[str], reasons=reasons) -> bool:
            return bool(found & reasons) if reasons is not None else bool(found)

        mine = [flagged(found) for fault, found in rows if fault in faults]
        false = [flagged(found) for fault, found in rows if fault == "clean"]
        tp, fp = sum(mine), sum(false)
        table[name] = {
            "faults": sorted(faults),
            "cases": len(mine),
            "recall": round(tp / len(mine), 4) if mine else None,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "false_flags_on_clean": fp,
        }
    per_fault = {}
    for fault in ("clean", *FAULTS):
        found = [r for f, r in rows if f == fault]
        per_fault[fault] = {
            "cases": len(found),
            "flagged": round(sum(bool(r) for r in found) / len(found), 4) if found else None,
            "reasons": dict(Counter(x for r in found for x in r).most_common()),
        }
    return {
        "data": "NTREX-128 newstest2019 az→en, az→ru references",
        "lines": len(sample),
        "seed": seed,
        "glossary_entries": len(glossary),
        "detectors": table,
        "faults": per_fault,
    }


def fit_length(data: Path = DATA) -> dict:
    lines = read_lines(data)
    out = {}
    for lang in TARGETS:
        logs = [
            math.log(len(t) / len(s))
            for s, t in zip(lines["az"], lines[lang], strict=True)
            if len(s.strip()) >= 20 and t.strip()
        ]
        out[f"az-{lang}"] = {
            "mean": round(statistics.fmean(logs), 4),
            "sd": round(statistics.stdev(logs), 4),
        }
    return out


def markdown(result: dict) -> str:
    rows = ["| detector | faults | cases | recall | precision | false flags on clean |"]
    rows.append("|---|---|---:|---:|---:|---:|")
    for name, row in result["detectors"].items():
        rows.append(
            f"| {name} | {', '.join(row['faults'])} | {row['cases']} | {row['recall']} | "
            f"{row['precision']} | {row['false_flags_on_clean']} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=None, help="sample size (default: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", metavar="FILE", help="write the result as JSON to FILE")
    parser.add_argument("--fit-length", action="store_true", help="print length-ratio stats")
    args = parser.parse_args()
    if args.fit_length:
        print(json.dumps(fit_length(), indent=2))
        return
    result = measure(args.lines, args.seed)
    print(markdown(result))
    print(json.dumps(result["faults"], ensure_ascii=False, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
