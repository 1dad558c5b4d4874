"""TMX / PO / XLIFF / TSV import, TMX export round trip, and hostile or broken files."""

# ruff: noqa: E501  (the XML samples keep one element per line, as tools write them)

from __future__ import annotations

import pytest

from dilmanc.errors import InputError, UsageError
from dilmanc.memory import InlineCode, Memory, TMUnit
from dilmanc.memory.importers import Skipped, read_units
from dilmanc.memory.tmx import read_tmx, write_tmx

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'

RICH = (
    HEAD
    + """<!DOCTYPE tmx SYSTEM "tmx14.dtd">
<tmx version="1.4">
<header creationtool="t" creationtoolversion="1" segtype="sentence" o-tmf="t"
        adminlang="en-US" srclang="az-Latn-AZ" datatype="plaintext"/>
<body>
<tu tuid="r-1" creationdate="20240105T101500Z" creationid="leyla" changedate="20240301T080000Z"
    changeid="orxan">
  <prop type="x-domain">mətbuat</prop><prop type="x-domain">hesabat</prop>
  <note>yoxlanılıb</note>
  <prop type="prev">Giriş cümləsi.</prop>
  <tuv xml:lang="az-Latn-AZ"><seg>Nazirlik <bpt i="1">&lt;b&gt;</bpt>2024-cü il<ept i="1">&lt;/b&gt;</ept> üçün <ph x="2">{0}</ph> hesabat dərc etdi.</seg></tuv>
  <tuv xml:lang="en-GB"><seg>The ministry published <ph x="2">{0}</ph> report for <hi type="b">2024 <it pos="begin">[</it></hi>.</seg></tuv>
  <tuv xml:lang="ru-RU" creationid="ivan"><prop type="x-tuv">ru</prop><seg>Министерство опубликовало отчёт за 2024 год.</seg></tuv>
</tu>
<tu tuid="r-2" srclang="*all*">
  <tuv xml:lang="az"><seg>Salam, dünya!</seg></tuv>
  <tuv xml:lang="en-US"><seg>Hello, world!</seg></tuv>
</tu>
<tu>
  <tuv xml:lang="az"><seg>Yeni layihə başlayır.</seg></tuv>
  <tuv xml:lang="en"><seg>A new project starts.</seg></tuv>
  <tuv xml:lang="en"><seg>A new project is starting.</seg></tuv>
</tu>
</body>
</tmx>
"""
)


