"""Pipeline logic with the dictionary test double: de-duplication, pass-through, layout, chunks."""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass

import pytest
from doubles import DictEngine

from dilmanc.engines.base import DecodeOptions
from dilmanc.errors import UsageError
from dilmanc.glossary.enforce import TermReport
from dilmanc.glossary.model import Entry, Glossary
from dilmanc.languages import resolve
from dilmanc.pipeline.pipeline import Pipeline
from dilmanc.text.tagged import TaggedText

AZ, EN, RU = resolve("az"), resolve("en"), resolve("ru")

DOC = (
    "date 2024-03 Martın 14-də seminar keçirildi. BMqT-nin ekspertləri çıxış etdilər.\n"
    "\n"
    "Seminar uğurlu oldu.  Seminar uğurlu oldu.\r\n"
    "   \n"
    "\n"
    "\tMüzakirələr davam edəcək.\n"
    "https://example.org/az\n"
    "2024-03-14\n"
    "\n\n"
    "Please turn on JavaScript in your browser to see this page.\n"
    "Seminar uğurlu oldu."
)


def make(engine: DictEngine | None = None, **kwargs) -> tuple[Pipeline, DictEngine]:
    engine = engine or DictEngine()
    return Pipeline({"en": engine, "ru": engine}, AZ, **kwargs), engine


def untag(text: str, iso: str) -> str:
    return text.replace(f"<{iso}> ", "")


def test_layout_and_passthrough_are_kept_exactly():
    pipeline, engine = make()
    out = pipeline.translate_text(DOC, EN)
    assert untag(out, "en") == DOC  # only sentence text changed; every byte around it kept
    assert out.startswith("date 2024-03 <en> Martın 14-də seminar keçirildi. <en> BMqT-nin")
    assert "\nhttps://example.org/az\n2024-03-14\n\n\nPlease turn on JavaScript" in out
    sent = set(engine.seen)
    assert not any("http" in s or "Javascript" in s or "2024-03" in s for s in sent)


def test_identical_segments_are_translated_once_per_target():
    pipeline, engine = make()
    pipeline.translate_text(DOC, EN)
    pipeline.translate_text(DOC, RU)
    pipeline.translate_text(DOC, EN)  # all cached now
    assert engine.seen["Seminar uğurlu oldu."] == 2  # once for en, once for ru
    assert max(engine.seen.values()) == 2
    counts = pipeline.report()["segments"]
    assert counts["total"] == 3 * 6
    assert counts["unique"] == 4
    assert counts["translated"] == 8
    assert counts["passthrough"] == 3 * 4  # metadata prefix, URL, date, English line


def test_translate_lines_keeps_alignment():
    lines = ["Bir. İki.", "", "https://example.org", "  ", "Üç.", "Bir."]
    pipeline, engine = make(DictEngine({"Bir.": "One.", "Üç.": "Three."}))
    out = pipeline.translate_lines(lines, EN)
    assert out == ["One. <en> İki.", "", "https://example.org", "  ", "Three.", "One."]
    assert pipeline.translate_lines([], EN) == []


def test_engine_line_breaks_cannot_shift_lines():
    pipeline, _ = make(DictEngine({"Bir.": "One\nand\r\nonly."}))
    assert pipeline.translate_lines(["Bir.", "Bir."], EN) == ["One and only.", "One and only."]


def test_every_empty_model_output_is_a_warning():
    pipeline, _ = make(DictEngine({"İki.": "", "Üç.": "  "}))
    out = pipeline.translate_lines(["Bir. İki.", "Üç.", "İki."], RU)
    assert [line.strip() for line in out] == ["<ru> Bir.", "", ""]
    assert pipeline.report()["warnings"] == [
        f"unit {n}: the model returned an empty translation into ru of {text!r}"
        for n, text in ((1, "İki."), (2, "Üç."), (3, "İki."))
    ]


@pytest.mark.parametrize("chunk", [1, 2, 3, 1000])
def test_chunked_stream_equals_whole_text(chunk):
    text = "\n".join([DOC] * 3)
    whole, _ = make()
    expected = whole.translate_text(text, RU)
    pipeline, engine = make(chunk_segments=chunk)
    pieces: list[str] = []
    pipeline.translate_stream(
        io.StringIO(text, newline=""), [RU], lambda iso, chunk: pieces.append(chunk)
    )
    assert "".join(pieces) == expected
    if chunk < 6:
        assert len(pieces) > 1  # really written piece by piece
    assert sum(engine.seen.values()) == 4  # the cache spans chunks


