"""Foundation: CLI error contract, atomic writes, input decoding, Turkic casing, languages."""

from __future__ import annotations

import pytest

from dilmanc.errors import InputError, UsageError
from dilmanc.fileio import atomic_writer, read_text
from dilmanc.languages import parse_targets, resolve
from dilmanc.text.turkic_case import az_lower, az_title, az_upper


def test_version_and_help(cli):
    res = cli(["--version"])
    assert res.code == 0 and res.out.startswith("dilmanc ")
    res = cli(["--help"])
    assert res.code == 0 and "translate" in res.out


def test_unknown_option_is_one_line_usage_error(cli):
    res = cli(["glossary", "--no-such-flag"])
    assert res.code == 2
    assert res.err.count("\n") == 1 and res.err.startswith("dilmanc: error:")
    assert "Traceback" not in res.err


def test_turkic_casing():
    assert az_lower("İNSAN ALVERİ") == "insan alveri"
    assert az_lower("BAKI") == "bakı"
    assert az_upper("insan alveri") == "İNSAN ALVERİ"
    assert az_title("ıSPARTA") == "Isparta"
    assert len(az_lower("İİİ")) == 3


def test_languages():
    assert resolve("az").nllb == "azj_Latn"
    assert resolve("AZE").iso == "az"
    assert resolve("rus_Cyrl").iso == "ru"
    assert [lang.iso for lang in parse_targets("en, ru,en")] == ["en", "ru"]
    with pytest.raises(UsageError, match="unknown language"):
        resolve("xx")


def test_read_text_bom_and_bad_bytes(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes("\ufeffSalam".encode())
    assert read_text(p) == "Salam"
    p.write_bytes(b"Sal\xe7am")
    with pytest.raises(InputError, match="not valid UTF-8"):
        read_text(p)
    assert read_text(p, encoding="cp1254") == "Salçam"
    with pytest.raises(InputError, match="no such file"):
        read_text(tmp_path / "missing.txt")


def test_atomic_writer_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_writer(target) as fh:
        fh.write("partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with atomic_writer(target) as fh:
        fh.write("done")
    assert target.read_text() == "done"
