"""Markdown documents: units located in the source, markup kept byte for byte, structure kept."""

from __future__ import annotations

import io
import re

import pytest
from doubles import ScriptedEngine, translate_document
from format_cli import one_line_error, table_engine_fixture  # noqa: F401
from markdown_it import MarkdownIt

from dilmanc.documents.base import Origin, Translated
from dilmanc.documents.markdown import MarkdownDocument
from dilmanc.documents.registry import open_document
from dilmanc.errors import InputError
from dilmanc.languages import resolve
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, TAG_PATTERN, Tag, TaggedText

EN = resolve("en")

SAMPLE = """---
title: Hesabat
tags: [bir, iki]
---

# Şəhərin *yeni* parkı #

Bakıda `npm install` əmri ilə [yeni sayt](https://nümunə.az "Sayt") açıldı.
Sakinlər **çox** sevindilər \\*ulduzla\\* &amp; <span>qeyd</span>{hard}
ikinci sətir ![şəkil](park.png) <https://park.az> və [istinad] oxuyun.

> Bu bir sitatdır
> iki sətirdə.

- Birinci _maddə_
- İkinci maddə
  davamı ilə

| Ad | Qiymət \\| qeyd |
|----|-----|
| Alma | `5 AZN` |

```python
print("salam dünya")
```

    girinti ilə kod

<div>
HTML blok toxunulmur
</div>

[istinad]: https://istinad.az
""".format(hard="  ")


def load(tmp_path, text: str, name: str = "doc.az.md", raw: bytes | None = None):
    path = tmp_path / name
    path.write_bytes(raw if raw is not None else text.encode())
    return MarkdownDocument.load(path)


def write(doc, translations) -> str:
    out = io.StringIO()
    doc.write(out, EN, translations)
    return out.getvalue()


def identity(doc) -> dict[str, Translated]:
    return {u.id: Translated(u, u.source, Origin.MACHINE) for u in doc.units()}


def structure(text: str) -> list[tuple[str, str]]:
    """Block and inline token types of a rendering, without the words."""
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    out = []
    for token in md.parse(text):
        out.append((token.type, token.tag))
        for child in token.children or []:
            if child.type not in ("text", "softbreak", "text_special"):
                out.append((child.type, child.attrs.get("href", "") if child.attrs else ""))
    return out


def test_units_kinds_and_codes(tmp_path):
    doc = load(tmp_path, SAMPLE)
    units = list(doc.units())
    kinds = [u.location.split(",")[0] for u in units]
    assert kinds == [
        "heading",
        "paragraph",
        "blockquote",
        "list item",
        "list item",
        "table cell",
        "table cell",
        "table cell",
    ]
    heading, para = units[0], units[1]
    assert heading.source.render() == "Şəhərin <g1>yeni</g1> parkı"
    assert heading.codes[1].data == ("*", "*")
    assert para.source.text.startswith("Bakıda  əmri ilə yeni sayt açıldı. Sakinlər çox")
    names = [c.name for c in para.codes.values()]
    assert names == ["code", "link", "strong", "html", "html", "break", "image", "autolink", "link"]
    assert para.codes[1].data == "`npm install`"
    assert para.codes[2].data == ("[", '](https://nümunə.az "Sayt")')
    assert para.codes[6].data == "  \n"
    assert para.codes[7].data == "![şəkil](park.png)"
    # a shortcut reference link spells its label out, so a translated text still finds it
    assert para.codes[9].data == ("[", "][istinad]")
    assert "*ulduzla* &" in para.source.text  # escapes and entities read as the characters
    assert units[2].source.text == "Bu bir sitatdır iki sətirdə."
    assert units[6].source.text == "Qiymət | qeyd"
    everything = " ".join(u.source.text for u in units)
    for kept in ("Hesabat", "salam", "girinti", "HTML blok", "5 AZN"):
        assert kept not in everything
    assert units[1].prev == units[0].source.text and units[1].next == units[2].source.text


def test_identity_is_byte_identical_including_crlf_and_bom(tmp_path):
    doc = load(tmp_path, SAMPLE)
    assert write(doc, identity(doc)) == SAMPLE
    crlf = SAMPLE.replace("\n", "\r\n")
    raw = b"\xef\xbb\xbf" + crlf.encode()
    doc = load(tmp_path, "", "crlf.md", raw=raw)
    assert len(list(doc.units())) == 8
    assert write(doc, identity(doc)).encode() == raw


