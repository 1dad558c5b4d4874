"""SRT and WebVTT: sentences across cues, proportional redistribution, wrapping, timings kept."""

from __future__ import annotations

import io
import json
import random
import re

import pytest
from format_cli import one_line_error, table_engine_fixture  # noqa: F401

from dilmanc.documents.base import Origin, Translated
from dilmanc.documents.registry import open_document
from dilmanc.documents.subtitles import MAX_LINE, SrtDocument, VttDocument
from dilmanc.errors import InputError
from dilmanc.languages import resolve
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Tag, TaggedText

EN = resolve("en")

SRT = """1
00:00:01,000 --> 00:00:03,500
Bu gün biz şəhərin ən gözəl
parklarından birinə

2
00:00:03,600 --> 00:00:06,000
<i>gəzintiyə</i> getdik.

3
00:00:06,500 --> 00:00:08,000
- Salam!
- Necəsən?

4
00:00:09,000 --> 00:00:10,000
♪ ♪

5
00:00:10,500 --> 00:00:12,000
{\\an8}Qısa cümlə.
"""

VTT = """WEBVTT - sınaq

STYLE
::cue { color: yellow }

NOTE bu qeyd tərcümə olunmur
iki sətirdir

giriş
00:01.000 --> 00:03.000 align:start line:90%
<v Anar>Biz bu gün &amp; sabah
<c.sarı>işləyirik</c>

00:00:03.500 --> 00:00:05.000
və axşam dincəlirik.
"""


