"""TMX / PO / XLIFF / TSV import, TMX export round trip, and hostile or broken files."""

# ruff: noqa: E501  (the XML samples keep one element per line, as tools write them)

from __future__ import annotations

import pytest

from dilmanc.cli.options import flag
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
        ("az", "en", "The ministry published <x2/> report for <g1>2024 <x3/></g1>."),
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
    assert first.target_codes[1] == InlineCode("hi", '<hi type="b">', "</hi>")
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


# --- inline codes: kept as each file brought them, paired across sides by i / x -----------------

CODES_TMX = (
    HEAD
    + """<tmx version="1.4">
<header creationtool="t" creationtoolversion="1" segtype="sentence" o-tmf="t" adminlang="en"
        srclang="en" datatype="{datatype}"/>
<body>
<tu>
  <tuv xml:lang="en"><seg>The big <bpt i="1" x="1" type="bold">{b}</bpt>black<ept i="1">{eb}</ept> <bpt i="2" x="2" type="ulined">{u}</bpt>cat<ept i="2">{eu}</ept><ph x="3" type="lb">{br}</ph></seg></tuv>
  <tuv xml:lang="fr"><seg>Le gros <bpt i="2" x="2" type="ulined">{u}</bpt>chat<ept i="2">{eu}</ept> <bpt i="1" x="1" type="bold">{b}</bpt>noir<ept i="1">{eb}</ept><ph x="3" type="lb">{br}</ph></seg></tuv>
</tu>
</body>
</tmx>
"""
)
HTML_CODES = CODES_TMX.format(
    datatype="html", b="&lt;b>", eb="&lt;/b>", u="&lt;u>", eu="&lt;/u>", br="&lt;br/>"
)
RTF_CODES = CODES_TMX.format(datatype="rtf", b="{\\b ", eb="}", u="{\\ul ", eu="}", br="\\line ")
SAME_TEXT_XLIFF = (
    HEAD
    + """<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
 <file source-language="en" target-language="fr" datatype="plaintext" original="a.txt"><body>
  <trans-unit id="1" approved="yes"><source>The big <g id="1">black</g> <g id="2">cat</g><x id="3"/></source>
   <target>Le gros <g id="2">chat</g> <g id="1">noir</g><x id="3"/></target></trans-unit>
 </body></file>
</xliff>
"""
)


def _tuv_codes(tmx_bytes: bytes) -> list[tuple[tuple[str, tuple[bytes, ...]], ...]]:
    """Per <tu>: (language, the canonical XML of each inline code) for each <tuv>."""
    from lxml import etree

    root = etree.fromstring(tmx_bytes)
    out = []
    for tu in root.iter("tu"):
        tuvs = []
        for tuv in tu.iter("tuv"):
            seg = tuv.find("seg")
            codes = tuple(
                etree.tostring(el, method="c14n", with_tail=False) for el in seg.iterchildren()
            )
            tuvs.append((tuv.get("{http://www.w3.org/XML/1998/namespace}lang"), codes))
        out.append(tuple(tuvs))
    return out


@pytest.mark.parametrize(("later", "name"), [(RTF_CODES, "rtf.tmx"), (SAME_TEXT_XLIFF, "same.xlf")])
def test_native_codes_of_a_file_are_written_back_as_they_came(tmp_path, later, name):
    """A later file with the same text (other native codes, or none) must not replace the
    codes an earlier file brought: export writes each file's codes back, byte for byte in
    canonical XML, with i/x/type and content."""
    html = _write(tmp_path, HTML_CODES, "html.tmx")
    with Memory.open(tmp_path / "tm.db") as mem:
        mem.ingest(read_tmx(html))
        mem.ingest(read_units(_write(tmp_path, later, name)))
        write_tmx(tmp_path / "out.tmx", mem.units())
    exported = _tuv_codes((tmp_path / "out.tmx").read_bytes())
    (brought,) = _tuv_codes(html.read_bytes())
    assert brought in exported
    assert b'<bpt i="1" type="bold" x="1">&lt;b&gt;</bpt>' in brought[0][1]
    assert b'<ph type="lb" x="3">&lt;br/&gt;</ph>' in brought[1][1]
    if name == "rtf.tmx":
        assert _tuv_codes(RTF_CODES.encode())[0] in exported
    text = (tmp_path / "out.tmx").read_text(encoding="utf-8")
    assert 'datatype="html"' in text and ('datatype="rtf"' in text) == (name == "rtf.tmx")


