"""The DeepL API v2 against a live server, through the official `deepl` Python package with
server_url pointed at it (and plain requests for error shapes)."""

from __future__ import annotations

import threading

import deepl
import pytest
import requests
from server_helpers import AZ, DoubleService, config_for, double_config, live_server

from dilmanc.server.auth import KeyStore

ORG = "Beynəlxalq Miqrasiya Təşkilatı"
ORG_TEXT = "Beynəlxalq Miqrasiya Təşkilatının nümayəndəsi bu gün gəldi."  # genitive form


@pytest.fixture(scope="module")
def live(tiny_nllb_dir, tmp_path_factory):
    """The tiny NLLB model serving English and Russian (real engine, gibberish output)."""
    config = config_for(tiny_nllb_dir, tmp_path_factory.mktemp("srv"), targets=("en", "ru"))
    with live_server(config) as server:
        yield server


@pytest.fixture(scope="module")
def double(tmp_path_factory):
    service = DoubleService.make(targets=("en", "ru"))
    with live_server(double_config(tmp_path_factory.mktemp("srv")), service) as server:
        yield server


def client(live, key="any-key"):
    return deepl.Translator(key, server_url=live.url)


def test_translate_text_with_the_official_client(live):
    translator = client(live)
    single = translator.translate_text(AZ[0], target_lang="EN-GB")
    assert single.text.strip() and single.detected_source_lang == "AZ"
    assert single.billed_characters == len(AZ[0])
    many = translator.translate_text(AZ[:3], source_lang="AZ", target_lang="RU")
    assert [r.billed_characters for r in many] == [len(t) for t in AZ[:3]]
    expected = live.server.service.pipeline().translate_text(AZ[1], live.server.targets[1])
    assert many[1].text == expected
    us = translator.translate_text(AZ[0], target_lang="EN-US", split_sentences="nonewlines",
                                   preserve_formatting=True)  # fmt: skip
    assert us.text == single.text


def test_languages_and_usage(live):
    translator = client(live)
    assert [(lang.code, lang.name) for lang in translator.get_source_languages()] == [
        ("AZ", "Azerbaijani")
    ]
    targets = [lang.code for lang in translator.get_target_languages()]
    assert targets == ["EN-GB", "EN-US", "RU"]
    before = translator.get_usage().character.count
    translator.translate_text("Salam dünya.", target_lang="RU")
    usage = translator.get_usage()
    assert usage.character.count == before + len("Salam dünya.")
    assert not usage.any_limit_reached
    pairs = {(p.source_lang, p.target_lang) for p in translator.get_glossary_languages()}
    assert pairs == {("az", "en"), ("az", "ru")}


def test_glossaries_create_list_get_entries_translate_delete(double):
    translator = client(double)
    entries = {ORG: "IOM", "nazir": "minister"}
    glossary = translator.create_glossary("organisations", "AZ", "EN", entries)
    assert glossary.ready and glossary.entry_count == 2 and glossary.target_lang == "EN"
    assert glossary.glossary_id in [g.glossary_id for g in translator.list_glossaries()]
    assert translator.get_glossary(glossary.glossary_id).name == "organisations"
    assert translator.get_glossary_entries(glossary) == {ORG: "IOM", "nazir": "minister"}
    plain = translator.translate_text(ORG_TEXT, source_lang="AZ", target_lang="EN-GB")
    assert "IOM" not in plain.text
    enforced = translator.translate_text(
        ORG_TEXT, source_lang="AZ", target_lang="EN-GB", glossary=glossary
    )
    assert "IOM" in enforced.text and "Miqrasiya" not in enforced.text  # inflected form matched
    with pytest.raises(ValueError, match="source_lang and target_lang must match glossary"):
        translator.translate_text(ORG_TEXT, source_lang="AZ", target_lang="RU", glossary=glossary)
    wrong_pair = requests.post(
        double.url + "/v2/translate",
        json={"text": [ORG_TEXT], "source_lang": "AZ", "target_lang": "RU",
              "glossary_id": glossary.glossary_id},
    )  # fmt: skip
    assert wrong_pair.status_code == 400
    assert wrong_pair.json() == {"message": "Glossary does not match the language pair."}
    translator.delete_glossary(glossary)
    with pytest.raises(deepl.GlossaryNotFoundException):
        translator.get_glossary(glossary.glossary_id)
    with pytest.raises(deepl.DeepLException, match="Not found"):
        translator.translate_text(
            ORG_TEXT, source_lang="AZ", target_lang="EN-GB", glossary=glossary.glossary_id
        )


