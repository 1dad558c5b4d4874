"""Glossary enforcement and verification, end to end with test-double translators.

Doubles: `copying` translates a few words and copies every unknown token (as NMT models do with
names); `dropping` also loses every placeholder token; `mangling` breaks placeholders apart;
`americanizing` always writes "forced labor". The retry test records what the second strategy
rescued.
"""

from __future__ import annotations

import json
import re

import pytest
from doubles import DictEngine
from hypothesis import given, settings
from hypothesis import strategies as st

from dilmanc.errors import InputError, UsageError
from dilmanc.glossary import TermEnforcer, check_entry, load_glossaries, summarize, term_accuracy
from dilmanc.languages import resolve
from dilmanc.pipeline.pipeline import Pipeline

WORDS = {"işini": "work", "yüksək": "highly", "qiymətləndirdi.": "praised.", "Salam": "Hello"}


@pytest.fixture(scope="module")
def press():
    return load_glossaries([], builtin=True)


def copying(texts: list[str]) -> list[str]:
    return [" ".join(WORDS.get(tok, tok) for tok in text.split(" ")) for text in texts]


def dropping(texts: list[str]) -> list[str]:
    return copying([re.sub(r"ZXQ\d+\S*", "", t) for t in texts])


def mangling(texts: list[str]) -> list[str]:
    return copying([re.sub(r"ZXQ(\d+)", r"zxq \1", t) for t in texts])


def americanizing(texts: list[str]) -> list[str]:
    return ["Victims of forced labor were helped." for _ in texts]


SOURCES = [
    "BMqT-nin işini yüksək qiymətləndirdi.",
    "Ölkə “2-ci səviyyəyə müşahidə” siyahısından “2-ci səviyyə”-yə yüksəldi.",
    "Salam dünya.",
    "USAİD və məcburi əməyin qurbanları",
]


def test_inject_copies_terms_and_strips_markers(press):
    out = TermEnforcer(press, "inject").translate(SOURCES, "en", copying)
    assert out[0].output == "IOM work highly praised."
    assert out[1].output == 'Ölkə "Tier 2 Watch List" "Tier 2" yüksəldi.'  # source quotes kept
    assert out[2].output == "Hello dünya." and out[2].report.to_json()["found"] == []
    assert out[3].output == "USAID və forced labour qurbanları"
    report = out[0].report.to_json()
    assert report["strategy"] == "inject" and not report["retried"]
    assert report["expected"] == ["IOM"] and report["satisfied"] == ["IOM"]
    assert report["found"][0]["text"] == "BMqT-nin" and report["found"][0]["id"] == "iom"
    assert all(s.ok for s in out)
    json.dumps([s.report.to_json() for s in out])  # JSON-able


def test_placeholder_restores_terms(press):
    out = TermEnforcer(press, "placeholder").translate(SOURCES, "ru", copying)
    assert out[0].output == "МОМ work highly praised."
    assert "Список наблюдения уровня 2" in out[1].output and "Уровень 2" in out[1].output
    assert "ZXQ" not in " ".join(s.output for s in out)
    assert all(s.ok and s.report.to_json()["strategy"] == "placeholder" for s in out)


def test_lost_placeholders_are_retried_with_inject_and_rescued(press):
    out = TermEnforcer(press, "placeholder").translate(SOURCES, "en", dropping)
    rescued = [s for s in out if s.report.to_json()["rescued"]]
    # what the retry rescued: every segment with a term (3 of 4), 5 distinct terms in all
    assert len(rescued) == 3
    assert sum(len(s.report.to_json()["attempts"][0]["failed"]) for s in rescued) == 5
    for s in rescued:
        assert s.report.to_json()["strategy"] == "inject" and s.report.to_json()["retried"] and s.ok
        assert [a["strategy"] for a in s.report.to_json()["attempts"]] == ["placeholder", "inject"]
    assert out[0].output == "IOM work highly praised."
    assert not out[2].report.to_json()["retried"]  # nothing to enforce, nothing retried
    totals = summarize(out)
    assert totals.rescued == 3 and totals.failed == () and totals.expected == 5


def test_mangled_placeholders_are_repaired(press):
    out = TermEnforcer(press, "placeholder").translate(SOURCES[:1], "en", mangling)
    assert out[0].output == "IOM work highly praised."
    assert (
        out[0].report.to_json()["placeholders_repaired"] == 1
        and not out[0].report.to_json()["retried"]
    )


def test_invented_placeholders_never_reach_the_output(press):
    def inventing(texts):
        return [t + " ZXQ9 zxq" for t in copying(texts)]

    out = TermEnforcer(press, "placeholder").translate(SOURCES[:1], "en", inventing)
    assert out[0].output == "IOM work highly praised."
    assert out[0].report.to_json()["placeholders_repaired"] == 2


def test_forbidden_rendering_fails_and_is_reported_not_hidden(press):
    out = TermEnforcer(press, "inject").translate(["məcburi əmək"], "en", americanizing)
    (seg,) = out
    assert seg.report.to_json()["retried"] and not seg.report.to_json()["rescued"] and not seg.ok
    assert seg.report.to_json()["failed"] == [
        {
            "id": "forced-labour",
            "term": "məcburi əmək",
            "expected": "forced labour",
            "reason": "forbidden rendering 'forced labor'",
        }
    ]
    assert summarize(out).to_json(failures=True)["failures"] == seg.report.to_json()["failed"]


def test_off_mode_checks_only(press):
    out = TermEnforcer(press, "off").translate(SOURCES[:1], "en", copying)
    assert out[0].output == "BMqT-nin work highly praised."
    assert out[0].report.to_json()["strategy"] == "off" and not out[0].report.to_json()["retried"]
    assert out[0].report.to_json()["failed"][0]["reason"] == "missing"


