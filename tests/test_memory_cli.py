"""`dilmanc tm ...`: every command, and every error as one line with exit 2 and the memory
unchanged."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TMX = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4">
<header creationtool="t" creationtoolversion="1" segtype="sentence" o-tmf="t" adminlang="en"
        srclang="az" datatype="plaintext"/>
<body>
<tu tuid="1"><prop type="x-domain">hesabat</prop>
  <tuv xml:lang="az"><seg>Nazirlik 2024-cü il üçün <ph x="1">{0}</ph> hesabat dərc etdi.</seg></tuv>
  <tuv xml:lang="en-GB"><seg>The ministry published <ph x="1">{0}</ph> report for 2024.</seg></tuv>
</tu>
<tu tuid="2">
  <tuv xml:lang="az"><seg>İnsan alverinə qarşı mübarizə gücləndirilir.</seg></tuv>
  <tuv xml:lang="en"><seg>The fight against human trafficking is being stepped up.</seg></tuv>
</tu>
</body>
</tmx>
"""


@pytest.fixture
def tmx(tmp_path) -> Path:
    path = tmp_path / "press.tmx"
    path.write_text(TMX, encoding="utf-8")
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_import_stats_search_lookup_export(cli, tmp_path, tmx, tm_location):
    db = tm_location
    done = cli(["tm", "import", tmx, "--tm", db])
    assert done.code == 0, done.err
    assert done.out.strip() == "2 new unit(s), 0 merged into existing ones (2 read)"
    again = cli(["tm", "import", tmx, "--tm", db, "--json"])
    assert json.loads(again.out) == {"read": 2, "added": 0, "merged": 2, "skipped": {}}

    stats = json.loads(cli(["tm", "stats", "--tm", db, "--json"]).out)
    assert (stats["units"], stats["pairs"], stats["origins"]) == (2, {"az-en": 2}, 1)
    assert "units: 2" in cli(["tm", "stats", "--tm", db]).out

    found = cli(["tm", "search", "insan alveri", "--tm", db])
    assert found.code == 0 and "The fight against human trafficking" in found.out
    assert found.err.strip() == "1 unit(s)"
    as_json = json.loads(cli(["tm", "search", "REPORT", "--tm", db, "--json"]).out)
    assert [u["tuid"] for u in as_json["units"]] == ["1"]

    looked = cli(["tm", "lookup", "Nazirlik 2025-ci il üçün <x1/> hesabat dərc etdi.",
                  "--src", "az", "--tgt", "en", "--tm", db, "--json"])  # fmt: skip
    (match,) = json.loads(looked.out)["matches"]
    # 8 words (the number is one), one differs (ci/cü): 100 × (1 − 1/8) = 87.5, minus 1 for
    # the repaired number; the tag is the same
    assert (match["kind"], match["score"], match["repaired"]) == ("fuzzy", 86.5, True)
    assert match["target"] == "The ministry published <x1/> report for 2025."

    out = tmp_path / "out.tmx"
    exported = cli(["tm", "export", out, "--tm", db, "--src", "az"])
    assert exported.code == 0 and exported.out.strip() == f"wrote 2 unit(s) to {out}"
    text = out.read_text(encoding="utf-8")
    assert '<ph x="1">{0}</ph>' in text and 'srclang="az"' in text
    assert '<prop type="x-domain">hesabat</prop>' in text


def test_default_memory_is_in_dilmanc_home(cli, tmx, tmp_path):
    assert cli(["tm", "import", tmx]).code == 0
    assert (tmp_path / "dilmanc" / "memory.db").exists()  # conftest sets DILMANC_HOME


