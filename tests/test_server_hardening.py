"""`dilmanc serve` safe to expose (issue 18): decompression bombs, hostile request bodies and
paths, CORS for browser clients, client disconnects, document content types, the
texts-per-request limit and older DeepL request shapes. A live server on 127.0.0.1 over the
copying DictEngine (what reached the model is visible)."""

from __future__ import annotations

import socket
import time

import pytest
import requests
from docx_fixtures import MB, bomb, package_bomb
from memory_probe import peak_growth
from server_helpers import AZ, DoubleService, double_config, live_server

BATCH_LIMIT = 3


@pytest.fixture(scope="module")
def double(tmp_path_factory):
    service = DoubleService.make(targets=("en", "ru"))
    config = double_config(tmp_path_factory.mktemp("srv"), batch_limit=BATCH_LIMIT)
    with live_server(config, service) as server:
        yield server


def _message(response) -> str:
    body = response.json()
    if "error" in body:
        return body["error"]
    return body["message"] + (": " + body["detail"] if body.get("detail") else "")


def _no_leak(live, response) -> None:
    """The answer names no folder of the server's."""
    assert str(live.server.config.directory()) not in response.text
    assert "/tmp" not in response.text


# --- item 1: decompression bombs --------------------------------------------------------------

UPLOADS = {
    "/translate_file": {"source": "az", "target": "en"},
    "/v2/document": {"target_lang": "EN-GB"},
}


@pytest.mark.parametrize("route", sorted(UPLOADS))
@pytest.mark.parametrize(
    ("inflated", "filler", "reason"),
    [
        (16 * MB, b"<w:p/>", "more than 2,000,000 XML tags"),
        (300 * MB, b" ", "word/document.xml inflates to 300 MB"),
    ],
    ids=["elements", "whitespace"],
)
def test_a_zip_bomb_upload_is_413_json(double, tmp_path, route, inflated, filler, reason):
    data = bomb(tmp_path / "bomba.docx", inflated, filler).read_bytes()
    response = requests.post(
        double.url + route, data=UPLOADS[route], files={"file": ("bomba.docx", data)}
    )
    assert response.status_code == 413, response.text
    assert reason in _message(response) and "bomba.docx" in _message(response)
    _no_leak(double, response)
    assert requests.get(double.url + "/health").json() == {"status": "ok"}


def _deck(text: str, bold: str) -> bytes:
    """A one-slide deck: a text box holding `text`, then `bold` in a bold run."""
    import io

    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    paragraph = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(8), Inches(2))
    paragraph = paragraph.text_frame.paragraphs[0]
    paragraph.add_run().text = text + " "
    run = paragraph.add_run()
    run.text, run.font.bold = bold, True
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _workbook(text: str, number: int) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"], book.active["B1"] = text, number
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _translated_upload(live, route: str, name: str, data: bytes) -> bytes:
    """The translated file, through LibreTranslate's translate_file + download or DeepL's
    upload, status polling and result."""
    answer = requests.post(live.url + route, data=UPLOADS[route], files={"file": (name, data)})
    assert answer.status_code == 200, answer.text
    if route == "/translate_file":
        download = requests.get(answer.json()["translatedFileUrl"])
        assert download.status_code == 200, download.text
        return download.content
    key = {"document_key": answer.json()["document_key"]}
    status_url = live.url + f"/v2/document/{answer.json()['document_id']}"
    deadline = time.monotonic() + 60
    while (status := requests.post(status_url, json=key).json())["status"] != "done":
        assert status["status"] != "error" and time.monotonic() < deadline, status
        time.sleep(0.05)
    return requests.post(status_url + "/result", json=key).content


@pytest.mark.parametrize("route", sorted(UPLOADS))
def test_pptx_and_xlsx_uploads_are_translated(double, route):
    import io

    import openpyxl
    from pptx import Presentation

    deck = _translated_upload(double, route, "masa.pptx", _deck(AZ[0], "Salam"))
    (shape,) = Presentation(io.BytesIO(deck)).slides[0].shapes
    runs = shape.text_frame.paragraphs[0].runs
    assert "".join(r.text for r in runs).startswith("<en> ")  # what the double's model saw
    assert AZ[0] in shape.text_frame.text and [r.text for r in runs if r.font.bold] == ["Salam"]
    book = _translated_upload(double, route, "hesabat.xlsx", _workbook(AZ[1], 42))
    sheet = openpyxl.load_workbook(io.BytesIO(book)).active
    assert (sheet["A1"].value, sheet["B1"].value) == (f"<en> {AZ[1]}", 42)


