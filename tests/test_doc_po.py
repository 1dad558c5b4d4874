"""PO files: placeholders protected, Russian plural forms, fuzzy flags, comments kept."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from format_cli import one_line_error, table_engine_fixture  # noqa: F401
from translate.storage import pypo

from dilmanc.documents.base import Origin, Translated, UnitState
from dilmanc.documents.po import PoDocument, protect
from dilmanc.documents.registry import open_document
from dilmanc.errors import InputError, UsageError
from dilmanc.languages import resolve
from dilmanc.text.tagged import TaggedText, parse

RU, EN = resolve("ru"), resolve("en")

TEMPLATE = r"""# Sınaq faylı.
msgid ""
msgstr ""
"Project-Id-Version: demo 1.0\n"
"Language: \n"
"MIME-Version: 1.0\n"
"Content-Type: text/plain; charset=UTF-8\n"

#. Menyu elementi
#: src/menu.c:12
#, c-format
msgctxt "menu"
msgid "Faylı aç: %s"
msgstr ""

#, python-format
msgid "%(count)d fayl silindi"
msgid_plural "%(count)d fayl silindi"
msgstr[0] ""
msgstr[1] ""

msgid ""
"<b>Salam</b>, {name}! Sizin {count, plural, one {# mesaj} other {# mesaj}} "
"var.\n"
msgstr "Hello\n"

#, fuzzy
#| msgid "Köhnə düymə"
msgid "Yeni düymə"
msgstr "New button"

msgid "%1$s faylı %2$d dəfə açıldı"
msgstr ""

