"""The API glossary store: dilmanc's table reader and checks behind it, files on disk that
survive restarts, leftovers of an interrupted create removed, per-key ownership."""

from __future__ import annotations

import json

import pytest

from dilmanc.errors import UsageError
from dilmanc.glossary import find_terms
from dilmanc.server.glossaries import BadEntries, GlossaryNotFound, GlossaryStore

ORG = "Beynəlxalq Miqrasiya Təşkilatı"


def store(path):
    return GlossaryStore(path, "az", ["en", "ru"])


def test_a_glossary_is_a_dilmanc_glossary_file_with_azerbaijani_matching(tmp_path):
    made = store(tmp_path).create("org", "AZ", "EN", f"{ORG}\tIOM\nİqtisadiyyat nazirliyi\tMoE")
    assert (made.info.source_lang, made.info.target_lang, made.info.entry_count) == ("az", "en", 2)
    assert made.path.read_text().splitlines()[0] == "az\ten"  # the header dilmanc reads
    text = "Beynəlxalq Miqrasiya Təşkilatının və iqtisadiyyat nazirliyinin nümayəndələri"
    found = [m.entry.target("en") for m in find_terms(text, made.glossary)]
    assert found == ["IOM", "MoE"]  # genitive forms, Turkic case folding
    assert made.entries_tsv() == f"{ORG}\tIOM\nİqtisadiyyat nazirliyi\tMoE"


def test_glossaries_are_reloaded_and_leftovers_removed(tmp_path):
    made = store(tmp_path).create("org", "az", "ru", f'"{ORG}",МОМ\n', "csv", owner="team")
    (tmp_path / "half.tsv").write_text("az\ten\nx\ty\n")  # a create that never finished
    (tmp_path / "broken.json").write_text("{not json")
    again = store(tmp_path)
    assert not (tmp_path / "half.tsv").exists()
    (item,) = again.list()
    assert item.info == made.info and item.entries_tsv() == f"{ORG}\tМОМ"
    assert again.list(owner="someone else") == []
    with pytest.raises(GlossaryNotFound):
        again.get(made.info.glossary_id, owner="someone else")
    again.delete(made.info.glossary_id, owner="team")
    assert list(tmp_path.glob(f"{made.info.glossary_id}*")) == []
    assert store(tmp_path).list() == []


@pytest.mark.parametrize(
    ("entries", "fmt", "problem"),
    [
        ("nazir\tminister\textra", "tsv", "entry 1: 3 fields but the header has 2"),
        ("nazir\tminister\n\tboş", "tsv", "entry 2: empty az (source) term"),
        (
            "nazir\tminister\nNazir\tsecretary",
            "tsv",
            "entry 2: term 'Nazir' conflicts with entry 1",
        ),
        ('"nazir,minister\n', "csv", "malformed CSV"),
        ("   ", "tsv", "no glossary entries"),
        ("nazir\tminister\0", "tsv", "NUL character"),
        ("nazir\tminister\nbir\t", "tsv", "entry 2: empty en (target) term"),
        ("nazir\tminister\nbir", "tsv", "entry 2: empty en (target) term"),
        ("nazir,\n", "csv", "entry 1: empty en (target) term"),
    ],
)
def test_malformed_entries_name_the_entry_and_leave_nothing(tmp_path, entries, fmt, problem):
    glossaries = store(tmp_path)
    with pytest.raises(BadEntries, match=problem.replace("(", r"\(").replace(")", r"\)")):
        glossaries.create("bad", "az", "en", entries, fmt)
    assert list(tmp_path.iterdir()) == [] and glossaries.list() == []


def test_language_pair_and_format_are_checked(tmp_path):
    glossaries = store(tmp_path)
    with pytest.raises(UsageError, match="unsupported glossary language pair en>az"):
        glossaries.create("x", "en", "az", "a\tb")
    with pytest.raises(UsageError, match="entries_format 'xlsx'"):
        glossaries.create("x", "az", "en", "a\tb", "xlsx")
    with pytest.raises(UsageError, match="name must not be empty"):
        glossaries.create(" ", "az", "en", "a\tb")


def test_metadata_records_the_entries_format(tmp_path):
    made = store(tmp_path).create("org", "az", "en", "nazir\tminister")
    meta = json.loads((tmp_path / f"{made.info.glossary_id}.json").read_text())
    assert meta["format"] == "tsv" and meta["entry_count"] == 1