def test_moved_tags_put_markup_on_new_words_and_structure_is_kept(tmp_path):
    doc = load(tmp_path, SAMPLE)
    units = list(doc.units())
    translations = {}
    # heading: emphasis moves to another word
    target = TaggedText.from_parts(["The ", Tag(1, OPEN), "city", Tag(1, CLOSE), " has a park"])
    translations["1"] = Translated(units[0], target, Origin.MACHINE)
    # every other unit: the tags kept in order, words replaced
    for unit in units[1:]:
        parts = []
        for part in unit.source.parts():
            parts.append(re.sub(r"\S+", "www", part) if isinstance(part, str) else part)
        translations[unit.id] = Translated(unit, TaggedText.from_parts(parts), Origin.MACHINE)
    out = write(doc, translations)
    assert "# The *city* has a park #\n" in out
    assert '[www www](https://nümunə.az "Sayt")' in out
    assert "![şəkil](park.png)" in out and "<https://park.az>" in out
    assert "][istinad]" in out
    assert out.startswith("---\ntitle: Hesabat\ntags: [bir, iki]\n---\n")
    assert '```python\nprint("salam dünya")\n```' in out and "    girinti ilə kod" in out
    assert "<div>\nHTML blok toxunulmur\n</div>" in out
    assert structure(out) == structure(SAMPLE)


def test_special_characters_in_targets_are_escaped(tmp_path):
    doc = load(tmp_path, "Sadə cümlə.\n\n| a | b |\n|---|---|\n| c | d |\n")
    first, *_, cell = list(doc.units())
    translations = {
        first.id: Translated(first, TaggedText("1. Not *a* list [x] <b> &amp; `c`"), Origin.KEPT),
        cell.id: Translated(cell, TaggedText("x | y"), Origin.MACHINE),
    }
    out = write(doc, translations)
    assert structure(out) == structure("Sadə cümlə.\n\n| a | b |\n|---|---|\n| c | d |\n")
    html = MarkdownIt("commonmark").enable("table").render(out)
    assert "<p>1. Not *a* list [x] &lt;b&gt; &amp;amp; `c`</p>" in html
    assert "<td>x | y</td>" in html


def test_missing_tags_are_kept_not_lost(tmp_path):
    doc = load(tmp_path, "Bax [sayta](https://a.az) və `kod` gör.\n")
    (unit,) = doc.units()
    out = write(doc, {unit.id: Translated(unit, TaggedText("See the site"), Origin.MACHINE)})
    assert out == "[See the site](https://a.az)`kod`\n"


def test_reparented_tags_and_repeated_writes(tmp_path):
    doc = load(tmp_path, "Bu **qalın** və _maili_ sözdür.\n")
    (unit,) = doc.units()
    target = TaggedText.from_parts(
        [Tag(1, OPEN), "This ", Tag(2, OPEN), "is", Tag(2, CLOSE), Tag(1, CLOSE), " a word."]
    )
    first = write(doc, {unit.id: Translated(unit, target, Origin.MACHINE)})
    assert first == "**This _is_** a word.\n"
    assert write(doc, {}) == "Bu **qalın** və _maili_ sözdür.\n"


def test_registry_and_errors(tmp_path):
    path = tmp_path / "qeyd.az.md"
    path.write_text("# Salam\n")
    assert isinstance(open_document(path), MarkdownDocument)
    (tmp_path / "blank.md").write_text("  \n\n")
    with pytest.raises(InputError, match="blank.md is empty"):
        MarkdownDocument.load(tmp_path / "blank.md")
    (tmp_path / "bad.md").write_bytes(b"# Salam \xff\n")
    with pytest.raises(InputError, match="not valid UTF-8"):
        MarkdownDocument.load(tmp_path / "bad.md")
    assert MarkdownDocument.sniff(b"# Title\n\ntext")
    assert not MarkdownDocument.sniff(b"\x00\x01binary")


