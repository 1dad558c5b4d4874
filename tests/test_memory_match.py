"""Translation memory matching: scores computed by hand, context/exact/fuzzy order, the index.

All sentences here were written for these tests.
"""

from __future__ import annotations

import sqlite3

import pytest

from dilmanc.errors import UsageError
from dilmanc.memory import SCHEMA_VERSION, Memory, TMUnit, cache_key
from dilmanc.memory.fuzzy import repair_numbers
from dilmanc.memory.normalize import analyse, language, normalize

# ten words: Komissiya sabah paytaxtda yeni layihənin ilk mərhələsini rəsmi şəkildə açacaq
TEN = "Komissiya sabah paytaxtda yeni layihənin ilk mərhələsini rəsmi şəkildə açacaq."
TEN_EN = "Tomorrow the commission will officially open the first stage of the new project."
SHOW = "Sərgidə 25 rəssamın əsərləri nümayiş olunur."
SHOW_EN = "Works by 25 artists are on show at the exhibition."


@pytest.fixture
def mem(tm_location):
    """An empty memory on each backend (SQLite file, PostgreSQL database)."""
    with Memory.open(tm_location) as memory:
        yield memory


def _one(mem, source, **kw):
    found = mem.lookup(source, "az", "en", **kw)
    assert found, f"no match for {source!r}"
    return found[0]


def test_one_word_of_ten_changed_scores_90(mem):
    mem.add_units([TMUnit(TEN, TEN_EN, "az", "en")])
    match = _one(mem, TEN.replace("yeni", "böyük"))
    assert (match.kind, match.score, match.target, match.repaired) == ("fuzzy", 90.0, TEN_EN, False)


def test_two_words_missing_scores_80_and_an_insertion_uses_levenshtein_not_indel(mem):
    mem.add_units([TMUnit(TEN, TEN_EN, "az", "en")])
    assert _one(mem, TEN.replace("yeni ", "").replace("rəsmi ", "")).score == 80.0
    # 11 words against 10: Levenshtein 1 - 1/11 = 90.91 (Indel would give 1 - 1/21 = 95.24)
    assert _one(mem, TEN.replace("ilk", "ilk böyük")).score == 90.91


def test_number_only_difference_is_repaired_and_scores_99(mem):
    mem.add_units([TMUnit(SHOW, SHOW_EN, "az", "en")])
    match = _one(mem, SHOW.replace("25", "40"))
    assert match.score == 99.0
    assert match.repaired
    assert match.target == "Works by 40 artists are on show at the exhibition."
    assert match.unit.target == SHOW_EN  # the stored unit is untouched


def test_number_missing_from_the_target_is_not_repaired_and_costs_two(mem):
    mem.add_units([TMUnit(SHOW, "Works by twenty-five artists are on show.", "az", "en")])
    match = _one(mem, SHOW.replace("25", "40"))
    assert (match.score, match.repaired) == (98.0, False)
    assert match.target == "Works by twenty-five artists are on show."


def test_punctuation_tag_and_case_penalties(mem):
    mem.add_units([TMUnit(SHOW, SHOW_EN, "az", "en")])
    assert _one(mem, SHOW[:-1] + "!").score == 99.0  # one punctuation mark changed
    assert _one(mem, "<g1>Sərgidə</g1> 25 rəssamın əsərləri nümayiş olunur.").score == 98.0
    assert _one(mem, "sərgidə 25 rəssamın əsərləri nümayiş olunur.").score == 99.0  # case only
    ci = _one(mem, "SƏRGİDƏ 25 RƏSSAMIN ƏSƏRLƏRİ NÜMAYİŞ OLUNUR.", case_insensitive=True)
    assert (ci.kind, ci.score) == ("exact", 100.0)  # Turkic casing: İ→i, I→ı


def test_exact_match_ignores_whitespace_and_unicode_composition(mem):
    mem.add_units([TMUnit(SHOW, SHOW_EN, "az", "en")])
    decomposed = "Sərgidə  25 rəssamın əsərləri nümayiş olunur.".replace("ü", "u\u0308")
    match = _one(mem, "  " + decomposed + "\n")
    assert (match.kind, match.score) == ("exact", 100.0)