def test_add_lookup_and_delete(cli, tm_location):
    db = tm_location
    added = cli(["tm", "add", "--src", "az", "--tgt", "en", "--tm", db, "--note", "redaktor",
                 "Sərgi sabah açılır.", "The exhibition opens tomorrow."])  # fmt: skip
    assert (added.code, added.out.strip()) == (0, "added 1 unit")
    same = cli(["tm", "add", "--src", "az", "--tgt", "en", "--tm", db,
                "Sərgi  sabah açılır.", "The exhibition opens tomorrow."])  # fmt: skip
    assert same.out.strip() == "already in the memory; metadata updated"
    hit = cli(["tm", "lookup", "Sərgi sabah açılır.", "--src", "az", "--tgt", "en", "--tm", db])
    assert hit.out.startswith("100\texact\tSərgi sabah açılır.\tThe exhibition opens tomorrow.")
    unit = json.loads(cli(["tm", "search", "sərgi", "--tm", db, "--json"]).out)["units"][0]
    assert unit["origin"] == "dilmanc tm add" and unit["created"].endswith("Z")
    gone = cli(["tm", "delete", "--source", "Sərgi sabah açılır.", "--src", "az", "--tgt", "en",
                "--tm", db])  # fmt: skip
    assert gone.out.strip() == "deleted 1 unit(s)"
    assert json.loads(cli(["tm", "stats", "--tm", db, "--json"]).out)["units"] == 0


