"""A fixture for end-to-end document tests: every --model loads one DictEngine whose table the
test fills (unknown segments come back as "<iso> segment", so tags pass through unchanged).
Import `table_engine_fixture` into a test module to use the `table_engine` fixture."""

from __future__ import annotations

import pytest
from doubles import DictEngine, use_for_every_model


@pytest.fixture(name="table_engine")
def table_engine_fixture(monkeypatch):
    engine = DictEngine({})
    use_for_every_model(monkeypatch, engine)
    return engine


def one_line_error(result, code: int = 2) -> str:
    """The CLI failed with `code` and said so in exactly one line on stderr."""
    assert result.code == code, (result.code, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dilmanc: error: "), result.err
    return lines[0]