def test_glossary_from_csv_and_malformed_entries(double):
    translator = client(double)
    csv_glossary = translator.create_glossary_from_csv(
        "csv", source_lang="AZ", target_lang="RU", csv_data=f'"{ORG}",МОМ,az,ru\nnazir,министр\n'
    )
    assert csv_glossary.entry_count == 2
    assert translator.get_glossary_entries(csv_glossary) == {ORG: "МОМ", "nazir": "министр"}
    bad = requests.post(
        double.url + "/v2/glossaries",
        json={"name": "bad", "source_lang": "az", "target_lang": "en",
              "entries": "nazir\tminister\ttoo\tmany\n", "entries_format": "tsv"},
    )  # fmt: skip
    assert bad.status_code == 400
    assert bad.json() == {
        "message": "Invalid glossary entries provided",
        "detail": "entry 1: 4 fields but the header has 2",
    }
    conflict = requests.post(
        double.url + "/v2/glossaries",
        json={"name": "bad", "source_lang": "az", "target_lang": "en",
              "entries": "nazir\tminister\nNazir\tsecretary\n"},
    )  # fmt: skip
    assert conflict.status_code == 400 and conflict.json()["detail"].startswith("entry 2: ")
    for payload, message in [
        ({"name": "x", "source_lang": "en", "target_lang": "az", "entries": "a\tb"}, "Bad request"),
        ({"name": "x", "source_lang": "az", "target_lang": "en"},
         "Parameter 'entries' not specified."),
        ({"name": "x", "source_lang": "az", "target_lang": "en", "entries": "a\tb",
          "entries_format": "xlsx"}, "Bad request"),
    ]:  # fmt: skip
        response = requests.post(double.url + "/v2/glossaries", json=payload)
        assert response.status_code == 400 and response.json()["message"] == message
    empty_term = requests.post(
        double.url + "/v2/glossaries",
        json={"name": "x", "source_lang": "az", "target_lang": "en", "entries": "\tminister"},
    )
    assert empty_term.json() == {
        "message": "Invalid glossary entries provided",
        "detail": "entry 1: empty az (source) term",
    }


def test_glossaries_survive_a_restart(tmp_path):
    config = double_config(tmp_path / "srv")
    with live_server(config, DoubleService.make()) as first:
        made = client(first).create_glossary("kept", "AZ", "EN", {ORG: "IOM"})
    with live_server(config, DoubleService.make()) as second:
        again = client(second).get_glossary(made.glossary_id)
        assert (again.name, again.entry_count) == ("kept", 1)
        enforced = client(second).translate_text(
            ORG_TEXT, source_lang="AZ", target_lang="EN-US", glossary=made.glossary_id
        )
        assert "IOM" in enforced.text