def test_several_targets_read_the_input_once():
    consumed = []

    def lines():
        for line in io.StringIO(DOC, newline=""):
            consumed.append(line)
            yield line

    pipeline, _ = make(chunk_segments=2)
    out: dict[str, list[str]] = {"en": [], "ru": []}
    pipeline.translate_stream(lines(), [EN, RU], lambda iso, text: out[iso].append(text))
    assert len(consumed) == DOC.count("\n") + 1
    assert untag("".join(out["en"]), "en") == DOC
    assert untag("".join(out["ru"]), "ru") == DOC
    assert len(out["en"]) == len(out["ru"]) > 1


def test_cache_is_bounded_and_output_stays_right():
    text = "\n".join(f"Cümlə {i % 5} burada." for i in range(40))
    pipeline, engine = make(cache_size=2, chunk_segments=3)
    out = pipeline.translate_text(text, EN)
    assert untag(out, "en") == text
    assert all(len(cache) <= 2 for cache in pipeline._caches.values())
    assert sum(engine.seen.values()) > 5  # evicted segments come back to the engine


def test_batches_respect_decode_options():
    text = "\n".join(f"Bu {'çox ' * i}uzun cümlədir." for i in range(12))
    engine = DictEngine()
    pipeline, _ = make(engine, decode=DecodeOptions(batch_tokens=20, batch_size=3))
    pipeline.translate_text(text, EN)
    batches = [batch for _, batch in engine.calls]
    assert all(len(batch) <= 3 for batch in batches)
    assert len(batches) > 4
    lengths = [len(s.split()) for batch in batches for s in batch]
    assert lengths == sorted(lengths, reverse=True)  # sorted by length across batches


def test_unknown_target_is_a_usage_error():
    pipeline = Pipeline({"en": DictEngine()}, AZ)
    with pytest.raises(UsageError, match="no model loaded for target language 'ru'"):
        pipeline.translate_text("Salam.", RU)


def test_unsupported_pair_names_what_the_model_supports():
    pipeline = Pipeline({"ru": DictEngine(targets=("en",))}, AZ)
    with pytest.raises(UsageError, match="cannot translate az→ru"):
        pipeline.translate_text("Salam dünya.", RU)


@dataclass
class Enforced:
    tagged: TaggedText
    report: TermReport
    raw: object


