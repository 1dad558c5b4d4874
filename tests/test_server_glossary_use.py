"""API glossaries in requests: each glossary's matcher is built once (per glossary id and
content) and reused by every request, also over the server's own `-g` glossary; entries
that fold to the same Azerbaijani term are reported, not merged silently."""

from __future__ import annotations

import pytest
import requests
from server_helpers import DoubleService, double_config, live_server

import dilmanc.glossary.matcher as matcher_module
from dilmanc.glossary import Glossary

ORG = "Beynəlxalq Miqrasiya Təşkilatı"
ORG_TEXT = "Beynəlxalq Miqrasiya Təşkilatının nümayəndəsi bu gün gəldi."
LARGE = 500


@pytest.fixture
def builds(monkeypatch):
    """How many glossary matchers were compiled, and whole passes made over a large glossary
    (merging, hashing), so far."""
    count = [0]

    class Counting(matcher_module.Matcher):
        def __init__(self, *args, **kwargs):
            count[0] += 1
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(matcher_module, "Matcher", Counting)
    iterate = Glossary.__iter__

    def counted(glossary):
        if len(glossary) >= LARGE:
            count[0] += 1
        return iterate(glossary)

    monkeypatch.setattr(Glossary, "__iter__", counted)
    return count


def _entries(n: int) -> str:
    return "\n".join([f"{ORG}\tIOM"] + [f"termin{i}x sözü\tterm{i}" for i in range(n)])


@pytest.mark.parametrize(
    ("server_glossary", "memory"),
    [(False, False), (True, False), (True, True)],
    ids=["api-only", "with-g-file", "with-g-file-and-memory"],
)
def test_a_glossary_is_prepared_once_and_reused(tmp_path, builds, server_glossary, memory):
    """Nothing is compiled or hashed per request: with a 100k-entry glossary that took
    seconds per request."""
    settings = {}
    if server_glossary:
        path = tmp_path / "server.tsv"
        path.write_text("az\ten\nnazir\tminister\n", encoding="utf-8")
        settings = {"glossaries": (str(path),)}
    if memory:
        settings |= {"use_tm": True, "use_cache": True, "memory": str(tmp_path / "tm.db")}
    service = DoubleService.make(**settings)
    with live_server(double_config(tmp_path / "srv"), service) as live:
        made = requests.post(
            live.url + "/v2/glossaries",
            json={"name": "big", "source_lang": "az", "target_lang": "en",
                  "entries": _entries(LARGE)},
        )  # fmt: skip
        assert made.status_code == 201, made.text
        glossary_id = made.json()["glossary_id"]
        per_request = []
        for _ in range(3):
            before = builds[0]
            deepl = requests.post(
                live.url + "/v2/translate",
                json={"text": [ORG_TEXT], "source_lang": "AZ", "target_lang": "EN-GB",
                      "glossary_id": glossary_id},
            )  # fmt: skip
            libre = requests.post(
                live.url + "/translate",
                json={"q": ORG_TEXT, "source": "az", "target": "en", "glossary": glossary_id},
            )
            assert deepl.status_code == 200, deepl.text
            assert "IOM" in deepl.json()["translations"][0]["text"]
            assert "IOM" in libre.json()["translatedText"]
            per_request.append(builds[0] - before)
    assert per_request == [0, 0, 0]  # merged, compiled and hashed when it was created


def test_entries_that_are_one_term_for_azerbaijani_matching_are_reported(tmp_path):
    with live_server(double_config(tmp_path / "srv"), DoubleService.make()) as live:
        made = requests.post(
            live.url + "/v2/glossaries",
            json={"name": "dup", "source_lang": "az", "target_lang": "en",
                  "entries": "qfığc\tQFC\nnazir\tminister\nqfiğc\tQFC"},
        )  # fmt: skip
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["entry_count"] == 2
        (merged,) = body["merged_entries"]
        assert "entry 1 ('qfığc')" in merged and "entry 3 ('qfiğc')" in merged
        again = requests.get(live.url + f"/v2/glossaries/{body['glossary_id']}").json()
        assert again["merged_entries"] == body["merged_entries"]  # kept with the glossary
        clash = requests.post(
            live.url + "/v2/glossaries",
            json={"name": "clash", "source_lang": "az", "target_lang": "en",
                  "entries": "nazir\tminister\nqfığc\tA\nqfiğc\tB"},
        )  # fmt: skip
        assert clash.status_code == 400
        assert clash.json()["detail"] == "entry 3: term 'qfiğc' conflicts with entry 2 (en=A)"


def test_alternatives_pass_the_verify_stage_with_the_request_glossary(tmp_path, monkeypatch):
    """The server's alternatives are the pipeline's (`Pipeline.alternatives`): segmented,
    decoded and verified against the request's glossary like its translation."""
    import dilmanc.pipeline.pipeline as pipeline_module

    verified: list[tuple[str, ...]] = []
    verify = pipeline_module.verify

    def recording(fresh, target, context, stats, sink):
        terms = context.enforcer.glossary if context.enforcer else ()
        verified.append(tuple(entry.az[0] for entry in terms))
        return verify(fresh, target, context, stats, sink)

    monkeypatch.setattr(pipeline_module, "verify", recording)
    with live_server(double_config(tmp_path / "srv"), DoubleService.make()) as live:
        made = requests.post(
            live.url + "/v2/glossaries",
            json={"name": "org", "source_lang": "az", "target_lang": "en",
                  "entries": f"{ORG}\tIOM"},
        )  # fmt: skip
        glossary_id = made.json()["glossary_id"]
        libre = requests.post(
            live.url + "/translate",
            json={"q": ORG_TEXT, "source": "az", "target": "en", "glossary": glossary_id,
                  "alternatives": 2},
        )  # fmt: skip
    assert libre.status_code == 200, libre.text
    assert "IOM" in libre.json()["translatedText"]
    # the translation, then each of the 2 alternatives, under the request's glossary
    assert verified == [(ORG,)] * 3


def test_a_request_glossary_holds_with_peoples_names_on(tmp_path):
    """With `names` on, a document (here an HTML request) is translated under its people's
    names layered under the request's glossary, not instead of it."""
    service = DoubleService.make(names="keep")
    with live_server(double_config(tmp_path / "srv"), service) as live:
        made = requests.post(
            live.url + "/v2/glossaries",
            json={"name": "org", "source_lang": "az", "target_lang": "en",
                  "entries": f"{ORG}\tIOM"},
        )  # fmt: skip
        glossary_id = made.json()["glossary_id"]
        body = {"source": "az", "target": "en", "glossary": glossary_id}
        plain = requests.post(live.url + "/translate", json={"q": ORG_TEXT, **body})
        html = requests.post(
            live.url + "/translate", json={"q": f"<p>{ORG_TEXT}</p>", "format": "html", **body}
        )
    assert "IOM" in plain.json()["translatedText"]
    assert "IOM" in html.json()["translatedText"], html.text
