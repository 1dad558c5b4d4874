"""XLIFF 1.2 and 2.x: inline codes round-trip, states respected, hostile XML refused."""

from __future__ import annotations

import io

import pytest
from format_cli import one_line_error, refused, table_engine_fixture  # noqa: F401
from lxml import etree

from dilmanc.documents.base import Origin, Translated, UnitState
from dilmanc.documents.registry import open_document
from dilmanc.documents.xliff import XliffDocument
from dilmanc.errors import InputError, UsageError
from dilmanc.languages import resolve
from dilmanc.text.tagged import parse

EN, RU = resolve("en"), resolve("ru")
NS = {"x": "urn:oasis:names:tc:xliff:document:1.2", "x2": "urn:oasis:names:tc:xliff:document:2.0"}

V12 = """<?xml version="1.0" encoding="UTF-8"?>
<!-- sınaq faylı -->
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file original="app" source-language="az" datatype="plaintext">
    <body>
      <trans-unit id="t1">
        <source>Bu <g id="1" ctype="bold">qalın</g> sözdür<x id="2"/>, <bx id="3" rid="r1"/>keçid\
<ex id="4" rid="r1"/> və <bpt id="5">&lt;i&gt;</bpt>maili<ept id="5">&lt;/i&gt;</ept> \
<ph id="6">%s</ph>.</source>
        <note>Başlıq üçün qeyd</note>
      </trans-unit>
      <trans-unit id="t2" approved="yes">
        <source>Təsdiqlənib</source>
        <target>Approved</target>
      </trans-unit>
      <trans-unit id="t3">
        <source>Mövcud tərcümə</source>
        <target state="translated">Existing translation</target>
      </trans-unit>
      <trans-unit id="t4" translate="no">
        <source>Kod</source>
      </trans-unit>
      <group id="g1">
        <trans-unit id="t5">
          <source>Bir cümlə. İki cümlə.</source>
          <seg-source><mrk mtype="seg" mid="1">Bir cümlə.</mrk> <mrk mtype="seg" mid="2">İki \
<mrk mtype="protected">XYZ</mrk> cümlə.</mrk></seg-source>
        </trans-unit>
      </group>
    </body>
  </file>
</xliff>
"""

V2 = """<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="az">
  <file id="f1">
    <unit id="u1">
      <notes><note>Düymə mətni</note></notes>
      <originalData><data id="d1">&lt;br/&gt;</data></originalData>
      <segment id="s1">
        <source>Salam <pc id="1" dataRefStart="x">dünya</pc><ph id="2" dataRef="d1"/> və \
<sc id="3"/>qalın<ec startRef="3"/> <mrk id="m1" translate="no">API</mrk>.</source>
      </segment>
      <ignorable><source> </source></ignorable>
      <segment id="s2" state="final">
        <source>Son</source>
        <target>Final</target>
      </segment>
      <segment id="s3" state="translated">
        <source>Tərcümə olunub</source>
        <target>Translated</target>
      </segment>
    </unit>
  </file>
</xliff>
"""


def load(tmp_path, text: str | bytes, name: str = "app.az.xlf") -> XliffDocument:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return XliffDocument.load(path)


def write(doc, lang, translations) -> bytes:
    out = io.BytesIO()
    doc.write(out, lang, translations)
    return out.getvalue()


def translated(doc, texts: dict[str, str], origin=Origin.MACHINE) -> dict[str, Translated]:
    units = {u.id: u for u in doc.units()}
    return {uid: Translated(units[uid], parse(text).tagged, origin) for uid, text in texts.items()}


def test_v12_units_codes_notes_and_states(tmp_path):
    doc = load(tmp_path, V12)
    units = {u.id: u for u in doc.units()}
    assert list(units) == ["t1", "t2", "t3", "t5#1", "t5#2"]  # translate="no" not yielded
    t1 = units["t1"]
    assert t1.source.render() == (
        "Bu <g1>qalın</g1> sözdür<x2/>, <g3>keçid</g3> və <g4>maili</g4> <x5/>."
    )
    kinds = {k: (c.kind, c.name) for k, c in t1.codes.items()}
    assert kinds == {
        1: ("pair", "g"),
        2: ("standalone", "x"),
        3: ("pair", "bx"),
        4: ("pair", "bpt"),
        5: ("standalone", "ph"),
    }
    assert t1.notes == ("Başlıq üçün qeyd",) and t1.location == "trans-unit 't1', line 7"
    assert units["t2"].translate is False and units["t2"].target.text == "Approved"
    assert units["t3"].state == UnitState.REVIEWED and units["t3"].translate is True
    assert units["t5#2"].source.render() == "İki <x1/> cümlə."  # protected mrk: standalone