def test_unknown_mode_is_a_usage_error(press):
    with pytest.raises(UsageError, match="unknown glossary mode"):
        TermEnforcer(press, "force")


@pytest.mark.parametrize(
    "entry_id, text, lang, ok",
    [
        ("iom", "The IOM's office opened.", "en", True),
        ("iom", "Two IOMs met.", "en", True),
        ("iom", "the iom office", "en", False),  # acronyms keep their capitals
        ("un", "un-American activities", "en", False),
        ("human-trafficking", "HUMAN TRAFFICKING is a crime", "en", True),
        ("human-trafficking", "Victims of trafficking", "en", True),
        ("tier-2", "moved to Tier-2", "en", True),
        ("tier-2", "moved to Level 2 (Tier 2)", "en", False),  # forbidden wins
        ("human-trafficking", "борьба с торговлей людьми", "ru", True),
        ("human-trafficking", "о торговле людьми", "ru", True),
        ("human-trafficking", "торговля. Людьми", "ru", False),
        ("national-action-plan", "в рамках Национального плана действий", "ru", True),
        ("forced-labour", "жертвы принудительного труда", "ru", True),
        ("tier-2", "на уровне 2", "ru", True),
        ("tier-2-watch-list", "из Списка наблюдения уровня 2", "ru", True),
        ("iom", "работа МОМ", "ru", True),
        ("un-name", "Организации Объединенных Наций", "ru", True),  # е for ё
        ("forced-labour", "принудительная работа", "ru", False),
    ],
)
def test_verification(press, entry_id, text, lang, ok):
    assert check_entry(text, press.by_id(entry_id), lang).satisfied is ok


def test_term_accuracy_counts_occurrences(press):
    sources = ["BMqT və BMqT-nin işi", "məcburi əmək", "Salam"]
    hyps = ["IOM and its work", "forced labour", "Hello"]
    acc = term_accuracy(sources, hyps, "en", press)
    assert (acc.hits, acc.total) == (2, 3) and acc.accuracy == pytest.approx(2 / 3)
    assert acc.misses == [{"line": 1, "id": "iom", "term": "BMqT", "expected": "IOM"}]
    assert term_accuracy(["Salam"], ["Hello"], "en", press).accuracy == 1.0
    with pytest.raises(InputError, match="must align"):
        term_accuracy(["a", "b"], ["a"], "en", press)


def test_verify_cli_json_and_text(cli, tmp_path):
    src = tmp_path / "src.az"
    hyp = tmp_path / "hyp.ru"
    src.write_text("BMqT-nin işi\ninsan alverinə qarşı\n2-ci səviyyə\n", encoding="utf-8")
    hyp.write_text("работа МОМ\nборьба с торговлей людьми\nвторой класс\n", encoding="utf-8")
    res = cli(["glossary", "verify", "--src", src, "--hyp", hyp, "--lang", "ru", "--json"])
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data == {
        "term_accuracy": pytest.approx(2 / 3),
        "hits": 2,
        "total": 3,
        "misses": [{"line": 3, "id": "tier-2", "term": "2-ci səviyyə", "expected": "Уровень 2"}],
    }
    res = cli(["glossary", "verify", "--src", src, "--hyp", hyp, "--lang", "rus", "--builtin"])
    assert res.out.splitlines()[0] == "term accuracy 0.6667 (2/3)"
    res = cli(["glossary", "verify", "--src", src, "--hyp", hyp, "--lang", "de"])
    assert res.code == 2 and "no de terms" in res.err


def test_through_the_pipeline_with_a_double_engine(press):
    engine = DictEngine()
    en = resolve("en")
    pipeline = Pipeline({"en": engine}, resolve("az"), enforcer=TermEnforcer(press))
    out = pipeline.translate_lines(["BMqT-nin ekspertləri gəldi. Salam.", "Salam."], en)
    assert out == ["<en> IOM ekspertləri gəldi. <en> Salam.", "<en> Salam."]
    assert '"IOM"-nin ekspertləri gəldi.' in engine.seen
    first = pipeline.glossary_reports[0]
    assert first["target"] == "en" and first["satisfied"] == ["IOM"]


_PIECES = ["BMqT-nin", "USAİD", "insan alverinə", "“2-ci səviyyə”-yə", "məcburi əməyin", " ", "."]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(st.sampled_from(_PIECES), st.text("abcəğ ZXQ1”«", max_size=5)), max_size=8
        ),
        min_size=1,
        max_size=4,
    ),  # fmt: skip
    st.sampled_from(["inject", "placeholder"]),
    st.sampled_from([copying, dropping, mangling]),
)
def test_enforcement_never_leaks_tokens_or_markers(parts, mode, translate_fn):
    press = load_glossaries([], builtin=True)
    sources = ["".join(p) for p in parts]
    out = TermEnforcer(press, mode).translate(sources, "en", translate_fn)
    assert len(out) == len(sources)
    for source, seg in zip(sources, out, strict=True):
        # a token-like word the user wrote is text, and inject mode keeps it (no token is ever
        # introduced there); placeholder mode removes every token-like stretch
        own = mode == "inject" and re.search(r"(?i)zxq", source)
        if seg.report.to_json()["found"] and not own:
            assert not re.search(r"(?i)zxq", seg.output)
        satisfied = set(seg.report.to_json()["satisfied"])
        assert satisfied | {f["expected"] for f in seg.report.to_json()["failed"]} == set(
            seg.report.to_json()["expected"]
        )
        json.dumps(seg.report.to_json())
