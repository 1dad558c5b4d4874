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


def refused(cli, path, engine=None, *, data: bytes | None = None, args=("--to", "en")) -> str:
    """`dilmanc translate PATH` (written with `data` first) refused the way bad input must be:
    exit 2, one line on stderr (returned), no output file, the engine never called."""
    if data is not None:
        path.write_bytes(data)
    out = path.parent / "out"
    line = one_line_error(cli(["translate", path, *args, "-o", out]))
    assert not out.exists() or not any(out.iterdir()), list(out.iterdir())
    assert engine is None or engine.calls == []
    return line