def load(tmp_path, cls, text: str, name: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return cls.load(path)


def write(doc, translations) -> str:
    out = io.StringIO()
    doc.write(out, EN, translations)
    return out.getvalue()


def cue_texts(text: str) -> list[list[str]]:
    """Each cue's text lines (blocks after the timing line), for checking layout."""
    cues = []
    for block in text.strip().split("\n\n"):
        lines = block.split("\n")
        for i, line in enumerate(lines):
            if "-->" in line:
                cues.append(lines[i + 1 :])
    return cues


def test_srt_sentence_units_span_cues(tmp_path):
    doc = load(tmp_path, SrtDocument, SRT, "film.az.srt")
    units = list(doc.units())
    assert [u.location for u in units] == [
        "cues 1–2, line 2",
        "cue 3, line 11",
        "cue 3, line 13",
        "cue 5, line 20",
    ]
    first = units[0]
    assert first.source.render() == (
        "Bu gün biz şəhərin ən gözəl parklarından birinə <g1>gəzintiyə</g1> getdik."
    )
    assert [units[1].source.render(), units[2].source.render()] == ["Salam!", "Necəsən?"]
    assert units[3].codes[1].data == "{\\an8}"
    assert units[1].prev == first.source.text


def test_identity_is_byte_identical(tmp_path):
    for cls, text, name in ((SrtDocument, SRT, "a.srt"), (VttDocument, VTT, "a.vtt")):
        crlf = text.replace("\n", "\r\n")
        for variant in (text, crlf):
            doc = load(tmp_path, cls, variant, name)
            same = {u.id: Translated(u, u.source, Origin.MACHINE) for u in doc.units()}
            assert write(doc, same) == variant


def test_translation_is_redistributed_in_proportion_and_wrapped(tmp_path):
    doc = load(tmp_path, SrtDocument, SRT, "film.az.srt")
    first = next(iter(doc.units()))
    target = TaggedText.from_parts(
        [
            "Today we went for a ",
            Tag(1, OPEN),
            "walk",
            Tag(1, CLOSE),
            " to one of the most beautiful parks of our city.",
        ]
    )
    out = write(doc, {first.id: Translated(first, target, Origin.MACHINE)})
    # numbering and timings untouched, untranslated cues untouched
    assert out.count("-->") == 5
    assert "00:00:01,000 --> 00:00:03,500\n" in out and "00:00:03,600 --> 00:00:06,000\n" in out
    assert out.endswith(
        "3\n00:00:06,500 --> 00:00:08,000\n- Salam!\n- Necəsən?\n\n4\n"
        "00:00:09,000 --> 00:00:10,000\n♪ ♪\n\n5\n00:00:10,500 --> 00:00:12,000\n"
        "{\\an8}Qısa cümlə.\n"
    )
    cue1, cue2 = cue_texts(out)[:2]
    words = " ".join(cue1 + cue2).replace("<i>", "").replace("</i>", "").split()
    expected = "Today we went for a walk to one of the most beautiful parks of our city."
    assert words == expected.split(" ")
    # the source cues hold 47 and 26 characters: the translation is cut in that proportion
    share = len(" ".join(cue1)) / (len(" ".join(cue1)) + len(" ".join(cue2)))
    assert abs(share - 47 / 74) < 0.15
    assert "<i>walk</i>" in " ".join(cue1 + cue2)
    for lines in (cue1, cue2):
        assert 1 <= len(lines) <= 2 and all(len(line) <= MAX_LINE for line in lines)
    assert doc.warnings == []


def test_pair_crossing_a_cut_is_closed_and_reopened(tmp_path):
    doc = load(tmp_path, SrtDocument, SRT, "film.az.srt")
    first = next(iter(doc.units()))
    target = TaggedText.from_parts(
        [Tag(1, OPEN), "Today we went to a beautiful park in the city centre", Tag(1, CLOSE)]
    )
    cue1, cue2 = cue_texts(write(doc, {first.id: Translated(first, target, Origin.MACHINE)}))[:2]
    assert cue1[0].startswith("<i>") and cue1[-1].endswith("</i>")
    assert cue2[0].startswith("<i>") and cue2[-1].endswith("</i>")


def test_too_long_for_two_lines_keeps_every_word_and_warns(tmp_path):
    doc = load(tmp_path, SrtDocument, SRT, "film.az.srt")
    short = list(doc.units())[-1]
    long_text = " ".join(["extraordinarily"] * 8) + "."
    item = Translated(short, TaggedText(long_text), Origin.MACHINE)
    out = write(doc, {short.id: item})
    lines = cue_texts(out)[-1]
    assert len(lines) == 2 and " ".join(lines) == "{\\an8}" + long_text
    assert doc.warnings and doc.warnings[0].startswith("cue 5: a line of")


def test_vtt_blocks_settings_entities_and_speakers(tmp_path):
    doc = load(tmp_path, VttDocument, VTT, "film.az.vtt")
    (unit,) = doc.units()
    assert unit.location == "cues giriş–2, line 10"
    assert unit.source.render() == "<x1/>Biz bu gün & sabah <g2>işləyirik</g2> və axşam dincəlirik."
    target = TaggedText.from_parts(
        [Tag(1, EMPTY), "Today & tomorrow we ", Tag(2, OPEN), "work", Tag(2, CLOSE), ", <rest>."]
    )
    out = write(doc, {unit.id: Translated(unit, target, Origin.MACHINE)})
    head = VTT.split("giriş\n")[0]
    assert out.startswith(head + "giriş\n00:01.000 --> 00:03.000 align:start line:90%\n")
    cue1, cue2 = cue_texts(out)
    assert cue1 == ["<v Anar>Today &amp; tomorrow we"]
    assert cue2 == ["<c.sarı>work</c>, &lt;rest&gt;."]
    assert "00:00:03.500 --> 00:00:05.000\n" in out


@pytest.mark.parametrize(
    ("cls", "name", "text", "message"),
    [
        (
            SrtDocument,
            "a.srt",
            "1\n00:00:01,000 --> 00:00:0x,000\nSalam\n",
            "line 2: broken timestamp",
        ),
        (
            SrtDocument,
            "b.srt",
            "1\n00:00:01,000 --> 00:00:02,000\nSalam\n\n2\n00:61:00,000 --> 00:62:00,000\nSağ ol\n",
            "line 6: broken timestamp",
        ),
        (SrtDocument, "c.srt", "1\n00:00:05,000 --> 00:00:02,000\nSalam\n", "line 2: cue ends"),
        (SrtDocument, "d.srt", "bir\n00:00:01,000 --> 00:00:02,000\nSalam\n", "line 1: expected"),
        (VttDocument, "a.vtt", "1\n00:01.000 --> 00:02.000\nSalam\n", "line 1: a WebVTT file"),
        (VttDocument, "b.vtt", "WEBVTT\n\n00:01.000 --> 00:02,000\nSalam\n", "line 3: broken"),
    ],
)
def test_broken_input_is_one_line_with_line_number(tmp_path, cls, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        cls.load(path)
    assert "\n" not in str(info.value) and name in str(info.value)


def test_registry_and_sniffing(tmp_path):
    srt = tmp_path / "subs.az.srt"
    srt.write_text(SRT)
    assert isinstance(open_document(srt), SrtDocument)
    assert VttDocument.sniff(b"\xef\xbb\xbfWEBVTT\n\n") and not VttDocument.sniff(SRT.encode())
    assert SrtDocument.sniff(SRT.encode()) and not SrtDocument.sniff(VTT.encode())


# --- end to end: dilmanc translate --------------------------------------------------------------


def test_cli_sentence_over_two_cues_is_one_segment(cli, table_engine, tmp_path):
    joined = "Bu gün biz şəhərin ən gözəl parklarından birinə <g1>gəzintiyə</g1> getdik."
    table_engine.table.update(
        {joined: "Today we went for a <g1>walk</g1> to one of the most beautiful city parks."}
    )
    path = tmp_path / "film.az.srt"
    path.write_text(SRT, encoding="utf-8")
    res = cli(["translate", path, "--to", "en", "--model", "d", "-o", tmp_path / "out"])
    assert res.code == 0, res.err
    assert any(joined in batch for _, batch in table_engine.calls)  # one sentence, not 2 cues
    out = (tmp_path / "out" / "film.en.srt").read_text("utf-8")
    cue1, cue2 = cue_texts(out)[:2]
    assert " ".join(cue1 + cue2) == (
        "Today we went for a <i>walk</i> to one of the most beautiful city parks."
    )
    assert all(len(line) <= MAX_LINE for line in cue1 + cue2)
    assert out.count("-->") == SRT.count("-->")


def test_cli_broken_timestamp_is_one_line_without_output(cli, table_engine, tmp_path):
    path = tmp_path / "film.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nSalam\n\n2\n00:00:03 --> 00:00:04,000\nSağ ol\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    line = one_line_error(cli(["translate", path, "--to", "en", "--model", "d", "-o", out]))
    assert "film.srt: line 6: broken timestamp" in line
    assert not out.exists() or not any(out.iterdir())


# --- a translation with fewer words than its sentence has cues ---------------------------------

SHORT = """1
00:00:01,000 --> 00:00:02,000
Salam.

2
00:00:03,000 --> 00:00:04,000
Biz bu gün şəhərin ən gözəl parkına

3
00:00:04,500 --> 00:00:06,000
getdik.

4
00:00:07,000 --> 00:00:08,000
Sağ ol.
"""


def test_short_translation_merges_the_empty_cue_into_the_one_before(tmp_path):
    doc = load(tmp_path, SrtDocument, SHORT, "short.az.srt")
    unit = list(doc.units())[1]
    assert unit.location == "cues 2–3, line 6"
    out = write(doc, {unit.id: Translated(unit, TaggedText("We!"), Origin.MACHINE)})
    assert all(lines and all(lines) for lines in cue_texts(out))  # no cue without text
    assert out == (
        "1\n00:00:01,000 --> 00:00:02,000\nSalam.\n\n"
        "2\n00:00:03,000 --> 00:00:06,000\nWe!\n\n"  # cue 2 now lasts until cue 3 ended
        "4\n00:00:07,000 --> 00:00:08,000\nSağ ol.\n"
    )
    assert doc.warnings == [
        "cue 2: the translation has fewer words than its sentence has cues; "
        "cue 3 merged into it (it now ends at 00:00:06,000)"
    ]
    assert [u.location for u in SrtDocument.from_text(out).units()][-1] == "cue 4, line 10"


def test_enough_words_are_redistributed_without_merging(tmp_path):
    doc = load(tmp_path, SrtDocument, SHORT, "short.az.srt")
    unit = list(doc.units())[1]
    out = write(doc, {unit.id: Translated(unit, TaggedText("We went."), Origin.MACHINE)})
    assert cue_texts(out) == [["Salam."], ["We"], ["went."], ["Sağ ol."]]
    assert doc.warnings == []


def test_vtt_merge_keeps_settings_notes_and_tags(tmp_path):
    text = (
        "WEBVTT\n\n"
        "a\n00:01.000 --> 00:02.000 align:start\n<i>Biz bu gün şəhərin</i>\n\n"
        "NOTE qalır\n\n"
        "b\n00:02.500 --> 00:04.000\nən gözəl parkına\n\n"
        "c\n00:04.500 --> 01:00:05.000 line:90%\ngetdik.\n"
    )
    doc = load(tmp_path, VttDocument, text, "a.az.vtt")
    (unit,) = doc.units()
    target = TaggedText.from_parts([Tag(1, OPEN), "We", Tag(1, CLOSE), " went."])
    out = write(doc, {unit.id: Translated(unit, target, Origin.MACHINE)})
    assert out == (
        "WEBVTT\n\n"
        "a\n00:01.000 --> 00:02.000 align:start\n<i>We</i>\n\n"
        "NOTE qalır\n\n"
        "b\n00:02.500 --> 01:00:05.000\nwent.\n"
    )
    assert doc.warnings == [
        "cue b: the translation has fewer words than its sentence has cues; "
        "cue c merged into it (it now ends at 01:00:05.000)"
    ]


def test_empty_translation_keeps_the_source_and_says_so(tmp_path):
    doc = load(tmp_path, SrtDocument, SHORT, "short.az.srt")
    unit = list(doc.units())[1]
    out = write(doc, {unit.id: Translated(unit, TaggedText(""), Origin.MACHINE)})
    assert out == SHORT
    assert doc.warnings == ["cues 2–3: the translation is empty; the source text is kept"]


def test_cli_short_translation_and_empty_model_output_are_reported(cli, table_engine, tmp_path):
    table_engine.table.update(
        {"Biz bu gün şəhərin ən gözəl parkına getdik.": "Went.", "Sağ ol.": ""}
    )
    path = tmp_path / "short.az.srt"
    path.write_text(SHORT, encoding="utf-8")
    report = tmp_path / "report.json"
    args = ["translate", path, "--to", "en", "--model", "d", "-o", tmp_path / "out"]
    res = cli([*args, "--report", report])
    assert res.code == 0, res.err
    out = (tmp_path / "out" / "short.en.srt").read_text("utf-8")
    assert all(lines and all(lines) for lines in cue_texts(out))
    assert "00:00:03,000 --> 00:00:06,000\nWent.\n" in out and out.endswith("Sağ ol.\n")
    merged = "cue 3 merged into it (it now ends at 00:00:06,000)"
    empty = "cue 4, line 14: the model returned an empty translation into en of 'Sağ ol.'"
    assert merged in res.err and empty in res.err
    record = json.loads(report.read_text("utf-8"))
    assert any(merged in w for w in record["documents"][0]["warnings"])
    assert empty in record["warnings"]


# --- dialogue dashes, continuation dashes, credits, line budgets (issue 17 item 5) -----------

DIALOGUE = """1
00:00:01,000 --> 00:00:03,000
- Gözlərini yum!
<i>- Niyə?</i>

2
00:00:03,500 --> 00:00:05,000
Mən bilirdim ki -

3
00:00:05,500 --> 00:00:07,000
- Sus!

4
00:00:07,500 --> 00:00:09,000
Sən dedin ki -

5
00:00:09,500 --> 00:00:11,000
hamı gələcək.
"""


def test_dialogue_and_continuation_dashes_never_reach_the_model(tmp_path):
    doc = load(tmp_path, SrtDocument, DIALOGUE, "dialogue.az.srt")
    sources = [u.source.render() for u in doc.units()]
    assert sources == [
        "Gözlərini yum!",
        "<g1>Niyə?</g1>",
        "Mən bilirdim ki",
        "Sus!",
        "Sən dedin ki hamı gələcək.",
    ]


def test_dashes_come_back_at_the_line_edges_whatever_the_model_returns(tmp_path):
    doc = load(tmp_path, SrtDocument, DIALOGUE, "dialogue.az.srt")
    targets = [
        TaggedText("Close your eyes!"),
        TaggedText.from_parts([Tag(1, OPEN), "Why?", Tag(1, CLOSE)]),
        TaggedText("I knew that"),
        TaggedText("Shut up!"),
        TaggedText("You said that everyone would come."),
    ]
    units = list(doc.units())
    pairs = zip(units, targets, strict=True)
    out = write(doc, {u.id: Translated(u, t, Origin.MACHINE) for u, t in pairs})
    cues = cue_texts(out)
    assert cues[0] == ["- Close your eyes!", "<i>- Why?</i>"]
    assert cues[1] == ["I knew that -"] and cues[2] == ["- Shut up!"]
    assert cues[3][-1].endswith(" -") and not cues[4][0].startswith("-")
    assert " ".join(cues[3] + cues[4]).replace(" -", "") == "You said that everyone would come."
    assert doc.warnings == []


CREDITS_NAMES = [
    "Anar Məmmədov",
    "Leyla Əliyeva",
    "Rəşad Quliyev",
    "Səbinə Həsənova",
    "Elçin Rzayev",
    "Günay Abbasova",
    "Tural Kərimov",
    "Nigar Səfərova",
    "Orxan Babayev",
    "Aysel Nəsirova",
    "Kamran Hüseynov",
    "Lalə İsmayılova",
    "Fərid Orucov",
    "Ülviyyə Mirzəyeva",
]
CREDITS = (
    "1\n00:00:01,000 --> 00:00:03,000\nRollarda\n\n"
    "2\n00:00:03,000 --> 00:00:09,000\n" + "\n".join(CREDITS_NAMES) + "\n\n"
    "3\n00:00:09,000 --> 00:00:10,000\nRejissor\nAnar Məmmədov\n\n"
    "4\n00:00:10,000 --> 00:00:11,000\nOperator\nRəşad Quliyev\n"
)


def test_a_cue_of_many_lines_is_translated_line_by_line_and_never_joined(tmp_path):
    doc = load(tmp_path, SrtDocument, CREDITS, "credits.az.srt")
    sources = [u.source.text for u in doc.units()]
    assert sources == [
        "Rollarda",
        *CREDITS_NAMES,
        "Rejissor Anar Məmmədov",
        "Operator Rəşad Quliyev",
    ]
    echo = {
        u.id: Translated(u, TaggedText(f"EN {u.source.text}"), Origin.MACHINE) for u in doc.units()
    }
    cues = cue_texts(write(doc, echo))
    assert cues[1] == [f"EN {name}" for name in CREDITS_NAMES]  # 14 lines, each name its own
    assert doc.warnings == []


def test_a_translation_of_the_same_length_is_cut_exactly_where_the_cues_were(tmp_path):
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nAnar, Leyla, Rəşad, Səbinə, Elçin, Ülvi\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\nvə Nigar, bizim dostlarımız,\n\n"
        "3\n00:00:03,000 --> 00:00:04,000\nbu axşam gəldilər.\n"
    )
    doc = load(tmp_path, SrtDocument, text, "names.az.srt")
    (unit,) = doc.units()
    shout = Translated(unit, TaggedText(unit.source.text.upper()), Origin.MACHINE)
    assert cue_texts(write(doc, {unit.id: shout})) == [
        ["ANAR, LEYLA, RƏŞAD, SƏBINƏ, ELÇIN, ÜLVI"],
        ["VƏ NIGAR, BIZIM DOSTLARIMIZ,"],
        ["BU AXŞAM GƏLDILƏR."],
    ]


def test_a_cue_keeps_its_line_budget(tmp_path):
    text = (
        "1\n00:00:01,000 --> 00:00:05,000\n"
        "Bu gün biz şəhərin\nən gözəl və ən böyük\nparklarından birinə getdik.\n"
    )
    doc = load(tmp_path, SrtDocument, text, "three.az.srt")
    (unit,) = doc.units()
    long = (
        "Today we went to one of the most beautiful and largest parks of our old city, "
        "the one by the sea."
    )
    lines = cue_texts(write(doc, {unit.id: Translated(unit, TaggedText(long), Origin.MACHINE)}))[0]
    assert len(lines) == 3 and " ".join(lines) == long
    assert all(len(line) <= MAX_LINE for line in lines) and doc.warnings == []


def test_a_speaker_line_over_its_budget_is_reported(tmp_path):
    doc = load(tmp_path, SrtDocument, DIALOGUE, "dialogue.az.srt")
    first = next(iter(doc.units()))
    long = "Close your eyes and count slowly to ten before you look again!"
    out = write(doc, {first.id: Translated(first, TaggedText(long), Origin.MACHINE)})
    assert cue_texts(out)[0] == [f"- {long}", "<i>- Niyə?</i>"]  # each speaker keeps one line
    assert doc.warnings == ["cue 1: a line of 64 characters (limit 42 × 1 line); nothing was cut"]


def test_cli_dialogue_and_credits_checked_with_independent_parsers(cli, table_engine, tmp_path):
    srt_lib = pytest.importorskip("srt")
    webvtt = pytest.importorskip("webvtt")
    table_engine.table.update(
        {
            "Gözlərini yum!": "Close your eyes!",
            "<g1>Niyə?</g1>": "<g1>Why?</g1>",
            "Mən bilirdim ki": "I knew that",
            "Sus!": "Shut up!",
            "Sən dedin ki hamı gələcək.": "You said everyone would come.",
        }
    )
    srt_path = tmp_path / "film.az.srt"
    srt_path.write_text(DIALOGUE + "\n" + CREDITS.replace("\n1\n", "\n6\n"), encoding="utf-8")
    vtt_path = tmp_path / "film.az.vtt"
    vtt_path.write_text("WEBVTT\n\n" + DIALOGUE.replace(",", "."), encoding="utf-8")
    res = cli(["translate", srt_path, vtt_path, "--to", "en", "--model", "d", "-o", tmp_path / "o"])
    assert res.code == 0, res.err
    assert not any(t.lstrip().startswith("-") for _, batch in table_engine.calls for t in batch)
    source = list(srt_lib.parse(srt_path.read_text("utf-8")))
    out = list(srt_lib.parse((tmp_path / "o" / "film.en.srt").read_text("utf-8")))
    assert [(c.start, c.end) for c in out] == [(c.start, c.end) for c in source]
    assert out[0].content == "- Close your eyes!\n<i>- Why?</i>"
    assert out[2].content == "- Shut up!"
    credits = next(c for c in out if c.content.startswith("<en> Anar"))
    assert credits.content.split("\n") == [f"<en> {name}" for name in CREDITS_NAMES]
    vtt = webvtt.read(str(tmp_path / "o" / "film.en.vtt"))
    assert [c.text for c in vtt][:3] == [
        "- Close your eyes!\n- Why?",
        "I knew that -",
        "- Shut up!",
    ]


def _random_srt(rng) -> str:
    words = [
        "bu",
        "gün",
        "biz",
        "şəhərin",
        "ən",
        "gözəl",
        "parkına",
        "getdik",
        "Anar",
        "Leyla",
        "və",
        "ki",
        "amma",
        "dedi",
        "salam",
    ]
    cues = []
    for number in range(rng.randint(1, 8)):
        lines = []
        for _ in range(rng.choice([1, 1, 2, 2, 3, 5])):
            line = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
            line += rng.choice(["", "", "", ".", "!", "?", ",", " -", "…"])
            line = ("- " + line) if rng.random() < 0.2 else line
            lines.append(f"<i>{line}</i>" if rng.random() < 0.1 else line)
        timing = f"00:00:{number:02d},000 --> 00:00:{number:02d},900"
        cues.append(f"{number + 1}\n{timing}\n" + "\n".join(lines))
    return "\n\n".join(cues) + "\n"


def test_random_files_keep_every_word_in_its_cue_and_never_an_empty_cue():
    srt_lib = pytest.importorskip("srt")
    rng = random.Random(17)

    def words(content: str) -> str:
        return " ".join(re.sub(r"<[^>]+>", "", content).split())

    for _ in range(200):
        text = _random_srt(rng)
        doc = SrtDocument.from_text(text)
        units = list(doc.units())
        # as long as its source: every word comes back in the cue it was in
        same = {
            u.id: Translated(u, TaggedText(u.source.text.upper(), u.source.tags), Origin.MACHINE)
            for u in units
        }
        before, after = srt_lib.parse(text), srt_lib.parse(write(doc, same))
        assert [words(c.content).upper() for c in before] == [words(c.content) for c in after]
        # shorter, longer or empty: no cue is empty, a cue is only removed with a warning
        other = {}
        for u in units:
            count = rng.choice([0, 1, len(u.source.text.split()) * 2])
            other[u.id] = Translated(u, TaggedText(" ".join(["söz"] * count)), Origin.MACHINE)
        out = list(srt_lib.parse(write(doc, other)))
        assert all(cue.content.strip() for cue in out)
        removed = len(list(srt_lib.parse(text))) - len(out)
        merged = [re.search(r"; cue (.+) merged into", w) for w in doc.warnings]
        assert removed == sum(len(m.group(1).split(", ")) for m in merged if m)
        assert removed >= 0 and out[-1].end == list(srt_lib.parse(text))[-1].end


def test_vtt_references_survive_a_careless_model():
    from doubles import CarelessEngine, translate_and_write

    document = VttDocument.from_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nSaat 02.00&nbsp;EST&lrm; başlayır &amp; bitir.\n"
    )
    text, _ = translate_and_write(document, CarelessEngine())
    assert "Saat 02.00&nbsp;EST&lrm; başlayır &amp; bitir." in text


