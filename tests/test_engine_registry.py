"""A new engine is one module and one line in `ENGINES`: the wordlist engine of
tests/wordlist_engine.py, registered here and nowhere else, runs through the CLI, the
pipeline's glossary and the evaluator like the two built-in engines."""

from __future__ import annotations

import json

import pytest

ENTRY = "tests.wordlist_engine:WordListEngine"


@pytest.fixture
def wordlist(monkeypatch, tmp_path):
    from dilmanc.engines import registry

    monkeypatch.setitem(registry.ENGINES, "wordlist", ENTRY)  # the one registry line
    registry.clear_cache()
    directory = tmp_path / "wordlist-az-en"
    directory.mkdir()
    words = {"salam": "hello", "dünya": "world", "gözəl": "beautiful"}
    (directory / "wordlist.json").write_text(
        json.dumps({"source": "az", "target": "en", "words": words}), encoding="utf-8"
    )
    yield directory
    registry.clear_cache()


@pytest.mark.parametrize("engine", [[], ["--engine", "wordlist"]], ids=["claimed", "named"])
def test_a_registered_engine_translates_from_the_command_line(cli, wordlist, engine):
    result = cli(["translate", "--model", wordlist, "--from", "az", "--to", "en", *engine],
                 stdin="Salam gözəl dünya 2026\n")  # fmt: skip
    assert result.code == 0, result.err
    assert result.out == "hello beautiful world 2026\n"


def test_a_registered_engine_runs_under_the_glossary_and_its_checks(cli, wordlist, tmp_path):
    glossary = tmp_path / "terms.tsv"
    glossary.write_text("az\ten\nBMqT\tIOM\n", encoding="utf-8")
    report = tmp_path / "report.json"
    result = cli(["translate", "--model", wordlist, "--from", "az", "--to", "en", "-g",
                  glossary, "--report", report], stdin="salam BMqT\n")  # fmt: skip
    assert result.code == 0, result.err
    assert result.out == "hello IOM\n"
    assert json.loads(report.read_text())["engines"]["en"]["engine"] == "wordlist"


def test_a_registered_engine_is_refused_a_pair_it_cannot_do(cli, wordlist):
    result = cli(["translate", "--model", wordlist, "--from", "az", "--to", "ru"], stdin="salam\n")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"dilmanc: error: model {wordlist} cannot translate az→ru; it supports az→en"
    ]


def test_an_unregistered_engine_name_lists_the_registered_ones(cli, wordlist):
    result = cli(["translate", "--model", wordlist, "--engine", "onnx"], stdin="salam\n")
    assert result.code == 2
    assert "choose transformers or ctranslate2 or wordlist" in result.err


def test_a_directory_no_engine_claims_is_still_one_line(cli, wordlist, tmp_path):
    empty = tmp_path / "empty-model"
    empty.mkdir()
    result = cli(["translate", "--model", empty, "--from", "az", "--to", "en"], stdin="salam\n")
    assert result.code == 3
    assert len(result.err.strip().splitlines()) == 1 and "not a model directory" in result.err


def test_a_registered_engine_serves_the_libretranslate_api(wordlist, tmp_path):
    from libretranslatepy import LibreTranslateAPI
    from server_helpers import config_for, live_server

    with live_server(config_for(wordlist, tmp_path / "srv")) as live:
        client = LibreTranslateAPI(live.url + "/")
        assert client.translate("Salam dünya", "az", "en") == "hello world"