def test_context_match_101_beats_a_newer_exact_match(mem):
    before, after = "Tədbir saat onda başladı.", "Sonra qonaqlar salona keçdi."
    mem.add_units(
        [
            TMUnit(SHOW, SHOW_EN, "az", "en", prev=before, next=after, changed="20240101T000000Z"),
            TMUnit(SHOW, "25 artists exhibit their works.", "az", "en", changed="20250101T000000Z"),
        ]
    )
    found = mem.lookup(SHOW, "az", "en", prev=before, next=after)
    assert [(m.kind, m.score) for m in found] == [("context", 101.0), ("exact", 100.0)]
    assert found[0].target == SHOW_EN
    # without context the newer exact unit comes first; a different neighbour is no context
    assert _one(mem, SHOW).target == "25 artists exhibit their works."
    other = mem.lookup(SHOW, "az", "en", prev=before, next="Başqa cümlə.")
    assert {m.kind for m in other} == {"exact"}


def test_very_long_segments_are_matched_too(mem):
    words = [f"söz{i}" for i in range(600)]
    mem.add_units([TMUnit(" ".join(words) + ".", "A very long one.", "az", "en")])
    for i in range(300, 310):
        words[i] = "başqa"
    match = _one(mem, " ".join(words) + ".")
    assert (match.kind, match.score) == ("fuzzy", 98.33)  # 100 × (1 − 10/600)


def test_threshold_limit_and_language_pair(mem):
    mem.add_units([TMUnit(TEN, TEN_EN, "az", "en"), TMUnit(TEN, "Завтра комиссия...", "az", "ru")])
    assert mem.lookup(TEN.replace("yeni", "böyük"), "az", "en", threshold=91) == []
    assert [m.target for m in mem.lookup(TEN, "az", "ru")] == ["Завтра комиссия..."]
    assert mem.lookup(TEN, "az", "tr") == []
    assert mem.lookup(TEN, "az", "en", limit=0) == []
    with pytest.raises(UsageError, match="not a language code"):
        mem.lookup(TEN, "az", "english!")


def test_duplicates_are_merged_newest_metadata_wins(mem):
    old = TMUnit(SHOW, SHOW_EN, "az", "en", tuid="a", changed="20240101T000000Z")
    new = old.with_(source=" Sərgidə 25  rəssamın əsərləri nümayiş olunur. ", tuid="b")
    new = new.with_(changed="20250101T000000Z", notes=("yoxlanılıb",))
    assert mem.add_units([old]) == 1
    result = mem.ingest([new, old])
    assert (result.added, result.merged) == (0, 2)
    (unit,) = list(mem.units())
    assert (unit.tuid, unit.notes, unit.source) == ("b", ("yoxlanılıb",), SHOW)
    assert mem.stats().units == 1


def test_variants_map_to_the_base_language_unless_kept():
    assert language("en-GB") == "en"
    assert language("az-Latn-AZ") == "az"
    assert language("aze") == "az"
    assert language("en-gb", keep_variants=True) == "en-GB"
    assert language("az-latn-az", keep_variants=True) == "az-Latn-AZ"
    assert language("english!") is None and language("") is None


def test_variant_units_match_base_queries(mem):
    mem.add_units([TMUnit(SHOW, SHOW_EN, "az-Latn-AZ", "en-GB")])
    assert _one(mem, SHOW).unit.tgt_lang == "en-GB"
    assert mem.lookup(SHOW, "az", "en-US") == []
    assert mem.lookup(SHOW, "az", "en-GB")[0].score == 100.0


def test_repair_numbers_maps_every_differing_value_at_once():
    assert repair_numbers("from 1 to 2 (1)", ("1", "2"), ("2", "3")) == "from 2 to 3 (2)"
    assert repair_numbers("10.5 and 105", ("105",), ("7",)) == "10.5 and 7"
    assert repair_numbers("nothing", ("5",), ("6",)) is None
    assert repair_numbers("5 and 5", ("5", "5"), ("6", "7")) is None  # ambiguous