#~ msgid "köhnə"
#~ msgstr "old"
"""

RUSSIAN = {
    "1": "Открыть файл: <x1/>",
    "2": "<x1/> файл удалён",
    "2#plural": "<x1/> файлов удалено",
    "2#2": "2 файла удалено",
    "2#5": "5 файлов удалено",
    "3": (
        "<g1>Привет</g1>, <x2/>! У вас {count, plural, one {<x3/> сообщение} "
        "other {<x4/> сообщений}}.<x5/>"
    ),
    "5": "Файл <x1/> открыт <x2/> раз",
}


@pytest.fixture
def doc(tmp_path):
    path = tmp_path / "app.pot"
    path.write_text(TEMPLATE, encoding="utf-8")
    return PoDocument.load(path)


def write(document, lang, translations) -> bytes:
    out = io.BytesIO()
    document.write(out, lang, translations)
    return out.getvalue()


def machine(document, texts: dict[str, str], origin=Origin.MACHINE) -> dict[str, Translated]:
    units = {u.id: u for u in document.units()}
    return {uid: Translated(units[uid], parse(text).tagged, origin) for uid, text in texts.items()}


def messages(data: bytes) -> dict[str, pypo.pounit]:
    store = pypo.pofile(data)
    return {str(u.source.strings[0] if u.hasplural() else u.source): u for u in store.units}


def test_protect_placeholders_and_html():
    parts, codes = protect("%s və %(n)d, %1$s, {0}, {ad!r:>4} <a href='x'>keçid</a><br/> 50%")
    tagged = TaggedText.from_parts(parts)
    assert tagged.render() == "<x1/> və <x2/>, <x3/>, <x4/>, <x5/> <g6>keçid</g6><x7/> 50%"
    assert [codes[i].data for i in (1, 2, 3, 4, 5, 7)] == [
        "%s",
        "%(n)d",
        "%1$s",
        "{0}",
        "{ad!r:>4}",
        "<br/>",
    ]
    assert codes[6].data == ("<a href='x'>", "</a>")
    assert [c.data for c in protect("{{ad}} 100% düz")[1].values()] == ["{{ad}}"]
    assert protect("{{ düz")[1] == {}


def test_units_notes_states_and_plural_variants(doc):
    units = {u.id: u for u in doc.units()}
    assert list(units) == ["1", "2", "2#plural", "2#2", "2#5", "3", "4", "5"]
    menu = units["1"]
    assert menu.location == "msgctxt 'menu', line 13"
    assert menu.notes == (
        "context: menu",
        "note: Menyu elementi",
        "references: src/menu.c:12",
        "flags: c-format",
    )
    assert menu.source.render() == "Faylı aç: <x1/>" and menu.state == UnitState.NEW
    assert units["2#2"].source.render() == "2 fayl silindi" and units["2#2"].codes == {}
    assert units["2#plural"].source.render() == "<x1/> fayl silindi"
    assert units["3"].state == UnitState.REVIEWED and units["3"].target.text == "Hello"
    # an ICU plural keeps its skeleton as text (the pipeline sends only the sub-messages)
    assert units["3"].source.render() == (
        "<g1>Salam</g1>, <x2/>! Sizin {count, plural, one {<x3/> mesaj} other {<x4/> mesaj}} "
        "var.<x5/>"
    )
    assert units["3"].codes[3].name == "icu-count" and units["3"].codes[5].data == "\n"
    assert units["4"].state == UnitState.MACHINE  # fuzzy: an earlier machine translation
    assert all("köhnə" not in u.source.text for u in units.values())  # obsolete: not yielded


def test_kept_targets_and_no_translations_are_byte_identical(doc):
    original = TEMPLATE.encode()
    assert write(doc, RU, {}) == original
    kept = {u.id: Translated(u, u.target or u.source, Origin.KEPT) for u in doc.units()}
    assert write(doc, RU, kept) == original


def test_russian_machine_translation(doc, tmp_path):
    out = write(doc, RU, machine(doc, RUSSIAN))
    text = out.decode()
    found = messages(out)
    menu = found["Faylı aç: %s"]
    assert str(menu.target) == "Открыть файл: %s"
    assert menu.isfuzzy() and menu.getcontext() == "menu"
    assert "#. Menyu elementi\n#: src/menu.c:12\n#, c-format, fuzzy\nmsgctxt" in text
    plural = found["%(count)d fayl silindi"]
    assert [str(s) for s in plural.target.strings] == [
        "%(count)d файл удалён",
        "%(count)d файла удалено",
        "%(count)d файлов удалено",
    ]
    html = found[
        "<b>Salam</b>, {name}! Sizin {count, plural, one {# mesaj} other {# mesaj}} var.\n"
    ]
    assert str(html.target) == (
        "<b>Привет</b>, {name}! У вас {count, plural, one {# сообщение} other {# сообщений}}.\n"
    )
    assert str(found["%1$s faylı %2$d dəfə açıldı"].target) == "Файл %1$s открыт %2$d раз"
    # untouched: the fuzzy message with its previous msgid, the obsolete one
    assert '#, fuzzy\n#| msgid "Köhnə düymə"\nmsgid "Yeni düymə"\nmsgstr "New button"' in text
    assert '#~ msgid "köhnə"\n#~ msgstr "old"' in text
    header = text.split("\n\n")[0]
    assert '"Language: ru\\n"\n"MIME-Version: 1.0\\n"' in header  # filled in place
    assert "Plural-Forms: nplurals=3; plural=(n%10==1" in header
    if shutil.which("msgfmt"):
        path = tmp_path / "app.ru.po"
        path.write_bytes(out)
        check = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr


def test_number_not_found_falls_back_to_plural_translation(doc):
    texts = dict(RUSSIAN, **{"2#2": "два файла удалено"})
    plural = messages(write(doc, RU, machine(doc, texts)))["%(count)d fayl silindi"]
    assert [str(s) for s in plural.target.strings][1] == "%(count)d файлов удалено"


def test_english_has_two_forms_and_writes_do_not_leak(doc):
    write(doc, RU, machine(doc, RUSSIAN))
    english = {
        "2": "<x1/> file deleted",
        "2#plural": "<x1/> files deleted",
        "2#2": "2 files deleted",
        "2#5": "5 files deleted",
    }
    out = write(doc, EN, machine(doc, english, Origin.TM_EXACT))
    plural = messages(out)["%(count)d fayl silindi"]
    assert [str(s) for s in plural.target.strings] == [
        "%(count)d file deleted",
        "%(count)d files deleted",
    ]
    assert not plural.isfuzzy()  # a memory hit is not machine output
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in out.decode()
    assert "Открыть" not in out.decode()


def test_lost_placeholder_is_kept(doc):
    out = write(doc, RU, machine(doc, {"1": "Открыть файл"}))
    assert str(messages(out)["Faylı aç: %s"].target) == "Открыть файл%s"


def test_existing_russian_file_reads_forms_by_its_plural_rule(tmp_path):
    path = tmp_path / "app.ru.po"
    path.write_text(
        'msgid ""\nmsgstr ""\n"Language: ru\\n"\n"Plural-Forms: nplurals=3; plural=(n%10==1 && '
        'n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\\n"\n\n'
        'msgid "%d alma"\nmsgid_plural "%d alma"\nmsgstr[0] "%d яблоко"\nmsgstr[1] "%d яблока"\n'
        'msgstr[2] "%d яблок"\n',
        encoding="utf-8",
    )
    document = open_document(path)
    units = {u.id: u for u in document.units()}
    assert units["1"].target.render() == "<x1/> яблоко"
    assert units["1#5"].target.render() == "<x1/> яблок"
    assert all(u.state == UnitState.REVIEWED for u in units.values())
    with pytest.raises(UsageError, match="for language 'ru'"):
        document.check_target(EN)
    with pytest.raises(UsageError, match="for language 'ru'"):
        write(document, EN, {})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'msgid "a"\nmsgstr "b\nmsgid "c"\nmsgstr ""\n', "line 2"),
        (b'msgid "a"\nmsgstr "b"\n\nfoo "x"\n', "line 4"),
        (b'msgid "bir"\nmsgstr ""\n\nmsgid "bir"\nmsgstr ""\n', "line 4: duplicate message"),
        (b"  \n", "is empty"),
    ],
)
def test_malformed_po_is_one_line_with_line_number(tmp_path, content, message):
    path = tmp_path / "bad.po"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        PoDocument.load(path)
    assert "\n" not in str(info.value) and "bad.po" in str(info.value)


def test_single_target_and_sniff():
    assert PoDocument.single_target is True and PoDocument.binary is True
    assert PoDocument.sniff(b'# c\nmsgid ""\nmsgstr ""\n')
    assert not PoDocument.sniff(b"<?xml version='1.0'?><xliff/>")


# --- end to end: dilmanc translate --------------------------------------------------------------


def test_cli_russian_plurals_fuzzy_and_overwrite(cli, table_engine, tmp_path):
    table_engine.table.update(
        {
            # (tags at the edges of a segment stay outside it: the model sees the words)
            "Faylı aç:": "Открыть файл:",
            "fayl silindi": "файл удалён",
            "2 fayl silindi": "2 файла удалено",
            "5 fayl silindi": "5 файлов удалено",
            "<g1>Salam</g1>, <x2/>!": "<g1>Привет</g1>, <x2/>!",
        }
    )
    path = tmp_path / "app.pot"
    path.write_text(TEMPLATE, encoding="utf-8")
    res = cli(["translate", path, "--to", "ru", "--model", "dict", "-o", tmp_path / "out"])
    assert res.code == 0, res.err
    out = (tmp_path / "out" / "app.ru.po").read_bytes()
    found = messages(out)
    assert str(found["Faylı aç: %s"].target) == "Открыть файл: %s"
    assert [str(s) for s in found["%(count)d fayl silindi"].target.strings] == [
        "%(count)d файл удалён",
        "%(count)d файла удалено",
        "%(count)d файлов удалено",
    ]
    assert found["Faylı aç: %s"].isfuzzy()
    # a fuzzy entry (msgmerge's guess from another msgid) is machine-translated anew, still fuzzy
    assert str(found["Yeni düymə"].target) == "<ru> Yeni düymə" and found["Yeni düymə"].isfuzzy()
    # existing translations are kept without --overwrite...
    assert (
        found[
            "<b>Salam</b>, {name}! Sizin {count, plural, one {# mesaj} other {# mesaj}} var.\n"
        ].target
        == "Hello\n"
    )
    check = (
        subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", "-"], input=out, capture_output=True
        )
        if shutil.which("msgfmt")
        else None
    )
    assert check is None or check.returncode == 0, check.stderr
    # ...and replaced with it
    res = cli(
        [
            "translate",
            path,
            "--to",
            "ru",
            "--model",
            "dict",
            "-o",
            tmp_path / "again",
            "--overwrite",
        ]
    )
    assert res.code == 0, res.err
    again = messages((tmp_path / "again" / "app.ru.po").read_bytes())
    html = "<b>Salam</b>, {name}! Sizin {count, plural, one {# mesaj} other {# mesaj}} var.\n"
    assert str(again[html].target).startswith("<b>Привет</b>, {name}! ")
    assert str(again[html].target).endswith(
        "{count, plural, one {# <ru> mesaj} other {# <ru> mesaj}} <ru> var.\n"
    )  # each sub-message translated on its own, the skeleton never sent


def test_cli_po_errors_are_one_line_without_output(cli, table_engine, tmp_path):
    path = tmp_path / "app.po"
    path.write_text(TEMPLATE, encoding="utf-8")
    out = tmp_path / "out"
    line = one_line_error(cli(["translate", path, "--to", "en,ru", "--model", "d", "-o", out]))
    assert "one target language" in line
    bad = tmp_path / "bad.po"
    bad.write_bytes(b'msgid "a"\nmsgstr "b"\n\nmsgid "c\nmsgstr ""\n')
    line = one_line_error(cli(["translate", bad, "--to", "ru", "--model", "d", "-o", out]))
    assert "bad.po" in line and "line 4" in line
    assert not out.exists() or not any(out.iterdir())


# --- placeholders through a careless model (issue 17 item 3) ----------------------------------
PLACEHOLDERS = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"

#, python-format
msgid "Faylı %(name)r çevrildi və %(count)d yazıldı"
msgstr ""

msgid "{VAR_PLURAL, plural, =0 {heç kim} =1 {bir nəfər} other {# nəfər}}"
msgstr ""

#, no-c-format
msgid "Qiymət 20%-dən çox endirim: &nbsp;%s"
msgstr ""
"""