def test_empty_tag_kinds_are_standalone(tmp_path):
    doc = load(tmp_path, "Mətn <br> və `x` burada.\n")
    (unit,) = doc.units()
    assert [t.kind for _, t in unit.source.tags] == [EMPTY, EMPTY]


def test_underscore_emphasis_against_a_letter_becomes_stars(tmp_path):
    doc = load(tmp_path, "Bu _vacib_ sözdür.\n")
    (unit,) = doc.units()
    target = TaggedText.from_parts(["Very", Tag(1, OPEN), "important", Tag(1, CLOSE), "word."])
    out = write(doc, {unit.id: Translated(unit, target, Origin.MACHINE)})
    assert out == "Very*important*word.\n"
    assert "<em>important</em>" in MarkdownIt().render(out)


# --- end to end: dilmanc translate --------------------------------------------------------------


def test_cli_translates_markdown_keeping_markup(cli, table_engine, tmp_path):
    table_engine.table.update(
        {
            "Şəhərin <g1>yeni</g1> parkı": "The city's <g1>new</g1> park",
            "Bu <g1>qalın</g1> sözdür.": "This is a <g1>bold</g1> word.",
        }
    )
    source = tmp_path / "qeyd.az.md"
    source.write_text(
        "# Şəhərin *yeni* parkı\n\nBu **qalın** sözdür.\n\n```\nkod burada\n```\n", "utf-8"
    )
    res = cli(["translate", source, "--to", "en", "--model", "dict", "-o", tmp_path / "out"])
    assert res.code == 0, res.err
    out = (tmp_path / "out" / "qeyd.en.md").read_text("utf-8")
    assert out == "# The city's *new* park\n\nThis is a **bold** word.\n\n```\nkod burada\n```\n"
    assert structure(out) == structure(source.read_text("utf-8"))
    assert ["kod burada"] not in [batch for _, batch in table_engine.calls]


@pytest.mark.slow
def test_cli_text_formats_with_a_real_tiny_model(cli, tiny_marian_dir, tmp_path):
    """Markdown, PO, XLIFF and SRT through a real (tiny, random) Marian model in one run: the
    words are gibberish, the structure of every file must survive."""
    text = "# Başlıq\n\nBu **qalın** söz və [keçid](https://a.az) var.\n\n- bir\n- iki\n"
    (tmp_path / "qeyd.az.md").write_text(text, "utf-8")
    (tmp_path / "app.az.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, c-format\nmsgid "Fayl %s açıldı"\nmsgstr ""\n',
        "utf-8",
    )
    (tmp_path / "app.az.xlf").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" '
        'xmlns="urn:oasis:names:tc:xliff:document:1.2"><file original="a" source-language="az" '
        'datatype="plaintext"><body><trans-unit id="1"><source>Bu <g id="1">qalın</g> sözdür.'
        "</source></trans-unit></body></file></xliff>\n",
        "utf-8",
    )
    (tmp_path / "film.az.srt").write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nBu gün hava\n\n2\n00:00:02,500 --> 00:00:04,000\n"
        "çox gözəldir.\n",
        "utf-8",
    )
    names = ["qeyd.az.md", "app.az.po", "app.az.xlf", "film.az.srt"]
    out = tmp_path / "out"
    res = cli(["translate", *(tmp_path / n for n in names), "--model", tiny_marian_dir, "-o", out])
    assert res.code == 0, res.err
    markdown = (out / "qeyd.en.md").read_text("utf-8")
    assert structure(markdown) == structure(text) and "](https://a.az)" in markdown
    po = messages((out / "app.en.po").read_bytes())["Fayl %s açıldı"]
    assert "%s" in str(po.target) and po.isfuzzy()
    xliff = (out / "app.en.xlf").read_text("utf-8")
    assert '<target state="needs-review-translation"' in xliff and '<g id="1">' in xliff
    srt = (out / "film.en.srt").read_text("utf-8")
    assert srt.startswith("1\n00:00:01,000 --> 00:00:02,000\n")
    assert "\n\n2\n00:00:02,500 --> 00:00:04,000\n" in srt


def messages(data: bytes) -> dict:
    from translate.storage import pypo

    return {str(u.source): u for u in pypo.pofile(data).units}


