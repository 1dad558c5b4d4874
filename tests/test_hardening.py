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
