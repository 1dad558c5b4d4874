"""People's names: detection in Azerbaijani, Russian/English rendering, glossary terms, CLI.

All sentences and names are invented for these tests. The precision/recall test reads
tests/data/names_annotated.tsv (written while the detector was built) and
tests/data/names_heldout.tsv (written afterwards, measured once before any change) and prints
the figures:
    python -m pytest -q -s tests/test_names.py -k precision
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dilmanc.errors import InputError, UsageError
from dilmanc.glossary import TermEnforcer, find_terms, load_glossaries
from dilmanc.glossary.model import KNOWN_FLAGS, term_key
from dilmanc.glossary.names import names_glossary
from dilmanc.glossary.verify import _lemmas, check_entry, find_rendering
from dilmanc.text.names import NameTable, find_names, find_names_in, render
from dilmanc.text.names.russian import name_forms
from dilmanc.text.names.transcribe import en_word, ru_word

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def table() -> NameTable:
    return NameTable.load()


def only(text: str, table: NameTable):
    found = find_names(text, table)
    assert len(found) == 1, found
    return found[0]


# -- rendering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word, ru, en",
    [
        ("Həzi", "Хази", "Hazi"),
        ("Aslanov", "Асланов", "Aslanov"),
        ("Behbudov", "Бехбудов", "Behbudov"),
        ("Gülnarə", "Гюльнара", "Gulnara"),
        ("Kəmalə", "Кямаля", "Kamala"),
        ("Ülviyyə", "Ульвия", "Ulviyya"),
        ("Elçin", "Эльчин", "Elchin"),
        ("İlham", "Ильхам", "Ilham"),
        ("Ramil", "Рамиль", "Ramil"),
        ("Zeynəb", "Зейнаб", "Zeynab"),
        ("Məryəm", "Марьям", "Maryam"),
        ("Xəyal", "Хаял", "Khayal"),
        ("Cavid", "Джавид", "Javid"),
        ("Sevinc", "Севиндж", "Sevinj"),
        ("Şəhla", "Шахла", "Shahla"),
        ("Aygün", "Айгюн", "Aygun"),
        ("Əliyeva", "Алиева", "Aliyeva"),
        ("Nağıyev", "Нагиев", "Naghiyev"),
        ("Qasımlı", "Гасымлы", "Gasimli"),
        ("Hacıyev", "Хаджиев", "Hajiyev"),
        ("Dövlət", "Довлят", "Dovlat"),
        ("Ömər", "Омар", "Omar"),
    ],
)
def test_transcription_rules(word, ru, en):
    assert ru_word(word) == ru
    assert en_word(word) == en


@pytest.mark.parametrize(
    "sentence, mention, ru, en_direct, en_keep",
    [
        # the traditional forms come from the exceptions table
        (
            "Tədbiri Vüqar Behbudov açdı.",
            "Vüqar Behbudov",
            "Вугар Бехбудов",
            "Vugar Behbudov",
            "Vüqar Behbudov",
        ),
        (
            "Bu barədə cənab Həzi Aslanov danışdı.",
            "Həzi Aslanov",
            "Хази Асланов",
            "Hazi Aslanov",
            "Həzi Aslanov",
        ),
        (
            "Mükafatı Rüstəm Füzuliyə verdilər.",
            "Rüstəm Füzuliyə",
            "Рустам Физули",
            "Rustam Fuzuli",
            "Rüstəm Füzuli",
        ),
        (
            "Dövlət Məmmədovun çıxışı uzun oldu.",
            "Dövlət Məmmədovun",
            "Довлят Мамедов",
            "Dovlat Mammadov",
            "Dövlət Məmmədov",
        ),
        # inflected forms map to the nominative
        (
            "Söz Leyla Hüseynovaya verildi.",
            "Leyla Hüseynovaya",
            "Лейла Гусейнова",
            "Leyla Huseynova",
            "Leyla Hüseynova",
        ),
        (
            "Heydər Əliyevin adını daşıyan məktəb.",
            "Heydər Əliyevin",
            "Гейдар Алиев",
            "Heydar Aliyev",
            "Heydər Əliyev",
        ),
        (
            "Aysel Rəsulzadədən məktub gəldi.",
            "Aysel Rəsulzadədən",
            "Айсель Расулзаде",
            "Aysel Rasulzada",
            "Aysel Rəsulzadə",
        ),
        (
            "Rüstəmovla görüşdük, Elşən Rüstəmov razı qaldı.",
            "Rüstəmovla",
            "Эльшан Рустамов",
            "Elshan Rustamov",
            "Elşən Rüstəmov",
        ),
        (
            "Vüqar Əli oğlu Behbudovun ərizəsi qəbul olundu.",
            "Vüqar Əli oğlu Behbudovun",
            "Вугар Али оглы Бехбудов",
            "Vugar Ali oglu Behbudov",
            "Vüqar Əli oğlu Behbudov",
        ),
        (
            "Sərəncamı Nigar Cəfərli imzaladı.",
            "Nigar Cəfərli",
            "Нигар Джафарли",
            "Nigar Jafarli",
            "Nigar Cəfərli",
        ),
        ("Con Smit cənab Aslanovla görüşdü.", "Con Smit", "Джон Смит", "John Smit", "John Smit"),
    ],
)
def test_sentences_render_in_both_languages(table, sentence, mention, ru, en_direct, en_keep):
    found = {m.text: m for m in find_names(sentence, table)}
    assert mention in found, list(found)
    m = found[mention]
    assert sentence[m.start : m.end] == mention
    person = m.person
    assert render(person, "ru") == ru
    assert render(person, "en", "direct") == en_direct
    assert render(person, "en", "keep") == en_keep


def test_partial_mentions_render_with_the_persons_words(table):
    text = "Elşən Rüstəmov gəldi. Rüstəmovun fikri fərqli idi. Elşən də razılaşdı."
    mentions = find_names(text, table)
    assert [m.text for m in mentions] == ["Elşən Rüstəmov", "Rüstəmovun", "Elşən"]
    assert len({m.person.key for m in mentions}) == 1
    assert [render(m.person, "ru", shape=m.shape) for m in mentions] == [
        "Эльшан Рустамов",
        "Рустамов",
        "Эльшан",
    ]


def test_render_rejects_unknown_language_and_style(table):
    person = only("Vüqar Behbudov gəldi.", table).person
    with pytest.raises(UsageError, match="en or ru"):
        render(person, "de")
    with pytest.raises(UsageError, match="style"):
        render(person, "en", "fancy")


# -- detection: precision first ----------------------------------------------------------------


def load_annotated(path: Path) -> list[tuple[str, set[tuple[int, int, str]]]]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        sentence, _, expected = line.partition("\t")
        gold, pos = set(), 0
        for item in filter(None, expected.split(";")):
            surface, _, person = item.partition(">")
            start = sentence.index(surface, pos)
            gold.add((start, start + len(surface), term_key(person)))
            pos = start + len(surface)
        cases.append((sentence, gold))
    return cases


@pytest.mark.parametrize(
    "name, min_precision, min_recall",
    [("names_annotated.tsv", 0.98, 0.95), ("names_heldout.tsv", 0.97, 0.9)],
)
def test_precision_and_recall_on_own_sentences(table, name, min_precision, min_recall):
    cases = load_annotated(DATA / name)
    assert len(cases) >= 40
    tp = fp = fn = 0
    wrong, misses = [], []
    for sentence, gold in cases:
        found = {(m.start, m.end, m.person.key) for m in find_names(sentence, table)}
        tp += len(found & gold)
        fp += len(found - gold)
        fn += len(gold - found)
        wrong += [(sentence, f) for f in found - gold]
        misses += [(sentence, g) for g in gold - found]
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(
        f"\nnames {name}: {len(cases)} sentences, {tp + fn} names: "
        f"precision {precision:.3f}, recall {recall:.3f}\nwrong: {wrong}\nmisses: {misses}"
    )
    assert precision >= min_precision, wrong
    assert recall >= min_recall, misses


@pytest.mark.parametrize(
    "sentence",
    [
        "Dövlət Komitəsinin iclası keçirildi.",
        "Milli Məclisdə qanun qəbul olundu.",
        "Araz çayının sahilində park salınıb.",
        "İnsan Alverinə qarşı Mübarizə günü qeyd edildi.",
        "Füzuli rayonunda yeni məktəb açıldı.",
        "Çexoslovakiyadan gələn nümayəndə danışdı.",
        "Cənab Prezident qonaqları salamladı.",
        "Azərbaycanlı Tələbələr Birliyi yarandı.",
        "Rostov şəhərində yarmarka keçirildi.",
    ],
)
def test_ordinary_capitalised_words_are_not_names(table, sentence):
    assert find_names(sentence, table) == []


def test_lexical_given_name_needs_support(table):
    assert find_names("Ümid Bankı kredit verdi.", table) == []
    assert only("Ümid Qasımov kredit aldı.", table).text == "Ümid Qasımov"
    assert only("Bunu Ümid müəllim dedi.", table).text == "Ümid"


def test_female_surname_or_dative(table):
    woman = only("Konfransı xanım Aslanova açdı.", table)
    assert (woman.person.surname, woman.person.gender, woman.ambiguous) == ("Aslanova", "f", False)
    to_him = only("Hesabatı Həzi Aslanova təqdim etdilər.", table)
    assert (to_him.person.surname, to_him.suffix, to_him.ambiguous) == ("Aslanov", "a", False)
    assert "gender" in to_him.note
    by_next_word = only("Aslanova görə layihə bitəcək.", table)
    assert by_next_word.person.surname == "Aslanov"
    assert by_next_word.ambiguous and "görə" in by_next_word.note
    unclear = only("Aslanova razılaşdı.", table)
    assert unclear.ambiguous and unclear.person.surname == "Aslanova"
    # the other mentions of the document decide when nothing local does
    doc = find_names("Həzi Aslanov gəldi. Aslanova razılaşdı.", table)
    assert doc[1].person is doc[0].person
    assert doc[1].ambiguous and "another mention" in doc[1].note
    # a suffix after -ova leaves no doubt: the woman Aslanova, genitive
    assert only("Aslanovanın məqaləsi çıxdı.", table).person.surname == "Aslanova"


def test_female_given_name_or_dative_of_male(table):
    assert only("Elmira Kazımova gəldi.", table).person.given == ("Elmira",)
    assert only("Sözü Elmir Kazımova verdik.", table).person.key == "elmir kazimov"


def test_one_person_per_document_across_segments(table):
    segments = [
        "Vüqar Behbudov tədbiri açdı.",
        "Behbudovun sözlərinə görə, mərkəz 300 nəfərə kömək edib.",
        "Vüqara təşəkkür etdilər.",
        "Siyahıda Behbudov Vüqar birinci idi.",
    ]
    mentions = [m for ms in find_names_in(segments, table) for m in ms]
    assert [m.text for m in mentions] == [
        "Vüqar Behbudov",
        "Behbudovun",
        "Vüqara",
        "Behbudov Vüqar",
    ]
    assert len({m.person.key for m in mentions}) == 1
    assert mentions[3].shape == ("surname", "given")
    assert render(mentions[3].person, "en", shape=mentions[3].shape) == "Behbudov Vugar"


def test_surname_shared_by_two_people_is_kept_apart(table):
    text = "Tural Həsənov və Nigar Həsənova gəldilər. Həsənov danışdı. Rəşad Həsənov da gəldi."
    lone = [m for m in find_names(text, table) if m.text == "Həsənov"][0]
    assert lone.ambiguous and "could be any of" in lone.note
    assert lone.person.key == "həsənov"


def test_foreign_names_are_flagged_and_misspellings_noted(table):
    text = "Vladimir Qyorqiyev çıxış etdi. Sonra Vladimir Qiorqiyev suallara cavab verdi."
    people = {m.person.key: m.person for m in find_names(text, table)}
    assert len(people) == 2
    for person in people.values():
        assert person.foreign
        assert any("foreign" in n for n in person.notes)
        assert any("possibly the same person" in n for n in person.notes)


# -- name table ------------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "names.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_table_overrides_and_declares_names(tmp_path):
    path = write(
        tmp_path,
        "# the editor's names\naz\tru\ten\tgender\tnote\n"
        "Vladimir Qyorqiyev\tВладимир Георгиев\tVladimir Georgiev\t\tBulgarian\n"
        "Həzi\tГази\t\t\ttraditional form\n"
        "Elnaz\t\t\tf\ta given name the list lacks\n"
        "Con Braun\tДжон Браун\tJohn Brown\t\t\n",
    )
    table = NameTable.load([path])
    text = (
        "Qyorqiyevin çıxışından sonra Vladimir Qyorqiyev Həzi Aslanovla danışdı. "
        "Elnaz Qəmbərli və Con Braunun nümayəndələri də gəldi."
    )
    found = {m.text: m for m in find_names(text, table)}
    assert set(found) == {
        "Qyorqiyevin",
        "Vladimir Qyorqiyev",
        "Həzi Aslanovla",
        "Elnaz Qəmbərli",
        "Con Braunun",
    }
    georgiev = found["Vladimir Qyorqiyev"].person
    assert found["Qyorqiyevin"].person is georgiev and not georgiev.foreign
    assert render(georgiev, "ru") == "Владимир Георгиев"
    assert render(georgiev, "en", "keep") == "Vladimir Georgiev"
    assert render(georgiev, "ru", shape=("surname",)) == "Георгиев"
    assert render(found["Həzi Aslanovla"].person, "ru") == "Гази Асланов"
    assert found["Con Braunun"].suffix == "un"
    assert render(found["Con Braunun"].person, "en") == "John Brown"


@pytest.mark.parametrize(
    "content, message",
    [
        ("az\tru\tfr\nVüqar\tВугар\tVugar\n", "line 1: unknown column 'fr'"),
        ("az,ru\nVüqar,Вугар\n", "line 1: the header is not tab-separated"),
        ("az\tru\tgender\nVüqar\tВугар\tx\n", "line 2: gender must be m or f"),
        ("az\tru\n\n# c\nVüqar\tВугар Вугарович\n", "line 4: ru rendering"),
        ("az\tru\tgender\nVüqar\t\t\n", "line 2: 'Vüqar' has no ru, en or gender value"),
        ("az\tru\nVüqar\tВугар\textra\n", "line 2: 3 fields but the header has 2"),
        ("az\tru\nVüqar2\tВугар\n", "line 2: 'Vüqar2' is not a name"),
        ("# only a comment\n", "line 1: no header row"),
    ],
)
def test_bad_names_file_is_one_error_with_its_line(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(InputError) as err:
        NameTable.load([path])
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


# -- glossary and verification ---------------------------------------------------------------


def test_names_glossary_entries(table):
    segments = [
        "Tədbiri Vüqar Behbudov açdı.",
        "Behbudovun sözlərinə görə, Dövlət Komitəsi Vüqar Behbudova dəstək verir.",
        "Bunu Dövlət müəllim də təsdiqlədi.",
    ]
    glossary = names_glossary(segments, ["en", "ru", "de"], style="direct", table=table)
    by_id = {e.id: e for e in glossary}
    assert set(by_id) == {"name:vüqar-behbudov", "name:vüqar-behbudov:surname"}
    full = by_id["name:vüqar-behbudov"]
    assert full.az == ("Vüqar Behbudov",)
    assert full.targets == {"en": ("Vugar Behbudov",), "ru": ("Вугар Бехбудов",)}
    assert full.flags == frozenset({"case", "name"}) <= KNOWN_FLAGS | {"case"}
    assert by_id["name:vüqar-behbudov:surname"].targets["ru"] == ("Бехбудов",)
    # the matcher finds the inflected forms; "Dövlət" alone is never a term
    found = [(m.text, m.entry.id) for m in find_terms(segments[1], glossary)]
    assert found == [
        ("Behbudovun", "name:vüqar-behbudov:surname"),
        ("Vüqar Behbudova", "name:vüqar-behbudov"),
    ]
    keep = names_glossary(segments, ["en"], style="keep", table=table)
    assert keep.by_id("name:vüqar-behbudov").targets == {"en": ("Vüqar Behbudov",)}


@pytest.mark.parametrize(
    "word, forms",
    [
        ("Бехбудов", {"бехбудова", "бехбудову", "бехбудовым", "бехбудове"}),
        ("Асланова", {"аслановой", "асланову"}),
        ("Вугар", {"вугара", "вугару", "вугаром", "вугаре"}),
        ("Довлят", {"довлята", "довлятом"}),
        ("Лейла", {"лейлы", "лейле", "лейлу", "лейлой"}),
        ("Ульвия", {"ульвии", "ульвию", "ульвией"}),
        ("Камиль", {"камиля", "камилю", "камилем"}),
        ("Севиндж", {"севинджа", "севинджем"}),
    ],
)
def test_russian_name_forms(word, forms):
    assert forms <= name_forms(word)


@pytest.mark.parametrize("word", ["Хази", "Мамедли", "Гасанзаде", "оглы"])
def test_russian_names_in_vowels_do_not_decline(word):
    assert name_forms(word) == {word.lower()}


def test_russian_verification_accepts_declined_names(table):
    glossary = names_glossary(
        ["Dövlət Məmmədov, Rza Quliyev və Vüqar Behbudov gəldilər."],
        ["ru"],
        style="direct",
        table=table,
    )
    dovlat = glossary.by_id("name:dövlət-məmmədov")
    rza = glossary.by_id("name:rza-quliyev")
    vugar = glossary.by_id("name:vüqar-behbudov")
    assert (dovlat.target("ru"), rza.target("ru")) == ("Довлят Мамедов", "Рза Гулиев")
    assert check_entry("Слово Довлята Мамедова было коротким.", dovlat, "ru").satisfied
    assert check_entry("Встреча с Вугаром Бехбудовым прошла.", vugar, "ru").satisfied
    assert check_entry("Письмо Вугару Бехбудову отправлено.", vugar, "ru").satisfied
    assert not check_entry("Встреча с Вюгаром Бехбудовым прошла.", vugar, "ru").satisfied
    # pymorphy3 alone does not know this name's genitive; the name fallback does
    assert not (_lemmas("Рзы") & _lemmas("Рза"))
    assert check_entry("Слова Рзы Гулиева записали.", rza, "ru").satisfied
    # the fallback is for capitalised names only
    assert find_rendering("слова рзы", "Рза", "ru") == []


def test_enforcer_injects_names_and_accepts_declension(table):
    segments = ["Vüqar Behbudovun çıxışı oldu.", "Sonra Behbudova sual verdilər."]
    glossary = names_glossary(segments, ["ru"], style="direct", table=table)
    seen = []

    def translate(texts):
        seen.extend(texts)
        return ["Выступил Вугар Бехбудов.", "Потом Бехбудову задали вопрос."]

    result = TermEnforcer(glossary, "inject").translate(segments, "ru", translate)
    assert '"Вугар Бехбудов"-un' in seen[0]
    assert '"Бехбудов"-a' in seen[1]
    assert all(seg.ok for seg in result)


def test_name_flag_is_accepted_in_glossary_files(tmp_path):
    path = write(tmp_path, "az\ten\tflags\nVüqar Behbudov\tVugar Behbudov\tname,case\n", "g.tsv")
    (entry,) = load_glossaries([str(path)])
    assert entry.flags == {"name", "case"}


# -- command line ----------------------------------------------------------------------------

TEXT = (
    "Tədbiri cənab Həzi Aslanov açdı.\n"
    "Aslanovun sözlərinə görə, Leyla Məmmədova da gələcək.\n"
    "Vladimir Qyorqiyev çıxış etdi.\n"
)


def test_cli_json(cli, tmp_path):
    src = write(tmp_path, TEXT, "release.az.txt")
    result = cli(["names", src, "--to", "en,ru", "--json"])
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["targets"] == ["en", "ru"] and data["style"] == "direct"
    people = {p["person"]: p for p in data["persons"]}
    assert list(people) == ["Həzi Aslanov", "Leyla Məmmədova", "Vladimir Qyorqiyev"]
    aslanov = people["Həzi Aslanov"]
    assert aslanov["renderings"] == {"en": "Hazi Aslanov", "ru": "Хази Асланов"}
    assert aslanov["mentions"] == 2
    forms = {f["text"]: f for f in aslanov["forms"]}
    assert forms["Aslanovun"]["lines"] == [2]
    start, end = forms["Aslanovun"]["offsets"][0]
    assert TEXT[start:end] == "Aslanovun"
    assert people["Leyla Məmmədova"]["gender"] == "f"
    assert people["Vladimir Qyorqiyev"]["foreign"] is True
    assert people["Vladimir Qyorqiyev"]["notes"]


def test_cli_table_keep_style_and_overrides(cli, tmp_path):
    src = write(tmp_path, TEXT, "release.az.txt")
    names = write(
        tmp_path, "az\tru\ten\nVladimir Qyorqiyev\tВладимир Георгиев\tVladimir Georgiev\n"
    )
    result = cli(["names", src, "--names", "keep", "--names-file", names])
    assert result.code == 0, result.err
    assert "  en: Həzi Aslanov" in result.out
    assert "  ru: Владимир Георгиев" in result.out
    assert "  1 × Aslanovun  (line 2; chars" in result.out
    assert "3 person(s), 4 mention(s)" in result.err


def test_cli_reads_stdin(cli):
    result = cli(["names", "-", "--to", "ru"], stdin="Rüstəm Quliyev gəldi.\n")
    assert result.code == 0 and "  ru: Рустам Гулиев" in result.out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--names", "fancy"], "--names must be direct or keep"),
        (["--to", "de"], "names can be rendered into en, ru, not de"),
        (["--to", "xx"], "unknown language code 'xx'"),
        (["--names-file", "missing.tsv"], "missing.tsv: no such file"),
    ],
)
def test_cli_errors_are_one_line_exit_2(cli, tmp_path, extra, message):
    src = write(tmp_path, TEXT, "release.az.txt")
    result = cli(["names", src, *extra])
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1 and message in result.err


def test_cli_bad_names_file_and_missing_input(cli, tmp_path):
    src = write(tmp_path, TEXT, "release.az.txt")
    bad = write(tmp_path, "az\tru\tgender\nVüqar\tВугар\tx\n")
    result = cli(["names", src, "--names-file", bad])
    assert result.code == 2 and "line 2: gender must be m or f" in result.err
    assert result.err.count("\n") == 1
    result = cli(["names", tmp_path / "nope.txt"])
    assert result.code == 2 and "no such file" in result.err and result.err.count("\n") == 1


def test_cli_on_seed_press_release(cli, seed_path):
    result = cli(["names", seed_path, "--to", "en,ru", "--json"])
    assert result.code == 0, result.err
    people = json.loads(result.out)["persons"]
    assert len(people) == 3
    assert all(p["mentions"] == 2 and p["given"] and p["surname"] for p in people)
    assert [p["foreign"] for p in people].count(True) == 1
    for p in people:
        assert all("а" <= ch.lower() <= "я" or ch in " ё" for ch in p["renderings"]["ru"])
        assert p["renderings"]["en"].isascii()