@pytest.mark.parametrize("route", sorted(UPLOADS))
def test_a_pptx_zip_bomb_upload_is_413_json(double, tmp_path, route):
    path = tmp_path / "bomba.pptx"
    member, after = "ppt/slides/slide1.xml", b"<p:spTree>"
    data = package_bomb(path, _deck("Salam", "dünya"), member, after, 16 * MB, b"<a:p/>")
    response = requests.post(
        double.url + route, data=UPLOADS[route], files={"file": ("bomba.pptx", data.read_bytes())}
    )
    assert response.status_code == 413, response.text
    message = _message(response)
    assert "more than 2,000,000 XML tags" in message and "bomba.pptx" in message
    _no_leak(double, response)


SERVER = """
import tempfile
from pathlib import Path

import docx
from docx_fixtures import to_bytes
from fastapi.testclient import TestClient
from server_helpers import DoubleService, double_config

from dilmanc.server.app import create_app

app = create_app(double_config(Path(tempfile.mkdtemp())), DoubleService.make(), wait=True)
client = TestClient(app).__enter__()
small = docx.Document()
small.add_paragraph("Salam.")
fields = {"source": "az", "target": "en"}
warm = client.post("/translate_file", data=fields, files={"file": ("a.docx", to_bytes(small))})
assert warm.status_code == 200, warm.text
"""


def test_a_zip_bomb_upload_costs_the_server_little_memory(tmp_path):
    path = bomb(tmp_path / "bomba.docx", 40 * MB)  # the issue's: 60 KB, 40 MB of <w:p/>
    growth, result = peak_growth(
        SERVER,
        f"""
        data = open({str(path)!r}, "rb").read()
        answer = client.post("/translate_file", data=fields, files={{"file": ("b.docx", data)}})
        result = [answer.status_code, answer.json()]
        """,
    )
    assert result[0] == 413, result
    assert growth < 48 * MB, f"peak memory grew by {growth / MB:.0f} MB"


def test_an_upload_parsed_past_the_deadline_is_neither_charged_nor_queued(tmp_path, monkeypatch):
    from dilmanc.documents.plaintext import TextDocument

    real = TextDocument.load.__func__

    def slow(cls, path, **kwargs):
        time.sleep(0.6)
        return real(cls, path, **kwargs)

    monkeypatch.setattr(TextDocument, "load", classmethod(slow))
    with live_server(double_config(tmp_path, timeout=0.3), DoubleService.make()) as live:
        deepl = requests.post(
            live.url + "/v2/document",
            data={"target_lang": "EN-GB"},
            files={"file": ("a.txt", b"Salam.\n")},
        )
        assert deepl.status_code == 504 and "timed out" in deepl.json()["message"]
        assert live.server.jobs.counts()["queued"] == 0 and live.server.chars_total == 0
        libre = requests.post(
            live.url + "/translate_file",
            data={"source": "az", "target": "en"},
            files={"file": ("a.txt", b"Salam.\n")},
        )
        assert libre.status_code == 500 and "timed out" in libre.json()["error"]
        assert live.server.chars_total == 0


# --- item 2: hostile bodies and paths are 4xx JSON, never 500 ---------------------------------

DEEP = "[" * 1000 + "]" * 1000
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("route", ["/translate", "/detect", "/v2/translate", "/v2/glossaries"])
def test_json_nested_1000_deep_is_400(double, route):
    body = f'{{"q": {DEEP}, "text": {DEEP}, "source": "az", "target": "en", "target_lang": "EN"}}'
    response = requests.post(double.url + route, data=body.encode(), headers=JSON)
    assert response.status_code == 400, response.text
    assert "nested more than" in _message(response)


@pytest.mark.parametrize("route", ["/translate", "/detect", "/v2/translate"])
def test_a_lone_surrogate_is_400(double, route):
    body = '{"q": "Salam \\ud800", "text": "\\ud800", "source": "az", "target": "en", '
    body += '"target_lang": "EN-GB"}'
    response = requests.post(double.url + route, data=body.encode(), headers=JSON)
    assert response.status_code == 400, response.text
    assert "lone surrogate" in _message(response)


def test_an_infinite_number_is_400(double):
    body = b'{"q": "Salam", "source": "az", "target": "en", "alternatives": 1e400}'
    response = requests.post(double.url + "/translate", data=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "Invalid request: a number is out of range"}