def test_python_format_r_conversions_are_placeholders():
    _, codes = protect("Faylı %(name)r çevrildi və %(count)d yazıldı: %r")
    assert [code.data for code in codes.values()] == ["%(name)r", "%(count)d", "%r"]


def test_placeholders_and_icu_survive_a_careless_model(tmp_path):
    from doubles import CarelessEngine, translate_and_write

    path = tmp_path / "app.pot"
    path.write_text(PLACEHOLDERS, encoding="utf-8")
    people = {"heç kim": "nobody", "bir nəfər": "one person", "nəfər": "people"}
    engine = CarelessEngine(people)
    data, _ = translate_and_write(PoDocument.load(path), engine)
    found = messages(data)
    target = str(found["Faylı %(name)r çevrildi və %(count)d yazıldı"].target)
    assert target.count("%(name)r") == 1 and target.count("%(count)d") == 1
    icu = str(found["{VAR_PLURAL, plural, =0 {heç kim} =1 {bir nəfər} other {# nəfər}}"].target)
    assert icu == "{VAR_PLURAL, plural, =0 {nobody} =1 {one person} other {# people}}"
    assert not any("plural" in seen for seen in engine.seen)
    prose = str(found["Qiymət 20%-dən çox endirim: &nbsp;%s"].target)
    assert prose.endswith("&nbsp;%s")
    assert "Qiymət 20%-dən çox endirim:" in engine.seen  # no-c-format: prose rules