def test_delete_by_origin_and_id(cli, tmx, tm_location):
    db = tm_location
    cli(["tm", "import", tmx, "--tm", db])
    assert cli(["tm", "delete", "--id", "1", "--tm", db]).out.strip() == "deleted 1 unit(s)"
    assert cli(["tm", "delete", "--origin", "press.tmx", "--tm", db]).out.strip() == (
        "deleted 1 unit(s)"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (TMX.replace("</body>", ""), "line 15: malformed TMX"),
        (TMX.replace('<?xml version="1.0" encoding="UTF-8"?>',
                     '<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY x "boom">]>'),
         "DOCTYPE with entities"),
        (TMX.replace('xml:lang="en"', ""), "line 12: <tuv> has no xml:lang"),
        (TMX.replace('xml:lang="en"', 'xml:lang="ingilis dili"'), "invalid xml:lang"),
        (TMX[: len(TMX) // 2], "malformed TMX"),
        ("Salam dünya\n", "line 1: not an XML file, so not TMX"),
    ],
)  # fmt: skip
def test_bad_import_is_one_line_exit_2_and_changes_nothing(cli, tmp_path, tmx, content, message):
    db = tmp_path / "tm.db"
    assert cli(["tm", "import", tmx, "--tm", db]).code == 0
    before = _digest(db)
    bad = tmp_path / "bad.tmx"
    bad.write_text(content, encoding="utf-8")
    done = cli(["tm", "import", tmx, bad, "--tm", db])  # the good file too: all or nothing
    assert done.code == 2
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dilmanc: error: ") and message in lines[0]
    assert _digest(db) == before
    assert json.loads(cli(["tm", "stats", "--tm", db, "--json"]).out)["units"] == 2


def test_bad_databases_are_one_line_exit_2_and_untouched(cli, tmp_path, tmx):
    text = tmp_path / "notes.db"
    text.write_text("not a database\n" * 10, encoding="utf-8")
    newer = tmp_path / "newer.db"
    assert cli(["tm", "import", tmx, "--tm", newer]).code == 0
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version=99")
    conn.commit()
    conn.close()
    for path, message in ((text, "not a SQLite database"), (newer, "schema version 99")):
        before = _digest(path)
        for args in (["tm", "stats"], ["tm", "import", str(tmx)], ["tm", "search", "x"]):
            done = cli([*args, "--tm", path])
            assert done.code == 2, args
            assert len(done.err.strip().splitlines()) == 1 and message in done.err
        assert _digest(path) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tm", "import", "x.docx"], "cannot tell the format"),
        (["tm", "import", "missing.tmx"], "missing.tmx: no such file"),
        (["tm", "export", "out.txt"], "give a file name ending in .tmx"),
        (["tm", "export", "out.tmx", "--src", "az!"], "--src 'az!' is not a language code"),
        (["tm", "search", "..."], "has no words to look for"),
        (["tm", "add", "--src", "az", "--tgt", "en", "", "x"], "must not be empty"),
        (["tm", "add", "--src", "az", "--tgt", "zz!", "a", "b"], "not a language code"),
        (["tm", "add", "--src", "az", "--tgt", "en", "<g1>a", "b"], "<g1> is never closed"),
        (["tm", "delete"], "give exactly one of"),
        (["tm", "delete", "--source", "a"], "--source needs --src and --tgt"),
        (["tm", "lookup", "a", "--src", "az"], "Missing option '--tgt'"),
    ],
)
def test_usage_errors_are_one_line_exit_2(cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    done = cli([*args, "--tm", tmp_path / "tm.db"])
    assert done.code == 2
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.err
    assert not (tmp_path / "out.txt").exists()


def test_console_entry_point_runs_tm(tmp_path, tmx):
    done = subprocess.run(
        [sys.executable, "-m", "dilmanc", "tm", "import", str(tmx), "--tm", str(tmp_path / "t.db")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0 and "2 new unit(s)" in done.stdout


VARIANTS = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4">
<header creationtool="t" creationtoolversion="1" segtype="sentence" o-tmf="t" adminlang="en"
        srclang="en-US" datatype="plaintext"/>
<body>
<tu><tuv xml:lang="en-US"><seg>The color of the flag.</seg></tuv>
    <tuv xml:lang="en-GB"><seg>The colour of the flag.</seg></tuv></tu>
<tu><tuv xml:lang="en-US"><seg>Center the text.</seg></tuv>
    <tuv xml:lang="en-GB"><seg>Centre the text.</seg></tuv></tu>
</body>
</tmx>
"""


def test_variants_of_one_language_are_imported_not_dropped(cli, tmp_path):
    """en-US ↔ en-GB would both be `en` once variants are mapped: the units are kept with
    their variants instead of vanishing (this used to print `0 read` and exit 0)."""
    path = tmp_path / "spelling.tmx"
    path.write_text(VARIANTS, encoding="utf-8")
    db = tmp_path / "tm.db"
    done = cli(["tm", "import", path, "--tm", db])
    assert done.code == 0, done.err
    assert done.out.strip() == "2 new unit(s), 0 merged into existing ones (2 read)"
    stats = json.loads(cli(["tm", "stats", "--tm", db, "--json"]).out)
    assert stats["pairs"] == {"en-US-en-GB": 2}
    hit = cli(["tm", "lookup", "The color of the flag.", "--src", "en-US", "--tgt", "en-GB",
               "--tm", db])  # fmt: skip
    assert hit.out.startswith("100\texact\tThe color of the flag.\tThe colour of the flag.")


def test_what_an_import_skips_is_said_and_nothing_read_is_exit_2(cli, tmp_path, tmx):
    db = tmp_path / "tm.db"
    partly = tmp_path / "partly.tmx"
    partly.write_text(
        TMX.replace("İnsan alverinə qarşı mübarizə gücləndirilir.", " ").replace(
            '<tu tuid="1">',
            '<tu tuid="0"><tuv xml:lang="az"><seg>Tək.</seg></tuv></tu>\n<tu tuid="1">',
        ),
        encoding="utf-8",
    )
    done = cli(["tm", "import", partly, "--tm", db])
    assert done.code == 0, done.err
    assert done.out.strip() == (
        "1 new unit(s), 0 merged into existing ones (1 read; skipped: 1 <tu> with no <tuv> "
        "in another language, 1 empty)"
    )
    before = _digest(db)
    for args, reason in (
        ([tmx, "--tgt", "ru"], "skipped 2 <tu> with no <tuv> in ru"),
        ([tmx, "--src", "de"], "skipped 2 <tu> with no <tuv> in de"),
    ):
        nothing = cli(["tm", "import", *args, "--tm", db])
        assert nothing.code == 2, nothing.out
        lines = nothing.err.strip().splitlines()
        assert len(lines) == 1 and "nothing to import" in lines[0] and reason in lines[0], lines
    assert _digest(db) == before