def test_concurrent_glossary_create_and_delete_during_translations(double):
    """Requests never see half a glossary: each translation either enforces a complete one
    or answers 404 because it was deleted first; the server keeps serving."""
    translator = client(double)
    stop = threading.Event()
    problems: list[str] = []
    ids: list[str] = []

    def churn():
        while not stop.is_set():
            made = translator.create_glossary("churn", "AZ", "EN", {ORG: "IOM", "nazir": "x"})
            ids.append(made.glossary_id)
            translator.delete_glossary(made)

    def translate():
        session = requests.Session()
        for _ in range(15):
            glossary_id = ids[-1] if ids else None
            payload = {"text": [ORG_TEXT], "source_lang": "AZ", "target_lang": "EN-GB"}
            if glossary_id:
                payload["glossary_id"] = glossary_id
            response = session.post(double.url + "/v2/translate", json=payload)
            if response.status_code == 200:
                text = response.json()["translations"][0]["text"]
                if glossary_id and "IOM" not in text:
                    problems.append(f"glossary {glossary_id} not enforced: {text}")
            elif response.status_code != 404:
                problems.append(f"{response.status_code} {response.text}")

    churner = threading.Thread(target=churn)
    churner.start()
    workers = [threading.Thread(target=translate) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    stop.set()
    churner.join(120)
    assert problems == []
    assert len(ids) > 1
    assert requests.get(double.url + "/health").json() == {"status": "ok"}


def test_tag_handling_html_keeps_markup_and_ignore_tags(double):
    translator = client(double)
    result = translator.translate_text(
        "<p>Salam <b>dünya</b>!</p><code>x = 1</code><span>Bir</span>",
        target_lang="RU",
        tag_handling="html",
        ignore_tags=["span"],
    )
    assert result.text == (
        "<p>&lt;ru&gt; Salam <b>dünya</b>!</p><code>x = 1</code><span>Bir</span>"
    )
    xml = translator.translate_text(
        "<doc><t>Salam.</t></doc>", target_lang="RU", tag_handling="xml"
    )
    assert xml.text == "<doc><t>&lt;ru&gt; Salam.</t></doc>"


def test_document_translation_of_a_text_file(live, tmp_path):
    source = tmp_path / "xəbər.az.txt"
    source.write_text("\n".join(AZ) + "\n", encoding="utf-8")
    output = tmp_path / "xəbər.en.txt"
    status = client(live).translate_document_from_filepath(
        source, tmp_path / "out.txt", target_lang="EN-GB"
    )
    assert status.done and status.billed_characters == sum(len(t) for t in AZ)
    lines = (tmp_path / "out.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(AZ) and all(line.strip() for line in lines)
    assert not output.exists()


def test_document_translation_of_a_docx(live, tmp_path):
    pytest.importorskip("dilmanc.documents.docx")
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph("Bu gün ")
    paragraph.add_run("hava").bold = True
    paragraph.add_run(" çox gözəldir.")
    document.add_paragraph(AZ[1])
    source = tmp_path / "hesabat.docx"
    document.save(source)
    with open(source, "rb") as handle, open(tmp_path / "hesabat.ru.docx", "wb") as out:
        status = client(live).translate_document(
            handle, out, target_lang="RU", filename="hesabat.docx"
        )
    assert status.done and status.billed_characters > 0
    translated = docx.Document(tmp_path / "hesabat.ru.docx")
    paragraphs = [p for p in translated.paragraphs if p.text.strip()]
    assert len(paragraphs) == 2
    assert any(run.bold for run in paragraphs[0].runs)  # the bold run survived


def test_document_errors(live, tmp_path):
    translator = client(live)
    with pytest.raises(deepl.DeepLException, match="Invalid file data"):
        translator.translate_document_upload(b"   \n", target_lang="EN-GB", filename="bos.txt")
    with pytest.raises(deepl.DeepLException, match="Invalid file data"):
        translator.translate_document_upload(b"MZ", target_lang="EN-GB", filename="x.exe")
    handle = translator.translate_document_upload(b"Salam.\n", target_lang="RU", filename="a.txt")
    wrong = deepl.DocumentHandle(handle.document_id, "0" * 64)
    with pytest.raises(deepl.AuthorizationException):
        translator.translate_document_get_status(wrong)
    with pytest.raises(deepl.DeepLException, match="Not found"):
        translator.translate_document_get_status(deepl.DocumentHandle("NOPE", "x"))
    translator.translate_document_wait_until_done(handle)


def test_auth_keys_and_quota(tiny_nllb_dir, tmp_path):
    keys = KeyStore.load(tmp_path / "keys.json", create=True)
    token = keys.add("tool", char_quota=40)
    config = config_for(
        tiny_nllb_dir, tmp_path / "srv", targets=("en", "ru"), api_keys=tmp_path / "keys.json"
    )
    with live_server(config) as live:
        with pytest.raises(deepl.AuthorizationException):
            client(live, "wrong").translate_text("Salam.", target_lang="RU")
        translator = client(live, token)
        translator.translate_text(AZ[1], target_lang="RU")  # 30 characters of 40
        usage = translator.get_usage()
        assert (usage.character.count, usage.character.limit) == (len(AZ[1]), 40)
        with pytest.raises(deepl.QuotaExceededException):
            translator.translate_text(AZ[1], target_lang="RU")
        plain = requests.post(live.url + "/v2/translate", json={"text": ["x"], "target_lang": "RU"})
        assert plain.status_code == 403 and "message" in plain.json()


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"target_lang": "EN-GB"}, 400, "Parameter 'text' not specified."),
        ({"text": ["Salam."]}, 400, "Parameter 'target_lang' not specified."),
        ({"text": ["Salam."], "target_lang": "DE"}, 400, "Value for 'target_lang' not supported."),
        ({"text": ["Salam."], "target_lang": "RU", "source_lang": "TR"}, 400,
         "Value for 'source_lang' not supported."),
        ({"text": ["Salam."], "target_lang": "RU", "tag_handling": "json"}, 400,
         "Value for 'tag_handling' not supported."),
        ({"text": ["Salam."], "target_lang": "RU", "split_sentences": "2"}, 400,
         "Value for 'split_sentences' not supported."),
        ({"text": ["Salam."], "target_lang": "RU", "glossary_id": "x"}, 400,
         "Use of a glossary requires the source_lang parameter to be set."),
        ({"text": ["Salam."], "target_lang": "RU", "source_lang": "AZ", "glossary_id": "x"}, 404,
         "Glossary not found"),
    ],
)  # fmt: skip
def test_bad_translate_requests(double, payload, status, message):
    response = requests.post(double.url + "/v2/translate", json=payload)
    assert response.status_code == status and response.json()["message"] == message


def test_form_encoded_translate_with_repeated_text(double):
    response = requests.post(
        double.url + "/v2/translate",
        data=[("text", "Salam."), ("text", "Sağ ol."), ("target_lang", "RU")],
        headers={"Authorization": "DeepL-Auth-Key x"},
    )
    assert [t["text"] for t in response.json()["translations"]] == ["<ru> Salam.", "<ru> Sağ ol."]
    malformed = requests.post(
        double.url + "/v2/translate", data=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["message"] == "Bad request"
