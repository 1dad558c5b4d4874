"""`dilmanc models list|pull|convert`, offline, against tiny models in the real hub layouts."""

from __future__ import annotations

import json

import pytest
from tiny_models import install_in_hf_cache

from dilmanc.engines.registry import load_engine
from dilmanc.languages import resolve


def test_list_shows_presets_and_that_nothing_is_local(cli, tmp_path):
    res = cli(["models", "list"])
    assert res.code == 0, res.err
    for name in (
        "nllb-200-distilled-600M  (default)",
        "nllb-200-distilled-1.3B",
        "opus-mt-az-en",
        "opus-mt-en-ru",
        "facebook/nllb-200-distilled-600M",
        "CC-BY-NC-4.0",
        "az→en",
    ):
        assert name in res.out
    assert res.out.count("not downloaded") == 4
    assert str(tmp_path / "hf" / "hub") in res.out


def test_list_json_reports_local_copies_and_conversions(cli, tmp_path, tiny_marian_dir):
    snapshot = install_in_hf_cache(
        tiny_marian_dir, "Helsinki-NLP/opus-mt-az-en", tmp_path / "hf" / "hub"
    )
    res = cli(["models", "pull", "opus-mt-az-en", "--ct2"])  # offline: uses the cache, converts
    assert res.code == 0, res.err
    converted = tmp_path / "dilmanc" / "ct2" / "opus-mt-az-en-int8"
    assert (converted / "model.bin").is_file() and (converted / "source.spm").is_file()
    assert str(converted) in res.out

    res = cli(["models", "list", "--json"])
    assert res.code == 0, res.err
    rows = {row["name"]: row for row in json.loads(res.out)["models"]}
    assert rows["opus-mt-az-en"]["hf_cache"] == str(snapshot)
    assert rows["opus-mt-az-en"]["ct2"] == [str(converted)]
    assert rows["nllb-200-distilled-600M"]["hf_cache"] is None
    assert rows["nllb-200-distilled-600M"]["default"] is True
    assert rows["opus-mt-en-ru"]["languages"] == "en→ru"

    engine = load_engine("opus-mt-az-en")  # translate now prefers the int8 conversion
    assert engine.name == "ctranslate2" and engine.directory == converted
    assert engine.translate_batch(["Salam dünya."], resolve("az"), resolve("en"), max_length=4)[0]

    res = cli(["models", "pull", "opus-mt-az-en", "--ct2"])
    assert res.code == 0 and "already at" in res.out


def test_pull_offline_uncached_is_exit_3_one_line(cli):
    res = cli(["models", "pull", "nllb-200-distilled-600M"])
    assert res.code == 3
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dilmanc: error: ")
    assert "facebook/nllb-200-distilled-600M" in lines[0] and "HF_HUB_OFFLINE" in lines[0]


def test_pull_unknown_name_is_a_usage_error(cli):
    res = cli(["models", "pull", "not-a-model"])
    assert res.code == 2 and "unknown model" in res.err


def test_convert_makes_a_self_contained_ct2_directory(cli, tmp_path, tiny_nllb_dir):
    out = tmp_path / "converted"
    res = cli(["models", "convert", str(tiny_nllb_dir), "--output", str(out)])
    assert res.code == 0, res.err
    assert res.out.strip() == str(out)
    for name in (
        "model.bin",
        "sentencepiece.bpe.model",
        "tokenizer.json",
        "tokenizer_config.json",
        "generation_config.json",
        "dilmanc.json",
    ):
        assert (out / name).is_file(), name
    assert not list(tmp_path.glob(".converted*"))  # no temp directory left behind
    assert json.loads((out / "dilmanc.json").read_text())["quantization"] == "int8"

    engine = load_engine(str(out))
    assert engine.name == "ctranslate2" and engine.architecture == "nllb"
    assert engine.translate_batch(["Salam."], resolve("az"), resolve("ru"), max_length=3)[0]

    again = cli(["models", "convert", str(tiny_nllb_dir), "--output", str(out)])
    assert again.code == 2 and "--force" in again.err
    forced = cli(
        [
            "models",
            "convert",
            str(tiny_nllb_dir),
            "--output",
            str(out),
            "--force",
            "--quantization",
            "int8_float32",
        ]
    )
    assert forced.code == 0, forced.err
    assert json.loads((out / "dilmanc.json").read_text())["quantization"] == "int8_float32"


@pytest.mark.parametrize(
    "args, code, text",
    [
        (["--quantization", "int3"], 2, "unknown quantization"),
        ([], 3, "has no weights"),
    ],
)
def test_convert_failures(cli, tmp_path, args, code, text):
    src = tmp_path / "not-a-model"
    src.mkdir()
    (src / "config.json").write_text("{}")
    res = cli(["models", "convert", str(src), "--output", str(tmp_path / "out"), *args])
    assert res.code == code and text in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_convert_refuses_a_ct2_source(cli, tmp_path, tiny_marian_ct2_dir):
    res = cli(["models", "convert", str(tiny_marian_ct2_dir), "--output", str(tmp_path / "o")])
    assert res.code == 2 and "already a CTranslate2 model" in res.err


def test_convert_uncached_preset_offline_is_exit_3(cli, tmp_path):
    res = cli(["models", "convert", "opus-mt-en-ru", "--output", str(tmp_path / "o")])
    assert res.code == 3 and "dilmanc models pull opus-mt-en-ru" in res.err
