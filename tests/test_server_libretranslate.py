"""The LibreTranslate API against a live server on 127.0.0.1: the real libretranslatepy client,
LibreTranslate's own API test expectations, Weblate-shaped requests, and bad input."""

from __future__ import annotations

import json

import pytest
import requests
from server_helpers import AZ, DoubleService, config_for, double_config, live_server

from dilmanc.server.auth import KeyStore


@pytest.fixture(scope="module")
def live(tiny_marian_dir, tmp_path_factory):
    """dilmanc serve over the tiny az→en Marian model (real engine, gibberish output)."""
    config = config_for(tiny_marian_dir, tmp_path_factory.mktemp("srv"), char_limit=500)
    with live_server(config) as server:
        yield server


@pytest.fixture(scope="module")
def double(tmp_path_factory):
    """dilmanc serve over the copying DictEngine: what reached the model is visible."""
    service = DoubleService.make(targets=("en", "ru"))
    config = double_config(tmp_path_factory.mktemp("srv"), suggestions=True)
    with live_server(config, service) as server:
        yield server


def _post(live, path, request_id, **kwargs):
    headers = {**kwargs.pop("headers", {}), "X-Request-ID": request_id}
    return requests.post(live.url + path, headers=headers, **kwargs)


# --- the real client -----------------------------------------------------------------------------


def test_libretranslatepy_translates_detects_and_lists_languages(live):
    from libretranslatepy import LibreTranslateAPI

    client = LibreTranslateAPI(live.url)
    translated = client.translate(AZ[0], source="az", target="en")
    assert isinstance(translated, str) and translated.strip()
    found = client.detect(AZ[1])
    assert found[0]["language"] == "az" and 0 < found[0]["confidence"] <= 100
    assert client.detect("Good morning, how are you today?")[0]["language"] == "en"
    languages = client.languages()
    assert {"code": "az", "name": "Azerbaijani", "targets": ["en"]} in languages
    assert {lang["code"] for lang in languages} == {"az", "en"}


def test_translation_is_the_engine_output_and_shared_engine_calls_are_logged(live):
    response = _post(
        live, "/translate", "t-shared", data={"q": AZ[2], "source": "az", "target": "en"}
    )
    assert response.status_code == 200 and response.headers["x-request-id"] == "t-shared"
    expected = live.server.service.pipeline().translate_text(AZ[2], live.server.targets[0])
    assert response.json() == {"translatedText": expected}
    line = live.line_for("t-shared")
    assert line["route"] == "/translate" and line["status"] == 200
    assert line["characters"] == len(AZ[2]) and line["ms"] > 0 and line["request_id"]
    assert AZ[2] not in json.dumps(live.logs()) and expected not in json.dumps(live.logs())


# --- LibreTranslate's own API tests, as they are written upstream --------------------------------


def test_upstream_translate_and_batch(live):
    response = requests.post(
        live.url + "/translate", data={"q": AZ[0], "source": "az", "target": "en", "format": "text"}
    )
    assert response.status_code == 200 and "translatedText" in response.json()
    response = requests.post(
        live.url + "/translate",
        json={"q": [AZ[0], AZ[1]], "source": "az", "target": "en", "format": "text"},
    )
    body = response.json()
    assert response.status_code == 200
    assert isinstance(body["translatedText"], list) and len(body["translatedText"]) == 2