def test_cli_unknown_extension_is_one_line_and_writes_nothing(cli, table_engine, tmp_path):
    pytest.importorskip("dilmanc.documents.docx")  # sniffing asks every registered format
    path = tmp_path / "data.xyz"
    path.write_bytes(b"\x00\x01\x02\x03")
    line = one_line_error(cli(["translate", path, "--to", "en", "-o", tmp_path / "out"]))
    assert "unknown file type .xyz" in line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_one_word_output_takes_the_longest_pair_and_leaves_no_stray_markers():
    doc = MarkdownDocument.from_text(
        "Tədbirdə **BMqT**-nin nümayəndəsi *insan alveri* barədə danışdı.\n"
    )
    translated = translate_document(doc, ScriptedEngine(lambda _: "Meeting."))
    out = write(doc, translated)
    # the pairs do not share the word (no `***Meeting.***`), and the one left without
    # words is not written as `****`, which would show as four stars
    assert out == "*Meeting.*\n"


@pytest.mark.parametrize("output", ["Two words.", "Two words and more words."])
def test_four_links_on_a_short_output_never_nest(output):
    doc = MarkdownDocument.from_text(
        "Bu gün [birinci](/1), [ikinci](/2), [üçüncü](/3) və [dördüncü](/4) saytlara baxdıq "
        "və çoxlu maraqlı şeylər öyrəndik.\n"
    )
    out = write(doc, translate_document(doc, ScriptedEngine(lambda _: output)))
    tokens = MarkdownIt().parseInline(out)[0].children
    assert [t.attrs["href"] for t in tokens if t.type == "link_open"] == ["/1", "/2", "/3", "/4"]
    depth = 0
    for token in tokens:
        depth += {"link_open": 1, "link_close": -1}.get(token.type, 0)
        assert depth <= 1, out
    assert " ".join("".join(t.content for t in tokens).split()) == output


def test_links_and_code_spans_a_model_loses_come_back_apart_and_in_order():
    doc = MarkdownDocument.from_text(
        "Sınayın [Haskell](http://tryhaskell.org) və [Git](http://try.github.io) "
        "saytlarını, `https` `http` fərqini də öyrənin.\n"
    )
    engine = ScriptedEngine(lambda text: " ".join(TAG_PATTERN.sub(" ", text).split()))
    out = write(doc, translate_document(doc, engine))
    tokens = MarkdownIt().parseInline(out)[0].children
    links = [t.attrs["href"] for t in tokens if t.type == "link_open"]
    assert links == ["http://tryhaskell.org", "http://try.github.io"], out
    depth = 0
    for token in tokens:  # never a link inside a link, never an empty one
        depth += {"link_open": 1, "link_close": -1}.get(token.type, 0)
        assert depth <= 1, out
    assert "[]" not in out
    assert [t.content for t in tokens if t.type == "code_inline"] == ["https", "http"], out


def test_emoji_shortcodes_are_kept_out_of_the_model(tmp_path):
    text = "Fayllar :card_file_box: burada :+1:, *:tada: bayram* saat 10:30:45-də və a:b:c.\n"
    doc = load(tmp_path, text)
    (unit,) = doc.units()
    assert unit.source.text == "Fayllar  burada ,  bayram saat 10:30:45-də və a:b:c."
    emoji = [code.data for code in unit.codes.values() if code.name == "emoji"]
    assert emoji == [":card_file_box:", ":+1:", ":tada:"]
    out = write(
        doc, {unit.id: Translated(unit, unit.source.sub(re.compile("a"), "A"), Origin.MACHINE)}
    )
    assert (
        out == "FAyllAr :card_file_box: burAdA :+1:, *:tada: bAyrAm* sAAt 10:30:45-də və A:b:c.\n"
    )


def test_references_and_placeholders_survive_a_careless_model():
    from doubles import CarelessEngine, translate_and_write

    document = MarkdownDocument.from_text(
        "Saat 02.00&nbsp;EST &copy; başlayır: {user_name} və %(file_name)s yazılır.\n"
    )
    text, _ = translate_and_write(document, CarelessEngine())
    assert text == ("Saat 02.00&nbsp;EST &copy; başlayır: {user_name} və %(file_name)s yazılır.\n")