def test_qe_flagged_targets_are_fuzzy_with_the_reasons_as_a_comment(doc):
    from dataclasses import replace

    from dilmanc.qe import Assessment, Finding

    found = Assessment("bad", None, (Finding("loop", "bad", "'fayl' ×5"),))
    items = machine(doc, {"1": RUSSIAN["1"]}, Origin.TM_EXACT)  # memory: not fuzzy by origin
    flagged = {uid: replace(item, qe=found) for uid, item in items.items()}
    data = write(doc, RU, flagged)
    unit = messages(data)["Faylı aç: %s"]
    assert unit.isfuzzy() and unit.target == "Открыть файл: %s"
    assert unit.getnotes("translator") == "dilmanc QE: bad: loop: 'fayl' ×5"
    path = doc.path.with_name("ru.po")
    path.write_bytes(data)
    reread = PoDocument.load(path)
    first = next(u for u in reread.units() if u.id == "1")
    assert first.state == UnitState.MACHINE and not any("QE" in n for n in first.notes)
    rewritten = messages(write(reread, RU, {"1": replace(flagged["1"], unit=first)}))
    assert rewritten["Faylı aç: %s"].getnotes("translator").count("dilmanc QE") == 1
    unit = messages(write(reread, RU, {"1": replace(items["1"], unit=first)}))["Faylı aç: %s"]
    assert not unit.isfuzzy() and "dilmanc QE" not in unit.getnotes("translator")


def test_restructuredtext_references_and_roles_are_placeholders():
    """Sphinx catalogues (found on a real Sphinx test catalogue, tests/corpus): a reference
    name, role, literal, substitution or footnote reference must come back unchanged, so it
    is never sent to the model; ordinary backquotes and bars stay text."""
    text = (
        "See `Sphinx site`_, `docs <https://x.org>`__, :ref:`label`, :py:func:`f`, "
        "``make html``, |release| and [#]_ [1]_ but not `this` or a|b."
    )
    _, codes = protect(text)
    assert [code.data for code in codes.values()] == [
        "`Sphinx site`_",
        "`docs <https://x.org>`__",
        ":ref:`label`",
        ":py:func:`f`",
        "``make html``",
        "|release|",
        "[#]_",
        "[1]_",
    ]
