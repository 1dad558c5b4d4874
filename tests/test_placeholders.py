"""One placeholder grammar for every format (issue 17 item 3) and invisible characters (item 4):
what counts, what prose keeps as text, and that a careless model cannot lose any of them."""

from __future__ import annotations

import pytest
from doubles import CarelessEngine

from dilmanc.languages import resolve
from dilmanc.pipeline.pipeline import Pipeline
from dilmanc.text.placeholders import CODE, PROSE, find, protect, scan
from dilmanc.text.tagged import TaggedText, parse

AZ, EN = resolve("az"), resolve("en")
ICU = "{VAR_PLURAL, plural, =0 {heç kim} =1 {bir nəfər} other {hamı}}"
PEOPLE = {"heç kim": "nobody", "bir nəfər": "one person", "hamı": "everyone"}


def texts(text: str, rules=PROSE) -> list[str]:
    return [text[s.start : s.end] for s in find(text, rules)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Faylı %(name)r çevrildi və %(count)d yazıldı", "%(name)r|%(count)d"),
        ("%1$s faylı %2$d dəfə, %@ və %1$@, %#@files@", "%1$s|%2$d|%@|%1$@|%#@files@"),
        ("Fayl %s tapılmadı: %r (%5.2f)", "%s|%r|%5.2f"),
        ("${resultCount} nəticə, {{ ad }}, {{{raw}}}", "${resultCount}|{{ ad }}|{{{raw}}}"),
        ("{name}, {0}, {x!r:>4}, {items[0]}", "{name}|{0}|{x!r:>4}|{items[0]}"),
        ("{% if x %}{# qeyd #} {n, number}", "{% if x %}|{# qeyd #}|{n, number}"),
        ("{d, date, short} və {user.name}", "{d, date, short}|{user.name}"),
        ("Saat 02.00\u00a0EST, \u200fsağ", "\u00a0|\u200f"),
        ("&nbsp;&#160;&#x200F;&copy;", "&nbsp;|&#160;|&#x200F;|&copy;"),
    ],
)  # fmt: skip
def test_every_form_is_a_placeholder(text, expected):
    assert texts(text) == expected.split("|")


@pytest.mark.parametrize(
    "text",
    [
        "Qiymət 50% endirimlə, 20%-dən çox, %5-i, 100%də",
        "{ bir söz } və { tək mötərizə, {az-söz}",
        "AT&T; &foo; və #1 hit, $100",
        "{x, plural, one {bir}",  # not closed: not ICU
    ],
)
def test_prose_is_not_taken_for_placeholders(text):
    assert texts(text) == [] or texts(text) == ["{bir}"] and text.startswith("{x")


def test_code_rules_take_every_printf_and_brace():
    assert texts("100%% və %-dən, %1 {} { ad }", CODE) == ["%%", "%-d", "%1", "{}", "{ ad }"]
    assert texts("100%% və %-dən, %1 {} { ad }") == []


@pytest.mark.parametrize("rules", [CODE, PROSE], ids=["code", "prose"])
def test_symfony_percent_names_are_one_placeholder(rules):
    # Symfony's `%count%`, not printf `%c` and `% f` (a held-out PO file, issue 17)
    text = "{0} alma yoxdur|bir alma|%count% alma, %user_name% və %limit.max%"
    assert texts(text, rules) == ["{0}", "%count%", "%user_name%", "%limit.max%"]


def test_printf_next_to_a_percent_stays_printf():
    assert texts("%s%s, %d%%, %ld%s və %lu%% tamam", CODE) == [
        "%s",
        "%s",
        "%d",
        "%%",
        "%ld",
        "%s",
        "%lu",
        "%%",
    ]
    assert texts("Endirim 20%ə qədər, 5%-dən 10% arası") == []


def test_icu_skeleton_is_kept_and_sub_messages_are_text():
    found = scan(ICU)
    assert [ICU[a:b] for a, b in found.skeleton] == [
        "{VAR_PLURAL, plural, =0 {",
        "} =1 {",
        "} other {",
        "}}",
    ]
    assert found.placeholders == []
    nested = "{n, plural, other {{{n}} gün, {g, select, male {# o} other {#}}}}"
    found = scan(nested)
    assert [nested[s.start : s.end] for s in found.placeholders] == ["{{n}}", "#", "#"]
    assert "{g, select, male {" in [nested[a:b] for a, b in found.skeleton]
    assert scan("#1 yer").placeholders == []  # `#` is a placeholder only in a plural


def test_protect_and_restore_put_each_placeholder_back_once():
    source = TaggedText("Saat 02.00\u00a0EST, fayl %s", ((0, parse("<x1/>").tagged.tags[0][1]),))
    protected = protect(source, find(source.text))
    assert protected.tagged.render() == "<x1/>Saat 02.00 <x2/>EST, fayl <x3/>"
    back, missing = protected.restore(parse("<x1/>At 02.00 <x2/> EST, file <x3/>").tagged)
    assert back.text == "At 02.00\u00a0EST, file %s" and missing == []
    back, missing = protected.restore(parse("<x1/>At 02.00 EST, file").tagged)
    assert back.text.endswith("\u00a0%s") and missing == [2, 3]


# --- through the pipeline, with a model that mangles what it takes for words --------------------


def run(text: str, engine: CarelessEngine) -> tuple[str, dict]:
    pipeline = Pipeline({"en": engine}, AZ)
    return pipeline.translate_text(text, EN), pipeline.report()


def test_python_format_placeholders_survive_a_careless_model():
    line = "Faylı %(name)r çevrildi və %(count)d yazıldı"
    out, _ = run(line, CarelessEngine())
    assert out.count("%(name)r") == 1 and out.count("%(count)d") == 1


def test_dollar_brace_keeps_its_dollar():
    out, _ = run("${resultCount} nəticə tapıldı", CarelessEngine())
    assert out.startswith("${resultCount} ")


def test_icu_sub_messages_are_translated_separately_and_the_skeleton_kept():
    engine = CarelessEngine(PEOPLE)
    out, _ = run(f"Gələnlər: {ICU}", engine)
    assert out == "Gələnlər: {VAR_PLURAL, plural, =0 {nobody} =1 {one person} other {everyone}}"
    assert not any("plural" in seen or "{" in seen for seen in engine.seen)
    assert {"heç kim", "bir nəfər", "hamı"} <= set(engine.seen)


def test_invisible_characters_come_back():
    out, _ = run("Saat 02.00\u00a0EST\u200f başlayır", CarelessEngine())
    assert "02.00\u00a0EST\u200f" in out


def test_ordinary_prose_reaches_the_model_as_it_is():
    engine = CarelessEngine()
    run("Qiymət 50% endirimlə { bir } satılır.", engine)
    assert list(engine.seen) == ["Qiymət 50% endirimlə { bir } satılır."]


def test_a_dropped_placeholder_is_put_back_and_reported():
    out, report = run("Fayl %(name)s tapılmadı", CarelessEngine(drop_tags=True))
    assert out.count("%(name)s") == 1
    assert report["placeholders"] == {"protected": 1, "restored": 1}
    assert any("%(name)s" in warning for warning in report["warnings"])


def test_a_line_of_placeholders_only_is_not_sent():
    engine = CarelessEngine()
    out, _ = run("{name}: {{ count }}", engine)
    assert out == "{name}: {{ count }}" and not engine.seen
