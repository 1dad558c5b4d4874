"""Glossary files: TSV/CSV/TBX reading, merging, the bundled glossary, validate and list."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dilmanc.errors import InputError
from dilmanc.glossary import builtin_path, find_terms, load_glossaries

DATA = Path(__file__).parent / "data"
HEADER = "id\taz\ten\tru\tflags\tforbidden_en\tnote\n"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_builtin_glossary_is_complete_and_valid(cli):
    g = load_glossaries([], builtin=True)
    assert set(g.languages) == {"en", "ru"}
    for entry in g:
        assert entry.id and entry.target("en") and entry.target("ru"), entry
    assert g.by_id("forced-labour").target("en") == "forced labour"  # British English
    assert "forced labor" in g.by_id("forced-labour").forbidden_in("en")
    assert g.by_id("iom").target("ru") == "МОМ"
    header = builtin_path().read_text(encoding="utf-8").splitlines()[:6]
    assert any("British English" in line for line in header)
    res = cli(["glossary", "validate", builtin_path()])
    assert res.code == 0 and res.out == "", res.out


def test_tsv_variants_flags_forbidden_and_comments(tmp_path):
    path = write(
        tmp_path,
        "g.tsv",
        "# comment line\n" + HEADER + "x1\tkönüllü|könüllülər\tvolunteer|helper\tволонтёр\t"
        'dnt\tunpaid worker\tsaid "hi"\n',
    )
    g = load_glossaries([path])
    (entry,) = g.entries
    assert entry.az == ("könüllü", "könüllülər") and entry.line == 3
    assert entry.accepted("en")[:2] == ("volunteer", "helper") and entry.dnt
    assert entry.forbidden_in("en") == ("unpaid worker",) and entry.note == 'said "hi"'


def test_csv_is_sniffed(tmp_path):
    path = write(tmp_path, "g.csv", 'az,en\n"alver, ticarət",trade\n')
    (entry,) = load_glossaries([path]).entries
    assert entry.az == ("alver, ticarət",) and entry.target("en") == "trade"


def test_later_glossary_wins(tmp_path):
    a = write(tmp_path, "a.tsv", "id\taz\ten\np\tPlan\tplan\n")
    b = write(tmp_path, "b.tsv", "id\taz\ten\np\tPlan\tscheme\n")
    assert load_glossaries([a, b]).by_id("p").target("en") == "scheme"
    override = write(tmp_path, "o.tsv", "id\taz\ten\tru\niom\tBMqT\tI.O.M.\tМОМ\n")
    g = load_glossaries([override], builtin=True)
    assert g.by_id("iom").target("en") == "I.O.M." and len(g) == len(load_glossaries([], True))


@pytest.mark.parametrize(
    "text, message",
    [
        ("id\ten\tru\nx\ta\tb\n", "line 1: header has no 'az' column"),
        ("# c\nid\taz\tnote\nx\ta\tb\n", "line 2: no target language column"),
        ("id\taz\ten\nx\ta\tb\textra\n", "line 2: 4 fields but the header has 3"),
        ("id\taz\ten\nx\t\tb\n", "line 2: empty az (source) term"),
        ('az,en\n"unterminated,x\n', "malformed CSV"),
    ],
)
def test_bad_files_are_one_line_input_errors(tmp_path, cli, text, message):
    path = write(tmp_path, "bad.tsv", text)
    with pytest.raises(InputError, match=re.escape(message)):
        load_glossaries([path])
    res = cli(["glossary", "check", "-", "-g", path], stdin="x")
    assert res.code == 2 and res.err.count("\n") == 1 and message in res.err


def test_missing_glossary_file(cli, tmp_path):
    res = cli(["glossary", "list", "-g", tmp_path / "nope.tsv"])
    assert res.code == 2 and "no such file" in res.err


def test_validate_reports_every_problem_with_its_line(tmp_path, cli):
    path = write(
        tmp_path,
        "g.tsv",
        "# test glossary\n"
        "id\taz\ten\tru\tflags\tforbidden_en\n"  # line 2
        "a\talver\ttrade\tторговля\t\t\n"  # line 3: fine
        "a\tplan\tplan\t\t\t\n"  # line 4: duplicate id, no ru term (warning)
        "c\t\tx\tx\t\t\n"  # line 5: empty az
        "d\tALVER\tbarter\tобмен\t\t\n"  # line 6: conflicts with line 3
        "e\tsığınacaq\tshelter\tприют\tdtn\tshelter\n"  # line 7: bad flag, forbidden=accepted
        "f\tplan\tplan\t\t\t\n",  # line 8: repeats line 4, no ru term (warnings)
    )
    res = cli(["glossary", "validate", path])
    assert res.code == 2
    lines = res.out.splitlines()
    expected = [
        ("line 4", "error", "duplicate id 'a' (first at line 3)"),
        ("line 4", "warning", "no ru term"),
        ("line 5", "error", "empty az (source) term"),
        ("line 6", "error", "conflicts with line 3"),
        ("line 7", "error", "unknown flag 'dtn'"),
        ("line 7", "error", "'shelter' is both accepted and forbidden"),
        ("line 8", "warning", "repeats line 4"),
    ]
    for where, severity, text in expected:
        assert any(f": {where}: {severity}: " in ln and text in ln for ln in lines), (text, lines)
    assert "5 error(s), 3 warning(s)" in res.err
    with pytest.raises(InputError, match=r"line 4: duplicate id .* \(and 4 more\)"):
        load_glossaries([path])


def test_tbx2_reading_and_matching():
    g = load_glossaries([str(DATA / "glossary_small.tbx")])
    mayor = g.by_id("mayor")
    assert mayor.az == ("İcra Hakimiyyətinin başçısı",)
    assert mayor.accepted("en") == ("head of the executive authority", "executive head")
    assert mayor.forbidden_in("en") == ("mayor",)
    assert mayor.target("ru") == "глава исполнительной власти"
    assert mayor.note == "head of a city administration"
    text = "Rayon İcra Hakimiyyətinin başçısına və sığınacağa məktub yazıldı."
    assert [(m.entry.id, m.text) for m in find_terms(text, g)] == [
        ("mayor", "İcra Hakimiyyətinin başçısına"),
        ("shelter", "sığınacağa"),
    ]


def test_tbx3_and_malformed_tbx(tmp_path, cli):
    g = load_glossaries([str(DATA / "glossary_tbx3.tbx")])
    assert g.by_id("volunteer").target("en") == "volunteer"
    bad = write(tmp_path, "bad.tbx", "<martif>\n<text>\n<body>\n</martif>\n")
    res = cli(["glossary", "validate", bad])
    assert res.code == 2 and ": line 4: error: malformed TBX" in res.out


def test_list_builtin_and_json(cli):
    res = cli(["glossary", "list", "--builtin"])
    assert res.code == 0
    rows = res.out.splitlines()
    assert rows[0] == "id\taz\ten\tru\tflags"
    assert any(r.startswith("tier-2\t2-ci səviyyə | ikinci səviyyə\tTier 2\t") for r in rows)
    data = json.loads(cli(["glossary", "list", "-g", DATA / "glossary_small.tbx", "--json"]).out)
    assert [e["id"] for e in data["entries"]] == ["mayor", "shelter"]
