"""HTML pages: text and attribute units, inline markup as tags that follow their words, every
untranslated byte kept, malformed pages read without failing."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import lxml.html
import pytest
from doc_helpers import upper, write
from doubles import ScriptedEngine, translate_document, use_for_every_model
from format_cli import refused

from dilmanc.documents.html import HtmlDocument
from dilmanc.errors import InputError
from dilmanc.languages import resolve
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, TAG_PATTERN, Tag, TaggedText

EN = resolve("en")
RU = resolve("ru")

PAGE = """<!DOCTYPE html>
<html lang="az">
<head>
  <meta charset="utf-8">
  <title>Bakı &mdash; şəhər xəbərləri</title>
  <meta name="description" content="Paytaxtda baş verən hadisələr &amp; yeniliklər">
  <style>p { color: #333 } /* <b>stil</b> */</style>
  <script>var s = "<p>tərcümə olunmur</p>";</script>
</head>
<body>
<!-- başlıq bölməsi -->
<h1>Yeni <em>körpü</em> açıldı</h1>
<p class='intro'>Dünən   <b>yeni</b> körpü
   <a href="/korpu" title="Körpü haqqında">təntənəli</a> şəkildə açıldı&nbsp;&copy;&#160;2024.</p>
<p><b>BMqT</b>-nin nümayəndəsi gəldi.</p>
<p>Əmri <code>dilmanc   translate</code> ilə işlədin, \
<img src="k.png" alt='Körpünün şəkli'> baxın.</p>
<ul><li><a href="/">Əsas səhifə</a></li><li>İkinci   bənd</li></ul>
<p translate="no">Bu abzas tərcümə edilmir.</p>
<p>Müəllif: <span class="byline notranslate">Əli Həsənov</span> yazdı.</p>
<pre>  kod   bloku  </pre>
<div>Div mətni<div>İç div</div>Sonra gələn mətn</div>
<form><input type=search placeholder=Axtarış><button aria-label="Axtarışa başla">Axtar</button>
<select><option value="1">Birinci seçim</option></select></form>
<table><caption>Əhali cədvəli</caption><tr><th>Şəhər</th><td>Gəncə</td></tr></table>
</body>
</html>
"""


@pytest.fixture
def page(tmp_path) -> Path:
    path = tmp_path / "xəbər.html"
    path.write_bytes(PAGE.encode())
    return path


def units_by_source(document: HtmlDocument) -> dict:
    return {unit.source.render(): unit for unit in document.units()}


def test_units_are_blocks_and_attributes_with_inline_tags(page):
    document = HtmlDocument.load(page)
    units = units_by_source(document)
    assert list(units) == [
        "Bakı — şəhər xəbərləri",
        "Paytaxtda baş verən hadisələr & yeniliklər",
        "Yeni <g1>körpü</g1> açıldı",
        "Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı\xa0©\xa02024.",
        "Körpü haqqında",
        "<g1>BMqT</g1>-nin nümayəndəsi gəldi.",
        "Əmri <x1/> ilə işlədin, <x2/> baxın.",
        "Körpünün şəkli",
        "Əsas səhifə",  # the link around the whole item stays outside the unit
        "İkinci bənd",
        "Müəllif: <x1/> yazdı.",
        "Div mətni",
        "İç div",
        "Sonra gələn mətn",
        "Axtarış",
        "Axtarışa başla",
        "Axtar",
        "Birinci seçim",
        "Əhali cədvəli",
        "Şəhər",
        "Gəncə",
    ]
    intro = units["Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı\xa0©\xa02024."]
    assert [(c.kind, c.name, c.data) for c in intro.codes.values()] == [
        ("pair", "b", ("<b>", "</b>")),
        ("pair", "a", ('<a href="/korpu" title="Körpü haqqında">', "</a>")),
    ]
    code = units["Əmri <x1/> ilə işlədin, <x2/> baxın."].codes
    assert code[1].data == "<code>dilmanc   translate</code>" and code[1].kind == "standalone"
    assert code[2].data == "<img src=\"k.png\" alt='Körpünün şəkli'>"
    assert intro.location == "line 13, <p>"
    assert units["Axtarış"].location == "line 22, <input placeholder>"
    ids = [unit.id for unit in document.units()]
    assert len(set(ids)) == len(ids) == document.size
    listed = list(document.units())
    assert listed[1].prev == listed[0].source.text and listed[1].next == listed[2].source.text


def test_identity_write_is_byte_identical_except_lang(page):
    document = HtmlDocument.load(page)
    out = write(document, [(unit, unit.source) for unit in document.units()])
    assert out == PAGE.replace('<html lang="az">', '<html lang="en">').encode()


def test_lang_is_added_when_missing_and_xml_lang_follows(tmp_path):
    path = tmp_path / "a.xhtml"
    path.write_text('<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="az"><p>Salam</p></html>')
    out = write(HtmlDocument.load(path), [], RU).decode()
    assert out == (
        '<html lang="ru" xmlns="http://www.w3.org/1999/xhtml" xml:lang="ru"><p>Salam</p></html>'
    )


def test_moved_tags_put_bold_and_link_on_the_new_words(page):
    document = HtmlDocument.load(page)
    units = units_by_source(document)
    intro = units["Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı\xa0©\xa02024."]
    title = units["Körpü haqqında"]
    target = TaggedText.from_parts(
        ["Yesterday a ", Tag(2, OPEN), "solemn", Tag(2, CLOSE), " opening of the ",
         Tag(1, OPEN), "new", Tag(1, CLOSE), " bridge & more ©\xa02024 ©\xa0©."]
    )  # fmt: skip
    out = write(document, [(intro, target), (title, TaggedText('About the "bridge"'))]).decode()
    assert (
        "<p class='intro'>Yesterday a "
        '<a href="/korpu" title="About the &quot;bridge&quot;">solemn</a> opening of the '
        "<b>new</b> bridge &amp; more &copy;&nbsp;2024 &copy;&#160;&copy;.</p>"
    ) in out  # references keep their spelling, occurrence by occurrence


def test_a_term_in_bold_keeps_bold_on_the_term(page):
    document = HtmlDocument.load(page)
    unit = units_by_source(document)["<g1>BMqT</g1>-nin nümayəndəsi gəldi."]
    target = TaggedText.from_parts(["The ", Tag(1, OPEN), "IOM", Tag(1, CLOSE), " envoy came."])
    assert "<p>The <b>IOM</b> envoy came.</p>" in write(document, [(unit, target)]).decode()


def test_untranslated_parts_survive_a_full_translation(page):
    document = HtmlDocument.load(page)
    out = write(document, [(unit, upper) for unit in document.units()]).decode()
    for kept in (
        "<!DOCTYPE html>",
        "<!-- başlıq bölməsi -->",
        "<style>p { color: #333 } /* <b>stil</b> */</style>",
        '<script>var s = "<p>tərcümə olunmur</p>";</script>',
        "<code>dilmanc   translate</code>",
        '<p translate="no">Bu abzas tərcümə edilmir.</p>',
        '<span class="byline notranslate">Əli Həsənov</span>',
        "<pre>  kod   bloku  </pre>",
        '<meta charset="utf-8">',
        '<a href="/">',
        '<option value="1">',
    ):
        assert kept in out, kept
    assert "<title>BAKI &mdash; ŞƏHƏR XƏBƏRLƏRI</title>" in out
    assert 'content="PAYTAXTDA BAŞ VERƏN HADISƏLƏR &amp; YENILIKLƏR"' in out
    assert "alt='KÖRPÜNÜN ŞƏKLI'" in out  # single quotes kept
    assert 'placeholder="AXTARIŞ"' in out  # an unquoted value gets quotes
    assert 'aria-label="AXTARIŞA BAŞLA"' in out
    assert "<li>İKINCI BƏND</li>" in out
    assert "<div>DIV MƏTNI<div>İÇ DIV</div>SONRA GƏLƏN MƏTN</div>" in out
    assert "ƏMRI <code>dilmanc   translate</code> ILƏ IŞLƏDIN, <img" in out
    assert "<caption>ƏHALI CƏDVƏLI</caption><tr><th>ŞƏHƏR</th><td>GƏNCƏ</td>" in out


def test_lost_tags_never_lose_a_link_or_an_image(page):
    document = HtmlDocument.load(page)
    units = units_by_source(document)
    intro = units["Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı\xa0©\xa02024."]
    image = units["Əmri <x1/> ilə işlədin, <x2/> baxın."]
    out = write(document, [(intro, TaggedText("Opened.")), (image, TaggedText("Run it."))])
    text = out.decode()
    assert '<a href="/korpu" title="Körpü haqqında">Opened.</a>' in text
    assert "Run it.<code>dilmanc   translate</code><img src=\"k.png\" alt='Körpünün şəkli'>" in text


def test_languages_do_not_leak(page):
    document = HtmlDocument.load(page)
    unit = units_by_source(document)["Axtar"]
    english = write(document, [(unit, TaggedText("Search"))], EN).decode()
    russian = write(document, [(unit, TaggedText("Поиск"))], RU).decode()
    assert ">Search</button>" in english and '<html lang="en">' in english
    assert ">Поиск</button>" in russian and "Search" not in russian and 'lang="ru"' in russian


def test_whitespace_around_inline_codes_is_kept(tmp_path):
    path = tmp_path / "s.html"
    path.write_text("<p>A <code>x</code> b <b>c</b>d <br> e</p>")
    (unit,) = HtmlDocument.load(path).units()
    assert unit.source.render() == "A <x1/> b <g2>c</g2>d <x3/> e"


# --- malformed, encodings, bad input ----------------------------------------------------------


MALFORMED = [
    "<p>Pis <b>qalın <i>hər ikisi</b> kursiv</i> son",
    "<div><p>Bağlanmamış abzas<p>İkinci abzas</div></span></b>Sonra",
    "<p>Qəribə <![foo[ bölmə ]]> və <!x> <? pi ?> mətn</p>",
    "<p title=\"bağlanmamış>Mətn</p><p alt=x y='z>Son",
    "<ul><li>Bir<li>İki<li>Üç</ul>",
    "<p>& &amp &#xZZ; &#99999999; &unknown; < 3 > 2 </p",
    "<P CLASS=X>Böyük Hərflər <B>Qalın</B></P>",
    "Sadəcə mətn <b>heç bir blok</b> olmadan",
    "<a href=x><div>Blok linkin içində</div></a>",
    "<p>Kod <code>bağlanmır <b>x</b>",
    "<table><tr><td>Xana<td>Digər</table>",
    "<html><body><p>Skript <script>if (a < b) { x('</p>') }</script> sonra</p></body></html>",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_pages_are_read_and_written_back(text, tmp_path):
    path = tmp_path / "pis.html"
    path.write_text(text)
    document = HtmlDocument.load(path)
    units = list(document.units())
    assert units
    identity = write(document, [(u, u.source) for u in units])
    assert identity.replace(b' lang="en"', b"") == text.encode()
    again = tmp_path / "yenə.html"
    again.write_bytes(write(document, [(u, upper) for u in units]))
    assert [u.source.text for u in HtmlDocument.load(again).units()] == [
        u.source.text.upper() for u in units
    ]


def test_random_markup_never_fails_and_identity_is_exact(tmp_path):
    alphabet = ["<", ">", "/", "!", "-", "[", "]", "&", "#", ";", '"', "'", "=", " ", "\n",
                "p", "b", "a", "i", "div", "script", "code", "x", "ə", "ş", "amp", "CDATA",
                "title", "alt", "translate", "no"]  # fmt: skip
    rng = random.Random(7)
    path = tmp_path / "r.html"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))
        if not text.strip():
            continue
        path.write_text(text)
        document = HtmlDocument.load(path)
        units = list(document.units())
        assert write(document, [(u, u.source) for u in units], EN).replace(
            b' lang="en"', b""
        ) == text.encode().replace(b' lang="en"', b""), text
        write(document, [(u, upper) for u in units])


def test_encoding_from_meta_charset_is_kept_on_output(tmp_path):
    page = '<html><head><meta charset="windows-1251"></head><body><p>Привет</p></body></html>'
    path = tmp_path / "cp.html"
    path.write_bytes(page.encode("cp1251"))
    document = HtmlDocument.load(path)
    (unit,) = document.units()
    assert unit.source.text == "Привет"
    out = write(document, [(unit, TaggedText("Salam, dünya"))])
    expected = page.replace("<html>", '<html lang="en">').replace("Привет", "Salam, d&#252;nya")
    assert out == expected.encode("cp1251")  # ü is not in windows-1251: a character reference


def test_bom_is_kept(tmp_path):
    path = tmp_path / "bom.html"
    path.write_bytes(b"\xef\xbb\xbf<!doctype html><p>Salam</p>")
    document = HtmlDocument.load(path)
    (unit,) = document.units()
    assert (
        write(document, [(unit, TaggedText("Hello"))]) == b"\xef\xbb\xbf<!doctype html><p>Hello</p>"
    )


def test_sniff_recognises_html_without_extension(page):
    assert HtmlDocument.sniff(b"\n<!-- x -->\n" + page.read_bytes()[:100])
    assert HtmlDocument.sniff(b'\xef\xbb\xbf<?xml version="1.0"?>\n<html xmlns="x">')
    assert HtmlDocument.sniff(b"<HTML><BODY>")
    assert not HtmlDocument.sniff(b"Salam <b>dunya</b>")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"<p>Bak\xfd</p>", "not valid utf-8"),
        (
            b'<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]><html><p>&x;</p></html>',
            "entities",
        ),
    ],
)
def test_bad_pages_are_one_line_input_errors(data, reason, tmp_path):
    path = tmp_path / "bad.html"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        HtmlDocument.load(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and reason in message


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        HtmlDocument.load(tmp_path / "yoxdur.html")


def test_standalone_tag_kinds(page):
    units = units_by_source(HtmlDocument.load(page))
    tags = units["Əmri <x1/> ilə işlədin, <x2/> baxın."].source.tags
    assert [tag.kind for _, tag in tags] == [EMPTY, EMPTY]
    assert [tag.kind for _, tag in units["<g1>BMqT</g1>-nin nümayəndəsi gəldi."].source.tags] == [
        OPEN,
        CLOSE,
    ]


# --- through `dilmanc translate` ----------------------------------------------------------------

MOVED = {
    # the no-break spaces reach the model as placeholders
    "Dünən <g1>yeni</g1> körpü <g2>təntənəli</g2> şəkildə açıldı <x3/>© <x4/>2024.": (
        "Yesterday the <g2>solemn</g2> opening of the <g1>new</g1> bridge <x3/>© <x4/>2024."
    ),
    "<g1>BMqT</g1>-nin nümayəndəsi gəldi.": "The <g1>IOM</g1> envoy came.",
    "Körpünün şəkli": "Photo of the bridge",
}


@pytest.fixture
def double(monkeypatch):
    """Every model is a dictionary engine that moves tags the way a real model would."""
    from doubles import DictEngine, use_for_every_model

    engine = DictEngine(MOVED)
    use_for_every_model(monkeypatch, engine)
    return engine


def test_translate_command_writes_one_page_per_language(cli, double, page, tmp_path):
    out = tmp_path / "out"
    res = cli(["translate", page, "--to", "en,ru", "-o", out, "--quiet"])
    assert res.code == 0, res.err
    assert sorted(p.name for p in out.iterdir()) == ["xəbər.en.html", "xəbər.ru.html"]
    english = (out / "xəbər.en.html").read_text(encoding="utf-8")
    assert (
        "<p class='intro'>Yesterday the "
        '<a href="/korpu" title="&lt;en&gt; Körpü haqqında">solemn</a> opening of the '
        "<b>new</b> bridge&nbsp;&copy;&#160;2024.</p>"  # references spelled as they were
    ) in english
    assert "<p>The <b>IOM</b> envoy came.</p>" in english
    assert "alt='Photo of the bridge'" in english and '<html lang="en">' in english
    assert "<title>&lt;en&gt; Bakı &mdash; şəhər xəbərləri</title>" in english
    russian = (out / "xəbər.ru.html").read_text(encoding="utf-8")
    assert '<html lang="ru">' in russian and "<li>&lt;ru&gt; İkinci bənd</li>" in russian
    for kept in ("<!DOCTYPE html>\n", "<!-- başlıq bölməsi -->", "<pre>  kod   bloku  </pre>"):
        assert kept in english and kept in russian


def test_translate_command_with_a_tiny_real_model_keeps_the_markup(
    cli, page, tmp_path, tiny_marian_ct2_dir
):
    out = tmp_path / "out"
    args = ["--model", tiny_marian_ct2_dir, "--max-length", "6", "--beam", "1", "--quiet"]
    res = cli(["translate", page, "--to", "en", "-o", out, *args])
    assert res.code == 0, res.err
    english = HtmlDocument.load(out / "xəbər.en.html")
    assert len(list(english.units())) == len(list(HtmlDocument.load(page).units()))
    text = (out / "xəbər.en.html").read_text(encoding="utf-8")
    for kept in ('<a href="/korpu"', '<img src="k.png" alt=\'', "<code>dilmanc   translate</code>"):
        assert kept in text
    assert "Yeni" not in text.split("<h1>")[1].split("</h1>")[0]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'<!DOCTYPE html [<!ENTITY x "y">]><html><p>&x;</p></html>', "entities"),
        (b"\n \n", "empty"),
        (b"<p>Bak\xfd</p>", "not valid utf-8"),
    ],
)
def test_translate_command_refuses_bad_pages_with_one_line(data, reason, cli, double, tmp_path):
    assert reason in refused(cli, tmp_path / "bad.html", double, data=data)


def test_a_page_without_extension_is_detected_by_its_content(page, tmp_path):
    from dilmanc.documents.registry import detect_format

    renamed = tmp_path / "page"
    renamed.write_bytes(b"\n<!-- x -->\n" + page.read_bytes())
    assert detect_format(renamed) is HtmlDocument


FOOTER_NAMES = [
    "Ana səhifə",
    "Haqqımızda",
    "Xəbərlər",
    "Layihələr",
    "Tərəfdaşlar",
    "Əlaqə",
    "Xəritə",
]


def lose_tags(text: str) -> str:
    """A model that copies the words and drops every tag."""
    return " ".join(TAG_PATTERN.sub(" ", text).split())


@pytest.mark.parametrize("separator", ["<span> | </span>", " | "])
def test_a_footer_of_sibling_links_stays_apart_when_the_model_loses_tags(separator):
    links = separator.join(f'<a href="/{n}">{name}</a>' for n, name in enumerate(FOOTER_NAMES))
    document = HtmlDocument.from_text(f"<html lang=az><body><footer><p>{links}</p></footer>")
    engine = ScriptedEngine(lose_tags)
    translated = translate_document(document, engine)
    tree = lxml.html.fromstring(document.render(EN, translated))
    assert not tree.xpath("//a//a | //a//span | //span//a")
    assert [a.text_content() for a in tree.xpath("//a")] == FOOTER_NAMES
    assert [a.get("href") for a in tree.xpath("//a")] == [f"/{n}" for n in range(7)]
    # a list of links goes to the model link by link: no tags for it to lose
    assert not any("<g" in text for _, batch in engine.calls for text in batch)
    (item,) = translated.values()
    assert item.tags.tags > 0 and item.tags.fallback == 0


@pytest.mark.parametrize("output", ["Two words.", "Two words and more words."])
def test_four_links_on_a_short_output_never_nest(output):
    links = ", ".join(f'<a href="/{n}">{w}</a>' for n, w in enumerate(FOOTER_NAMES[:4]))
    document = HtmlDocument.from_text(
        f"<html lang=az><body><p>Bu gün {links} saytlarına baxdıq və çoxlu maraqlı şeylər "
        "öyrəndik.</p>"
    )
    translated = translate_document(document, ScriptedEngine(lambda _: output))
    tree = lxml.html.fromstring(document.render(EN, translated))
    assert not tree.xpath("//a//a")
    assert [a.get("href") for a in tree.xpath("//a")] == ["/0", "/1", "/2", "/3"]
    assert " ".join(tree.xpath("//p")[0].text_content().split()) == output
    (item,) = translated.values()
    assert item.tags.emptied == max(0, 4 - len(output.split()))  # links left without words


def test_pairs_left_empty_are_named_in_the_document_line_and_report(cli, monkeypatch, tmp_path):
    use_for_every_model(monkeypatch, ScriptedEngine(lambda _: "Two words."))
    links = ", ".join(f'<a href="/{n}">{w}</a>' for n, w in enumerate(FOOTER_NAMES[:4]))
    page = tmp_path / "links.html"
    page.write_text(f"<html lang=az><body><p>Bu gün {links} saytlarına baxdıq.</p>", "utf-8")
    report = tmp_path / "report.json"
    args = ["translate", page, "--to", "en", "--model", "x", "-o", tmp_path / "out"]
    res = cli([*args, "--report", report])
    assert res.code == 0, res.err
    assert "8 by fallback (2 pairs left empty: fewer words than pairs)" in res.err
    (entry,) = json.loads(report.read_text("utf-8"))["documents"]
    assert entry["tags_emptied"] == 2


def _garbled(text: str) -> str:
    """`<g1>` → `1g1&gt; `, `</g1>` → ` &lt;/g1`: a model that mangles every tag."""
    text = re.sub(r"<g(\d+)>", r"\1g\1&gt; ", text)
    return re.sub(r"</g(\d+)>", r" &lt;/g\1", text)


@pytest.mark.parametrize(
    "respond",
    [
        _garbled,
        lambda text: text.replace("</g1>", "</g1 ").replace("<g2>", "g2>"),  # half-broken
        lambda text: text + " g1> </",  # tags intact, debris after them
    ],
    ids=["garbled", "half", "intact-plus-debris"],
)
def test_no_fragment_of_a_tag_reaches_the_page(respond):
    document = HtmlDocument.from_text("<p>Bu <b>stereotip</b> deyil, <i>fakt</i> isə belədir.</p>")
    translated = translate_document(document, ScriptedEngine(respond))
    page = lxml.html.fromstring(document.render(EN, translated))
    text = page.text_content()
    assert not re.search(r"[<>]|&lt;|&gt;|[gx]\d|/g|/\s*$", text), text
    assert [b.text_content() for b in page.xpath("//b")] == ["stereotip"]
    assert [i.text_content() for i in page.xpath("//i")] == ["fakt"]
    assert " ".join(text.split()) == "Bu stereotip deyil, fakt isə belədir."


# --- markup for crawlers and formulas stays as it was (issue 17 item 6) ----------------------

FORMULAS = (
    "<math><mi>x</mi><mo>=</mo><mn>2</mn></math>",
    '<span class="MathJax_Preview">S=a^2</span><script type="math/tex">S=a^2</script>',
    '<span class="MathJax" id="MathJax-Element-2-Frame"><nobr><span>V</span></nobr></span>',
    '<mjx-container class="MathJax" jax="CHTML"><mjx-math>m</mjx-math></mjx-container>',
)
MATH_PAGE = f"""<html><head><noscript><link rel="stylesheet" href="a.css"></noscript></head>
<body><noscript><p>Sayt üçün JavaScript-i yandırın.</p><img src="p.gif" alt="İz"></noscript>
<p>Düstur {FORMULAS[0]} sadədir.</p>
<p>Sahə {FORMULAS[1]} olur.</p>
<p>Həcm {FORMULAS[2]} artır.</p>
<div class="MathJax_Display"><span class="MathJax">E=mc^2</span></div>
<p>Kütlə {FORMULAS[3]} azalır.</p>
</body></html>"""


def test_noscript_and_formulas_are_kept_whole_and_opaque(tmp_path):
    document = HtmlDocument.from_text(MATH_PAGE)
    units = list(document.units())
    assert [unit.source.text for unit in units] == [
        "Düstur  sadədir.",
        "Sahə  olur.",
        "Həcm  artır.",
        "Kütlə  azalır.",
    ]
    assert all(code.kind == "standalone" for unit in units for code in unit.codes.values())
    out = write(document, [(unit, upper) for unit in units]).decode()
    for formula, after in zip(FORMULAS, ("SADƏDIR", "OLUR", "ARTIR", "AZALIR"), strict=True):
        assert f"{formula} {after}." in out  # the next word stays outside the formula
    assert out.count("<noscript>") == 2 and "Sayt üçün JavaScript-i yandırın." in out
    assert '<div class="MathJax_Display"><span class="MathJax">E=mc^2</span></div>' in out


def test_character_references_survive_a_careless_model_in_their_spelling(tmp_path):
    from doubles import CarelessEngine, translate_and_write

    path = tmp_path / "p.html"
    path.write_text(
        '<html lang="az"><body><p>Saat 02.00&#160;EST&rlm; başlayır, '
        "&lrm;sonra&nbsp;bitir &copy; 2024 &amp; {name}</p>"
        '<img alt="Bakı&nbsp;şəhəri" src="x.png"></body></html>',
        encoding="utf-8",
    )
    data, _ = translate_and_write(HtmlDocument.load(path), CarelessEngine())
    page = data.decode()
    assert "02.00&#160;EST&rlm; başlayır, &lrm;sonra&nbsp;bitir &copy; 2024 &amp; {name}" in page
    assert 'alt="Bakı&nbsp;şəhəri"' in page