def test_upstream_error_wording(live):
    response = requests.post(
        live.url + "/translate", data={"q": AZ[0], "source": "az", "target": "zz", "format": "text"}
    )
    assert response.status_code == 400 and response.json() == {"error": "zz is not supported"}
    response = requests.post(
        live.url + "/translate", data={"source": "az", "target": "en", "format": "text"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid request: missing q parameter"}


def test_upstream_detect_languages_health_spec_settings(live):
    response = requests.post(live.url + "/detect", data={"q": "Hello"})
    assert response.status_code == 200
    assert "confidence" in response.json()[0] and "language" in response.json()[0]
    response = requests.post(live.url + "/detect")
    assert response.status_code == 400 and "error" in response.json()
    assert requests.get(live.url + "/detect").status_code == 405
    response = requests.get(live.url + "/languages")
    assert response.status_code == 200 and "code" in response.json()[0]
    assert requests.post(live.url + "/languages").status_code == 405
    response = requests.get(live.url + "/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert requests.post(live.url + "/health").status_code == 405
    assert requests.get(live.url + "/spec").status_code == 200
    assert requests.post(live.url + "/spec").status_code == 405
    settings = requests.get(live.url + "/frontend/settings")
    assert settings.status_code == 200
    assert settings.json()["charLimit"] == 500 and ".txt" in settings.json()["supportedFilesFormat"]
    assert requests.post(live.url + "/spec").json() == {"error": "Method Not Allowed"}


def test_ready_reports_models_and_batching(live):
    body = requests.get(live.url + "/ready").json()
    assert body["ready"] is True and body["models_loaded"] is True
    assert body["targets"] == ["en"] and body["batching"][0]["engine_calls"] >= 1


# --- Weblate's LibreTranslate backend ------------------------------------------------------------


def test_weblate_shaped_request_with_api_key(tiny_marian_dir, tmp_path):
    """Weblate posts JSON with q as a list, source, target, format and api_key."""
    keys = KeyStore.load(tmp_path / "keys.json", create=True)
    token = keys.add("weblate")
    config = config_for(tiny_marian_dir, tmp_path / "srv", api_keys=tmp_path / "keys.json")
    with live_server(config) as live:
        payload = {"q": [AZ[0], AZ[3]], "source": "az", "target": "en", "format": "text"}
        response = requests.post(live.url + "/translate", json={**payload, "api_key": token})
        assert response.status_code == 200
        assert len(response.json()["translatedText"]) == 2
        missing = requests.post(live.url + "/translate", json=payload)
        assert missing.status_code == 400
        assert missing.json() == {"error": "Please contact the server operator to get an API key"}
        wrong = requests.post(live.url + "/translate", json={**payload, "api_key": "dk-nope"})
        assert wrong.status_code == 403 and wrong.json() == {"error": "Invalid API key"}
        assert live.requests()[0]["key"] == "weblate"
    stored = (tmp_path / "keys.json").read_text()
    assert token not in stored  # only the hash is kept
    again = KeyStore.load(tmp_path / "keys.json")
    assert again.used(again.lookup(token)) == len(AZ[0]) + len(AZ[3])


def test_rate_limit_and_quota(tiny_marian_dir, tmp_path):
    keys = KeyStore.load(tmp_path / "keys.json", create=True)
    limited = keys.add("limited", req_limit=2)
    small = keys.add("small", char_quota=60)
    config = config_for(tiny_marian_dir, tmp_path / "srv", api_keys=tmp_path / "keys.json")
    with live_server(config) as live:
        form = {"q": AZ[1], "source": "az", "target": "en"}
        codes = [
            requests.post(live.url + "/translate", data={**form, "api_key": limited}).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429]
        slow = requests.post(live.url + "/translate", data={**form, "api_key": limited})
        assert slow.json() == {"error": "Slowdown: 2 per 1 minute"}
        first = requests.post(live.url + "/translate", data={**form, "api_key": small})
        assert first.status_code == 200  # 30 of 60 characters
        over = requests.post(
            live.url + "/translate", data={**form, "q": AZ[0], "api_key": small}
        )  # 46 more would pass 60
        assert over.status_code == 403 and over.json()["error"].startswith("Quota exceeded")


# --- bad input: status, error JSON, one log line, still serving ----------------------------------


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"data": b"{not json", "headers": {"Content-Type": "application/json"}}, 400,
         "Invalid JSON format"),
        ({"json": ["a", "list"]}, 400, "Invalid JSON format"),
        ({"json": {"q": "", "source": "az", "target": "en"}}, 400,
         "Invalid request: missing q parameter"),
        ({"json": {"q": [], "source": "az", "target": "en"}}, 400,
         "Invalid request: missing q parameter"),
        ({"json": {"q": "Salam", "target": "en"}}, 400,
         "Invalid request: missing source parameter"),
        ({"json": {"q": "Salam", "source": "xx", "target": "en"}}, 400, "xx is not supported"),
        ({"json": {"q": "Salam", "source": "en", "target": "az"}}, 400, "en is not supported"),
        ({"json": {"q": "Salam", "source": "az", "target": "ru"}}, 400, "ru is not supported"),
        ({"json": {"q": "a" * 501, "source": "az", "target": "en"}}, 400,
         "Invalid request: request (501) exceeds text limit (500)"),
        ({"json": {"q": "Salam", "source": "az", "target": "en", "format": "pdf"}}, 400,
         "pdf format is not supported"),
        ({"json": {"q": "Salam", "source": "az", "target": "en", "alternatives": "x"}}, 400,
         "Invalid request: alternatives parameter is not a number"),
        ({"json": {"q": [1, 2], "source": "az", "target": "en"}}, 400,
         "Invalid request: q must be a string or a list of strings"),
        ({"json": {"q": "Salam", "source": "az", "target": "en", "glossary": "nope"}}, 400,
         "Invalid request: glossary nope not found"),
        ({"data": b"q=%FF%FE&source=az&target=en",
          "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 400,
         "Invalid request: the body is not valid UTF-8"),
        ({"data": b'{"q": "\xff", "source": "az", "target": "en"}',
          "headers": {"Content-Type": "application/json"}}, 400,
         "Invalid request: the body is not valid UTF-8"),
    ],
)  # fmt: skip
def test_bad_translate_requests(live, kwargs, status, error, request):
    request_id = f"bad-{abs(hash(request.node.name)):x}"
    response = _post(live, "/translate", request_id, **kwargs)
    assert response.status_code == status
    assert response.json() == {"error": error}
    line = live.line_for(request_id)
    assert line["status"] == status and line["problem"] == error
    again = requests.post(
        live.url + "/translate", data={"q": "Salam", "source": "az", "target": "en"}
    )
    assert again.status_code == 200