def test_export_import_export_is_byte_identical_with_native_codes(tmp_path):
    with Memory.open(tmp_path / "a.db") as mem:
        mem.ingest(read_tmx(_write(tmp_path, HTML_CODES, "html.tmx")))
        mem.ingest(read_tmx(_write(tmp_path, RTF_CODES, "rtf.tmx")))
        mem.ingest(read_tmx(_write(tmp_path, RICH)))
        write_tmx(tmp_path / "one.tmx", mem.units())
    with Memory.open(tmp_path / "b.db") as mem:
        mem.ingest(read_tmx(tmp_path / "one.tmx"))
        write_tmx(tmp_path / "two.tmx", mem.units())
    one, two = (tmp_path / "one.tmx").read_bytes(), (tmp_path / "two.tmx").read_bytes()
    assert one == two and one.count(b"<tu ") == 8


def test_paired_codes_are_matched_across_sides_by_i_and_x(tmp_path):
    (unit,) = read_tmx(_write(tmp_path, HTML_CODES))
    assert unit.source == "The big <g1>black</g1> <g2>cat</g2><x3/>"
    # the French side opens the underline first, but it is still code 2: bold stays on noir
    assert unit.target == "Le gros <g2>chat</g2> <g1>noir</g1><x3/>"
    assert 'type="bold"' in unit.target_codes[1].open
    assert 'type="ulined"' in unit.target_codes[2].open


def test_a_memory_match_puts_the_bold_on_the_right_word(tmp_path):
    with Memory.open(tmp_path / "tm.db") as mem:
        mem.ingest(read_tmx(_write(tmp_path, HTML_CODES)))
        (exact,) = mem.lookup("The big <g1>black</g1> <g2>cat</g2><x3/>", "en", "fr")
        (fuzzy,) = mem.lookup("The big <g1>black</g1> <g2>dog</g2><x3/>", "en", "fr")
    assert exact.target == fuzzy.target == "Le gros <g2>chat</g2> <g1>noir</g1><x3/>"


def test_a_version_1_memory_is_renumbered_when_opened(tmp_path):
    """Memories written before codes were paired by i/x hold `<g1>chat</g1> <g2>noir</g2>`:
    opening one renumbers its targets, so re-importing the file merges instead of doubling."""
    import sqlite3

    from dilmanc.memory.model import renumber
    from dilmanc.memory.normalize import h128

    path = _write(tmp_path, HTML_CODES)
    with Memory.open(tmp_path / "tm.db") as mem:
        mem.ingest(read_tmx(path))
        (unit,) = mem.units()
    old_target, old_codes = renumber(unit.target, unit.target_codes, {1: 2, 2: 1})
    assert old_target == "Le gros <g1>chat</g1> <g2>noir</g2><x3/>"  # as version 1 stored it
    old = unit.with_(target=old_target, target_codes=old_codes)
    conn = sqlite3.connect(tmp_path / "tm.db")
    conn.execute(
        "UPDATE units SET target=?, extra=?, dkey=? WHERE id=?",
        (old_target, old.extra_json(), h128("en", "fr", unit.source, old_target, "\x00", "\x00"),
         unit.id),
    )  # fmt: skip
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    with Memory.open(tmp_path / "tm.db") as mem:
        (migrated,) = mem.units()
        assert migrated == unit
        assert mem.ingest(read_tmx(path)).added == 0


def test_codes_without_i_or_x_pair_by_order_and_unmatched_codes_pair_with_nothing(tmp_path):
    tmx = RICH.replace(
        '<tuv xml:lang="ru-RU" creationid="ivan"><prop type="x-tuv">ru</prop><seg>Министерство опубликовало отчёт за 2024 год.</seg>',
        '<tuv xml:lang="ru-RU" creationid="ivan"><prop type="x-tuv">ru</prop><seg><ph x="9">{9}</ph>Министерство <ph>[a]</ph> опубликовало <ph x="2">{0}</ph> отчёт за 2024 год.</seg>',
    )
    units = list(read_tmx(_write(tmp_path, tmx)))
    # en-GB: ph x=2 is the source's <x2/>; the <hi> (no x) takes the source's other paired
    # code by order; the <it> (no x) has no standalone left in the source: a new number
    assert units[0].target == "The ministry published <x2/> report for <g1>2024 <x3/></g1>."
    # ru-RU: x=9 matches nothing in the source (its own number); the ph without x takes the
    # source's first standalone code left (none: x2 is taken by x=2), so a new number
    assert units[1].target == "<x9/>Министерство <x3/> опубликовало <x2/> отчёт за 2024 год."


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
         "no srclang in the header or <tu>; pass src lang"),
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