@pytest.mark.parametrize("name", ["a" * 300, "a%00.txt", "%0a.txt"])
def test_download_file_refuses_impossible_names_without_naming_the_folder(double, name):
    response = requests.get(double.url + "/download_file/" + name)
    assert response.status_code == 400 and response.json() == {"error": "Invalid filename"}
    _no_leak(double, response)


# --- item 7: CORS -------------------------------------------------------------------------------


def test_libretranslate_routes_answer_cors_preflights_and_requests(double):
    origin = {"Origin": "https://extension.example"}
    preflight = requests.options(
        double.url + "/translate",
        headers={**origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    answer = requests.post(
        double.url + "/translate",
        json={"q": "Salam.", "source": "az", "target": "en"},
        headers=origin,
    )
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"
    refused = requests.post(double.url + "/translate", json={"q": "Salam."}, headers=origin)
    assert refused.status_code == 400 and refused.headers["access-control-allow-origin"] == "*"
    deepl = requests.post(
        double.url + "/v2/translate", json={"text": ["Salam."], "target_lang": "EN"}, headers=origin
    )
    assert deepl.status_code == 200 and "access-control-allow-origin" not in deepl.headers


def test_cors_origins_are_configurable(tmp_path):
    config = double_config(tmp_path, cors_origins=("https://app.example",))
    with live_server(config, DoubleService.make()) as live:
        allowed = requests.get(live.url + "/languages", headers={"Origin": "https://app.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        other = requests.get(live.url + "/languages", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    with live_server(double_config(tmp_path, cors_origins=()), DoubleService.make()) as live:
        off = requests.get(live.url + "/languages", headers={"Origin": "https://app.example"})
        assert off.status_code == 200 and "access-control-allow-origin" not in off.headers


# --- item 9 -------------------------------------------------------------------------------------


def test_a_client_that_disconnects_is_logged_as_499_at_info_level(double):
    host, port = double.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-Request-ID: gone-away\r\nContent-Length: 1000\r\n\r\n"
            b'{"q": "Salam'
        )
        time.sleep(0.2)
    line = double.line_for("gone-away")
    assert (line["status"], line["level"]) == (499, "info"), line
    assert line["problem"] == "the client disconnected"


def test_document_results_are_octet_streams(double):
    html = b"<html><body><p>Salam.</p></body></html>"
    upload = requests.post(
        double.url + "/v2/document",
        data={"target_lang": "EN-GB"},
        files={"file": ("xeber.html", html)},
    ).json()
    key = {"document_key": upload["document_key"]}
    status_url = double.url + f"/v2/document/{upload['document_id']}"
    deadline = time.monotonic() + 60
    while requests.post(status_url, json=key).json()["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    result = requests.post(status_url + "/result", json=key)
    assert result.status_code == 200 and b"&lt;en&gt; Salam." in result.content
    assert result.headers["content-type"] == "application/octet-stream"
    made = requests.post(
        double.url + "/translate_file",
        data={"source": "az", "target": "en"},
        files={"file": ("xeber.html", html)},
    )
    download = requests.get(made.json()["translatedFileUrl"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/octet-stream"


def test_one_texts_per_request_limit_on_both_apis_and_the_message_says_it(double):
    texts = AZ[: BATCH_LIMIT + 1]
    deepl = requests.post(double.url + "/v2/translate", json={"text": texts, "target_lang": "RU"})
    assert deepl.status_code == 400
    assert deepl.json()["message"] == f"Too many texts ({len(texts)}); the limit is {BATCH_LIMIT}."
    libre = requests.post(
        double.url + "/translate", json={"q": texts, "source": "az", "target": "ru"}
    )
    assert libre.status_code == 400 and libre.json() == {
        "error": f"Invalid request: request ({len(texts)}) exceeds text limit ({BATCH_LIMIT})"
    }
    for route, body in (
        ("/v2/translate", {"text": texts[:BATCH_LIMIT], "target_lang": "RU"}),
        ("/translate", {"q": texts[:BATCH_LIMIT], "source": "az", "target": "ru"}),
    ):
        assert requests.post(double.url + route, json=body).status_code == 200


def test_get_translate_with_auth_key_as_older_deepl_clients_send_it(double):
    response = requests.get(
        double.url + "/v2/translate",
        params={"auth_key": "k", "text": "Salam.", "source_lang": "AZ", "target_lang": "EN"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["translations"][0]["text"] == "<en> Salam."


def test_an_empty_language_type_is_400(double):
    response = requests.get(double.url + "/v2/languages", params={"type": ""})
    assert response.status_code == 400
    assert response.json()["message"] == "Value for 'type' not supported."
    assert requests.get(double.url + "/v2/languages").status_code == 200