def test_nothing_to_change_is_byte_identical(tmp_path):
    for text in (V12, V2):
        doc = load(tmp_path, text)
        assert write(doc, EN, {}) == text.encode()
        kept = {u.id: Translated(u, u.target or u.source, Origin.KEPT) for u in doc.units()}
        kept = {k: v for k, v in kept.items() if v.unit.target is not None}
        assert write(doc, EN, kept) == text.encode()


def test_v12_targets_rebuilt_from_moved_tags(tmp_path):
    doc = load(tmp_path, V12)
    texts = {
        "t1": "This <g1>word</g1> is bold<x2/>, <g4>italic</g4> and <g3>link</g3> <x5/>.",
        "t2": "Overwritten?",
        "t3": "Replaced translation",
        "t5#1": "One sentence.",
        "t5#2": "Two <x1/> sentences.",
    }
    out = write(doc, EN, translated(doc, texts))
    root = etree.fromstring(out)
    assert root.find("x:file", NS).get("target-language") == "en"
    target = root.find(".//x:trans-unit[@id='t1']/x:target", NS)
    assert target.get("state") == "needs-review-translation"
    assert target.get("state-qualifier") == "mt-suggestion"
    xml = etree.tostring(target, encoding="unicode")
    assert '<g id="1" ctype="bold">word</g> is bold<x id="2"/>' in xml
    assert '<bpt id="5">&lt;i&gt;</bpt>italic<ept id="5">&lt;/i&gt;</ept> and ' in xml
    assert '<bx id="3" rid="r1"/>link<ex id="4" rid="r1"/> <ph id="6">%s</ph>.' in xml
    # the target comes right after its source, the note stays after it
    tu = root.find(".//x:trans-unit[@id='t1']", NS)
    assert [etree.QName(c).localname for c in tu] == ["source", "target", "note"]
    # approved: never overwritten; other existing targets: replaced when the pipeline says so
    assert root.find(".//x:trans-unit[@id='t2']/x:target", NS).text == "Approved"
    assert root.find(".//x:trans-unit[@id='t3']/x:target", NS).text == "Replaced translation"
    seg_target = root.find(".//x:trans-unit[@id='t5']/x:target", NS)
    assert etree.tostring(seg_target, encoding="unicode", with_tail=False).endswith(
        '<mrk mtype="seg" mid="1">One sentence.</mrk> <mrk mtype="seg" mid="2">Two '
        '<mrk mtype="protected">XYZ</mrk> sentences.</mrk></target>'
    )
    assert out.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- s\xc4\xb1naq')
    # read back: the targets carry the same tags
    again = {u.id: u for u in load(tmp_path, out, "app.en.xlf").units()}
    # (read back, tags are numbered in their new order of appearance)
    assert again["t1"].target.render() == (
        "This <g1>word</g1> is bold<x2/>, <g3>italic</g3> and <g4>link</g4> <x5/>."
    )
    assert again["t1"].state == UnitState.MACHINE
    assert again["t5#2"].target.render() == "Two <x1/> sentences."


def test_memory_origin_and_repeated_writes(tmp_path):
    doc = load(tmp_path, V12)
    first = write(
        doc, EN, translated(doc, {"t1": "Once <g1>more</g1><x2/><g3>a</g3><g4>b</g4><x5/>"})
    )
    second = write(doc, EN, translated(doc, {"t3": "From memory"}, Origin.TM_EXACT))
    assert b"Once" in first and b"Once" not in second
    target = etree.fromstring(second).find(".//x:trans-unit[@id='t3']/x:target", NS)
    assert (target.get("state"), target.get("state-qualifier")) == ("translated", "exact-match")


