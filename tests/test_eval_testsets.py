"""Test set registry: detection in a data dir, sha256 checks, download cache, offline errors."""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error

import pytest

from dilmanc.errors import InputError, ResourceUnavailable
from dilmanc.eval import testsets


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No $DILMANC_DATA, an empty cache in tmp, and offline unless a test says otherwise."""
    monkeypatch.delenv("DILMANC_DATA", raising=False)
    monkeypatch.setenv("DILMANC_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def no_network(url, timeout=60.0):
        raise AssertionError(f"tests must not download ({url})")

    monkeypatch.setattr(testsets, "download", no_network)
    return tmp_path


def test_registry_hashes_match_shared_data(data_dir):
    for testset in testsets.TESTSETS.values():
        for pair in testset.pairs.values():
            for file in pair.files:
                path = data_dir / testset.name / file.name
                assert hashlib.sha256(path.read_bytes()).hexdigest() == file.sha256


def test_listing_json_shows_all_present(cli, data_dir, isolated):
    res = cli(["eval", "testsets", "--data-dir", data_dir, "--json"])
    assert res.code == 0, res.err
    rows = json.loads(res.out)
    got = {(r["testset"], r["pair"]): r for r in rows}
    assert set(got) == {
        ("ntrex128", "az-en"),
        ("ntrex128", "az-ru"),
        ("tatoeba", "az-en"),
        ("tatoeba", "az-ru"),
    }
    assert all(r["present"] and r["status"] == "ok" for r in rows)
    assert got[("ntrex128", "az-en")]["segments"] == 1997
    assert got[("tatoeba", "az-en")]["segments"] == 2659
    assert got[("ntrex128", "az-ru")]["licence"] == "CC BY-SA 4.0"
    assert got[("ntrex128", "az-ru")]["translationese"] is True
    assert got[("tatoeba", "az-en")]["translationese"] is False


def test_listing_text_missing_without_data(cli, isolated):
    res = cli(["eval", "testsets", "--data-dir", isolated / "empty"])
    assert res.code == 0, res.err
    rows = res.out.splitlines()[1:5]
    assert len(rows) == 4 and all("  missing" in row for row in rows)
    assert "translationese source" in res.out


def test_env_data_dir_is_used(cli, data_dir, isolated, monkeypatch):
    monkeypatch.setenv("DILMANC_DATA", str(data_dir))
    rows = json.loads(cli(["eval", "testsets", "--json"]).out)
    assert all(r["status"] == "ok" for r in rows)


@pytest.mark.parametrize(
    ("name", "pair", "count"),
    [("ntrex128", "az-en", 1997), ("ntrex128", "az-ru", 1997), ("tatoeba", "az-en", 2659)],
)
def test_load_pair_counts_and_alignment(data_dir, isolated, name, pair, count):
    loaded = testsets.load_pair(name, pair, data_dir)
    assert len(loaded.sources) == len(loaded.references) == count
    assert all(loaded.sources) and all(loaded.references)
    assert loaded.sources[0] != loaded.references[0]
    limited = testsets.load_pair(name, pair, data_dir, limit=20)
    assert limited.sources == loaded.sources[:20] and limited.references == loaded.references[:20]
    record = limited.record(20)
    assert record["segments"] == 20 and record["limit"] == 20
    assert all(len(f["sha256"]) == 64 for f in record["files"])


def test_ntrex_ru_reference_is_cyrillic_and_source_latin(data_dir, isolated):
    loaded = testsets.load_pair("ntrex128", "az-ru", data_dir, limit=50)
    assert any("ə" in s for s in loaded.sources)
    assert all(any("а" <= ch <= "я" for ch in r.lower()) for r in loaded.references[:10])


def _corrupt_copy(data_dir, tmp_path):
    copy = tmp_path / "corrupt"
    shutil.copytree(data_dir / "ntrex128", copy / "ntrex128")
    target = copy / "ntrex128" / "newstest2019-src.eng.txt"
    target.chmod(0o644)
    data = target.read_bytes()
    target.write_bytes(data.replace(b"the", b"teh", 1))
    return copy


def test_checksum_mismatch_is_a_clear_error(cli, data_dir, isolated):
    corrupt = _corrupt_copy(data_dir, isolated)
    with pytest.raises(InputError, match="sha256 .* does not match"):
        testsets.load_pair("ntrex128", "az-en", corrupt)
    rows = json.loads(cli(["eval", "testsets", "--data-dir", corrupt, "--json"]).out)
    status = {(r["testset"], r["pair"]): r["status"] for r in rows}
    assert status[("ntrex128", "az-en")] == "checksum mismatch"
    assert status[("ntrex128", "az-ru")] == "ok"
    res = cli(
        ["eval", "run", "--testset", "ntrex128", "--pair", "az-en", "--model", "x"]
        + ["--data-dir", corrupt]
    )
    assert res.code == 2
    assert "newstest2019-src.eng.txt" in res.err and "sha256" in res.err
    assert len(res.err.strip().splitlines()) == 1


def test_offline_and_missing_exits_3(cli, isolated):
    res = cli(
        ["eval", "run", "--testset", "ntrex128", "--pair", "az-en", "--model", "x"]
        + ["--data-dir", isolated / "empty"]
    )
    assert res.code == 3
    assert res.err.startswith("dilmanc: error: ntrex128/newstest2019-ref.aze-Latn.txt is missing")
    assert "offline" in res.err and len(res.err.strip().splitlines()) == 1


def test_download_failure_exits_3(cli, isolated, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)

    def unreachable(url, timeout=60.0):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(testsets, "download", unreachable)
    with pytest.raises(ResourceUnavailable, match="could not be downloaded .no route to host"):
        testsets.load_pair("tatoeba", "az-ru", isolated / "empty")


def test_download_fills_the_cache_and_checks_sha(data_dir, isolated, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    served = (data_dir / "tatoeba" / "aze-rus.test.tsv").read_bytes()
    urls = []

    def fake_download(url, timeout=60.0):
        urls.append(url)
        return served

    monkeypatch.setattr(testsets, "download", fake_download)
    loaded = testsets.load_pair("tatoeba", "az-ru", isolated / "empty")
    assert len(loaded.sources) == 10
    assert urls == [
        "https://raw.githubusercontent.com/Helsinki-NLP/Tatoeba-Challenge/"
        "a7d15df66562742e38a7b8b04a79650a6585cfd5/data/test/aze-rus/test.txt"
    ]
    cached = isolated / "home" / "data" / "tatoeba" / "aze-rus.test.tsv"
    assert cached.read_bytes() == served
    testsets.load_pair("tatoeba", "az-ru", isolated / "empty")  # now from the cache
    assert len(urls) == 1

    monkeypatch.setattr(testsets, "download", lambda url, timeout=60.0: b"tampered\n")
    cached.unlink()
    with pytest.raises(ResourceUnavailable, match="expected a39b0e7fdb9e"):
        testsets.load_pair("tatoeba", "az-ru", isolated / "empty")
    assert not cached.exists()


@pytest.mark.parametrize(("name", "pair"), [("wmt", "az-en"), ("ntrex128", "az-de")])
def test_unknown_set_or_pair_is_usage_error(cli, data_dir, name, pair):
    res = cli(
        ["eval", "run", "--testset", name, "--pair", pair, "--model", "x"]
        + ["--data-dir", data_dir]
    )
    assert res.code == 2 and "known:" in res.err
