"""Shared test fixtures: paths to ../shared, and an in-process CLI runner."""

from __future__ import annotations

import io
import itertools
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

    monkeypatch.setenv("DILMANC_DEBUG", "1")  # a bug in a test run shows its traceback

    def invoke(args: list[str], stdin: bytes | str = b"") -> CliResult:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
        capfd.readouterr()
        code = main([str(a) for a in args])
        captured = capfd.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


@pytest.fixture(autouse=True)
def isolated_caches(monkeypatch, tmp_path):
    """Every test runs offline with empty model caches (HF in tmp/hf, dilmanc in tmp/dilmanc)
    and no engines loaded by another test; a test that exercises a download path removes
    HF_HUB_OFFLINE and stubs the network itself."""
    from dilmanc.engines import registry as loader

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("DILMANC_HOME", str(tmp_path / "dilmanc"))
    loader.clear_cache()
    yield
    loader.clear_cache()


@pytest.fixture(scope="session")
def seed_path() -> Path:
    assert SEED.exists(), f"seed press release missing at {SEED} (set DILMANC_SHARED)"
    return SEED


@pytest.fixture(scope="session")
def data_dir() -> Path:
    assert DATA.exists(), f"shared data missing at {DATA} (set DILMANC_SHARED)"
    return DATA


# --- tiny model fixtures (helper A: engines) ------------------------------------------------
# Session-scoped random-weight models in the real hub layouts (see tests/tiny_models.py), and
# their CTranslate2 int8 conversions made through `dilmanc models convert`'s code path.


@pytest.fixture(scope="session")
def tiny_marian_dir(tmp_path_factory) -> Path:
    """A tiny az→en MarianMT model directory (opus-mt layout)."""
    from tiny_models import build_marian

    return build_marian(tmp_path_factory.mktemp("models") / "opus-mt-az-en-tiny")


@pytest.fixture(scope="session")
def tiny_nllb_dir(tmp_path_factory) -> Path:
    """A tiny NLLB-200 (M2M100) model directory with the FLORES language-code tokens."""
    from tiny_models import build_nllb

    return build_nllb(tmp_path_factory.mktemp("models") / "nllb-tiny")


@pytest.fixture(scope="session")
def tiny_marian_ct2_dir(tiny_marian_dir, tmp_path_factory) -> Path:
    from dilmanc.models.convert import convert_to_ct2

    return convert_to_ct2(tiny_marian_dir, tmp_path_factory.mktemp("ct2") / "marian-int8")


@pytest.fixture(scope="session")
def tiny_nllb_ct2_dir(tiny_nllb_dir, tmp_path_factory) -> Path:
    from dilmanc.models.convert import convert_to_ct2

    return convert_to_ct2(tiny_nllb_dir, tmp_path_factory.mktemp("ct2") / "nllb-int8")


# --- end of tiny model fixtures -------------------------------------------------------------


# --- copy model fixtures (tests/copy_model.py) ----------------------------------------------
# A tiny Marian az→en model trained to copy its input (tags, injected terms, placeholders), in
# the opus-mt layout, committed under tests/fixtures/copy-model/ with its recipe key; its
# CTranslate2 int8 conversion is made once per session. Treat both directories as read-only
# (copy them before changing anything).


@pytest.fixture(scope="session")
def copy_marian_dir() -> Path:
    from copy_model import FIXTURE, HF_NAME

    model = FIXTURE / HF_NAME
    assert (model / "model.safetensors").is_file(), (
        f"copy-model fixture missing at {model}: run `python tests/copy_model.py`"
    )
    return model


@pytest.fixture(scope="session")
def copy_marian_ct2_dir(copy_marian_dir, tmp_path_factory) -> Path:
    from copy_model import convert_ct2

    return convert_ct2(copy_marian_dir, tmp_path_factory.mktemp("copy") / "opus-mt-az-en-ct2")


@pytest.fixture(scope="session")
def copy_marian_ru_ct2_dir(copy_marian_dir, tmp_path_factory) -> Path:
    """The copy model as an az→ru model (opus-mt-az-ru layout), converted to CTranslate2."""
    from copy_model import convert_ct2, retarget

    work = tmp_path_factory.mktemp("copy-ru")
    hf = retarget(copy_marian_dir, work / "opus-mt-az-ru", "ru")
    return convert_ct2(hf, work / "opus-mt-az-ru-ct2")


# --- PostgreSQL (tests/pg_cluster.py) -------------------------------------------------------
# One throw-away cluster per session, started when the binaries are there and we are root or
# postgres; else every test using it is SKIPPED with the reason. Each test gets its own database.


@pytest.fixture(scope="session")
def pg_cluster():
    import pg_cluster as pg

    cluster = pg.start()
    if isinstance(cluster, str):
        pytest.skip(cluster)
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """The URL of a new empty database (with pg_trgm) on the session's cluster."""
    import pg_cluster as pg

    return pg.create_database(pg_cluster, f"t{next(_DATABASES)}")


_DATABASES = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def tm_location(request, tmp_path) -> str:
    """A new memory's location on each backend: a file path, or a postgresql:// URL."""
    if request.param == "sqlite":
        return str(tmp_path / "tm.db")
    return request.getfixturevalue("pg_url")