def test_v2_codes_states_and_target_language(tmp_path):
    doc = load(tmp_path, V2, "app.xlf")
    units = {u.id: u for u in doc.units()}
    assert list(units) == ["u1#s1", "u1#s2", "u1#s3"]
    s1 = units["u1#s1"]
    assert s1.source.render() == "Salam <g1>dünya</g1><x2/> və <g3>qalın</g3> <x4/>."
    assert [c.name for c in s1.codes.values()] == ["pc", "ph", "sc", "mrk"]
    assert s1.notes == ("Düymə mətni",)
    assert units["u1#s2"].translate is False  # final: locked
    assert units["u1#s3"].state == UnitState.REVIEWED and units["u1#s3"].translate is True
    texts = {
        "u1#s1": "<g3>Bold</g3> hello <g1>world</g1><x2/> <x4/>.",
        "u1#s2": "Never written",
    }
    out = write(doc, EN, translated(doc, texts))
    root = etree.fromstring(out)
    assert root.get("trgLang") == "en"
    segment = root.find(".//x2:segment[@id='s1']", NS)
    assert (segment.get("state"), segment.get("subState")) == ("translated", "dilmanc:mt")
    xml = etree.tostring(segment.find("x2:target", NS), encoding="unicode", with_tail=False)
    assert xml.endswith(
        '><sc id="3"/>Bold<ec startRef="3"/> hello <pc id="1" dataRefStart="x">world</pc>'
        '<ph id="2" dataRef="d1"/> <mrk id="m1" translate="no">API</mrk>.</target>'
    )
    assert root.find(".//x2:segment[@id='s2']/x2:target", NS).text == "Final"
    assert b"<ignorable><source> </source></ignorable>" in out


def test_declared_target_language_must_match(tmp_path):
    doc = load(tmp_path, V12.replace('datatype="plaintext"', 'target-language="ru"'))
    doc.check_target(RU)
    with pytest.raises(UsageError, match="declares target language 'ru', not en"):
        write(doc, EN, {})


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xliff version="1.2"><file><body><trans-unit id="1"><source>&lol4;</source></trans-unit>
</body></file></xliff>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE xliff [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xliff version="1.2"><file><body><trans-unit id="1"><source>&xxe;</source></trans-unit>
</body></file></xliff>
"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (BILLION_LAUGHS, "line 2: DOCTYPE/ENTITY declarations are refused"),
        (EXTERNAL, "line 2: DOCTYPE/ENTITY declarations are refused"),
        (V12.replace("</note>", "</nota>"), "line 8: not well-formed XML"),
        (V12.replace("<source>Mövcud tərcümə</source>", ""), "line 14: <trans-unit> has no"),
        ('<?xml version="1.0"?>\n<html><body/></html>', "line 2: not XLIFF"),
        (V12.replace('id="t3"', 'id="t1"'), "line 14: duplicate trans-unit id 't1'"),
        (
            V12.replace('version="1.2"', 'version="3.0"').replace(
                ' xmlns="urn:oasis:names:tc:xliff:document:1.2"', ""
            ),
            "unsupported XLIFF version '3.0'",
        ),
    ],
)
def test_bad_and_hostile_input_is_one_line(tmp_path, content, message):
    path = tmp_path / "bad.xlf"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        XliffDocument.load(path)
    assert "\n" not in str(info.value) and "bad.xlf" in str(info.value)
    assert "root:" not in str(info.value)  # nothing from /etc/passwd, nothing expanded


def test_registry(tmp_path):
    path = tmp_path / "strings.az.xliff"
    path.write_text(V2)
    assert isinstance(open_document(path), XliffDocument)
    assert XliffDocument.sniff(V12.encode()[:200]) and not XliffDocument.sniff(b"msgid")


# --- end to end: dilmanc translate --------------------------------------------------------------