def test_a_50_mb_upload_is_refused_before_it_is_read(live):
    body = b"q=" + b"a" * (50 * 1024 * 1024)
    try:
        response = requests.post(
            live.url + "/translate",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    except requests.ConnectionError:  # the server may close before the client sent it all
        response = None
    if response is not None:
        assert response.status_code == 413
        assert response.json() == {"error": "Request too large: the limit is 20 MB"}
    assert any(line["status"] == 413 for line in live.requests())
    assert requests.get(live.url + "/health").json() == {"status": "ok"}


# --- layout, alternatives, markup, glossaries (the copying double makes effects visible) ---------


def test_layout_is_kept(double):
    text = "Birinci cümlə. İkinci cümlə.\n\nYeni abzas.\r\nSon sətir"
    response = requests.post(
        double.url + "/translate", json={"q": text, "source": "az", "target": "ru"}
    )
    assert response.json()["translatedText"] == (
        "<ru> Birinci cümlə. <ru> İkinci cümlə.\n\n<ru> Yeni abzas.\r\n<ru> Son sətir"
    )


def test_auto_source_reports_the_detected_language(double):
    response = requests.post(
        double.url + "/translate", json={"q": [AZ[0], AZ[1]], "source": "auto", "target": "en"}
    )
    body = response.json()
    assert response.status_code == 200
    assert [d["language"] for d in body["detectedLanguage"]] == ["az", "az"]
    english = requests.post(
        double.url + "/translate",
        json={"q": "The weather is lovely and we are going to the park.", "source": "auto",
              "target": "en"},
    )  # fmt: skip
    assert english.status_code == 400 and english.json() == {"error": "en is not supported"}


def test_alternatives_are_further_hypotheses(live):
    response = requests.post(
        live.url + "/translate",
        json={"q": AZ[0], "source": "az", "target": "en", "alternatives": 2},
    )
    body = response.json()
    assert response.status_code == 200 and isinstance(body["alternatives"], list)
    assert len(body["alternatives"]) <= 2 and body["translatedText"] not in body["alternatives"]
    too_many = requests.post(
        live.url + "/translate", json={"q": "x", "source": "az", "target": "en", "alternatives": 9}
    )
    assert too_many.json() == {"error": "Invalid request: alternatives parameter must be <= 5"}


def test_glossary_extension_enforces_terms_with_azerbaijani_matching(double):
    created = requests.post(
        double.url + "/v2/glossaries",
        json={"name": "org", "source_lang": "az", "target_lang": "en",
              "entries": "Beynəlxalq Miqrasiya Təşkilatı\tIOM", "entries_format": "tsv"},
        headers={"Authorization": "DeepL-Auth-Key any"},
    )  # fmt: skip
    assert created.status_code == 201
    glossary_id = created.json()["glossary_id"]
    text = "Beynəlxalq Miqrasiya Təşkilatının nümayəndəsi gəldi."  # inflected (genitive)
    plain = requests.post(
        double.url + "/translate", json={"q": text, "source": "az", "target": "en"}
    )
    assert "IOM" not in plain.json()["translatedText"]
    enforced = requests.post(
        double.url + "/translate",
        json={"q": text, "source": "az", "target": "en", "glossary": glossary_id},
    )
    assert "IOM" in enforced.json()["translatedText"], enforced.text
    assert "Miqrasiya" not in enforced.json()["translatedText"]


def test_html_format_goes_through_the_html_document_format(double):
    html = '<p>Salam <b>dünya</b>!</p>\n<p class="x">İkinci abzas.</p>'
    response = requests.post(
        double.url + "/translate",
        json={"q": html, "source": "az", "target": "en", "format": "html"},
    )
    assert response.status_code == 200
    # each paragraph is one unit; the model saw "Salam <g1>dünya</g1>!" and its tags came back
    assert response.json()["translatedText"] == (
        '<p>&lt;en&gt; Salam <b>dünya</b>!</p>\n<p class="x">&lt;en&gt; İkinci abzas.</p>'
    )


# --- files -----------------------------------------------------------------------------------


def test_translate_file_and_download(live, tmp_path):
    source = "\n".join(AZ) + "\n"
    response = requests.post(
        live.url + "/translate_file",
        data={"source": "az", "target": "en"},
        files={"file": ("xəbər.az.txt", source.encode(), "text/plain")},
    )
    assert response.status_code == 200, response.text
    url = response.json()["translatedFileUrl"]
    assert url.startswith(live.url + "/download_file/") and url.endswith(".en.txt")
    download = requests.get(url)
    assert download.status_code == 200
    assert "xəbər.en.txt" in requests.utils.unquote(download.headers["content-disposition"])
    lines = download.content.decode().splitlines()
    assert len(lines) == len(AZ) and all(line.strip() for line in lines)


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("notes.exe", b"MZ", "Invalid request: file format not supported"),
        ("empty.txt", b"   \n", "Invalid request: empty.txt is empty (nothing but whitespace)"),
        ("bad.txt", b"Salam \xff\xfe", "Invalid request: bad.txt is not valid UTF-8"),
    ],
)
def test_translate_file_refuses_bad_documents(live, name, content, error):
    response = requests.post(
        live.url + "/translate_file",
        data={"source": "az", "target": "en"},
        files={"file": (name, content)},
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith(error)
    assert requests.get(live.url + "/health").status_code == 200


def test_download_file_refuses_other_paths(live):
    assert requests.get(live.url + "/download_file/..%2F..%2Fetc%2Fpasswd").status_code in (
        400,
        404,
    )
    response = requests.get(live.url + "/download_file/nothing.here.txt")
    assert response.status_code == 404 and response.json() == {"error": "File not found"}


# --- suggestions -----------------------------------------------------------------------------


def test_suggest_is_403_when_off(live):
    response = requests.post(
        live.url + "/suggest", data={"q": "Salam", "s": "Hello", "source": "az", "target": "en"}
    )
    assert response.status_code == 403
    assert response.json() == {"error": "Suggestions are disabled on this server."}


def test_suggest_stores_the_suggestion(double):
    response = requests.post(
        double.url + "/suggest", data={"q": "Salam", "s": "Hello", "source": "az", "target": "en"}
    )
    assert response.status_code == 200 and response.json() == {"success": True}
    stored = double.server.config.directory() / "suggestions.jsonl"
    record = json.loads(stored.read_text().splitlines()[-1])
    assert (record["q"], record["s"], record["source"], record["target"]) == (
        "Salam",
        "Hello",
        "az",
        "en",
    )
    missing = requests.post(double.url + "/suggest", data={"q": "Salam", "source": "az"})
    assert missing.json() == {"error": "Invalid request: missing s parameter"}


def test_suggest_goes_to_the_translation_memory_when_one_is_configured(tmp_path, tm_location):
    """On each backend: serve --tm FILE and serve --tm postgresql://…"""
    from dilmanc.memory import Memory

    memory = tm_location
    config = double_config(tmp_path / "srv", suggestions=True)
    service = DoubleService.make(memory=str(memory), use_tm=True)
    with live_server(config, service) as live:
        response = requests.post(
            live.url + "/suggest",
            json={"q": AZ[1], "s": "There are new books in the library.", "source": "az",
                  "target": "en"},
        )  # fmt: skip
        assert response.json() == {"success": True}
    with Memory.open(memory) as store:
        (match,) = store.lookup(AZ[1], "az", "en")
    assert match.unit.target == "There are new books in the library."
    assert match.unit.origin == "suggestion"
    with live_server(config, DoubleService.make(memory=str(memory), use_tm=True)) as live:
        again = requests.post(
            live.url + "/translate", json={"q": AZ[1], "source": "az", "target": "en"}
        )  # the next request gets the suggestion as an exact memory match
        assert again.json() == {"translatedText": "There are new books in the library."}


# --- targets served when none are given ---------------------------------------------------------


def test_without_targets_every_language_the_model_writes_is_served(tiny_nllb_dir, tmp_path):
    config = config_for(tiny_nllb_dir, tmp_path / "srv", targets=())
    with live_server(config) as live:
        languages = requests.get(live.url + "/languages").json()
        (source,) = [lang for lang in languages if lang["code"] == "az"]
        assert {"en", "ru"} <= set(source["targets"])
        assert {lang["code"] for lang in languages} == {"az", *source["targets"]}
        response = requests.post(
            live.url + "/translate", json={"q": AZ[1], "source": "az", "target": "ru"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["translatedText"].strip()


def test_qe_extension_returns_verdicts_only_when_asked(double):
    """The copying double gives the source back: QE says so, per text, when asked."""
    copied = "Azərbaycan Respublikasının paytaxtı Bakı şəhəridir və orada çox adam yaşayır."
    body = {"q": [copied, ""], "source": "az", "target": "en", "qe": True}
    response = requests.post(double.url + "/translate", json=body)
    assert response.status_code == 200, response.text
    first, empty = response.json()["qe"]
    assert first["verdict"] == "bad" and "untranslated" in first["reasons"]
    assert empty == {"verdict": "ok", "score": None, "reasons": []}
    plain = requests.post(double.url + "/translate", json={**body, "qe": False}).json()
    assert "qe" not in plain
    html = {"q": f"<p>{copied}</p>", "source": "az", "target": "en", "format": "html"}
    found = requests.post(double.url + "/translate", data={**html, "qe": "true"}).json()["qe"]
    assert found["verdict"] == "bad"


def test_detect_answers_among_the_languages_the_server_lists(live):
    """As LibreTranslate (its installed languages): a German sentence on an az→en server is
    one of az, en (lingua then loads no model of the twelve other languages dilmanc knows)."""
    listed = {entry["code"] for entry in requests.get(live.url + "/languages").json()}
    german = "Guten Morgen, wie geht es Ihnen heute? Das Wetter ist schön."
    found = requests.post(live.url + "/detect", data={"q": german}).json()
    assert listed == {"az", "en"} and {item["language"] for item in found} <= listed
