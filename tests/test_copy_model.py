"""The copy model (tests/copy_model.py, committed as a fixture) through the product's engines,
CLI and CTranslate2.

The model copies its input, so what the product injects (inline tags, quoted glossary terms,
placeholders) must come back exactly, and CTranslate2's attention (the head the converter
keeps for alignment) must point each target token at the source token it copied.
Run with `-s` to see the measured exact-copy rates.
"""

from __future__ import annotations

import json
import re

import pytest
from copy_model import FIXTURE, load_corpus, main, read_build_info, recipe_key
from safetensors.numpy import load_file

from dilmanc.engines.registry import load_engine
from dilmanc.languages import resolve

pytestmark = pytest.mark.slow
AZ, EN = resolve("az"), resolve("en")
# Our own sentences, in the forms the product sends: compact tags, injected quoted terms with
# an Azerbaijani suffix, placeholders.
TAGGED = "Bu il <g1>Beynəlxalq Miqrasiya Təşkilatı</g1> yeni layihəyə <g2>başladı</g2>."
GLUED = "Təlimdə <g1>BMqT</g1>-nin mütəxəssisləri<x2/> iştirak etdi."
INJECTED = 'Layihə "IOM"-nin dəstəyi ilə həyata keçirilir.'
OTHER_INJECTED = 'Ölkə hesabatda "Tier 2"-yə qalxıb, "МОМ" isə ZXQ3-ün işini bəyənib.'
OWN = (TAGGED, GLUED, INJECTED, OTHER_INJECTED)


@pytest.fixture(scope="module")
def heldout(data_dir) -> list[str]:
    return load_corpus(data_dir).heldout


@pytest.fixture(params=["ctranslate2", "transformers"])
def copy_engine(request, copy_marian_dir, copy_marian_ct2_dir):
    directory = copy_marian_ct2_dir if request.param == "ctranslate2" else copy_marian_dir
    engine = load_engine(str(directory))
    assert engine.name == request.param
    return engine


def test_hub_layout(copy_marian_dir, copy_marian_ct2_dir):
    files = {p.name for p in copy_marian_dir.iterdir()}
    assert {
        "config.json",
        "source.spm",
        "target.spm",
        "vocab.json",
        "tokenizer_config.json",
        "generation_config.json",
        "model.safetensors",
    } <= files
    spm = (copy_marian_dir / "source.spm").read_bytes()
    assert spm == (copy_marian_dir / "target.spm").read_bytes()
    vocab = json.loads((copy_marian_dir / "vocab.json").read_text(encoding="utf-8"))
    assert vocab["</s>"] == 0 and vocab["<unk>"] == 1 and vocab["<pad>"] == len(vocab) - 1
    assert all(f"<0x{b:02X}>" in vocab for b in range(256))
    assert json.loads((copy_marian_dir / "tokenizer_config.json").read_text()) == {
        "target_lang": "en",
        "source_lang": "az",
    }
    config = json.loads((copy_marian_dir / "config.json").read_text())
    assert config["model_type"] == "marian" and config["d_model"] == 128
    assert config["vocab_size"] == len(vocab)
    weights = load_file(copy_marian_dir / "model.safetensors")
    assert not weights["model.shared.weight"][vocab["<pad>"]].any()  # zero, as CT2 assumes
    assert (copy_marian_ct2_dir / "model.bin").is_file()
    assert json.loads((copy_marian_ct2_dir / "dilmanc.json").read_text())["quantization"] == "int8"


def test_heldout_lines_are_copied(copy_engine, heldout):
    assert len(heldout) >= 95
    assert copy_engine.describe_languages() == "az→en"
    outputs = copy_engine.translate_batch(heldout, AZ, EN)
    exact = sum(out == src for out, src in zip(outputs, heldout, strict=True))
    rate = exact / len(heldout)
    print(f"\n{copy_engine.name}: {exact}/{len(heldout)} held-out lines copied ({rate:.1%})")
    # The recipe copies ≥ 0.95 of the held-out lines exactly (build.json has what it measured
    # when the fixture was made). Tests that need exact copies select inputs it copies.
    assert rate >= 0.95


_KEPT = re.compile(r'<g\d>|</g\d>|<x\d/>|"[^"]+"|ZXQ\d')


def test_tags_terms_and_placeholders_come_back_exactly(copy_engine):
    outputs = copy_engine.translate_batch(list(OWN), AZ, EN)
    for source, output in zip(OWN, outputs, strict=True):
        assert _KEPT.findall(output) == _KEPT.findall(source), (source, output)
    assert sum(out == src for out, src in zip(outputs, OWN, strict=True)) >= len(OWN) - 1


def test_ct2_attention_aligns_each_token_with_its_source(copy_marian_ct2_dir, heldout):
    import ctranslate2

    engine = load_engine(str(copy_marian_ct2_dir))
    lines = [*OWN, *heldout[:20]]
    tokens = engine.codec.encode_tokens(lines, AZ, EN)
    translator = ctranslate2.Translator(str(copy_marian_ct2_dir), compute_type="int8")
    results = translator.translate_batch(tokens, beam_size=4, return_attention=True)
    checked = 0
    for line, source, result in zip(lines, tokens, results, strict=True):
        target = result.hypotheses[0]
        if target != source[:-1]:  # not copied: no diagonal to expect
            continue
        attention = result.attention[0]
        assert len(attention) == len(target)
        assert all(len(row) == len(source) for row in attention)
        argmax = [max(range(len(row)), key=row.__getitem__) for row in attention]
        on_diagonal = sum(j == i for i, j in enumerate(argmax)) / len(argmax)
        assert on_diagonal >= 0.9, (line, argmax)
        checked += 1
    assert checked >= len(OWN) + 14


def test_fixture_matches_its_recipe(data_dir, capsys):
    """The committed weights were trained by this recipe, code and data (else: regenerate)."""
    info = read_build_info()
    assert info["key"] == recipe_key(data_dir), "stale fixture: run `python tests/copy_model.py`"
    assert main(["--check", "--data", str(data_dir)]) == 0
    assert info["key"] in capsys.readouterr().out
    assert info["recipe"]["steps"] > 0 and info["params"] > 0
    assert min(info["heldout_copied"].values()) >= 0.95
    size = sum(p.stat().st_size for p in FIXTURE.rglob("*") if p.is_file())
    assert size < 8 * 2**20  # a few MB in the repository


def test_cli_translates_with_builtin_glossary(cli, copy_marian_ct2_dir, tmp_path):
    """`dilmanc translate`: the glossary injects '"IOM"-nin', the model copies it, the
    product removes the quotes and the Azerbaijani suffix from the English output."""
    report = tmp_path / "glossary.json"
    args = ["--model", copy_marian_ct2_dir, "--quiet", "--builtin-glossary"]
    res = cli(
        ["translate", *args, "--glossary-report", report],
        stdin="Layihə BMqT-nin dəstəyi ilə davam edir.\n",
    )
    assert res.code == 0, res.err
    assert res.out == "Layihə IOM dəstəyi ilə davam edir.\n"
    checks = json.loads(report.read_text(encoding="utf-8"))
    assert checks["summary"]["failed"] == 0 and checks["summary"]["satisfied"] == 1
    assert checks["segments"][0]["strategy"] == "inject"