def test_cli_xliff_moves_codes_and_respects_approval(cli, table_engine, tmp_path):
    table_engine.table["Bu <g1>qalın</g1> sözdür<x2/>, <g3>keçid</g3> və <g4>maili</g4> <x5/>."] = (
        "This <g1>bold</g1> word<x2/>, <g4>italic</g4> and <g3>link</g3> <x5/>."
    )
    path = tmp_path / "app.az.xlf"
    path.write_text(V12, encoding="utf-8")
    out = tmp_path / "out"
    res = cli(["translate", path, "--to", "en", "--model", "d", "-o", out, "--overwrite"])
    assert res.code == 0, res.err
    root = etree.fromstring((out / "app.en.xlf").read_bytes())
    xml = etree.tostring(root.find(".//x:trans-unit[@id='t1']/x:target", NS), encoding="unicode")
    assert (
        '<g id="1" ctype="bold">bold</g> word<x id="2"/>, <bpt id="5">&lt;i&gt;</bpt>italic' in xml
    )
    assert '<bx id="3" rid="r1"/>link<ex id="4" rid="r1"/>' in xml
    # approved="yes" is never written over, not even with --overwrite
    assert root.find(".//x:trans-unit[@id='t2']/x:target", NS).text == "Approved"
    assert root.find(".//x:trans-unit[@id='t3']/x:target", NS).text.startswith("<en> ")


@pytest.mark.parametrize("content", [BILLION_LAUGHS, EXTERNAL, V12.replace("</note>", "")])
def test_cli_hostile_or_broken_xliff_is_refused_without_output(
    cli, table_engine, tmp_path, content
):
    data = content.encode("utf-8")
    line = refused(
        cli, tmp_path / "bad.xlf", table_engine, data=data, args=("--to", "en", "--model", "d")
    )
    assert "bad.xlf: line " in line


def test_printf_and_icu_in_source_text_survive_a_careless_model(tmp_path):
    from doubles import CarelessEngine, translate_and_write

    path = tmp_path / "app.xlf"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">'
        '<file source-language="az" datatype="plaintext" original="x"><body>'
        '<trans-unit id="1"><source>Fayl %s tapılmadı, ${resultCount} nəticə</source></trans-unit>'
        '<trans-unit id="2"><source>{VAR_PLURAL, plural, =0 {heç kim} other '
        '{<x id="INTERPOLATION" equiv-text="{{n}}"/> nəfər}}</source></trans-unit>'
        "</body></file></xliff>",
        encoding="utf-8",
    )
    engine = CarelessEngine({"heç kim": "nobody", "nəfər": "people"})
    data, _ = translate_and_write(XliffDocument.load(path), engine)
    root = etree.fromstring(data)
    targets = ["".join(t.itertext()) for t in root.iterfind(".//x:target", NS)]
    assert targets[0].count("%s") == 1 and targets[0].count("${resultCount}") == 1
    second = etree.tostring(root.findall(".//x:target", NS)[1], encoding="unicode")
    assert "{VAR_PLURAL, plural, =0 {nobody} other {<x " in second and "/> people}}" in second
    assert not any("plural" in seen for seen in engine.seen)


def _flagged(items: dict[str, Translated], verdict: str, reason: str) -> dict[str, Translated]:
    from dataclasses import replace

    from dilmanc.qe import Assessment, Finding

    found = Assessment(verdict, None, (Finding(reason, verdict, "x"),))
    return {uid: replace(item, qe=found) for uid, item in items.items()}


@pytest.mark.parametrize("verdict", ["review", "bad"])
def test_qe_flagged_targets_need_review_and_are_redone(tmp_path, verdict):
    doc = load(tmp_path, V12)
    items = translated(doc, {"t3": "From memory"}, Origin.TM_EXACT)
    out = write(doc, EN, _flagged(items, verdict, "number"))
    target = etree.fromstring(out).find(".//x:trans-unit[@id='t3']/x:target", NS)
    assert target.get("state") == "needs-review-translation"
    assert target.get("state-qualifier") == f"x-dilmanc-qe-{verdict}"
    again = {u.id: u for u in load(tmp_path, out, "again.xlf").units()}
    assert again["t3"].state == UnitState.MACHINE  # not taken for a person's approval
    doc2 = load(tmp_path, V2, "app.xlf")
    out2 = write(doc2, EN, _flagged(translated(doc2, {"u1#s3": "Done"}), verdict, "loop"))
    segment = etree.fromstring(out2).find(".//x2:segment[@id='s3']", NS)
    assert segment.get("subState") == f"dilmanc:qe-{verdict}"
    assert {u.id: u for u in load(tmp_path, out2, "b.xlf").units()}["u1#s3"].state == (
        UnitState.MACHINE
    )