def test_a_failing_import_leaves_the_memory_unchanged(tmp_path, tm_location):
    good = tmp_path / "good.tmx"
    write_tmx(
        good, [TMUnit(f"Cümlə nömrə {i}.", f"Sentence {i}.", "az", "en") for i in range(5000)]
    )
    data = good.read_text(encoding="utf-8")
    bad = _write(tmp_path, data.replace('xml:lang="en"', "", 1).replace("Sentence 4000.", "<"))
    with Memory.open(tm_location) as mem:
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
    assert units[0].props == (("x-context", "menu"),) and units[0].notes == (
        "comment: translator note",
    )
    assert (units[1].prev, units[1].next) == ("Open file", "One file")
    assert dict(skipped) == {"fuzzy": 1, "untranslated": 1}
    assert [u.src_lang for u in read_units(po, src_lang="en-GB")] == ["en"] * 3


def test_po_without_language_needs_tgt(tmp_path):
    po = tmp_path / "x.po"
    po.write_text('msgid "Open"\nmsgstr "Aç"\n', encoding="utf-8")
    with pytest.raises(InputError, match="no Language; pass tgt lang$") as err:
        list(read_units(po))
    assert err.value.line(flag).endswith("no Language; pass --tgt")  # the CLI's option
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
    # a trans-unit without a target is "untranslated" (the old importer said "not approved")
    assert dict(skipped) == {"not approved or translated": 1, "untranslated": 1}
    units = list(read_units(_write(tmp_path, XLIFF2, "b.xliff")))
    assert [(u.tgt_lang, u.source, u.target) for u in units] == [
        ("ru", "Salam <g1>dünya</g1>!", "Привет, <g1>мир</g1>!"),
        ("ru", "Sağ ol<x1/>.", "Спасибо<x1/>."),
    ]


def test_xliff_with_entities_is_refused(tmp_path):
    bad = XLIFF12.replace(HEAD, HEAD + '<!DOCTYPE xliff [<!ENTITY e "x">]>\n').replace(
        "Son söz.", "&e;"
    )
    with pytest.raises(InputError, match="line 2: DOCTYPE/ENTITY declarations are refused"):
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


def test_xliff_codes_are_matched_across_sides_by_id(tmp_path):
    (unit,) = read_units(_write(tmp_path, SAME_TEXT_XLIFF, "same.xlf"))
    assert unit.source == "The big <g1>black</g1> <g2>cat</g2><x3/>"
    assert unit.target == "Le gros <g2>chat</g2> <g1>noir</g1><x3/>"


def test_po_import_tags_placeholders_as_translate_does(tmp_path):
    """PO is read by the documents reader: a placeholder is the tag `translate` looks the
    memory up with, and a target's codes take the numbers of the source's same markup."""
    from dilmanc.documents.po import PoDocument

    po = _write(
        tmp_path,
        'msgid ""\nmsgstr ""\n"Language: az\\n"\n\n'
        '#, c-format\nmsgid "Copy %s to %d"\nmsgstr "%d-ə %s köçür"\n',
        "p.po",
    )
    (unit,) = read_units(po)
    assert (unit.source, unit.target) == ("Copy <x1/> to <x2/>", "<x2/>-ə <x1/> köçür")
    (doc_unit,) = PoDocument.load(po).units()
    assert doc_unit.source.render() == unit.source


def test_tmx_is_read_as_document_units_on_the_one_tag_model(tmp_path):
    """TMX has one reader (documents.tmx) giving `Unit`s with tagged text and codes; the
    memory's units are those units made memory units by memory.units."""
    from dilmanc.documents.base import InlineCode as Code
    from dilmanc.documents.tmx import read_tmx as read_tmx_units
    from dilmanc.memory.units import recorded_unit
    from dilmanc.text.tagged import TaggedText

    path = _write(tmp_path, RICH)
    units = list(read_tmx_units(path))
    first = units[0]
    assert isinstance(first.source, TaggedText) and first.approved
    assert first.source.render() == "Nazirlik <g1>2024-cü il</g1> üçün <x2/> hesabat dərc etdi."
    assert first.codes[1] == Code(
        1, "pair", "bpt", ('<bpt i="1">&lt;b&gt;</bpt>', '<ept i="1">&lt;/b&gt;</ept>')
    )
    assert [(c.name, c.kind) for c in first.target_codes.values()][:2] == [
        ("ph", "standalone"),
        ("hi", "pair"),
    ]
    assert (first.record.src_lang, first.record.tgt_lang, first.record.tuid) == ("az", "en", "r-1")
    assert [recorded_unit(u, path.name) for u in units] == list(read_tmx(path))


def test_tsv_is_read_as_document_units(tmp_path):
    from dilmanc.documents.tsv import read_tsv

    path = _write(tmp_path, "az\ten\tru\nSalam\tHello\tПривет\n", "t.tsv")
    units = list(read_tsv(path, tgt_lang="ru"))
    assert [
        (u.source.text, u.target.text, u.record.src_lang, u.record.tgt_lang) for u in units
    ] == [("Salam", "Привет", "az", "ru")]
    assert [u.approved for u in units] == [True]