def test_vtt_timing_line_right_after_cue_text_starts_the_next_cue(tmp_path):
    # WebVTT's parsing algorithm ends cue text at a line containing "-->": the next
    # cue may follow without a blank line, and its timing line is never text to translate.
    text = (
        "WEBVTT\n\n00:01.000 --> 00:02.000\nBirinci cümlə.\n"
        "00:02.500 --> 00:04.000\nİkinci cümlə.\n"
    )
    doc = load(tmp_path, VttDocument, text, "tight.az.vtt")
    units = list(doc.units())
    assert [u.source.text for u in units] == ["Birinci cümlə.", "İkinci cümlə."]
    assert [u.location for u in units] == ["cue 1, line 3", "cue 2, line 5"]
    english = ["The first sentence.", "The second sentence."]
    out = write(
        doc,
        {
            u.id: Translated(u, TaggedText(t), Origin.MACHINE)
            for u, t in zip(units, english, strict=True)
        },
    )
    assert out == (
        "WEBVTT\n\n00:01.000 --> 00:02.000\nThe first sentence.\n"
        "00:02.500 --> 00:04.000\nThe second sentence.\n"
    )


@pytest.mark.parametrize(
    "name, text",
    [
        ("boş.srt", "1\n00:00:01,000 --> 00:00:02,000\nSalam.\n\n"
                    "2\n00:00:02,000 --> 00:00:03,000\n\n\n"
                    "3\n00:00:03,000 --> 00:00:04,000\nSağ ol.\n"),
        ("boş.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nSalam.\n\n"
                    "00:00:02.000 --> 00:00:03.000\n\n"
                    "00:00:03.000 --> 00:00:04.000\nSağ ol.\n"),
    ],
)  # fmt: skip
def test_a_cue_without_text_is_kept_as_it_is(cli, table_engine, tmp_path, name, text):
    """A timing line with nothing under it (webvtt-py's test files have one) was a traceback."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    res = cli(["translate", path, "--to", "en", "--model", "d", "-o", tmp_path / "out"])
    assert res.code == 0, res.err
    out = next((tmp_path / "out").iterdir()).read_text("utf-8")
    texts = [
        [line.replace("&lt;", "<").replace("&gt;", ">") for line in cue] for cue in cue_texts(out)
    ]
    assert texts == [["<en> Salam."], [], ["<en> Sağ ol."]]