def test_analysis_tokens():
    a = analyse("<g1>BMT-nin</g1> 2024-cü il hesabatı, <x2/> İNSAN!", "az")
    assert a.numbers == ("2024",)
    assert a.tags == ("<g>", "</g>", "<x/>")
    assert a.punct == ("-", "-", ",", "!")
    assert a.words == ("bmt", "nin", "\x00N", "cü", "il", "hesabatı", "insan")
    assert normalize(" a\u00a0 b ") == "a b"


def test_glossary_breaking_target_is_flagged(mem):
    from dilmanc.glossary.model import Entry, Glossary

    gloss = Glossary(
        [Entry(az=("insan alveri",), targets={"en": ("human trafficking",)},
               forbidden={"en": ("human trade",)})]
    )  # fmt: skip
    source = "İnsan alverinə qarşı mübarizə gücləndirilir."
    mem.add_units(
        [
            TMUnit(source, "The fight against human trade is stepped up.", "az", "en"),
            TMUnit(source + " ", "Work against people smuggling is stepped up.", "az", "en-GB"),
            TMUnit(source, "The fight against human trafficking is stepped up.", "az", "en-US"),
        ]
    )
    found = {m.unit.tgt_lang: m for m in mem.lookup(source, "az", "en", glossary=gloss)}
    assert (
        found["en"].flagged
        and "forbidden rendering 'human trade'" in found["en"].glossary_issues[0]
    )
    assert "missing 'human trafficking'" in found["en-GB"].glossary_issues[0]
    assert not found["en-US"].flagged


def test_search_finds_sources_and_targets_with_turkic_case_and_suffixes(mem):
    mem.add_units(
        [
            TMUnit("İnsan alverinə qarşı mübarizə gücləndirilir.", "Anti-trafficking work grows.",
                   "az", "en"),
            TMUnit("Nazirlik yeni hesabat dərc etdi.", "The ministry published a new report.",
                   "az", "en"),
            TMUnit("Yeni İNSAN ALVERİ qanunu.", "A new human trafficking law.", "az", "en"),
        ]
    )  # fmt: skip
    assert {u.target for u in mem.search("insan alveri")} == {
        "Anti-trafficking work grows.",
        "A new human trafficking law.",
    }
    assert [u.source for u in mem.search("PUBLISHED a")] == ["Nazirlik yeni hesabat dərc etdi."]
    assert mem.search("published", lang="az") == []
    assert len(mem.search("yeni", limit=1)) == 1
    assert mem.search("alveri qanunu yoxdur") == []
    with pytest.raises(UsageError):
        mem.search(" ... ")


def test_delete_by_id_source_and_origin_keeps_the_index_consistent(mem):
    mem.add_units(
        [
            TMUnit(TEN, TEN_EN, "az", "en", origin="a.tmx"),
            TMUnit(SHOW, SHOW_EN, "az", "en", origin="b.tmx"),
            TMUnit(SHOW, "Другой перевод.", "az", "ru", origin="b.tmx"),
        ]
    )
    assert mem.delete(source=SHOW, src_lang="az", tgt_lang="ru") == 1
    assert mem.delete(origin="a.tmx") == 1
    assert mem.lookup(TEN.replace("yeni", "böyük"), "az", "en") == []
    assert mem.search("komissiya") == []
    remaining = list(mem.units())
    assert [u.target for u in remaining] == [SHOW_EN]
    assert mem.delete(ids=[remaining[0].id]) == 1
    assert mem.stats().units == 0
    table = "dilmanc.postings" if "postgresql" in str(mem.path) else "postings"
    assert mem.backend.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    with pytest.raises(UsageError):
        mem.delete()


