"""Shared test fixtures: paths to ../shared, and an in-process CLI runner."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DILMANC_SHARED", ROOT.parent / "shared"))
SEED = SHARED / "seeds" / "press-release-2022-07.az.txt"
DATA = SHARED / "data"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capfd, monkeypatch):
    """Run `dilmanc ARGS` in-process: `cli(["translate", ...], stdin=b"...")` → CliResult."""
    from dilmanc.cli import main

    def invoke(args: list[str], stdin: bytes | str = b"") -> CliResult:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
        capfd.readouterr()
        code = main([str(a) for a in args])
        captured = capfd.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


@pytest.fixture(scope="session")
def seed_path() -> Path:
    assert SEED.exists(), f"seed press release missing at {SEED} (set DILMANC_SHARED)"
    return SEED


@pytest.fixture(scope="session")
def data_dir() -> Path:
    assert DATA.exists(), f"shared data missing at {DATA} (set DILMANC_SHARED)"
    return DATA