def _write(tmp_path, text: str, name="in.tmx"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _fields(unit: TMUnit) -> tuple:
    return unit.with_(id=None)


def test_tmx_import_languages_codes_metadata(tmp_path):
    units = list(read_tmx(_write(tmp_path, RICH)))
    pairs = [(u.src_lang, u.tgt_lang, u.target) for u in units]
    assert pairs[:2] == [
        ("az", "en", "The ministry published <x1/> report for <g2>2024 <x3/></g2>."),
        ("az", "ru", "Министерство опубликовало отчёт за 2024 год."),
    ]
    # srclang="*all*": both directions; several tuv of one language: one unit each
    assert ("az", "en", "Hello, world!") in pairs and ("en", "az", "Salam, dünya!") in pairs
    assert ("az", "en", "A new project is starting.") in pairs and len(units) == 6
    first = units[0]
    assert first.source == "Nazirlik <g1>2024-cü il</g1> üçün <x2/> hesabat dərc etdi."
    assert first.source_codes == {
        1: InlineCode("bpt", '<bpt i="1">&lt;b&gt;</bpt>', '<ept i="1">&lt;/b&gt;</ept>'),
        2: InlineCode("ph", '<ph x="2">{0}</ph>'),
    }
    assert first.target_codes[2] == InlineCode("hi", '<hi type="b">', "</hi>")
    assert first.target_codes[3] == InlineCode("it", '<it pos="begin">[</it>')
    assert (first.tuid, first.creation_id, first.created) == ("r-1", "leyla", "20240105T101500Z")
    assert (first.change_id, first.changed, first.prev, first.next) == (
        "orxan", "20240301T080000Z", "Giriş cümləsi.", None,
    )  # fmt: skip
    assert first.props == (("x-domain", "mətbuat"), ("x-domain", "hesabat"))
    assert first.notes == ("yoxlanılıb",) and first.origin == "in.tmx"
    assert units[1].creation_id == "leyla"  # the tu's attribute wins over the tuv's
    assert units[1].props[-1] == ("x-tuv", "ru")


def test_keep_variants_and_language_filters(tmp_path):
    path = _write(tmp_path, RICH)
    kept = list(read_tmx(path, keep_variants=True))
    assert (kept[0].src_lang, kept[0].tgt_lang) == ("az-Latn-AZ", "en-GB")
    only_ru = list(read_tmx(path, tgt_lang="ru"))
    assert [u.tgt_lang for u in only_ru] == ["ru"]
    from_en = list(read_tmx(path, src_lang="en"))
    assert {(u.src_lang, u.tgt_lang) for u in from_en} == {("en", "az"), ("en", "ru")}


def test_export_then_import_gives_back_the_same_units(tmp_path):
    first = tmp_path / "first.db"
    with Memory.open(first) as mem:
        mem.add_units(read_tmx(_write(tmp_path, RICH)))
        mem.add_units(
            [
                TMUnit("Bu <g1>çox</g1> vacibdir <x2/> & <b>.", "This is <g1>very</g1> important.",
                       "az", "en", prev="Əvvəlki.", next="Sonrakı.", notes=("a", "b"),
                       props=(("x-k", 'dırnaq "işarəsi" <>'),), tuid="t9", origin="dilmanc tm add")
            ]
        )  # fmt: skip
        before = [_fields(u) for u in mem.units()]
        assert write_tmx(tmp_path / "out.tmx", mem.units()) == len(before) == 7
    with Memory.open(tmp_path / "second.db") as mem:
        result = mem.ingest(read_tmx(tmp_path / "out.tmx"))
        assert (result.added, result.merged) == (7, 0)
        after = [_fields(u) for u in mem.units()]
    assert after == before
    added = after[-1]
    assert added.target_codes[1] == InlineCode("bpt", '<bpt i="1"/>', '<ept i="1"/>')
    assert added.source_codes[2] == InlineCode("ph", '<ph x="2"/>')
    # and importing the export again into the first memory doubles nothing
    with Memory.open(first) as mem:
        assert mem.ingest(read_tmx(tmp_path / "out.tmx")).added == 0
        assert mem.stats().units == 7


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEAD + "<tmx><header srclang='az'/><body><tu><tuv xml:lang='az'><seg>a</seg></tuv>\n"
         "<tuv xml:lang='en'><seg>b</seg></tu></body></tmx>", "line 3: malformed TMX"),
        (HEAD + '<!DOCTYPE tmx [<!ENTITY boom "x">]>\n<tmx><header srclang="az"/><body>'
         "<tu><tuv xml:lang='az'><seg>&boom;</seg></tuv></tu></body></tmx>", "DOCTYPE with entities"),
        (HEAD + '<!DOCTYPE tmx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>\n'
         "<tmx><body/></tmx>", "refused"),
        (HEAD + '<!DOCTYPE tmx SYSTEM "http://example.org/tmx14.dtd">\n<tmx><body/></tmx>',
         "refused"),
        (HEAD + "<tmx><header srclang='az'/><body>\n<tu><tuv><seg>a</seg></tuv></tu></body></tmx>",
         "line 3: <tuv> has no xml:lang"),
        (HEAD + "<tmx><header srclang='az'/><body>\n\n<tu><tuv xml:lang='az'><seg>a</seg></tuv>"
         "<tuv xml:lang='english!'><seg>b</seg></tuv></tu></body></tmx>", "line 4: <tuv> has an "
         "invalid xml:lang 'english!'"),
        (HEAD + "<tmx><header srclang='az'/><body>\n<tu><tuv xml:lang='en'><seg>a</seg></tuv>"
         "<tuv xml:lang='ru'><seg>b</seg></tuv></tu></body></tmx>",
         "line 3: <tu> has no <tuv> in its source language az"),
        (HEAD + "<tmx><header/><body>\n<tu><tuv xml:lang='az'><seg>a</seg></tuv></tu></body></tmx>",
         "no srclang in the header or <tu>; pass --src"),
        (HEAD + "<xliff version='1.2'/>", "line 2: not a TMX file (root element <xliff>"),
        ("az\ten\nSalam\tHello\n", "line 1: not an XML file"),
        ("", "line 1: "),
    ],
)  # fmt: skip
def test_bad_tmx_is_one_line_with_its_line_number(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as err:
        list(read_tmx(path))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_truncated_tmx_names_the_line(tmp_path):
    good = tmp_path / "good.tmx"
    write_tmx(good, [TMUnit(f"Cümlə nömrə {i}.", f"Sentence {i}.", "az", "en") for i in range(50)])
    data = good.read_bytes()
    cut = _write(tmp_path, data[: len(data) * 2 // 3].decode("utf-8", "ignore"), "cut.tmx")
    with pytest.raises(InputError, match=r"cut.tmx: line \d+: malformed TMX"):
        list(read_tmx(cut))


def test_a_failing_import_leaves_the_memory_unchanged(tmp_path):
    good = tmp_path / "good.tmx"
    write_tmx(
        good, [TMUnit(f"Cümlə nömrə {i}.", f"Sentence {i}.", "az", "en") for i in range(5000)]
    )
    data = good.read_text(encoding="utf-8")
    bad = _write(tmp_path, data.replace('xml:lang="en"', "", 1).replace("Sentence 4000.", "<"))
    with Memory.open(tmp_path / "tm.db") as mem:
        mem.add_units([TMUnit("Əvvəlcədən.", "Beforehand.", "az", "en")])
        with pytest.raises(InputError, match="has no xml:lang"):
            mem.ingest(read_tmx(bad))
        assert [u.source for u in mem.units()] == ["Əvvəlcədən."]
        assert mem.search("cümlə") == []


def test_po_import(tmp_path):
    po = tmp_path / "ui.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: az\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '# translator note\nmsgctxt "menu"\nmsgid "Open file"\nmsgstr "Faylı aç"\n\n'
        '#, fuzzy\nmsgid "Close"\nmsgstr "Bağla"\n\n'
        'msgid "Save"\nmsgstr ""\n\n'
        'msgid "Exit"\nmsgstr "Çıxış"\n\n'
        'msgid "One file"\nmsgid_plural "%d files"\nmsgstr[0] "Bir fayl"\nmsgstr[1] "%d fayl"\n',
        encoding="utf-8",
    )
    skipped = Skipped()
    units = list(read_units(po, skipped=skipped))
    assert [(u.src_lang, u.tgt_lang, u.source, u.target) for u in units] == [
        ("en", "az", "Open file", "Faylı aç"),
        ("en", "az", "Exit", "Çıxış"),
        ("en", "az", "One file", "Bir fayl"),
    ]
    assert units[0].props == (("x-context", "menu"),) and units[0].notes == ("translator note",)
    assert (units[1].prev, units[1].next) == ("Open file", "One file")
    assert dict(skipped) == {"fuzzy": 1, "untranslated": 1}
    assert [u.src_lang for u in read_units(po, src_lang="en-GB")] == ["en"] * 3


def test_po_without_language_needs_tgt(tmp_path):
    po = tmp_path / "x.po"
    po.write_text('msgid "Open"\nmsgstr "Aç"\n', encoding="utf-8")
    with pytest.raises(InputError, match="no Language; pass --tgt"):
        list(read_units(po))
    assert [u.tgt_lang for u in read_units(po, tgt_lang="az")] == ["az"]


XLIFF12 = (
    HEAD
    + """<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
 <file source-language="az" target-language="en-GB" datatype="plaintext" original="a.txt">
  <body>
   <group id="g">
    <trans-unit id="1" approved="yes"><source>Bu <g id="b">vacib</g> xəbərdir<x id="x1"/>.</source>
      <target>This is <g id="b">important</g> news<x id="x1"/>.</target></trans-unit>
   </group>
   <trans-unit id="2"><source>Qaralama.</source><target state="needs-review-translation">Draft.</target></trans-unit>
   <trans-unit id="3"><source>Son söz.</source><target state="final">Last word.</target></trans-unit>
   <trans-unit id="4"><source>Boş.</source></trans-unit>
  </body>
 </file>
</xliff>
"""
)

XLIFF2 = (
    HEAD
    + """<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="az" trgLang="ru">
 <file id="f1">
  <unit id="u1">
   <segment state="reviewed"><source>Salam <pc id="1">dünya</pc>!</source><target>Привет, <pc id="1">мир</pc>!</target></segment>
   <segment state="initial"><source>Yox.</source><target>Нет.</target></segment>
   <segment state="final"><source>Sağ ol<ph id="2"/>.</source><target>Спасибо<ph id="2"/>.</target></segment>
  </unit>
 </file>
</xliff>
"""
)


def test_xliff_12_and_2_import_only_approved_segments(tmp_path):
    skipped = Skipped()
    units = list(read_units(_write(tmp_path, XLIFF12, "a.xlf"), skipped=skipped))
    assert [(u.src_lang, u.tgt_lang, u.source, u.target) for u in units] == [
        ("az", "en", "Bu <g1>vacib</g1> xəbərdir<x2/>.", "This is <g1>important</g1> news<x2/>."),
        ("az", "en", "Son söz.", "Last word."),
    ]
    assert units[0].tuid == "1" and units[1].prev == units[0].source
    assert dict(skipped) == {"not approved or translated": 2}
    units = list(read_units(_write(tmp_path, XLIFF2, "b.xliff")))
    assert [(u.tgt_lang, u.source, u.target) for u in units] == [
        ("ru", "Salam <g1>dünya</g1>!", "Привет, <g1>мир</g1>!"),
        ("ru", "Sağ ol<x1/>.", "Спасибо<x1/>."),
    ]


def test_xliff_with_entities_is_refused(tmp_path):
    bad = XLIFF12.replace(HEAD, HEAD + '<!DOCTYPE xliff [<!ENTITY e "x">]>\n').replace(
        "Son söz.", "&e;"
    )
    with pytest.raises(InputError, match="DOCTYPE with entities"):
        list(read_units(_write(tmp_path, bad, "e.xlf")))


def test_tsv_import_and_errors(tmp_path):
    tsv = _write(tmp_path, "az\ten-GB\tru\nSalam\tHello\tПривет\nSağ ol\t\tСпасибо\n", "t.tsv")
    skipped = Skipped()
    units = list(read_units(tsv, skipped=skipped))
    assert [(u.tgt_lang, u.target) for u in units] == [
        ("en", "Hello"), ("ru", "Привет"), ("ru", "Спасибо"),
    ]  # fmt: skip
    assert dict(skipped) == {"empty": 1}
    assert [u.target for u in read_units(tsv, tgt_lang="ru")] == ["Привет", "Спасибо"]
    with pytest.raises(InputError, match="line 1: column 2 header 'target'"):
        list(read_units(_write(tmp_path, "az\ttarget\na\tb\n", "h.tsv")))
    with pytest.raises(InputError, match="line 3: 3 columns, but the header has 2"):
        list(read_units(_write(tmp_path, "az\ten\na\tb\nc\td\te\n", "c.tsv")))
    with pytest.raises(UsageError, match="no de column"):
        read_units(tsv, tgt_lang="de")
    with pytest.raises(UsageError, match="cannot tell the format"):
        read_units(tmp_path / "x.docx")