def test_cache_is_separate_from_the_memory(mem):
    fields = dict(source=SHOW, src_lang="az", tgt_lang="en", model="opus-mt-az-en")
    full = dict(fields, revision="abc", engine="ctranslate2", compute_type="int8",
                decode={"beam": 4}, glossary_hash="g1", glossary_mode="inject")  # fmt: skip
    key = cache_key(**full)
    assert key == cache_key(**dict(reversed(list(full.items()))))  # stable, order-free
    changed = {
        cache_key(**fields, **extra)
        for extra in ({}, {"revision": "x"}, {"decode": {"beam": 5}}, {"glossary_mode": "off"},
                      {"compute_type": "float32"}, {"glossary_hash": "g2"}, {"engine": "hf"})
    }  # fmt: skip
    assert len(changed) == 7 and key not in changed and len(key) == 64
    mem.cache_put_many([(key, "machine output")])
    assert mem.cache_get_many([key, "missing"]) == {key: "machine output"}
    assert mem.lookup(SHOW, "az", "en") == []  # machine output never enters the memory
    assert mem.stats().cache_entries == 1 and mem.stats().units == 0
    assert mem.cache_clear() == 1


def test_glossary_hash_follows_the_glossary_content():
    from dilmanc.glossary.model import Entry, Glossary
    from dilmanc.memory import glossary_hash

    one = Glossary([Entry(az=("BMqT",), targets={"en": ("IOM",)})])
    same = Glossary([Entry(az=("BMqT",), targets={"en": ("IOM",)}, note="ignored")])
    other = Glossary([Entry(az=("BMqT",), targets={"en": ("IOM",), "ru": ("МОМ",)})])
    assert glossary_hash(one) == glossary_hash(same) != glossary_hash(other)
    assert glossary_hash(None) is None and len(glossary_hash(one)) == 64


def test_fuzzy_lookup_reads_the_index_not_the_table(tmp_path):
    """50k units: a lookup scores a few dozen candidates and its queries use the indexes."""
    import random

    rng = random.Random(5)
    syllables = ["ba", "cə", "dı", "fo", "gü", "hi", "ja", "kə", "lı", "mo", "nu", "pə", "ra"]
    words = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(6000)})
    units = []
    for i in range(50_000):
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(6, 14))) + "."
        units.append(TMUnit(sentence, f"target {i}", "az", "en"))
    with Memory.open(tmp_path / "big.db") as mem:
        assert mem.add_units(units) == len({u.source for u in units})
        probe = units[31_337].source.split(" ")
        probe[2] = "zzzyeni"
        found = mem.lookup(" ".join(probe), "az", "en")
        assert found and found[0].target == "target 31337" and found[0].kind == "fuzzy"
        assert mem.last_lookup.mode == "bigrams"
        assert 0 < mem.last_lookup.candidates < 100  # of 50,000
        short = mem.lookup(" ".join(units[7].source.split(" ")[:3]), "az", "en", threshold=60)
        assert mem.last_lookup.mode == "words"
        assert all(len(m.unit.source.split(" ")) <= 5 for m in short)

        db = mem.backend.conn
        plan = " ".join(
            r[-1]
            for r in db.execute(
                "EXPLAIN QUERY PLAN SELECT unit FROM postings WHERE key=? AND ntok BETWEEN ? AND ?",
                (1, 2, 3),
            )
        )
        assert "SEARCH postings USING PRIMARY KEY (key=? AND ntok>? AND ntok<?)" in plan
        plan = " ".join(
            r[-1] for r in db.execute("EXPLAIN QUERY PLAN SELECT id FROM units WHERE skey=?", (1,))
        )
        assert "USING COVERING INDEX units_skey" in plan or "USING INDEX units_skey" in plan


def test_memory_is_one_sqlite_file_in_wal_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("DILMANC_HOME", str(tmp_path / "home"))
    with Memory.open(None) as mem:
        mem.add_units([TMUnit(SHOW, SHOW_EN, "az", "en")])
        assert mem.path == tmp_path / "home" / "memory.db"
    conn = sqlite3.connect(tmp_path / "home" / "memory.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