class UpperEnforcer:
    """Stands in for dilmanc.glossary.TermEnforcer: wraps the engine call (TaggedText in and
    out), reports per segment; its report's strategy names how many terms it saw."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str]] = []
        self.glossary = Glossary([Entry(az=("BMqT",), targets={"en": ("IOM",), "ru": ("IOM",)})])

    def translate(self, sources, target, translate_fn):
        self.calls.append(([s.render() for s in sources], target))
        outputs = translate_fn([TaggedText(s.text.replace("BMqT", "IOM")) for s in sources])
        pairs = zip(sources, outputs, strict=True)
        return [
            Enforced(TaggedText(o.text.upper()), TermReport(f"terms={s.text.count('BMqT')}"), o)
            for s, o in pairs
        ]


def _strategies(reports: list[dict]) -> list[tuple]:
    return [(r["target"], r["source"], r["strategy"]) for r in reports]


def test_enforcer_wraps_the_engine_and_reports_are_collected():
    enforcer = UpperEnforcer()
    pipeline, engine = make(enforcer=enforcer)
    out = pipeline.translate_lines(["BMqT-nin işi. BMqT-nin işi.", "Salam dünya."], EN)
    assert out == ["<EN> IOM-NIN IŞI. <EN> IOM-NIN IŞI.", "<EN> SALAM DÜNYA."]
    assert enforcer.calls == [(["BMqT-nin işi.", "Salam dünya."], "en")]
    assert list(engine.seen) == ["IOM-nin işi.", "Salam dünya."]
    assert _strategies(pipeline.glossary_reports) == [
        ("en", "BMqT-nin işi.", "terms=1"),
        ("en", "Salam dünya.", "terms=0"),
    ]
    seconds = pipeline.report()["seconds"]
    assert set(seconds) == {"segment", "memory", "glossary", "engine", "qe", "write"}
    assert all(v >= 0 for v in seconds.values())


def test_glossary_sink_receives_reports_instead_of_memory():
    got: list[tuple] = []
    pipeline, _ = make(enforcer=UpperEnforcer(), glossary_sink=lambda *a: got.append(a))
    pipeline.translate_text("BMqT-nin işi.", RU)
    ((target, sources, results),) = got
    assert (target, sources) == ("ru", ["BMqT-nin işi."])
    assert [(r.tagged.text, r.report.strategy) for r in results] == [
        ("<RU> IOM-NIN IŞI.", "terms=1")
    ]
    assert pipeline.glossary_reports == []
    totals = pipeline.report()["glossary"]
    assert (totals["segments"], totals["expected"], totals["satisfied"]) == (1, 1, 1)  # verified


def test_seed_keeps_paragraphs_and_boilerplate(seed_path):
    text = seed_path.read_text(encoding="utf-8")
    pipeline, engine = make()
    out = pipeline.translate_text(text, EN)
    assert untag(out, "en") == text
    assert out.count("\n\n") == text.count("\n\n")
    last = text.rsplit("\n\n", 1)[1]
    assert "Javascript" in last and out.endswith("\n\n" + last)  # English boilerplate kept
    assert pipeline.report()["segments"]["total"] == 13  # 12 sentences, one quote apart


# --- a sentence whose tags come back unreadable is decoded again without them (issue 17) -----

PLAIN = {"Salam gözəl dünya.": "Hello beautiful world.", "Sağ ol dostum.": "Thanks my friend."}


def _tags_broken(text: str) -> str:
    """A model that translates plain text well but breaks every tag it is sent."""
    if "<g" not in text:
        return PLAIN.get(text, text)
    words = re.sub(r"</?g\d+>", " ", text).split()
    return " ".join(["1g1&gt;", *[w.upper() for w in words], "&lt;/g1"])


def _units(*texts: str):
    from dilmanc.documents.base import Unit
    from dilmanc.text.tagged import parse

    return [Unit(str(i), parse(text).tagged) for i, text in enumerate(texts)]


def _run(respond, *texts: str):
    from doubles import ScriptedEngine

    engine = ScriptedEngine(respond)
    pipeline = Pipeline({"en": engine}, AZ)
    out: dict = {}
    emit = lambda _, chunk: out.update({t.unit.id: t for t in chunk})  # noqa: E731
    pipeline.translate_units(_units(*texts), [EN], emit)
    return out, pipeline.report(), engine


def test_a_sentence_whose_tags_break_is_decoded_again_as_plain_text():
    out, report, engine = _run(
        _tags_broken, "Salam <g1>gözəl</g1> dünya.", "Sağ ol <g1>dostum</g1>."
    )
    first, second = out["0"].target, out["1"].target
    assert first.text == "Hello beautiful world." and second.text == "Thanks my friend."
    assert len(first.pair_spans()) == 1 and len(second.pair_spans()) == 1
    assert not re.search(r"[<>]|&lt;|&gt;|g1", first.text + second.text)
    assert out["0"].tags.redecoded == 1 and report["tags"]["redecoded"] == 2
    # one batch with both failed sentences, without their tags
    assert engine.calls[-1] == ("en", ["Salam gözəl dünya.", "Sağ ol dostum."])


def test_a_model_that_garbles_plain_text_too_keeps_todays_path():
    def always_broken(text: str) -> str:
        return " ".join(["g1>", *re.sub(r"</?g\d+>", " ", text).split(), "</"])

    out, report, engine = _run(always_broken, "Salam <g1>gözəl</g1> dünya.")
    target = out["0"].target
    assert target.text == "Salam gözəl dünya." and len(target.pair_spans()) == 1
    assert out["0"].tags.redecoded == 0 and report["tags"]["redecoded"] == 0
    assert out["0"].tags.fallback == 2
    assert len(engine.calls) == 2  # tried once more, the plain output was not clean


def test_a_model_that_keeps_the_tags_is_not_asked_again():
    out, report, engine = _run(lambda text: text, "Salam <g1>gözəl</g1> dünya.")
    assert out["0"].tags.by_model == 2 and report["tags"]["redecoded"] == 0
    assert len(engine.calls) == 1
    assert report["tags"]["redecode_seconds"] < 0.01


def test_the_report_times_the_decode_again_within_the_engine_stage():
    def slow_plain(text: str) -> str:
        if "<g" not in text:
            time.sleep(0.05)  # only the decode without tags
        return _tags_broken(text)

    _, report, engine = _run(slow_plain, "Salam <g1>gözəl</g1> dünya.")
    assert len(engine.calls) == 2
    assert 0.05 <= report["tags"]["redecode_seconds"] <= report["seconds"]["engine"]
