"""Hardening: mixed-language lines, long segments, write failures, signals, file modes.

CLI paths run in-process through the `cli` fixture with the dictionary engine double where a
model is not the point; signal and /dev/full cases run a real `python -m dilmanc` process.
"""

from __future__ import annotations

import pytest
from doubles import DictEngine

MIXED = (
    "Layihə USAID tərəfindən maliyyələşdirilir. This work is made possible by the support "
    "of the people of the United States through USAID.\n"
)


@pytest.fixture
def double(monkeypatch):
    """Every --model loads one DictEngine (az→en, ru)."""
    engine = DictEngine({"Layihə USAID tərəfindən maliyyələşdirilir.": "USAID funds it."})
    monkeypatch.setattr("dilmanc.engines.registry.load_engine", lambda spec, **kw: engine)
    return engine


# --- item 2: the English rule works per sentence ------------------------------------------------


def test_azerbaijani_sentence_beside_a_dominant_english_one_is_translated(cli, double):
    res = cli(["translate", "--model", "x", "--quiet"], stdin=MIXED)
    assert res.code == 0, res.err
    english = MIXED.split(". ", 1)[1]
    assert res.out == "USAID funds it. " + english
    assert double.seen == {"Layihə USAID tərəfindən maliyyələşdirilir.": 1}


# --- item 3: over-long segments are split to fit the model, never cut -------------------------


def test_fitter_splits_a_segment_longer_than_the_tiny_model_reads(tiny_nllb_dir):
    from dilmanc.engines.registry import load_engine
    from dilmanc.languages import resolve
    from dilmanc.pipeline.fit import segment_fitter
    from dilmanc.text.segment import segment_line

    az = resolve("az")
    engine = load_engine(str(tiny_nllb_dir))
    assert engine.max_source_tokens == 512
    line = "Qısa giriş. " + "uzun cümlədə vergül yoxdur amma sözlər çoxdur " * 300
    assert engine.count_tokens(line.split(". ", 1)[1], az) == 512  # the tokenizer cuts it
    fitted = segment_fitter([engine], az)(segment_line(line))
    assert "".join(p.text for p in fitted.pieces) == line
    parts = [p.text for p in fitted.pieces if p.translate]
    assert fitted.split == 1 and parts[0] == "Qısa giriş." and len(parts) > 3
    assert all(engine.count_tokens(p, az) <= 510 for p in parts)


def test_fitter_caps_characters_for_an_engine_without_a_token_limit(double):
    from dilmanc.languages import resolve
    from dilmanc.pipeline.fit import segment_fitter
    from dilmanc.text.segment import segment_line

    line = "x" * 12_000
    fitted = segment_fitter([double], resolve("az"))(segment_line(line))
    assert [len(p.text) for p in fitted.pieces] == [5000, 5000, 2000]
