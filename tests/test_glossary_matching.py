"""Glossary matching in Azerbaijani text: inflection, casing, quotes, boundaries, offsets.

The precision/recall test reads tests/data/glossary_inflected.tsv (sentences written for these
tests, each with its expected occurrences) and prints the figures:
    python -m pytest -q -s tests/test_glossary_matching.py -k precision
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dilmanc.glossary import Entry, Glossary, find_terms, load_glossaries

DATA = Path(__file__).parent / "data"
INFLECTED = DATA / "glossary_inflected.tsv"
EXTRA = DATA / "glossary_extra.tsv"


@functools.lru_cache(maxsize=1)
def shared_glossary() -> Glossary:
    return load_glossaries([str(EXTRA)], builtin=True)


@pytest.fixture
def gloss() -> Glossary:
    return shared_glossary()


def spans(text: str, glossary: Glossary) -> list[tuple[str, str]]:
    return [(m.entry.id, m.text) for m in find_terms(text, glossary)]


def load_inflected() -> list[tuple[str, set[tuple[str, int, int]]]]:
    cases = []
    for line in INFLECTED.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        sentence, _, expected = line.partition("\t")
        gold, pos = set(), 0
        for item in filter(None, expected.split(";")):
            entry_id, _, surface = item.partition("=")
            start = sentence.index(surface, pos)
            gold.add((entry_id, start, start + len(surface)))
            pos = start + len(surface)
        cases.append((sentence, gold))
    return cases


def test_precision_and_recall_on_own_inflected_set(gloss):
    cases = load_inflected()
    assert len(cases) >= 50
    tp = fp = fn = 0
    misses, wrong = [], []
    for sentence, gold in cases:
        found = {(m.entry.id, m.start, m.end) for m in find_terms(sentence, gloss)}
        tp += len(found & gold)
        fp += len(found - gold)
        fn += len(gold - found)
        wrong += [(sentence, f) for f in found - gold]
        misses += [(sentence, g) for g in gold - found]
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    summary = f"{len(cases)} sentences, {tp + fn} expected occurrences"
    print(f"\nglossary matcher: {summary}: precision {precision:.3f}, recall {recall:.3f}")
    print(f"misses: {misses}\nwrong: {wrong}")
    assert precision >= 0.97, wrong
    assert recall >= 0.93, misses


@pytest.mark.parametrize(
    "text, expected",
    [
        ("BMqT-nin işi", [("iom", "BMqT-nin")]),
        ("BMqT’nin işi", [("iom", "BMqT’nin")]),
        ("BMqT‘nin işi", [("iom", "BMqT‘nin")]),
        ("BMT-yə", [("un", "BMT-yə")]),
        ("BMTX, BMTXnin, BMT2", []),  # never inside another word
        ("BMTnin və BMqTdə", [("un", "BMTnin"), ("iom", "BMqTdə")]),  # glued suffix, rare
        ("USAİD və USAID", [("usaid", "USAİD"), ("usaid", "USAID")]),
        ("İNSAN ALVERİNƏ QARŞI", [("human-trafficking", "İNSAN ALVERİNƏ")]),
        ("Insan alverı", [("human-trafficking", "Insan alverı")]),  # dotless typing
        ("Alverçilər gəldi", []),
        ("məcburi əməyin", [("forced-labour", "məcburi əməyin")]),
        ("vətəndaşlığı", [("citizenship", "vətəndaşlığı")]),
        ("təhlükəsizliyi", [("security", "təhlükəsizliyi")]),
        ("Təhlükəsizlikdə", [("security", "Təhlükəsizlikdə")]),
        ("insan  alveri", [("human-trafficking", "insan  alveri")]),
        ("insan\u00a0alveri", [("human-trafficking", "insan\u00a0alveri")]),
        (
            "din və DİN, DIN-ə",
            [("internal-affairs-acronym", "DİN"), ("internal-affairs-acronym", "DIN-ə")],
        ),  # fmt: skip
    ],
)
def test_inflection_casing_and_boundaries(gloss, text, expected):
    assert spans(text, gloss) == expected


def test_longest_match_wins_and_quotes_are_inside(gloss):
    text = "“2-ci səviyyəyə müşahidə” siyahısından “2-ci səviyyə”-yə yüksəldi"
    assert spans(text, gloss) == [
        ("tier-2-watch-list", "“2-ci səviyyəyə müşahidə” siyahısından"),
        ("tier-2", "“2-ci səviyyə”-yə"),
    ]
    assert spans("İnsan Alveri Hesabatında", gloss) == [("tip-report", "İnsan Alveri Hesabatında")]


def test_blank_line_breaks_a_term(gloss):
    assert spans("insan\nalveri", gloss) == [("human-trafficking", "insan\nalveri")]
    assert spans("insan\n\nalveri", gloss) == [("trade", "alveri")]


def test_case_flag_and_later_glossary_wins():
    base = Entry(az=("Plan",), targets={"en": ("plan",)}, id="p")
    override = Entry(az=("plan",), targets={"en": ("scheme",)}, id="p2", flags=frozenset({"case"}))
    g = Glossary([base, override])
    assert len(g) == 1 and g.entries[0].target("en") == "scheme"
    assert [m.text for m in find_terms("Plan planın plan", g)] == ["planın", "plan"]


def test_offsets_index_the_original_text(gloss):
    # İ lower-cases to two code points with str.lower(); offsets must not drift after it.
    text = "İİİ İNSAN ALVERİ İİ BMqT-nin"
    for m in find_terms(text, gloss):
        assert text[m.start : m.end] == m.text


def test_check_on_seed_finds_every_press_term(cli, seed_path):
    res = cli(["glossary", "check", seed_path, "--builtin", "--json"])
    assert res.code == 0, res.err
    matches = json.loads(res.out)["matches"]
    text = seed_path.read_text(encoding="utf-8")
    for m in matches:
        assert text[m["start"] : m["end"]] == m["text"]
        assert set(m) == {"start", "end", "text", "id", "term", "targets"}
    by_id: dict[str, list[str]] = {}
    for m in matches:
        by_id.setdefault(m["id"], []).append(m["text"])
    assert sorted(by_id["iom"]) == ["BMqT", "BMqT", "BMqT-nin", "BMqT-nin"]
    assert sorted(by_id["usaid"]) == ["USAID", "USAİD"]
    assert by_id["tier-2-watch-list"] == ["“2-ci səviyyəyə müşahidə” siyahısından"]
    assert by_id["tier-2"] == ["“2-ci səviyyə”-yə"]
    assert len(by_id["internal-affairs"]) == 3
    assert len(by_id["labour-social-ministry"]) == 3
    assert by_id["family-committee"] and by_id["social-services-agency"]
    assert by_id["us-state-department"] == ["ABŞ Dövlət Departamentinin"]
    assert by_id["tip-report"] == ["İnsan Alveri Hesabatında"]
    assert "məcburi əməyin" in by_id["forced-labour"]
    # every occurrence, also the one glued to a preceding "və" in the seed
    assert len(by_id["forced-labour"]) == text.count("məcburi əm")
    assert "Milli Fəaliyyət Planı”nın" in by_id["national-action-plan"]
    assert by_id["iom"] and by_id["iom-name"] and by_id["un-name"] and by_id["ombudsman"]
    iom = next(m for m in matches if m["id"] == "iom")
    assert iom["term"] == "BMqT" and iom["targets"] == {"en": "IOM", "ru": "МОМ"}


def test_check_text_output_and_stdin(cli):
    res = cli(["glossary", "check", "-", "-g", EXTRA], stdin="Bazarda alverin həcmi")
    assert res.code == 0
    assert res.out.splitlines() == ["8-15\ttrade\talverin\ten=trade; ru=торговля"]


_ALPHABET = "BMqTİIıiUSADalverinsəyçğ-’'“”«» \n2ci"
_PIECES = ["BMqT", "USAİD", "insan alveri", "2-ci səviyyə", "-nin", "”", "məcburi əmək", "yə"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(_ALPHABET, max_size=6), st.sampled_from(_PIECES)), max_size=12))
def test_matching_never_crashes_and_offsets_slice(parts):
    gloss = shared_glossary()
    text = "".join(parts)
    found = find_terms(text, gloss)
    for m in found:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.text
        assert m.start < m.stem_end <= m.end
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_any_unicode_text_is_safe(text):
    for m in find_terms(text, shared_glossary()):
        assert text[m.start : m.end] == m.text


def test_many_terms_sharing_first_letters():
    entries = [
        Entry(az=(f"söz{i} termin",), targets={"en": (f"w{i}",)}, id=f"e{i}") for i in range(3000)
    ]
    entries.append(Entry(az=("sözlük",), targets={"en": ("dictionary",)}, id="dict"))
    g = Glossary(entries)
    text = "Bu söz15 terminin, söz2999 termini və sözlüyün mənası"
    assert spans(text, g) == [
        ("e15", "söz15 terminin"),
        ("e2999", "söz2999 termini"),
        ("dict", "sözlüyün"),
    ]


# --- function words glued to a term ("vəməcburi əmək": və typed without its space) -------------


def adversarial_glossary() -> Glossary:
    """Real terms plus short words that end real Azerbaijani words beginning with və, ki, ilə,
    ya, bu or həm (vəkil = və+kil "clay", kitab = ki+tab, həmkarlıq = həm+karlıq)."""
    words = {"kil": "clay", "tab": "endurance", "karlıq": "deafness", "zifə": "x", "mi": "y"}
    entries = [Entry(az=(az,), targets={"en": (en,)}, id=az) for az, en in words.items()]
    return Glossary([*shared_glossary().entries, *entries])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("vəməcburi əməyin", [("forced-labour", "məcburi əməyin")]),
        ("Vəməcburi əmək", [("forced-labour", "məcburi əmək")]),
        ("iləinsan alverinə", [("human-trafficking", "insan alverinə")]),
        ("kitəhlükəsizliyi", [("security", "təhlükəsizliyi")]),
        ("yavətəndaşlıq", [("citizenship", "vətəndaşlıq")]),
        ("buinsan alveri", [("human-trafficking", "insan alveri")]),
        ("vəBMqT-nin", [("iom", "BMqT-nin")]),  # a capital after the glue already worked
        ("vəkil kitab həmkarlıq vəzifə kimi", []),  # real words, not glued terms
        ("vətəndaşlıq", [("citizenship", "vətəndaşlıq")]),  # not və + "təndaşlıq"
        ("vəvətəndaşlığı", [("citizenship", "vətəndaşlığı")]),
        ("sevəməcburi əmək", []),  # və only at the start of a word
        ("vəalverçilər", []),  # the term after the glue still needs its own word end
    ],
)
def test_glued_function_words_before_a_term(text, expected):
    assert spans(text, adversarial_glossary()) == expected


def test_glued_offsets_index_the_original_text():
    text = "Hesabat vəməcburi əməyə qarşıdır."
    (match,) = find_terms(text, shared_glossary())
    assert (match.start, match.text) == (10, "məcburi əməyə")
    assert text[match.start : match.end] == match.text
